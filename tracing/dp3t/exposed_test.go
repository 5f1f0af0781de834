package dp3t

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestExposedRoundTrip publishes two uploads in one batch, writes the list
// as JSON and reads it back: the keys come back with the release as End,
// and the EphIDs they expand to are the devices' own.
func TestExposedRoundTrip(t *testing.T) {
	p := Default()
	release := day0.Add(50 * time.Hour)
	var keys []tracing.PublishedKey
	var devs []*Device
	for i, seed := range []string{vecSK1, vecSK2} {
		d, err := p.NewDeviceFromSeed(mustKey(t, seed), day0)
		if err != nil {
			t.Fatal(err)
		}
		k, err := d.Upload(day0.Add(time.Duration(i)*24*time.Hour), release)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k...)
		devs = append(devs, d)
	}
	o, err := NewExposedOverview(keys, release.UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back ExposedOverview
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	got, err := back.PublishedKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("%d keys back, want %d", len(got), len(keys))
	}
	for i := range keys {
		if string(got[i].Key) != string(keys[i].Key) || got[i].Start != keys[i].Start || got[i].End != keys[i].End || got[i].Slots != 96 {
			t.Errorf("key %d: got %+v, want %+v", i, got[i], keys[i])
		}
		// The EphID heard at noon of the key's first day is in its expansion.
		at := time.Unix(got[i].Start, 0).Add(12 * time.Hour)
		id, err := devs[i].IDAt(at)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := p.Expand(nil, got[i])
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, b := range bs {
			found = found || b.ID == id && b.From <= at.UnixMilli() && at.UnixMilli() <= b.To
		}
		if !found {
			t.Errorf("key %d: the EphID on air at %s is not among the %d it expands to", i, at.UTC().Format(time.RFC3339), len(bs))
		}
	}
}

