package epidemic

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func newModel(t testing.TB, edit func(*Params)) *Model {
	t.Helper()
	p := DefaultParams()
	p.Transmission.Beta = 0.01
	if edit != nil {
		edit(&p)
	}
	m, err := NewModel(p, 42)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCourseDistributions checks the drawn courses against the parameters
// they come from: the asymptomatic share, the lognormal incubation's log
// mean and log SD, and the infectious window.
func TestCourseDistributions(t *testing.T) {
	m := newModel(t, nil)
	h := m.Params().History
	const n = 20000
	logs := make([]float64, n)
	asym := 0
	for i := range n {
		c := m.DrawCourse(int32(i))
		if c.Day != NotInfected {
			t.Fatal("DrawCourse set Day")
		}
		logs[i] = math.Log(float64(c.Onset))
		if c.Asymptomatic {
			asym++
		}
		wantStart := math.Max(h.MinLatentDays, float64(c.Onset)-h.ProfileShiftDays)
		if math.Abs(float64(c.Start)-wantStart) > 1e-5 || math.Abs(float64(c.End-c.Onset)-h.InfectiousDaysAfterOnset) > 1e-4 {
			t.Fatalf("course %d: %+v: window wrong", i, c)
		}
	}
	mean, sd := stat.MeanStdDev(logs, nil)
	// Standard errors: sd/√n ≈ 0.003 for the mean, sd/√(2n) ≈ 0.002 for sd.
	if math.Abs(mean-math.Log(h.IncubationMedianDays)) > 0.012 {
		t.Errorf("log incubation mean %.4f, want %.4f", mean, math.Log(h.IncubationMedianDays))
	}
	if math.Abs(sd-h.IncubationLogSD) > 0.01 {
		t.Errorf("log incubation SD %.4f, want %.4f", sd, h.IncubationLogSD)
	}
	if f := float64(asym) / n; math.Abs(f-h.AsymptomaticFraction) > 0.015 {
		t.Errorf("asymptomatic share %.4f, want %.2f", f, h.AsymptomaticFraction)
	}
}

// TestInfectiousnessProfile checks the He et al. profile: peak 1 at 0.7
// days before onset, zero outside the window, 44 % of the (untruncated)
// profile before onset, and the asymptomatic scale.
func TestInfectiousnessProfile(t *testing.T) {
	m := newModel(t, nil)
	c := Course{Day: 0, Start: 8 - 2.3066, Onset: 8, End: 18}
	peakT, peak := 0.0, 0.0
	before, total := 0.0, 0.0
	const dt = 0.001
	for x := 0.0; x < 20; x += dt {
		v := m.Infectiousness(c, x)
		if v < 0 || v > 1+1e-12 {
			t.Fatalf("infectiousness %g at %g outside [0,1]", v, x)
		}
		if v > peak {
			peak, peakT = v, x
		}
		total += v * dt
		if x < 8 {
			before += v * dt
		}
	}
	if math.Abs(peak-1) > 1e-6 || math.Abs(peakT-(8-0.69)) > 0.02 {
		t.Errorf("peak %g at %g, want 1 at %g (0.7 days before onset)", peak, peakT, 8-0.69)
	}
	if f := before / total; math.Abs(f-0.44) > 0.02 {
		t.Errorf("pre-symptomatic share %.3f, want about 0.44 (He et al. 2020)", f)
	}
	for _, x := range []float64{-1, 0, 5.69, 18, 25} {
		if v := m.Infectiousness(c, x); v != 0 {
			t.Errorf("infectiousness %g at %g outside the window", v, x)
		}
	}
	a := c
	a.Asymptomatic = true
	if got, want := m.Infectiousness(a, 7.3), 0.5*m.Infectiousness(c, 7.3); math.Abs(got-want) > 1e-12 {
		t.Errorf("asymptomatic infectiousness %g, want %g", got, want)
	}
}

// TestGenerationTime reports the generation time the natural history
// implies (infectiousness-weighted time since infection, averaged over
// courses) and checks it lies in the 2020 range: Ferretti et al. (Science
// 2020) Weibull mean 5.0 days; He et al. serial interval 5.8 days; Ganyani
// et al. (Euro Surveill 2020) 5.2 (Singapore) to 3.95 (Tianjin).
func TestGenerationTime(t *testing.T) {
	m := newModel(t, nil)
	var num, den, preNum float64
	for i := range 4000 {
		c := m.DrawCourse(int32(i))
		for x := 0.0; x < float64(c.End)+1; x += 0.05 {
			v := m.Infectiousness(c, x)
			num += v * x
			den += v
			if x < float64(c.Onset) && !c.Asymptomatic {
				preNum += v
			}
		}
	}
	g := num / den
	t.Logf("implied mean generation time %.2f days", g)
	if g < 4.5 || g > 7 {
		t.Errorf("mean generation time %.2f days, want 4.5..7", g)
	}
}

// TestCourseCommonRandomNumbers: a person's course depends on the seed and
// the person only, not on who else was infected first, nor when.
func TestCourseCommonRandomNumbers(t *testing.T) {
	m := newModel(t, nil)
	const n = 200
	a, _ := NewPopulation(m, n)
	b, _ := NewPopulation(m, n)
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	for i := range n {
		if err := a.Infect(int32(i), 3, -1); err != nil {
			t.Fatal(err)
		}
	}
	for k, i := range order {
		if err := b.Infect(int32(i), int32(3+k%5), -1); err != nil {
			t.Fatal(err)
		}
	}
	for i := range int32(n) {
		ca, cb := a.Course(i), b.Course(i)
		cb.Day = ca.Day
		if ca != cb {
			t.Fatalf("agent %d: course %+v in one order, %+v in another", i, ca, cb)
		}
	}
	other, _ := NewModel(m.Params(), 43)
	same := 0
	for i := range int32(n) {
		if other.DrawCourse(i).Onset == m.DrawCourse(i).Onset {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d courses equal under another seed", same)
	}
	if err := a.Infect(0, 4, -1); err == nil {
		t.Error("infected agent 0 twice")
	}
	if err := a.Infect(n, 4, -1); err == nil {
		t.Error("infected an agent out of range")
	}
}

func TestStateOn(t *testing.T) {
	c := Course{Day: 10, Start: 2, Onset: 4.5, End: 14.5}
	tests := []struct {
		day  int32
		want State
	}{{9, Susceptible}, {10, Exposed}, {11, Exposed}, {12, Presymptomatic}, {14, Presymptomatic}, {15, Symptomatic}, {24, Symptomatic}, {25, Recovered}}
	for _, tc := range tests {
		if got := c.StateOn(tc.day); got != tc.want {
			t.Errorf("day %d: %v, want %v", tc.day, got, tc.want)
		}
	}
	c.Asymptomatic = true
	if got := c.StateOn(13); got != Asymptomatic {
		t.Errorf("asymptomatic course on day 13: %v", got)
	}
	if got := (Course{Day: NotInfected}).StateOn(5); got != Susceptible {
		t.Errorf("uninfected: %v", got)
	}
}
