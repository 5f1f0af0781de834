package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
)

// The adversary (scenario adversary:, package privacy): a network of
// passive BLE sniffers in the town, per arm. Each day, after the sites
// have run, the sniffer phase (sniffDay, the day's one call) scans every
// app phone present at a site within range of a sniffer, window by window
// of the sniffer's schedule, through the same radio model as the phones
// (the phone as Tx, the sniffer as a reference receiver), and logs what
// is heard with the IDs the phone really broadcast (the protocol's own
// Advert: GAEN's AEM rides along). The arm's uploads are kept as its key
// server publishes them; at the end (finishAdversary) they go through the
// protocol's real export format (privacy.Publish) and the attacks run on
// the log and the export alone (privacy.Analyze). The ground truth that
// scores them (homes, who broadcast what) is handed over under labels,
// never read by the attacks.
//
// Geometry: a site stands at (Site.X, Site.Y) on the town's plane (a
// census area's geography, or a synthetic town's layout, agents
// plane.go); a person in it at that plus their position in the site. A
// phone inside a building is heard through its wall (one wall, radio
// indoor environment), and through one more wall for every 50 m between
// phone and sniffer (a row of tube houses lines every Vietnamese street;
// the same clutter as privacy's own test world). Sniffers stand outside
// at street level.

// advTag keys the adversary's draws under agents.SubAdversary.
const (
	advPlace = 1 // placement seed
	advRadio = 2 // a sniffer's radio key
)

// clutterM is the distance per wall of street clutter between a phone and a
// sniffer.
const clutterM = 50

// maxSniffRangeM caps the range searched for phones around a sniffer.
const maxSniffRangeM = 500

type adversary struct {
	params   privacy.Params
	scan     privacy.ScanSchedule
	maxRange float64 // farthest a packet is ever heard (metres)
	arms     []*advArm
	groups   []*advGroup // per engine group (nil: no arm of it has sniffers)
}

// advArm is one arm's network and what it has heard so far.
type advArm struct {
	ai, gi   int
	network  privacy.Network
	sniffers []privacy.Sniffer
	// of maps the group's sniffer (advGroup.sn) to the arm's, -1 if the
	// arm has no sniffer there.
	of      []int32
	b       *privacy.Builder
	owner   map[tracing.ID]int32 // ID heard -> broadcasting phone
	heard   []bool               // phone -> logged by some sniffer
	uploads []upload             // what the arm's key server published
	on      []bool               // phone -> listened to today
}

// advGroup is the union of the networks of a group's arms: arms of one
// group share their phones and radio draws, so each place is scanned once
// and every arm with a sniffer there takes the hits of its own app users.
// Networks of a policy nest (privacy.Place), so the union is usually the
// densest arm's.
type advGroup struct {
	arms  []*advArm
	pos   []privacy.Point
	rx    []radio.Schedule // per sniffer
	rxKey []uint64         // per sniffer: keys its radio draws
	// Sniffers near each site (CSR over sites).
	siteOff []int32
	siteSn  []int32
}

// sniffHit is one scan window in which a sniffer heard a phone.
type sniffHit struct {
	ph   int32
	sn   uint32 // the group's sniffer
	ms   int32  // window start, ms since the day's start
	rssi int8
}

// PrivacyRow is one arm's adversary and what its attacks achieved.
type PrivacyRow struct {
	Arm      string `json:"arm"`
	Protocol string `json:"protocol"`
	// Network describes the arm's placement policy ("4 markets, grid
	// 200 m").
	Network string `json:"network"`
	// Result holds the attacks' scores (privacy.Keys documents each).
	Result privacy.Result `json:"privacy"`
	// LogBytes is the sniffer log's size in memory (privacy.Log.Bytes).
	LogBytes int64 `json:"log_bytes"`
	// ExportFormat and ExportBytes describe the published keys the
	// tracing attack read.
	ExportFormat string `json:"export_format"`
	ExportBytes  int    `json:"export_bytes"`
}

