package target

import (
	"math"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestGoalMetAtTheValue: a goal is met at exactly its value for >= and <=
// and not for > and < (coverage>=0.1 is met by a coverage of 0.1), on
// either side as the operator says, and never by NaN.
func TestGoalMetAtTheValue(t *testing.T) {
	for _, tc := range []struct {
		expr             string
		below, at, above bool
	}{
		{"coverage>=0.1", false, true, true},
		{"coverage>0.1", false, false, true},
		{"coverage<=0.1", true, true, false},
		{"coverage<0.1", true, false, false},
	} {
		g, err := ParseGoal(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			x    float64
			want bool
		}{{math.Nextafter(0.1, 0), tc.below}, {0.1, tc.at}, {math.Nextafter(0.1, 1), tc.above}, {math.NaN(), false}} {
			if got := g.Met(c.x); got != c.want {
				t.Errorf("%s met by %v: %v, want %v", tc.expr, c.x, got, c.want)
			}
		}
	}
}

// TestFinishBestAndWarnings: the best point is the probed mean closest to
// meeting the goal (highest for an upward goal, lowest for a downward one,
// NaN never), and every pair of adoption-neighbouring points whose means
// go the wrong way, or where the goal is met below and not above, gets a
// warning that says which way the metric was assumed to go.
func TestFinishBestAndWarnings(t *testing.T) {
	up, err := ParseGoal("coverage>=0.3")
	if err != nil {
		t.Fatal(err)
	}
	down, err := ParseGoal("r_eff<1")
	if err != nil {
		t.Fatal(err)
	}
	// Probe order: top, bottom, then the middle. By adoption the means are
	// 0.1 (at 0), 0.5 (0.4), NaN (0.6), 0.4 (0.8): for an upward goal the
	// one step that gets worse is 0.5 to NaN between 0.4 and 0.6, where
	// the goal is also met below and not above.
	pts := []Point{
		{Order: 0, Adoption: 0.8, Mean: 0.4, Met: false},
		{Order: 1, Adoption: 0, Mean: 0.1, Met: false},
		{Order: 2, Adoption: 0.4, Mean: 0.5, Met: true},
		{Order: 3, Adoption: 0.6, Mean: math.NaN(), Met: false},
	}
	o := &Outcome{Goal: up, Points: pts}
	o.finish()
	if o.Best.Order != 2 {
		t.Errorf("upward goal: best %+v, want the mean 0.5 at adoption 0.4", o.Best)
	}
	var falls, metBelow int
	for _, w := range o.Warnings {
		if strings.Contains(w, "assumes it rises") {
			falls++
		}
		if strings.Contains(w, "met at adoption 0.4 but not at the higher adoption 0.6") {
			metBelow++
		}
	}
	if falls != 1 || metBelow != 1 {
		t.Errorf("upward goal warnings %q: want one fall (0.5 at 0.4 to NaN at 0.6) and one met-below", o.Warnings)
	}
	o = &Outcome{Goal: down, Points: pts}
	o.finish()
	if o.Best.Order != 1 {
		t.Errorf("downward goal: best %+v, want the mean 0.1 at adoption 0", o.Best)
	}
	for _, w := range o.Warnings {
		if strings.Contains(w, "not monotone: r_eff") && !strings.Contains(w, "assumes it falls") {
			t.Errorf("downward goal warning %q does not say the metric is assumed to fall", w)
		}
	}
}

// TestMaxAdoptionWithoutOwners: a population where nobody owns a
// smartphone allows no adoption, and says so.
func TestMaxAdoptionWithoutOwners(t *testing.T) {
	sc := scenarios.Default()
	sc.Population.Phones.OwnershipByAge = make([]float64, len(sc.Population.AgeShares))
	if a, err := MaxAdoption(&sc); err == nil || !strings.Contains(err.Error(), "nobody owns a smartphone") {
		t.Fatalf("MaxAdoption = %v, %v; want an error saying nobody owns a smartphone", a, err)
	}
	sc.Population.Phones.OwnershipByAge[0] = 1
	if a, err := MaxAdoption(&sc); err != nil || !(a > 0 && a < 1) {
		t.Fatalf("one age band of owners: %v, %v", a, err)
	}
}
