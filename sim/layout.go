package sim

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/bluesim/bluesim/agents"
)

// layout is a day's plan, fixed by the data alone before any site runs:
// whose truth is kept, whose phones are on, every stay grouped by site,
// and the chunks of sites the workers take.
type layout struct {
	day     int
	tracked []bool // person: truth kept today (an index case within the window)
	// hot marks the people some pair of theirs matters for today: tracked,
	// or an advertiser whose sightings are sampled. A pair of two people
	// not hot leaves nothing (no truth, no radio), so the sites look only
	// at pairs with someone hot. nil when every pair is needed (the
	// epidemic's contacts, WithContacts, engine.all_sightings).
	hot    []bool
	active [][]bool // group -> phone -> app running today
	stays  []agents.Stay
	off    []int32 // site s's stays are stays[off[s]:off[s+1]]
	bounds []int   // chunk c covers sites bounds[c]..bounds[c+1]-1
	// Scratch reused from day to day: each person range's stays and its
	// stays per site.
	parts [][]agents.Stay
	hist  [][]int32
}

// parallel runs fn(p) for p in [0, n) on at most the engine's workers
// goroutines. What fn does for each p must not depend on which goroutine
// runs it.
func (e *engine) parallel(n int, fn func(p int)) {
	e.clock.parallel(func() { e.runParallel(n, fn) })
}

func (e *engine) runParallel(n int, fn func(p int)) {
	w := min(e.cfg.workers, n)
	if w <= 1 {
		for p := range n {
			fn(p)
		}
		return
	}
	next := make(chan int, n)
	for p := range n {
		next <- p
	}
	close(next)
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for p := range next {
				fn(p)
			}
		})
	}
	wg.Wait()
}

// cut returns part p of [0, n) split into parts nearly equal ranges.
func cut(n, parts, p int) (int, int) { return n * p / parts, n * (p + 1) / parts }

// layoutDay fixes day d's plan.
func (e *engine) layoutDay(d int) error {
	l := &e.lay
	l.day = d
	e.dropDay(d)
	if err := e.idx.beginDay(d); err != nil {
		return err
	}
	n := len(e.pop.People)
	if l.tracked == nil {
		l.tracked = make([]bool, n)
	}
	e.idx.track(l.tracked, d)
	e.markHot(d)
	if l.active == nil {
		l.active = make([][]bool, len(e.groups))
		for gi, g := range e.groups {
			l.active[gi] = make([]bool, len(g.person))
		}
	}
	// Phones: an app is on unless Bluetooth is off, or a battery saver
	// killed an app the OS does not run (GAEN carries on).
	parts := 4 * e.cfg.workers
	e.parallel(parts*len(e.groups), func(q int) {
		g, act := e.groups[q/parts], l.active[q/parts]
		lo, hi := cut(len(g.person), parts, q%parts)
		for ph := lo; ph < hi; ph++ {
			a := e.pop.ActivityOn(int(g.person[ph]), d)
			act[ph] = !a.BluetoothOff && !(g.inApp && a.Killed)
		}
	})
	e.layoutStays(d)
	return nil
}

// everyPair reports whether the day's sites must visit every pair in
// range, not only those with someone hot: the epidemic's contacts (every
// contact can infect), a contact sink, the calibration week, and
// engine.all_sightings.
func (e *engine) everyPair() bool {
	return e.epi != nil || e.calib || e.cfg.newSink != nil || e.sc.Engine.AllSightings
}

// markHot sets the day's hot people (layout.hot), or clears the mark when
// every pair is needed.
func (e *engine) markHot(d int) {
	l := &e.lay
	if e.everyPair() {
		l.hot = nil
		return
	}
	n := len(e.pop.People)
	if len(l.hot) != n {
		l.hot = make([]bool, n)
	}
	adv := e.advertisers()
	parts := 4 * e.cfg.workers
	e.parallel(parts, func(p int) {
		lo, hi := cut(n, parts, p)
		for i := lo; i < hi; i++ {
			h := l.tracked[i]
			for _, a := range adv {
				h = h || a[i]
			}
			l.hot[i] = h
		}
	})
}

