package sim

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// refRun is everything a run decides from the pairs it finds: every
// ground-truth contact (per pair and stretch: minutes, distance, venue,
// walls), the tracked pairs' aggregated truth, every stored sighting, and
// the result tables.
type refRun struct {
	res       *Result
	contacts  []Contact
	truth     []truthRec
	sightings []refSighting
}

// refSighting is one stored sighting, independent of how the compact store
// grouped it into records.
type refSighting struct {
	group  string
	day    uint8
	rx, tx int32 // persons
	ms     int64 // since the run's start
	rssi   int8
}

// contactLog is a ContactSink keeping every contact.
type contactLog struct{ cs []Contact }

func (l *contactLog) Contact(c *Contact) { l.cs = append(l.cs, *c) }

// runRecorded runs sc day by day as Run does, keeping the day's truth and
// sightings before later days drop them.
func runRecorded(t *testing.T, sc scenarios.Scenario, opts ...Option) refRun {
	t.Helper()
	var out refRun
	opts = append(opts, WithContacts(func(int) ContactSink { return &contactLog{} }, func(_ int, sinks []ContactSink) error {
		for _, s := range sinks {
			l := s.(*contactLog)
			out.contacts = append(out.contacts, l.cs...)
			l.cs = l.cs[:0]
		}
		return nil
	}))
	return recordDays(t, sc, &out, nil, opts...)
}

// recordDays runs sc day by day into out as Run does, calling check (when
// not nil) with the engine after each day's sites.
func recordDays(t *testing.T, sc scenarios.Scenario, out *refRun, check func(e *engine, d int), opts ...Option) refRun {
	t.Helper()
	cfg := config{workers: 2, chunkTarget: 64}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := newEngine(sc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for d := range sc.Days {
		if err := e.simulateDay(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if check != nil {
			check(e, d)
		}
		for _, trs := range e.truth[d] {
			out.truth = append(out.truth, trs...)
		}
		for _, g := range e.groups {
			for si := range g.store.days[d].segs {
				sg := &g.store.days[d].segs[si]
				for ri := range sg.recs.n {
					r := sg.recs.at(ri)
					first, end := sg.span(ri)
					for k := first; k < end; k++ {
						en := *sg.ents.at(k)
						out.sightings = append(out.sightings, refSighting{group: g.label, day: uint8(d),
							rx: g.person[r.rx], tx: g.person[r.tx], ms: int64(d)*86400_000 + en.tenths()*100, rssi: en.rssi()})
					}
				}
			}
		}
		if err := e.matchDay(d); err != nil {
			t.Fatal(err)
		}
	}
	out.res = e.finish()
	slices.SortFunc(out.contacts, cmpContact)
	slices.SortFunc(out.truth, cmpTruth)
	slices.SortFunc(out.sightings, cmpSighting)
	return *out
}

func cmpContact(a, b Contact) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.A, b.A), cmp.Compare(a.B, b.B), cmp.Compare(a.From, b.From),
		cmp.Compare(a.To, b.To), cmp.Compare(a.DistanceM, b.DistanceM), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Env, b.Env),
		cmp.Compare(a.Walls, b.Walls))
}

func cmpTruth(a, b truthRec) int {
	return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.a, b.a), cmp.Compare(a.b, b.b), cmp.Compare(a.kind, b.kind),
		cmp.Compare(a.env, b.env), cmp.Compare(a.minDist, b.minDist), cmp.Compare(a.rangeMin, b.rangeMin),
		cmp.Compare(a.closeMin, b.closeMin))
}

func cmpSighting(a, b refSighting) int {
	return cmp.Or(strings.Compare(a.group, b.group), cmp.Compare(a.day, b.day), cmp.Compare(a.rx, b.rx),
		cmp.Compare(a.tx, b.tx), cmp.Compare(a.ms, b.ms), cmp.Compare(a.rssi, b.rssi))
}

// sortedDiff returns what only a and only b hold of two sorted slices
// (as multisets).
func sortedDiff[T any](a, b []T, c func(T, T) int) (onlyA, onlyB []T) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && c(a[i], b[j]) < 0):
			onlyA = append(onlyA, a[i])
			i++
		case i >= len(a) || c(a[i], b[j]) > 0:
			onlyB = append(onlyB, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return onlyA, onlyB
}

