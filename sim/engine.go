package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing"
)

// truthRec is one pair's ground truth at one site on one day, kept only
// for pairs that involve someone diagnosed within the infectious window.
type truthRec struct {
	a, b     int32
	closeMin float32 // minutes within the close-contact distance
	rangeMin float32 // minutes within radio range
	minDist  float32 // metres
	kind     agents.Kind
	env      radio.Environment
	day      uint16
}

type engine struct {
	sc       scenarios.Scenario
	cfg      config
	pop      *agents.Population
	model    *radio.Model
	start    time.Time
	startMs  int64
	closeD   float64
	closeMin float64
	rangeM   float64
	k        int     // infectious days before diagnosis
	keep     int     // days of sightings before today a phone still holds (<= k)
	appOnly  bool    // only app users are diagnosed
	diagDay  []int16 // person -> day of diagnosis, -1 if never

	groups   []*group
	armGroup []int
	rules    []tracing.Rule
	// Per-pair scores (pairs.go): each arm's rule as a Scorer, the summary
	// of an empty exposure, the day's exposure summaries, and the pairs
	// scored so far.
	scorers  []tracing.Scorer
	zero     []tracing.Score
	exps     [][]exposureScore
	pairs    []PairScore
	maxAdopt float64
	// Census populations (areas.go): each arm's adoption per area (nil
	// without adoption_by_area), the largest over the arms, and the
	// per-area verdict rows.
	byArea    [][]float64
	maxByArea []float64
	areaRows  [][]AreaRow

	// Per-day state.
	day     int
	tracked []bool             // diagnosed within [day, day+k] at the highest adoption
	active  [][]bool           // group -> phone -> app running today
	truth   map[int][]truthRec // day -> records; holds days [day-k, day]

	workers []*worker // persistent across days, so their buffers are reused

	epi   *epi       // the epidemic layer, nil when off
	adv   *adversary // the privacy adversary, nil when off (sniff.go)
	calib bool       // walking the calibration week: contacts only, no radio

	res   *Result
	att   reservoir
	delay [][]int64 // arm -> hour histogram
	bands []map[bandKey]*BandRow
	det   [][]DetectionRow
	sums  []ArmSummary
	fps   map[fpCell]int64 // false alarms by arm, distance and exposure (falsepos.go)

	// delayFP is delay's histogram for false alarms (delay's is of true
	// positives).
	delayFP [][]int64
}

// Run simulates sc and returns its results. It stops at the next day
// boundary when ctx is cancelled, returning ctx's error.
func Run(ctx context.Context, sc scenarios.Scenario, opts ...Option) (*Result, error) {
	cfg := config{workers: sc.Engine.Workers, chunkTarget: 64}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.workers <= 0 {
		cfg.workers = runtime.GOMAXPROCS(0)
	}
	e, err := newEngine(sc, cfg)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	var agentDays int64
	for d := 0; d < sc.Days; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := e.simulateDay(ctx, d); err != nil {
			return nil, err
		}
		if err := e.matchDay(d); err != nil {
			return nil, err
		}
		agentDays += int64(len(e.pop.People))
		if cfg.progress != nil {
			el := time.Since(t0).Seconds()
			cfg.progress(Progress{Day: d + 1, Days: sc.Days, AgentDays: agentDays, AgentDaysPerSecond: float64(agentDays) / math.Max(el, 1e-9)})
		}
	}
	if err := e.finishAdversary(); err != nil {
		return nil, err
	}
	r := e.finish()
	r.Workers = cfg.workers
	r.WallSeconds = time.Since(t0).Seconds()
	r.AgentDaysPerSecond = float64(agentDays) / math.Max(r.WallSeconds, 1e-9)
	return r, nil
}

