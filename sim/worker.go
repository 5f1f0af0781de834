package sim

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing"
)

// view is the read-only day a site worker sees: the layout's results and
// the run's fixed parts. Workers write only their own chunk outputs.
type view struct {
	day       int
	dayS      float64 // the day's start in seconds since the run's start
	dayTenths int64   // the same in tenths of a second
	startS    int64   // the run's start, Unix seconds
	seed      uint64
	pop       *agents.Population
	model     *radio.Model
	eng       *scenarios.Engine
	poseS     float64 // radio.pose_epoch_s
	closeD    float64
	rangeM    float32
	groups    []*group
	active    [][]bool
	tracked   []bool   // truth kept for pairs with one of these
	hot       []bool   // only pairs with one of these matter (nil: every pair)
	adv       [][]bool // group -> radio sampled for these advertisers
	// upDay[gi][p] is the day p uploads in group gi when known ahead (-1
	// none); nil when not known ahead. Sightings are stored by upload day
	// (cohorts days day..day+keep, then one for unknown).
	upDay   [][]int16
	cohorts int
	raw     bool // one record per sighting (WithRawSightings)
	// contactsOnly walks contacts for the epidemic's calibration: no
	// truth, no radio.
	contactsOnly bool
	attK         int
	allPairs     bool // WithAllPairs: check every pair, no grid
}

// slotOf is the ID rotation slot of whole second t of the run: IDs of
// every supported protocol change on multiples of the rotation from UTC
// midnight.
func (v *view) slotOf(g *group, t int64) int64 {
	abs := v.startS + t
	if g.rotSec <= 0 {
		return abs / 86400
	}
	return abs / g.rotSec
}

// contactFunc receives every contact of a day (the epidemic's doses).
type contactFunc func(a, b int32, minutes, dist float64, s *agents.Site, walls int, household bool)

// chunkOut is what one chunk of sites produced.
type chunkOut struct {
	truth []truthRec
	segs  [][]segment // group -> cohort (upload day - today, then unknown)
	att   []attSample
	err   error
}

// tail is what emit needs of a chunk's last record of one group, to join
// the next sighting to it.
type tail struct {
	rx, tx int32
	slot   int64
	n      int
}

// worker holds one goroutine's scratch space, reused across sites and days.
type worker struct {
	v       *view
	contact contactFunc // the day's contact consumer, nil if none
	sink    ContactSink // WithContacts, nil without
	// A site's stays by start, and those active in the current epoch.
	order  []int32
	active []int32
	// The site's grids (nx by ny cells): its seats, and the free
	// positions of the current epoch; the density of each epoch.
	nx, ny int
	seats  grid
	free   grid
	taken  grid
	member []int32 // stay -> its member number in seats
	dens   []float32
	// Pair aggregation for tracked pairs within one site.
	pairs map[uint64]int32
	trs   []truthRec
	wins  []radio.ScanWindow
	recs  []radio.Record
	kept  []radio.Record // a link's strongest record of each bucket
	// The current chunk's output and, per group, its last record.
	out   *chunkOut
	tails []tail
	cut   uint64 // reservoir cutoff of the current chunk
	// attKey is Mix(seed, SubSampling, group, receiver, advertiser) of the
	// pair being scanned: a sighting's reservoir priority adds its second.
	attKey uint64
}

func (w *worker) chunk(e *engine, bySite []agents.Stay, off []int32, s0, s1 int) chunkOut {
	out := w.begin(e)
	for s := s0; s < s1; s++ {
		st := bySite[off[s]:off[s+1]]
		if len(st) < 2 {
			continue
		}
		w.site(int32(s), st)
		if out.err != nil {
			break
		}
	}
	w.out = nil
	return *out
}

// begin starts a chunk's output: per group, one segment per upload-day
// cohort (the last for advertisers whose day is not known ahead).
func (w *worker) begin(e *engine) *chunkOut {
	v := w.v
	ng := len(v.groups)
	out := &chunkOut{segs: make([][]segment, ng), truth: e.tpool.take(), att: e.apool.take()}
	nc := v.cohorts
	for gi := range out.segs {
		out.segs[gi] = make([]segment, nc)
		for c := range out.segs[gi] {
			out.segs[gi][c].up = v.day + c
			if c == nc-1 {
				out.segs[gi][c].up = -1
			}
		}
	}
	w.out = out
	if w.pairs == nil {
		w.pairs = map[uint64]int32{}
	}
	w.tails = slices.Grow(w.tails[:0], ng*v.cohorts)[:ng*v.cohorts]
	w.cut = math.MaxUint64
	return out
}

