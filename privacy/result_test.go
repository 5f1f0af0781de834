package privacy

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"math/rand/v2"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
)

func TestShare(t *testing.T) {
	for _, tc := range []struct {
		k, n   int64
		lo, hi float64
	}{
		// The closed form (Wilson 1927), as R's prop.test(correct = FALSE)
		// and statsmodels' proportion_confint(method="wilson") give it.
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{81, 263, 0.2553, 0.3662},
	} {
		s := NewShare(tc.k, tc.n)
		if math.Abs(s.Low-tc.lo) > 1e-4 || math.Abs(s.High-tc.hi) > 1e-4 || s.Value != float64(tc.k)/float64(tc.n) {
			t.Errorf("NewShare(%d, %d) = %+v; want %.4f-%.4f", tc.k, tc.n, s, tc.lo, tc.hi)
		}
		if s.Low < 0 || s.High > 1 || s.Low > s.Value || s.High < s.Value {
			t.Errorf("NewShare(%d, %d) = %+v outside [0, 1] or not around the value", tc.k, tc.n, s)
		}
	}
	for _, bad := range [][2]int64{{0, 0}, {3, 2}, {-1, 5}} {
		if s := NewShare(bad[0], bad[1]); !isNaN(s.Value) || !isNaN(s.Low) || !isNaN(s.High) {
			t.Errorf("NewShare(%d, %d) = %+v, want NaN", bad[0], bad[1], s)
		}
	}
}

func sampleResults() []Result {
	mk := func(proto string, linked, mean, multi float64, traced, homes int64, key, slot float64) Result {
		return Result{
			Protocol: proto, Sniffers: 99, AppUsers: 30, AppUsersInRange: 27, InRange: NewShare(27, 30),
			Sightings: 500_000, IDsHeard: 3000, Tracks: 300, Bridges: 2700, LinkPrecision: NewShare(2400, 2700),
			LinkedSightings: int64(linked * 500_000), LinkedTime: NewShare(int64(linked*500_000), 500_000), MeanTrackMinutes: mean,
			MultiDaySightings: int64(multi * 500_000), MultiDay: NewShare(int64(multi*500_000), 500_000),
			PublishedKeys: 10, IDsRecomputed: 1640, Uploaders: 10, UploadersTraced: traced, Traced: NewShare(traced, 10),
			HomesIdentified: homes, Homes: NewShare(homes, 10), HomesNearest: homes - homes/3, HomesNearestShare: NewShare(homes-homes/3, 10),
			KeyRevealedMinutes: key, SlotRevealedMinutes: slot,
		}
	}
	v1 := mk("bluezone-v1", 1, 2381, 0.98, 10, 10, 1440, 1440)
	v1.Bridges, v1.LinkPrecision = 0, NewShare(0, 0)
	none := mk("dp3t", 0.55, 25, 0.004, 0, 0, math.NaN(), math.NaN())
	none.Uploaders, none.Traced, none.Homes, none.HomesNearestShare = 0, NewShare(0, 0), NewShare(0, 0), NewShare(0, 0)
	return []Result{v1, mk("bluezone", 0.948, 148, 0, 10, 10, 1440, 559), mk("gaen", 0.951, 126, 0, 8, 7, 1020, 413), none}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed; if on purpose, run go test -update\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// TestResultJSON pins the summary.json object: every documented key in
// order, plain numbers, null for undefined shares.
func TestResultJSON(t *testing.T) {
	var b bytes.Buffer
	for _, r := range sampleResults() {
		j, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
		var back map[string]any
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatalf("%s: %v", j, err)
		}
		if len(back) != len(Keys()) {
			t.Errorf("%d keys in the JSON, %d documented", len(back), len(Keys()))
		}
		for _, k := range Keys() {
			if _, ok := back[strings.TrimPrefix(k.Key, "privacy.")]; !ok {
				t.Errorf("documented key %s missing from %s", k.Key, j)
			}
		}
	}
	golden(t, "results.jsonl", b.Bytes())
	seen := map[string]bool{}
	for _, k := range Keys() {
		if !strings.HasPrefix(k.Key, "privacy.") || k.Doc == "" || seen[k.Key] || strings.ToLower(k.Key) != k.Key {
			t.Errorf("key %q (%q) is not a documented, unique, snake_case privacy key", k.Key, k.Doc)
		}
		seen[k.Key] = true
	}
}

func TestParagraph(t *testing.T) {
	text := Paragraph(sampleResults()...)
	golden(t, "paragraph.txt", []byte(text+"\n"))
	for _, want := range []string{"99 Bluetooth sniffers", "Bluezone v1", "hour or more", "point to the home of 7 (70 in 100",
		"Nobody shared keys", "A fixed ID is the easiest to follow"} {
		if !strings.Contains(text, want) {
			t.Errorf("the paragraph lacks %q:\n%s", want, text)
		}
	}
	if Paragraph() != "" {
		t.Error("a paragraph about no arm")
	}
	for _, tc := range []struct {
		min  float64
		want string
	}{{45, "45 minutes"}, {150, "2.5 hours"}, {2880, "2.0 days"}} {
		if got := duration(tc.min); got != tc.want {
			t.Errorf("duration(%v) = %q, want %q", tc.min, got, tc.want)
		}
	}
	if got := count(1234567); got != "1,234,567" {
		t.Errorf("count = %q", got)
	}
	if got := in100(0.004); got != "0.4 in 100" {
		t.Errorf("in100(0.004) = %q", got)
	}
}

