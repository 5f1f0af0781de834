package epidemic

import (
	"errors"
	"math"
	"testing"
)

// constSource gives every index case k contacts a day, each of dose d:
// new people every day, or the same k people every day (repeat).
type constSource struct {
	n, k   int
	d      float64
	err    error
	repeat bool
}

func (s constSource) Indexes() int { return s.n }

func (s constSource) Doses(i, k int, dst []ContactDose) ([]ContactDose, error) {
	if s.err != nil {
		return dst, s.err
	}
	for j := range s.k {
		c := int32(k*s.k + j)
		if s.repeat {
			c = int32(j)
		}
		dst = append(dst, ContactDose{Contact: c, Dose: s.d})
	}
	return dst, nil
}

// TestCalibrateClosedForm: with a deterministic course (no incubation
// spread, nobody asymptomatic) and k contacts a day of dose D, R0(β) =
// k · Σ_day [1 − exp(−β · inf(day) · D)] exactly; the bisection must land
// on its root.
func TestCalibrateClosedForm(t *testing.T) {
	m := newModel(t, func(p *Params) {
		p.History.IncubationLogSD = 0
		p.History.AsymptomaticFraction = 0
	})
	c := m.DrawCourse(0)
	c.Day = 0
	const k, D = 6, 12.0
	closed := func(beta float64) float64 {
		s := 0.0
		for day := 0; day < 40; day++ {
			s += k * -math.Expm1(-beta*m.Infectiousness(c, float64(day))*D)
		}
		return s
	}
	for _, target := range []float64{0.8, 2.5, 6} {
		beta, err := m.CalibrateBeta(constSource{n: 3, k: k, d: D}, target)
		if err != nil {
			t.Fatal(err)
		}
		if r := closed(beta); math.Abs(r-target) > 1e-6*target {
			t.Errorf("target %g: beta %g gives closed-form R0 %.9f", target, beta, r)
		}
		r0, err := m.R0(constSource{n: 3, k: k, d: D}, beta)
		if err != nil || math.Abs(r0-target) > 1e-6*target {
			t.Errorf("target %g: R0(beta) = %v, %v", target, r0, err)
		}
	}
	// The same k people every day: each is infected at most once, so
	// R0(β) = k · [1 − exp(−β · D · Σ_day inf(day))].
	sumInf := 0.0
	for day := 0; day < 40; day++ {
		sumInf += m.Infectiousness(c, float64(day))
	}
	for _, target := range []float64{0.8, 2.5, 5.9} {
		beta, err := m.CalibrateBeta(constSource{n: 3, k: k, d: D, repeat: true}, target)
		if err != nil {
			t.Fatal(err)
		}
		if r := k * -math.Expm1(-beta*D*sumInf); math.Abs(r-target) > 1e-6*target {
			t.Errorf("repeated contacts, target %g: beta %g gives closed-form R0 %.9f", target, beta, r)
		}
	}
	if _, err := m.CalibrateBeta(constSource{n: 3, k: k, d: D, repeat: true}, 6); err == nil {
		t.Error("reached R0 = 6 with 6 contacts")
	}
}

// TestCalibrateRandomCourses: with the default natural history, the beta
// found from the sampled courses gives R0 = target under an independent
// sample of 20000 courses (drawn with DrawCourse, other keys).
func TestCalibrateRandomCourses(t *testing.T) {
	m := newModel(t, nil)
	const k, D, target = 4, 10.0, 2.5
	beta, err := m.CalibrateBeta(constSource{n: 200, k: k, d: D}, target)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	s := 0.0
	for i := range int32(n) {
		c := m.DrawCourse(i)
		c.Day = 0
		for day := 0; float32(day) < c.End+1; day++ {
			s += k * -math.Expm1(-beta*m.Infectiousness(c, float64(day))*D)
		}
	}
	if r := s / n; math.Abs(r-target) > 0.03*target {
		t.Errorf("beta %g: independent R0 %.3f, want %.1f ± 3%%", beta, r, target)
	}
	t.Logf("beta = %.5g per dose-minute", beta)
}

