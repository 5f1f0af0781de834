package target

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func mustGoal(t *testing.T, s string) Goal {
	t.Helper()
	g, err := ParseGoal(s)
	if err != nil {
		t.Fatalf("ParseGoal(%q): %v", s, err)
	}
	return g
}

// deterministic wraps f(a) as an EvalFunc that ignores the replicate and
// counts calls.
func deterministic(f func(float64) float64, calls *int) EvalFunc {
	return Values(func(_ context.Context, a float64, _ int) (float64, error) {
		*calls++
		return f(a), nil
	})
}

// TestSearchFindsThreshold: on deterministic monotone functions the answer
// is the first adoption meeting the goal, within the tolerance, and the
// bracket straddles the true threshold.
func TestSearchFindsThreshold(t *testing.T) {
	cases := []struct {
		name      string
		goal      string
		f         func(float64) float64
		max, tol  float64
		threshold float64
	}{
		{"linear coverage", "coverage>=0.37", func(a float64) float64 { return a }, 0.8, 0.01, 0.37},
		{"pairwise law", "coverage>=0.2", func(a float64) float64 { return 0.9 * a * a }, 0.78, 0.005, math.Sqrt(0.2 / 0.9)},
		{"strict above", "capture>0.5", func(a float64) float64 { return math.Min(1, 2*a) }, 1, 0.001, 0.25},
		{"falling below", "false_positive_rate<1", func(a float64) float64 { return 2 - 3*a }, 0.9, 0.01, 1.0 / 3},
		{"falling at most", "false_positive_rate<=0.5", func(a float64) float64 { return 1 - a }, 0.9, 0.02, 0.5},
		{"step", "coverage>=0.5", func(a float64) float64 {
			if a >= 0.6180339 {
				return 1
			}
			return 0
		}, 0.95, 0.0001, 0.6180339},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls int
			c := Config{Goal: mustGoal(t, tc.goal), Max: tc.max, Replicates: 3, Confidence: 0.95, Tolerance: tc.tol}
			out, err := Search(context.Background(), c, deterministic(tc.f, &calls))
			if err != nil {
				t.Fatal(err)
			}
			if !out.Found {
				t.Fatalf("not found; points %+v", out.Points)
			}
			if out.Answer < tc.threshold || out.Answer-tc.threshold > tc.tol {
				t.Errorf("answer %v, want in [%v, %v]", out.Answer, tc.threshold, tc.threshold+tc.tol)
			}
			if out.BracketLo > tc.threshold || out.Answer-out.BracketLo >= tc.tol {
				t.Errorf("bracket [%v, %v] does not hold %v or is not narrower than %v", out.BracketLo, out.Answer, tc.threshold, tc.tol)
			}
			if !out.At.Met || out.At.Adoption != out.Answer {
				t.Errorf("point at the answer %+v", out.At)
			}
			if len(out.Points) > c.MaxProbes() {
				t.Errorf("%d probes, more than MaxProbes %d", len(out.Points), c.MaxProbes())
			}
			if calls != len(out.Points)*c.Replicates {
				t.Errorf("%d evaluations for %d points of %d replicates", calls, len(out.Points), c.Replicates)
			}
			if len(out.Warnings) > 0 {
				t.Errorf("warnings on a monotone function: %v", out.Warnings)
			}
			// Zero replicate noise: the interval collapses on the mean.
			if math.Abs(out.At.Lo-out.At.Mean) > 1e-12 || math.Abs(out.At.Hi-out.At.Mean) > 1e-12 {
				t.Errorf("interval [%v, %v] around %v with identical replicates", out.At.Lo, out.At.Hi, out.At.Mean)
			}
		})
	}
}

