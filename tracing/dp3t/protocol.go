package dp3t

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Protocol is DP-3T's low-cost design with fixed system parameters. It is
// safe for concurrent use: every method allocates its own scratch state.
type Protocol struct {
	p Params
	n int
}

var (
	_ tracing.Protocol = (*Protocol)(nil)
	_ tracing.Device   = (*Device)(nil)
)

// New returns the protocol with parameters p.
func New(p Params) (*Protocol, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Protocol{p: p, n: p.IDsPerDay()}, nil
}

// Default returns the protocol with the reference parameters (15-minute
// epochs, 96 EphIDs a day).
func Default() *Protocol {
	return &Protocol{p: DefaultParams(), n: DefaultParams().IDsPerDay()}
}

// Params returns the protocol's parameters.
func (p *Protocol) Params() Params { return p.p }

// Info describes the broadcast scheme.
func (p *Protocol) Info() tracing.Info {
	return tracing.Info{
		Name:      Name,
		IDLen:     IDLen,
		Rotation:  time.Duration(p.p.EpochMinutes) * time.Minute,
		IDsPerDay: p.n,
	}
}

// NewDevice draws a fresh 32-byte SK for the UTC day of start from entropy.
// The device broadcasts from start on.
func (p *Protocol) NewDevice(entropy io.Reader, start time.Time) (tracing.Device, error) {
	d := &Device{p: p}
	if err := d.Rekey(entropy, start); err != nil {
		return nil, err
	}
	return d, nil
}

// DeviceFromKey makes a device whose seed on the UTC day of start is key
// (32 bytes). SK_t is a day key, so the device covers that whole day and
// every later one.
func (p *Protocol) DeviceFromKey(key []byte, start time.Time) (tracing.Device, error) {
	sk, err := ParseKey(key)
	if err != nil {
		return nil, err
	}
	return p.NewDeviceFromSeed(sk, start)
}

// NewDeviceFromSeed is DeviceFromKey with a parsed seed, returning the
// concrete type (for Rekey).
func (p *Protocol) NewDeviceFromSeed(sk Key, start time.Time) (*Device, error) {
	d := &Device{p: p}
	day := floorDiv(start.UnixMilli(), dayMillis)
	d.reset(sk, day, day*dayMillis)
	return d, nil
}

// Device is one phone's DP-3T key material: the seed of its first day and
// the chain ratcheted from it. IDAt caches the current day's EphIDs and
// order, so it allocates only when the day changes. A Device is one phone:
// it is not safe for concurrent use.
type Device struct {
	p     *Protocol
	sk0   Key   // seed of day0
	day0  int64 // UTC day number (Unix days) of sk0
	start int64 // first instant with an EphID (Unix ms)

	cur    Key   // seed of curDay
	curDay int64 // day whose EphIDs gen holds
	have   bool
	gen    *Generator
}

func (d *Device) reset(sk Key, day, start int64) {
	d.sk0, d.day0, d.start = sk, day, start
	d.cur, d.curDay, d.have = sk, day, false
}

// Rekey replaces the device's key material with a fresh random seed from
// entropy for the UTC day of at, as the phone does after uploading its key
// (the reference implementation's reset_key_after_release): earlier seeds
// are forgotten, so IDAt and Upload before at fail with ErrOutOfRange, and
// from at on the phone broadcasts EphIDs that no published key links to.
func (d *Device) Rekey(entropy io.Reader, at time.Time) error {
	var sk Key
	if entropy == nil {
		return fmt.Errorf("dp3t: no entropy source")
	}
	if _, err := io.ReadFull(entropy, sk[:]); err != nil {
		return fmt.Errorf("dp3t: reading a 32-byte seed: %w", err)
	}
	ms := at.UnixMilli()
	d.reset(sk, floorDiv(ms, dayMillis), ms)
	return nil
}