// TestCalibrateMatchesTransmission: infecting index cases and exposing
// fresh susceptible contacts through Exposures.Resolve (the engine's path)
// at the calibrated beta gives about R0 secondary infections each.
func TestCalibrateMatchesTransmission(t *testing.T) {
	m := newModel(t, nil)
	const k, D, target, nIdx, days = 5, 8.0, 2.5, 2000, 30
	beta, err := m.CalibrateBeta(constSource{n: 300, k: k, d: D}, target)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = m.WithBeta(beta)
	pop, _ := NewPopulation(m, nIdx*(1+k*days))
	for i := range int32(nIdx) {
		if err := pop.Infect(i, 0, -1); err != nil {
			t.Fatal(err)
		}
	}
	next := int32(nIdx)
	var e Exposures
	secondary := 0
	for day := int32(0); day < days; day++ {
		for i := range int32(nIdx) {
			if !pop.CanTransmit(i, day) {
				next += k
				continue
			}
			for range k {
				e.Add(i, next, D)
				next++
			}
		}
		links, err := e.Resolve(pop, day)
		if err != nil {
			t.Fatal(err)
		}
		secondary += len(links)
	}
	r := float64(secondary) / nIdx
	// Offspring variance is about R0 plus the course spread: SE ≈ 0.05.
	if math.Abs(r-target) > 0.2 {
		t.Errorf("simulated R0 %.3f, want %.1f ± 0.2", r, target)
	}
	t.Logf("simulated R0 %.3f", r)
}

func TestCalibrateErrors(t *testing.T) {
	m := newModel(t, nil)
	boom := errors.New("boom")
	tests := []struct {
		name   string
		src    ContactSource
		target float64
	}{
		{"nil source", nil, 2.5},
		{"no index cases", constSource{n: 0, k: 3, d: 1}, 2.5},
		{"no contacts", constSource{n: 5, k: 0, d: 1}, 2.5},
		{"unreachable", constSource{n: 5, k: 1, d: 1}, 1000},
		{"zero target", constSource{n: 5, k: 3, d: 1}, 0},
		{"NaN target", constSource{n: 5, k: 3, d: 1}, math.NaN()},
		{"negative dose", constSource{n: 5, k: 3, d: -1}, 2.5},
		{"source error", constSource{n: 5, k: 3, d: 1, err: boom}, 2.5},
	}
	for _, tc := range tests {
		if b, err := m.CalibrateBeta(tc.src, tc.target); err == nil {
			t.Errorf("%s: beta %g, want an error", tc.name, b)
		}
	}
}

func BenchmarkCalibrateBeta(b *testing.B) {
	m := newModel(b, nil)
	src := constSource{n: 200, k: 10, d: 10}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.CalibrateBeta(src, 2.5); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDoseLog: a log of one week repeated gives the same R0 as the
// equivalent synthetic source, and rejects bad entries.
func TestDoseLog(t *testing.T) {
	m := newModel(t, nil)
	const n, k, D = 20, 3, 7.0
	l, err := NewDoseLog(n, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for day := range 7 {
			for j := range k {
				// The same k people every day, each dose given in two halves.
				for range 2 {
					if err := l.Add(i, day, int32(j), D/2); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	got, err := m.R0(l, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.R0(constSource{n: n, k: k, d: D, repeat: true}, 0.01)
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("R0 from the log %g, from the source %g", got, want)
	}
	if l.Add(n, 0, 1, 1) == nil || l.Add(0, 7, 1, 1) == nil || l.Add(0, 0, 1, math.NaN()) == nil {
		t.Error("DoseLog accepted a bad entry")
	}
	if _, err := NewDoseLog(0, 7); err == nil {
		t.Error("NewDoseLog accepted no index cases")
	}
	s := m.CalibrationSample(1000, 50)
	if len(s) != 50 || s[0] == s[1] {
		t.Errorf("CalibrationSample = %v", s)
	}
}
