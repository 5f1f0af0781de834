package target

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// caseEval is a synthetic share with index cases: in replicate r (seed
// keyed), 40 index cases, person p with 4 to 10 contacts and its own
// detectability (mean 1), so contacts of one index case are alike. The
// expected share at adoption a is a, the same people at every adoption
// (common random numbers: each contact's draw is fixed, and found when
// it falls below a times the person's detectability).
func caseEval(seed uint64) EvalFunc {
	return func(_ context.Context, a float64, r int) (Sample, error) {
		rng := rand.New(rand.NewPCG(seed, uint64(r)))
		var s Sample
		var num, den int64
		for p := range int32(40) {
			d := 4 + rng.IntN(7)
			q := 2 * rng.Float64()
			c := Case{Person: p, Den: int64(d)}
			for range d {
				if rng.Float64() < a*q {
					c.Num++
				}
			}
			num += c.Num
			den += c.Den
			s.Cases = append(s.Cases, c)
		}
		s.Value = float64(num) / float64(den)
		return s, nil
	}
}

func TestCrossingFromIndexCases(t *testing.T) {
	c := Config{Goal: mustGoal(t, "coverage>=0.3"), Max: 0.8, Replicates: 5, Confidence: 0.95, Tolerance: 0.005,
		Seed: 3, Draws: 1000}
	out, err := Search(context.Background(), c, caseEval(1))
	if err != nil {
		t.Fatal(err)
	}
	x := out.Mean
	if !x.Found || x.Method != MethodCases || x.Draws != 1000 {
		t.Fatalf("crossing %+v", x)
	}
	if !(x.Lo <= x.Adoption && x.Adoption <= x.Hi) || !(x.BracketLo <= x.Adoption && x.Adoption <= x.BracketHi) {
		t.Errorf("crossing %v outside its interval [%v, %v] or bracket [%v, %v]", x.Adoption, x.Lo, x.Hi, x.BracketLo, x.BracketHi)
	}
	if x.BracketHi-x.BracketLo >= c.Tolerance {
		t.Errorf("bracket [%v, %v] not narrower than the tolerance", x.BracketLo, x.BracketHi)
	}
	if !(x.Hi-x.Lo > 0.01 && x.Hi-x.Lo < 0.3) {
		t.Errorf("interval [%v, %v]: want a width that reflects 5 runs of 40 index cases", x.Lo, x.Hi)
	}
	// The conservative answer lies above the mean crossing: the bound
	// needs more than the mean.
	if !out.Found || out.Answer < x.Adoption {
		t.Errorf("conservative answer %v below the mean crossing %v", out.Answer, x.Adoption)
	}
	// Same seed, same interval.
	again, err := Search(context.Background(), c, caseEval(1))
	if err != nil {
		t.Fatal(err)
	}
	if again.Mean != x {
		t.Errorf("not deterministic: %+v then %+v", x, again.Mean)
	}
}

// TestCrossingPrecision: replicates are added until the interval is
// narrower than the precision asked for, and a cap that stops them short
// is said plainly.
func TestCrossingPrecision(t *testing.T) {
	c := Config{Goal: mustGoal(t, "coverage>=0.3"), Max: 0.8, Replicates: 2, Confidence: 0.95, Tolerance: 0.005,
		Seed: 3, Draws: 500, Precision: 0.06, MaxReplicates: 40}
	rounds := 0
	c.OnRound = func(float64, int) { rounds++ }
	out, err := Search(context.Background(), c, caseEval(2))
	if err != nil {
		t.Fatal(err)
	}
	if w := out.Mean.Hi - out.Mean.Lo; !(w < c.Precision) || out.Replicates <= 2 || rounds == 0 {
		t.Fatalf("width %v after %d replicates in %d rounds: want below %v", w, out.Replicates, rounds, c.Precision)
	}
	for _, p := range out.Points {
		if len(p.Values) != out.Replicates {
			t.Errorf("point %v has %d replicates, want %d", p.Adoption, len(p.Values), out.Replicates)
		}
	}
	if len(out.Notes) != 0 {
		t.Errorf("notes %v", out.Notes)
	}
	c.MaxReplicates = 3
	out, err = Search(context.Background(), c, caseEval(2))
	if err != nil {
		t.Fatal(err)
	}
	if out.Replicates != 3 || len(out.Notes) == 0 || !strings.Contains(out.Notes[len(out.Notes)-1], "not narrower than the precision") {
		t.Errorf("capped at 3 replicates: %d replicates, notes %q", out.Replicates, out.Notes)
	}
}

// TestCrossingFromReplicates: without index cases the replicates are
// resampled, and with fewer than MinReplicateDraws there is no interval
// (said in a note), never a made-up one.
func TestCrossingFromReplicates(t *testing.T) {
	noise := []float64{-0.04, 0.03, 0.01, -0.02, 0.02, 0.0, -0.01}
	eval := Values(func(_ context.Context, a float64, r int) (float64, error) { return a + noise[r], nil })
	c := Config{Goal: mustGoal(t, "attack_rate<=0.5"), Max: 1, Replicates: 7, Confidence: 0.95, Tolerance: 0.001, Seed: 1}
	c.Goal = mustGoal(t, "coverage>=0.4")
	out, err := Search(context.Background(), c, eval)
	if err != nil {
		t.Fatal(err)
	}
	x := out.Mean
	if x.Method != MethodReplicates || !(x.Lo < 0.4 && 0.4 < x.Hi) || math.Abs(x.Adoption-0.4) > 0.002 {
		t.Errorf("crossing %+v: want about 0.4 inside a replicate-bootstrap interval", x)
	}
	c.Replicates = 3
	out, err = Search(context.Background(), c, eval)
	if err != nil {
		t.Fatal(err)
	}
	if x := out.Mean; !x.Found || !math.IsNaN(x.Lo) || !strings.Contains(x.Note, "too few to resample") {
		t.Errorf("3 replicates: %+v", x)
	}
}

// TestCrossingCalibration draws many synthetic searches and checks that
// the crossing's 95 % interval holds the true crossing (0.3, where the
// expected share meets the goal) about 95 times in 100.
func TestCrossingCalibration(t *testing.T) {
	const runs = 120
	held := 0
	for i := range runs {
		c := Config{Goal: mustGoal(t, "coverage>=0.3"), Max: 0.8, Replicates: 3, Confidence: 0.95, Tolerance: 0.005,
			Seed: uint64(i), Draws: 400}
		out, err := Search(context.Background(), c, caseEval(uint64(1000+i)))
		if err != nil {
			t.Fatal(err)
		}
		if out.Mean.Lo <= 0.3 && 0.3 <= out.Mean.Hi {
			held++
		}
	}
	// With a true 95 %, 120 runs hold it 109 to 118 times in 95 of 100
	// checks; allow a little more below for the ratio estimator's bias.
	t.Logf("held %d of %d", held, runs)
	if held < 105 || held > 119 {
		t.Errorf("the interval held the true crossing in %d of %d runs; want about 95 %%", held, runs)
	}
}
