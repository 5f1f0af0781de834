package epidemic

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// toyWorld is a minimal engine for testing the day recipe: households of
// four who meet every day, and rounds of random pairings in the community
// (the same pairings every run, keyed by day and round).
type toyWorld struct {
	n, rounds, days int
	hh, comm        float64   // daily dose within a household and per community contact
	pairs           [][]int32 // pairs[day][round*n+i]: i's partner
	adoptionKey     uint64
}

func newToyWorld(n, rounds, days int) *toyWorld {
	w := &toyWorld{n: n, rounds: rounds, days: days, hh: 60, comm: 15}
	for d := range days {
		p := make([]int32, rounds*n)
		for r := range rounds {
			perm := rand.New(rand.NewPCG(uint64(d), uint64(r))).Perm(n)
			for k := 0; k+1 < n; k += 2 {
				p[r*n+perm[k]], p[r*n+perm[k+1]] = int32(perm[k+1]), int32(perm[k])
			}
		}
		w.pairs = append(w.pairs, p)
	}
	return w
}

func (w *toyWorld) household(a int32, dst []int32) []int32 {
	base := a - a%4
	for h := base; h < base+4 && int(h) < w.n; h++ {
		if h != a {
			dst = append(dst, h)
		}
	}
	return dst
}

func (w *toyWorld) community(a int32, day int, dst []int32) []int32 {
	if day < 0 || day >= w.days {
		return dst
	}
	for r := range w.rounds {
		dst = append(dst, w.pairs[day][r*w.n+int(a)])
	}
	return dst
}

// Indexes and Doses make the world a ContactSource for calibration.
func (w *toyWorld) Indexes() int { return 200 }

func (w *toyWorld) Doses(i, k int, dst []ContactDose) ([]ContactDose, error) {
	a := int32(i * (w.n / 200))
	for _, c := range w.household(a, nil) {
		dst = append(dst, ContactDose{c, w.hh})
	}
	for _, c := range w.community(a, k%w.days, nil) {
		dst = append(dst, ContactDose{c, w.comm})
	}
	return dst, nil
}

// simulate runs the recipe for one arm: adoption 0 is the app-free
// counterfactual.
func (w *toyWorld) simulate(t testing.TB, m *Model, adoption float64) *Run {
	t.Helper()
	r, err := NewRun(m, w.n)
	if err != nil {
		t.Fatal(err)
	}
	hasApp := func(a int32) bool { return uniform(key(99, 1, uint64(a), 0, 0)) < adoption }
	contactsOf := func(index, from, to int32, dst []int32) []int32 {
		dst = w.household(index, dst)
		for d := from; d <= to; d++ {
			dst = w.community(index, int(d), dst)
		}
		return dst
	}
	var e Exposures
	var buf []int32
	for day := range int32(w.days) {
		if _, err := r.Seed(day); err != nil {
			t.Fatal(err)
		}
		for a := range int32(w.n) {
			if !r.Pop.CanTransmit(a, day) {
				continue
			}
			buf = w.household(a, buf[:0])
			for _, b := range buf {
				if r.Pop.Susceptible(b) && !r.Excluded(a, b, day, true) {
					e.Add(a, b, w.hh)
				}
			}
			buf = w.community(a, int(day), buf[:0])
			for _, b := range buf {
				if r.Pop.Susceptible(b) && !r.Excluded(a, b, day, false) {
					e.Add(a, b, w.comm)
				}
			}
		}
		if _, err := r.Transmit(&e, day); err != nil {
			t.Fatal(err)
		}
		ups, err := r.Diagnose(day, hasApp, w.household)
		if err != nil {
			t.Fatal(err)
		}
		// A perfect app: every app-using community contact of an uploader
		// in the last 3 days is notified.
		var notices []Notice
		for _, u := range ups {
			for d := day - 3; d <= day; d++ {
				for _, c := range w.community(u, int(d), nil) {
					if hasApp(c) {
						notices = append(notices, Notice{Index: u, Person: c, Day: day})
					}
				}
			}
		}
		if err := r.Notify(day, notices, ReasonApp, w.household); err != nil {
			t.Fatal(err)
		}
		if _, err := r.TraceManually(day, contactsOf, w.household); err != nil {
			t.Fatal(err)
		}
		r.EndDay(day)
	}
	return r
}