// candidatePlaces lists the sites a sniffer may stand at and where: a
// market's centre, a bus's stop (its site's position), the front of a
// school (its gate), of a workplace or café (a venue).
func candidatePlaces(pop *agents.Population) ([]privacy.Candidate, []int32) {
	var cs []privacy.Candidate
	var sites []int32
	for s := range pop.Sites {
		site := &pop.Sites[s]
		w := float64(site.Rooms) * float64(site.RoomW)
		x, y := float64(site.X), float64(site.Y)
		var c privacy.Candidate
		switch site.Kind {
		case agents.Market:
			c = privacy.Candidate{Kind: privacy.Market, Pos: privacy.Point{X: x + w/2, Y: y + float64(site.RoomD)/2}}
		case agents.Bus:
			c = privacy.Candidate{Kind: privacy.BusStop, Pos: privacy.Point{X: x, Y: y}}
		case agents.School:
			c = privacy.Candidate{Kind: privacy.SchoolGate, Pos: privacy.Point{X: x + w/2, Y: y}}
		case agents.Work, agents.Cafe:
			c = privacy.Candidate{Kind: privacy.Venue, Pos: privacy.Point{X: x + w/2, Y: y}}
		default:
			continue
		}
		cs = append(cs, c)
		sites = append(sites, int32(s))
	}
	return cs, sites
}

// setupAdversary places each arm's network and precomputes which sniffers
// can hear each site.
func (e *engine) setupAdversary() error {
	a := &e.sc.Adversary
	if !a.Enabled {
		return nil
	}
	adv := &adversary{params: a.Attack, scan: a.Scan, groups: make([]*advGroup, len(e.groups))}
	adv.maxRange = e.sniffRange()
	cands, candSite := candidatePlaces(e.pop)
	x0, y0, x1, y1 := e.pop.Extent()
	town := privacy.Rect{Min: privacy.Point{X: x0, Y: y0}, Max: privacy.Point{X: x1, Y: y1}}
	seed := agents.Mix(e.sc.Seed, agents.SubAdversary, advPlace, a.SeedStream)
	index := make([]map[uint64]int32, len(e.groups)) // sniffer key -> group sniffer
	for ai := range e.sc.Arms {
		arm := &e.sc.Arms[ai]
		net := a.Sniffers
		if !arm.Sniffers.IsZero() {
			net = arm.Sniffers
		}
		sn, err := privacy.Place(net.Policy(a.Scan), town, cands, seed)
		if err != nil {
			return fmt.Errorf("arm %q: adversary: %w", arm.Name, err)
		}
		gi := e.armGroup[ai]
		g := e.groups[gi]
		aa := &advArm{ai: ai, gi: gi, network: net, sniffers: sn, owner: map[tracing.ID]int32{}, heard: make([]bool, len(g.person))}
		info := g.proto.Info()
		if aa.b, err = privacy.NewBuilder(len(sn), info.IDLen, privacy.MetaLenOf(info), e.startMs); err != nil {
			return err
		}
		adv.arms = append(adv.arms, aa)
		if len(sn) == 0 {
			continue
		}
		ag := adv.groups[gi]
		if ag == nil {
			ag = &advGroup{}
			adv.groups[gi] = ag
			index[gi] = map[uint64]int32{}
		}
		ag.arms = append(ag.arms, aa)
		for _, s := range sn {
			// A sniffer's radio draws follow the place it stands at, so
			// that a denser network (which keeps every place of a sparser
			// one) hears the same packets there.
			id := ^uint64(0)
			if s.Place >= 0 {
				id = uint64(candSite[s.Place])
			}
			key := agents.Mix(e.sc.Seed, agents.SubAdversary, advRadio, uint64(s.Kind), id,
				math.Float64bits(s.Pos.X), math.Float64bits(s.Pos.Y))
			j, ok := index[gi][key]
			if !ok {
				j = int32(len(ag.pos))
				index[gi][key] = j
				ag.pos = append(ag.pos, s.Pos)
				ag.rx = append(ag.rx, s.Scan.Radio())
				ag.rxKey = append(ag.rxKey, key)
			}
			for len(aa.of) <= int(j) {
				aa.of = append(aa.of, -1)
			}
			aa.of[j] = int32(s.ID)
		}
	}
	for _, ag := range adv.groups {
		if ag == nil {
			continue
		}
		for _, aa := range ag.arms {
			for len(aa.of) < len(ag.pos) {
				aa.of = append(aa.of, -1)
			}
		}
		ag.nearSites(e.pop, adv.maxRange)
	}
	e.adv = adv
	return nil
}

