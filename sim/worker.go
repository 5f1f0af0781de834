package sim

import (
	"math"
	"slices"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/sim/epidemic"
	"github.com/bluesim/bluesim/sim/limits"
	"github.com/bluesim/bluesim/tracing"
)

// chunkOut is what one chunk of sites produced.
type chunkOut struct {
	truth []truthRec
	recs  [][]rec
	ents  [][]entry
	att   []attSample
	err   error
}

// worker holds one goroutine's scratch space, reused across sites.
type worker struct {
	e *engine
	// A site's stays by start, and those active in the current epoch.
	order  []int32
	active []int32
	// Present stays in the current epoch and their positions.
	pres []int32
	px   []float32
	py   []float32
	// Grid: cell heads and next links over pres.
	head []int32
	link []int32
	// Pair aggregation for tracked pairs within one site.
	pairs map[uint64]int32
	trs   []truthRec
	wins  []radio.ScanWindow
	recs  []radio.Record
	kept  []radio.Record // the strongest record of each bucket of a window
	out   *chunkOut
	cut   uint64 // reservoir cutoff of the current chunk
	// rbuf and ebuf hold the day's records and entries of every chunk the
	// worker ran, per group; a chunk's output is a sub-slice. r0 and e0
	// are where the current chunk's records and entries start.
	rbuf [][]rec
	ebuf [][]entry
	r0   []int
	e0   []int
	sink ContactSink // WithContacts, nil without
	// The epidemic layer: this worker's exposures of the day (one per
	// run) and, in the calibration week, its logged doses.
	exp   []*epidemic.Exposures
	calib []calibDose
}

func newWorker(e *engine) *worker {
	ng := len(e.groups)
	return &worker{e: e, pairs: map[uint64]int32{}, rbuf: make([][]rec, ng), ebuf: make([][]entry, ng),
		r0: make([]int, ng), e0: make([]int, ng)}
}

// reset starts a new day. The previous day's chunk outputs have been
// copied into the day's arrays, so the buffers are dropped rather than
// kept: holding a second copy of a day's sightings would raise the peak
// memory more than reallocating costs.
func (w *worker) reset() {
	for gi := range w.rbuf {
		w.rbuf[gi], w.ebuf[gi] = nil, nil
	}
}

func (w *worker) chunk(bySite []agents.Stay, off []int32, s0, s1 int) *chunkOut {
	e := w.e
	ng := len(e.groups)
	w.out = &chunkOut{recs: make([][]rec, ng), ents: make([][]entry, ng)}
	for gi := range ng {
		w.r0[gi], w.e0[gi] = len(w.rbuf[gi]), len(w.ebuf[gi])
	}
	w.cut = math.MaxUint64
	for s := s0; s < s1; s++ {
		st := bySite[off[s]:off[s+1]]
		if len(st) < 2 {
			continue
		}
		w.site(int32(s), st)
		if w.out.err != nil {
			break
		}
	}
	// The chunk's records point into its own entries (first counts from
	// the chunk's first entry).
	for gi := range ng {
		w.out.recs[gi] = w.rbuf[gi][w.r0[gi]:len(w.rbuf[gi]):len(w.rbuf[gi])]
		w.out.ents[gi] = w.ebuf[gi][w.e0[gi]:len(w.ebuf[gi]):len(w.ebuf[gi])]
	}
	return w.out
}

