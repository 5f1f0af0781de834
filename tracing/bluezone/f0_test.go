package bluezone

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/tracing"
)

// The F0 list of the TD demonstration push (protocols.md §1.7), with the
// vector daily key in place of the tester's base ID.
var tdPush = `{"data":[{"daily_key":"` + vecDailyKey + `","time_start":1596844800,"time_end":1600000000,"max":96}]}`

func TestDecodeF0List(t *testing.T) {
	l, err := DecodeF0List([]byte(tdPush))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := l.PublishedKeys()
	if err != nil {
		t.Fatal(err)
	}
	want := mustKey(t, vecDailyKey)
	if len(keys) != 1 || !bytes.Equal(keys[0].Key, want[:]) || keys[0].Start != 1596844800 ||
		keys[0].End != 1600000000 || keys[0].Slots != 96 {
		t.Fatalf("decoded %+v", keys)
	}
	// json.Unmarshal goes through the same strict decoder.
	var viaJSON F0List
	if err := json.Unmarshal([]byte(tdPush), &viaJSON); err != nil || len(viaJSON.Data) != 1 || viaJSON.Data[0] != l.Data[0] {
		t.Fatalf("json.Unmarshal: %+v %v", viaJSON, err)
	}
	// And what we marshal decodes to the same keys.
	e, err := F0EntryFromKey(keys[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(F0List{Data: []F0Entry{e}})
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeF0List(b)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := back.PublishedKeys()
	if err != nil || !bytes.Equal(k2[0].Key, keys[0].Key) || k2[0].Start != keys[0].Start || k2[0].End != keys[0].End || k2[0].Slots != 96 {
		t.Fatalf("round trip: %s -> %+v %v", b, k2, err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"empty list", `{"data":[]}`, ""},
		{"no data", `{}`, `no "data"`},
		{"data twice", `{"data":[],"data":[]}`, "twice"},
		{"unknown field", `{"data":[],"x":1}`, `unknown field "x"`},
		{"data not a list", `{"data":{}}`, `want "["`},
		{"bad entry", `{"data":[{"daily_key":"00","time_start":0,"time_end":0,"max":96}]}`, "data[0].daily_key"},
		{"trailing", `{"data":[]} {}`, "after the JSON value"},
		{"truncated", `{"data":[`, "unexpected EOF"},
		{"not JSON", `<html>`, "invalid character"},
		{"empty", ``, "EOF"},
	} {
		_, err := DecodeF0List([]byte(tc.in))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestDecodeF0Entry(t *testing.T) {
	entry := func(key, start, end, max string) string {
		return `{"daily_key":` + key + `,"time_start":` + start + `,"time_end":` + end + `,"max":` + max + `}`
	}
	q := func(s string) string { return `"` + s + `"` }
	k := q(vecDailyKey)
	for _, tc := range []struct{ name, in, want string }{
		{"good", entry(k, "1596844800", "1596931199", "96"), ""},
		{"good lowercase, 144 slots", entry(q(strings.ToLower(vecDailyKey)), "1596844800", "1596844800", "144"), ""},
		{"short key", entry(q(vecDailyKey[:62]), "1596844800", "1596931199", "96"), "daily_key"},
		{"long key", entry(q(vecDailyKey+"00"), "1596844800", "1596931199", "96"), "daily_key"},
		{"non-hex key", entry(q("x"+vecDailyKey[1:]), "1596844800", "1596931199", "96"), "daily_key"},
		{"key not a string", entry("42", "1596844800", "1596931199", "96"), "daily_key: want a string"},
		{"key null", entry("null", "1596844800", "1596931199", "96"), "got null"},
		{"max zero", entry(k, "1596844800", "1596931199", "0"), "max"},
		{"max negative", entry(k, "1596844800", "1596931199", "-96"), "max"},
		{"max not dividing the day", entry(k, "1596844800", "1596931199", "97"), "max"},
		{"max huge", entry(k, "1596844800", "1596931199", "99999999999999999999"), "max: want an integer"},
		{"max fractional", entry(k, "1596844800", "1596931199", "96.0"), "max: want an integer"},
		{"max as string", entry(k, "1596844800", "1596931199", `"96"`), "max: want an integer"},
		{"start not midnight", entry(k, "1596844801", "1596931199", "96"), "time_start"},
		{"start negative", entry(k, "-86400", "1596931199", "96"), "time_start"},
		{"start exponent", entry(k, "1.5968448e9", "1596931199", "96"), "time_start: want an integer"},
		{"end before start", entry(k, "1596844800", "1596844799", "96"), "time_end"},
		{"span too long", entry(k, "1596844800", "1696844800", "96"), "time_end"},
		{"missing max", `{"daily_key":` + k + `,"time_start":1596844800,"time_end":1596844800}`, "max: missing"},
		{"duplicate field", `{"daily_key":` + k + `,"daily_key":` + k + `,"time_start":1596844800,"time_end":1596844800,"max":96}`, "twice"},
		{"unknown field", `{"daily_key":` + k + `,"time_start":1596844800,"time_end":1596844800,"max":96,"min":1}`, `unknown field "min"`},
		{"wrong case", `{"Daily_Key":` + k + `,"time_start":1596844800,"time_end":1596844800,"max":96}`, "unknown field"},
		{"array", `[]`, `want "{"`},
		{"trailing", entry(k, "1596844800", "1596931199", "96") + "x", "after the JSON value"},
	} {
		e, err := DecodeF0Entry([]byte(tc.in))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			if _, err := e.PublishedKey(); err != nil {
				t.Errorf("%s: decoded but PublishedKey fails: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestF0EntryFromKeyRejects(t *testing.T) {
	good := tracing.PublishedKey{Key: make([]byte, 32), Start: vecStart, End: vecStart, Slots: 96}
	if _, err := F0EntryFromKey(good); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Start++
	if _, err := F0EntryFromKey(bad); err == nil {
		t.Error("unaligned time_start accepted")
	}
	bad = good
	bad.Key = bad.Key[:31]
	if _, err := F0EntryFromKey(bad); err == nil {
		t.Error("31-byte key accepted")
	}
}

// FuzzDecodeF0List checks that the decoder never panics, and that whatever
// it accepts converts to keys that Expand accepts and survives a
// marshal/decode round trip unchanged.
func FuzzDecodeF0List(f *testing.F) {
	f.Add([]byte(tdPush))
	f.Add([]byte(`{"data":[]}`))
	f.Add([]byte(`{"data":[{"daily_key":"00","time_start":0,"time_end":0,"max":96}]}`))
	f.Add([]byte(`{"daily_key":"` + vecDailyKey + `","time_start":0,"time_end":86400,"max":144}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, err := DecodeF0Entry(b); err == nil {
			l := F0List{Data: []F0Entry{e}}
			checkF0Accepted(t, l)
		}
		l, err := DecodeF0List(b)
		if err != nil {
			return
		}
		checkF0Accepted(t, l)
	})
}

func checkF0Accepted(t *testing.T, l F0List) {
	keys, err := l.PublishedKeys()
	if err != nil {
		t.Fatalf("decoded %+v but PublishedKeys fails: %v", l, err)
	}
	for _, k := range keys {
		if _, err := checkKey(&k); err != nil {
			t.Fatalf("decoded key %+v fails the matcher's check: %v", k, err)
		}
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeF0List(b)
	if err != nil || len(back.Data) != len(l.Data) {
		t.Fatalf("re-decoding %s: %v", b, err)
	}
	for i := range l.Data {
		if back.Data[i] != l.Data[i] {
			t.Fatalf("round trip changed entry %d: %+v -> %+v", i, l.Data[i], back.Data[i])
		}
	}
}
