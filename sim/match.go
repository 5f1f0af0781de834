package sim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/sim/limits"
	"github.com/bluesim/bluesim/tracing"
)

// upload is one diagnosed phone's published keys.
type upload struct {
	person, phone int32
	keys          []tracing.PublishedKey
}

// mrun is a run of consecutive entries of one stored record that matched
// one broadcast of one upload.
type mrun struct {
	u, rx int32  // upload, receiving phone
	ent   int32  // first entry, in its segment
	adv   int32  // the record's materialised broadcast (advert)
	t     uint32 // the first entry's tenths of a second since its day's start
	key   uint16 // index into the upload's keys
	seg   uint16 // segment of the day
	n     uint16 // entries
	day   limits.Day
}

// advert is a record's broadcast as the advertiser's device sent it: the
// ID bytes and the metadata (GAEN's AEM). All entries of a record share
// it: a record lies within one ID rotation slot.
type advert struct {
	id   tracing.ID
	meta [4]byte
}

// bent is one expanded broadcast in the join table.
type bent struct {
	id       tracing.ID
	from, to int64
	u        int32
	key      int32
	next     int32
}

// prefixTable is an open-addressing table from an ID's 4-byte prefix to
// the head of a chain of broadcasts; IDs are uniformly random bytes, so
// the prefix itself is the hash.
type prefixTable struct {
	keys []uint32
	vals []int32
	mask uint32
}

func (t *prefixTable) reset(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(t.keys) < size {
		t.keys, t.vals = make([]uint32, size), make([]int32, size)
	}
	t.keys, t.vals = t.keys[:size], t.vals[:size]
	for i := range t.vals {
		t.vals[i] = -1
	}
	t.mask = uint32(size - 1)
}

// slot returns the slot for key k (existing or empty).
func (t *prefixTable) slot(k uint32) int {
	i := (k ^ k>>15) * 0x9e3779b1 & t.mask
	for t.vals[i] >= 0 && t.keys[i] != k {
		i = (i + 1) & t.mask
	}
	return int(i)
}

// matchDayState is what the day's matching hands to the scoring and the
// end of the day.
type matchDayState struct {
	notified [][]Notification // arm -> sorted by (index, person)
	detected [][]uint64       // arm -> index<<32 | person, sorted
	uploaded [][]int32        // arm -> persons whose upload the arm saw, sorted
	matched  []int64          // arm -> matched sightings today
	// twin is fixed for the run: arm -> the first arm of its group with
	// the same rule (setupTwins).
	twin []int
	// apps says who has each arm's app on the days of the window.
	apps appDays
}

// appDays is installedArm for the days an upload reaches, as one bitset
// over the people per (arm, day): a bit read instead of a person's record,
// for every exposure and contact the day decides. Slot d mod slots holds
// day d; days on which an arm's adoption is the same (every day but those
// of an install ramp) share one bitset.
type appDays struct {
	day  [][]int        // arm -> slot -> the day it holds (-1: none)
	key  [][][2]float64 // arm -> slot -> the day's adoption and ramp factor
	bits [][][]uint64   // arm -> slot -> person bits (read-only once made)
}

// fillApps makes e.mt.apps hold days [d-keep, d] (the days of sightings an
// upload on day d reaches, and the day scored), making the bitsets of the
// days it lacks, arm by arm in parallel.
func (e *engine) fillApps(d int) {
	a := &e.mt.apps
	na, slots, n := len(e.sc.Arms), e.keep+1, len(e.pop.People)
	if a.day == nil {
		a.day, a.key, a.bits = make([][]int, na), make([][][2]float64, na), make([][][]uint64, na)
		for ai := range na {
			a.day[ai], a.key[ai], a.bits[ai] = make([]int, slots), make([][2]float64, slots), make([][]uint64, slots)
			for s := range slots {
				a.day[ai][s] = -1
			}
		}
	}
	e.parallel(na, func(ai int) {
		arm := &e.sc.Arms[ai]
		for dd := max(0, d-e.keep); dd <= d; dd++ {
			s := dd % slots
			if a.day[ai][s] == dd {
				continue
			}
			// installedArm depends on the day through these two alone.
			key := [2]float64{arm.AdoptionOn(dd), arm.RampFactor(dd)}
			var b []uint64
			for o := range slots {
				if o != s && a.day[ai][o] >= max(0, d-e.keep) && a.key[ai][o] == key {
					b = a.bits[ai][o]
					break
				}
			}
			if b == nil {
				b = make([]uint64, (n+63)/64)
				for i := range n {
					if e.installedArm(ai, i, dd) {
						b[i>>6] |= 1 << (i & 63)
					}
				}
			}
			a.day[ai][s], a.key[ai][s], a.bits[ai][s] = dd, key, b
		}
	})
}

