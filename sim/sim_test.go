package sim

import (
	"cmp"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing/dp3t"
)

// small is a scenario of n people over days days, big enough to have every
// venue type and a few index cases each day.
func small(n, days int) scenarios.Scenario {
	sc := scenarios.Default()
	sc.Name = "test"
	sc.Days = days
	sc.Population = agents.Default(n)
	sc.Population.PeoplePerMarket = 1000
	sc.Diagnosis.DailyFraction = 0.05
	sc.Diagnosis.FirstDay = 1
	sc.Metrics.AttenuationSamples = 200
	return sc
}

func run(t *testing.T, sc scenarios.Scenario, opts ...Option) (*Result, [][]Notification) {
	t.Helper()
	var nots [][]Notification
	opts = append(opts, WithNotifications(func(arm, day int, n []Notification) {
		for len(nots) <= arm {
			nots = append(nots, nil)
		}
		nots[arm] = append(nots[arm], n...)
	}))
	r, err := Run(context.Background(), sc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r, nots
}

func TestRunSmoke(t *testing.T) {
	sc := small(800, 4)
	sc.Arms = append(sc.Arms, scenarios.ProtocolArm("dp3t-40", "dp3t", 0.4), scenarios.ProtocolArm("bluezone-v1-40", "bluezone-v1", 0.4))
	r, _ := run(t, sc, WithWorkers(2))
	for _, a := range r.Arms {
		t.Logf("%s: index %d uploads %d close %d app-close %d tp %d fp %d fn %d tn %d precision %.2f coverage %.3f capture %.2f",
			a.Name, a.IndexCases, a.Uploads, a.CloseContacts, a.AppCloseContacts, a.TP, a.FP, a.FN, a.TN, a.Precision, a.Coverage, a.Capture)
	}
	if len(r.Arms) != len(sc.Arms) || len(r.Daily) != len(sc.Arms)*sc.Days {
		t.Fatalf("arms %d daily %d", len(r.Arms), len(r.Daily))
	}
	for _, a := range r.Arms {
		if a.CloseContacts == 0 || a.Uploads == 0 {
			t.Errorf("arm %s: %d close contacts, %d uploads", a.Name, a.CloseContacts, a.Uploads)
		}
		if a.TP == 0 {
			t.Errorf("arm %s: no true positives", a.Name)
		}
		if a.CloseContacts != a.TP+a.FN {
			t.Errorf("arm %s: close contacts %d != tp %d + fn %d", a.Name, a.CloseContacts, a.TP, a.FN)
		}
	}
	// Same adoption, same index cases and close contacts (common random
	// numbers across protocols).
	if r.Arms[0].CloseContacts != r.Arms[2].CloseContacts || r.Arms[0].IndexCases != r.Arms[2].IndexCases {
		t.Errorf("bluezone-20 and gaen-20 see different truth: %d/%d vs %d/%d", r.Arms[0].CloseContacts, r.Arms[0].IndexCases,
			r.Arms[2].CloseContacts, r.Arms[2].IndexCases)
	}
	if len(r.Attenuation) == 0 || len(r.Bands) == 0 || len(r.Detection) == 0 || len(r.Delays) == 0 {
		t.Errorf("empty tables: att %d bands %d det %d delays %d", len(r.Attenuation), len(r.Bands), len(r.Detection), len(r.Delays))
	}
	// Every phase of a day is timed, in the order the days run them.
	var names []string
	var wall float64
	for _, p := range r.Phases {
		names = append(names, p.Name)
		if p.WallSeconds < 0 || p.CPUSeconds < 0 {
			t.Errorf("phase %+v: negative time", p)
		}
		wall += p.WallSeconds
	}
	want := []string{"layout", "sites", "merge", "transmit", "diagnose", "match", "score", "end_day", "finish"}
	if !slices.Equal(names, want) {
		t.Errorf("phases %v, want %v", names, want)
	}
	if wall <= 0 || wall > r.WallSeconds*1.01 {
		t.Errorf("phases take %.3f s of a %.3f s run", wall, r.WallSeconds)
	}
}

// The same scenario and seed give the same hash and notifications with
// 1, 2, 3 and 16 workers (more workers than chunks of some phases, and
// fewer), with the small chunks that make every phase split its work.
func TestDeterministicAcrossWorkers(t *testing.T) {
	sc := small(700, 3)
	sc.Arms = append(sc.Arms, scenarios.ProtocolArm("dp3t-40", "dp3t", 0.4), scenarios.ProtocolArm("bluezone-v1-40", "bluezone-v1", 0.4))
	r1, n1 := run(t, sc, WithWorkers(1))
	for _, w := range []int{2, 3, 16} {
		rw, nw := run(t, sc, WithWorkers(w))
		if r1.Hash != rw.Hash {
			t.Fatalf("hash differs: 1 worker %s, %d workers %s", r1.Hash, w, rw.Hash)
		}
		if !equalNots(n1, nw) {
			t.Fatalf("notifications differ between 1 and %d workers", w)
		}
	}
	sc.Seed++
	r3, _ := run(t, sc, WithWorkers(2))
	if r3.Hash == r1.Hash {
		t.Fatal("another seed gave the same hash")
	}
}

func equalNots(a, b [][]Notification) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func countNots(n [][]Notification) int {
	c := 0
	for _, x := range n {
		c += len(x)
	}
	return c
}

// Compact sightings (advertiser, time, RSSI; bytes derived when matching)
// and raw sightings (real ID bytes and AEM stored when recorded) must give
// the same notifications, for every protocol.
func TestCompactEqualsRaw(t *testing.T) {
	sc := small(500, 3)
	sc.Arms = []scenarios.Arm{
		scenarios.BluezoneArm("bz", 0.5), scenarios.GAENArm("gaen", 0.5),
		scenarios.ProtocolArm("dp3t", "dp3t", 0.5),
	}
	rc, nc := run(t, sc, WithWorkers(2))
	rr, nr := run(t, sc, WithWorkers(2), WithRawSightings(true))
	if countNots(nc) == 0 {
		t.Fatal("no notifications: the comparison would be empty")
	}
	if !equalNots(nc, nr) || rc.Hash != rr.Hash {
		t.Fatalf("compact and raw storage differ: %d vs %d notifications, hash %s vs %s", countNots(nc), countNots(nr), rc.Hash, rr.Hash)
	}
}

// Expanding each key once and joining on ID bytes must notify exactly the
// people that per-phone matching (Protocol.Match on each store) notifies.
func TestExpandedJoinEqualsPerPhone(t *testing.T) {
	sc := small(400, 3)
	sc.Arms = []scenarios.Arm{
		scenarios.BluezoneArm("bz", 0.5), scenarios.GAENArm("gaen", 0.5),
		scenarios.ProtocolArm("dp3t", "dp3t", 0.5),
	}
	re, ne := run(t, sc)
	rp, np := run(t, sc, WithPerPhoneMatching(true))
	if countNots(ne) == 0 {
		t.Fatal("no notifications")
	}
	if !equalNots(ne, np) || re.Hash != rp.Hash {
		t.Fatalf("expanded join and per-phone matching differ: %d vs %d notifications", countNots(ne), countNots(np))
	}
}

// Sampling only advertisers who upload in the window must not change any
// verdict compared with sampling every app pair.
func TestRelevantSightingsEqualAll(t *testing.T) {
	sc := small(300, 3)
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bz", 0.4), scenarios.GAENArm("gaen", 0.4)}
	r1, n1 := run(t, sc)
	sc.Engine.AllSightings = true
	r2, n2 := run(t, sc)
	if countNots(n1) == 0 || !equalNots(n1, n2) {
		t.Fatalf("notifications differ: %d vs %d", countNots(n1), countNots(n2))
	}
	for i := range r1.Arms {
		a, b := r1.Arms[i], r2.Arms[i]
		if a.Counts != b.Counts || a.MatchedSightings != b.MatchedSightings {
			t.Errorf("arm %s: %+v vs %+v", a.Name, a.Counts, b.Counts)
		}
		if b.Sightings <= a.Sightings {
			t.Errorf("arm %s: all sightings %d not above relevant %d", a.Name, b.Sightings, a.Sightings)
		}
	}
}

// A person who has the app at one adoption has it at every higher one,
// and arms differing in adoption see nested sets of index cases.
func TestAdoptionNesting(t *testing.T) {
	pop, err := agents.Build(agents.Default(3000), radio.DefaultParams(), 7)
	if err != nil {
		t.Fatal(err)
	}
	levels := []float64{0, 0.1, 0.2, 0.3, 0.5, 0.7, 1}
	prev := -1
	for li, a := range levels {
		n := 0
		for i := range pop.People {
			in := pop.Installed(i, a)
			if in {
				n++
			}
			for _, hi := range levels[li:] {
				if in && !pop.Installed(i, hi) {
					t.Fatalf("person %d installed at %v but not at %v", i, a, hi)
				}
			}
		}
		if n < prev {
			t.Fatalf("installs fell from %d to %d at adoption %v", prev, n, a)
		}
		prev = n
		want := min(a, pop.Ownership) * float64(len(pop.People))
		if math.Abs(float64(n)-want) > 4*math.Sqrt(want+1)+1 {
			t.Errorf("adoption %v: %d installers, want about %.0f", a, n, want)
		}
	}
	// Ramp: adoption on later days never removes an installer.
	arm := scenarios.Arm{Adoption: 0.4, Ramp: scenarios.Ramp{From: 0.05, Days: 5}}
	for d := range 6 {
		for i := range pop.People {
			if pop.Installed(i, arm.AdoptionOn(d)) && !pop.Installed(i, arm.AdoptionOn(d+1)) {
				t.Fatalf("person %d uninstalled between day %d and %d", i, d, d+1)
			}
		}
	}
}

// idealScenario: everyone owns a phone and runs the app, the radio has no
// noise and no losses, the rule is "within 2 m for 15 minutes".
func idealScenario() scenarios.Scenario {
	sc := small(800, 3)
	sc.Population.Phones.OwnershipByAge = []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	sc.Population.Phones.BluetoothOff = 0
	sc.Population.Phones.BatterySaverKill = 0
	sc.Diagnosis.Compliance = 1
	rp := &sc.Radio
	rp.NOutdoor, rp.NIndoor, rp.NVehicle = 2, 2, 2
	rp.SigmaPoseDB, rp.SigmaVehicleExtraDB, rp.SigmaChannelDB = 0, 0, 0
	// Rician K = 13 dB leaves 1.4 dB of per-packet fading, about 0.35 dB
	// once averaged over the ~17 packets of a scan. (The radio's fade
	// table returns +Inf packets for K >= 14 dB, so fading cannot yet be
	// switched off entirely.)
	rp.RicianKOutdoorDB, rp.RicianKIndoorDB, rp.RicianKVehicleDB = 13, 13, 13
	rp.BodyLossDB = radio.BodyLoss{}
	rp.PersonBetweenDB, rp.WallLossDB, rp.VehicleLossDB = 0, 0, 0
	rp.DevTXOffsetSDDB, rp.DevRXOffsetSDDB, rp.GAENResidualCalibSDDB = 0, 0, 0
	rp.RxSensitivityDBm = -140
	sc.Contact = scenarios.Contact{Preset: scenarios.ContactCustom, DistanceM: 2, Minutes: 15, Window: "day"}
	// Attenuation at 2 m with n = 2: atten_1m + 20 log10(2).
	th := rp.Atten1mDB + 20*math.Log10(2)
	arm := scenarios.ProtocolArm("ideal", "dp3t", 1)
	rule := dp3t.DefaultRuleParams()
	rule.LowerThresholdDB, rule.UpperThresholdDB = th, th
	rule.LowerWeight, rule.MiddleWeight, rule.UpperWeight = 1, 0, 0
	rule.TriggerMinutes = 15
	arm.Rule = rule
	sc.Arms = []scenarios.Arm{arm}
	sc.Metrics.DurationBandsMin = []float64{5, 25}
	return sc
}

func TestIdealRadioPrecisionRecall(t *testing.T) {
	sc := idealScenario()
	var nots []Notification
	cfg := config{workers: 2, chunkTarget: 64, onDayMatch: func(arm, day int, n []Notification) { nots = n }}
	e, err := newEngine(sc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, far int
	for d := 0; d < sc.Days; d++ {
		if err := e.simulateDay(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		if err := e.matchDay(d); err != nil {
			t.Fatal(err)
		}
		isIndex := make([]bool, len(e.pop.People))
		for _, p := range e.idx.(*fixedDiagnoses).diagnosed(d) {
			isIndex[p] = true
		}
		notified := map[[2]int32]bool{}
		for _, n := range nots {
			notified[[2]int32{n.Index, n.Person}] = true
		}
		for _, c := range e.sco.contactsOf(d, isIndex) {
			got := notified[[2]int32{c.idx, c.other}]
			delete(notified, [2]int32{c.idx, c.other})
			// Quantisation: RSSI is whole dBm (±0.5 dB) with ~0.35 dB of
			// residual fading per scan, summed over hours of scans, so
			// distances within ±1.5 dB of 2 m (1.68-2.38 m) can go either
			// way; a scan every 3.5-5 min stands for up to 5 min, so can
			// exposures within ±12 min of 15 min.
			near := (c.minDist > 1.68 && c.minDist < 2.38) || (c.worstClose > 3 && c.worstClose < 27)
			switch {
			case c.close && got:
				tp++
			case c.close:
				fn++
				if !near {
					far++
					t.Logf("missed: %.0f min, %.2f m at %v", c.worstClose, c.minDist, c.kind)
				}
			case got:
				fp++
				if !near {
					far++
					t.Logf("false alarm: %.0f min, %.2f m at %v", c.worstClose, c.minDist, c.kind)
				}
			}
		}
		if len(notified) > 0 {
			t.Errorf("day %d: %d people notified without being in range", d, len(notified))
		}
	}
	prec, rec := float64(tp)/float64(tp+fp), float64(tp)/float64(tp+fn)
	t.Logf("ideal: tp %d fp %d fn %d precision %.3f recall %.3f; %d errors away from the boundaries", tp, fp, fn, prec, rec, far)
	if tp < 100 {
		t.Fatalf("only %d true positives", tp)
	}
	if prec < 0.8 || rec < 0.95 {
		t.Errorf("precision %.3f recall %.3f: want both near 1", prec, rec)
	}
	if far > 0 {
		t.Errorf("%d verdicts wrong away from the 2 m / 15 min boundaries", far)
	}
}

// With adoption independent of everything else, the share of close
// contacts where both have the app is a², so coverage ≈ capture × a².
func TestCoverageFollowsPairwiseLaw(t *testing.T) {
	sc := small(1500, 3)
	sc.Population.Phones.OwnershipByAge = []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	// Close contacts cluster on index cases (a pupil has forty), so the
	// share with both apps varies more than a binomial: use many index
	// cases.
	sc.Diagnosis.DailyFraction = 0.15
	levels := []float64{0.3, 0.6, 1}
	sc.Arms = nil
	for _, a := range levels {
		sc.Arms = append(sc.Arms, scenarios.GAENArm("gaen", a))
		sc.Arms[len(sc.Arms)-1].Name = "gaen-" + string(rune('0'+int(a*10)))
	}
	r, _ := run(t, sc)
	for i, a := range levels {
		s := r.Arms[i]
		want := s.Capture * a * a
		t.Logf("a=%.1f coverage %.3f capture %.3f capture*a² %.3f (both-app share of close contacts %.3f, a² %.3f, %d index cases)",
			a, s.Coverage, s.Capture, want, float64(s.AppCloseContacts)/float64(s.CloseContacts), a*a, s.IndexCases)
		if s.Capture == 0 || math.Abs(s.Coverage-want) > 0.2*want+0.01 {
			t.Errorf("adoption %.1f: coverage %.3f, capture×a² %.3f", a, s.Coverage, want)
		}
	}
}

// A phone keeping one day of sightings matches fewer of them than one
// keeping the whole infectious window.
func TestRetention(t *testing.T) {
	sc := small(500, 3)
	sc.Arms = []scenarios.Arm{scenarios.GAENArm("gaen", 0.5)}
	full, _ := run(t, sc)
	sc.Engine.RetentionDays = 1
	short, _ := run(t, sc)
	f, s := full.Arms[0], short.Arms[0]
	if f.MatchedSightings == 0 || s.MatchedSightings >= f.MatchedSightings || s.Notifications > f.Notifications {
		t.Fatalf("retention 1 matched %d (%d notified), retention 14 matched %d (%d notified)",
			s.MatchedSightings, s.Notifications, f.MatchedSightings, f.Notifications)
	}
}

// contactSum adds up contacts order-independently.
type contactSum struct{ n, minutes, close int64 }

func (c *contactSum) Contact(x *Contact) {
	c.n++
	c.minutes += int64(x.To - x.From)
	if x.DistanceM <= 2 && x.A < x.B {
		c.close += int64(x.To - x.From)
	}
}

// Every worker count sees the same contacts through WithContacts, and
// endDay runs once a day with every worker's sink.
func TestContactSink(t *testing.T) {
	sc := small(400, 2)
	sc.Arms = []scenarios.Arm{scenarios.GAENArm("gaen", 0.3)}
	totals := map[int][]contactSum{}
	for _, workers := range []int{1, 2} {
		days := 0
		_, err := Run(context.Background(), sc, WithWorkers(workers),
			WithContacts(func(int) ContactSink { return &contactSum{} }, func(day int, sinks []ContactSink) error {
				if len(sinks) != workers {
					t.Fatalf("%d sinks for %d workers", len(sinks), workers)
				}
				var s contactSum
				for _, k := range sinks {
					c := k.(*contactSum)
					s.n, s.minutes, s.close = s.n+c.n, s.minutes+c.minutes, s.close+c.close
					*c = contactSum{}
				}
				totals[workers] = append(totals[workers], s)
				days++
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		if days != sc.Days {
			t.Fatalf("endDay ran %d times over %d days", days, sc.Days)
		}
	}
	if !slices.Equal(totals[1], totals[2]) || totals[1][0].n == 0 || totals[1][0].close == 0 {
		t.Fatalf("contacts with 1 worker %+v, with 2 %+v", totals[1], totals[2])
	}
	stop := errors.New("stop")
	if _, err := Run(context.Background(), sc, WithContacts(func(int) ContactSink { return &contactSum{} },
		func(int, []ContactSink) error { return stop })); !errors.Is(err, stop) {
		t.Fatalf("endDay error not returned: %v", err)
	}
}

// Skipping two backgrounded iPhones when ios_bg_bg_detect_prob is 0 gives
// what the radio model itself reports: with a probability of 1e-12 (which
// turns the shortcut off) nothing changes.
func TestIOSBackgroundShortcut(t *testing.T) {
	sc := small(400, 3)
	sc.Arms = []scenarios.Arm{scenarios.BluezoneArm("bz", 0.5)}
	r0, n0 := run(t, sc)
	sc.Radio.IOSBgBgDetectProb = 1e-12
	r1, n1 := run(t, sc)
	if countNots(n0) == 0 || !equalNots(n0, n1) || r0.Arms[0].Counts != r1.Arms[0].Counts {
		t.Fatalf("shortcut changed results: %d vs %d notifications", countNots(n0), countNots(n1))
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	days := 0
	_, err := Run(ctx, small(500, 5), WithProgress(func(p Progress) {
		days = p.Day
		if p.Day == 1 {
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) || days != 1 {
		t.Fatalf("err %v after %d days", err, days)
	}
}

func TestRunErrors(t *testing.T) {
	bad := []func(*scenarios.Scenario){
		func(s *scenarios.Scenario) { s.Days = 0 },
		func(s *scenarios.Scenario) { s.Arms = nil },
		func(s *scenarios.Scenario) { s.Arms[0].Protocol = "tcn" },
		func(s *scenarios.Scenario) { s.Arms[0].Adoption = 1.5 },
		func(s *scenarios.Scenario) { s.Arms[2].Rule = dp3t.DefaultRuleParams() }, // a rule of another protocol
		func(s *scenarios.Scenario) { s.Arms[1].Rule = nil },
		func(s *scenarios.Scenario) { s.Days = 300 },
		func(s *scenarios.Scenario) { s.Population.HouseWidthM = 50 },
		func(s *scenarios.Scenario) { s.Contact.Preset = "who" },
		func(s *scenarios.Scenario) { s.Population.Size = 1 },
		func(s *scenarios.Scenario) { s.Radio.RxSensitivityDBm = 5 },
		func(s *scenarios.Scenario) { s.Diagnosis.Among = "cats" },
		func(s *scenarios.Scenario) { s.Arms[1].Name = s.Arms[0].Name },
	}
	for i, f := range bad {
		sc := small(200, 1)
		f(&sc)
		if _, err := Run(context.Background(), sc); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

// prune keeps the k samples of smallest priority, in priority order: the
// samples a full sort keeps (priorities are distinct hashes), payloads
// included.
func TestPrune(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		n := r.IntN(400)
		k := 1 + r.IntN(n+2)
		s := make([]attSample, n)
		for i := range s {
			s[i] = attSample{prio: r.Uint64(), group: int16(i), dist: float32(i), att: float32(r.IntN(90))}
		}
		want := slices.Clone(s)
		slices.SortFunc(want, func(a, b attSample) int { return cmp.Compare(a.prio, b.prio) })
		want = want[:min(k, n)]
		if got := prune(slices.Clone(s), k); !slices.Equal(got, want) {
			t.Fatalf("trial %d: n %d k %d: got %v, want %v", trial, n, k, got, want)
		}
	}
}

// smallest keeps exactly the k smallest priorities, as a full sort would.
func TestSmallest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := r.IntN(400)
		k := r.IntN(n + 2)
		s := make([]attSample, n)
		for i := range s {
			s[i].prio = r.Uint64N(uint64(1 + r.IntN(50))) // many ties too
		}
		want := slices.Clone(s)
		slices.SortFunc(want, func(a, b attSample) int { return cmp.Compare(a.prio, b.prio) })
		want = want[:min(k, n)]
		got := slices.Clone(smallest(s, k))
		slices.SortFunc(got, func(a, b attSample) int { return cmp.Compare(a.prio, b.prio) })
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: n %d k %d: got %v, want %v", trial, n, k, got, want)
		}
	}
}