// site runs one site for the day. Seated people keep their seat for the
// whole stay, so each pair of seated stays in range is handled once, for
// their whole overlap; people moving freely take a new position each
// epoch, so each epoch handles the pairs with someone free: free with free
// through a grid of the epoch's free positions, free with seated through
// the site's grid of seats, built once.
func (w *worker) site(si int32, stays []agents.Stay) {
	v := w.v
	site := &v.pop.Sites[si]
	epoch := agents.MinutesPerDay // seated sites: positions never change
	if slices.ContainsFunc(stays, agents.Stay.Free) {
		epoch = v.eng.PoseMinutes
		if site.Kind == agents.Home {
			epoch = v.eng.HomePoseMinutes
		}
	}
	if v.hot != nil && !slices.ContainsFunc(stays, func(st agents.Stay) bool { return v.hot[st.Person] }) {
		return // no pair of this site leaves anything today
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
	w.gridInit(site)
	// The grid of seats: every seated stay of the day at its seat.
	seats := &w.seats
	seats.reset(w.nx * w.ny)
	w.member = slices.Grow(w.member[:0], len(stays))[:len(stays)]
	for i := range stays {
		if st := &stays[i]; !st.Free() {
			p := site.SeatPos(int(st.Room), int(st.Seat))
			w.member[i] = int32(len(seats.stay))
			seats.add(int32(i), p.X, p.Y, w.cellOf(p.X, p.Y), w.isHot(st))
		}
	}
	area := float32(site.Rooms) * site.RoomW * site.RoomD
	active := w.active[:0]
	defer func() { w.active = active[:0] }()
	w.dens = w.dens[:0]
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
		// People per square metre, for the bodies-in-between estimate:
		// present people, weighted by the share of the epoch they stay.
		var occ float32
		for _, a := range active {
			st := &stays[a]
			occ += float32(min(int(st.End), e1)-max(int(st.Start), e0)) / float32(epoch)
		}
		density := occ / max(area, 1)
		w.dens = append(w.dens, density)
		if len(active) < 2 || epoch == agents.MinutesPerDay {
			if next == len(order) && len(active) == 0 {
				break // nobody comes any more
			}
			continue
		}
		if v.hot != nil && !slices.ContainsFunc(active, func(a int32) bool { return v.hot[stays[a].Person] }) {
			continue // nobody hot here in this epoch
		}
		// The free positions of the epoch, and the seats taken in it.
		free, taken := &w.free, &w.taken
		free.reset(w.nx * w.ny)
		taken.reset(w.nx * w.ny)
		ep := uint64(v.day*agents.MinutesPerDay + e0)
		for _, a := range active {
			st := &stays[a]
			if !st.Free() {
				m := w.member[a]
				taken.add(a, seats.x[m], seats.y[m], seats.cell[m], seats.isHot[m])
				continue
			}
			k := agents.Mix(v.seed, agents.SubPositions, uint64(st.Person), ep)
			p := site.FreePos(int(st.Room), float64(k>>11)/(1<<53), float64(k&(1<<32-1))/(1<<32))
			free.add(a, p.X, p.Y, w.cellOf(p.X, p.Y), w.isHot(st))
		}
		if len(free.stay) == 0 {
			continue
		}
		pairs := w.freePairs
		switch {
		case v.allPairs:
			pairs = w.allFreePairs
		case v.hot != nil:
			pairs = w.hotFreePairs
		}
		if !pairs(site, stays, e0, e1, density) {
			return
		}
	}
	seated := w.seatedPairs
	switch {
	case v.allPairs:
		seated = w.allSeatedPairs
	case v.hot != nil:
		seated = w.hotSeatedPairs
	}
	if !seated(site, stays, epoch) {
		return
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

// grid is a uniform grid of cells of range_m over a site: for each cell
// the head of a chain of members (stays), each with its position.
type grid struct {
	head   []int32 // cell -> first member, -1 none
	link   []int32 // member -> next member of its cell
	stay   []int32 // member -> index of the stay in the site's stays
	x, y   []float32
	cell   []int32
	filled []int32 // cells holding members, to reset only those
	// isHot marks the members whose person is hot (view.hot), hot lists
	// them in order.
	isHot []bool
	hot   []int32
}

func (g *grid) reset(ncell int) {
	g.head = g.head[:cap(g.head)]
	for _, c := range g.filled {
		g.head[c] = -1
	}
	if cap(g.head) < ncell {
		g.head = make([]int32, ncell)
		for i := range g.head {
			g.head[i] = -1
		}
	}
	g.head = g.head[:ncell]
	g.filled, g.link, g.stay, g.x, g.y, g.cell = g.filled[:0], g.link[:0], g.stay[:0], g.x[:0], g.y[:0], g.cell[:0]
	g.isHot, g.hot = g.isHot[:0], g.hot[:0]
}

func (g *grid) add(stay int32, x, y float32, c int32, hot bool) {
	if g.head[c] < 0 {
		g.filled = append(g.filled, c)
	}
	if hot {
		g.hot = append(g.hot, int32(len(g.stay)))
	}
	g.link = append(g.link, g.head[c])
	g.head[c] = int32(len(g.stay))
	g.stay = append(g.stay, stay)
	g.isHot = append(g.isHot, hot)
	g.x, g.y, g.cell = append(g.x, x), append(g.y, y), append(g.cell, c)
}

// isHot reports whether stay st's person is hot today (always, when every
// pair is needed).
func (w *worker) isHot(st *agents.Stay) bool { return w.v.hot == nil || w.v.hot[st.Person] }

// gridInit sizes the site's grids: cells of range_m.
func (w *worker) gridInit(site *agents.Site) {
	R := w.v.rangeM
	w.nx = int(float32(site.Rooms)*site.RoomW/R) + 1
	w.ny = int(site.RoomD/R) + 1
}

func (w *worker) cellOf(x, y float32) int32 {
	R := w.v.rangeM
	cx := min(w.nx-1, max(0, int(x/R)))
	cy := min(w.ny-1, max(0, int(y/R)))
	return int32(cy*w.nx + cx)
}

// forward are the neighbours of a cell that a half-neighbourhood visit
// looks at (east, and the three to the north): with the cell itself, each
// pair of cells is visited once.
var forward = [4][2]int{{1, 0}, {-1, 1}, {0, 1}, {1, 1}}

// near checks one candidate pair of stays at positions (ax, ay), (bx, by)
// over [e0, e1) and hands it on when in range and together in time; it
// returns false on an error.
func (w *worker) near(site *agents.Site, stays []agents.Stay, a, b int32, ax, ay, bx, by float32, e0, e1 int, density func(t0, t1 int) float32) bool {
	R := w.v.rangeM
	ddx, ddy := ax-bx, ay-by
	d2 := ddx*ddx + ddy*ddy
	if d2 > R*R {
		return true
	}
	sa, sb := &stays[a], &stays[b]
	if sa.Person == sb.Person {
		return true
	}
	t0 := max(int(sa.Start), int(sb.Start), e0)
	t1 := min(int(sa.End), int(sb.End), e1)
	if t1 <= t0 {
		return true
	}
	w.pair(site, sa, sb, agents.Pos{X: ax, Y: ay}, agents.Pos{X: bx, Y: by}, float32(math.Sqrt(float64(d2))), t0, t1, density(t0, t1))
	return w.out.err == nil
}

// freePairs handles the epoch's pairs with someone moving freely: free
// with free (half neighbourhoods of the free grid) and free with seated
// (the grid of the epoch's taken seats around each free position).
func (w *worker) freePairs(site *agents.Site, stays []agents.Stay, e0, e1 int, density float32) bool {
	f, s := &w.free, &w.taken
	nx, ny := w.nx, w.ny
	dens := func(int, int) float32 { return density }
	for i := range int32(len(f.stay)) {
		c := int(f.cell[i])
		cx, cy := c%nx, c/nx
		for j := f.link[i]; j >= 0; j = f.link[j] {
			if !w.near(site, stays, f.stay[i], f.stay[j], f.x[i], f.y[i], f.x[j], f.y[j], e0, e1, dens) {
				return false
			}
		}
		for _, d := range forward {
			x, y := cx+d[0], cy+d[1]
			if x < 0 || y >= ny || x >= nx {
				continue
			}
			for j := f.head[y*nx+x]; j >= 0; j = f.link[j] {
				if !w.near(site, stays, f.stay[i], f.stay[j], f.x[i], f.y[i], f.x[j], f.y[j], e0, e1, dens) {
					return false
				}
			}
		}
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				x, y := cx+dx, cy+dy
				if x < 0 || y < 0 || x >= nx || y >= ny {
					continue
				}
				for j := s.head[y*nx+x]; j >= 0; j = s.link[j] {
					if !w.near(site, stays, f.stay[i], s.stay[j], f.x[i], f.y[i], s.x[j], s.y[j], e0, e1, dens) {
						return false
					}
				}
			}
		}
	}
	return true
}

