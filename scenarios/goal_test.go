package scenarios

import (
	"strings"
	"testing"
)

func TestParseGoal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Goal
		err  string
	}{
		{"coverage>=0.5", Goal{"coverage", ">=", 0.5}, ""},
		{" precision > 30% ", Goal{"precision", ">", 0.3}, ""},
		{"false_positive_rate<=0.01", Goal{"false_positive_rate", "<=", 0.01}, ""},
		{"notifications_per_index<20", Goal{"notifications_per_index", "<", 20}, ""},
		{"coverage>=1.5", Goal{}, "is a share, between 0 and 1"},
		{"r_eff<1", Goal{}, `unknown metric "r_eff"`},
		{"coverage", Goal{}, "want METRIC OP VALUE"},
		{"coverage>=lots", Goal{}, "not a finite number"},
		{"coverage>=NaN", Goal{}, "not a finite number"},
		{"notifications_per_index>=-1", Goal{}, "cannot be negative"},
	} {
		g, err := ParseGoal(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseGoal(%q) = %v, %v; want an error with %q", tc.in, g, err, tc.err)
			}
			continue
		}
		if err != nil || g != tc.want {
			t.Errorf("ParseGoal(%q) = %+v, %v; want %+v", tc.in, g, err, tc.want)
		}
		if back, err := ParseGoal(g.String()); err != nil || back != g {
			t.Errorf("%+v prints as %q, which reads back as %+v, %v", g, g.String(), back, err)
		}
	}
	g := Goal{"coverage", ">=", 0.5}
	if !g.Met(0.5) || g.Met(0.49) || !(Goal{"precision", "<", 0.2}).Met(0.1) {
		t.Error("Met")
	}
}

// TestSweepGoals: goals load from the sweep block and --set, go to the
// plan, are checked with the file and line, and do not change the hash.
func TestSweepGoals(t *testing.T) {
	src := "name: g\nsweep:\n  replicates: 2\n  axes:\n    arms[*].adoption: [0.2, 0.4]\n  goals: [coverage>=0.1, precision>=0.3]\n"
	l, err := LoadBytes("g.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Goals) != 2 || p.Goals[0] != (Goal{"coverage", ">=", 0.1}) {
		t.Fatalf("goals %+v", p.Goals)
	}
	l2, err := LoadBytes("g.yaml", []byte(strings.Replace(src, "  goals: [coverage>=0.1, precision>=0.3]\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := l2.Plan()
	if p2.Hash != p.Hash {
		t.Error("goals changed the sweep's hash")
	}
	l3, err := LoadBytes("g.yaml", []byte(src), "sweep.goals=[capture>=0.5]")
	if err != nil {
		t.Fatal(err)
	}
	if p3, _ := l3.Plan(); len(p3.Goals) != 1 || p3.Goals[0].Metric != "capture" {
		t.Fatalf("--set goals: %+v", p3.Goals)
	}
	_, err = LoadBytes("g.yaml", []byte(strings.Replace(src, "precision>=0.3", "speed>=3", 1)))
	if err == nil || !strings.Contains(err.Error(), "g.yaml:6:") || !strings.Contains(err.Error(), "sweep.goals[1]") ||
		!strings.Contains(err.Error(), `unknown metric "speed"`) {
		t.Fatalf("bad goal: %v", err)
	}
	// --show writes the goals, and they load back.
	b, err := Encode(l.Scenario, l.Sweep, true)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadBytes("show.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if bp, _ := back.Plan(); len(bp.Goals) != 2 || bp.Hash != p.Hash {
		t.Fatalf("round trip: goals %+v", bp.Goals)
	}
}