// hasApp is installedArm(ai, i, d), read from e.mt.apps when it holds day
// d.
func (e *engine) hasApp(ai, i, d int) bool {
	a := &e.mt.apps
	if a.day != nil {
		if s := d % len(a.day[ai]); a.day[ai][s] == d {
			return a.bits[ai][s][i>>6]>>(i&63)&1 != 0
		}
	}
	return e.installedArm(ai, i, d)
}

// matchPart is one goroutine's matching scratch and output, reused from
// day to day and shared by the groups (which match one after another).
// Part p joins the records whose advertiser is phone p mod parts and
// decides the uploads of phones p mod parts: the same part for every
// genuine match (the advertiser is the uploader), so runs rarely move
// between parts (only when a truncated ID collides with another phone's).
type matchPart struct {
	bc    []tracing.Broadcast
	bents []bent
	runs  []mrun   // the runs this part decides
	advs  []advert // the adverts its runs point to
	away  [][]mrun // runs found here for uploads another part decides
	err   error
	// Decisions.
	cnt      []int32
	perm     []int32
	keys     []uint64
	rs       []mrun
	rtmp     []mrun   // sortRuns' scratch
	skeys    []uint64 // sortRuns' scratch
	ktmp     []uint64 // sortByHigh's scratch
	ex       []mrun
	sub      []tracing.Sighting
	matches  []tracing.Match
	keeps    [][]int      // arm -> the entries of the exposure being decided it keeps
	verdicts []armVerdict // arm -> its verdict on that exposure
	notified [][]Notification
	detected [][]uint64
	matched  []int64
	exps     [][]exposureScore // arm -> the rules' exposure summaries of the day
}

// matchParts returns the engine's parts, one per worker.
func (e *engine) matchParts() []*matchPart {
	for len(e.mparts) < e.cfg.workers {
		e.mparts = append(e.mparts, &matchPart{})
	}
	return e.mparts
}

// match runs the day's uploads and matching for every group and leaves
// the arms' verdicts in e.mt.
func (e *engine) match(d int) error {
	na := len(e.sc.Arms)
	mt := &e.mt
	if mt.notified == nil {
		mt.notified, mt.detected = make([][]Notification, na), make([][]uint64, na)
		mt.uploaded, mt.matched = make([][]int32, na), make([]int64, na)
	}
	for ai := range na {
		mt.notified[ai], mt.detected[ai], mt.uploaded[ai] = mt.notified[ai][:0], mt.detected[ai][:0], mt.uploaded[ai][:0]
		mt.matched[ai] = 0
	}
	e.fillApps(d)
	// The day's exposure summaries start empty (pairs.go).
	for _, mp := range e.matchParts() {
		for len(mp.exps) < na {
			mp.exps = append(mp.exps, nil)
		}
		for ai := range mp.exps {
			mp.exps[ai] = mp.exps[ai][:0]
		}
	}
	for _, g := range e.groups {
		if err := e.matchGroup(d, g); err != nil {
			return err
		}
	}
	for ai := range na {
		slices.SortFunc(mt.notified[ai], func(a, b Notification) int {
			return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Person, b.Person))
		})
		slices.Sort(mt.detected[ai])
		slices.Sort(mt.uploaded[ai])
		if e.cfg.onDayMatch != nil {
			e.cfg.onDayMatch(ai, d, mt.notified[ai])
		}
	}
	return nil
}

