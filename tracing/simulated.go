package tracing

import (
	"fmt"
	"io"
	"time"

	"github.com/bluesim/bluesim/radio"
)

// Simulated is a protocol as the simulator runs it: everything the engine
// needs to put the protocol's phones on the air, store what they hear and
// decide who is notified, as data and methods, so that the engine holds no
// protocol-specific code. Each protocol package provides one (for example
// gaen.Simulated), and the table in package tracing/protocols lists them
// by name.
//
// A Simulated value is shared by every run in a process: its methods must
// be safe for concurrent use and must not keep state between calls.
type Simulated interface {
	// Name is the protocol's stable name, the scenario's
	// arms[].protocol: "bluezone", "bluezone-v1", "gaen", "dp3t".
	Name() string
	// Protocol returns the real rotation and matching code.
	Protocol() Protocol
	// Radio says how the protocol's phones use BLE.
	Radio() Radio
	// NewPhone creates one simulated phone: key material drawn from entropy
	// (a seeded stream) for a phone first run at start, broadcasting what
	// setup says.
	NewPhone(entropy io.Reader, start time.Time, setup PhoneSetup) (Phone, error)
	// DefaultRule returns the notification rule the deployed app used:
	// the rule of an arm that gives none, and the starting point a
	// scenario's rule block is laid over.
	DefaultRule() RuleParams
}

// Radio is how a protocol's phones use BLE, as data the engine obeys.
type Radio struct {
	// Schedules is the advertising and scanning family the phones follow:
	// radio.KindFor(Schedules, os) is the schedule on each OS. It also
	// keys the phones' radio draws, so protocols of one family (GAEN and
	// the DP-3T apps built on it) hear the same packets.
	Schedules radio.Protocol
	// InApp says that the protocol runs in an app that an Android battery
	// saver can kill for the day (population.phones.battery_saver_kill);
	// false for a protocol the OS runs (GAEN).
	InApp bool
	// Calibrated is whether an arm applies GAEN's per-model TX/RX
	// calibration when the scenario does not say (deployed GAEN apps did;
	// the Bluezone and DP-3T prototypes did not).
	Calibrated bool
	// Record is how a phone stores what its scans hear.
	Record Recording
}

// Validate checks that the engine can obey r: a schedule family radio
// models, and a known recording mode (with a bucket of whole seconds for
// RecordStrongest).
func (r Radio) Validate() error {
	if r.Schedules != radio.GAEN && r.Schedules != radio.Bluezone {
		return fmt.Errorf("radio schedules %v: want radio.GAEN or radio.Bluezone", r.Schedules)
	}
	switch r.Record.Mode {
	case RecordScan:
	case RecordStrongest:
		if b := r.Record.Bucket; b < time.Second || b%time.Second != 0 {
			return fmt.Errorf("record bucket %v: want a whole number of seconds", b)
		}
	default:
		return fmt.Errorf("record mode %d: want RecordScan or RecordStrongest", r.Record.Mode)
	}
	return nil
}

// Schedule returns the schedule kind of the protocol's phones on os.
func (r Radio) Schedule(os radio.OS) radio.ScheduleKind { return radio.KindFor(r.Schedules, os) }

// RecordMode is how a phone turns the packets of a scan into sightings.
type RecordMode uint8

// Recording modes.
const (
	// RecordScan stores one sighting per scan window in which at least one
	// packet was heard: the window's start and the mean RSSI of its
	// packets, as the OS aggregates a scan (GAEN's ScanInstance,
	// protocols.md §2.2). These sightings also feed the engine's sample of
	// observed attenuation.
	RecordScan RecordMode = iota
	// RecordStrongest stores the app's own records (one per peer every
	// radio.Params.BluezoneRecordS seconds), keeping only the strongest of
	// each Recording.Bucket of wall-clock time: all that rules reading
	// "any sighting" or "distinct minutes at or above a threshold" need
	// (Bluezone, protocols.md §1.4 and §1.5).
	RecordStrongest
)

// Recording is how a phone stores what its scans hear.
type Recording struct {
	Mode RecordMode
	// Bucket is the span of wall-clock time (from UTC midnight) whose
	// strongest record RecordStrongest keeps: a whole number of seconds.
	Bucket time.Duration
}

// PhoneSetup is what a simulated phone broadcasts besides its IDs.
type PhoneSetup struct {
	// TXPowerDBm is the TX power the phone advertises (GAEN carries it in
	// the encrypted metadata): the nominal level, or the phone model's
	// calibrated one when the arm is calibrated.
	TXPowerDBm int
}