// site runs one site for the day.
func (w *worker) site(si int32, stays []agents.Stay) {
	e := w.e
	site := &e.pop.Sites[si]
	epoch := agents.MinutesPerDay // seated sites: positions never change
	if slices.ContainsFunc(stays, agents.Stay.Free) {
		epoch = e.sc.Engine.PoseMinutes
		if site.Kind == agents.Home {
			epoch = e.sc.Engine.HomePoseMinutes
		}
	}
	// Sort the site's stays by start for the sweep.
	order := w.order[:0]
	for i := range stays {
		order = append(order, int32(i))
	}
	w.order = order
	slices.SortStableFunc(order, func(a, b int32) int { return int(stays[a].Start) - int(stays[b].Start) })
	clear(w.pairs)
	w.trs = w.trs[:0]
	area := float32(site.Rooms) * site.RoomW * site.RoomD
	active := w.active[:0]
	defer func() { w.active = active[:0] }()
	next := 0
	for e0 := 0; e0 < agents.MinutesPerDay; e0 += epoch {
		e1 := e0 + epoch
		// Admit stays starting before e1, drop those ended by e0.
		for next < len(order) && int(stays[order[next]].Start) < e1 {
			active = append(active, order[next])
			next++
		}
		k := 0
		for _, a := range active {
			if int(stays[a].End) > e0 {
				active[k] = a
				k++
			}
		}
		active = active[:k]
		if len(active) < 2 {
			if next == len(order) && len(active) == 0 {
				break
			}
			continue
		}
		// Positions.
		w.pres = append(w.pres[:0], active...)
		w.px, w.py = w.px[:0], w.py[:0]
		ep := uint64(e.day*agents.MinutesPerDay + e0)
		for _, a := range w.pres {
			st := &stays[a]
			var p agents.Pos
			if st.Free() {
				k := agents.Mix(e.sc.Seed, agents.SubPositions, uint64(st.Person), ep)
				p = site.FreePos(int(st.Room), float64(k>>11)/(1<<53), float64(k&(1<<32-1))/(1<<32))
			} else {
				p = site.SeatPos(int(st.Room), int(st.Seat))
			}
			w.px = append(w.px, p.X)
			w.py = append(w.py, p.Y)
		}
		// People per square metre, for the bodies-in-between estimate:
		// present people, weighted by the share of the epoch they stay.
		var occ float32
		for _, a := range w.pres {
			st := &stays[a]
			occ += float32(min(int(st.End), e1)-max(int(st.Start), e0)) / float32(epoch)
		}
		density := occ / max(area, 1)
		if e.cfg.allPairs {
			w.allPairsInEpoch(site, stays, e0, e1, density)
		} else {
			w.pairsInEpoch(site, stays, e0, e1, density)
		}
		if w.out.err != nil {
			return
		}
	}
	// Emit the site's tracked pairs in key order.
	if len(w.trs) > 0 {
		slices.SortFunc(w.trs, func(a, b truthRec) int {
			if a.a != b.a {
				return int(a.a - b.a)
			}
			return int(a.b - b.b)
		})
		w.out.truth = append(w.out.truth, w.trs...)
	}
}

// pairsInEpoch finds every pair of present stays within radio range with
// a uniform grid of cell size range_m and handles each once.
func (w *worker) pairsInEpoch(site *agents.Site, stays []agents.Stay, e0, e1 int, density float32) {
	e := w.e
	R := float32(e.rangeM)
	nx := int(float32(site.Rooms)*site.RoomW/R) + 1
	ny := int(site.RoomD/R) + 1
	ncell := nx * ny
	if cap(w.head) < ncell {
		w.head = make([]int32, ncell)
	}
	w.head = w.head[:ncell]
	for i := range w.head {
		w.head[i] = -1
	}
	w.link = w.link[:0]
	cell := func(i int) (int, int) {
		cx := min(nx-1, max(0, int(w.px[i]/R)))
		cy := min(ny-1, max(0, int(w.py[i]/R)))
		return cx, cy
	}
	for i := range w.pres {
		cx, cy := cell(i)
		c := cy*nx + cx
		w.link = append(w.link, w.head[c])
		w.head[c] = int32(i)
	}
	R2 := R * R
	for i := range w.pres {
		cx, cy := cell(i)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				x, y := cx+dx, cy+dy
				if x < 0 || y < 0 || x >= nx || y >= ny {
					continue
				}
				for j := w.head[y*nx+x]; j >= 0; j = w.link[j] {
					if int(j) <= i {
						continue
					}
					ddx, ddy := w.px[i]-w.px[j], w.py[i]-w.py[j]
					d2 := ddx*ddx + ddy*ddy
					if d2 > R2 {
						continue
					}
					sa, sb := &stays[w.pres[i]], &stays[w.pres[j]]
					if sa.Person == sb.Person {
						continue
					}
					t0 := max(int(sa.Start), int(sb.Start), e0)
					t1 := min(int(sa.End), int(sb.End), e1)
					if t1 <= t0 {
						continue
					}
					w.pair(site, sa, sb, agents.Pos{X: w.px[i], Y: w.py[i]}, agents.Pos{X: w.px[j], Y: w.py[j]},
						float32(math.Sqrt(float64(d2))), t0, t1, density)
					if w.out.err != nil {
						return
					}
				}
			}
		}
	}
}