func newEngine(sc scenarios.Scenario, cfg config) (*engine, error) {
	// The one gate: whatever the scenario loader accepts runs, and a
	// scenario built in code is held to the same checks.
	if errs := scenarios.Validate(&sc); len(errs) > 0 {
		return nil, fmt.Errorf("invalid scenario:\n%w", errs)
	}
	if sc.Population.Separate() {
		return nil, fmt.Errorf("population.area %s is simulated one province per run (population.travel.mixing: separate): "+
			"run it with bluesim run, which splits it (scenarios.SplitProvinces), or set travel.mixing: joint", sc.Population.Area)
	}
	cd, cm, err := sc.Contact.Resolved()
	if err != nil {
		return nil, err
	}
	eg, dg := sc.Engine, sc.Diagnosis
	model, err := radio.NewModel(sc.Radio)
	if err != nil {
		return nil, err
	}
	var pop *agents.Population
	if sc.Experiment != nil {
		pop, err = agents.BuildExperiment(*sc.Experiment, sc.Days, sc.Radio, sc.Seed)
	} else {
		pop, err = agents.Build(sc.Population, sc.Radio, sc.Seed)
	}
	if err != nil {
		return nil, err
	}
	e := &engine{
		sc: sc, cfg: cfg, pop: pop, model: model,
		start: sc.Start.Time(), startMs: sc.Start.Time().UnixMilli(),
		closeD: cd, closeMin: cm, rangeM: eg.RangeM, k: dg.InfectiousDays, appOnly: dg.Among == "app_users",
		keep:  min(dg.InfectiousDays, eg.RetentionDays-1),
		truth: map[int][]truthRec{},
	}
	for _, a := range sc.Arms {
		rule, err := a.Rule.NewRule()
		if err != nil {
			return nil, fmt.Errorf("arm %q: %w", a.Name, err)
		}
		e.rules = append(e.rules, rule)
		gi := -1
		for j, g := range e.groups {
			if g.protocol == a.Protocol && g.calibrated == a.Calibrated {
				gi = j
			}
		}
		if gi < 0 {
			g, err := newGroup(a.Protocol, a.Calibrated)
			if err != nil {
				return nil, fmt.Errorf("arm %q: %w", a.Name, err)
			}
			e.groups = append(e.groups, g)
			gi = len(e.groups) - 1
		}
		g := e.groups[gi]
		g.arms = append(g.arms, len(e.armGroup))
		g.maxAdopt = math.Max(g.maxAdopt, a.Adoption)
		e.maxAdopt = math.Max(e.maxAdopt, a.Adoption)
		e.armGroup = append(e.armGroup, gi)
	}
	e.setupAreas()
	if err := e.setupScores(); err != nil {
		return nil, err
	}
	for gi, g := range e.groups {
		if err := g.setupDevices(pop, model, sc.Seed, gi, e.start, sc.Radio); err != nil {
			return nil, err
		}
		// The epidemic's calibration walks a whole week of the calendar
		// even when the run is shorter, so keep room for it.
		storedDays := sc.Days
		if sc.Epidemic.Enabled {
			storedDays = max(storedDays, calibrationDays)
		}
		g.recs = make([][]rec, storedDays)
		g.ents = make([][]entry, storedDays)
		if cfg.raw {
			g.raw = make([][]tracing.Sighting, storedDays)
		}
	}
	e.res = &Result{Scenario: sc.Name, Seed: sc.Seed, Agents: len(pop.People), Days: sc.Days, Ownership: pop.Ownership}
	na := len(sc.Arms)
	e.delay = make([][]int64, na)
	e.delayFP = make([][]int64, na)
	e.bands = make([]map[bandKey]*BandRow, na)
	e.det = make([][]DetectionRow, na)
	e.sums = make([]ArmSummary, na)
	for ai, a := range e.sc.Arms {
		e.delay[ai] = make([]int64, 24*(e.k+2))
		e.delayFP[ai] = make([]int64, 24*(e.k+2))
		e.bands[ai] = map[bandKey]*BandRow{}
		e.det[ai] = make([]DetectionRow, len(sc.Metrics.DistanceBandsM)+1)
		for b := range e.det[ai] {
			e.det[ai][b] = DetectionRow{Arm: a.Name, Band: bandLabel(sc.Metrics.DistanceBandsM, b, "m")}
		}
		e.sums[ai] = ArmSummary{Name: a.Name, Protocol: a.Protocol, Adoption: a.Adoption}
	}
	e.att.k = max(0, sc.Metrics.AttenuationSamples)
	if err := e.setupAdversary(); err != nil {
		return nil, err
	}
	e.tracked = make([]bool, len(pop.People))
	if sc.Epidemic.Enabled {
		// Index cases are not known ahead: every pair's truth is kept and
		// every app pair's radio sampled.
		if err := e.setupEpidemic(); err != nil {
			return nil, err
		}
		return e, nil
	}
	e.drawDiagnoses()
	return e, nil
}

// diagnosedMax reports whether person i is diagnosed on day d in any arm
// (the superset of every arm's index cases).
func (e *engine) diagnosedMax(i, d int) bool {
	return int(e.diagDay[i]) == d && (!e.appOnly || e.pop.InstalledByArea(i, e.maxAdopt, e.maxByArea, 1))
}

