package sim

import (
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// handSighting is one sighting to place in a hand-built store: receiver
// and advertiser (persons), day, whole second of the day and tenths.
type handSighting struct {
	rx, tx      int32
	day         int
	sec, tenths int32
}

// TestFirstExposureIsEarliestSighting builds a store of sightings by hand
// (out of time order, over two days, with a decoy advertiser who never
// uploads heard earliest of all) and runs the day's upload and matching:
// each notification's FirstExposure must be the instant of the earliest
// sighting of the index case that the receiver holds, to the 100 ms the
// store keeps, and the notification-delay table must count whole hours
// from that instant to the end of the day.
func TestFirstExposureIsEarliestSighting(t *testing.T) {
	sc := scenarios.Default()
	sc.Name = "first-exposure"
	sc.Days = 2
	sc.Population = agents.Default(60)
	sc.Population.Phones.OwnershipByAge = []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	sc.Population.Phones.BluetoothOff = 0
	sc.Diagnosis = scenarios.Diagnosis{DailyFraction: 0, Among: "everyone", Compliance: 1, InfectiousDays: 2, FirstDay: 0}
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bz", 1)}
	var nots []Notification
	e, err := newEngine(sc, config{workers: 2, chunkTarget: 64, onDayMatch: func(_, _ int, n []Notification) { nots = n }})
	if err != nil {
		t.Fatal(err)
	}
	g := e.groups[0]
	// Three adults with phones: the index case, two receivers, and a decoy.
	var people []int32
	for pi := range e.pop.People {
		if g.phone[pi] >= 0 && e.pop.People[pi].Age >= 18 {
			people = append(people, int32(pi))
		}
	}
	if len(people) < 4 {
		t.Fatalf("only %d adults with the app", len(people))
	}
	index, rxA, rxB, decoy := people[0], people[1], people[2], people[3]
	const day = 1
	f := e.idx.(*fixedDiagnoses)
	f.byDay[day] = append(f.byDay[day], index)
	// rxA heard the index case on both days; its store lists day 1's
	// later record first. rxB heard it only once, on day 1 at 07:15:42.3.
	// The decoy, who does not upload, was heard before anything else.
	store := []handSighting{
		{rxA, index, 1, 15*3600 + 30*60, 0},
		{rxA, index, 1, 9 * 3600, 5},
		{rxA, decoy, 0, 6 * 3600, 0},
		{rxA, index, 0, 10*3600 + 7, 3}, // the earliest: day 0, 10:00:07.3
		{rxA, index, 0, 21 * 3600, 0},
		{rxB, index, 1, 7*3600 + 15*60 + 42, 3},
		{rxB, index, 1, 23*3600 + 59*60, 0},
	}
	for d := range 2 {
		// One segment per day, of advertisers whose upload day is not
		// known ahead (so every day's matching looks at it), one record
		// per sighting.
		sg := segment{up: -1}
		for _, s := range store {
			if s.day != d {
				continue
			}
			sg.recs.push(rec{rx: g.phone[s.rx], tx: g.phone[s.tx], first: sg.ents.n}, &g.store.rp)
			sg.ents.push(mkEntry(int64(s.sec)*10+int64(s.tenths), -70), &g.store.ep)
		}
		g.store.set(d, []segment{sg})
		if err := g.materialise(d, e.startMs+int64(d)*86400_000, 2, false); err != nil {
			t.Fatal(err)
		}
	}
	// Ground truth: both receivers were close contacts of the index case,
	// so their notifications count in the delay table.
	e.truth[day] = [][]truthRec{{
		{a: min(index, rxA), b: max(index, rxA), closeMin: 60, rangeMin: 60, minDist: 1, day: day},
		{a: min(index, rxB), b: max(index, rxB), closeMin: 60, rangeMin: 60, minDist: 1, day: day},
	}}
	if err := e.matchDay(day); err != nil {
		t.Fatal(err)
	}
	at := func(d int, sec, tenths int32) int64 {
		return e.startMs + (int64(d)*86400+int64(sec))*1000 + int64(tenths)*100
	}
	want := map[int32]int64{
		rxA: at(0, 10*3600+7, 3),
		rxB: at(1, 7*3600+15*60+42, 3),
	}
	if len(nots) != len(want) {
		t.Fatalf("%d notifications %+v, want one for each of persons %d and %d", len(nots), nots, rxA, rxB)
	}
	for _, n := range nots {
		if n.Index != index {
			t.Errorf("notification %+v: index case %d, want %d", n, n.Index, index)
		}
		if w, ok := want[n.Person]; !ok || n.FirstExposure != w {
			t.Errorf("person %d: first exposure %d (%+d ms from the earliest sighting), want %d",
				n.Person, n.FirstExposure, n.FirstExposure-w, w)
		}
	}
	// Delays: whole hours from the first exposure to the end of day 1.
	endOfDay := e.startMs + int64(day+1)*86400_000
	hist := map[int]int64{}
	for _, w := range want {
		hist[int((endOfDay-w)/3_600_000)]++
	}
	r := e.finish()
	got := map[int]int64{}
	for _, d := range r.Delays {
		got[d.Hours] += d.TruePositives
		if d.FalseAlarms != 0 {
			t.Errorf("delay bin %d h: %d false alarms, want none (both receivers are close contacts)", d.Hours, d.FalseAlarms)
		}
	}
	if len(got) != len(hist) {
		t.Fatalf("delay table %v, want %v", got, hist)
	}
	for h, n := range hist {
		if got[h] != n {
			t.Fatalf("delay table %v, want %v (hours from the earliest sighting to the end of the day)", got, hist)
		}
	}
}