// requireSame fails t when the grid and the all-pairs reference disagree,
// showing the first differences.
func requireSame[T any](t *testing.T, what string, grid, ref []T, c func(T, T) int) {
	t.Helper()
	onlyGrid, onlyRef := sortedDiff(grid, ref, c)
	if len(onlyGrid) == 0 && len(onlyRef) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: grid %d, all pairs %d; %d only from the grid, %d only from all pairs", what, len(grid), len(ref), len(onlyGrid), len(onlyRef))
	for i, x := range onlyRef[:min(5, len(onlyRef))] {
		fmt.Fprintf(&b, "\n  missed by the grid #%d: %+v", i, x)
	}
	for i, x := range onlyGrid[:min(5, len(onlyGrid))] {
		fmt.Fprintf(&b, "\n  extra from the grid #%d: %+v", i, x)
	}
	t.Error(b.String())
}

// refScenario is a small town with every app pair sampled by both a
// Bluezone and a GAEN arm, so that every pair the neighbour search finds
// shows in the sightings as well as in the truth.
func refScenario(n, days int, edit func(*scenarios.Scenario)) scenarios.Scenario {
	sc := scenarios.Default()
	sc.Name = "reference"
	sc.Days = days
	sc.Population = agents.Default(n)
	sc.Population.Phones.OwnershipByAge = []float64{0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9}
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bz", 0.4), scenarios.GAENArm("gaen", 0.4)}
	sc.Engine.AllSightings = true
	sc.Diagnosis.DailyFraction = 0.1
	sc.Diagnosis.FirstDay = 0
	sc.Metrics.AttenuationSamples = 100
	if edit != nil {
		edit(&sc)
	}
	return sc
}

// only makes the scenario's people go to one kind of place besides home:
// pupils and workers stay home unless kept, and so on.
func noOuting(sc *scenarios.Scenario) {
	p := &sc.Population
	p.SchoolAttendance, p.EmploymentRate, p.BusShare = 0, 0, 0
	p.MarketDaily, p.CafeDaily, p.CafeWeekend, p.VisitNeighbours = 0, 0, 0, 0
}

// TestGridEqualsAllPairs is the oracle for the neighbour search: on small
// scenarios of every venue kind the spatial grid must find exactly the
// pairs that checking every pair of a site finds, so ground-truth contacts
// (per pair: minutes, distance, venue, walls), the tracked pairs' truth,
// every stored sighting and the result tables are identical. A grid that
// misses pairs lowers truth and detections together, which no other
// equivalence test notices.
func TestGridEqualsAllPairs(t *testing.T) {
	for _, tc := range gridCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			sc := refScenario(tc.n, tc.days, tc.edit)
			if err := scenarios.Validate(&sc); err != nil {
				t.Fatalf("scenario: %v", err)
			}
			grid := runRecorded(t, sc)
			ref := runRecorded(t, sc, WithAllPairs(true))
			byKind := kindCounts(ref.contacts)
			for _, k := range tc.kinds {
				if byKind[k] == 0 {
					t.Errorf("no contacts at %v (contacts by kind %v): the case does not test that venue", k, byKind)
				}
			}
			if len(ref.truth) == 0 || len(ref.sightings) == 0 {
				t.Fatalf("%d tracked truth records and %d sightings: nothing to compare", len(ref.truth), len(ref.sightings))
			}
			requireSame(t, "contacts", grid.contacts, ref.contacts, cmpContact)
			if extra, missed := sortedDiff(grid.contacts, ref.contacts, cmpContact); len(extra)+len(missed) > 0 {
				t.Errorf("contacts by venue: missed by the grid %v, extra from the grid %v", kindCounts(missed), kindCounts(extra))
			}
			requireSame(t, "tracked truth", grid.truth, ref.truth, cmpTruth)
			requireSame(t, "sightings", grid.sightings, ref.sightings, cmpSighting)
			if grid.res.Hash != ref.res.Hash {
				t.Errorf("result hash: grid %s, all pairs %s", grid.res.Hash, ref.res.Hash)
			}
			t.Logf("%d contacts %v, %d tracked truth records, %d sightings", len(ref.contacts), byKind, len(ref.truth), len(ref.sightings))
		})
	}
}

