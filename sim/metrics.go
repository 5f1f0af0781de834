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

func prune(s []attSample, k int) []attSample {
	slices.SortFunc(s, func(a, b attSample) int { return cmp.Compare(a.prio, b.prio) })
	return s[:min(len(s), k)]
}

// offer adds c to a chunk-local candidate list bounded by about 2k;
// cutoff is the k-th smallest priority seen so far (candidates at or above
// it can never be kept).
func offer(s []attSample, cutoff *uint64, k int, c attSample) []attSample {
	if c.prio >= *cutoff {
		return s
	}
	if len(s) >= 2*k {
		s = prune(s, k)
		*cutoff = s[len(s)-1].prio
		if c.prio >= *cutoff {
			return s
		}
	}
	return append(s, c)
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
// for the given index persons, sorted by (index, other).
func (e *engine) contactsOf(d int, isIndex []bool) []contact {
	type rec struct {
		idx, other int32
		day        uint16
		tr         *truthRec
	}
	var rs []rec
	d0, d1 := e.window(d)
	for dd := d0; dd <= d1; dd++ {
		trs := e.truth[dd]
		for i := range trs {
			t := &trs[i]
			if isIndex[t.a] {
				rs = append(rs, rec{t.a, t.b, t.day, t})
			}
			if isIndex[t.b] {
				rs = append(rs, rec{t.b, t.a, t.day, t})
			}
		}
	}
	slices.SortStableFunc(rs, func(a, b rec) int {
		return cmp.Or(cmp.Compare(a.idx, b.idx), cmp.Compare(a.other, b.other), cmp.Compare(a.day, b.day))
	})
	var out []contact
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
	return out
}

func osName(p *agents.Person, app bool) string {
	if !app {
		return "noapp"
	}
	return p.OS.String()
}

// score compares day d's notifications with ground truth for every arm.
func (e *engine) score(d int, notified [][]Notification, detected [][]uint64, uploaded [][]int32) error {
	sc := &e.sc
	isIndex := make([]bool, len(e.pop.People))
	idxByArm := make([][]int32, len(sc.Arms))
	if e.epi != nil {
		// The epidemic's diagnosed positives are each arm's index cases.
		for ai := range sc.Arms {
			idxByArm[ai] = append(idxByArm[ai], e.epi.positives[ai]...)
			for _, p := range e.epi.positives[ai] {
				isIndex[p] = true
			}
		}
	} else if d >= e.firstDay() {
		for i := range e.pop.People {
			if !e.diagnosedMax(i, d) {
				continue
			}
			for ai := range sc.Arms {
				if !e.appOnly || e.installedArm(ai, i, d) {
					idxByArm[ai] = append(idxByArm[ai], int32(i))
					isIndex[i] = true
				}
			}
		}
	}
	contacts := e.contactsOf(d, isIndex)
	endOfDay := e.startMs + int64(d+1)*86400_000
	m := &sc.Metrics
	for ai, arm := range sc.Arms {
		row := DayRow{Arm: arm.Name, Day: d, Date: e.start.AddDate(0, 0, d).Format("2006-01-02"),
			Adoption: arm.AdoptionOn(d), IndexCases: int64(len(idxByArm[ai])), Uploads: int64(len(uploaded[ai]))}
		g := e.groups[e.armGroup[ai]]
		for _, r := range g.recs[d] {
			if e.installedArm(ai, int(g.person[r.rx]), d) && e.installedArm(ai, int(g.person[r.tx]), d) {
				row.Sightings += int64(r.n)
			}
		}
		cb := e.res.cases()
		sum := &e.sums[ai]
		sum.IndexCases += row.IndexCases
		sum.Uploads += row.Uploads
		sum.Sightings += row.Sightings
		nots := notified[ai]
		det := detected[ai]
		e.sortScores(ai)
		ups := uploaded[ai]
		// bump counts a verdict in every breakdown; app says whether both
		// the index case and the contact had the arm's app.
		bump := func(c *contact, verdict int, app bool) {
			e.countArea(ai, c.other, verdict, app)
			if verdict == 1 {
				e.countFalsePositive(ai, c)
			}
			idxP, othP := &e.pop.People[c.idx], &e.pop.People[c.other]
			idxApp := e.installedArm(ai, int(c.idx), d)
			othApp := e.installedArm(ai, int(c.other), d)
			labels := [5]string{
				bandLabel(m.DistanceBandsM, bandOf(m.DistanceBandsM, float64(c.minDist)), "m"),
				bandLabel(m.DurationBandsMin, bandOf(m.DurationBandsMin, float64(c.worstClose)), "min"),
				c.kind.String(), c.env.String(),
				osName(idxP, idxApp) + "-" + osName(othP, othApp),
			}
			if c.minDist == math.MaxFloat32 { // notified without any contact in range
				labels = [5]string{"none", "none", "none", "none", labels[4]}
			}
			for dim, l := range labels {
				k := bandKey{dim, l}
				br := e.bands[ai][k]
				if br == nil {
					br = &BandRow{Arm: arm.Name, Dimension: dimNames[dim], Band: l}
					e.bands[ai][k] = br
				}
				cb.bump(br, verdict, app)
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
		for _, ix := range idxByArm[ai] {
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
			ixApp := e.installedArm(ai, int(ix), d)
			cb.begin(IndexCase{Arm: int32(ai), Person: ix, Day: int16(d), App: ixApp, Uploaded: up}, len(e.det[ai]))
			cur := cb.last()
			// Merge contacts and notifications of ix by the other person.
			a, b := 0, 0
			for a < len(cs) || b < len(ns) {
				switch {
				case b >= len(ns) || (a < len(cs) && cs[a].other < ns[b].Person):
					c := &cs[a]
					app := ixApp && e.installedArm(ai, int(c.other), d)
					if up && app {
						db := bandOf(m.DistanceBandsM, float64(c.minDist))
						e.det[ai][db].Pairs++
						_, ok := slices.BinarySearch(det, uint64(ix)<<32|uint64(c.other))
						if ok {
							e.det[ai][db].Detected++
						}
						cb.detect(db, ok)
					}
					if up && app {
						e.addPair(ai, ix, c, true, false, d)
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
						bump(c, 2, app)
					} else {
						row.TN++
						cur.TN++
						bump(c, 3, app)
					}
					a++
				case a >= len(cs) || ns[b].Person < cs[a].other:
					c := contact{idx: ix, other: ns[b].Person, minDist: math.MaxFloat32}
					e.addPair(ai, ix, &c, false, true, d)
					row.FP++
					row.Notifications++
					cur.FP++
					cur.Notifications++
					bump(&c, 1, true)
					e.delayFP[ai][e.delayBin(endOfDay, ns[b].FirstExposure)]++
					b++
				default:
					c := &cs[a]
					app := ixApp && e.installedArm(ai, int(c.other), d)
					e.addPair(ai, ix, c, true, true, d)
					db := bandOf(m.DistanceBandsM, float64(c.minDist))
					e.det[ai][db].Pairs++
					e.det[ai][db].Detected++
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
						bump(c, 0, app)
						e.delay[ai][e.delayBin(endOfDay, ns[b].FirstExposure)]++
					} else {
						row.FP++
						cur.FP++
						bump(c, 1, app)
						e.delayFP[ai][e.delayBin(endOfDay, ns[b].FirstExposure)]++
					}
					a++
					b++
				}
			}
			cb.end()
		}
		sum.Counts.add(row.Counts)
		sum.Notifications += row.Notifications
		e.res.Daily = append(e.res.Daily, row)
	}
	return nil
}

// finish assembles the result tables in a fixed order and hashes them.
func (e *engine) finish() *Result {
	r := e.res
	// Daily rows were appended day-major; present them arm-major.
	slices.SortStableFunc(r.Daily, func(a, b DayRow) int {
		return cmp.Or(cmp.Compare(e.armIndex(a.Arm), e.armIndex(b.Arm)), cmp.Compare(a.Day, b.Day))
	})
	rowOf := map[*BandRow]int32{}
	for ai := range e.sc.Arms {
		s := e.sums[ai]
		s.Precision = s.Counts.Precision()
		s.Recall = s.Counts.Recall()
		s.Coverage = s.Recall
		var atp, afn int64
		for _, br := range e.bands[ai] {
			if br.Dimension == "venue" {
				atp += br.AppTP
				afn += br.AppFN
			}
		}
		s.Capture = ratio(atp, atp+afn)
		s.FalsePositiveRate = s.Counts.FPR()
		r.Arms = append(r.Arms, s)
		keys := make([]bandKey, 0, len(e.bands[ai]))
		for k := range e.bands[ai] {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b bandKey) int { return cmp.Or(cmp.Compare(a.dim, b.dim), cmp.Compare(a.band, b.band)) })
		for _, k := range keys {
			rowOf[e.bands[ai][k]] = int32(len(r.Bands))
			r.Bands = append(r.Bands, *e.bands[ai][k])
		}
		r.Detection = append(r.Detection, e.det[ai]...)
		for h, n := range e.delay[ai] {
			if fp := e.delayFP[ai][h]; n > 0 || fp > 0 {
				r.Delays = append(r.Delays, DelayRow{Arm: e.sc.Arms[ai].Name, Hours: h, TruePositives: n,
					FalseAlarms: fp, Censored: h == e.delayCap()})
			}
		}
	}
	// Pairs were recorded day by day; present them arm by arm.
	slices.SortStableFunc(e.pairs, func(a, b PairScore) int { return cmp.Compare(a.Arm, b.Arm) })
	r.Pairs, e.pairs = e.pairs, nil
	r.cases().finishCases(r, rowOf, len(e.sc.Metrics.DistanceBandsM)+1, len(e.pop.Areas))
	r.build = nil
	r.Areas = e.finishAreas()
	for _, s := range e.att.s {
		r.Attenuation = append(r.Attenuation, AttenuationSample{Arm: e.groups[s.group].label, Environment: s.env.String(),
			DistanceM: round3(float64(s.dist)), AttenuationDB: round3(float64(s.att))})
	}
	if e.epi != nil {
		if err := e.finishEpidemic(r); err != nil {
			r.Hash = fmt.Sprintf("error: %v", err)
			return r
		}
	}
	r.FalsePositives = e.falsePositiveRows()
	if err := r.computeHash(); err != nil {
		r.Hash = fmt.Sprintf("error: %v", err)
	}
	return r
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