// TestSearchConfidenceBound: with replicate noise the goal is judged on
// the one-sided bound, so the answer moves above the point threshold by
// exactly t(n−1, confidence)·sd/√n, as computed here by hand.
func TestSearchConfidenceBound(t *testing.T) {
	noise := []float64{-0.04, 0.03, 0.01, -0.02, 0.02} // mean 0, CRN: the same at every adoption
	n := float64(len(noise))
	ss := 0.0
	for _, e := range noise {
		ss += e * e
	}
	sd := math.Sqrt(ss / (n - 1))
	eval := func(_ context.Context, a float64, r int) (float64, error) { return a + noise[r], nil }
	for _, tc := range []struct {
		goal string
		conf float64
		sign float64 // +1: lower bound decides (threshold moves up)
		base float64
	}{
		{"coverage>=0.4", 0.95, 1, 0.4},
		{"coverage>=0.4", 0.99, 1, 0.4},
		{"coverage>0.4", 0.8, 1, 0.4},
	} {
		t.Run(tc.goal, func(t *testing.T) {
			q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(tc.conf)
			want := tc.base + tc.sign*q*sd/math.Sqrt(n)
			c := Config{Goal: mustGoal(t, tc.goal), Max: 1, Replicates: len(noise), Confidence: tc.conf, Tolerance: 0.001}
			out, err := Search(context.Background(), c, Values(eval))
			if err != nil {
				t.Fatal(err)
			}
			if !out.Found || out.Answer < want || out.Answer-want > c.Tolerance {
				t.Fatalf("answer %v (found %v), want in [%v, %v]", out.Answer, out.Found, want, want+c.Tolerance)
			}
			// The mean already meets the goal below the answer: only the
			// bound held it back.
			if !out.Goal.Met(out.BracketLo) {
				t.Errorf("mean at the last failing point %v does not meet the goal: the bound made no difference", out.BracketLo)
			}
			p := out.At
			if math.Abs(p.Bound-(p.Mean-q*sd/math.Sqrt(n))) > 1e-12 {
				t.Errorf("bound %v, want %v", p.Bound, p.Mean-q*sd/math.Sqrt(n))
			}
			q2 := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile((1 + tc.conf) / 2)
			if math.Abs(p.Hi-p.Lo-2*q2*sd/math.Sqrt(n)) > 1e-12 || p.Lo > p.Bound {
				t.Errorf("two-sided interval [%v, %v] with bound %v", p.Lo, p.Hi, p.Bound)
			}
		})
	}
	// A falling goal uses the upper bound: the answer moves up as well,
	// since the metric must fall further.
	evalDown := func(_ context.Context, a float64, r int) (float64, error) { return 1 - a + noise[r], nil }
	c := Config{Goal: mustGoal(t, "false_positive_rate<=0.5"), Max: 1, Replicates: len(noise), Confidence: 0.95, Tolerance: 0.001}
	out, err := Search(context.Background(), c, Values(evalDown))
	if err != nil {
		t.Fatal(err)
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.95)
	want := 0.5 + q*sd/math.Sqrt(n)
	if !out.Found || out.Answer < want || out.Answer-want > c.Tolerance {
		t.Errorf("falling goal: answer %v, want in [%v, %v]", out.Answer, want, want+c.Tolerance)
	}
}

