package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
)

// attSample is a reservoir candidate; the reservoir keeps the k samples
// with the smallest priority (a hash of the sighting's key), which is a
// uniform sample that does not depend on the order of arrival.
type attSample struct {
	prio  uint64
	group int16
	env   radio.Environment
	dist  float32
	att   float32
}

type reservoir struct {
	k int
	s []attSample
}

// prune returns the k samples of s with the smallest priority, in order of
// priority. It selects them first (smallest) and sorts only those: the
// merge runs once a day outside the parallel sections, and sorting every
// candidate there was its largest serial cost. Priorities are 64-bit
// hashes, so the k smallest are the same set either way.
func prune(s []attSample, k int) []attSample {
	s = smallest(s, k)
	slices.SortFunc(s, func(a, b attSample) int { return cmp.Compare(a.prio, b.prio) })
	return s
}

// offer adds c to a chunk-local candidate list bounded by about 2k;
// cutoff is the k-th smallest priority seen so far (candidates at or above
// it can never be kept).
func offer(s []attSample, cutoff *uint64, k int, c attSample) []attSample {
	if c.prio >= *cutoff {
		return s
	}
	if len(s) >= 2*k {
		s = smallest(s, k)
		*cutoff = 0
		for i := range s {
			*cutoff = max(*cutoff, s[i].prio)
		}
		if c.prio >= *cutoff {
			return s
		}
	}
	return append(s, c)
}

// smallest moves the k samples of smallest priority to the front of s, in
// no particular order (a quickselect), and returns them.
func smallest(s []attSample, k int) []attSample {
	if k >= len(s) {
		return s
	}
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as the pivot.
		mid := lo + (hi-lo)/2
		a, b, c := s[lo].prio, s[mid].prio, s[hi].prio
		p := max(min(a, b), min(max(a, b), c))
		i, j := lo, hi
		for i <= j {
			for s[i].prio < p {
				i++
			}
			for s[j].prio > p {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return s[:k]
		}
	}
	return s[:k]
}

func (r *reservoir) merge(c []attSample) {
	if r.k == 0 {
		return
	}
	r.s = prune(append(r.s, c...), r.k)
}

type bandKey struct {
	dim  int
	band string
}

var dimNames = [...]string{"distance", "duration", "venue", "environment", "os_pair"}

// contact is an index case's aggregated truth with one other person over
// the infectious window.
type contact struct {
	idx, other int32
	close      bool
	worstClose float32 // most minutes within the contact distance in one day
	worstRange float32 // most minutes within radio range in one day
	minDist    float32
	kind       agents.Kind
	env        radio.Environment
}

func bandLabel(edges []float64, b int, unit string) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case len(edges) == 0:
		return "all"
	case b == 0:
		return "<" + f(edges[0]) + unit
	case b >= len(edges):
		return ">=" + f(edges[len(edges)-1]) + unit
	}
	return f(edges[b-1]) + "-" + f(edges[b]) + unit
}

func bandOf(edges []float64, x float64) int {
	for i, e := range edges {
		if x < e {
			return i
		}
	}
	return len(edges)
}

// contactsOf aggregates the retained truth of the window ending on day d
// for the given index persons, sorted by (index, other). Parts of index
// persons are aggregated in parallel and concatenated in order.
func (s *scorer) contactsOf(d int, isIndex []bool) []contact {
	e := s.e
	parts := 2 * e.cfg.workers
	n := len(isIndex)
	for len(s.cparts) < parts {
		s.cparts = append(s.cparts, &contactPart{})
	}
	e.parallel(parts, func(p int) {
		lo, hi := cut(n, parts, p)
		s.contactsIn(s.cparts[p], d, isIndex, int32(lo), int32(hi))
	})
	out := s.contacts[:0]
	for _, cp := range s.cparts[:parts] {
		out = append(out, cp.out...)
	}
	s.contacts = out
	return out
}

// truthOf is one retained truth record seen from one of its two people.
type truthOf struct {
	idx, other int32
	day        uint16
	tr         *truthRec
}

// contactPart is one part's scratch of contactsOf, reused day to day.
type contactPart struct {
	rs  []truthOf
	out []contact
}

