package privacy

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// A test world: a small town of people walking between home, a bus stop,
// a school gate or venue and a market, each phone running a real protocol
// device, heard by a network of sniffers through the real radio model.
// The attacks get only the sniffer log and the keys read back from the
// real published formats; the people, their labels and homes are the
// ground truth.

type worldSpec struct {
	proto     string
	people    int
	days      int
	uploaders int
	policy    Policy
	seed      uint64
	// scramble relabels everyone and walks them in another order; the
	// physical world (homes, keys, radio draws) stays the same.
	scramble bool
}

type worldPerson struct {
	label    uint64
	home     Point
	stop     Point // bus stop
	day      Point // school gate or venue
	market   Point
	shift    int64 // ms added to the day's timetable
	carriage radio.Carriage
	sched    radio.Schedule
	dev      tracing.Device
	gdev     *gaen.Device // the same device, for GAEN's AEM
	offset   [4]Point     // where the person stands at home, stop, day place, market
}

type world struct {
	spec     worldSpec
	proto    tracing.Protocol
	sniffers []Sniffer
	log      *Log
	keys     []tracing.PublishedKey
	truth    Truth
	people   []worldPerson
	start    time.Time
	params   Params
}

// worldStart is local midnight (UTC+7) of Monday 3 August 2020.
var worldStart = time.Date(2020, 8, 2, 17, 0, 0, 0, time.UTC)

const townSize = 1200.0