// matchGroup matches one group's uploads of day d: the uploads, the join
// of their broadcasts with the stored sightings (partitioned by
// advertiser, so no device is used by two goroutines), and the arms'
// rules on each (upload, receiver) exposure (partitioned by upload).
func (e *engine) matchGroup(d int, g *group) error {
	mt := &e.mt
	from := e.start.AddDate(0, 0, max(0, d-e.k))
	to := e.start.AddDate(0, 0, d+1).Add(-time.Millisecond)
	g.upPersons = e.idx.uploaders(g.upPersons[:0], g, d)
	if len(g.upPersons) == 0 {
		return nil
	}
	ups := g.ups[:0]
	for _, pi := range g.upPersons {
		ph := g.phone[pi]
		keys, err := g.devices[ph].Upload(from, to)
		if err != nil {
			return fmt.Errorf("%s upload of person %d: %w", g.protocol, pi, err)
		}
		if len(keys) > math.MaxUint16 {
			return fmt.Errorf("%s upload of person %d: %d keys, more than the engine can number", g.protocol, pi, len(keys))
		}
		ups = append(ups, upload{person: pi, phone: ph, keys: keys})
		for _, ai := range g.arms {
			if e.idx.armUploads(ai, pi, d) {
				mt.uploaded[ai] = append(mt.uploaded[ai], pi)
				e.advUpload(ai, ups[len(ups)-1])
			}
		}
	}
	g.ups = ups
	ps := e.matchParts()
	parts := len(ps)
	for len(g.protos) < parts {
		g.protos = append(g.protos, g.sim.Protocol())
	}
	for _, p := range ps {
		p.runs, p.advs = p.runs[:0], p.advs[:0]
		for len(p.away) < parts {
			p.away = append(p.away, nil)
		}
		for q := range p.away {
			p.away[q] = p.away[q][:0]
		}
	}
	var err error
	if e.cfg.perPhone {
		err = e.joinPerPhone(d, g, ups, ps)
	} else {
		err = e.joinExpanded(d, g, ups, ps)
	}
	if err != nil {
		return err
	}
	// Hand each part the runs other parts found for its uploads, with
	// their adverts.
	for p, mp := range ps {
		for q, mq := range ps {
			if q == p {
				continue
			}
			for _, r := range mq.away[p] {
				mp.advs = append(mp.advs, mq.advs[r.adv])
				r.adv = int32(len(mp.advs) - 1)
				mp.runs = append(mp.runs, r)
			}
		}
	}
	errs := make([]error, parts)
	e.parallel(parts, func(p int) {
		errs[p] = e.decide(d, g, ups, ps[p], p, to.UnixMilli())
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, p := range ps {
		for _, ai := range g.arms {
			mt.notified[ai] = append(mt.notified[ai], p.notified[ai]...)
			mt.detected[ai] = append(mt.detected[ai], p.detected[ai]...)
			mt.matched[ai] += p.matched[ai]
		}
	}
	// Today's uploaders' sightings are matched: no later upload reaches
	// them.
	g.store.dropUploads(d)
	return nil
}

// addRun files a run found by part p: with p's runs when p decides its
// upload, else to go to the part that does.
func (mp *matchPart) addRun(r mrun, ups []upload, p, parts int) {
	if q := int(ups[r.u].phone) % parts; q != p {
		mp.away[q] = append(mp.away[q], r)
		return
	}
	mp.runs = append(mp.runs, r)
}

// decide runs the arms' rules on part mp's runs: every run of the uploads
// the part decides, grouped by (upload, receiver), each group expanded to
// its entries in time order, each entry once.
func (e *engine) decide(d int, g *group, ups []upload, mp *matchPart, part int, nowMs int64) error {
	na := len(e.sc.Arms)
	if mp.notified == nil {
		mp.notified, mp.detected, mp.matched = make([][]Notification, na), make([][]uint64, na), make([]int64, na)
	}
	for ai := range na {
		mp.notified[ai], mp.detected[ai], mp.matched[ai] = mp.notified[ai][:0], mp.detected[ai][:0], 0
	}
	runs := mp.runs
	// A counting sort of the runs by upload (as a permutation), then, per
	// upload, a sort by receiver through packed keys.
	cnt := slices.Grow(mp.cnt[:0], len(ups)+1)[:len(ups)+1]
	clear(cnt)
	for i := range runs {
		cnt[runs[i].u+1]++
	}
	for u := range ups {
		cnt[u+1] += cnt[u]
	}
	perm := slices.Grow(mp.perm[:0], len(runs))[:len(runs)]
	for i := range runs {
		u := runs[i].u
		perm[cnt[u]] = int32(i)
		cnt[u]++
	}
	mp.cnt, mp.perm = cnt, perm
	ex := mp.ex[:0]
	defer func() { mp.ex = ex[:0] }()
	var x tracing.Exposure // what an arm's rule decides from, reused
	keys := mp.keys[:0]
	defer func() { mp.keys = keys[:0] }()
	for u0 := 0; u0 < len(perm); {
		u := runs[perm[u0]].u
		u1 := u0
		keys = keys[:0]
		for ; u1 < len(perm) && runs[perm[u1]].u == u; u1++ {
			keys = append(keys, uint64(uint32(runs[perm[u1]].rx))<<32|uint64(perm[u1]))
		}
		u0 = u1
		// The low halves (run numbers) ascend already: a stable sort by
		// the high halves (receivers) sorts the keys.
		keys, mp.ktmp = sortByHigh(keys, mp.ktmp)
		for g0 := 0; g0 < len(keys); {
			rx := int32(keys[g0] >> 32)
			// Expand the group's runs into entries in (time, day, entry,
			// key) order, each entry once (the lowest key that matched it).
			// The runs are put in order first: their entries are then
			// usually in order already, which one pass checks.
			g1 := g0
			for g1 < len(keys) && int32(keys[g1]>>32) == rx {
				g1++
			}
			rs := mp.rs[:0]
			for _, k := range keys[g0:g1] {
				m := runs[uint32(k)]
				m.t = uint32(g.store.days[m.day].segs[m.seg].ents.at(m.ent).tenths())
				rs = append(rs, m)
			}
			mp.rs = rs
			g0 = g1
			if len(rs) > 1 {
				mp.skeys, mp.rtmp = sortRuns(rs, mp.skeys, mp.rtmp)
			}
			ex = ex[:0]
			inOrder := true
			for _, m := range rs {
				es := &g.store.days[m.day].segs[m.seg].ents
				for k := m.ent; k < m.ent+int32(m.n); k++ {
					x := m
					x.ent, x.n, x.t = k, 1, uint32(es.at(k).tenths())
					if n := len(ex); n > 0 && inOrder && !before(&ex[n-1], &x) {
						inOrder = false
					}
					ex = append(ex, x)
				}
			}
			if !inOrder {
				slices.SortFunc(ex, cmpEntryMatch)
				ex = slices.CompactFunc(ex, func(a, b mrun) bool { return a.day == b.day && a.seg == b.seg && a.ent == b.ent })
			}
			if err := e.decideGroup(d, g, ups, ex, mp.advs, mp, part, nowMs, &x); err != nil {
				return err
			}
		}
	}
	return nil
}

// decideGroup runs the arms' rules on one (upload, receiver) group's
// matched entries ex, in time order. Arms with the same rule (twins) that
// keep the same entries decide once: the later ones copy the verdict.
func (e *engine) decideGroup(d int, g *group, ups []upload, ex []mrun, advs []advert, mp *matchPart, part int, nowMs int64, x *tracing.Exposure) error {
	up := &ups[ex[0].u]
	rx := ex[0].rx
	rxPerson := g.person[rx]
	rxP, txP := &e.pop.People[rxPerson], &e.pop.People[up.person]
	na := len(e.sc.Arms)
	for len(mp.keeps) < na {
		mp.keeps = append(mp.keeps, nil)
	}
	if len(mp.verdicts) < na {
		mp.verdicts = make([]armVerdict, na)
	}
	for _, ai := range g.arms {
		mp.verdicts[ai].done = false
	}
	for gi, ai := range g.arms {
		if !e.idx.armUploads(ai, up.person, d) {
			continue
		}
		// An arm sees only sightings made while both had its app (and,
		// with the epidemic, were not kept apart by its quarantines): a
		// question of the day, asked once per day of the entries.
		keep := mp.keeps[ai][:0]
		lastDay, seen := -1, false
		for k := range ex {
			if od := int(ex[k].day); od != lastDay {
				lastDay = od
				seen = e.hasApp(ai, int(rxPerson), od) && e.hasApp(ai, int(up.person), od) &&
					!e.idx.excluded(ai, rxPerson, up.person, od)
			}
			if seen {
				keep = append(keep, k)
			}
		}
		mp.keeps[ai] = keep
		if len(keep) == 0 {
			continue
		}
		mp.matched[ai] += int64(len(keep))
		mp.detected[ai] = append(mp.detected[ai], uint64(up.person)<<32|uint64(rxPerson))
		v := &mp.verdicts[ai]
		twin := -1
		for _, bj := range g.arms[:gi] {
			if e.mt.twin[bj] == e.mt.twin[ai] && mp.verdicts[bj].done && slices.Equal(mp.keeps[bj], keep) {
				twin = bj
				break
			}
		}
		if twin >= 0 {
			*v = mp.verdicts[twin]
		} else {
			// The kept sightings with their real bytes: the record's
			// advert, the entry's time and RSSI.
			sub := slices.Grow(mp.sub[:0], len(keep))[:len(keep)]
			matches := slices.Grow(mp.matches[:0], len(keep))[:len(keep)]
			for n, k := range keep {
				m := &ex[k]
				en := *g.store.days[m.day].segs[m.seg].ents.at(m.ent)
				a := &advs[m.adv]
				sub[n] = tracing.Sighting{ID: a.id, Meta: a.meta, Time: entryMs(e.startMs+int64(m.day)*86400_000, en), RSSI: en.rssi()}
				matches[n] = tracing.Match{Key: int(m.key), Sighting: n}
			}
			mp.sub, mp.matches = sub, matches
			*x = tracing.Exposure{Keys: up.keys, Sightings: sub, Matches: matches,
				ReceiverIOS: rxP.OS == radio.IOS, SenderIOS: txP.OS == radio.IOS,
				TXPowerDBm: int(g.advPower[up.phone]), RSSICorrectionDB: int(g.rssiCorr[rx]), NowMillis: nowMs}
			ok, sc, err := e.scoreExposure(part, ai, x)
			if err != nil {
				return fmt.Errorf("arm %q rule: %w", e.sc.Arms[ai].Name, err)
			}
			first := int64(math.MaxInt64)
			for n := range sub {
				first = min(first, sub[n].Time)
			}
			*v = armVerdict{notify: ok, score: sc, first: first}
		}
		v.done = true
		mp.exps[ai] = append(mp.exps[ai], exposureScore{index: up.person, contact: rxPerson, score: v.score})
		if v.notify {
			mp.notified[ai] = append(mp.notified[ai], Notification{Index: up.person, Person: rxPerson, FirstExposure: v.first})
		}
	}
	return nil
}

// before reports whether entry a comes strictly before entry b in
// (day, time, segment, entry) order: in that order without a repeat, a
// group's entries need no sort and no deduplication.
func before(a, b *mrun) bool {
	if a.day != b.day {
		return a.day < b.day
	}
	if a.t != b.t {
		return a.t < b.t
	}
	if a.seg != b.seg {
		return a.seg < b.seg
	}
	return a.ent < b.ent
}

// sortByHigh sorts keys whose low 32 bits ascend within each run of equal
// high 32 bits (as when keys are appended in the order of their low
// halves): a stable sort by the high halves then sorts them. Long lists
// are sorted by radix, 11 bits a pass over the bits the high halves use;
// short ones by slices.Sort. It returns the sorted keys (keys or tmp)
// and the other slice as scratch.
func sortByHigh(keys, tmp []uint64) ([]uint64, []uint64) {
	const bits, minRadix = 11, 2048
	if len(keys) < minRadix {
		slices.Sort(keys)
		return keys, tmp
	}
	var hi uint64
	for _, k := range keys {
		hi |= k >> 32
	}
	tmp = slices.Grow(tmp[:0], len(keys))[:len(keys)]
	var cnt [1 << bits]int
	for shift := 32; shift < 64 && hi>>(shift-32) != 0; shift += bits {
		clear(cnt[:])
		for _, k := range keys {
			cnt[k>>shift&(1<<bits-1)]++
		}
		pos := 0
		for i, c := range cnt {
			cnt[i] = pos
			pos += c
		}
		for _, k := range keys {
			b := k >> shift & (1<<bits - 1)
			tmp[cnt[b]] = k
			cnt[b]++
		}
		keys, tmp = tmp, keys
	}
	return keys, tmp
}

// sortRuns sorts rs by cmpEntryMatch: by (day, time) packed with the
// position into integers, which sort much faster than the runs, then the
// runs that tie on (day, time), if any, by the rest of cmpEntryMatch.
// keys and tmp are scratch, returned for reuse.
func sortRuns(rs []mrun, keys []uint64, tmp []mrun) ([]uint64, []mrun) {
	keys = keys[:0]
	for i := range rs {
		keys = append(keys, (uint64(rs[i].day)<<24|uint64(rs[i].t))<<32|uint64(i))
	}
	slices.Sort(keys)
	tmp = append(tmp[:0], rs...)
	for i, k := range keys {
		rs[i] = tmp[uint32(k)]
	}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j]>>32 == keys[i]>>32 {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(rs[i:j], cmpEntryMatch)
		}
		i = j
	}
	return keys, tmp
}

