package protocols_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// exposureOf builds a real exposure of protocol p: a diagnosed phone
// advertises for `minutes` minutes from start+8h, a receiver stores one
// sighting a minute (RSSI cycling through rssis), the diagnosed phone
// uploads its keys, and the protocol's own matcher finds the sightings.
func exposureOf(tb testing.TB, p tracing.Simulated, seed uint64, minutes int, rssis ...int8) *tracing.Exposure {
	tb.Helper()
	start := time.Date(2020, 8, 3, 0, 0, 0, 0, time.UTC)
	var s [32]byte
	s[0] = byte(seed)
	ph, err := p.NewPhone(rand.NewChaCha8(s), start, tracing.PhoneSetup{TXPowerDBm: -10})
	if err != nil {
		tb.Fatal(err)
	}
	var store []tracing.Sighting
	for m := range minutes {
		at := start.Add(8*time.Hour + time.Duration(m)*time.Minute + 7*time.Second)
		id, meta, err := ph.Advert(at)
		if err != nil {
			tb.Fatal(err)
		}
		store = append(store, tracing.Sighting{ID: id, Meta: meta, Time: at.UnixMilli(), RSSI: rssis[m%len(rssis)]})
	}
	keys, err := ph.Upload(start, start.Add(47*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	ms, err := p.Protocol().Match(nil, keys, store)
	if err != nil {
		tb.Fatal(err)
	}
	if len(ms) != minutes {
		tb.Fatalf("%s: %d of %d sightings matched", p.Name(), len(ms), minutes)
	}
	x := &tracing.Exposure{Keys: keys, TXPowerDBm: -10, NowMillis: start.Add(48 * time.Hour).UnixMilli()}
	for n, m := range ms {
		x.Sightings = append(x.Sightings, store[m.Sighting])
		x.Matches = append(x.Matches, tracing.Match{Key: m.Key, Sighting: n, Slot: m.Slot})
	}
	return x
}

// rulesOf lists rules of protocol p to test: every GAEN preset, Bluezone's
// two modes, DP-3T's deployed rule.
func rulesOf(p tracing.Simulated) map[string]tracing.RuleParams {
	out := map[string]tracing.RuleParams{"default": p.DefaultRule()}
	switch p.DefaultRule().(type) {
	case gaen.RuleParams:
		for _, n := range gaen.PresetNames() {
			out[n] = gaen.RuleParams{Preset: n}
		}
	case bluezone.RuleParams:
		f1 := bluezone.DefaultRuleParams()
		f1.Mode, f1.MinMinutes = bluezone.ModeF1, 10
		out["f1"] = f1
	case dp3t.RuleParams:
	}
	return out
}

// TestRulesScore checks the plug-in contract's Scorer on every built-in
// protocol's rules with real exposures: each rule implements it, Score's
// verdict equals Decide's, the verdict is "Value reaches Threshold and is
// above zero" (so a threshold sweep of Value passes through the rule),
// and scoring allocates nothing once the rule's arrays have grown.
func TestRulesScore(t *testing.T) {
	for _, p := range protocols.All()[:4] {
		exps := map[string]*tracing.Exposure{
			"near 40 min": exposureOf(t, p, 1, 40, -55, -60),
			"far 40 min":  exposureOf(t, p, 2, 40, -95, -90),
			"near 5 min":  exposureOf(t, p, 3, 5, -50),
			"mixed 25":    exposureOf(t, p, 4, 25, -50, -70, -85, -95),
		}
		for rn, rp := range rulesOf(p) {
			t.Run(fmt.Sprintf("%s/%s", p.Name(), rn), func(t *testing.T) {
				r, err := rp.NewRule()
				if err != nil {
					t.Fatal(err)
				}
				sr, ok := r.(tracing.Scorer)
				if !ok {
					t.Fatalf("%T is not a tracing.Scorer", r)
				}
				notified := 0
				for en, x := range exps {
					want, err := r.Decide(x)
					if err != nil {
						t.Fatal(err)
					}
					var s tracing.Score
					got, err := sr.Score(x, &s)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("%s: Score says %v, Decide %v", en, got, want)
					}
					if sweep := s.Value > 0 && s.Value >= s.Threshold-1e-9; sweep != got {
						t.Errorf("%s: notify %v but value %v against threshold %v", en, got, s.Value, s.Threshold)
					}
					if s.Sightings != len(x.Matches) || s.DayMillis == 0 && s.Value > 0 {
						t.Errorf("%s: score %+v", en, s)
					}
					if got {
						notified++
					}
					t.Logf("%-12s notify %-5v %+v", en, got, s)
				}
				if rn == "default" && notified == 0 {
					t.Errorf("the deployed rule notified none of the exposures")
				}
				x := exps["mixed 25"]
				var s tracing.Score
				if n := testing.AllocsPerRun(50, func() { _, _ = sr.Score(x, &s) }); n != 0 {
					t.Errorf("Score allocates %.1f times per exposure", n)
				}
			})
		}
	}
}

// BenchmarkRuleScore measures one evaluation of each protocol's deployed
// rule on a 25-minute exposure, through Score (the engine's path: it keeps
// per-pair scores) and Decide, and of GAEN's nhs preset, whose smoother
// steps through every second of an exposure window.
func BenchmarkRuleScore(b *testing.B) {
	for _, p := range protocols.All()[:4] {
		x := exposureOf(b, p, 4, 25, -50, -70, -85, -95)
		r, err := p.DefaultRule().NewRule()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(p.Name()+"/score", func(b *testing.B) {
			var s tracing.Score
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.(tracing.Scorer).Score(x, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.Name()+"/decide", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Decide(x); err != nil {
					b.Fatal(err)
				}
			}
		})
		if p.Name() == "gaen" {
			nhs, err := gaen.RuleParams{Preset: "nhs"}.NewRule()
			if err != nil {
				b.Fatal(err)
			}
			b.Run("gaen-nhs/score", func(b *testing.B) {
				var s tracing.Score
				b.ReportAllocs()
				for b.Loop() {
					if _, err := nhs.(tracing.Scorer).Score(x, &s); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