// pair records ground truth and samples the radio for one pair over
// [t0, t1) minutes of the day at distance d.
func (w *worker) pair(site *agents.Site, sa, sb *agents.Stay, posA, posB agents.Pos, d float32, t0, t1 int, density float32) {
	e := w.e
	a, b := sa.Person, sb.Person
	if a > b {
		a, b = b, a
		sa, sb = sb, sa
	}
	walls := agents.Walls(sa.Room, sb.Room)
	if e.epi != nil {
		hh := e.pop.People[a].Household == e.pop.People[b].Household
		if e.calib {
			w.calibContact(a, b, float64(t1-t0), float64(d), site, walls)
			return
		}
		w.epiContact(a, b, float64(t1-t0), float64(d), site, walls, hh)
	}
	if w.sink != nil {
		pa, pb := &e.pop.People[a], &e.pop.People[b]
		w.sink.Contact(&Contact{Day: e.day, A: a, B: b, From: int16(t0), To: int16(t1), DistanceM: d,
			Kind: site.Kind, Env: site.Env, Walls: walls, Household: pa.Household == pb.Household})
	}
	if e.tracked[a] || e.tracked[b] {
		key := uint64(a)<<32 | uint64(uint32(b))
		idx, ok := w.pairs[key]
		if !ok {
			idx = int32(len(w.trs))
			w.pairs[key] = idx
			w.trs = append(w.trs, truthRec{a: a, b: b, minDist: math.MaxFloat32, kind: site.Kind, env: site.Env, day: uint16(e.day)})
		}
		tr := &w.trs[idx]
		m := float32(t1 - t0)
		tr.rangeMin += m
		if float64(d) <= e.closeD {
			tr.closeMin += m
		}
		if d < tr.minDist {
			tr.minDist = d
		}
	}
	people := site.PeopleBetween(posA, posB, d, density) // bodies in a 0.5 m corridor between the phones
	link := radio.Link{DistanceM: float64(d), Env: site.Env, People: people, Walls: walls}
	all := e.sc.Engine.AllSightings
	adv := e.tracked
	if e.epi != nil {
		adv = e.epi.advertise
	}
	carried := false
	var ca, cb radio.Carriage
	for gi, g := range e.groups {
		pa, pb := g.phone[a], g.phone[b]
		if pa < 0 || pb < 0 || !e.active[gi][pa] || !e.active[gi][pb] {
			continue
		}
		if !carried {
			// Where each phone is during its stay (the person's carriage,
			// or a draw by activity: population.phones.carriage_by_activity).
			ca, cb, carried = e.pop.StayCarriage(sa, e.day), e.pop.StayCarriage(sb, e.day), true
		}
		if all || adv[b] {
			w.scan(gi, g, link, pb, pa, cb, ca, t0, t1) // a scans, b advertises
		}
		if all || adv[a] {
			w.scan(gi, g, link, pa, pb, ca, cb, t0, t1) // b scans, a advertises
		}
		if w.out.err != nil {
			return
		}
	}
}

// phoneOf fills a radio.Phone for phone ph of group g at second sec,
// carried as c.
func (w *worker) phoneOf(g *group, ph int32, sec float64, c radio.Carriage) radio.Phone {
	e := w.e
	pi := g.person[ph]
	p := &e.pop.People[pi]
	hour := uint64(sec / 3600)
	fg := agents.Uniform(e.sc.Seed, agents.SubActivity, uint64(pi), hour, 3) < e.pop.Params.Phones.Foreground
	return radio.Phone{Offsets: p.Offsets, Sched: &g.scheds[ph], OS: p.OS, Carriage: c,
		Calibrated: g.calibrated, Foreground: fg}
}