// cmpEntryMatch orders one (upload, receiver) group's entries by time,
// then by storage position and key.
func cmpEntryMatch(a, b mrun) int {
	if a.day != b.day {
		return cmp.Compare(a.day, b.day)
	}
	if a.t != b.t {
		return cmp.Compare(a.t, b.t)
	}
	return cmp.Or(cmp.Compare(a.seg, b.seg), cmp.Compare(a.ent, b.ent), cmp.Compare(a.key, b.key))
}

// sightingWindow yields the days of sightings a phone still holds on day
// d that an upload on day d can reach: the infectious window, cut to the
// phones' retention.
func (e *engine) sightingWindow(d int) (int, int) { return max(0, d-e.keep), d }

// joinExpanded expands every published key once (Protocol.Expand) and
// joins the broadcasts with the stored sightings on ID bytes: a probe on
// the record's 4-byte ID prefix, then, for each broadcast of the chain,
// the record's full ID materialised once through the advertiser's device
// and compared, and the entries in the broadcast's time window kept as a
// run. Part p expands the keys of a range of uploads (concatenated in
// upload order) and joins the records whose advertiser is p mod parts.
func (e *engine) joinExpanded(d int, g *group, ups []upload, ps []*matchPart) error {
	parts := len(ps)
	e.parallel(parts, func(p int) {
		mp := ps[p]
		mp.err = nil
		mp.bents = mp.bents[:0]
		lo, hi := cut(len(ups), parts, p)
		for u := lo; u < hi; u++ {
			for kk, key := range ups[u].keys {
				var err error
				mp.bc, err = g.protos[p].Expand(mp.bc[:0], key)
				if err != nil {
					mp.err = fmt.Errorf("expand key of person %d: %w", ups[u].person, err)
					return
				}
				for _, b := range mp.bc {
					mp.bents = append(mp.bents, bent{id: b.ID, from: b.From, to: b.To, u: int32(u), key: int32(kk), next: -1})
				}
			}
		}
	})
	n := 0
	for _, mp := range ps {
		if mp.err != nil {
			return mp.err
		}
		n += len(mp.bents)
	}
	ents := slices.Grow(g.bents[:0], n)
	for _, mp := range ps {
		ents = append(ents, mp.bents...)
	}
	g.bents = ents
	tab := &g.tab
	tab.reset(len(ents))
	for i := range ents {
		k := idPrefix(&ents[i].id)
		s := tab.slot(k)
		tab.keys[s] = k
		ents[i].next = tab.vals[s]
		tab.vals[s] = int32(i)
	}
	d0, d1 := e.sightingWindow(d)
	e.parallel(parts, func(p int) {
		mp := ps[p]
		for dd := d0; dd <= d1; dd++ {
			if mp.err = e.joinDay(g, dd, d, ents, tab, ups, mp, p, parts); mp.err != nil {
				return
			}
		}
	})
	for _, mp := range ps {
		if mp.err != nil {
			return mp.err
		}
	}
	return nil
}

