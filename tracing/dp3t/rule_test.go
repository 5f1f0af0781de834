package dp3t

import (
	"math"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

func TestRuleScore(t *testing.T) {
	r := DefaultRuleParams()
	ms := func(h, m float64) int64 {
		return day0.Add(time.Duration((h*60 + m) * float64(time.Minute))).UnixMilli()
	}
	every := func(key int, fromMin, toMin, stepMin, att float64) []Exposure {
		var out []Exposure
		for m := fromMin; m <= toMin; m += stepMin {
			out = append(out, Exposure{Key: key, Time: ms(10, m), AttenuationDB: att})
		}
		return out
	}
	cat := func(xs ...[]Exposure) []Exposure {
		var out []Exposure
		for _, x := range xs {
			out = append(out, x...)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		exps     []Exposure
		minutes  [3]float64
		weighted float64
		notify   bool
	}{
		{"none", nil, [3]float64{}, 0, false},
		{"one sighting stands for a scan period", every(0, 0, 0, 5, 50), [3]float64{5, 0, 0}, 5, false},
		{"near, 5-min scans, 10 to 20 min", every(0, 0, 10, 5, 50), [3]float64{15, 0, 0}, 15, true},
		{"middle bucket halves", every(0, 0, 25, 5, 60), [3]float64{0, 30, 0}, 15, true},
		{"threshold is in the upper bucket", every(0, 0, 25, 5, 55), [3]float64{0, 30, 0}, 15, true},
		{"far counts nothing", every(0, 0, 60, 5, 70), [3]float64{0, 0, 65}, 0, false},
		{"gaps are capped at the scan period", every(0, 0, 60, 30, 50), [3]float64{15, 0, 0}, 15, true},
		{"2-min scans", every(0, 0, 12, 2, 50), [3]float64{5 + 12, 0, 0}, 17, true},
		{"two keys add up", cat(every(0, 0, 5, 5, 50), every(1, 0, 0, 5, 50)), [3]float64{15, 0, 0}, 15, true},
		{"duplicate sightings in one scan", cat(every(0, 0, 0, 5, 50), every(0, 0, 0, 5, 50)), [3]float64{5, 0, 0}, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			days, err := r.Score(tc.exps)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.exps) == 0 {
				if len(days) != 0 {
					t.Fatalf("days %+v, want none", days)
				}
				return
			}
			if len(days) != 1 {
				t.Fatalf("%d days, want 1: %+v", len(days), days)
			}
			d := days[0]
			if d.Day != day0.Unix() || d.Minutes != tc.minutes || math.Abs(d.WeightedMinutes-tc.weighted) > 1e-9 || d.Notify != tc.notify {
				t.Errorf("score %+v, want minutes %v weighted %g notify %v", d, tc.minutes, tc.weighted, tc.notify)
			}
			notify, _, err := r.Notify(tc.exps)
			if err != nil || notify != tc.notify {
				t.Errorf("Notify = %v, %v, want %v", notify, err, tc.notify)
			}
		})
	}
}

func TestRuleDaysAreSeparate(t *testing.T) {
	r := DefaultRuleParams()
	// Scans every 5 minutes from 23:50 to 00:10: the two sightings before
	// midnight make 10 minutes (below the trigger), the three from
	// midnight on 15, because an exposure restarts at each UTC day.
	var exps []Exposure
	for m := -10; m <= 10; m += 5 {
		exps = append(exps, Exposure{Key: 3, Time: day0.Add(24*time.Hour + time.Duration(m)*time.Minute).UnixMilli(), AttenuationDB: 40})
	}
	days, err := r.Score(exps)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Day != day0.Unix() || days[1].Day != day0.Unix()+daySecs {
		t.Fatalf("days %+v", days)
	}
	if days[0].Minutes[0] != 10 || days[1].Minutes[0] != 15 || days[0].Notify || !days[1].Notify {
		t.Errorf("days %+v, want 10 min (no) then 15 min (notify)", days)
	}
	notify, first, _ := r.Notify(exps)
	if !notify || first.Day != days[1].Day {
		t.Errorf("Notify = %v, %+v", notify, first)
	}
}

func TestRuleValidate(t *testing.T) {
	if err := DefaultRuleParams().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(*RuleParams)
	}{
		{"thresholds swapped", func(r *RuleParams) { r.LowerThresholdDB = 70 }},
		{"NaN threshold", func(r *RuleParams) { r.UpperThresholdDB = math.NaN() }},
		{"negative weight", func(r *RuleParams) { r.MiddleWeight = -1 }},
		{"infinite weight", func(r *RuleParams) { r.LowerWeight = math.Inf(1) }},
		{"zero trigger", func(r *RuleParams) { r.TriggerMinutes = 0 }},
		{"zero scan period", func(r *RuleParams) { r.ScanPeriodMinutes = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := DefaultRuleParams()
			tc.edit(&r)
			if err := r.Validate(); err == nil {
				t.Error("Validate accepted it")
			}
			if _, err := r.Score([]Exposure{{}}); err == nil {
				t.Error("Score accepted it")
			}
		})
	}
	if _, err := DefaultRuleParams().Score([]Exposure{{AttenuationDB: math.NaN()}}); err == nil {
		t.Error("Score accepted a NaN attenuation")
	}
}

func TestExposures(t *testing.T) {
	store := []tracing.Sighting{{Time: 1000, RSSI: -70}, {Time: 2000, RSSI: 10}}
	got, err := Exposures(nil, []tracing.Match{{Key: 2, Sighting: 1}, {Key: 0, Sighting: 0}}, store, -10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Exposure{{Key: 2, Time: 2000, AttenuationDB: 0}, {Key: 0, Time: 1000, AttenuationDB: 60}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Exposures = %+v, want %+v", got, want)
	}
	if _, err := Exposures(nil, []tracing.Match{{Sighting: 2}}, store, 0); err == nil {
		t.Error("a match past the store's end was accepted")
	}
}