// Phone is one simulated phone's key material: a Device that also says
// what it sends over the air with each ID.
type Phone interface {
	Device
	// Advert returns the ID broadcast at t and the metadata bytes sent
	// with it (GAEN's encrypted AEM; zero for a protocol that sends none).
	// Like IDAt, it does not allocate in steady state.
	Advert(t time.Time) (ID, [4]byte, error)
}

// Advert is what a phone broadcasts in one rotation slot: the ID and the
// metadata bytes sent with it (Phone.Advert).
type Advert struct {
	ID   ID
	Meta [4]byte
}

// DayAdvertiser is implemented by a Phone that can give a whole UTC day's
// adverts in one call, deriving the day's key material once and holding
// nothing afterwards: a simulator that materialises many sightings of
// one phone across several days asks once per (phone, day) and indexes
// the result by slot, instead of calling Advert per sighting (which
// re-derives the day whenever the phone's last call was for another
// day). Use AppendDayAdverts, which falls back to Advert for a Phone
// without it.
type DayAdvertiser interface {
	// AppendDayAdverts appends to dst the advert of every rotation slot of
	// UTC day number day (days since 1970-01-01): IDsPerDay adverts,
	// slot s starting at midnight + s·Rotation (one advert for a static
	// ID). Each equals Advert at its slot's start, and an error Advert
	// would return at a slot's start is returned (dst is then unchanged).
	AppendDayAdverts(dst []Advert, day int64) ([]Advert, error)
}

// AppendDayAdverts appends the adverts of every rotation slot of UTC day
// number day of phone p, whose protocol's scheme is info, slot 0 first:
// through DayAdvertiser when p implements it, otherwise by calling Advert
// at each slot's start. On error dst is returned unchanged.
func AppendDayAdverts(dst []Advert, p Phone, info Info, day int64) ([]Advert, error) {
	if da, ok := p.(DayAdvertiser); ok {
		return da.AppendDayAdverts(dst, day)
	}
	n, step := DaySlots(info)
	n0 := len(dst)
	for s := range n {
		id, meta, err := p.Advert(time.UnixMilli(day*86_400_000 + int64(s)*step).UTC())
		if err != nil {
			return dst[:n0], err
		}
		dst = append(dst, Advert{ID: id, Meta: meta})
	}
	return dst, nil
}

// DaySlots is the number of rotation slots in a UTC day of scheme info and
// their length in milliseconds: IDsPerDay slots of Rotation, or one slot
// of the whole day for a static ID (Rotation 0).
func DaySlots(info Info) (n int, ms int64) {
	if info.Rotation <= 0 || info.IDsPerDay <= 1 {
		return 1, 86_400_000
	}
	return info.IDsPerDay, info.Rotation.Milliseconds()
}

// RuleParams is a protocol's notification rule as a scenario gives it:
// the protocol's own parameter struct, with yaml tags and doc comments,
// held by value in a scenario arm's rule block. Its doc comments are what
// `bluesim scenarios --show` prints for the block.
type RuleParams interface {
	// Validate reports every problem with the parameters, each a
	// *check.Error naming its yaml key (relative to the rule block) and
	// joined with errors.Join. A nil result means NewRule succeeds.
	Validate() error
	// NewRule returns the decision code for the parameters.
	NewRule() (Rule, error)
}

// Rule decides from one exposure whether a receiving phone's user is
// notified. A Rule is used by one goroutine at a time. Its verdict (and a
// Scorer's score) depends on its parameters and the exposure alone: what
// it keeps from call to call is scratch space, so two rules built from
// equal parameters decide an exposure alike (a simulator may decide once
// for several arms with the same rule).
type Rule interface {
	Decide(x *Exposure) (bool, error)
}

// Exposure is what a rule sees: one receiving phone's stored sightings that
// matched one diagnosed user's upload.
type Exposure struct {
	// Keys are the upload's published keys.
	Keys []PublishedKey
	// Sightings are the matched sightings with their real ID bytes (and
	// metadata); Matches pair them with Keys.
	Sightings []Sighting
	Matches   []Match
	// ReceiverIOS and SenderIOS are the OS of the phone that stored the
	// sightings and of the diagnosed user's phone.
	ReceiverIOS, SenderIOS bool
	// TXPowerDBm is the TX power the diagnosed user's phone advertised.
	TXPowerDBm int
	// RSSICorrectionDB is what the receiving phone adds to a measured RSSI
	// (its model's calibration; 0 uncalibrated).
	RSSICorrectionDB int
	// NowMillis is when the rule runs (Unix milliseconds).
	NowMillis int64
}
