package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// newProtocol returns the real protocol code behind a scenario protocol
// name, and the radio schedule its phones follow (DP-3T apps shipped on
// GAEN, so they advertise and scan on GAEN's schedule).
func newProtocol(name string) (tracing.Protocol, radio.Protocol, error) {
	switch name {
	case scenarios.ProtocolBluezone:
		p, err := bluezone.New(bluezone.DefaultParams())
		return p, radio.Bluezone, err
	case scenarios.ProtocolBluezoneV1:
		// Bluezone v1: a static 6-character ID, same BLE schedule.
		return bluezone.NewV1(), radio.Bluezone, nil
	case scenarios.ProtocolGAEN:
		return gaen.Protocol{}, radio.GAEN, nil
	case scenarios.ProtocolDP3T:
		return dp3t.Default(), radio.GAEN, nil
	}
	return nil, 0, fmt.Errorf("protocol %q is not supported by the simulator (want bluezone, bluezone-v1, gaen or dp3t)", name)
}

// armRule is one arm's decision code, built from its scenario rule.
type armRule struct {
	protocol string
	bz       *bluezone.Rule
	gaen     gaen.Config
	dp       dp3t.RuleParams
}

func newArmRule(a scenarios.Arm) (*armRule, error) {
	r := &armRule{protocol: a.Protocol}
	ru := a.Rule
	switch a.Protocol {
	case scenarios.ProtocolBluezone, scenarios.ProtocolBluezoneV1:
		p := bluezone.DefaultRuleParams()
		switch ru.Mode {
		case "any", "":
		case "f1":
			p.UseRSSI = true
			p.RSSI = bluezone.RSSIThresholds{
				AndroidAndroid: int(ru.RSSI.AndroidAndroid), AndroidIOS: int(ru.RSSI.AndroidIOS),
				IOSAndroid: int(ru.RSSI.IOSAndroid), IOSIOS: int(ru.RSSI.IOSIOS),
			}
			p.MinMinutes = int(math.Ceil(ru.MinMinutes))
		default:
			return nil, fmt.Errorf("arm %q: bluezone rule mode %q (want any or f1)", a.Name, ru.Mode)
		}
		rule, err := bluezone.NewRule(p)
		if err != nil {
			return nil, fmt.Errorf("arm %q: %w", a.Name, err)
		}
		r.bz = rule
	case scenarios.ProtocolGAEN:
		// The deployed rules (radio.md §3.2) as tracing/gaen defines them;
		// the scenario may override the v1 thresholds, weights and trigger.
		cfg, err := gaen.PresetByName(cmp.Or(ru.Preset, "cwa"))
		if err != nil {
			return nil, fmt.Errorf("arm %q: %w", a.Name, err)
		}
		if len(ru.ThresholdsDB) == 2 {
			for i, t := range ru.ThresholdsDB {
				if t != math.Trunc(t) {
					return nil, fmt.Errorf("arm %q: gaen thresholds_db[%d] = %g: GAEN attenuation thresholds are whole dB", a.Name, i, t)
				}
				cfg.V1.DurationAtAttenuationThresholds[i] = int(t)
			}
		}
		if len(ru.Weights) == 3 {
			copy(cfg.AttenuationWeights[:], ru.Weights)
		}
		if ru.TriggerMinutes > 0 {
			cfg.NotifyWeightedMinutes = ru.TriggerMinutes
		}
		if cfg.Model == gaen.ModelV2 && (len(ru.ThresholdsDB) > 0 || len(ru.Weights) > 0 || ru.TriggerMinutes > 0) {
			return nil, fmt.Errorf("arm %q: gaen preset %q is a v2 rule: thresholds_db, weights and trigger_minutes do not apply", a.Name, cfg.Name)
		}
		if err := cfg.Validate(); err != nil {
			return nil, fmt.Errorf("arm %q: %w", a.Name, err)
		}
		r.gaen = cfg
	case scenarios.ProtocolDP3T:
		p := dp3t.DefaultRuleParams()
		if len(ru.ThresholdsDB) == 2 {
			p.LowerThresholdDB, p.UpperThresholdDB = ru.ThresholdsDB[0], ru.ThresholdsDB[1]
		}
		if len(ru.Weights) == 3 {
			p.LowerWeight, p.MiddleWeight, p.UpperWeight = ru.Weights[0], ru.Weights[1], ru.Weights[2]
		}
		if ru.TriggerMinutes > 0 {
			p.TriggerMinutes = ru.TriggerMinutes
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("arm %q: %w", a.Name, err)
		}
		r.dp = p
	default:
		return nil, fmt.Errorf("arm %q: protocol %q is not supported by the simulator", a.Name, a.Protocol)
	}
	return r, nil
}