// contactsIn is contactsOf for the index persons lo..hi-1, into cp.out.
func (s *scorer) contactsIn(cp *contactPart, d int, isIndex []bool, lo, hi int32) {
	e := s.e
	type rec = truthOf
	in := func(p int32) bool { return p >= lo && p < hi && isIndex[p] }
	rs := cp.rs[:0]
	defer func() { cp.rs = rs[:0] }()
	d0, d1 := e.window(d)
	for dd := d0; dd <= d1; dd++ {
		for _, trs := range e.truth[dd] {
			for i := range trs {
				t := &trs[i]
				if in(t.a) {
					rs = append(rs, rec{t.a, t.b, t.day, t})
				}
				if in(t.b) {
					rs = append(rs, rec{t.b, t.a, t.day, t})
				}
			}
		}
	}
	slices.SortStableFunc(rs, func(a, b rec) int {
		return cmp.Or(cmp.Compare(a.idx, b.idx), cmp.Compare(a.other, b.other), cmp.Compare(a.day, b.day))
	})
	out := cp.out[:0]
	defer func() { cp.out = out }()
	for i := 0; i < len(rs); {
		c := contact{idx: rs[i].idx, other: rs[i].other, minDist: math.MaxFloat32}
		j := i
		for j < len(rs) && rs[j].idx == c.idx && rs[j].other == c.other {
			// One day: sum the day's sites.
			day := rs[j].day
			var dayClose, dayRange float32
			for j < len(rs) && rs[j].idx == c.idx && rs[j].other == c.other && rs[j].day == day {
				t := rs[j].tr
				dayClose += t.closeMin
				dayRange += t.rangeMin
				if t.minDist < c.minDist {
					c.minDist, c.kind, c.env = t.minDist, t.kind, t.env
				}
				j++
			}
			c.worstClose = max(c.worstClose, dayClose)
			c.worstRange = max(c.worstRange, dayRange)
			if float64(dayClose) >= e.closeMin && dayClose > 0 {
				c.close = true
			}
		}
		out = append(out, c)
		i = j
	}
}

// window yields the retained days an upload on day d covers.
func (e *engine) window(d int) (int, int) { return max(0, d-e.k), d }

func osName(p *agents.Person, app bool) string {
	if !app {
		return "noapp"
	}
	return p.OS.String()
}

// scorer compares the apps' verdicts with ground truth, day by day, and
// accumulates every arm's tables. Each arm's state is its own, so arms are
// scored in parallel.
type scorer struct {
	e     *engine
	res   *Result
	att   reservoir
	delay [][]int64 // arm -> hour histogram
	// delayFP is delay's histogram for false alarms (delay's is of true
	// positives).
	delayFP [][]int64
	// bands[ai] are arm ai's breakdown cells by label, and codes[ai][dim]
	// the same cells by a number standing for the label (bandCode).
	bands []map[bandKey]*bandCell
	codes [][len(dimNames)][]*bandCell
	det   [][]DetectionRow
	sums  []ArmSummary
	// sightings[ai] counts the sightings arm ai's phones stored today.
	sightings []int64
	// cases[ai] collects arm ai's index cases.
	cases []*caseBuild
	// contactsOf's scratch.
	cparts   []*contactPart
	contacts []contact
	// Per-pair scores (pairs.go): each arm's exposure summaries of the day
	// and its pairs so far; false alarms by cell (falsepos.go).
	exps  [][]exposureScore
	pairs []chunks[PairScore]
	fps   []map[fpCell]int64
	// The breakdowns' labels, made once: distance and duration bands, OS
	// pairs.
	distLabels, durLabels []string
	osPairs               map[[2]string]string
}

// osPairLabel is "a-b", made once per pair of names.
func (s *scorer) osPairLabel(a, b string) string {
	if l, ok := s.osPairs[[2]string{a, b}]; ok {
		return l
	}
	return a + "-" + b
}

// bandCode numbers contact c's band in breakdown dimension dim (the
// index case had the arm's app when idxApp, the contact when othApp): the
// same number for the same label, 0 for "none" (a notification without
// any contact in range). Numbers are small, so they index a slice.
func (s *scorer) bandCode(dim int, c *contact, idxApp, othApp bool) int {
	m := &s.e.sc.Metrics
	none := c.minDist == math.MaxFloat32
	switch dim {
	case 0:
		if none {
			return 0
		}
		return 1 + bandOf(m.DistanceBandsM, float64(c.minDist))
	case 1:
		if none {
			return 0
		}
		return 1 + bandOf(m.DurationBandsMin, float64(c.worstClose))
	case 2:
		if none {
			return 0
		}
		return 1 + int(c.kind)
	case 3:
		if none {
			return 0
		}
		return 1 + int(c.env)
	}
	// The OS pair: 0 for no app, else 1 + the OS.
	osCode := func(p int32, app bool) int {
		if !app {
			return 0
		}
		return 1 + int(s.e.pop.People[p].OS)
	}
	return osCode(c.idx, idxApp)*(1+math.MaxUint8+1) + osCode(c.other, othApp)
}

