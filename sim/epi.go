package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/sim/epidemic"
)

// epi is the epidemic layer of a run (scenario epidemic.enabled): one
// epidemic.Run per arm, driven by that arm's own notifications, and one
// more run without any app (the paired counterfactual, last). All runs
// share one Model, so they share every draw (common random numbers).
type epi struct {
	e    *engine
	m    *epidemic.Model
	runs []*epidemic.Run // arms in scenario order, then the counterfactual
	// inf[r][p]: person p can transmit today in run r.
	inf [][]bool
	// exp[w][r] is worker w's exposures of run r for the day.
	exp [][]*epidemic.Exposures
	// Household members: hhMembers[hhOff[h]:hhOff[h+1]].
	hhOff, hhMembers []int32
	// positives[r] are run r's people diagnosed today (its index cases);
	// uploader[ai][p] says p uploaded today in arm ai.
	positives [][]int32
	uploader  [][]bool
	upList    [][]int32 // uploader as ascending lists, per arm
	// qhist[ai][d] is arm ai's confinement state as it stood on day d, for
	// the days whose sightings a phone still holds.
	qhist []map[int]*epidemic.Quarantines
	// close[d][p] are p's ground-truth close contacts on day d, for manual
	// tracing, kept for truthKeep days (the truth itself only for the
	// infectious window the detection metrics score). Tracing that reaches
	// further back (a long backlog) finds no contacts there.
	close     map[int]map[int32][]int32
	truthKeep int
	// Calibration: the sampled index cases (person -> slot, -1 none) and
	// each worker's doses of the calibration day.
	calibSlot []int32
	calibLog  [][]calibDose
	calibDay  int
	// advertise[p]: p may upload within the sightings window in some run,
	// so the radio is sampled for p as an advertiser today. lag[p] is the
	// days from infection to p's symptom-driven positive result (-1 if p
	// would never test positive that way): a person's course and test
	// delay are keyed by the person alone, so it is known ahead.
	advertise []bool
	lag       []int32
	// uploads[p]: p would upload a positive result (keyed by the person).
	uploads []bool
}

// epi implements indexCases.
var _ indexCases = (*epi)(nil)

type calibDose struct {
	i       int32
	contact int32
	dose    float64
}

// calibrationDays is the week of ordinary contacts beta is calibrated on.
const calibrationDays = 7

// calibrationSample is how many people's contacts the calibration logs.
const calibrationSample = 500

func (e *engine) setupEpidemic() error {
	p := e.sc.Epidemic
	if err := p.Validate(); err != nil {
		return err
	}
	m, err := epidemic.NewModel(p, e.sc.Seed)
	if err != nil {
		return err
	}
	n := len(e.pop.People)
	x := &epi{e: e, m: m, close: map[int]map[int32][]int32{}}
	e.epi, e.idx = x, x
	// Households as index lists.
	nh := int32(0)
	for i := range e.pop.People {
		nh = max(nh, e.pop.People[i].Household+1)
	}
	x.hhOff = make([]int32, nh+1)
	for i := range e.pop.People {
		x.hhOff[e.pop.People[i].Household+1]++
	}
	for h := int32(1); h <= nh; h++ {
		x.hhOff[h] += x.hhOff[h-1]
	}
	x.hhMembers = make([]int32, n)
	pos := slices.Clone(x.hhOff[:nh])
	for i := range e.pop.People {
		h := e.pop.People[i].Household
		x.hhMembers[pos[h]] = int32(i)
		pos[h]++
	}
	x.truthKeep = e.k
	if p.ManualTracing.Enabled {
		x.truthKeep = max(e.k, p.ManualTracing.LookbackDays+p.ManualTracing.DelayDays+int(math.Ceil(p.History.IncubationMedianDays))+5)
	}
	if p.Transmission.Beta == 0 {
		if err := e.calibrate(); err != nil {
			return err
		}
	}
	na := len(e.sc.Arms)
	for r := 0; r <= na; r++ {
		run, err := epidemic.NewRun(x.m, n)
		if err != nil {
			return err
		}
		x.runs = append(x.runs, run)
	}
	x.inf = make([][]bool, na+1)
	for r := range x.inf {
		x.inf[r] = make([]bool, n)
	}
	x.positives = make([][]int32, na+1)
	x.advertise = make([]bool, n)
	x.lag = make([]int32, n)
	x.uploads = make([]bool, n)
	for i := range x.lag {
		x.uploads[i] = x.m.Uploads(int32(i))
		c := x.m.DrawCourse(int32(i))
		c.Day = 0
		x.lag[i] = -1
		if d, ok := x.m.TestResultDay(int32(i), c); ok {
			x.lag[i] = d
		}
	}
	x.uploader = make([][]bool, na)
	x.upList = make([][]int32, na)
	x.qhist = make([]map[int]*epidemic.Quarantines, na)
	for ai := range x.uploader {
		x.uploader[ai] = make([]bool, n)
		x.qhist[ai] = map[int]*epidemic.Quarantines{}
	}
	return nil
}

