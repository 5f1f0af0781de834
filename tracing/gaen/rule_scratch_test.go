package gaen

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// A rule keeps its exposure-window memory and its AEM ciphers from one
// evaluation to the next. Evaluating many exposures in a row, from several
// devices and keys, must decide exactly as a fresh evaluation of each
// (ExposureWindows and Config.Decide), and the windows built in the
// scratch memory must equal those ExposureWindows returns.
func TestRuleReusesScratch(t *testing.T) {
	start := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(5, 6))
	type exposure struct {
		keys    []tracing.PublishedKey
		store   []tracing.Sighting
		matches []tracing.Match
		corr    int
	}
	var exps []exposure
	for dev := range 6 {
		tek := make([]byte, KeyLen)
		for i := range tek {
			tek[i] = byte(r.IntN(256))
		}
		d, err := DeviceFromTEK(tek, start)
		if err != nil {
			t.Fatal(err)
		}
		md, _ := NewMetadata(0x40, -20+dev)
		for range 8 {
			var store []tracing.Sighting
			at := start.Add(time.Duration(r.IntN(600)) * time.Minute)
			for n := r.IntN(60); n >= 0; n-- {
				id, aem, err := d.AdvertAt(at, md)
				if err != nil {
					t.Fatal(err)
				}
				store = append(store, tracing.Sighting{ID: id, Time: at.UnixMilli(), RSSI: int8(-45 - r.IntN(50)), Meta: aem})
				at = at.Add(time.Duration(5+r.IntN(400)) * time.Second)
			}
			keys, err := d.Upload(start, at)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := MatchKeys(nil, keys, store)
			if err != nil || len(ms) != len(store) {
				t.Fatalf("%d matches of %d sightings, err %v", len(ms), len(store), err)
			}
			exps = append(exps, exposure{keys, store, ms, r.IntN(9) - 4})
		}
	}
	r.Shuffle(len(exps), func(i, j int) { exps[i], exps[j] = exps[j], exps[i] })
	notified := 0
	for _, p := range []RuleParams{DefaultRuleParams(), {Preset: "cwa", TriggerMinutes: 5}} {
		cfg, err := p.Config()
		if err != nil {
			t.Fatal(err)
		}
		rule, err := p.NewRule()
		if err != nil {
			t.Fatal(err)
		}
		sc := &rule.(*configRule).sc
		for i, x := range exps {
			want, err := ExposureWindows(x.keys, x.store, x.matches, x.corr, WindowOptions{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := cfg.Decide(want, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := rule.Decide(&tracing.Exposure{Keys: x.keys, Sightings: x.store, Matches: x.matches, RSSICorrectionDB: x.corr})
			if err != nil || got != d.Notify {
				t.Fatalf("exposure %d: rule %v (%v), fresh evaluation %v", i, got, err, d.Notify)
			}
			if d.Notify {
				notified++
			}
			ws, err := sc.exposureWindows(x.keys, x.store, x.matches, x.corr, WindowOptions{})
			if err != nil || !reflect.DeepEqual(ws, want) {
				t.Fatalf("exposure %d: scratch windows differ from ExposureWindows", i)
			}
		}
	}
	if notified == 0 || notified == 2*len(exps) {
		t.Fatalf("%d of %d evaluations notified: the comparison checks too little", notified, 2*len(exps))
	}
}
