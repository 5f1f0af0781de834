package sim

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
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

// engine is one run. A day is an ordered list of phases (dayPhases),
// each a pure step that reads what the earlier ones left and is timed on
// its own: the day's layout, the sites (in parallel chunks), the ordered
// merge of the chunks' sightings and truth, the epidemic's transmission,
// the diagnoses, the matching join and the rules' decisions, the scoring
// and the end of the day.
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
	k        int  // infectious days before diagnosis
	keep     int  // days of sightings before today a phone still holds (<= k)
	appOnly  bool // only app users are diagnosed

	groups   []*group
	armGroup []int
	maxAdopt float64
	// Census populations (areas.go): each arm's adoption per area (nil
	// without adoption_by_area), the largest over the arms, and the
	// per-area verdict rows.
	byArea    [][]float64
	maxByArea []float64
	areaRows  [][]AreaRow

	// idx says who is diagnosed and uploads: diagnoses fixed ahead, or the
	// epidemic layer's positives.
	idx indexCases
	epi *epi // the epidemic layer, nil when off (idx is then fixed)

	workers []*worker // one per goroutine, persistent so buffers are reused
	// rules[p][ai] is arm ai's rule for matching part p (a Rule is used by
	// one goroutine at a time), scorers[p][ai] the same as a Scorer (nil
	// when it is not one), and zero[ai] its summary of an empty exposure
	// (pairs.go).
	rules   [][]tracing.Rule
	scorers [][]tracing.Scorer
	zero    []tracing.Score

	lay   layout               // the current day's layout
	truth map[int][][]truthRec // day -> the chunks' truth; days [day-k, day]
	tpool pool[truthRec]       // truth arrays of dropped days
	apool pool[attSample]      // the chunks' attenuation candidates
	calib bool                 // walking the calibration week: contacts only
	adv   *adversary           // the privacy adversary, nil when off (sniff.go)

	// The day's matching, handed from phase to phase, and its parts.
	mt     matchDayState
	mparts []*matchPart

	sco   *scorer
	clock phaseClock
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
	e.clock.start()
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
	// The sightings and truth are done with: let the result tables have
	// their memory. Collected and returned to the system now, the result
	// tables are built in memory the process already holds or gets back,
	// instead of on top of the run's peak.
	e.release()
	debug.FreeOSMemory()
	var r *Result
	if err := e.clock.time("finish", func() error { r = e.finish(); return nil }); err != nil {
		return nil, err
	}
	r.Workers = cfg.workers
	r.WallSeconds = time.Since(t0).Seconds()
	r.AgentDaysPerSecond = float64(agentDays) / math.Max(r.WallSeconds, 1e-9)
	r.CPUSeconds, r.Phases = e.clock.result()
	r.ParallelCPUSeconds = e.clock.parCPU
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
	if cfg.workers <= 0 {
		cfg.workers = 1
	}
	e := &engine{
		sc: sc, cfg: cfg, pop: pop, model: model,
		start: sc.Start.Time(), startMs: sc.Start.Time().UnixMilli(),
		closeD: cd, closeMin: cm, rangeM: eg.RangeM, k: dg.InfectiousDays, appOnly: dg.Among == "app_users",
		keep:  min(dg.InfectiousDays, eg.RetentionDays-1),
		truth: map[int][][]truthRec{},
	}
	for _, a := range sc.Arms {
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
	// One set of rules per matching part: a Rule is used by one goroutine
	// at a time.
	e.rules = make([][]tracing.Rule, cfg.workers)
	for p := range e.rules {
		for _, a := range sc.Arms {
			rule, err := a.Rule.NewRule()
			if err != nil {
				return nil, fmt.Errorf("arm %q: %w", a.Name, err)
			}
			e.rules[p] = append(e.rules[p], rule)
		}
	}
	e.setupAreas()
	if err := e.setupScores(); err != nil {
		return nil, err
	}
	// The epidemic's calibration walks a whole week of the calendar even
	// when the run is shorter, so keep room for it.
	storedDays := sc.Days
	if sc.Epidemic.Enabled {
		storedDays = max(storedDays, calibrationDays)
	}
	for gi, g := range e.groups {
		if err := g.setupDevices(pop, model, sc.Seed, gi, e.start, sc.Radio); err != nil {
			return nil, err
		}
		g.store.days = make([]dayStore, storedDays)
	}
	for w := range cfg.workers {
		wk := &worker{}
		if cfg.newSink != nil {
			wk.sink = cfg.newSink(w)
		}
		e.workers = append(e.workers, wk)
	}
	e.sco = newScorer(e)
	if err := e.setupAdversary(); err != nil {
		return nil, err
	}
	if sc.Epidemic.Enabled {
		// Index cases are not known ahead: every pair's truth is kept and
		// the radio sampled for everyone who may upload in some run.
		if err := e.setupEpidemic(); err != nil {
			return nil, err
		}
		e.idx = e.epi
		return e, nil
	}
	e.idx = newFixedDiagnoses(e)
	return e, nil
}

