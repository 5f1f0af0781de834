package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// newGroup returns an empty group for the arms of one protocol and
// calibration, with what the protocol's table entry says about it.
func newGroup(protocol string, calibrated bool) (*group, error) {
	p, ok := protocols.Lookup(protocol)
	if !ok {
		// scenarios.Validate has refused the arm already.
		return nil, fmt.Errorf("protocol %q is not in the table (want %v)", protocol, protocols.Names())
	}
	rad := p.Radio()
	label := protocol
	if !calibrated {
		label += "-uncalibrated"
	}
	if err := rad.Validate(); err != nil {
		return nil, fmt.Errorf("protocol %q: %w", protocol, err)
	}
	return &group{label: label, protocol: protocol, calibrated: calibrated, sim: p, proto: p.Protocol(),
		sched: rad.Schedules, inApp: rad.InApp, record: rad.Record.Mode, bucketS: rad.Record.Bucket.Seconds()}, nil
}

// group is the set of arms sharing one protocol and calibration: their
// phones run the same code and hear the same packets, so the radio is
// sampled once per group and each arm filters by its own adoption.
type group struct {
	label      string
	protocol   string // the protocol's name, for messages
	calibrated bool
	sim        tracing.Simulated
	proto      tracing.Protocol
	// What the protocol says about its radio, copied out of sim.Radio()
	// for the hot loops: the schedule family (which also keys the radio
	// draws), whether a battery saver can kill the app, and how scans
	// become sightings (bucketS: RecordStrongest's bucket in seconds).
	sched    radio.Protocol
	inApp    bool
	record   tracing.RecordMode
	bucketS  float64
	arms     []int
	maxAdopt float64
	// maxByArea is the largest adoption per area over the group's arms
	// when one has adoption_by_area (nil otherwise).
	maxByArea []float64
	// phone maps a person to a dense phone number (-1: never installs).
	phone    []int32
	person   []int32 // phone -> person
	devices  []tracing.Phone
	scheds   []radio.Schedule
	advPower []int8 // phone -> advertised TX power (dBm)
	rssiCorr []int8 // phone -> receiver RSSI correction (dB)
	// rotSec is the ID rotation period in seconds (IDs change on
	// multiples of it from UTC midnight); 0 for a static ID.
	rotSec int64
	// store holds the retained days of sightings.
	store store
	// Matching scratch, reused from day to day.
	upPersons []int32
	ups       []upload
	protos    []tracing.Protocol // one per matching part, in case a protocol caches
	bents     []bent
	tab       prefixTable
}

// entropyReader is a deterministic key-material source for one device.
func entropyReader(seed uint64, person, grp int) *rand.ChaCha8 {
	var s [32]byte
	for i := range 4 {
		k := agents.Mix(seed, agents.SubKeys, uint64(person), uint64(grp), uint64(i))
		for j := range 8 {
			s[i*8+j] = byte(k >> (8 * j))
		}
	}
	return rand.NewChaCha8(s)
}

// setupDevices creates key material and schedules for every person who
// installs the group's app at its highest adoption.
func (g *group) setupDevices(pop *agents.Population, m *radio.Model, seed uint64, gi int, start time.Time, rp radio.Params) error {
	n := len(pop.People)
	g.phone = make([]int32, n)
	for i := range n {
		g.phone[i] = -1
		if pop.InstalledByArea(i, g.maxAdopt, g.maxByArea, 1) {
			g.phone[i] = int32(len(g.person))
			g.person = append(g.person, int32(i))
		}
	}
	g.rotSec = int64(g.proto.Info().Rotation / time.Second)
	np := len(g.person)
	g.devices = make([]tracing.Phone, np)
	g.scheds = make([]radio.Schedule, np)
	g.advPower = make([]int8, np)
	g.rssiCorr = make([]int8, np)
	rad := g.sim.Radio()
	txLevel := rp.P1mDBm + rp.Atten1mDB
	for ph, pi := range g.person {
		p := &pop.People[pi]
		// What the phone advertises as its TX power and what it adds to a
		// measured RSSI: with calibration, the per-model corrections
		// (radio.Correction's two halves); without, the nominal level.
		adv, corr := txLevel, 0.0
		if g.calibrated {
			adv = txLevel + float64(p.Offsets.TX-p.Offsets.TXResidual)
			corr = -float64(p.Offsets.RX - p.Offsets.RXResidual)
		}
		g.advPower[ph] = int8(clamp(math.Round(adv), -127, 127))
		g.rssiCorr[ph] = int8(clamp(math.Round(corr), -127, 127))
		dev, err := g.sim.NewPhone(entropyReader(seed, int(pi), gi), start, tracing.PhoneSetup{TXPowerDBm: int(g.advPower[ph])})
		if err != nil {
			return fmt.Errorf("%s phone of person %d: %w", g.protocol, pi, err)
		}
		g.devices[ph] = dev
		g.scheds[ph] = m.NewSchedule(rad.Schedule(p.OS), agents.Mix(seed, agents.SubRadio, uint64(pi), uint64(g.sched)))
	}
	return nil
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// sighting materialises the real broadcast of phone tx at entry en's
// instant (its day starting at dayMs) through the protocol code: the ID
// bytes and the metadata sent with them (GAEN's AEM).
func (g *group) sighting(tx int32, dayMs int64, en entry) (tracing.Sighting, error) {
	ms := entryMs(dayMs, en)
	s := tracing.Sighting{Time: ms, RSSI: en.rssi()}
	id, meta, err := g.devices[tx].Advert(time.UnixMilli(ms).UTC())
	if err != nil {
		return s, fmt.Errorf("%s advert of phone %d: %w", g.protocol, tx, err)
	}
	s.ID, s.Meta = id, meta
	return s, nil
}