// sniffRange is the farthest a sniffer can hear a phone: where the mean
// RSSI through the street clutter, plus three spreads of a packet's RSSI
// about it (per-packet fading and the phone's own TX offset, in
// quadrature), falls below sensitivity. Beyond it the strongest packet of
// a window clears sensitivity about once in a thousand windows, which the
// scan leaves out.
func (e *engine) sniffRange() float64 {
	m := e.model
	pp, tx := m.PerPacketSD(radio.Outdoor), m.UncalibratedPairSD()/math.Sqrt2
	margin := 3 * math.Sqrt(pp*pp+tx*tx)
	d := 1.0
	for ; d < maxSniffRangeM; d++ {
		l := radio.Link{DistanceM: d, Env: radio.Outdoor, Walls: int(d / clutterM)}
		if m.MeanRSSI(&l)+margin < m.Params().RxSensitivityDBm {
			break
		}
	}
	return d
}

// nearSites lists, per site, the sniffers that may hear someone in it:
// within range of some point of the site's rooms.
func (ag *advGroup) nearSites(pop *agents.Population, rng float64) {
	ag.siteOff = make([]int32, len(pop.Sites)+1)
	for s := range pop.Sites {
		site := &pop.Sites[s]
		x0, y0 := float64(site.X), float64(site.Y)
		x1, y1 := x0+float64(site.Rooms)*float64(site.RoomW), y0+float64(site.RoomD)
		for i, p := range ag.pos {
			// Distance from the sniffer to the site's rectangle.
			dx := math.Max(0, math.Max(x0-p.X, p.X-x1))
			dy := math.Max(0, math.Max(y0-p.Y, p.Y-y1))
			if math.Hypot(dx, dy) <= rng {
				ag.siteSn = append(ag.siteSn, int32(i))
			}
		}
		ag.siteOff[s+1] = int32(len(ag.siteSn))
	}
}

// sniffDay is the day's sniffer phase: every group's sniffers scan the app
// phones present near them, in parallel over sites; the hits are then
// turned into each arm's log records through the phones' devices, each
// phone in one goroutine.
func (e *engine) sniffDay(ctx context.Context, d int, bySite []agents.Stay, off []int32) error {
	if e.adv == nil || e.calib {
		return nil
	}
	ns := len(e.pop.Sites)
	nw := max(1, e.cfg.workers)
	v := e.view() // phoneOf's read-only day
	for gi, ag := range e.adv.groups {
		if ag == nil {
			continue
		}
		g := e.groups[gi]
		// Who is listened to today: an arm's installs with the app running.
		on := make([]bool, len(g.person))
		for _, aa := range ag.arms {
			aa.on = make([]bool, len(g.person))
			for ph, pi := range g.person {
				aa.on[ph] = e.lay.active[gi][ph] && e.installedArm(aa.ai, int(pi), d)
				on[ph] = on[ph] || aa.on[ph]
			}
		}
		hits := make([][]sniffHit, nw)
		next := make(chan [2]int)
		var wg sync.WaitGroup
		for w := range nw {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc := &sniffScan{e: e, ag: ag, g: g, on: on, wk: &worker{v: v}, day: d}
				for r := range next {
					for s := r[0]; s < r[1]; s++ {
						sc.site(int32(s), bySite[off[s]:off[s+1]])
					}
				}
				hits[w] = sc.hits
			}()
		}
		var cerr error
		const block = 64
		for s := 0; s < ns; s += block {
			if cerr = ctx.Err(); cerr != nil {
				break
			}
			next <- [2]int{s, min(ns, s+block)}
		}
		close(next)
		wg.Wait()
		if cerr != nil {
			return cerr
		}
		if err := e.logHits(ag, g, d, hits); err != nil {
			return err
		}
	}
	return nil
}

// sniffScan is one goroutine's scanning of one group's sites.
type sniffScan struct {
	e    *engine
	ag   *advGroup
	g    *group
	on   []bool
	wk   *worker // for phoneOf
	day  int
	wins []radio.ScanWindow
	hits []sniffHit
}

