package sim

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// pairHarness is an engine with one worker, ready to hand worker.pair a
// pair placed by hand: a small town where everyone has the GAEN app, the
// ideal radio (no noise, no device offsets; losses still apply) and both
// people of the pair tracked.
func pairHarness(t *testing.T) (*engine, *worker) {
	t.Helper()
	sc := scenarios.Default()
	sc.Days = 1
	sc.Diagnosis.FirstDay = 0
	sc.Population = agents.Default(40)
	sc.Population.Phones.OwnershipByAge = []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	sc.Population.Phones.BluetoothOff = 0
	sc.Radio.Ideal = true
	sc.Radio.PersonBetweenDB = 3
	sc.Arms = []scenarios.Arm{scenarios.GAENArm("gaen", 1)}
	// Every pair's radio sampled, whoever uploads.
	sc.Engine.AllSightings = true
	e, err := newEngine(sc, config{workers: 1, chunkTarget: 64})
	if err != nil {
		t.Fatal(err)
	}
	e.lay.day = 0
	if err := e.idx.beginDay(0); err != nil {
		t.Fatal(err)
	}
	e.lay.tracked = make([]bool, len(e.pop.People))
	for i := range e.lay.tracked {
		e.lay.tracked[i] = true
	}
	e.lay.active = [][]bool{make([]bool, len(e.groups[0].person))}
	for i := range e.lay.active[0] {
		e.lay.active[0][i] = true
	}
	w := &worker{v: e.view()}
	w.begin(e)
	return e, w
}

// sightings lists the entries the worker's chunk stored, every segment.
func (w *worker) sightings() []entry {
	var out []entry
	for _, segs := range w.out.segs {
		for i := range segs {
			for k := range segs[i].ents.n {
				out = append(out, *segs[i].ents.at(k))
			}
		}
	}
	return out
}

// TestPairTruthAtTheCloseDistance: a pair exactly at the close-contact
// distance is a close contact for the time it stays ("within 2 m"
// includes 2 m); a hair farther it is only in range.
func TestPairTruthAtTheCloseDistance(t *testing.T) {
	e, w := pairHarness(t)
	site := &e.pop.Sites[e.pop.People[0].HomeSite]
	for _, tc := range []struct {
		d     float32
		close float32
	}{
		{float32(e.closeD), 60},
		{math.Nextafter32(float32(e.closeD), 100), 0},
	} {
		w.trs = w.trs[:0]
		clear(w.pairs)
		sa := agents.Stay{Person: 0, Site: e.pop.People[0].HomeSite, Seat: -1, Start: 600, End: 660}
		sb := agents.Stay{Person: 1, Site: e.pop.People[0].HomeSite, Seat: -1, Start: 600, End: 700}
		w.pair(site, &sa, &sb, agents.Pos{}, agents.Pos{X: tc.d}, tc.d, 600, 660, 0)
		if len(w.trs) != 1 || w.trs[0].closeMin != tc.close || w.trs[0].rangeMin != 60 || w.trs[0].minDist != tc.d {
			t.Errorf("pair at %v m (close distance %v m): truth %+v, want %v close minutes of 60 in range", tc.d, e.closeD, w.trs, tc.close)
		}
	}
}