// drawDiagnoses fixes each person's diagnosis day: the first day from
// first_day on whose (seed, diagnosis, person, day) draw falls below the
// daily fraction; a person is diagnosed at most once. The draws do not
// depend on any arm, so every arm sees the same index cases.
func (e *engine) drawDiagnoses() {
	e.diagDay = make([]int16, len(e.pop.People))
	if e.pop.IndexDay != nil {
		// An experiment fixes its index cases: every handset on its
		// session's day.
		copy(e.diagDay, e.pop.IndexDay)
		return
	}
	for i := range e.diagDay {
		e.diagDay[i] = -1
		for d := e.sc.Diagnosis.FirstDay; d < e.sc.Days; d++ {
			if agents.Uniform(e.sc.Seed, agents.SubDiagnosis, uint64(i), uint64(d)) < e.sc.Diagnosis.DailyFraction {
				e.diagDay[i] = int16(d)
				break
			}
		}
	}
}

// firstDay is the first day with diagnoses: diagnosis.first_day, or 0 in
// an experiment, whose handsets are index cases from the first session on.
func (e *engine) firstDay() int {
	if e.pop.IndexDay != nil {
		return 0
	}
	return e.sc.Diagnosis.FirstDay
}

// installedArm reports whether person i has arm ai's app on day d.
func (e *engine) installedArm(ai, i, d int) bool {
	a := &e.sc.Arms[ai]
	if e.byArea != nil && e.byArea[ai] != nil {
		return e.pop.InstalledByArea(i, a.AdoptionOn(d), e.byArea[ai], a.RampFactor(d))
	}
	return e.pop.Installed(i, a.AdoptionOn(d))
}