// site scans the app phones present in site si during the day.
func (sc *sniffScan) site(si int32, stays []agents.Stay) {
	e, ag, g := sc.e, sc.ag, sc.g
	near := ag.siteSn[ag.siteOff[si]:ag.siteOff[si+1]]
	if len(near) == 0 || len(stays) == 0 {
		return
	}
	site := &e.pop.Sites[si]
	// The positions of the engine's own epochs (worker.site).
	epoch := agents.MinutesPerDay
	if slices.ContainsFunc(stays, agents.Stay.Free) {
		epoch = e.sc.Engine.PoseMinutes
		if site.Kind == agents.Home {
			epoch = e.sc.Engine.HomePoseMinutes
		}
	}
	walls0 := 0
	if site.Env != radio.Outdoor {
		walls0 = 1 // the building's or vehicle's own shell
	}
	base := float64(sc.day) * 86400
	pose := e.sc.Radio.PoseEpochS
	scan := e.adv.scan
	rx := privacy.Sniffer{}.Receiver(nil)
	for i := range stays {
		st := &stays[i]
		ph := g.phone[st.Person]
		if ph < 0 || !sc.on[ph] {
			continue
		}
		for e0 := int(st.Start) / epoch * epoch; e0 < int(st.End); e0 += epoch {
			t0, t1 := max(int(st.Start), e0), min(int(st.End), e0+epoch)
			if t1 <= t0 {
				continue
			}
			var p agents.Pos
			if st.Free() {
				k := agents.Mix(e.sc.Seed, agents.SubPositions, uint64(st.Person), uint64(sc.day*agents.MinutesPerDay+e0))
				p = site.FreePos(int(st.Room), float64(k>>11)/(1<<53), float64(k&(1<<32-1))/(1<<32))
			} else {
				p = site.SeatPos(int(st.Room), int(st.Seat))
			}
			pos := privacy.Point{X: float64(site.X) + float64(p.X), Y: float64(site.Y) + float64(p.Y)}
			from, to := base+float64(t0)*60, base+float64(t1)*60
			sc.wins = scan.AppendWindows(sc.wins[:0], from, to)
			if len(sc.wins) == 0 {
				continue
			}
			// Where the phone is during the stay, as the engine has it.
			tx := sc.wk.phoneOf(g, ph, from, e.pop.StayCarriage(st, sc.day))
			for _, sn := range near {
				dist := pos.Dist(ag.pos[sn])
				if dist > e.adv.maxRange {
					continue
				}
				rx.Sched = &ag.rx[sn]
				link := radio.Link{DistanceM: math.Max(dist, 0.1), Env: site.Env, Walls: walls0 + int(dist/clutterM), Tx: tx, Rx: rx}
				pair := radio.PairKey(uint64(st.Person), ag.rxKey[sn])
				// The link is fixed for the stay's windows: the radio does
				// its per-link work once (radio.PreparedLink, the same
				// draws as Model.Scan).
				pl := e.model.Prepare(link, e.sc.Seed, pair)
				keys := radio.NewWindowKeys(ag.rxKey[sn])
				for _, win := range sc.wins {
					rep := pl.Scan(win, uint64(win.Start/pose), keys.Key(win.Index))
					if !rep.Detected() {
						continue
					}
					sc.hits = append(sc.hits, sniffHit{ph: ph, sn: uint32(sn), ms: int32(math.Round((win.Start - base) * 1000)),
						rssi: privacy.RSSI(rep.MaxRSSI)})
				}
			}
		}
	}
}

// logHits turns the day's hits into records of every arm that listens to
// the phone with a sniffer there, with the IDs the phone broadcast (two
// in a window that straddles a rotation). Part p takes the phones with
// number p mod parts, so that no device is used by two goroutines, each
// part into its own builders, merged in part order.
func (e *engine) logHits(ag *advGroup, g *group, d int, hits [][]sniffHit) error {
	parts := max(1, e.cfg.workers)
	na := len(ag.arms)
	bs := make([][]*privacy.Builder, parts)
	owners := make([][]map[tracing.ID]int32, parts) // part -> arm -> ID -> phone
	errs := make([]error, parts)
	info := g.proto.Info()
	dayMs := e.startMs + int64(d)*86_400_000
	winMs := e.adv.scan.WindowMs()
	var wg sync.WaitGroup
	for p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bs[p] = make([]*privacy.Builder, na)
			for a, aa := range ag.arms {
				b, err := privacy.NewBuilder(len(aa.sniffers), info.IDLen, privacy.MetaLenOf(info), e.startMs)
				if err != nil {
					errs[p] = err
					return
				}
				bs[p][a] = b
			}
			own := make([]map[tracing.ID]int32, na)
			for a := range own {
				own[a] = map[tracing.ID]int32{}
			}
			for _, hs := range hits {
				for _, h := range hs {
					if int(h.ph)%parts != p {
						continue
					}
					start := dayMs + int64(h.ms)
					var last tracing.ID
					for j, at := range [2]int64{start, start + winMs - 1} {
						id, meta, err := g.devices[h.ph].Advert(time.UnixMilli(at).UTC())
						if err != nil {
							errs[p] = fmt.Errorf("sniffed phone of person %d: %w", g.person[h.ph], err)
							return
						}
						if j == 1 && id == last {
							break
						}
						last = id
						for a, aa := range ag.arms {
							s := aa.of[h.sn]
							if s < 0 || !aa.on[h.ph] {
								continue
							}
							own[a][id] = h.ph
							if err := bs[p][a].Add(privacy.Record{Sniffer: uint32(s), Time: start, ID: id, RSSI: h.rssi, Meta: meta}); err != nil {
								errs[p] = err
								return
							}
						}
					}
				}
			}
			owners[p] = own
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for p := range parts {
		for a, aa := range ag.arms {
			if err := aa.b.Merge(bs[p][a]); err != nil {
				return err
			}
		}
		for a, aa := range ag.arms {
			for id, ph := range owners[p][a] {
				aa.owner[id] = ph
				aa.heard[ph] = true
			}
		}
	}
	return nil
}

