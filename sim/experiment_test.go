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
		for _, a := range r.Arms {
			if a.IndexCases != int64(r.Agents) || a.CloseContacts != int64(near*sessions) || a.Uploads != int64(r.Agents) {
				t.Errorf("arm %s: %d index cases, %d uploads, %d close contacts; want %d, %d, %d",
					a.Name, a.IndexCases, a.Uploads, a.CloseContacts, r.Agents, r.Agents, near*sessions)
			}
		}
		if first == "" {
			first = r.Hash
		} else if r.Hash != first {
			t.Fatalf("%d workers: hash %s, 1 worker %s", workers, r.Hash, first)
		}
	}
}