// TestHotPairsEqualAllPairs is the oracle for the search restricted to
// pairs with someone hot (an index case within the window, or an
// advertiser whose sightings are kept), which a run takes when nobody asks
// for every contact: on the same small scenarios, with sightings sampled
// only for advertisers who upload, the tracked truth, every stored
// sighting and the result hash equal those of checking every pair.
func TestHotPairsEqualAllPairs(t *testing.T) {
	for _, tc := range gridCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			sc := refScenario(tc.n, tc.days, tc.edit)
			sc.Engine.AllSightings = false
			sc.Diagnosis.DailyFraction = 0.2
			if err := scenarios.Validate(&sc); err != nil {
				t.Fatalf("scenario: %v", err)
			}
			var hot, cold int
			grid := recordDays(t, sc, &refRun{}, func(e *engine, d int) {
				if e.lay.hot == nil {
					t.Fatalf("day %d: every pair searched, not only those with someone hot", d)
				}
				for _, h := range e.lay.hot {
					if h {
						hot++
					} else {
						cold++
					}
				}
			})
			ref := recordDays(t, sc, &refRun{}, nil, WithAllPairs(true))
			if hot == 0 || cold == 0 {
				t.Fatalf("%d hot and %d other person-days: the restriction is not tested", hot, cold)
			}
			if len(ref.truth) == 0 || len(ref.sightings) == 0 {
				t.Fatalf("%d tracked truth records and %d sightings: nothing to compare", len(ref.truth), len(ref.sightings))
			}
			requireSame(t, "tracked truth", grid.truth, ref.truth, cmpTruth)
			requireSame(t, "sightings", grid.sightings, ref.sightings, cmpSighting)
			if grid.res.Hash != ref.res.Hash {
				t.Errorf("result hash: hot pairs %s, all pairs %s", grid.res.Hash, ref.res.Hash)
			}
			t.Logf("%d hot and %d other person-days, %d tracked truth records, %d sightings", hot, cold, len(ref.truth), len(ref.sightings))
		})
	}
}

// gridCase is a small scenario for the neighbour search's oracles.
type gridCase struct {
	name  string
	n     int
	days  int
	edit  func(*scenarios.Scenario)
	kinds []agents.Kind // each must show contacts, or the case tests nothing
}