// bandLabelOf is the label of contact c's band in dimension dim, as
// bandCode numbers it.
func (s *scorer) bandLabelOf(dim int, c *contact, idxApp, othApp bool) string {
	m := &s.e.sc.Metrics
	if dim < 4 && c.minDist == math.MaxFloat32 {
		return "none"
	}
	switch dim {
	case 0:
		return s.distLabels[bandOf(m.DistanceBandsM, float64(c.minDist))]
	case 1:
		return s.durLabels[bandOf(m.DurationBandsMin, float64(c.worstClose))]
	case 2:
		return c.kind.String()
	case 3:
		return c.env.String()
	}
	pop := s.e.pop
	return s.osPairLabel(osName(&pop.People[c.idx], idxApp), osName(&pop.People[c.other], othApp))
}

// bandCell returns arm ai's cell of contact c's band in dimension dim,
// made on first use. Codes reach their cell through codes[ai][dim]; the
// first time a code is seen its label finds the cell (two codes with one
// label share it).
func (s *scorer) bandCell(ai, dim int, c *contact, idxApp, othApp bool) *bandCell {
	code := s.bandCode(dim, c, idxApp, othApp)
	cs := s.codes[ai][dim]
	if code < len(cs) && cs[code] != nil {
		return cs[code]
	}
	l := s.bandLabelOf(dim, c, idxApp, othApp)
	k := bandKey{dim, l}
	bc := s.bands[ai][k]
	if bc == nil {
		bc = &bandCell{row: &BandRow{Arm: s.e.sc.Arms[ai].Name, Dimension: dimNames[dim], Band: l}}
		s.bands[ai][k] = bc
	}
	for len(cs) <= code {
		cs = append(cs, nil)
	}
	cs[code] = bc
	s.codes[ai][dim] = cs
	return bc
}

func newScorer(e *engine) *scorer {
	sc := &e.sc
	s := &scorer{e: e, res: &Result{Scenario: sc.Name, Seed: sc.Seed, Agents: len(e.pop.People), Days: sc.Days, Ownership: e.pop.Ownership}}
	na := len(sc.Arms)
	s.delay = make([][]int64, na)
	s.delayFP = make([][]int64, na)
	s.bands = make([]map[bandKey]*bandCell, na)
	s.codes = make([][len(dimNames)][]*bandCell, na)
	s.det = make([][]DetectionRow, na)
	s.sums = make([]ArmSummary, na)
	s.sightings = make([]int64, na)
	s.cases = make([]*caseBuild, na)
	s.exps, s.pairs, s.fps = make([][]exposureScore, na), make([]chunks[PairScore], na), make([]map[fpCell]int64, na)
	for ai := range s.fps {
		s.fps[ai] = map[fpCell]int64{}
	}
	for ai, a := range sc.Arms {
		s.cases[ai] = &caseBuild{}
		s.delay[ai] = make([]int64, 24*(e.k+2))
		s.delayFP[ai] = make([]int64, 24*(e.k+2))
		s.bands[ai] = map[bandKey]*bandCell{}
		s.det[ai] = make([]DetectionRow, len(sc.Metrics.DistanceBandsM)+1)
		for b := range s.det[ai] {
			s.det[ai][b] = DetectionRow{Arm: a.Name, Band: bandLabel(sc.Metrics.DistanceBandsM, b, "m")}
		}
		s.sums[ai] = ArmSummary{Name: a.Name, Protocol: a.Protocol, Adoption: a.Adoption}
	}
	s.att.k = max(0, sc.Metrics.AttenuationSamples)
	m := &sc.Metrics
	for b := range len(m.DistanceBandsM) + 1 {
		s.distLabels = append(s.distLabels, bandLabel(m.DistanceBandsM, b, "m"))
	}
	for b := range len(m.DurationBandsMin) + 1 {
		s.durLabels = append(s.durLabels, bandLabel(m.DurationBandsMin, b, "min"))
	}
	s.osPairs = map[[2]string]string{}
	names := []string{"noapp"}
	for _, os := range []radio.OS{radio.Android, radio.IOS} {
		names = append(names, os.String())
	}
	for _, a := range names {
		for _, b := range names {
			s.osPairs[[2]string{a, b}] = a + "-" + b
		}
	}
	return s
}