// TestPairBodiesBetween: the people standing between two phones are the
// site's density times the people in a 0.5 m wide corridor between them,
// density × d × 0.5, rounded down, and each costs person_between_db of
// RSSI (radio.md §1.1). In the ideal radio every sighting's RSSI is then
// P1m − 10·n·log10(d) − both body losses − people × person_between_db.
func TestPairBodiesBetween(t *testing.T) {
	e, w := pairHarness(t)
	p := e.sc.Radio
	a, b := int32(0), int32(1)
	site := &e.pop.Sites[e.pop.People[a].HomeSite]
	const d = 4
	for _, density := range []float32{0, 0.6, 1.5} {
		w.begin(e)
		sa := agents.Stay{Person: a, Site: e.pop.People[a].HomeSite, Seat: -1, Start: 600, End: 660}
		sb := agents.Stay{Person: b, Site: e.pop.People[a].HomeSite, Seat: -1, Start: 600, End: 660}
		w.pair(site, &sa, &sb, agents.Pos{}, agents.Pos{X: d}, d, 600, 660, density)
		people := math.Floor(float64(density) * d * 0.5)
		want := p.P1mDBm - 10*p.NIndoor*math.Log10(d) - p.BodyLossDB.Of(e.pop.People[a].Carriage) -
			p.BodyLossDB.Of(e.pop.People[b].Carriage) - people*p.PersonBetweenDB
		ents := w.sightings()
		if len(ents) == 0 {
			t.Fatalf("density %v: no sightings in an hour at %v m", density, d)
		}
		for _, en := range ents {
			if math.Abs(float64(en.rssi())-want) > 0.5+1e-9 {
				t.Fatalf("density %v /m² (%v people between): sighting RSSI %d dBm, want %.2f", density, people, en.rssi(), want)
			}
		}
	}
}

// TestHotSearchFindsEveryHotPair places free and seated people together at
// one site by hand, their stays overlapping in every way, a fifth of them
// hot: the search restricted to pairs with someone hot must visit exactly
// the pairs with someone hot that checking every pair visits, each once
// (free with free, free with seated either way round, seated with seated).
func TestHotSearchFindsEveryHotPair(t *testing.T) {
	e, w := pairHarness(t)
	si := 0
	area := func(s *agents.Site) float32 { return float32(s.Rooms) * s.RoomW * s.RoomD }
	for i := range e.pop.Sites {
		if area(&e.pop.Sites[i]) > area(&e.pop.Sites[si]) {
			si = i
		}
	}
	var stays []agents.Stay
	hot := make([]bool, len(e.pop.People))
	nhot := map[bool]int{}
	for p := range int32(30) {
		seat := int16(p)
		if p%2 == 1 {
			seat = -1
		}
		start := int16(p * 37 % 600)
		stays = append(stays, agents.Stay{Person: p, Site: int32(si), Room: 0, Seat: seat, Start: start, End: min(1440, start+200+int16(p*53%400))})
		hot[p] = p%5 == 0
		nhot[hot[p]]++
	}
	type visit struct {
		a, b int32
		min  float64
		dist float64
	}
	search := func(hotSet []bool, all bool) []visit {
		var vs []visit
		w.v.contactsOnly, w.v.hot, w.v.allPairs = true, hotSet, all
		w.contact = func(a, b int32, minutes, dist float64, _ *agents.Site, _ int, _ bool) {
			if hotSet == nil && !hot[a] && !hot[b] {
				return
			}
			vs = append(vs, visit{a, b, minutes, dist})
		}
		w.site(int32(si), stays)
		slices.SortFunc(vs, func(x, y visit) int {
			return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b), cmp.Compare(x.min, y.min), cmp.Compare(x.dist, y.dist))
		})
		return vs
	}
	ref := search(nil, true)
	got := search(hot, false)
	kinds := map[[2]bool]int{} // (a seated, b seated) of the reference's pairs
	for _, v := range ref {
		kinds[[2]bool{stays[v.a].Seat >= 0, stays[v.b].Seat >= 0}]++
	}
	if len(kinds) < 3 {
		t.Fatalf("pairs by seated/free %v: the layout does not mix free and seated people", kinds)
	}
	if !slices.Equal(got, ref) {
		onlyGot, onlyRef := sortedDiff(got, ref, func(x, y visit) int {
			return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b), cmp.Compare(x.min, y.min), cmp.Compare(x.dist, y.dist))
		})
		t.Fatalf("hot search %d visits, all pairs %d with someone hot; only hot search %v, only all pairs %v", len(got), len(ref), onlyGot, onlyRef)
	}
	t.Logf("%d visits with someone hot (%v hot/other people), by seated/free %v", len(ref), nhot, kinds)
}