// overlapDensity returns the site's density over [t0, t1): the epochs'
// densities averaged over the overlap, weighted by minutes.
func (w *worker) overlapDensity(epoch int) func(t0, t1 int) float32 {
	return func(t0, t1 int) float32 {
		e0, e1 := t0/epoch, (t1-1)/epoch
		if e0 == e1 {
			return w.dens[e0]
		}
		var sum float32
		for e := e0; e <= e1; e++ {
			m := min(t1, (e+1)*epoch) - max(t0, e*epoch)
			sum += w.dens[e] * float32(m)
		}
		return sum / float32(t1-t0)
	}
}

// seatedPairs handles every pair of seated stays in range once, for their
// whole overlap, with the site's density averaged over the epochs of the
// overlap (weighted by minutes).
func (w *worker) seatedPairs(site *agents.Site, stays []agents.Stay, epoch int) bool {
	s := &w.seats
	nx, ny := w.nx, w.ny
	dens := w.overlapDensity(epoch)
	for i := range int32(len(s.stay)) {
		c := int(s.cell[i])
		cx, cy := c%nx, c/nx
		for j := s.link[i]; j >= 0; j = s.link[j] {
			if !w.near(site, stays, s.stay[i], s.stay[j], s.x[i], s.y[i], s.x[j], s.y[j], 0, agents.MinutesPerDay, dens) {
				return false
			}
		}
		for _, d := range forward {
			x, y := cx+d[0], cy+d[1]
			if x < 0 || y >= ny || x >= nx {
				continue
			}
			for j := s.head[y*nx+x]; j >= 0; j = s.link[j] {
				if !w.near(site, stays, s.stay[i], s.stay[j], s.x[i], s.y[i], s.x[j], s.y[j], 0, agents.MinutesPerDay, dens) {
					return false
				}
			}
		}
	}
	return true
}