func gridCases(t *testing.T) []gridCase {
	// Census populations (agents' geography) lay sites out their own way:
	// urban and rural clusters on a province's plane, houses with yards,
	// village and town markets sized to the people they serve, and, with
	// provinces built as one, coaches and the markets day trippers visit.
	census := func(name string, sets ...string) func(*scenarios.Scenario) {
		l, err := scenarios.LoadBuiltin(name, sets...)
		if err != nil {
			t.Fatal(err)
		}
		return func(sc *scenarios.Scenario) {
			own := sc.Population.Phones.OwnershipByAge
			sc.Population = l.Scenario.Population
			sc.Population.Phones.OwnershipByAge = own
		}
	}
	return []gridCase{
		{"tube houses, free at home and visiting", 100, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.ApartmentShare = 0
			sc.Population.VisitNeighbours = 1
			sc.Engine.HomePoseMinutes = 10
		}, []agents.Kind{agents.Home}},
		{"apartments", 100, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.ApartmentShare = 1
			sc.Population.VisitNeighbours = 1
		}, []agents.Kind{agents.Home}},
		{"schools", 250, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.SchoolAttendance = 1
			sc.Population.ClassSize = 30
		}, []agents.Kind{agents.School}},
		{"small offices", 150, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.EmploymentRate = 1
			sc.Population.WorkplaceSizes = []agents.SizeShare{{Size: 4, Share: 0.5}, {Size: 15, Share: 0.5}}
		}, []agents.Kind{agents.Work}},
		{"open-plan workplace", 160, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.EmploymentRate = 1
			sc.Population.WorkplaceSizes = []agents.SizeShare{{Size: 100, Share: 1}}
		}, []agents.Kind{agents.Work}},
		{"market, free movers", 300, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.MarketDaily = 1
			sc.Population.PeoplePerMarket = 300
			sc.Population.MarketMinutes = 90
			sc.Engine.PoseMinutes = 2
		}, []agents.Kind{agents.Market}},
		{"buses", 160, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.SchoolAttendance, sc.Population.EmploymentRate = 1, 1
			sc.Population.BusShare = 1
			// A bus is 2.4 m wide: at the default 10 m range it is one
			// column of cells, which would leave the grid little to get
			// wrong; at 2 m (the least range allowed) it is two.
			sc.Engine.RangeM = 2
		}, []agents.Kind{agents.Bus}},
		{"cafés", 150, 1, func(sc *scenarios.Scenario) {
			noOuting(sc)
			sc.Population.CafeDaily = 1
			sc.Population.PeoplePerCafe = 60
			// A café is 10 x 8 m: one cell at the default range.
			sc.Engine.RangeM = 3
		}, []agents.Kind{agents.Cafe}},
		// The whole town, with ranges that make the grid's cells small,
		// odd-sized and larger than most sites.
		{"town, range 2 m", 300, 2, func(sc *scenarios.Scenario) { sc.Engine.RangeM = 2 },
			[]agents.Kind{agents.Home, agents.School, agents.Work, agents.Market, agents.Cafe}},
		{"town, range 3.7 m", 300, 1, func(sc *scenarios.Scenario) { sc.Engine.RangeM = 3.7 },
			[]agents.Kind{agents.Home, agents.School, agents.Work, agents.Market, agents.Cafe}},
		{"town, range 40 m", 150, 1, func(sc *scenarios.Scenario) { sc.Engine.RangeM = 40 },
			[]agents.Kind{agents.Home, agents.School, agents.Work, agents.Market, agents.Cafe}},
		{"Nam Định's districts, urban and rural", 0, 1, census("nam-dinh", "population.scale=0.0003"),
			[]agents.Kind{agents.Home, agents.School, agents.Work, agents.Market}},
		{"two provinces as one, coaches and visited markets", 0, 1, census("vietnam", "population.area=nam-dinh,thai-binh",
			"population.travel.mixing=joint", "population.travel.daily=0.3", "population.scale=0.0002"),
			[]agents.Kind{agents.Home, agents.Bus, agents.Market}},
	}
}

// The switch is also usable through Run, like the other options, and
// gives the grid's result.
func TestWithAllPairsRun(t *testing.T) {
	sc := refScenario(200, 1, nil)
	r1, n1 := run(t, sc, WithWorkers(2))
	r2, n2 := run(t, sc, WithWorkers(1), WithAllPairs(true))
	if countNots(n1) == 0 {
		t.Fatal("no notifications: the comparison would be empty")
	}
	if r1.Hash != r2.Hash || !equalNots(n1, n2) {
		t.Fatalf("grid and all pairs differ: hash %s vs %s, %d vs %d notifications", r1.Hash, r2.Hash, countNots(n1), countNots(n2))
	}
}

func kindCounts(cs []Contact) map[agents.Kind]int {
	m := map[agents.Kind]int{}
	for _, c := range cs {
		m[c.Kind]++
	}
	return m
}

// BenchmarkNeighbourSearch compares the spatial grid with the all-pairs
// reference on towns without apps (so the radio, which both share, does
// not hide the search): positions, pair search and ground truth of every
// site for two days. "town" is the default town's mix of small sites;
// "big-market" sends 20,000 people's shoppers to one market, where
// checking all pairs grows with the square of the crowd. Compare the two
// searches within one run.
func BenchmarkNeighbourSearch(b *testing.B) {
	town := func(n, perMarket int) scenarios.Scenario {
		sc := scenarios.Default()
		sc.Days = 2
		sc.Population = agents.Default(n)
		sc.Population.PeoplePerMarket = perMarket
		sc.Arms = []scenarios.Arm{scenarios.GAENArm("gaen-0", 0)}
		sc.Diagnosis.FirstDay = 0
		return sc
	}
	for _, tc := range []struct {
		name string
		sc   scenarios.Scenario
	}{{"town", town(5000, 5000)}, {"big-market", town(20000, 20000)}} {
		for _, search := range []struct {
			name string
			opt  Option
		}{{"grid", WithAllPairs(false)}, {"all-pairs", WithAllPairs(true)}} {
			b.Run(tc.name+"/"+search.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Run(context.Background(), tc.sc, WithWorkers(2), search.opt); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
