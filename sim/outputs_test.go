package sim

import (
	"slices"
	"testing"
)

// TestDelaysCoverEveryNotification: the delay histograms hold every
// notification, true positives and false alarms apart (they add up to the
// arm's TP and FP), and only the last bin, the start of the infectious
// window, is censored.
func TestDelaysCoverEveryNotification(t *testing.T) {
	sc := small(600, 4)
	r, _ := run(t, sc, WithWorkers(2))
	last := 24*(sc.Diagnosis.InfectiousDays+1) - 1
	censored := false
	for _, a := range r.Arms {
		var tp, fp int64
		prev := -1
		for _, d := range r.Delays {
			if d.Arm != a.Name {
				continue
			}
			tp += d.TruePositives
			fp += d.FalseAlarms
			if d.Hours <= prev || d.Hours < 0 || d.Hours > last {
				t.Errorf("arm %s: bin %d h after %d h, want increasing bins in [0, %d]", a.Name, d.Hours, prev, last)
			}
			prev = d.Hours
			if d.Censored != (d.Hours == last) {
				t.Errorf("arm %s: bin %d h censored %v", a.Name, d.Hours, d.Censored)
			}
			censored = censored || d.Censored
		}
		if tp != a.TP || fp != a.FP {
			t.Errorf("arm %s: delays of %d true positives and %d false alarms, the arm has %d and %d", a.Name, tp, fp, a.TP, a.FP)
		}
		if fp == 0 {
			t.Errorf("arm %s: no false alarm to check", a.Name)
		}
	}
	if !censored {
		t.Errorf("no notification dated at the window's start: the censored bin is not exercised")
	}
}

// TestAttenuationOfEveryProtocol: a run of Bluezone against GAEN samples
// the attenuation of both (Bluezone's against the nominal TX level, since
// it advertises none), and both grow with distance.
func TestAttenuationOfEveryProtocol(t *testing.T) {
	sc := small(800, 3)
	sc.Metrics.AttenuationSamples = 2000
	r, _ := run(t, sc, WithWorkers(2))
	near, far := map[string][]float64{}, map[string][]float64{}
	for _, s := range r.Attenuation {
		if s.AttenuationDB < 0 {
			t.Fatalf("negative attenuation %+v", s)
		}
		switch {
		case s.DistanceM < 2:
			near[s.Arm] = append(near[s.Arm], s.AttenuationDB)
		case s.DistanceM > 4:
			far[s.Arm] = append(far[s.Arm], s.AttenuationDB)
		}
	}
	for _, g := range []string{"bluezone-uncalibrated", "gaen"} {
		if len(near[g]) < 10 || len(far[g]) < 10 {
			t.Fatalf("group %s: %d samples under 2 m, %d over 4 m", g, len(near[g]), len(far[g]))
		}
		slices.Sort(near[g])
		slices.Sort(far[g])
		if mn, mf := near[g][len(near[g])/2], far[g][len(far[g])/2]; mn >= mf {
			t.Errorf("group %s: median attenuation %.1f dB under 2 m, %.1f dB over 4 m", g, mn, mf)
		}
	}
}
