package sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/sim/limits"
	"github.com/bluesim/bluesim/tracing"
)

// upload is one diagnosed phone's published keys.
type upload struct {
	person, phone int32
	keys          []tracing.PublishedKey
}

// mrec is one stored sighting matched to one upload.
type mrec struct {
	u, rx int32 // upload, receiving phone
	key   int32 // index into the upload's keys
	day   limits.Day
	rec   int32 // index into the group's records of that day
	ent   int32 // index into the group's entries of that day
	n     int32 // consecutive entries of the record from ent (a run)
	ms    int64 // absolute Unix ms of the first
}

// bent is one expanded broadcast in the join table.
type bent struct {
	id       tracing.ID
	from, to int64
	u, key   int32
	next     int32
}

// prefixTable is an open-addressing table from an ID's 8-byte prefix to
// the head of a chain of broadcasts; IDs are uniformly random bytes, so
// the prefix itself is the hash.
type prefixTable struct {
	keys []uint64
	vals []int32
	mask uint64
}

func newPrefixTable(n int) *prefixTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	t := &prefixTable{keys: make([]uint64, size), vals: make([]int32, size), mask: uint64(size - 1)}
	for i := range t.vals {
		t.vals[i] = -1
	}
	return t
}

// slot returns the slot for key k (existing or empty).
func (t *prefixTable) slot(k uint64) int {
	i := (k ^ k>>29) & t.mask
	for t.vals[i] >= 0 && t.keys[i] != k {
		i = (i + 1) & t.mask
	}
	return int(i)
}

