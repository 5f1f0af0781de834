package sim

import (
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestBandsAddUpToTotals: every verdict (TP, FP, FN, TN) is counted once
// in each breakdown dimension (distance, duration, venue, environment, OS
// pair), so each dimension's bands add up to the arm's totals; app TP and
// FN add up to the arm's app close contacts; and in the detection table no
// band detects more pairs than it holds, and some pairs are detected.
func TestBandsAddUpToTotals(t *testing.T) {
	sc := small(400, 3)
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bz", 0.5), scenarios.GAENArm("gaen", 0.5)}
	r, _ := run(t, sc, WithWorkers(2))
	for _, a := range r.Arms {
		if a.TP == 0 || a.FP+a.TN == 0 || a.FN == 0 {
			t.Fatalf("arm %s: %+v: too few verdicts to check the breakdowns", a.Name, a.Counts)
		}
		sums := map[string]*Counts{}
		var appTP, appFN int64
		for _, b := range r.Bands {
			if b.Arm != a.Name {
				continue
			}
			if sums[b.Dimension] == nil {
				sums[b.Dimension] = &Counts{}
			}
			sums[b.Dimension].add(b.Counts)
			if b.Dimension == "venue" {
				appTP += b.AppTP
				appFN += b.AppFN
			}
		}
		for _, dim := range dimNames {
			if s := sums[dim]; s == nil || *s != a.Counts {
				t.Errorf("arm %s: %s bands add up to %+v, the arm's totals are %+v", a.Name, dim, s, a.Counts)
			}
		}
		if appTP+appFN != a.AppCloseContacts {
			t.Errorf("arm %s: app TP %d + app FN %d over venues, %d app close contacts", a.Name, appTP, appFN, a.AppCloseContacts)
		}
		var pairs, detected int64
		for _, d := range r.Detection {
			if d.Arm != a.Name {
				continue
			}
			if d.Detected > d.Pairs || d.Detected < 0 {
				t.Errorf("arm %s band %s: %d of %d pairs detected", a.Name, d.Band, d.Detected, d.Pairs)
			}
			pairs += d.Pairs
			detected += d.Detected
		}
		if detected == 0 || pairs < a.TP {
			t.Errorf("arm %s: %d of %d pairs detected for %d true positives", a.Name, detected, pairs, a.TP)
		}
	}
}

// TestBandOf: bands are closed below and open above, [edge_i, edge_i+1),
// so a contact at exactly 2 m is in "2-3m", with "<1m" before the first
// edge and ">=5m" from the last.
func TestBandOf(t *testing.T) {
	edges := []float64{1, 2, 3, 5}
	for _, tc := range []struct {
		x     float64
		label string
	}{
		{0, "<1m"}, {0.999, "<1m"}, {1, "1-2m"}, {1.5, "1-2m"}, {2, "2-3m"}, {4.999, "3-5m"}, {5, ">=5m"}, {70, ">=5m"},
	} {
		if got := bandLabel(edges, bandOf(edges, tc.x), "m"); got != tc.label {
			t.Errorf("%v m: band %q, want %q", tc.x, got, tc.label)
		}
	}
	if got := bandLabel(nil, bandOf(nil, 3), "m"); got != "all" {
		t.Errorf("no edges: band %q, want all", got)
	}
}