// installedArm reports whether person i has arm ai's app on day d.
func (e *engine) installedArm(ai, i, d int) bool {
	a := &e.sc.Arms[ai]
	if e.byArea != nil && e.byArea[ai] != nil {
		return e.pop.InstalledByArea(i, a.AdoptionOn(d), e.byArea[ai], a.RampFactor(d))
	}
	return e.pop.Installed(i, a.AdoptionOn(d))
}

// simulateDay runs day d's contacts and radio: the layout, the sites in
// parallel chunks, the ordered merge and (with the epidemic) the day's
// transmission.
func (e *engine) simulateDay(ctx context.Context, d int) error {
	if err := e.clock.time("layout", func() error { return e.layoutDay(d) }); err != nil {
		return err
	}
	var outs []chunkOut
	if err := e.clock.time("sites", func() error {
		var err error
		outs, err = e.runSites(ctx)
		return err
	}); err != nil {
		return err
	}
	if e.adv != nil {
		if err := e.clock.time("sniff", func() error { return e.sniffDay(ctx, d, e.lay.stays, e.lay.off) }); err != nil {
			return err
		}
	}
	if err := e.clock.time("merge", func() error { return e.merge(d, outs) }); err != nil {
		return err
	}
	if e.calib {
		return nil
	}
	if err := e.clock.time("transmit", func() error { return e.idx.afterSites(d) }); err != nil {
		return err
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
	return nil
}

// matchDay runs the day's diagnoses, uploads and matching, then scores
// every arm against ground truth and closes the day.
func (e *engine) matchDay(d int) error {
	if err := e.clock.time("diagnose", func() error { return e.idx.diagnose(d) }); err != nil {
		return err
	}
	if err := e.clock.time("match", func() error { return e.match(d) }); err != nil {
		return err
	}
	if err := e.clock.time("score", func() error { return e.sco.score(d, &e.mt) }); err != nil {
		return err
	}
	return e.clock.time("end_day", func() error { return e.idx.endDay(d, e.mt.notified) })
}

// dropDay releases what no upload from day d on can reach: the truth and
// sightings of day d-k-1. Their arrays go to free lists, so the day being
// built reuses them instead of growing the heap.
func (e *engine) dropDay(d int) {
	old := d - e.k - 1
	for _, t := range e.truth[old] {
		e.tpool.put(t)
	}
	delete(e.truth, old)
	if old < 0 {
		return
	}
	for _, g := range e.groups {
		g.store.drop(old)
	}
}

// release drops every retained day of sightings and truth, and the free
// lists, once the last day is scored.
func (e *engine) release() {
	for _, g := range e.groups {
		g.store.reset()
		g.store.rp, g.store.ep = blockPool[rec]{}, blockPool[entry]{}
		g.bents, g.tab = nil, prefixTable{}
	}
	e.truth, e.tpool = nil, pool[truthRec]{}
	e.mparts = nil
	e.lay = layout{}
	for _, w := range e.workers {
		*w = worker{sink: w.sink}
	}
}
