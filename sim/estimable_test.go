package sim

import (
	"strings"
	"testing"
)

func TestEpidemicShortfall(t *testing.T) {
	r := &Result{Days: 10, Epidemic: &EpidemicResult{SeedDay: 2, GenerationDays: 6.4}}
	a := &ArmEpidemic{REff: 0.06, REffCompleteCases: 0}
	if n := r.EpidemicDaysNeeded(); n != 13 {
		t.Fatalf("days needed %d, want ceil(2 × 6.4) = 13", n)
	}
	why := r.EpidemicShortfall(a, false)
	if len(why) != 2 || !strings.Contains(why["r_eff"], "the run lasts 8 days from the seed day; the epidemic needs 13") ||
		!strings.Contains(why["averted"], "raise days to at least 15") {
		t.Errorf("short run: %v", why)
	}
	if why := r.EpidemicShortfall(a, true); len(why) != 1 || why["r_eff"] == "" {
		t.Errorf("short run, no-app: %v", why)
	}
	r.Days = 40
	if why := r.EpidemicShortfall(a, false); len(why) != 1 || !strings.Contains(why["r_eff"], "only 0 cases") {
		t.Errorf("long run without finished cohorts: %v", why)
	}
	a.REffCompleteCases = MinREffCases
	if why := r.EpidemicShortfall(a, false); len(why) != 0 {
		t.Errorf("long enough: %v", why)
	}
	if why := (&Result{}).EpidemicShortfall(a, false); why != nil {
		t.Errorf("no epidemic layer: %v", why)
	}
}
