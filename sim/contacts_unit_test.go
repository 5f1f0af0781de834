package sim

import (
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// TestContactsOfCloseAtTheMinutes: an index case's contact is close when
// the minutes within the contact distance on one day, summed over the
// day's sites, reach the scenario's minutes (ECDC: 15 minutes or more);
// minutes on different days do not add up, and a day at the closest
// distance sets the contact's distance, venue and environment.
func TestContactsOfCloseAtTheMinutes(t *testing.T) {
	sc := scenarios.Default()
	sc.Days = 3
	sc.Population = agents.Default(40)
	e, err := newEngine(sc, config{workers: 1, chunkTarget: 64})
	if err != nil {
		t.Fatal(err)
	}
	if e.closeMin != 15 {
		t.Fatalf("contact minutes %v, want the ECDC 15", e.closeMin)
	}
	// Index case 0 and contacts 1..4 over days 1 and 2.
	e.truth[1] = [][]truthRec{{
		{a: 0, b: 1, closeMin: 15, rangeMin: 30, minDist: 1.5, kind: agents.Home, day: 1},   // exactly 15: close
		{a: 0, b: 2, closeMin: 14.5, rangeMin: 30, minDist: 1.2, kind: agents.Home, day: 1}, // 14.5: not
		{a: 0, b: 3, closeMin: 10, rangeMin: 20, minDist: 1.9, kind: agents.Home, day: 1},   // 10 + 5 at another site
		{a: 0, b: 3, closeMin: 5, rangeMin: 20, minDist: 0.8, kind: agents.Cafe, day: 1},
		{a: 0, b: 4, closeMin: 10, rangeMin: 20, minDist: 1.0, kind: agents.Work, day: 1}, // 10 today, 10 tomorrow
	}}
	e.truth[2] = [][]truthRec{{
		{a: 0, b: 4, closeMin: 10, rangeMin: 20, minDist: 0.5, kind: agents.Bus, day: 2},
	}}
	isIndex := make([]bool, len(e.pop.People))
	isIndex[0] = true
	cs := e.sco.contactsOf(2, isIndex)
	want := []contact{
		{idx: 0, other: 1, close: true, worstClose: 15, minDist: 1.5, kind: agents.Home},
		{idx: 0, other: 2, close: false, worstClose: 14.5, minDist: 1.2, kind: agents.Home},
		{idx: 0, other: 3, close: true, worstClose: 15, minDist: 0.8, kind: agents.Cafe},
		{idx: 0, other: 4, close: false, worstClose: 10, minDist: 0.5, kind: agents.Bus},
	}
	if len(cs) != len(want) {
		t.Fatalf("%d contacts %+v, want %d", len(cs), cs, len(want))
	}
	for i, c := range cs {
		w := want[i]
		if c.idx != w.idx || c.other != w.other || c.close != w.close || c.worstClose != w.worstClose || c.minDist != w.minDist || c.kind != w.kind {
			t.Errorf("contact %d: %+v, want %+v", i, c, w)
		}
	}
}
