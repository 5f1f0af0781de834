package epidemic

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/radio"
)

func TestDose(t *testing.T) {
	m := newModel(t, nil)
	tests := []struct {
		name    string
		minutes float64
		dist    float64
		env     radio.Environment
		want    float64
	}{
		{"near field flat", 15, 0.5, radio.Indoor, 15},
		{"at 1 m", 15, 1, radio.Indoor, 15},
		{"inverse square at 2 m", 15, 2, radio.Indoor, 15.0 / 4},
		{"inverse square at 3 m", 9, 3, radio.Indoor, 1},
		{"outdoor 1/18.7", 18.7, 0.5, radio.Outdoor, 1},
		{"vehicle as indoor", 10, 0.8, radio.Vehicle, 10},
		{"zero minutes", 0, 1, radio.Indoor, 0},
		{"negative minutes", -5, 1, radio.Indoor, 0},
		{"NaN minutes", math.NaN(), 1, radio.Indoor, 0},
		{"unknown environment", 10, 1, radio.Environment(9), 0},
		{"NaN distance", 10, math.NaN(), radio.Indoor, 0},
		{"negative distance", 10, -1, radio.Indoor, 0},
	}
	for _, tc := range tests {
		if got := m.Dose(tc.minutes, tc.dist, tc.env); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: Dose(%g, %g, %v) = %g, want %g", tc.name, tc.minutes, tc.dist, tc.env, got, tc.want)
		}
	}
	m3 := newModel(t, func(p *Params) { p.Transmission.DistanceExponent = 3 })
	if got := m3.Dose(8, 2, radio.Indoor); math.Abs(got-1) > 1e-12 {
		t.Errorf("exponent 3: Dose(8, 2) = %g, want 1", got)
	}
	// Doses add over epochs: 15 one-minute epochs equal one 15-minute stay.
	sum := 0.0
	for range 15 {
		sum += m.Dose(1, 1.5, radio.Indoor)
	}
	if math.Abs(sum-m.Dose(15, 1.5, radio.Indoor)) > 1e-12 {
		t.Errorf("doses do not add: %g vs %g", sum, m.Dose(15, 1.5, radio.Indoor))
	}
}

func TestPInfect(t *testing.T) {
	m := newModel(t, func(p *Params) { p.Transmission.Beta = 0.02 })
	if got, want := m.PInfect(15, 1), 1-math.Exp(-0.3); math.Abs(got-want) > 1e-15 {
		t.Errorf("PInfect(15, 1) = %g, want %g", got, want)
	}
	prev := 0.0
	for _, d := range []float64{0, 1, 5, 15, 60, 240, 1440} {
		p := m.PInfect(d, 0.7)
		if p < prev || p < 0 || p > 1 {
			t.Fatalf("PInfect(%g) = %g not monotone in [0,1]", d, p)
		}
		prev = p
	}
	for _, bad := range [][2]float64{{-1, 1}, {1, -1}, {math.NaN(), 1}, {1, math.NaN()}} {
		if p := m.PInfect(bad[0], bad[1]); p != 0 {
			t.Errorf("PInfect(%v) = %g, want 0", bad, p)
		}
	}
}

// TestTransmitsFrequency: the keyed draw succeeds with the probability
// given, and the same key always gives the same answer.
func TestTransmitsFrequency(t *testing.T) {
	m := newModel(t, nil)
	hits := 0
	const n = 100000
	for i := range int32(n) {
		if m.Transmits(i, i+1, 7, 0.3) {
			hits++
		}
		if m.Transmits(i, i+1, 7, 0.3) != m.Transmits(i, i+1, 7, 0.3) {
			t.Fatal("keyed draw not repeatable")
		}
	}
	if f := float64(hits) / n; math.Abs(f-0.3) > 0.006 {
		t.Errorf("success rate %.4f, want 0.3", f)
	}
}