// matchDay runs the day's diagnoses, uploads and matching, then scores
// every arm against ground truth.
func (e *engine) matchDay(d int) error {
	na := len(e.sc.Arms)
	notified := make([][]Notification, na)
	detected := make([][]uint64, na)
	uploaded := make([][]int32, na) // persons whose upload the arm saw
	if e.epi != nil {
		if err := e.epiDiagnose(d); err != nil {
			return err
		}
	}
	e.beginScores()
	if e.epi != nil || d >= e.firstDay() {
		// Groups share nothing (own devices, own arms), so they match in
		// parallel; each writes only its own arms' slices.
		errs := make([]error, len(e.groups))
		var wg sync.WaitGroup
		sem := make(chan struct{}, e.cfg.workers)
		for gi, g := range e.groups {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				errs[gi] = e.matchGroup(d, gi, g, notified, detected, uploaded)
				<-sem
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	for ai := range e.sc.Arms {
		slices.SortFunc(notified[ai], func(a, b Notification) int {
			return cmp.Or(cmp.Compare(a.Index, b.Index), cmp.Compare(a.Person, b.Person))
		})
		slices.Sort(detected[ai])
		slices.Sort(uploaded[ai])
		if e.cfg.onDayMatch != nil {
			e.cfg.onDayMatch(ai, d, notified[ai])
		}
	}
	if err := e.score(d, notified, detected, uploaded); err != nil {
		return err
	}
	if e.epi != nil {
		return e.epiEndDay(d, notified)
	}
	return nil
}

func (e *engine) matchGroup(d, gi int, g *group, notified [][]Notification, detected [][]uint64, uploaded [][]int32) error {
	sc := &e.sc
	from := e.start.AddDate(0, 0, max(0, d-e.k))
	to := e.start.AddDate(0, 0, d+1).Add(-time.Millisecond)
	var ups []upload
	for ph, pi := range g.person {
		if e.epi != nil {
			// The epidemic decided who tested positive and uploads.
			if !e.epi.uploads(g.arms, pi) {
				continue
			}
		} else {
			if !e.diagnosedMax(int(pi), d) {
				continue
			}
			any := false
			for _, ai := range g.arms {
				any = any || e.installedArm(ai, int(pi), d)
			}
			if !any || agents.Uniform(sc.Seed, agents.SubUpload, uint64(pi), uint64(d)) >= sc.Diagnosis.Compliance {
				continue
			}
		}
		keys, err := g.devices[ph].Upload(from, to)
		if err != nil {
			return fmt.Errorf("%s upload of person %d: %w", g.protocol, pi, err)
		}
		ups = append(ups, upload{person: pi, phone: int32(ph), keys: keys})
		for _, ai := range g.arms {
			if e.armUploads(ai, pi, d) {
				uploaded[ai] = append(uploaded[ai], pi)
				e.advUpload(ai, ups[len(ups)-1])
			}
		}
	}
	if len(ups) == 0 {
		return nil
	}
	var ms []mrec
	var err error
	if e.cfg.perPhone {
		ms, err = e.joinPerPhone(d, g, ups)
	} else {
		ms, err = e.joinExpanded(d, g, ups)
	}
	if err != nil {
		return err
	}
	slices.SortFunc(ms, cmpMrec)
	defer func() { g.mout = ms[:0] }()
	ex := g.ex[:0] // one (u, rx) group's runs, expanded to single entries
	defer func() { g.ex = ex[:0] }()
	var store, sub []tracing.Sighting
	var matches []tracing.Match
	var keep []int
	var x tracing.Exposure // what an arm's rule decides from, reused
	for i0 := 0; i0 < len(ms); {
		j0 := i0
		for j0 < len(ms) && ms[j0].u == ms[i0].u && ms[j0].rx == ms[i0].rx {
			j0++
		}
		// Expand the group's runs into entries in (time, day, entry) order,
		// each once.
		ex = ex[:0]
		for _, m := range ms[i0:j0] {
			es, r := g.ents[m.day], &g.recs[m.day][m.rec]
			for k := m.ent; k < m.ent+m.n; k++ {
				x := m
				x.ent, x.n, x.ms = k, 1, e.startMs+r.millis(&es[k])
				ex = append(ex, x)
			}
		}
		slices.SortFunc(ex, cmpMrec)
		ex = slices.CompactFunc(ex, func(a, b mrec) bool { return a.day == b.day && a.ent == b.ent })
		ms := ex
		i, j := 0, len(ex)
		up := &ups[ms[i].u]
		rxPerson := g.person[ms[i].rx]
		rxP, txP := &e.pop.People[rxPerson], &e.pop.People[up.person]
		// Materialise the matched sightings through the protocol code.
		store, matches = store[:0], matches[:0]
		for k := i; k < j; k++ {
			s, err := e.fullSighting(g, &ms[k])
			if err != nil {
				return err
			}
			store = append(store, s)
		}
		for _, ai := range g.arms {
			if !e.armUploads(ai, up.person, d) {
				continue
			}
			// An arm sees only sightings made while both had its app (and,
			// with the epidemic, were not kept apart by its quarantines).
			keep = keep[:0]
			for k := i; k < j; k++ {
				od := int(ms[k].day)
				if e.installedArm(ai, int(rxPerson), od) && e.installedArm(ai, int(up.person), od) &&
					(e.epi == nil || !e.epi.excluded(ai, rxPerson, up.person, od, e.pop)) {
					keep = append(keep, k-i)
				}
			}
			if len(keep) == 0 {
				continue
			}
			e.sums[ai].MatchedSightings += int64(len(keep))
			sub = slices.Grow(sub[:0], len(keep))[:len(keep)]
			matches = matches[:0]
			first := int64(1<<63 - 1)
			for n, k := range keep {
				sub[n] = store[k]
				matches = append(matches, tracing.Match{Key: int(ms[i+k].key), Sighting: n})
				first = min(first, store[k].Time)
			}
			detected[ai] = append(detected[ai], uint64(up.person)<<32|uint64(rxPerson))
			x = tracing.Exposure{Keys: up.keys, Sightings: sub, Matches: matches,
				ReceiverIOS: rxP.OS == radio.IOS, SenderIOS: txP.OS == radio.IOS,
				TXPowerDBm: int(g.advPower[up.phone]), RSSICorrectionDB: int(g.rssiCorr[ms[i].rx]), NowMillis: to.UnixMilli()}
			ok, err := e.decide(ai, &x, up.person, rxPerson)
			if err != nil {
				return fmt.Errorf("arm %q rule: %w", sc.Arms[ai].Name, err)
			}
			if ok {
				notified[ai] = append(notified[ai], Notification{Index: up.person, Person: rxPerson, FirstExposure: first})
			}
		}
		i0 = j0
	}
	return nil
}

// armUploads reports whether person p's upload of day d counts for arm
// ai: the arm's app was installed (detection-only runs) or the arm's own
// epidemic made p an uploader.
func (e *engine) armUploads(ai int, p int32, d int) bool {
	if e.epi != nil {
		return e.epi.uploader[ai][p]
	}
	return e.installedArm(ai, int(p), d)
}

// cmpMrec orders matches by upload, receiver, time, day, entry and key.
func cmpMrec(a, b mrec) int {
	if a.u != b.u {
		return int(a.u - b.u)
	}
	if a.rx != b.rx {
		return int(a.rx - b.rx)
	}
	if a.ms != b.ms {
		return cmp.Compare(a.ms, b.ms)
	}
	return cmp.Or(cmp.Compare(a.day, b.day), cmp.Compare(a.ent, b.ent), cmp.Compare(a.key, b.key))
}

// fullSighting returns the stored sighting behind m with its real bytes.
func (e *engine) fullSighting(g *group, m *mrec) (tracing.Sighting, error) {
	if g.raw != nil {
		return g.raw[m.day][m.ent], nil
	}
	return g.sighting(&g.recs[m.day][m.rec], &g.ents[m.day][m.ent], e.startMs)
}

// window yields the retained days an upload on day d covers.
func (e *engine) window(d int) (int, int) { return max(0, d-e.k), d }

// sightingWindow yields the days of sightings a phone still holds on day
// d that an upload on day d can reach: the infectious window, cut to the
// phones' retention.
func (e *engine) sightingWindow(d int) (int, int) { return max(0, d-e.keep), d }

// joinExpanded expands every published key once (Protocol.Expand) and
// joins the broadcasts with the stored sightings on ID bytes: a probe on
// the record's 8-byte ID prefix, then, for each sighting in the broadcast's
// time window, a comparison of the full ID materialised through the
// advertiser's device.
func (e *engine) joinExpanded(d int, g *group, ups []upload) ([]mrec, error) {
	ents := g.bents[:0]
	bc := g.bcast[:0]
	defer func() { g.bents, g.bcast = ents[:0], bc[:0] }()
	for u := range ups {
		for kk, key := range ups[u].keys {
			var err error
			bc, err = g.proto.Expand(bc[:0], key)
			if err != nil {
				return nil, fmt.Errorf("expand key of person %d: %w", ups[u].person, err)
			}
			for _, b := range bc {
				ents = append(ents, bent{id: b.ID, from: b.From, to: b.To, u: int32(u), key: int32(kk), next: -1})
			}
		}
	}
	tab := newPrefixTable(len(ents))
	for i := range ents {
		s := tab.slot(idPrefix(&ents[i].id))
		tab.keys[s] = idPrefix(&ents[i].id)
		ents[i].next = tab.vals[s]
		tab.vals[s] = int32(i)
	}
	out := g.mout[:0]
	d0, d1 := e.sightingWindow(d)
	for dd := d0; dd <= d1; dd++ {
		recs, es := g.recs[dd], g.ents[dd]
		for ri := range recs {
			r := &recs[ri]
			h := tab.vals[tab.slot(r.pfx)]
			if h < 0 {
				continue
			}
			// Each broadcast in the chain matches a run of the record's
			// entries: those in its time window whose full ID equals its
			// bytes. Runs are kept whole, not entry by entry.
			for x := h; x >= 0; x = ents[x].next {
				b := &ents[x]
				run := mrec{n: 0}
				for k := r.first; k < r.first+int32(r.n); k++ {
					ms := e.startMs + r.millis(&es[k])
					ok := ms >= b.from && ms <= b.to
					if ok {
						m := mrec{day: limits.Day(dd), rec: int32(ri), ent: k}
						s, err := e.fullSighting(g, &m)
						if err != nil {
							return nil, err
						}
						ok = s.ID == b.id
					}
					switch {
					case ok && run.n > 0:
						run.n++
					case ok:
						run = mrec{u: b.u, rx: r.rx, key: b.key, day: limits.Day(dd), rec: int32(ri), ent: k, n: 1, ms: ms}
					case run.n > 0:
						out = append(out, run)
						run.n = 0
					}
				}
				if run.n > 0 {
					out = append(out, run)
				}
			}
		}
	}
	return out, nil
}

// joinPerPhone matches the way a phone does: each receiving phone's own
// store of sightings against all of the day's keys with Protocol.Match.
func (e *engine) joinPerPhone(d int, g *group, ups []upload) ([]mrec, error) {
	var keys []tracing.PublishedKey
	var keyU, keyK []int32
	for u := range ups {
		for kk, k := range ups[u].keys {
			keys = append(keys, k)
			keyU = append(keyU, int32(u))
			keyK = append(keyK, int32(kk))
		}
	}
	var refs []mrec
	d0, d1 := e.sightingWindow(d)
	for dd := d0; dd <= d1; dd++ {
		for ri, r := range g.recs[dd] {
			for k := r.first; k < r.first+int32(r.n); k++ {
				refs = append(refs, mrec{rx: r.rx, day: limits.Day(dd), rec: int32(ri), ent: k})
			}
		}
	}
	slices.SortStableFunc(refs, func(a, b mrec) int { return cmp.Compare(a.rx, b.rx) })
	var out []mrec
	var store []tracing.Sighting
	var ms []tracing.Match
	for i := 0; i < len(refs); {
		j := i
		for j < len(refs) && refs[j].rx == refs[i].rx {
			j++
		}
		store = store[:0]
		for _, r := range refs[i:j] {
			s, err := e.fullSighting(g, &r)
			if err != nil {
				return nil, err
			}
			store = append(store, s)
		}
		var err error
		ms, err = g.proto.Match(ms[:0], keys, store)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			r := refs[i+m.Sighting]
			r.u, r.key, r.ms, r.n = keyU[m.Key], keyK[m.Key], store[m.Sighting].Time, 1
			out = append(out, r)
		}
		i = j
	}
	return out, nil
}
