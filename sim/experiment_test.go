package sim

import (
	"context"
	"math"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestExperimentGroundTruth runs the built-in tram experiment and checks
// the engine against the set geometry: every handset is an index case of
// its session, the close contacts are exactly the pairs of handsets within
// the contact distance (both ways, every session), and the result is the
// same for any number of workers.
func TestExperimentGroundTruth(t *testing.T) {
	l, err := scenarios.LoadBuiltin("tram")
	if err != nil {
		t.Fatal(err)
	}
	sc := l.Scenario
	sc.Days = 2
	ex := sc.Experiment
	closeD, _, err := sc.Contact.Resolved()
	if err != nil {
		t.Fatal(err)
	}
	near := 0
	for i, a := range ex.Handsets {
		for j, b := range ex.Handsets {
			if i != j && math.Hypot(a.X-b.X, a.Y-b.Y) <= closeD {
				near++
			}
		}
	}
	sessions := sc.Days * ex.Sessions.PerDay
	var first string
	for _, workers := range []int{1, 3} {
		r, err := Run(context.Background(), sc, WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		if r.Agents != sessions*len(ex.Handsets) {
			t.Fatalf("%d agents, want %d", r.Agents, sessions*len(ex.Handsets))
		}
		for ai, a := range r.Arms {
			if a.IndexCases != int64(r.Agents) || a.CloseContacts != int64(near*sessions) || a.Uploads != int64(r.Agents) {
				t.Errorf("arm %s: %d index cases, %d uploads, %d close contacts; want %d, %d, %d",
					a.Name, a.IndexCases, a.Uploads, a.CloseContacts, r.Agents, r.Agents, near*sessions)
			}
			// Every ordered pair of a session is scored, its verdict is the
			// run's, and the rule's threshold on its score is its verdict.
			var c Counts
			n := 0
			for i := range r.Pairs {
				p := &r.Pairs[i]
				if int(p.Arm) != ai {
					continue
				}
				n++
				switch p.Verdict() {
				case "tp":
					c.TP++
				case "fp":
					c.FP++
				case "fn":
					c.FN++
				case "tn":
					c.TN++
				}
				if sweep := p.Score.Value > 0 && p.Score.Value >= p.Score.Threshold-1e-9; sweep != p.Notified {
					t.Fatalf("arm %s pair %+v: notified %v, score says %v", a.Name, p, p.Notified, sweep)
				}
				if !p.InRange || (p.Close != (float64(p.MinDistanceM) <= closeD)) {
					t.Fatalf("arm %s pair %+v: truth does not match the geometry", a.Name, p)
				}
			}
			if want := len(ex.Handsets) * (len(ex.Handsets) - 1) * sessions; n != want || c != a.Counts {
				t.Errorf("arm %s: %d pairs with counts %+v, want %d with %+v", a.Name, n, c, want, a.Counts)
			}
		}
		if first == "" {
			first = r.Hash
		} else if r.Hash != first {
			t.Fatalf("%d workers: hash %s, 1 worker %s", workers, r.Hash, first)
		}
	}
}

// TestCarriageByActivity: drawing each stay's carriage by activity is
// deterministic for any number of workers, changes GAEN's verdicts (the
// phones' losses change), and leaves the ground truth alone.
func TestCarriageByActivity(t *testing.T) {
	sc := small(800, 3)
	off, err := Run(context.Background(), sc, WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	sc.Population.Phones.CarriageByActivity.Enabled = true
	var on []*Result
	for _, w := range []int{1, 3} {
		r, err := Run(context.Background(), sc, WithWorkers(w))
		if err != nil {
			t.Fatal(err)
		}
		on = append(on, r)
	}
	if on[0].Hash != on[1].Hash {
		t.Fatalf("1 worker %s, 3 workers %s", on[0].Hash, on[1].Hash)
	}
	if on[0].Hash == off.Hash {
		t.Fatal("carriage by activity changed nothing")
	}
	for ai, a := range off.Arms {
		if b := on[0].Arms[ai]; a.CloseContacts != b.CloseContacts || a.TN+a.FP != b.TN+b.FP {
			t.Errorf("arm %s: the truth moved: %+v against %+v", a.Name, a.Counts, b.Counts)
		}
	}
}