// countSightings counts day d's stored sightings per arm: those of
// records whose receiver and advertiser both had the arm's app that day.
// Each group's records are counted in parallel parts.
func (s *scorer) countSightings(d int) {
	e := s.e
	clear(s.sightings)
	parts := e.cfg.workers
	for _, g := range e.groups {
		cnt := make([][]int64, parts)
		ad := make([]float64, len(g.arms))
		for i, ai := range g.arms {
			ad[i] = e.sc.Arms[ai].AdoptionOn(d)
		}
		segs := g.store.days[d].segs
		e.parallel(parts, func(p int) {
			c := make([]int64, len(g.arms))
			for si := range segs {
				sg := &segs[si]
				lo, hi := cut(int(sg.recs.n), parts, p)
				for ri := int32(lo); ri < int32(hi); ri++ {
					r := sg.recs.at(ri)
					first, end := sg.span(ri)
					for i, ai := range g.arms {
						rx, tx := int(g.person[r.rx]), int(g.person[r.tx])
						if e.byArea != nil && e.byArea[ai] != nil {
							// Adoption by census area: the arm's own rule.
							if e.installedArm(ai, rx, d) && e.installedArm(ai, tx, d) {
								c[i] += int64(end - first)
							}
						} else if e.pop.Installed(rx, ad[i]) && e.pop.Installed(tx, ad[i]) {
							c[i] += int64(end - first)
						}
					}
				}
			}
			cnt[p] = c
		})
		for i, ai := range g.arms {
			for p := range parts {
				s.sightings[ai] += cnt[p][i]
			}
		}
	}
}

// score compares day d's notifications with ground truth for every arm.
func (s *scorer) score(d int, mt *matchDayState) error {
	e := s.e
	sc := &e.sc
	isIndex := make([]bool, len(e.pop.People))
	idxByArm := make([][]int32, len(sc.Arms))
	for ai := range sc.Arms {
		idxByArm[ai] = e.idx.index(nil, ai, d)
		for _, p := range idxByArm[ai] {
			isIndex[p] = true
		}
	}
	contacts := s.contactsOf(d, isIndex)
	rows := make([]DayRow, len(sc.Arms))
	e.parallel(len(sc.Arms), func(ai int) {
		rows[ai] = s.scoreArm(d, ai, idxByArm[ai], contacts, mt)
	})
	s.res.Daily = append(s.res.Daily, rows...)
	for ai := range sc.Arms {
		s.sums[ai].MatchedSightings += mt.matched[ai]
	}
	return nil
}