// Seed returns the seed SK_t of the UTC day of t, ratcheted from the
// device's first seed.
func (d *Device) Seed(t time.Time) (Key, error) {
	ms := t.UnixMilli()
	day := floorDiv(ms, dayMillis)
	if err := d.check(ms, day); err != nil {
		return Key{}, err
	}
	return d.sk0.Ratchet(int(day - d.day0)), nil
}

func (d *Device) check(ms, day int64) error {
	if ms < d.start {
		return fmt.Errorf("dp3t: %s is before the device's key material starts (%s): %w",
			time.UnixMilli(ms).UTC().Format(time.RFC3339), time.UnixMilli(d.start).UTC().Format(time.RFC3339), tracing.ErrOutOfRange)
	}
	if day-d.day0 > MaxDeviceDays {
		return fmt.Errorf("dp3t: %s is more than %d days after the device's first seed: %w",
			time.UnixMilli(ms).UTC().Format(time.RFC3339), MaxDeviceDays, tracing.ErrOutOfRange)
	}
	return nil
}

// IDAt returns the EphID broadcast at t: the day's seed ratcheted from the
// first day, the slot floor(seconds into the UTC day / L), and the EphID
// the day's shuffle puts in that slot.
func (d *Device) IDAt(t time.Time) (tracing.ID, error) {
	ms := t.UnixMilli()
	day := floorDiv(ms, dayMillis)
	if err := d.loadDay(ms, day); err != nil {
		return tracing.ID{}, err
	}
	slot := (ms - day*dayMillis) / (int64(d.p.p.EpochMinutes) * 60_000)
	return d.gen.InSlot(int(slot)), nil
}

// loadDay checks instant ms of UTC day day and makes gen hold that day's
// EphIDs, ratcheting from the cached day when it can.
func (d *Device) loadDay(ms, day int64) error {
	if err := d.check(ms, day); err != nil {
		return err
	}
	if d.have && day == d.curDay {
		return nil
	}
	if d.gen == nil {
		g, err := NewGenerator(d.p.n)
		if err != nil {
			return err
		}
		d.gen = g
	}
	if !d.have || day < d.curDay {
		d.cur, d.curDay = d.sk0, d.day0
	}
	d.cur = d.cur.Ratchet(int(day - d.curDay))
	d.curDay = day
	d.gen.Derive(&d.cur)
	d.have = true
	return nil
}

// Upload returns what a diagnosed user uploads to cover from..to: one key,
// (SK_t, t) for the first contagious day t, published with Start = t's UTC
// midnight, End = to (the diagnosis or publication instant, Unix seconds,
// inclusive) and Slots = EphIDs per day. from is clipped to the first day
// the device has a seed for and to the retention period (RetentionDays
// days ending on to's day), as a phone can only upload keys it still holds.
// The device keeps its keys; call Rekey to start the fresh seed the
// protocol then requires.
func (d *Device) Upload(from, to time.Time) ([]tracing.PublishedKey, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("dp3t: upload from %s to %s: to is before from", from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	toMs := to.UnixMilli()
	toDay := floorDiv(toMs, dayMillis)
	if err := d.check(toMs, toDay); err != nil {
		return nil, err
	}
	if toMs/1000 > maxUnix {
		return nil, fmt.Errorf("dp3t: upload to %s is after year 9999: %w", to.UTC().Format(time.RFC3339), tracing.ErrOutOfRange)
	}
	fromDay := max(floorDiv(from.UnixMilli(), dayMillis), floorDiv(d.start, dayMillis), toDay-(RetentionDays-1))
	sk := d.sk0.Ratchet(int(fromDay - d.day0))
	return []tracing.PublishedKey{{
		Key:   slices.Clone(sk[:]),
		Start: fromDay * daySecs,
		End:   floorDiv(toMs, 1000),
		Slots: d.p.n,
	}}, nil
}

// floorDiv is a/b rounded towards minus infinity (b > 0), so that instants
// before 1970 fall on the right day.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