// advUpload records what arm ai's key server published on day d (called
// by matchGroup for each upload the arm sees; arms of one group are
// matched by one goroutine).
func (e *engine) advUpload(ai int, u upload) {
	if e.adv == nil {
		return
	}
	aa := e.adv.arms[ai]
	aa.uploads = append(aa.uploads, u)
}

// finishAdversary publishes each arm's uploads in the protocol's format,
// runs the attacks on the log and the export, and scores them.
func (e *engine) finishAdversary() error {
	if e.adv == nil {
		return nil
	}
	end := e.start.AddDate(0, 0, e.sc.Days).Add(-time.Second)
	label := e.labels()
	for _, aa := range e.adv.arms {
		arm := &e.sc.Arms[aa.ai]
		g := e.groups[aa.gi]
		ups := slices.Clone(aa.uploads)
		if e.cfg.scramble != 0 {
			// The key server's order is no clue either.
			r := rand.New(rand.NewPCG(e.cfg.scramble, uint64(aa.ai)))
			r.Shuffle(len(ups), func(i, j int) { ups[i], ups[j] = ups[j], ups[i] })
		}
		var keys []tracing.PublishedKey
		var truth privacy.Truth
		for _, u := range ups {
			hx, hy := e.pop.HomePos(int(u.person))
			for _, k := range u.keys {
				keys = append(keys, k)
				truth.Keys = append(truth.Keys, privacy.KeyTruth{Key: k.Key, Uploader: label(u.person), Home: privacy.Point{X: hx, Y: hy}})
			}
		}
		exp, err := privacy.Publish(g.proto, keys, e.start, end, fmt.Appendf(nil, "bluesim run %d", e.sc.Seed))
		if err != nil {
			return fmt.Errorf("arm %q: publishing %d keys: %w", arm.Name, len(keys), err)
		}
		// App users: everyone who had the arm's app on some day.
		for i := range e.pop.People {
			for d := range e.sc.Days {
				if e.installedArm(aa.ai, i, d) {
					truth.AppUsers++
					break
				}
			}
		}
		for _, h := range aa.heard {
			if h {
				truth.AppUsersInRange++
			}
		}
		owner := aa.owner
		truth.Owner = func(id tracing.ID) (uint64, bool) {
			ph, ok := owner[id]
			if !ok {
				return 0, false
			}
			return label(g.person[ph]), true
		}
		log := aa.b.Build()
		an, err := privacy.Analyze(privacy.Input{Protocol: g.proto, Sniffers: aa.sniffers, Log: log, Keys: exp.Keys,
			Truth: truth, Params: e.adv.params})
		if err != nil {
			return fmt.Errorf("arm %q: adversary: %w", arm.Name, err)
		}
		e.sco.res.Privacy = append(e.sco.res.Privacy, PrivacyRow{Arm: arm.Name, Protocol: arm.Protocol, Network: aa.network.String(),
			Result: an.Result, LogBytes: log.Bytes(), ExportFormat: exp.Format, ExportBytes: len(exp.Bytes)})
		aa.b, aa.owner, aa.uploads = nil, nil, nil
	}
	return nil
}

// labels returns the opaque label of each person in the truth handed to
// the attacks: the agent number, or with the scramble test hook a random
// relabelling (a permutation of the agent numbers).
func (e *engine) labels() func(int32) uint64 {
	if e.cfg.scramble == 0 {
		return func(p int32) uint64 { return uint64(p) }
	}
	perm := make([]uint64, len(e.pop.People))
	for i := range perm {
		perm[i] = uint64(i)
	}
	r := rand.New(rand.NewPCG(e.cfg.scramble, 0x6c6162))
	r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	return func(p int32) uint64 { return perm[p] }
}