// scan walks the receiver rx's scan windows that start while both are
// present and stores what it hears of tx; cTx and cRx are where the two
// phones are carried.
func (w *worker) scan(gi int, g *group, link radio.Link, tx, rx int32, cTx, cRx radio.Carriage, t0, t1 int) {
	e := w.e
	base := float64(e.day) * 86400
	from, to := base+float64(t0)*60, base+float64(t1)*60
	rxPhone := w.phoneOf(g, rx, from, cRx)
	link.Rx = rxPhone
	link.Tx = w.phoneOf(g, tx, from, cTx)
	if e.model.Silent(&link) {
		// Two backgrounded iPhones of an app never hear each other when
		// ios_bg_bg_detect_prob is 0 (radio.md §2.4): the radio model
		// would walk every packet to report nothing.
		return
	}
	w.wins = g.scheds[rx].AppendWindows(w.wins[:0], from, to, rxPhone.Foreground)
	rxKey := agents.Mix(e.sc.Seed, agents.SubRadio, uint64(g.person[rx]), uint64(g.sched))
	pairKey := radio.PairKey(uint64(g.person[rx]), uint64(g.person[tx]))
	pose := e.sc.Radio.PoseEpochS
	for _, win := range w.wins {
		key := radio.StreamKey{Seed: e.sc.Seed, Pair: pairKey, Pose: uint64(win.Start / pose), Window: radio.WindowKey(rxKey, win.Index)}
		if g.record == tracing.RecordStrongest {
			// The app stores a record per peer every few seconds; keep the
			// strongest record of each bucket of wall-clock time, which is
			// all the protocol's rules read (tracing.RecordStrongest). The
			// radio makes those directly; engine.exact_radio makes every
			// record and folds them (the reference: the same records).
			if e.sc.Engine.ExactRadio {
				w.recs = e.model.Records(link, win, key, w.recs[:0])
				w.kept = radio.KeepStrongest(w.recs, g.bucketS, to, w.kept[:0])
			} else {
				w.kept = e.model.Strongest(link, win, key, g.bucketS, to, w.kept[:0])
			}
			for _, r := range w.kept {
				// The attenuation the app could compute: the advertised TX
				// level less the RSSI (corrected when calibrated), as GAEN's
				// (radio.ScanReport.TypicalAttenDB); Bluezone advertises no
				// TX power, so its level is the nominal one.
				att := math.Max(0, float64(g.advPower[tx])-(float64(r.RSSI)+float64(g.rssiCorr[rx])))
				w.emit(gi, g, tx, rx, r.T, rssi8(r.RSSI), float64(link.DistanceM), link.Env, att, true)
			}
			continue
		}
		rep := e.model.Scan(link, win, key)
		if rep.Received == 0 {
			continue
		}
		w.emit(gi, g, tx, rx, win.Start, rssi8(rep.MeanRSSI), float64(link.DistanceM), link.Env, float64(rep.TypicalAttenDB), true)
	}
}

func rssi8(r float32) int8 { return int8(clamp(math.Round(float64(r)), -127, 127)) }

// tenths converts seconds since the run's start to whole tenths of a
// second, the resolution of stored sighting times.
func tenths(sec float64) int64 { return int64(math.Floor(sec * 10)) }

// emit stores one sighting and offers it to the attenuation reservoir. A
// sighting joins the chunk's last record when that record is the same
// receiver and advertiser in the same ID rotation slot (so its ID bytes are
// the same); raw mode keeps one record per sighting, so that the test
// comparing the two storages checks this grouping.
func (w *worker) emit(gi int, g *group, tx, rx int32, sec float64, rssi int8, dist float64, env radio.Environment, att float64, hasAtt bool) {
	e := w.e
	tt := tenths(sec)
	t := int32(tt / 10)
	recs, ents := w.rbuf[gi], w.ebuf[gi]
	join := false
	// Join only records of the current chunk: which chunks a worker runs
	// depends on scheduling, and results must not.
	if n := len(recs); n > w.r0[gi] && !e.cfg.raw {
		last := &recs[n-1]
		// Same pair, same ID slot, not before the record's last entry (sites
		// run one after another, so a pair's later site can come with
		// earlier times), and within reach of a 16-bit offset.
		if last.rx == rx && last.tx == tx && last.n < math.MaxUint16 {
			off := tt - int64(last.t0)*10
			join = off >= int64(ents[len(ents)-1].off) && off <= math.MaxUint16 &&
				e.slotOf(g, last.t0) == e.slotOf(g, t)
		}
	}
	if join {
		recs[len(recs)-1].n++
	} else {
		recs = append(recs, rec{rx: rx, tx: tx, first: int32(len(ents) - w.e0[gi]), t0: t, n: 1, day: limits.Day(e.day)})
	}
	last := &recs[len(recs)-1]
	en := entry{off: uint16(tt - int64(last.t0)*10), rssi: rssi}
	w.rbuf[gi], w.ebuf[gi] = recs, append(ents, en)
	if hasAtt && e.att.k > 0 {
		pr := agents.Mix(e.sc.Seed, agents.SubSampling, uint64(gi), uint64(g.person[rx]), uint64(g.person[tx]), uint64(t))
		w.out.att = offer(w.out.att, &w.cut, e.att.k, attSample{prio: pr, group: int16(gi), env: env, dist: float32(dist), att: float32(att)})
	}
}

// slotOf is the ID rotation slot of second t of the run: IDs of every
// supported protocol change on multiples of the rotation from UTC midnight.
func (e *engine) slotOf(g *group, t int32) int64 {
	abs := e.startMs/1000 + int64(t)
	if g.rotSec <= 0 {
		return abs / 86400
	}
	return abs / g.rotSec
}