// layoutStays builds the day's stays grouped by site and the chunks. Each
// person range's stays are built in parallel, counted per site, and
// scattered into place: a stable counting sort of the stays in person
// order, identical to a serial one.
func (e *engine) layoutStays(d int) {
	l := &e.lay
	pop := e.pop
	n, ns := len(pop.People), len(pop.Sites)
	weekday := e.start.AddDate(0, 0, d).Weekday()
	weekend := weekday == time.Saturday || weekday == time.Sunday
	parts := max(1, min(4*e.cfg.workers, n/1024))
	for len(l.parts) < parts {
		l.parts = append(l.parts, nil)
		l.hist = append(l.hist, nil)
	}
	e.parallel(parts, func(p int) {
		lo, hi := cut(n, parts, p)
		l.parts[p] = pop.StaysOf(l.parts[p][:0], d, weekend, lo, hi)
		h := l.hist[p]
		if len(h) != ns {
			h = make([]int32, ns)
		}
		clear(h)
		for _, s := range l.parts[p] {
			h[s.Site]++
		}
		l.hist[p] = h
	})
	// off[s] is where site s starts; hist[p][s] becomes where part p's
	// stays at site s start.
	if len(l.off) != ns+1 {
		l.off = make([]int32, ns+1)
	}
	var at int32
	for s := range ns {
		l.off[s] = at
		for p := range parts {
			c := l.hist[p][s]
			l.hist[p][s] = at
			at += c
		}
	}
	l.off[ns] = at
	if cap(l.stays) < int(at) {
		l.stays = make([]agents.Stay, at, int(at)+int(at)/8)
	}
	l.stays = l.stays[:at]
	e.parallel(parts, func(p int) {
		h := l.hist[p]
		for _, s := range l.parts[p] {
			l.stays[h[s.Site]] = s
			h[s.Site]++
		}
	})
	// Chunks: contiguous site ranges of about equal stay counts, fixed by
	// the data alone so the merge order never depends on the workers.
	target := max(1, len(l.stays)/e.cfg.chunkTarget)
	l.bounds = append(l.bounds[:0], 0)
	for s := range ns {
		if int(l.off[s+1]-l.off[l.bounds[len(l.bounds)-1]]) >= target {
			l.bounds = append(l.bounds, s+1)
		}
	}
	if l.bounds[len(l.bounds)-1] != ns {
		l.bounds = append(l.bounds, ns)
	}
}

// view is what the site workers read: the day's layout and the run's
// fixed parts. Nothing in it changes while the sites run.
func (e *engine) view() *view {
	return &view{
		day: e.lay.day, dayS: float64(e.lay.day) * 86400, dayTenths: int64(e.lay.day) * 864000,
		startS: e.startMs / 1000, seed: e.sc.Seed,
		pop: e.pop, model: e.model, eng: &e.sc.Engine, poseS: e.sc.Radio.PoseEpochS,
		closeD: e.closeD, rangeM: float32(e.rangeM),
		groups: e.groups, active: e.lay.active, tracked: e.lay.tracked, hot: e.lay.hot, adv: e.advertisers(),
		raw: e.cfg.raw, contactsOnly: e.calib, attK: e.sco.att.k, allPairs: e.cfg.allPairs,
		upDay: e.uploadDays(), cohorts: e.keep + 2,
	}
}

// advertisers returns each group's advertisers of the day.
func (e *engine) advertisers() [][]bool {
	adv := make([][]bool, len(e.groups))
	for gi := range adv {
		adv[gi] = e.idx.advertisers(gi)
	}
	return adv
}

// uploadDays returns, per group, each person's upload day where the index
// cases know it ahead and every sampled advertiser uploads (nil per group
// otherwise).
func (e *engine) uploadDays() [][]int16 {
	up := make([][]int16, len(e.groups))
	if e.sc.Engine.AllSightings {
		return up
	}
	for gi := range up {
		up[gi] = e.idx.uploadDays(gi)
	}
	return up
}

// runSites runs every chunk of the day's sites on the workers and returns
// the chunks' outputs in chunk order.
func (e *engine) runSites(ctx context.Context) ([]chunkOut, error) {
	l := &e.lay
	v := e.view()
	nch := len(l.bounds) - 1
	outs := make([]chunkOut, nch)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := range min(len(e.workers), nch) {
		wk := e.workers[w]
		wk.v = v
		wk.contact = e.idx.contacts(w, e.calib)
		wg.Go(func() {
			for c := range next {
				outs[c] = wk.chunk(e, l.stays, l.off, l.bounds[c], l.bounds[c+1])
			}
		})
	}
	var err error
	e.clock.parallel(func() {
		for c := range nch {
			if err = ctx.Err(); err != nil {
				break
			}
			next <- c
		}
		close(next)
		wg.Wait()
	})
	return outs, err
}

// merge hands the chunks' outputs on in chunk order: the truth as the
// chunks made it, the sightings as the day's segments (no copy), the
// attenuation candidates into the reservoir; then it materialises each
// record's ID prefix and counts each arm's sightings, in parallel.
func (e *engine) merge(d int, outs []chunkOut) error {
	for i := range outs {
		if outs[i].err != nil {
			return outs[i].err
		}
	}
	var truth [][]truthRec
	for i := range outs {
		if t := outs[i].truth; len(t) > 0 {
			truth = append(truth, t)
		} else {
			e.tpool.put(t)
		}
		e.sco.att.merge(outs[i].att)
		e.apool.put(outs[i].att)
	}
	if !e.calib {
		e.truth[d] = truth
	}
	dayMs := e.startMs + int64(d)*86400_000
	for gi, g := range e.groups {
		// The day's segments: chunk by chunk, cohort by cohort, the empty
		// ones left out.
		var segs []segment
		for i := range outs {
			for _, sg := range outs[i].segs[gi] {
				if sg.recs.n > 0 {
					segs = append(segs, sg)
				}
			}
		}
		if len(segs) > math.MaxUint16 {
			return fmt.Errorf("day %d: %d segments of sightings, more than the engine can number", d, len(segs))
		}
		g.store.set(d, segs)
		if err := g.materialise(d, dayMs, e.cfg.workers, e.cfg.raw); err != nil {
			return err
		}
	}
	if !e.calib {
		e.sco.countSightings(d)
	}
	return nil
}