// household appends p's other household members to dst.
func (x *epi) household(p int32, dst []int32, pop *agents.Population) []int32 {
	h := pop.People[p].Household
	for _, q := range x.hhMembers[x.hhOff[h]:x.hhOff[h+1]] {
		if q != p {
			dst = append(dst, q)
		}
	}
	return dst
}

// calibrate walks one ordinary week of contacts (days 0-6 of the run's
// calendar, with no epidemic and no radio) for Model.CalibrationSample
// people, and sets beta so that R0 = transmission.target_r0
// (Model.CalibrateBeta: the expected number of infections an index case
// with a drawn course causes over its contacts, repeated weekly).
func (e *engine) calibrate() error {
	x := e.epi
	n := len(e.pop.People)
	idx := x.m.CalibrationSample(n, min(calibrationSample, n))
	x.calibSlot = make([]int32, n)
	for i := range x.calibSlot {
		x.calibSlot[i] = -1
	}
	for i, p := range idx {
		x.calibSlot[p] = int32(i)
	}
	log, err := epidemic.NewDoseLog(len(idx), calibrationDays)
	if err != nil {
		return err
	}
	e.calib = true
	for d := range calibrationDays {
		x.calibDay = d
		if err := e.simulateDay(context.Background(), d); err != nil {
			return err
		}
		var all []calibDose
		for w := range x.calibLog {
			all = append(all, x.calibLog[w]...)
			x.calibLog[w] = x.calibLog[w][:0]
		}
		// Workers' order depends on scheduling: sort before adding, so the
		// float sums do not.
		slices.SortFunc(all, func(a, b calibDose) int {
			return cmp.Or(cmp.Compare(a.i, b.i), cmp.Compare(a.contact, b.contact), cmp.Compare(a.dose, b.dose))
		})
		for _, c := range all {
			if err := log.Add(int(c.i), d, c.contact, c.dose); err != nil {
				return err
			}
		}
	}
	e.calib = false
	// Forget the calibration week: the run starts afresh on day 0.
	e.truth = map[int][][]truthRec{}
	for _, g := range e.groups {
		g.store.reset()
	}
	beta, err := x.m.CalibrateBeta(log, e.sc.Epidemic.Transmission.TargetR0)
	if err != nil {
		return fmt.Errorf("epidemic: calibrating beta: %w", err)
	}
	x.m, err = x.m.WithBeta(beta)
	return err
}

// calibContact returns worker w's logger of a contact's doses for the
// calibration sample.
func (x *epi) calibContact(w int) contactFunc {
	return func(a, b int32, minutes, dist float64, s *agents.Site, walls int, _ bool) {
		if walls > 0 {
			return
		}
		sa, sb := x.calibSlot[a], x.calibSlot[b]
		if sa < 0 && sb < 0 {
			return
		}
		dose := x.m.Dose(minutes, dist, s.Env)
		if sa >= 0 {
			x.calibLog[w] = append(x.calibLog[w], calibDose{sa, b, dose})
		}
		if sb >= 0 {
			x.calibLog[w] = append(x.calibLog[w], calibDose{sb, a, dose})
		}
	}
}

// epiContact returns worker w's consumer of contacts, which adds a
// contact's doses to every run it is not excluded from. People in
// different rooms (walls between them) do not infect each other: the radio
// crosses a wall, the virus is assumed not to.
func (x *epi) epiContact(w int) contactFunc {
	exp := x.exp[w]
	return func(a, b int32, minutes, dist float64, s *agents.Site, walls int, household bool) {
		if walls > 0 {
			return
		}
		d := int32(x.e.lay.day)
		var dose float64
		for r, run := range x.runs {
			ia, ib := x.inf[r][a], x.inf[r][b]
			if !ia && !ib {
				continue
			}
			if run.Excluded(a, b, d, household) {
				continue
			}
			if dose == 0 {
				dose = x.m.Dose(minutes, dist, s.Env)
			}
			if ia && run.Pop.Susceptible(b) {
				exp[r].Add(a, b, dose)
			}
			if ib && run.Pop.Susceptible(a) {
				exp[r].Add(b, a, dose)
			}
		}
	}
}