// simulateDay builds the day's stays, runs every site (in parallel
// chunks) and merges the chunks in order.
func (e *engine) simulateDay(ctx context.Context, d int) error {
	e.day = d
	e.dropDay(d)
	pop := e.pop
	for i := range e.tracked {
		if e.epi != nil {
			e.tracked[i] = !e.calib
			continue
		}
		t := false
		for dd := d; dd <= d+e.k && !t; dd++ {
			t = e.diagnosedMax(i, dd)
		}
		e.tracked[i] = t
	}
	e.active = make([][]bool, len(e.groups))
	for gi, g := range e.groups {
		act := make([]bool, len(g.person))
		for ph, pi := range g.person {
			a := pop.ActivityOn(int(pi), d)
			on := !a.BluetoothOff
			if g.inApp && a.Killed {
				// A battery saver killed the app; a protocol the OS runs
				// (GAEN) carries on.
				on = false
			}
			act[ph] = on
		}
		e.active[gi] = act
	}
	weekday := e.start.AddDate(0, 0, d).Weekday()
	weekend := weekday == time.Saturday || weekday == time.Sunday
	stays := pop.Stays(nil, d, weekend)
	// Group stays by site (counting sort keeps person order inside a site).
	ns := len(pop.Sites)
	off := make([]int32, ns+1)
	for _, s := range stays {
		off[s.Site+1]++
	}
	for i := 1; i <= ns; i++ {
		off[i] += off[i-1]
	}
	bySite := make([]agents.Stay, len(stays))
	pos := slices.Clone(off[:ns])
	for _, s := range stays {
		bySite[pos[s.Site]] = s
		pos[s.Site]++
	}
	// Chunks: contiguous site ranges of about equal stay counts, fixed by
	// the data alone so the merge order never depends on the workers.
	target := max(1, len(stays)/e.cfg.chunkTarget)
	var bounds []int
	bounds = append(bounds, 0)
	for s := 0; s < ns; s++ {
		if int(off[s+1]-off[bounds[len(bounds)-1]]) >= target {
			bounds = append(bounds, s+1)
		}
	}
	if bounds[len(bounds)-1] != ns {
		bounds = append(bounds, ns)
	}
	nch := len(bounds) - 1
	outs := make([]*chunkOut, nch)
	next := make(chan int)
	var wg sync.WaitGroup
	if e.workers == nil {
		for w := range e.cfg.workers {
			wk := newWorker(e)
			if e.cfg.newSink != nil {
				wk.sink = e.cfg.newSink(w)
			}
			e.workers = append(e.workers, wk)
		}
	}
	if e.epi != nil {
		if e.calib {
			for len(e.epi.calibLog) < len(e.workers) {
				e.epi.calibLog = append(e.epi.calibLog, nil)
			}
			for w, wk := range e.workers {
				wk.calib = e.epi.calibLog[w][:0]
			}
		} else if err := e.epiBeginDay(d); err != nil {
			return err
		}
	}
	for w := 0; w < min(e.cfg.workers, nch); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := e.workers[w]
			for c := range next {
				outs[c] = wk.chunk(bySite, off, bounds[c], bounds[c+1])
			}
		}()
	}
	var cerr error
	for c := 0; c < nch; c++ {
		if cerr = ctx.Err(); cerr != nil {
			break
		}
		next <- c
	}
	close(next)
	wg.Wait()
	if cerr != nil {
		return cerr
	}
	if err := e.sniffDay(ctx, d, bySite, off); err != nil {
		return err
	}
	// The chunks' outputs are copied below; the workers' buffers that hold
	// them are dropped afterwards, not kept for tomorrow (a second copy of
	// a day's sightings would raise the peak more than reallocating costs).
	defer func() {
		for _, wk := range e.workers {
			wk.reset()
		}
	}()
	var truth []truthRec
	for gi, g := range e.groups {
		nr, ne := 0, 0
		for _, o := range outs {
			nr += len(o.recs[gi])
			ne += len(o.ents[gi])
		}
		recs, ents := g.takeBuffers(nr, ne)
		for _, o := range outs {
			base := int32(len(ents))
			for _, r := range o.recs[gi] {
				r.first += base
				recs = append(recs, r)
			}
			ents = append(ents, o.ents[gi]...)
		}
		g.recs[d], g.ents[d] = recs, ents
		var raw []tracing.Sighting
		if g.raw != nil {
			// Raw storage: the real ID bytes (and AEM) of every sighting,
			// kept from the day it was recorded.
			raw = make([]tracing.Sighting, len(ents))
			g.raw[d] = raw
		}
		if err := e.materialise(g, recs, ents, raw); err != nil {
			return err
		}
	}
	for _, o := range outs {
		if o.err != nil {
			return o.err
		}
		truth = append(truth, o.truth...)
		e.att.merge(o.att)
	}
	e.truth[d] = truth
	if e.epi != nil {
		if e.calib {
			for w, wk := range e.workers {
				e.epi.calibLog[w] = wk.calib
			}
			return nil
		}
		if err := e.epiTransmit(d); err != nil {
			return err
		}
	}
	if e.cfg.endDay != nil {
		sinks := make([]ContactSink, len(e.workers))
		for i, wk := range e.workers {
			sinks[i] = wk.sink
		}
		if err := e.cfg.endDay(d, sinks); err != nil {
			return err
		}
	}
	// Drop what no later upload can reach.
	return nil
}

// dropDay releases what no upload from day d on can reach: the truth and
// sightings of day d-k-1. Their arrays go to the free list, so the day
// being built reuses them instead of growing the heap.
func (e *engine) dropDay(d int) {
	old := d - e.k - 1
	delete(e.truth, old)
	if old < 0 {
		return
	}
	for _, g := range e.groups {
		if g.recs[old] != nil {
			g.free = append(g.free, dayBuf{g.recs[old], g.ents[old]})
		}
		g.recs[old], g.ents[old] = nil, nil
		if g.raw != nil {
			g.raw[old] = nil
		}
	}
}

// materialise fills each record's ID prefix (and, in raw mode, every
// entry's whole sighting) through the advertisers' devices. Worker p takes
// the advertisers with phone number p mod workers, so no device is used by
// two goroutines; all of a day's sightings fall in one day, so each device
// derives that day's keys once.
func (e *engine) materialise(g *group, recs []rec, ents []entry, raw []tracing.Sighting) error {
	parts := max(1, min(e.cfg.workers, len(recs)/2048))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := 0; p < parts; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range recs {
				r := &recs[i]
				if int(r.tx)%parts != p {
					continue
				}
				if raw == nil {
					id, err := g.id(r, &ents[r.first], e.startMs)
					if err != nil {
						errs[p] = err
						return
					}
					r.pfx = idPrefix(&id)
					continue
				}
				for k := r.first; k < r.first+int32(r.n); k++ {
					s, err := g.sighting(r, &ents[k], e.startMs)
					if err != nil {
						errs[p] = err
						return
					}
					raw[k] = s
				}
				r.pfx = idPrefix(&raw[r.first].ID)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