func toyModel(t testing.TB, w *toyWorld, edit func(*Params)) *Model {
	t.Helper()
	p := DefaultParams()
	p.Enabled = true
	p.InitialInfections = 10
	if edit != nil {
		edit(&p)
	}
	m, err := NewModel(p, 2020)
	if err != nil {
		t.Fatal(err)
	}
	beta, err := m.CalibrateBeta(w, 2.5)
	if err != nil {
		t.Fatal(err)
	}
	m, err = m.WithBeta(beta)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRunPairedCounterfactual: the arm without the app (adoption 0) and
// an independent rerun of it are identical day by day, and an arm with
// the app shares its seeds and draws (same seeds, fewer infections).
func TestRunPairedCounterfactual(t *testing.T) {
	w := newToyWorld(4000, 3, 50)
	m := toyModel(t, w, func(p *Params) { // no interventions at all
		p.Testing.Probability = 0
		p.InitialInfections = 100
	})
	off := w.simulate(t, m, 0)
	again := w.simulate(t, m, 0)
	if !slices.Equal(off.Series, again.Series) || !slices.Equal(off.Pop.Chain().Links(), again.Pop.Chain().Links()) {
		t.Fatal("the same arm twice differs")
	}
	a, err := Averted(again.Series, off.Series)
	if err != nil || a.Averted != 0 {
		t.Fatalf("app-off pair: %+v, %v", a, err)
	}
	sum := off.Series.Summarize(w.n)
	if sum.Infections < 200 {
		t.Fatalf("only %d infections without interventions: calibration or recipe broken", sum.Infections)
	}
	// The seed cases meet a (nearly) fully susceptible population: their
	// mean number of secondary cases is R0 = 2.5 (SE about 0.2).
	rt := off.Pop.Rt(int32(w.days - 1))
	if rt[0].Cases != 100 || !rt[0].Complete || rt[0].R < 1.9 || rt[0].R > 3.1 {
		t.Errorf("seed cohort %+v, want R about 2.5", rt[0])
	}
	t.Logf("no interventions: %d infections (attack rate %.2f), seed cohort R %.2f", sum.Infections, sum.AttackRate, rt[0].R)

	if sum.Positives != 0 || sum.QuarantinePersonDays != 0 {
		t.Errorf("interventions without testing: %+v", sum)
	}
	m = toyModel(t, w, nil)
	off = w.simulate(t, m, 0)
	on := w.simulate(t, m, 0.6)
	if !slices.Equal(on.Pop.Chain().Links()[:10], off.Pop.Chain().Links()[:10]) {
		t.Error("arms do not share their seed cases")
	}
	av, _ := Averted(on.Series, off.Series)
	t.Logf("60%% adoption: %+v, notifications %d", av, on.Series.Summarize(w.n).AppNotifications)
}

// TestRunPerfectTracingSuppresses: everyone has the app and symptoms,
// is tested within hours of onset, and every notified person is tested and
// complies with their household: the epidemic is suppressed against the
// same world without interventions, and the app arm does no worse than
// its paired counterfactual (testing and isolation alone).
func TestRunPerfectTracingSuppresses(t *testing.T) {
	w := newToyWorld(4000, 3, 50)
	none := w.simulate(t, toyModel(t, w, func(p *Params) { p.Testing.Probability = 0 }), 0).Series.NewInfections()
	m := toyModel(t, w, func(p *Params) {
		p.History.AsymptomaticFraction = 0
		p.Testing = Testing{Probability: 1, DelayMeanDays: 0.01, DelayShape: 1, TestNotified: true, UploadCompliance: 1}
		p.Quarantine = Quarantine{Compliance: 1, Days: 14, Household: true, IsolateCases: true}
	})
	off := w.simulate(t, m, 0)
	on := w.simulate(t, m, 1)
	a, err := Averted(on.Series, off.Series)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("no interventions %d infections; perfect tracing %+v", none, a)
	if a.Base*10 > none {
		t.Errorf("perfect tracing: %d infections against %d without interventions", a.Base, none)
	}
	if a.Averted < 0 {
		t.Errorf("the app added infections: %+v", a)
	}
	out := on.Pop.NotifiedOutcomes(on.Notices, 14)
	if out.Notified == 0 {
		t.Fatal("nobody notified")
	}
	t.Logf("notified outcomes %+v", out)
}

// TestRunAdoptionMonotone: over replicates (seeds), expected infections do
// not grow with adoption.
func TestRunAdoptionMonotone(t *testing.T) {
	if testing.Short() {
		t.Skip("replicates")
	}
	w := newToyWorld(3000, 3, 40)
	levels := []float64{0, 0.4, 0.8}
	mean := make([]float64, len(levels))
	const reps = 4
	for rep := range reps {
		base := toyModel(t, w, nil)
		p := base.Params()
		m, _ := NewModel(p, uint64(1000+rep))
		for i, a := range levels {
			mean[i] += float64(w.simulate(t, m, a).Series.NewInfections()) / reps
		}
	}
	t.Logf("mean infections by adoption %v: %v", levels, mean)
	for i := 1; i < len(mean); i++ {
		if mean[i] > mean[i-1]*1.05 {
			t.Errorf("infections rise from %.0f to %.0f as adoption goes %g→%g", mean[i-1], mean[i], levels[i-1], levels[i])
		}
	}
}