// joinDay joins day dd's records whose advertiser is p mod parts.
func (e *engine) joinDay(g *group, dd, today int, ents []bent, tab *prefixTable, ups []upload, mp *matchPart, p, parts int) error {
	ds := &g.store.days[dd]
	dayMs := e.startMs + int64(dd)*86400_000
	for si := range ds.segs {
		sg := &ds.segs[si]
		if sg.up >= 0 && sg.up != today {
			// Advertisers who upload on another day: no broadcast of
			// today's keys is theirs.
			continue
		}
		for ri := range sg.recs.n {
			r := sg.recs.at(ri)
			if int(r.tx)%parts != p {
				continue
			}
			h := tab.vals[tab.slot(r.pfx)]
			if h < 0 {
				continue
			}
			first, end := sg.span(ri)
			adv := int32(-1)
			// Each broadcast in the chain matches a run of the record's
			// entries: those in its time window, when the record's full ID
			// equals the broadcast's bytes. Runs are kept whole, not entry
			// by entry.
			for x := h; x >= 0; x = ents[x].next {
				b := &ents[x]
				if adv < 0 {
					var a advert
					if sg.raw != nil {
						a = advert{id: sg.raw[first].ID, meta: sg.raw[first].Meta}
					} else {
						s, err := g.sighting(r.tx, dayMs, *sg.ents.at(first))
						if err != nil {
							return err
						}
						a = advert{id: s.ID, meta: s.Meta}
					}
					mp.advs = append(mp.advs, a)
					adv = int32(len(mp.advs) - 1)
				}
				if mp.advs[adv].id != b.id {
					continue
				}
				run := mrun{n: 0}
				for k := first; k < end; k++ {
					ms := entryMs(dayMs, *sg.ents.at(k))
					ok := ms >= b.from && ms <= b.to
					switch {
					case ok && run.n > 0:
						run.n++
					case ok:
						run = mrun{u: b.u, rx: r.rx, key: uint16(b.key), day: limits.Day(dd), seg: uint16(si), ent: k, n: 1, adv: adv}
					case run.n > 0:
						mp.addRun(run, ups, p, parts)
						run.n = 0
					}
				}
				if run.n > 0 {
					mp.addRun(run, ups, p, parts)
				}
			}
		}
	}
	return nil
}