// scoreArm scores arm ai's day d: its index cases idx, the contacts of
// every arm's index cases, and the arm's verdicts.
func (s *scorer) scoreArm(d, ai int, idx []int32, contacts []contact, mt *matchDayState) DayRow {
	e := s.e
	sc := &e.sc
	arm := sc.Arms[ai]
	endOfDay := e.startMs + int64(d+1)*86400_000
	m := &sc.Metrics
	row := DayRow{Arm: arm.Name, Day: d, Date: e.start.AddDate(0, 0, d).Format("2006-01-02"),
		Adoption: arm.AdoptionOn(d), IndexCases: int64(len(idx)), Uploads: int64(len(mt.uploaded[ai])),
		Sightings: s.sightings[ai]}
	cb := s.cases[ai]
	sum := &s.sums[ai]
	sum.IndexCases += row.IndexCases
	sum.Uploads += row.Uploads
	sum.Sightings += row.Sightings
	nots := mt.notified[ai]
	det := mt.detected[ai]
	xs := s.gatherScores(ai, e.mparts)
	ups := mt.uploaded[ai]
	var ixApp bool // the index case being scored had the arm's app
	// bump counts a verdict in every breakdown; app says whether both
	// the index case and the contact had the arm's app, othApp whether
	// the contact had it.
	bump := func(c *contact, verdict int, app, othApp bool) {
		e.countArea(cb, ai, c.other, verdict, app)
		if verdict == 1 {
			s.countFalsePositive(ai, c)
		}
		for dim := range len(dimNames) {
			bc := s.bandCell(ai, dim, c, ixApp, othApp)
			cb.bump(bc, verdict, app)
			br := bc.row
			switch verdict {
			case 0:
				br.TP++
				if app {
					br.AppTP++
				}
			case 1:
				br.FP++
			case 2:
				br.FN++
				if app {
					br.AppFN++
				}
			case 3:
				br.TN++
			}
		}
	}
	ci := 0
	ni := 0
	for _, ix := range idx {
		e.countIndex(ai, ix)
		for ci < len(contacts) && contacts[ci].idx < ix {
			ci++
		}
		c0 := ci
		for ci < len(contacts) && contacts[ci].idx == ix {
			ci++
		}
		cs := contacts[c0:ci]
		for ni < len(nots) && nots[ni].Index < ix {
			ni++
		}
		n0 := ni
		for ni < len(nots) && nots[ni].Index == ix {
			ni++
		}
		ns := nots[n0:ni]
		_, up := slices.BinarySearch(ups, ix)
		ixApp = e.hasApp(ai, int(ix), d)
		cb.begin(IndexCase{Arm: int32(ai), Person: ix, Day: int16(d), App: ixApp, Uploaded: up}, len(s.det[ai]))
		cur := cb.last()
		// Merge contacts and notifications of ix by the other person.
		a, b := 0, 0
		for a < len(cs) || b < len(ns) {
			switch {
			case b >= len(ns) || (a < len(cs) && cs[a].other < ns[b].Person):
				c := &cs[a]
				othApp := e.hasApp(ai, int(c.other), d)
				app := ixApp && othApp
				if up && app {
					db := bandOf(m.DistanceBandsM, float64(c.minDist))
					s.det[ai][db].Pairs++
					_, ok := slices.BinarySearch(det, uint64(ix)<<32|uint64(c.other))
					if ok {
						s.det[ai][db].Detected++
					}
					cb.detect(db, ok)
				}
				if up && app {
					s.addPair(ai, xs, ix, c, true, false, d)
				}
				if c.close {
					row.CloseContacts++
					row.FN++
					sum.CloseContacts++
					cur.CloseContacts++
					cur.FN++
					if app {
						sum.AppCloseContacts++
						cur.AppCloseContacts++
						cur.AppFN++
					}
					bump(c, 2, app, othApp)
				} else {
					row.TN++
					cur.TN++
					bump(c, 3, app, othApp)
				}
				a++
			case a >= len(cs) || ns[b].Person < cs[a].other:
				c := contact{idx: ix, other: ns[b].Person, minDist: math.MaxFloat32}
				s.addPair(ai, xs, ix, &c, false, true, d)
				row.FP++
				row.Notifications++
				cur.FP++
				cur.Notifications++
				bump(&c, 1, true, e.hasApp(ai, int(c.other), d))
				s.delayFP[ai][e.delayBin(endOfDay, ns[b].FirstExposure)]++
				b++
			default:
				c := &cs[a]
				othApp := e.hasApp(ai, int(c.other), d)
				app := ixApp && othApp
				s.addPair(ai, xs, ix, c, true, true, d)
				db := bandOf(m.DistanceBandsM, float64(c.minDist))
				s.det[ai][db].Pairs++
				s.det[ai][db].Detected++
				cb.detect(db, true)
				row.Notifications++
				cur.Notifications++
				if c.close {
					row.CloseContacts++
					row.TP++
					sum.CloseContacts++
					sum.AppCloseContacts++
					cur.CloseContacts++
					cur.AppCloseContacts++
					cur.TP++
					if app {
						cur.AppTP++
					}
					bump(c, 0, app, othApp)
					s.delay[ai][e.delayBin(endOfDay, ns[b].FirstExposure)]++
				} else {
					row.FP++
					cur.FP++
					bump(c, 1, app, othApp)
					s.delayFP[ai][e.delayBin(endOfDay, ns[b].FirstExposure)]++
				}
				a++
				b++
			}
		}
		cb.end()
	}
	sum.Counts.add(row.Counts)
	sum.Notifications += row.Notifications
	return row
}

