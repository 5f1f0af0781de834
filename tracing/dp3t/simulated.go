package dp3t

import (
	"io"
	"slices"
	"time"

	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
)

// Simulated returns DP-3T's low-cost design (protocol "dp3t") as the
// simulator runs it. DP-3T apps shipped on GAEN (SwissCovid), so its phones
// advertise and scan on GAEN's schedule, run in the OS, and store one
// sighting per scan; the prototypes were not calibrated per phone model,
// and no metadata travels with an EphID (the rule takes the advertiser's
// TX power from the exposure). The rule is RuleParams (default:
// SwissCovid's).
func Simulated() tracing.Simulated { return simulated{} }

type simulated struct{}

// simProtocol is shared by every simulated phone: the protocol holds only
// its parameters and is safe for concurrent use.
var simProtocol = Default()

func (simulated) Name() string                    { return Name }
func (simulated) Protocol() tracing.Protocol      { return Default() }
func (simulated) DefaultRule() tracing.RuleParams { return DefaultRuleParams() }

func (simulated) Radio() tracing.Radio {
	return tracing.Radio{Schedules: radio.GAEN, Record: tracing.Recording{Mode: tracing.RecordScan}}
}

func (simulated) NewPhone(entropy io.Reader, start time.Time, _ tracing.PhoneSetup) (tracing.Phone, error) {
	d := &Device{p: simProtocol}
	if err := d.Rekey(entropy, start); err != nil {
		return nil, err
	}
	return d, nil
}

// Advert is the EphID in force at t; DP-3T sends no metadata with it
// (tracing.Phone).
func (d *Device) Advert(t time.Time) (tracing.ID, [4]byte, error) {
	id, err := d.IDAt(t)
	return id, [4]byte{}, err
}

// AppendDayAdverts appends the EphID of each epoch of UTC day number day,
// in broadcast order, with no metadata (tracing.DayAdvertiser): the day's
// EphIDs and order derived once, as IDAt derives them.
func (d *Device) AppendDayAdverts(dst []tracing.Advert, day int64) ([]tracing.Advert, error) {
	if err := d.loadDay(day*dayMillis, day); err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, d.p.n)
	for s := range d.p.n {
		dst = append(dst, tracing.Advert{ID: d.gen.InSlot(s)})
	}
	return dst, nil
}