// joinPerPhone matches the way a phone does: each receiving phone's own
// store of sightings, materialised entry by entry, against all of the
// day's keys with Protocol.Match. It is the reference the join is tested
// against, and runs in one goroutine.
func (e *engine) joinPerPhone(d int, g *group, ups []upload, ps []*matchPart) error {
	mp := ps[0]
	var keys []tracing.PublishedKey
	var keyU, keyK []int32
	for u := range ups {
		for kk, k := range ups[u].keys {
			keys = append(keys, k)
			keyU = append(keyU, int32(u))
			keyK = append(keyK, int32(kk))
		}
	}
	type ref struct {
		rx, tx int32
		day    limits.Day
		seg    uint16
		rec    int32
		ent    int32
	}
	var refs []ref
	d0, d1 := e.sightingWindow(d)
	for dd := d0; dd <= d1; dd++ {
		for si := range g.store.days[dd].segs {
			sg := &g.store.days[dd].segs[si]
			for ri := range sg.recs.n {
				r := sg.recs.at(ri)
				first, end := sg.span(ri)
				for k := first; k < end; k++ {
					refs = append(refs, ref{rx: r.rx, tx: r.tx, day: limits.Day(dd), seg: uint16(si), rec: ri, ent: k})
				}
			}
		}
	}
	slices.SortStableFunc(refs, func(a, b ref) int { return cmp.Compare(a.rx, b.rx) })
	var store []tracing.Sighting
	var ms []tracing.Match
	for i := 0; i < len(refs); {
		j := i
		for j < len(refs) && refs[j].rx == refs[i].rx {
			j++
		}
		store = store[:0]
		for _, r := range refs[i:j] {
			sg := &g.store.days[r.day].segs[r.seg]
			var s tracing.Sighting
			if sg.raw != nil {
				s = sg.raw[r.ent]
			} else {
				var err error
				s, err = g.sighting(r.tx, e.startMs+int64(r.day)*86400_000, *sg.ents.at(r.ent))
				if err != nil {
					return err
				}
			}
			store = append(store, s)
		}
		var err error
		ms, err = g.protos[0].Match(ms[:0], keys, store)
		if err != nil {
			return err
		}
		for _, m := range ms {
			r := refs[i+m.Sighting]
			s := &store[m.Sighting]
			mp.advs = append(mp.advs, advert{id: s.ID, meta: s.Meta})
			mp.addRun(mrun{u: keyU[m.Key], rx: r.rx, key: uint16(keyK[m.Key]), day: r.day, seg: r.seg,
				ent: r.ent, n: 1, adv: int32(len(mp.advs) - 1)}, ups, 0, 1)
		}
		i = j
	}
	return nil
}