// TestExposedGolden pins the JSON layout of the backend's list.
func TestExposedGolden(t *testing.T) {
	sk := mustKey(t, vecSK1)
	o, err := NewExposedOverview([]tracing.PublishedKey{{Key: sk[:], Start: day0.Unix(), End: day0.Unix() + 3600, Slots: 96}}, day0.UnixMilli()+3_600_000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "exposed.json")
	if *updateGolden {
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(b)+"\n" != string(want) {
		t.Errorf("got %s\nwant %s", b, want)
	}
	back, err := DecodeExposedOverview(want)
	if err != nil {
		t.Fatal(err)
	}
	if back.BatchReleaseTime != o.BatchReleaseTime || len(back.Exposed) != 1 || back.Exposed[0] != o.Exposed[0] {
		t.Errorf("golden decodes to %+v, want %+v", back, o)
	}
}

func TestExposedBadInput(t *testing.T) {
	sk := mustKey(t, vecSK1)
	key := base64.StdEncoding.EncodeToString(sk[:])
	day := day0.UnixMilli()
	entry := func(k string, date int64) string {
		b, _ := json.Marshal(map[string]any{"key": k, "keyDate": date})
		return string(b)
	}
	list := func(rel int64, entries ...string) string {
		return `{"batchReleaseTime":` + itoa(rel) + `,"exposed":[` + strings.Join(entries, ",") + `]}`
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", ``, "reading the exposed list"},
		{"not an object", `[]`, `want "{" at the exposed list`},
		{"unknown field", `{"batchReleaseTime":0,"exposed":[],"extra":1}`, `unknown field "extra"`},
		{"release twice", `{"batchReleaseTime":0,"batchReleaseTime":0,"exposed":[]}`, "batchReleaseTime: field appears twice"},
		{"no release", `{"exposed":[]}`, "batchReleaseTime: missing"},
		{"no list", `{"batchReleaseTime":0}`, "exposed: missing"},
		{"null list", `{"batchReleaseTime":0,"exposed":null}`, `want "[" at exposed, got null`},
		{"float release", `{"batchReleaseTime":1.5,"exposed":[]}`, "batchReleaseTime: want an integer"},
		{"string release", `{"batchReleaseTime":"1","exposed":[]}`, "batchReleaseTime: want an integer"},
		{"negative release", `{"batchReleaseTime":-1,"exposed":[]}`, "batchReleaseTime: want Unix milliseconds"},
		{"trailing data", list(day) + `{}`, "unexpected data after"},
		{"key not a string", list(day, `{"key":1,"keyDate":0}`), "exposed[0].key: want a base64 string"},
		{"key missing", list(day, `{"keyDate":`+itoa(day)+`}`), "exposed[0].key: missing"},
		{"date missing", list(day, `{"key":"`+key+`"}`), "exposed[0].keyDate: missing"},
		{"entry field", list(day, `{"key":"`+key+`","keyDate":0,"onset":"2020-04-10"}`), `exposed[0]: unknown field "onset"`},
		{"bad base64", list(day, entry("not base64!", day)), "exposed[0].key: want standard base64"},
		{"short key", list(day, entry(key[:24], day)), "exposed[0].key: wrong key length"},
		{"date not midnight", list(day+5000, entry(key, day+1000)), "exposed[0].keyDate: malformed published key: want a UTC midnight"},
		{"date after release", list(day, entry(key, day+86_400_000)), "is after batchReleaseTime"},
		{"beyond retention", list(day+RetentionDays*86_400_000, entry(key, day)), "more than the 21-day retention"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeExposedOverview([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("DecodeExposedOverview(%s) = %v, want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
	if _, err := NewExposedOverview([]tracing.PublishedKey{{Key: sk[:16], Start: day0.Unix()}}, day); err == nil {
		t.Error("NewExposedOverview accepted a 16-byte key")
	}
	if _, err := NewExposedOverview([]tracing.PublishedKey{{Key: sk[:], Start: day0.Unix() + 60}}, day+3_600_000); err == nil {
		t.Error("NewExposedOverview accepted a key that does not start at midnight")
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

// FuzzDecodeExposedOverview: any input is refused with an error or decodes
// to a list that converts to valid published keys and encodes back to a
// list that decodes to the same value.
func FuzzDecodeExposedOverview(f *testing.F) {
	sk := mustKey(f, vecSK1)
	key := base64.StdEncoding.EncodeToString(sk[:])
	day := day0.UnixMilli()
	f.Add([]byte(`{"batchReleaseTime":` + itoa(day+3_600_000) + `,"exposed":[{"key":"` + key + `","keyDate":` + itoa(day) + `}]}`))
	f.Add([]byte(`{"batchReleaseTime":0,"exposed":[]}`))
	f.Add([]byte(`{"exposed":[{"keyDate":0,"key":"` + key + `"}],"batchReleaseTime":1}`))
	f.Add([]byte(`{"batchReleaseTime":1e3,"exposed":[]}`))
	f.Add([]byte(`{`))
	p := Default()
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := DecodeExposedOverview(b)
		if err != nil {
			return
		}
		keys, err := o.PublishedKeys(p)
		if err != nil {
			t.Fatalf("decoded %s but the keys do not convert: %v", b, err)
		}
		for i, k := range keys {
			if _, err := p.Expand(nil, k); err != nil {
				t.Fatalf("key %d of %s does not expand: %v", i, b, err)
			}
		}
		again, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		o2, err := DecodeExposedOverview(again)
		if err != nil || o2.BatchReleaseTime != o.BatchReleaseTime || len(o2.Exposed) != len(o.Exposed) {
			t.Fatalf("%s re-encodes to %s, which decodes to %+v, %v", b, again, o2, err)
		}
		for i := range o.Exposed {
			if o2.Exposed[i] != o.Exposed[i] {
				t.Fatalf("entry %d changed: %+v, want %+v", i, o2.Exposed[i], o.Exposed[i])
			}
		}
	})
}