// decide runs the protocol's rule over one receiver's matched sightings of
// one upload. keys are the upload's keys, store the materialised
// sightings, matches their (key, sighting) pairs; txPower and rssiCorr
// are the advertiser's TX level and the receiver's RSSI correction.
func (r *armRule) decide(keys []tracing.PublishedKey, store []tracing.Sighting, matches []tracing.Match,
	rxIOS, txIOS bool, txPower, rssiCorr int, nowMillis int64) (bool, error) {
	switch r.protocol {
	case scenarios.ProtocolBluezone, scenarios.ProtocolBluezoneV1:
		ok, _ := r.bz.Classify(store, bluezone.OSPair{ReceiverIOS: rxIOS, SenderIOS: txIOS})
		return ok, nil
	case scenarios.ProtocolGAEN:
		ws, err := gaen.ExposureWindows(keys, store, matches, rssiCorr, gaen.WindowOptions{})
		if err != nil {
			return false, err
		}
		d, err := r.gaen.Decide(ws, nowMillis)
		return d.Notify, err
	case scenarios.ProtocolDP3T:
		exps, err := dp3t.Exposures(nil, matches, store, txPower)
		if err != nil {
			return false, err
		}
		ok, _, err := r.dp.Notify(exps)
		return ok, err
	}
	return false, fmt.Errorf("no rule for %q", r.protocol)
}

// group is the set of arms sharing one protocol and calibration: their
// phones run the same code and hear the same packets, so the radio is
// sampled once per group and each arm filters by its own adoption.
type group struct {
	label      string
	protocol   string
	calibrated bool
	proto      tracing.Protocol
	rproto     radio.Protocol
	arms       []int
	maxAdopt   float64
	// phone maps a person to a dense phone number (-1: never installs).
	phone    []int32
	person   []int32 // phone -> person
	devices  []tracing.Device
	scheds   []radio.Schedule
	advPower []int8 // phone -> advertised TX power in metadata (dBm)
	rssiCorr []int8 // phone -> receiver RSSI correction (dB)
	gaenMeta []gaen.Metadata
	// rotSec is the ID rotation period in seconds (IDs change on
	// multiples of it from UTC midnight); 0 for a static ID.
	rotSec int64
	// recs and ents are the stored sightings, one slice per retained day.
	recs [][]rec
	ents [][]entry
	raw  [][]tracing.Sighting // WithRawSightings: one per entry
	// free holds the arrays of days no upload can reach any more, reused
	// for new days.
	free []dayBuf
	// Matching scratch, reused from day to day (one goroutine per group).
	bents []bent
	bcast []tracing.Broadcast
	mout  []mrec
	ex    []mrec
}

type dayBuf struct {
	recs []rec
	ents []entry
}

// takeBuffers returns empty record and entry slices with room for nr and
// ne, reusing a freed day's arrays when they are big enough.
func (g *group) takeBuffers(nr, ne int) ([]rec, []entry) {
	for i, b := range g.free {
		if cap(b.recs) >= nr && cap(b.ents) >= ne {
			g.free = append(g.free[:i], g.free[i+1:]...)
			return b.recs[:0], b.ents[:0]
		}
	}
	if len(g.free) > 0 {
		// Too small: drop the oldest so the list does not grow.
		g.free = g.free[1:]
	}
	// A little headroom so the next days usually fit.
	return make([]rec, 0, nr+nr/10), make([]entry, 0, ne+ne/10)
}