// beginDay prepares the calibration logs or, on a day of the run, seeds
// and fixes who is infectious today in every run.
func (x *epi) beginDay(d int) error {
	e := x.e
	if e.calib {
		for len(x.calibLog) < len(e.workers) {
			x.calibLog = append(x.calibLog, nil)
		}
		for w := range x.calibLog {
			x.calibLog[w] = x.calibLog[w][:0]
		}
		return nil
	}
	errs := make([]error, len(x.runs))
	e.parallel(len(x.runs), func(r int) {
		run := x.runs[r]
		if _, err := run.Seed(int32(d)); err != nil {
			errs[r] = err
			return
		}
		clear(x.inf[r])
		for _, p := range run.Pop.InfectiousOn(int32(d), nil) {
			x.inf[r][p] = true
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	parts := 4 * e.cfg.workers
	e.parallel(parts, func(p int) {
		lo, hi := cut(len(x.advertise), parts, p)
		x.setAdvertisers(d, e.keep, lo, hi)
	})
	for len(x.exp) < len(e.workers) {
		ex := make([]*epidemic.Exposures, len(x.runs))
		for r := range ex {
			ex[r] = &epidemic.Exposures{}
		}
		x.exp = append(x.exp, ex)
	}
	for _, ex := range x.exp {
		for _, r := range ex {
			r.Reset()
		}
	}
	return nil
}

// track keeps every pair's truth: index cases are not known ahead (and
// none during the calibration week, which scores nothing).
func (x *epi) track(tracked []bool, _ int) {
	for i := range tracked {
		tracked[i] = !x.e.calib
	}
}

func (x *epi) advertisers(int) []bool { return x.advertise }

// uploadDays: a diagnosis is not known ahead.
func (x *epi) uploadDays(int) []int16 { return nil }

func (x *epi) contacts(w int, calib bool) contactFunc {
	if calib {
		return x.calibContact(w)
	}
	return x.epiContact(w)
}

// setAdvertisers marks who of persons lo..hi-1 can upload on a day in
// [d, d+keep] in some run: only their sightings can ever be matched, so
// only they need the radio sampled (as the detection-only path does for
// its index cases known ahead). An infected person not yet diagnosed whose
// result is due in the window; a susceptible person whose
// infection-to-result lag fits in the window (they might be infected today
// or later); with testing.test_notified anyone infected or susceptible and
// not yet diagnosed, since a notice can bring a test any day. Nobody who
// would not upload a positive result (testing.upload_compliance, keyed by
// the person) is an advertiser.
func (x *epi) setAdvertisers(d, keep, lo, hi int) {
	tn := x.m.Params().Testing.TestNotified
	for i := lo; i < hi; i++ {
		a := false
		for _, run := range x.runs {
			if !x.uploads[i] {
				break
			}
			c := run.Pop.Course(int32(i))
			switch {
			case c.Diagnosed:
			case tn:
				a = true
			case c.Day == epidemic.NotInfected:
				a = x.lag[i] >= 0 && int(x.lag[i]) <= keep
			default:
				rd := int(c.Day) + int(x.lag[i])
				a = x.lag[i] >= 0 && rd >= d && rd <= d+keep
			}
			if a {
				break
			}
		}
		x.advertise[i] = a
	}
}

// afterSites merges the workers' exposures and draws the day's infections
// in every run (in parallel: the runs share nothing but the read-only
// Model), then keeps the day's close contacts for manual tracing.
func (x *epi) afterSites(d int) error {
	e := x.e
	errs := make([]error, len(x.runs))
	e.parallel(len(x.runs), func(r int) {
		var all epidemic.Exposures
		for w := range x.exp {
			all.Merge(x.exp[w][r])
		}
		_, errs[r] = x.runs[r].Transmit(&all, int32(d))
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	delete(x.close, d-x.truthKeep-1)
	if e.sc.Epidemic.ManualTracing.Enabled {
		x.close[d] = e.closeContacts(e.truth[d])
	}
	for ai, run := range x.runs[:len(e.sc.Arms)] {
		delete(x.qhist[ai], d-e.keep-1)
		x.qhist[ai][d] = run.Q.Clone()
	}
	return nil
}

// closeContacts returns each person's close contacts of one day's truth
// (minutes within the contact distance summed over the day's sites).
func (e *engine) closeContacts(chunks [][]truthRec) map[int32][]int32 {
	type pm struct {
		a, b int32
		m    float32
	}
	var ps []pm
	for _, trs := range chunks {
		for i := range trs {
			if trs[i].closeMin > 0 {
				ps = append(ps, pm{trs[i].a, trs[i].b, trs[i].closeMin})
			}
		}
	}
	slices.SortFunc(ps, func(x, y pm) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
	out := map[int32][]int32{} // lookups only
	for i := 0; i < len(ps); {
		j, sum := i, float32(0)
		for j < len(ps) && ps[j].a == ps[i].a && ps[j].b == ps[i].b {
			sum += ps[j].m
			j++
		}
		if float64(sum) >= e.closeMin {
			out[ps[i].a] = append(out[ps[i].a], ps[i].b)
			out[ps[i].b] = append(out[ps[i].b], ps[i].a)
		}
		i = j
	}
	return out
}

// diagnose runs every run's diagnoses of day d (in parallel): the
// positives are the index cases, and each arm's uploaders are its
// positive app users who comply.
func (x *epi) diagnose(d int) error {
	e := x.e
	hh := func(p int32, dst []int32) []int32 { return x.household(p, dst, e.pop) }
	na := len(e.sc.Arms)
	errs := make([]error, len(x.runs))
	e.parallel(len(x.runs), func(r int) {
		run := x.runs[r]
		x.positives[r] = x.positives[r][:0]
		for _, p := range run.Pop.PositivesOn(int32(d)) {
			if !run.Pop.Course(p).Diagnosed {
				x.positives[r] = append(x.positives[r], p)
			}
		}
		var hasApp func(int32) bool
		if r < na {
			ai := r
			for _, p := range x.upList[ai] {
				x.uploader[ai][p] = false
			}
			hasApp = func(p int32) bool { return e.installedArm(ai, int(p), d) }
		}
		ups, err := run.Diagnose(int32(d), hasApp, hh)
		if err != nil {
			errs[r] = err
			return
		}
		if r < na {
			x.upList[r] = append(x.upList[r][:0], ups...)
			slices.Sort(x.upList[r])
			x.upList[r] = slices.Compact(x.upList[r])
			for _, p := range ups {
				x.uploader[r][p] = true
			}
		}
	})
	return errors.Join(errs...)
}

// uploaders: the persons uploading today in any of g's arms.
func (x *epi) uploaders(dst []int32, g *group, _ int) []int32 {
	n0 := len(dst)
	for _, ai := range g.arms {
		dst = append(dst, x.upList[ai]...)
	}
	slices.Sort(dst[n0:])
	return slices.Compact(dst)
}

// armUploads: the arm's own epidemic made p an uploader.
func (x *epi) armUploads(ai int, p int32, _ int) bool { return x.uploader[ai][p] }

// excluded reports whether arm ai's quarantines removed the contact of a
// and b on day d (so its phones did not record it).
func (x *epi) excluded(ai int, a, b int32, d int) bool {
	q := x.qhist[ai][d]
	if q == nil {
		return false
	}
	hh := x.e.pop.People[a].Household == x.e.pop.People[b].Household
	return q.Excludes(a, int32(d), hh) || q.Excludes(b, int32(d), hh)
}

// index: the run's diagnosed positives are the arm's index cases.
func (x *epi) index(dst []int32, ai, _ int) []int32 { return append(dst, x.positives[ai]...) }

// endDay applies the arms' notifications, manual tracing in every run
// and closes the day, the runs in parallel.
func (x *epi) endDay(d int, notified [][]Notification) error {
	e := x.e
	hh := func(p int32, dst []int32) []int32 { return x.household(p, dst, e.pop) }
	contacts := func(index, from, to int32, dst []int32) []int32 {
		for dd := from; dd <= to; dd++ {
			dst = append(dst, x.close[int(dd)][index]...)
		}
		slices.Sort(dst)
		return slices.Compact(dst)
	}
	errs := make([]error, len(x.runs))
	e.parallel(len(x.runs), func(r int) {
		run := x.runs[r]
		if r < len(e.sc.Arms) {
			ns := make([]epidemic.Notice, 0, len(notified[r]))
			for _, n := range notified[r] {
				ns = append(ns, epidemic.Notice{Person: n.Person, Index: n.Index})
			}
			if err := run.Notify(int32(d), ns, epidemic.ReasonApp, hh); err != nil {
				errs[r] = err
				return
			}
		}
		if _, err := run.TraceManually(int32(d), contacts, hh); err != nil {
			errs[r] = err
			return
		}
		run.EndDay(int32(d))
	})
	return errors.Join(errs...)
}

// finish puts every run's outcomes into the result.
func (x *epi) finish(r *Result) error { return x.e.finishEpidemic(r) }

// finishEpidemic puts every run's outcomes into the result.
func (e *engine) finishEpidemic(r *Result) error {
	x := e.epi
	n := len(e.pop.People)
	last := int32(e.sc.Days - 1)
	na := len(e.sc.Arms)
	cf := x.runs[na]
	er := &EpidemicResult{Beta: x.m.Beta(), TargetR0: e.sc.Epidemic.Transmission.TargetR0,
		SeedDay: e.sc.Epidemic.SeedDay, GenerationDays: round3(x.m.MeanGenerationDays())}
	outcome := func(name string, run *epidemic.Run) (ArmEpidemic, error) {
		s := run.Series.Summarize(n)
		a := ArmEpidemic{
			Infections: int64(s.Infections), AttackRate: s.AttackRate,
			PeakInfectious: int64(s.PeakInfectious), PeakDay: int(s.PeakDay),
			Positives: int64(s.Positives), Uploads: int64(s.Uploads),
			AppNotifications: int64(s.AppNotifications), ManualNotifications: int64(s.ManualNotifications),
			NotificationsPerIndex:    finiteOr0(s.NotificationsPerIndex),
			QuarantinePersonDays:     int64(s.QuarantinePersonDays),
			QuarantineUninfectedDays: int64(s.QuarantineUninfectedDays),
		}
		no := run.Pop.NotifiedOutcomes(run.Notices, 14)
		a.Notified, a.NotifiedInfected = int64(no.Notified), int64(no.Infected)
		a.SecondaryAttackRate = finiteOr0(no.SAR)
		a.REff, a.REffCohorts, a.REffCompleteCases = meanRt(run.Pop.Rt(last), last, e.sc.Epidemic.SeedDay)
		for _, ds := range run.Series {
			er.Daily = append(er.Daily, EpidemicDay{Arm: name, Day: int(ds.Day), NewInfections: int64(ds.NewInfections),
				Infectious: int64(ds.Infectious()), Recovered: int64(ds.Recovered), Positives: int64(ds.Positives),
				Uploads: int64(ds.Uploads), AppNotifications: int64(ds.AppNotifications),
				ManualNotifications: int64(ds.ManualNotifications), Quarantined: int64(ds.QuarantinePersonDays)})
		}
		for _, pt := range run.Pop.Rt(last) {
			er.Rt = append(er.Rt, RtRow{Arm: name, Day: int(pt.Day), Cases: int64(pt.Cases), Secondary: int64(pt.Secondary),
				R: finiteOr0(pt.R), Complete: pt.Complete})
		}
		return a, nil
	}
	for ai := range e.sc.Arms {
		a, err := outcome(e.sc.Arms[ai].Name, x.runs[ai])
		if err != nil {
			return err
		}
		av, err := epidemic.Averted(x.runs[ai].Series, cf.Series)
		if err != nil {
			return err
		}
		a.InfectionsAverted = int64(av.Averted)
		a.Averted = finiteOr0(av.Fraction)
		r.Arms[ai].Epidemic = &a
	}
	c, err := outcome(CounterfactualArm, cf)
	if err != nil {
		return err
	}
	er.Counterfactual = c
	r.Epidemic = er
	return nil
}

// CounterfactualArm names the paired run without the app in the
// epidemic's daily and Rt tables.
const CounterfactualArm = "no-app"

func finiteOr0(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// meanRt is the case-weighted mean cohort reproduction number of the
// cohorts infected after the seed day that are complete by the last day
// (all their members finished being infectious), or, when none is
// complete, of every cohort after the seed day: the run's effective
// reproduction number. Cohorts still infectious at the end are
// right-censored and would bias it down. complete is the number of cases
// in the complete cohorts (0 when it fell back to the incomplete ones).
func meanRt(pts []epidemic.RtPoint, last int32, seedDay int) (r float64, cohorts int, complete int64) {
	var cases, sec int64
	for pass := 0; pass < 2 && cases == 0; pass++ {
		for _, p := range pts {
			if int(p.Day) <= seedDay || (pass == 0 && !p.Complete) || p.Cases == 0 {
				continue
			}
			cases += int64(p.Cases)
			sec += int64(p.Secondary)
			cohorts++
		}
		if pass == 0 {
			complete = cases
		}
	}
	if cases == 0 {
		return 0, 0, 0
	}
	return float64(sec) / float64(cases), cohorts, complete
}