func protocolByName(t testing.TB, name string) (tracing.Protocol, radio.ScheduleKind) {
	t.Helper()
	switch name {
	case "bluezone":
		p, err := bluezone.New(bluezone.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		return p, radio.BluezoneAndroid
	case "bluezone-v1":
		return bluezone.NewV1(), radio.BluezoneAndroid
	case "gaen":
		return gaen.Protocol{}, radio.GAENSchedule
	case "dp3t":
		return dp3t.Default(), radio.GAENSchedule
	}
	t.Fatalf("unknown protocol %q", name)
	return nil, 0
}

// townCandidates are the town's public places, the same for every world
// with one seed.
func townCandidates(seed uint64) []Candidate {
	r := radio.NewRand(seed, 0x746f776e)
	var cs []Candidate
	for _, k := range []struct {
		kind PlaceKind
		n    int
	}{{Market, 3}, {BusStop, 12}, {SchoolGate, 4}, {Venue, 16}} {
		for range k.n {
			cs = append(cs, Candidate{k.kind, Point{100 + r.Float64()*(townSize-200), 100 + r.Float64()*(townSize-200)}})
		}
	}
	return cs
}

var worlds sync.Map // worldSpec (as Go syntax) -> *worldOnce

type worldOnce struct {
	once sync.Once
	w    *world
	err  error
}

func getWorld(t testing.TB, spec worldSpec) *world {
	t.Helper()
	v, _ := worlds.LoadOrStore(fmt.Sprintf("%#v", spec), &worldOnce{})
	wo := v.(*worldOnce)
	wo.once.Do(func() { wo.w, wo.err = buildWorld(t, spec) })
	if wo.err != nil {
		t.Fatal(wo.err)
	}
	return wo.w
}

func buildWorld(t testing.TB, spec worldSpec) (*world, error) {
	proto, kind := protocolByName(t, spec.proto)
	w := &world{spec: spec, proto: proto, start: worldStart, params: DefaultParams()}
	cands := townCandidates(spec.seed)
	var err error
	w.sniffers, err = Place(spec.policy, Rect{Max: Point{townSize, townSize}}, cands, spec.seed)
	if err != nil {
		return nil, err
	}
	model, err := radio.NewModel(radio.DefaultParams())
	if err != nil {
		return nil, err
	}
	var stops, days, markets []Point
	for _, c := range cands {
		switch c.Kind {
		case BusStop:
			stops = append(stops, c.Pos)
		case SchoolGate, Venue:
			days = append(days, c.Pos)
		case Market:
			markets = append(markets, c.Pos)
		}
	}
	// The physical people, keyed by their physical number i.
	created := w.start.Add(-24 * time.Hour)
	for i := range spec.people {
		r := radio.NewRand(spec.seed, 0x70706c, uint64(i))
		p := worldPerson{label: uint64(i)}
		p.home = Point{r.Float64() * townSize, r.Float64() * townSize}
		p.stop = stops[0]
		for _, s := range stops {
			if s.Dist(p.home) < p.stop.Dist(p.home) {
				p.stop = s
			}
		}
		p.day = days[r.IntN(len(days))]
		p.market = markets[r.IntN(len(markets))]
		p.shift = int64(r.IntN(31)-15) * 60_000
		p.carriage = []radio.Carriage{radio.Hand, radio.FrontPocket, radio.Bag}[r.IntN(3)]
		for j := range p.offset {
			p.offset[j] = Point{r.Float64()*20 - 10, r.Float64()*20 - 10}
		}
		p.offset[0] = Point{}
		p.sched = model.NewSchedule(kind, radio.Hash(spec.seed, uint64(i)))
		var seed [32]byte
		binary.LittleEndian.PutUint64(seed[:], radio.Hash(spec.seed, 0x6b6579, uint64(i)))
		p.dev, err = proto.NewDevice(rand.NewChaCha8(seed), created)
		if err != nil {
			return nil, err
		}
		p.gdev, _ = p.dev.(*gaen.Device)
		w.people = append(w.people, p)
	}
	order := make([]int, spec.people)
	for i := range order {
		order[i] = i
	}
	if spec.scramble {
		r := radio.NewRand(spec.seed, 0x736372)
		r.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for i := range w.people {
			w.people[i].label = r.Uint64()
		}
	}

	// Listening.
	info := proto.Info()
	meta := 0
	if info.Name == "gaen" {
		meta = MetaLen
	}
	b, err := NewBuilder(len(w.sniffers), info.IDLen, meta, w.start.UnixMilli())
	if err != nil {
		return nil, err
	}
	// The farthest a packet is ever heard: the mean at that distance,
	// through the town's clutter, is three per-packet spreads below
	// sensitivity.
	maxRange := 1.0
	for maxRange < townSize {
		l := radio.Link{DistanceM: maxRange, Env: radio.Outdoor, Walls: clutter(maxRange)}
		if model.MeanRSSI(&l)+3*model.PerPacketSD(radio.Outdoor) < model.Params().RxSensitivityDBm {
			break
		}
		maxRange += 5
	}
	grid := newSnifferGrid(w.sniffers, maxRange)
	owners := map[tracing.ID]uint64{}
	win := DefaultScanSchedule().WindowMs()
	nWin := int64(spec.days) * dayMs / win
	rx := make([]radio.Schedule, len(w.sniffers))
	for s := range w.sniffers {
		rx[s] = w.sniffers[s].Scan.Radio()
	}
	md := gaen.Metadata{}
	if len(w.people) > 0 && w.people[0].gdev != nil {
		md = w.people[0].gdev.Metadata
	}
	var near []int
	for _, i := range order {
		p := &w.people[i]
		tx := radio.Phone{Sched: &p.sched, OS: radio.Android, Carriage: p.carriage, Calibrated: info.Name == "gaen"}
		for k := range nWin {
			t0 := w.start.UnixMilli() + k*win
			pos, env := p.where(t0 + win/2 - w.start.UnixMilli())
			near = grid.near(near[:0], pos)
			for _, s := range near {
				d := pos.Dist(w.sniffers[s].Pos)
				walls := clutter(d)
				if env == radio.Indoor {
					walls++
				}
				link := radio.Link{DistanceM: d, Env: env, Walls: walls, Tx: tx, Rx: w.sniffers[s].Receiver(&rx[s])}
				sec := float64(k*win) / 1000
				// Poses change at a phase of their own per pair, not in step
				// with the protocols' rotations (both on the minute grid).
				pair := radio.PairKey(uint64(i), 1<<40+uint64(s))
				phase := float64(pair%1000) / 1000 * model.Params().PoseEpochS
				key := radio.StreamKey{Seed: spec.seed, Pair: pair,
					Pose: uint64(math.Floor((sec + phase) / model.Params().PoseEpochS)), Window: radio.WindowKey(1<<40+uint64(s), k)}
				rep := model.Scan(link, radio.ScanWindow{Start: sec, End: sec + float64(win)/1000, Index: k}, key)
				if !rep.Detected() {
					continue
				}
				// The IDs on air during the window (two if it straddles a
				// rotation).
				var last tracing.ID
				for j, at := range []int64{t0, t0 + win - 1} {
					id, aem, err := advert(p, at, md)
					if err != nil {
						return nil, err
					}
					if j == 1 && id == last {
						break
					}
					last = id
					owners[id] = p.label
					if err := b.Add(Record{Sniffer: uint32(s), Time: t0, ID: id, RSSI: RSSI(rep.MaxRSSI), Meta: aem}); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	w.log = b.Build()
	w.truth.Owner = func(id tracing.ID) (uint64, bool) { o, ok := owners[id]; return o, ok }

	// Ground truth of who came within range: a sniffer heard them.
	w.truth.AppUsers = int64(spec.people)
	heard := map[uint64]bool{}
	for k := range w.log.Entries() {
		id, _ := w.log.Entry(k)
		heard[owners[id]] = true
	}
	w.truth.AppUsersInRange = int64(len(heard))

	// Uploads at the end of the run, published through the real formats.
	end := w.start.Add(time.Duration(spec.days) * 24 * time.Hour).Add(-time.Second)
	var keys []tracing.PublishedKey
	for _, i := range order {
		if i >= spec.uploaders {
			continue // the uploaders are the same people in any order
		}
		p := &w.people[i]
		ks, err := p.dev.Upload(w.start, end)
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			keys = append(keys, k)
			w.truth.Keys = append(w.truth.Keys, KeyTruth{Key: k.Key, Uploader: p.label, Home: p.home})
		}
	}
	ex, err := Publish(proto, keys, worldStart, end, []byte(fmt.Sprint("world", spec.seed)))
	if err == nil {
		w.keys = ex.Keys
	}
	return w, err
}

func advert(p *worldPerson, at int64, md gaen.Metadata) (tracing.ID, [4]byte, error) {
	t := time.UnixMilli(at)
	if p.gdev != nil {
		return p.gdev.AdvertAt(t, md)
	}
	id, err := p.dev.IDAt(t)
	return id, [4]byte{}, err
}

// clutter is the number of walls between a phone and a sniffer d metres
// apart in the town: a row of houses every 50 m (Vietnamese tube houses
// line every street).
func clutter(d float64) int { return int(d / 50) }

// where is the person's position and environment at ms since the world's
// start, from a fixed local timetable shifted by the person's offset.
func (p *worldPerson) where(ms int64) (Point, radio.Environment) {
	tod := ms%dayMs - p.shift
	min := func(h, m int64) int64 { return (h*60 + m) * 60_000 }
	at := func(q Point, j int) Point { return Point{q.X + p.offset[j].X, q.Y + p.offset[j].Y} }
	walk := func(a, b Point, from, to int64) Point {
		f := float64(tod-from) / float64(to-from)
		return Point{a.X + f*(b.X-a.X), a.Y + f*(b.Y-a.Y)}
	}
	home, stop, day, market := at(p.home, 0), at(p.stop, 1), at(p.day, 2), at(p.market, 3)
	switch {
	case tod < min(7, 0) || tod >= min(17, 30):
		return home, radio.Indoor
	case tod < min(7, 10):
		return walk(home, stop, min(7, 0), min(7, 10)), radio.Outdoor
	case tod < min(7, 15):
		return stop, radio.Outdoor
	case tod < min(7, 35):
		return walk(stop, day, min(7, 15), min(7, 35)), radio.Outdoor
	case tod < min(11, 30):
		return day, radio.Outdoor
	case tod < min(11, 45):
		return walk(day, market, min(11, 30), min(11, 45)), radio.Outdoor
	case tod < min(12, 15):
		return market, radio.Outdoor
	case tod < min(12, 30):
		return walk(market, day, min(12, 15), min(12, 30)), radio.Outdoor
	case tod < min(16, 30):
		return day, radio.Outdoor
	case tod < min(17, 0):
		return walk(day, stop, min(16, 30), min(17, 0)), radio.Outdoor
	default:
		return walk(stop, home, min(17, 0), min(17, 30)), radio.Outdoor
	}
}

// snifferGrid finds the sniffers within a range of a point.
type snifferGrid struct {
	cell  float64
	cells map[[2]int][]int
	sn    []Sniffer
	rng   float64
}

func newSnifferGrid(sn []Sniffer, rng float64) *snifferGrid {
	g := &snifferGrid{cell: rng, cells: map[[2]int][]int{}, sn: sn, rng: rng}
	for i, s := range sn {
		c := [2]int{int(math.Floor(s.Pos.X / rng)), int(math.Floor(s.Pos.Y / rng))}
		g.cells[c] = append(g.cells[c], i)
	}
	return g
}

func (g *snifferGrid) near(dst []int, p Point) []int {
	cx, cy := int(math.Floor(p.X/g.cell)), int(math.Floor(p.Y/g.cell))
	for dx := -1; dx <= 1; dx++ {
		for dy := -1; dy <= 1; dy++ {
			for _, i := range g.cells[[2]int{cx + dx, cy + dy}] {
				if g.sn[i].Pos.Dist(p) <= g.rng {
					dst = append(dst, i)
				}
			}
		}
	}
	slices.Sort(dst)
	return dst
}

// analyze runs both attacks on the world.
func (w *world) analyze(t testing.TB) *Analysis {
	t.Helper()
	a, err := Analyze(Input{Protocol: w.proto, Sniffers: w.sniffers, Log: w.log, Keys: w.keys, Truth: w.truth, Params: w.params})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