// rec is the compact form of a receiver's sightings of one advertiser
// within one ID rotation slot: who heard whom, and the entries (time and
// RSSI) of each sighting. The ID bytes are the advertiser's device ID at
// each entry's instant, materialised through the protocol code; pfx caches
// the first 8 bytes for the join's probe.
type rec struct {
	rx, tx int32 // phone numbers in the group
	pfx    uint64
	first  int32 // index of the first entry in the day's entries
	t0     int32 // whole second (since the run's start) entry times count from
	n      uint16
	day    uint8 // day of the run, for arm filtering
}

// entry is one sighting of a rec: its time in tenths of a second after the
// rec's t0, and the RSSI the receiver recorded. Four bytes: a phone's
// sightings are the bulk of the engine's memory.
type entry struct {
	off  uint16
	rssi int8
}

// millis is the entry's instant in milliseconds since the run's start.
func (r *rec) millis(en *entry) int64 { return (int64(r.t0)*10 + int64(en.off)) * 100 }

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
		if pop.Installed(i, g.maxAdopt) {
			g.phone[i] = int32(len(g.person))
			g.person = append(g.person, int32(i))
		}
	}
	g.rotSec = int64(g.proto.Info().Rotation / time.Second)
	np := len(g.person)
	g.devices = make([]tracing.Device, np)
	g.scheds = make([]radio.Schedule, np)
	g.advPower = make([]int8, np)
	g.rssiCorr = make([]int8, np)
	if g.protocol == scenarios.ProtocolGAEN {
		g.gaenMeta = make([]gaen.Metadata, np)
	}
	txLevel := rp.P1mDBm + rp.Atten1mDB
	for ph, pi := range g.person {
		p := &pop.People[pi]
		dev, err := g.proto.NewDevice(entropyReader(seed, int(pi), gi), start)
		if err != nil {
			return fmt.Errorf("%s device for person %d: %w", g.protocol, pi, err)
		}
		g.devices[ph] = dev
		g.scheds[ph] = m.NewSchedule(radio.KindFor(g.rproto, p.OS), agents.Mix(seed, agents.SubRadio, uint64(pi), uint64(g.rproto)))
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
		if g.gaenMeta != nil {
			md, err := gaen.NewMetadata(gaen.VersionV10, int(g.advPower[ph]))
			if err != nil {
				return err
			}
			g.gaenMeta[ph] = md
		}
	}
	return nil
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// sighting materialises the real broadcast of r's advertiser at entry
// en's instant through the protocol code: ID bytes, and for GAEN the AEM.
func (g *group) sighting(r *rec, en *entry, start int64) (tracing.Sighting, error) {
	ms := start + r.millis(en)
	t := time.UnixMilli(ms).UTC()
	s := tracing.Sighting{Time: ms, RSSI: en.rssi}
	dev := g.devices[r.tx]
	if gd, ok := dev.(*gaen.Device); ok {
		id, aem, err := gd.AdvertAt(t, g.gaenMeta[r.tx])
		if err != nil {
			return s, err
		}
		s.ID, s.Meta = id, aem
		return s, nil
	}
	id, err := dev.IDAt(t)
	if err != nil {
		return s, err
	}
	s.ID = id
	return s, nil
}

func idPrefix(id *tracing.ID) uint64 {
	var p uint64
	for i := range 8 {
		p = p<<8 | uint64(id[i])
	}
	return p
}

// id materialises only the ID bytes broadcast at entry en.
func (g *group) id(r *rec, en *entry, start int64) (tracing.ID, error) {
	return g.devices[r.tx].IDAt(time.UnixMilli(start + r.millis(en)).UTC())
}