// finish assembles the result tables in a fixed order and hashes them.
func (e *engine) finish() *Result {
	s := e.sco
	r := s.res
	// Daily rows were appended day-major; present them arm-major.
	slices.SortStableFunc(r.Daily, func(a, b DayRow) int {
		return cmp.Or(cmp.Compare(e.armIndex(a.Arm), e.armIndex(b.Arm)), cmp.Compare(a.Day, b.Day))
	})
	rowOf := map[*BandRow]int32{}
	for ai := range e.sc.Arms {
		a := s.sums[ai]
		a.Precision = a.Counts.Precision()
		a.Recall = a.Counts.Recall()
		a.Coverage = a.Recall
		var atp, afn int64
		for _, bc := range s.bands[ai] {
			if br := bc.row; br.Dimension == "venue" {
				atp += br.AppTP
				afn += br.AppFN
			}
		}
		a.Capture = ratio(atp, atp+afn)
		a.FalsePositiveRate = a.Counts.FPR()
		r.Arms = append(r.Arms, a)
		keys := make([]bandKey, 0, len(s.bands[ai]))
		for k := range s.bands[ai] {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b bandKey) int { return cmp.Or(cmp.Compare(a.dim, b.dim), cmp.Compare(a.band, b.band)) })
		for _, k := range keys {
			br := s.bands[ai][k].row
			rowOf[br] = int32(len(r.Bands))
			r.Bands = append(r.Bands, *br)
		}
		r.Detection = append(r.Detection, s.det[ai]...)
		for h, n := range s.delay[ai] {
			if fp := s.delayFP[ai][h]; n > 0 || fp > 0 {
				r.Delays = append(r.Delays, DelayRow{Arm: e.sc.Arms[ai].Name, Hours: h, TruePositives: n,
					FalseAlarms: fp, Censored: h == e.delayCap()})
			}
		}
	}
	// Pairs were recorded arm by arm, day by day: one array of the exact
	// size, not one regrown while appending.
	np := 0
	for ai := range s.pairs {
		np += s.pairs[ai].len()
	}
	r.Pairs = make([]PairScore, 0, np)
	for ai := range s.pairs {
		r.Pairs = s.pairs[ai].appendTo(r.Pairs)
		s.pairs[ai] = chunks[PairScore]{}
	}
	r.build = mergeCases(s.cases)
	r.cases().finishCases(r, rowOf, len(e.sc.Metrics.DistanceBandsM)+1, len(e.pop.Areas))
	r.build = nil
	r.Areas = e.finishAreas()
	for _, a := range s.att.s {
		r.Attenuation = append(r.Attenuation, AttenuationSample{Arm: e.groups[a.group].label, Environment: a.env.String(),
			DistanceM: round3(float64(a.dist)), AttenuationDB: round3(float64(a.att))})
	}
	if err := e.idx.finish(r); err != nil {
		r.Hash = fmt.Sprintf("error: %v", err)
		return r
	}
	r.FalsePositives = s.falsePositiveRows()
	r.Workers = e.cfg.workers // goroutines that share the hash's encoding
	if err := r.computeHash(); err != nil {
		r.Hash = fmt.Sprintf("error: %v", err)
	}
	return r
}

// mergeCases concatenates the arms' index cases into one collection, the
// case numbers of their cells and detection bands shifted to match.
func mergeCases(bs []*caseBuild) *caseBuild {
	var nc, nb, nd, na int
	for _, b := range bs {
		nc, nb, nd, na = nc+len(b.cases), nb+len(b.bands), nd+len(b.det), na+len(b.areas)
	}
	out := &caseBuild{cases: make([]IndexCase, 0, nc), bands: make([]pendingBand, 0, nb), det: make([]IndexCaseDetection, 0, nd),
		areas: make([]IndexCaseArea, 0, na)}
	for i, b := range bs {
		bs[i] = nil // the arm's own copy goes as soon as it is copied
		base := int32(len(out.cases))
		out.cases = append(out.cases, b.cases...)
		for _, p := range b.bands {
			p.Case += base
			out.bands = append(out.bands, p)
		}
		for _, d := range b.det {
			d.Case += base
			out.det = append(out.det, d)
		}
		for _, a := range b.areas {
			a.Case += base
			out.areas = append(out.areas, a)
		}
	}
	return out
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// delayCap is the last bin of the delay histograms: a first matched
// exposure can be no earlier than the start of the index case's infectious
// window, k days before the notification's day, so a delay of
// 24·(k+1)−1 hours or more says the exposure began at or before the
// window opened. That bin holds every such delay: they are censored
// (known only to be at least that long).
func (e *engine) delayCap() int { return 24*(e.k+1) - 1 }

// delayBin is the histogram bin of a notification at the end of the day
// (endOfDay, ms) whose first matched exposure was at first (ms): whole
// hours, at most delayCap.
func (e *engine) delayBin(endOfDay, first int64) int {
	return min(max(int((endOfDay-first)/3_600_000), 0), e.delayCap())
}

func (e *engine) armIndex(name string) int {
	for i, a := range e.sc.Arms {
		if a.Name == name {
			return i
		}
	}
	return -1
}