// TestExposuresOrderIndependent: the same doses added in different orders,
// split across workers and merged in different orders, give the same
// infections.
func TestExposuresOrderIndependent(t *testing.T) {
	m := newModel(t, func(p *Params) { p.Transmission.Beta = 0.05 })
	const n = 3000
	type add struct {
		s, t int32
		d    float64
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var adds []add
	for range 20000 {
		s := int32(rng.IntN(30))
		adds = append(adds, add{s, 30 + int32(rng.IntN(n-30)), m.Dose(1, 0.5+3*rng.Float64(), radio.Indoor)})
	}
	run := func(perm []int, workers int, reverseMerge bool) []Link {
		pop, _ := NewPopulation(m, n)
		for s := range int32(30) {
			if err := pop.Infect(s, 0, -1); err != nil {
				t.Fatal(err)
			}
		}
		ws := make([]Exposures, workers)
		for k, i := range perm {
			a := adds[i]
			ws[k%workers].Add(a.s, a.t, a.d)
		}
		var all Exposures
		for w := range workers {
			if reverseMerge {
				w = workers - 1 - w
			}
			all.Merge(&ws[w])
		}
		links, err := all.Resolve(pop, 5)
		if err != nil {
			t.Fatal(err)
		}
		if all.Len() != 0 {
			t.Fatal("Resolve did not empty the accumulator")
		}
		return links
	}
	identity := make([]int, len(adds))
	for i := range identity {
		identity[i] = i
	}
	base := run(identity, 1, false)
	if len(base) == 0 {
		t.Fatal("no infections: test is vacuous")
	}
	for trial := range 3 {
		perm := rand.New(rand.NewPCG(uint64(trial), 9)).Perm(len(adds))
		got := run(perm, 1+trial, trial%2 == 1)
		if !slices.Equal(got, base) {
			t.Fatalf("trial %d: %d infections, want the same %d", trial, len(got), len(base))
		}
	}
	for i := 1; i < len(base); i++ {
		if base[i].Infectee <= base[i-1].Infectee {
			t.Fatal("infections not sorted by infectee")
		}
	}
}

// TestExposuresInfectionProbability: a target exposed to k sources, each
// with probability p, is infected with probability 1 − (1−p)^k, and the
// infector is spread evenly over the sources.
func TestExposuresInfectionProbability(t *testing.T) {
	m := newModel(t, func(p *Params) { p.Transmission.Beta = 0.01; p.History.AsymptomaticFraction = 0 })
	const sources, targets = 3, 20000
	pop, _ := NewPopulation(m, sources+targets)
	for s := range int32(sources) {
		if err := pop.Infect(s, 0, -1); err != nil {
			t.Fatal(err)
		}
	}
	day := int32(0)
	// Find a day on which every source is infectious.
	for d := int32(1); d < 30; d++ {
		ok := true
		for s := range int32(sources) {
			ok = ok && pop.CanTransmit(s, d)
		}
		if ok {
			day = d
			break
		}
	}
	if day == 0 {
		t.Skip("no common infectious day for the sources")
	}
	var e Exposures
	wantNone := 1.0
	for s := range int32(sources) {
		wantNone *= 1 - m.PInfect(10, pop.Infectiousness(s, day))
	}
	for tg := int32(sources); tg < sources+targets; tg++ {
		for s := range int32(sources) {
			e.Add(s, tg, 5)
			e.Add(s, tg, 5)
		}
	}
	links, err := e.Resolve(pop, day)
	if err != nil {
		t.Fatal(err)
	}
	got := float64(len(links)) / targets
	if want := 1 - wantNone; math.Abs(got-want) > 4*math.Sqrt(want*(1-want)/targets)+1e-3 {
		t.Errorf("infected share %.4f, want %.4f", got, want)
	}
	by := make([]int, sources)
	for _, l := range links {
		by[l.Infector]++
		if pop.Susceptible(l.Infectee) {
			t.Fatal("infectee left susceptible")
		}
	}
	t.Logf("infectors: %v", by)
	for s, c := range by {
		if c == 0 {
			t.Errorf("source %d never credited", s)
		}
	}
	// Nobody is infected twice: exposing an infectee again gives no link.
	if len(links) == 0 {
		t.Fatal("no infections: test is vacuous")
	}
	e.Add(0, links[0].Infectee, 1e6)
	again, err := e.Resolve(pop, day)
	if err != nil || len(again) != 0 {
		t.Errorf("re-exposure of an infectee gave %v, %v", again, err)
	}
	var bad Exposures
	bad.Add(0, sources+targets+5, 1)
	if _, err := bad.Resolve(pop, day); err == nil {
		t.Error("Resolve accepted a target out of range")
	}
}

func TestSeedCases(t *testing.T) {
	m := newModel(t, func(p *Params) { p.InitialInfections = 25 })
	a := m.SeedCases(10000)
	if len(a) != 25 || !slices.IsSorted(a) {
		t.Fatalf("SeedCases = %v", a)
	}
	if b := m.SeedCases(10000); !slices.Equal(a, b) {
		t.Fatal("SeedCases not deterministic")
	}
	more := newModel(t, func(p *Params) { p.InitialInfections = 40 }).SeedCases(10000)
	for _, x := range a {
		if _, ok := slices.BinarySearch(more, x); !ok {
			t.Fatalf("seed %d dropped when seeding more", x)
		}
	}
	if got := m.SeedCases(7); len(got) != 7 {
		t.Errorf("SeedCases(7) = %v", got)
	}
}

func BenchmarkDose(b *testing.B) {
	m := newModel(b, nil)
	b.ReportAllocs()
	d, s := 0.5, 0.0
	for b.Loop() {
		s += m.Dose(1, d, radio.Indoor)
		d += 0.001
		if d > 5 {
			d = 0.5
		}
	}
	_ = s
}

func BenchmarkPInfect(b *testing.B) {
	m := newModel(b, nil)
	b.ReportAllocs()
	x, s := 0.0, 0.0
	for b.Loop() {
		s += m.PInfect(x, 0.8)
		x += 0.01
	}
	_ = s
}

func BenchmarkInfectiousness(b *testing.B) {
	m := newModel(b, nil)
	c := m.DrawCourse(1)
	b.ReportAllocs()
	x, s := 0.0, 0.0
	for b.Loop() {
		s += m.Infectiousness(c, x)
		x += 0.01
		if x > 20 {
			x = 0
		}
	}
	_ = s
}

// BenchmarkExposuresAdd adds one epoch's dose for one pair (amortised
// compaction included).
func BenchmarkExposuresAdd(b *testing.B) {
	m := newModel(b, nil)
	var e Exposures
	b.ReportAllocs()
	i := int32(0)
	for b.Loop() {
		e.Add(i%64, 64+(i*7919)%4096, m.Dose(1, 1.5, radio.Indoor))
		i++
	}
}

func BenchmarkDrawCourse(b *testing.B) {
	m := newModel(b, nil)
	b.ReportAllocs()
	i := int32(0)
	for b.Loop() {
		_ = m.DrawCourse(i)
		i++
	}
}

// TestExposuresSums: the table sums each pair's doses exactly (in fixed
// point) through growth and merges, and reports bad agent numbers.
func TestExposuresSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	want := map[[2]int32]float64{}
	var a, b Exposures
	for i := range 50000 {
		s, tg := int32(rng.IntN(100)), int32(rng.IntN(500))
		d := float64(rng.IntN(64)) / 16 // exact in fixed point
		want[[2]int32{s, tg}] += d
		if i%3 == 0 {
			b.Add(s, tg, d)
		} else {
			a.Add(s, tg, d)
		}
	}
	a.Merge(&b)
	if b.Len() != 0 {
		t.Fatal("Merge left the source non-empty")
	}
	pairs := a.Pairs()
	n := 0
	for _, w := range want {
		if w > 0 {
			n++
		}
	}
	if len(pairs) != n {
		t.Fatalf("%d pairs, want %d", len(pairs), n)
	}
	for i, p := range pairs {
		if p.Dose != want[[2]int32{p.Source, p.Target}] {
			t.Fatalf("pair %d->%d: dose %g, want %g", p.Source, p.Target, p.Dose, want[[2]int32{p.Source, p.Target}])
		}
		if i > 0 && (pairs[i-1].Target > p.Target || pairs[i-1].Target == p.Target && pairs[i-1].Source >= p.Source) {
			t.Fatal("pairs not sorted by (target, source)")
		}
	}
	pop, _ := NewPopulation(newModel(t, nil), 10)
	var bad Exposures
	bad.Add(-1, 3, 1)
	if _, err := bad.Resolve(pop, 1); err == nil {
		t.Error("Resolve accepted a negative source")
	}
}