// TestAnalyzeScoring checks the uploader scoring on a hand-made log: keys
// grouped by the truth's labels, a GAEN uploader's night sightings pooled
// over its keys, a padding key traced but not scored.
func TestAnalyzeScoring(t *testing.T) {
	d, err := gaen.NewDevice(rand.NewChaCha8([32]byte{1}), time.UnixMilli(t0))
	if err != nil {
		t.Fatal(err)
	}
	e := gaenPhone(t, 2)
	sn := lineSniffers(3)
	// d sleeps by sniffer 2 on two nights (22:00-23:00 local), e by
	// sniffer 0 on the first night only, with too few sightings.
	recs := stay(t, nil, 2, d, hm(15, 0), hm(16, 0), -75)
	recs = stay(t, recs, 2, d, hm(15, 0)+dayMs, hm(16, 0)+dayMs, -75)
	recs = stay(t, recs, 0, e, hm(15, 0), hm(15, 0)+30_000, -75)
	l := buildLog(t, 3, 16, 0, recs)
	keys := append(upload(t, d, hm(0, 0), hm(0, 0)+2*dayMs-1000), upload(t, e, hm(0, 0), hm(23, 0))...)
	padding := gaen.PublishedKeyFor(gaen.TEK{0xee}, uint32(hm(0, 0)/600_000), 144)
	keys = append(keys, padding)
	truth := Truth{AppUsers: 5, AppUsersInRange: 2}
	for _, k := range keys[:2] {
		truth.Keys = append(truth.Keys, KeyTruth{Key: k.Key, Uploader: 77, Home: Point{190, 5}})
	}
	truth.Keys = append(truth.Keys, KeyTruth{Key: keys[2].Key, Uploader: 3, Home: Point{-50, 0}})
	a, err := Analyze(Input{Protocol: gaen.Protocol{}, Sniffers: sn, Log: l, Keys: keys, Truth: truth, Params: DefaultParams()})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Result
	if r.PublishedKeys != 4 || r.Uploaders != 2 || r.UploadersTraced != 1 || r.HomesIdentified != 2 || len(a.Tracing.Keys) != 4 {
		t.Fatalf("%+v", r)
	}
	want := []UploaderScore{
		{Uploader: 3, Keys: []int{2}, Home: 0, TrueHome: 0, HomeFound: true},
		{Uploader: 77, Keys: []int{0, 1}, Traced: true, Home: 2, TrueHome: 2, HomeFound: true, Minutes: 60, SlotMinutes: 60},
	}
	for i, u := range a.Uploaders {
		u.spanMs, u.slotMs = 0, 0
		if w := want[i]; u.Uploader != w.Uploader || u.Traced != w.Traced || u.Home != w.Home || u.TrueHome != w.TrueHome ||
			u.HomeFound != w.HomeFound || u.Minutes != w.Minutes || u.SlotMinutes != w.SlotMinutes || len(u.Keys) != len(w.Keys) {
			t.Errorf("uploader %d: %+v, want %+v", i, u, w)
		}
	}
	// e's 3 sightings are too few to count as traced, but they are all
	// at night, by its home.
	if r.Homes.K != 2 || r.Traced.K != 1 || r.Traced.N != 2 {
		t.Errorf("homes %+v traced %+v", r.Homes, r.Traced)
	}
	// Both home sniffers are also the nearest ones to the real homes.
	if r.HomesNearest != 2 || r.HomesNearestShare.K != 2 || r.HomesNearestShare.N != 2 {
		t.Errorf("homes nearest %d, share %+v", r.HomesNearest, r.HomesNearestShare)
	}
	if r.Bridges != 10 || !isNaN(r.LinkPrecision.Value) || r.InRange.Value != 0.4 {
		t.Errorf("%d bridges (d's hourly rotations), link precision %+v (no owner truth), in range %+v", r.Bridges, r.LinkPrecision, r.InRange)
	}
	// With the owners known, every bridge joins d's own IDs.
	truth.Owner = func(id tracing.ID) (uint64, bool) {
		for at := hm(15, 0); at < hm(16, 0)+dayMs; at += 600_000 {
			if idAt(t, d, at) == id {
				return 77, true
			}
		}
		return 0, false
	}
	a, err = Analyze(Input{Protocol: gaen.Protocol{}, Sniffers: sn, Log: l, Keys: keys, Truth: truth, Params: DefaultParams()})
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Result.LinkPrecision; p.K != 10 || p.N != 10 {
		t.Errorf("link precision %+v, want 10 of 10", p)
	}

	// Errors.
	dup := truth
	dup.Keys = append(dup.Keys[:3:3], KeyTruth{Key: keys[0].Key, Uploader: 5})
	bad := truth
	bad.AppUsersInRange = 9
	for _, tc := range []struct {
		name string
		in   Input
		want string
	}{
		{"key given twice", Input{Protocol: gaen.Protocol{}, Sniffers: sn, Log: l, Keys: keys, Truth: dup, Params: DefaultParams()}, "is given twice, for different uploaders"},
		{"more in range than users", Input{Protocol: gaen.Protocol{}, Sniffers: sn, Log: l, Keys: keys, Truth: bad, Params: DefaultParams()}, "9 app users in range of 5"},
		{"no protocol", Input{Sniffers: sn, Log: l}, "no protocol"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Analyze(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Analyze = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