// pair records ground truth and samples the radio for one pair over
// [t0, t1) minutes of the day at positions posA and posB, distance d.
func (w *worker) pair(site *agents.Site, sa, sb *agents.Stay, posA, posB agents.Pos, d float32, t0, t1 int, density float32) {
	v := w.v
	a, b := sa.Person, sb.Person
	if a > b {
		a, b = b, a
		sa, sb = sb, sa
	}
	walls := agents.Walls(sa.Room, sb.Room)
	if w.contact != nil {
		hh := v.pop.People[a].Household == v.pop.People[b].Household
		w.contact(a, b, float64(t1-t0), float64(d), site, walls, hh)
	}
	if v.contactsOnly {
		return
	}
	if w.sink != nil {
		pa, pb := &v.pop.People[a], &v.pop.People[b]
		w.sink.Contact(&Contact{Day: v.day, A: a, B: b, From: int16(t0), To: int16(t1), DistanceM: d,
			Kind: site.Kind, Env: site.Env, Walls: walls, Household: pa.Household == pb.Household})
	}
	if v.tracked[a] || v.tracked[b] {
		key := uint64(a)<<32 | uint64(uint32(b))
		idx, ok := w.pairs[key]
		if !ok {
			idx = int32(len(w.trs))
			w.pairs[key] = idx
			w.trs = append(w.trs, truthRec{a: a, b: b, minDist: math.MaxFloat32, kind: site.Kind, env: site.Env, day: uint16(v.day)})
		}
		tr := &w.trs[idx]
		m := float32(t1 - t0)
		tr.rangeMin += m
		if float64(d) <= v.closeD {
			tr.closeMin += m
		}
		if d < tr.minDist {
			tr.minDist = d
		}
	}
	people := site.PeopleBetween(posA, posB, d, density) // bodies in a 0.5 m corridor between the phones
	link := radio.Link{DistanceM: float64(d), Env: site.Env, People: people, Walls: walls}
	all := v.eng.AllSightings
	carried := false
	var ca, cb radio.Carriage
	for gi, g := range v.groups {
		pa, pb := g.phone[a], g.phone[b]
		if pa < 0 || pb < 0 || !v.active[gi][pa] || !v.active[gi][pb] {
			continue
		}
		if !carried {
			// Where each phone is during its stay (the person's carriage,
			// or a draw by activity: population.phones.carriage_by_activity).
			ca, cb, carried = v.pop.StayCarriage(sa, v.day), v.pop.StayCarriage(sb, v.day), true
		}
		if all || v.adv[gi][b] {
			w.scan(gi, g, link, pb, pa, cb, ca, t0, t1) // a scans, b advertises
		}
		if all || v.adv[gi][a] {
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
	v := w.v
	pi := g.person[ph]
	p := &v.pop.People[pi]
	hour := uint64(sec / 3600)
	fg := agents.Uniform(v.seed, agents.SubActivity, uint64(pi), hour, 3) < v.pop.Params.Phones.Foreground
	return radio.Phone{Offsets: p.Offsets, Sched: &g.scheds[ph], OS: p.OS, Carriage: c,
		Calibrated: g.calibrated, Foreground: fg}
}

// scan walks the receiver rx's scan windows that start while both are
// present and stores what it hears of tx. Whether a phone's app is on
// screen is drawn per hour, so the time is cut at each hour: a window
// follows the state of the hour it starts in, and what it records runs to
// the end of the pair's time together. cTx and cRx are where the two
// phones are carried.
func (w *worker) scan(gi int, g *group, link radio.Link, tx, rx int32, cTx, cRx radio.Carriage, t0, t1 int) {
	v := w.v
	from, to := v.dayS+float64(t0)*60, v.dayS+float64(t1)*60
	rxKey := agents.Mix(v.seed, agents.SubRadio, uint64(g.person[rx]), uint64(g.sched))
	winKeys := radio.NewWindowKeys(rxKey) // Key(i) == radio.WindowKey(rxKey, i)
	pairKey := radio.PairKey(uint64(g.person[rx]), uint64(g.person[tx]))
	w.attKey = agents.Mix(v.seed, agents.SubSampling, uint64(gi), uint64(g.person[rx]), uint64(g.person[tx]))
	w.kept = w.kept[:0]
	for hs := from; hs < to; {
		he := min(to, (math.Floor(hs/3600)+1)*3600)
		rxPhone := w.phoneOf(g, rx, hs, cRx)
		link.Rx = rxPhone
		link.Tx = w.phoneOf(g, tx, hs, cTx)
		// Everything in the link is fixed for the hour's windows: the radio
		// does its per-link work once (the same draws as its per-window
		// calls, radio.PreparedLink).
		pl := v.model.Prepare(link, v.seed, pairKey)
		if pl.Silent() {
			// Two backgrounded iPhones of an app never hear each other when
			// ios_bg_bg_detect_prob is 0 (radio.md §2.4): the radio model
			// would walk every packet to report nothing.
			hs = he
			continue
		}
		w.wins = g.scheds[rx].AppendWindows(w.wins[:0], hs, he, rxPhone.Foreground)
		hs = he
		for _, win := range w.wins {
			pose, window := uint64(win.Start/v.poseS), winKeys.Key(win.Index)
			if g.record == tracing.RecordStrongest {
				// The app stores a record per peer every few seconds; keep
				// the strongest record of each bucket of wall-clock time,
				// which is all the protocol's rules read
				// (tracing.RecordStrongest). The radio makes those of one
				// window directly; engine.exact_radio makes every record
				// through the per-window reference and folds them (the
				// same records). A bucket can span two windows (iOS scans
				// in back-to-back chunks): the link's records are folded
				// again once its windows are done.
				if v.eng.ExactRadio {
					key := radio.StreamKey{Seed: v.seed, Pair: pairKey, Pose: pose, Window: window}
					w.recs = v.model.Records(link, win, key, w.recs[:0])
					w.kept = radio.KeepStrongest(w.recs, g.bucketS, to, w.kept)
				} else {
					w.kept = pl.Strongest(win, pose, window, g.bucketS, to, w.kept)
				}
				continue
			}
			var rep radio.ScanReport
			if v.eng.ExactRadio {
				// The per-window reference the prepared link is checked
				// against (TestExactRadioSameResult).
				rep = v.model.Scan(link, win, radio.StreamKey{Seed: v.seed, Pair: pairKey, Pose: pose, Window: window})
			} else {
				rep = pl.Scan(win, pose, window)
			}
			if rep.Received == 0 {
				continue
			}
			w.emit(gi, g, tx, rx, win.Start, radio.Reported(rep.MeanRSSI), link.DistanceM, link.Env, float64(rep.TypicalAttenDB), true)
		}
	}
	if len(w.kept) == 0 {
		return
	}
	// A bucket can span two windows (iOS scans in back-to-back chunks),
	// each of which kept a record of it: the app keeps one per bucket.
	w.kept = radio.KeepStrongest(w.kept, g.bucketS, math.Inf(1), w.kept[:0])
	advPower, rssiCorr := float64(g.advPower[tx]), float64(g.rssiCorr[rx])
	for _, r := range w.kept {
		// The attenuation the app could compute: the advertised TX level
		// less the RSSI (corrected when calibrated), as GAEN's
		// (radio.ScanReport.TypicalAttenDB); Bluezone advertises no TX
		// power, so its level is the nominal one.
		att := max(0, advPower-(float64(r.RSSI)+rssiCorr))
		w.emit(gi, g, tx, rx, r.T, radio.Reported(r.RSSI), link.DistanceM, link.Env, att, true)
	}
}

// tenths converts seconds since the run's start to whole tenths of a
// second, the resolution of stored sighting times.
func tenths(sec float64) int64 { return int64(math.Floor(sec * 10)) }

// emit stores one sighting and offers it to the attenuation reservoir. A
// sighting joins the chunk's last record when that record is the same
// receiver and advertiser in the same ID rotation slot (so its ID bytes are
// the same); raw mode keeps one record per sighting, so that the test
// comparing the two storages checks this grouping.
func (w *worker) emit(gi int, g *group, tx, rx int32, sec float64, rssi int8, dist float64, env radio.Environment, att float64, hasAtt bool) {
	v := w.v
	tt := tenths(sec)
	day := tt - v.dayTenths
	if day < 0 || day >= maxTenths {
		w.out.err = fmt.Errorf("sighting at %.1f s of the run lies outside day %d", sec, v.day)
		return
	}
	c := v.cohorts - 1 // upload day not known ahead
	if up := v.upDay[gi]; up != nil && up[g.person[tx]] >= 0 {
		c = int(up[g.person[tx]]) - v.day
	}
	sg := &w.out.segs[gi][c]
	tl := &w.tails[gi*v.cohorts+c]
	slot := v.slotOf(g, tt/10)
	en := mkEntry(day, rssi)
	// Join only records of the current chunk: which chunks a worker runs
	// depends on scheduling, and results must not. Same pair, same ID
	// slot, not before the record's last entry (sites run one after
	// another, so a pair's later site can come with earlier times).
	if sg.recs.n > 0 && !v.raw && tl.rx == rx && tl.tx == tx && tl.slot == slot && tl.n < maxRecEntries &&
		en.tenths() >= sg.ents.last().tenths() {
		tl.n++
	} else {
		sg.recs.push(rec{rx: rx, tx: tx, first: sg.ents.n}, &g.store.rp)
		*tl = tail{rx: rx, tx: tx, slot: slot, n: 1}
	}
	sg.ents.push(en, &g.store.ep)
	if hasAtt && v.attK > 0 {
		pr := agents.MixStep(w.attKey, uint64(tt/10)) // Mix(seed, SubSampling, gi, rx, tx, second)
		w.out.att = offer(w.out.att, &w.cut, v.attK, attSample{prio: pr, group: int16(gi), env: env, dist: float32(dist), att: float32(att)})
	}
}

// pool is a free list of arrays, safe for concurrent use.
type pool[T any] struct {
	mu   sync.Mutex
	free [][]T
}

func (p *pool[T]) take() []T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s[:0]
	}
	return nil
}

func (p *pool[T]) put(s []T) {
	if cap(s) == 0 {
		return
	}
	p.mu.Lock()
	p.free = append(p.free, s[:0])
	p.mu.Unlock()
}