// TestSearchOneReplicate: the point value decides and there is no interval.
func TestSearchOneReplicate(t *testing.T) {
	c := Config{Goal: mustGoal(t, "coverage>=0.3"), Max: 0.8, Replicates: 1, Confidence: 0.95, Tolerance: 0.01}
	out, err := Search(context.Background(), c, Values(func(_ context.Context, a float64, _ int) (float64, error) { return a, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Found || out.Answer < 0.3 || out.Answer-0.3 > 0.01 {
		t.Errorf("answer %v", out.Answer)
	}
	if out.At.Bound != out.At.Mean || !math.IsNaN(out.At.Lo) || !math.IsNaN(out.At.SD) {
		t.Errorf("one replicate: %+v", out.At)
	}
}

// TestSearchUnattainable: a goal not met at the maximum is not found after
// a single probe, and Best reports the value reached there.
func TestSearchUnattainable(t *testing.T) {
	var calls int
	c := Config{Goal: mustGoal(t, "coverage>=0.9"), Max: 0.78, Replicates: 2, Confidence: 0.95, Tolerance: 0.01}
	out, err := Search(context.Background(), c, deterministic(func(a float64) float64 { return 0.5 * a }, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if out.Found {
		t.Fatalf("found %v", out.Answer)
	}
	if len(out.Points) != 1 || calls != 2 || out.Best.Adoption != 0.78 || out.Best.Mean != 0.39 {
		t.Errorf("points %+v, best %+v, %d calls", out.Points, out.Best, calls)
	}
}

// TestSearchMetAtZero: a goal met without the app answers 0.
func TestSearchMetAtZero(t *testing.T) {
	var calls int
	c := Config{Goal: mustGoal(t, "false_positive_rate<1"), Max: 0.78, Replicates: 2, Confidence: 0.95, Tolerance: 0.01}
	out, err := Search(context.Background(), c, deterministic(func(a float64) float64 { return 0.8 - a }, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if !out.Found || out.Answer != 0 || !math.IsNaN(out.BracketLo) || len(out.Points) != 2 {
		t.Errorf("%+v", out)
	}
}

// TestSearchWarnsNonMonotone: a dip between probed points is reported.
func TestSearchWarnsNonMonotone(t *testing.T) {
	f := func(a float64) float64 {
		if a > 0.35 && a < 0.45 { // the first midpoint of [0, 0.8] is 0.4
			return 0.9
		}
		return a
	}
	var calls int
	c := Config{Goal: mustGoal(t, "coverage>=0.6"), Max: 0.8, Replicates: 1, Confidence: 0.95, Tolerance: 0.01}
	out, err := Search(context.Background(), c, deterministic(f, &calls))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Warnings) == 0 || !strings.Contains(out.Warnings[0], "not monotone") {
		t.Errorf("no warning: %v (points %+v)", out.Warnings, out.Points)
	}
}

func TestSearchErrors(t *testing.T) {
	g := mustGoal(t, "coverage>=0.5")
	ok := Config{Goal: g, Max: 0.8, Replicates: 2, Confidence: 0.95, Tolerance: 0.01}
	one := Values(func(_ context.Context, a float64, _ int) (float64, error) { return a, nil })
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"confidence 1", func(c *Config) { c.Confidence = 1 }, "confidence"},
		{"confidence 0", func(c *Config) { c.Confidence = 0 }, "confidence"},
		{"confidence NaN", func(c *Config) { c.Confidence = math.NaN() }, "confidence"},
		{"replicates 0", func(c *Config) { c.Replicates = 0 }, "replicates"},
		{"tolerance 0", func(c *Config) { c.Tolerance = 0 }, "tolerance"},
		{"max 0", func(c *Config) { c.Max = 0 }, "maximum"},
		{"max above 1", func(c *Config) { c.Max = 1.2 }, "maximum"},
		{"no goal", func(c *Config) { c.Goal = Goal{} }, "goal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			_, err := Search(context.Background(), c, one)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
	boom := errors.New("boom")
	_, err := Search(context.Background(), ok, Values(func(_ context.Context, a float64, r int) (float64, error) {
		if a < 0.5 {
			return 0, boom
		}
		return a, nil
	}))
	if !errors.Is(err, boom) {
		t.Errorf("evaluation error lost: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, ok, one); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestSearchClipsToRange: two replicates give a wide t interval that would
// reach below 0; a share cannot, so the interval and the bound stop at 0.
func TestSearchClipsToRange(t *testing.T) {
	c := Config{Goal: mustGoal(t, "coverage>=0.9"), Max: 0.5, Replicates: 2, Confidence: 0.95, Tolerance: 0.01}
	out, err := Search(context.Background(), c, Values(func(_ context.Context, _ float64, r int) (float64, error) {
		return []float64{0, 0.1}[r], nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	p := out.Points[0]
	if p.Lo != 0 || p.Bound != 0 || p.Hi <= 0.1 || p.Hi > 1 {
		t.Errorf("interval [%v, %v], bound %v; want [0, (0.1, 1]], bound 0", p.Lo, p.Hi, p.Bound)
	}
}

// BenchmarkSearch measures the search's own cost (statistics and
// bookkeeping) on a cheap synthetic metric with five replicates.
func BenchmarkSearch(b *testing.B) {
	g, err := ParseGoal("coverage>=0.4")
	if err != nil {
		b.Fatal(err)
	}
	noise := []float64{-0.04, 0.03, 0.01, -0.02, 0.02}
	c := Config{Goal: g, Max: 0.78, Replicates: len(noise), Confidence: 0.95, Tolerance: 0.001}
	eval := func(_ context.Context, a float64, r int) (float64, error) { return a + noise[r], nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Search(context.Background(), c, Values(eval)); err != nil {
			b.Fatal(err)
		}
	}
}
