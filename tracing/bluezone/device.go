package bluezone

import (
	"fmt"
	"slices"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// maxDaysAhead bounds how far past its key's day a device computes IDs
// (about 2 900 years): the ratchet costs one SHA-256 per day, so an absurd
// instant is refused rather than hashed for minutes.
const maxDaysAhead = 1 << 20

// Device is one phone's Bluezone v2 key material. It caches the IDs of the
// last day asked for, so IDAt and SlotID cost no hashing and no allocation
// until the day changes; a day change costs one SHA-256 per day ratcheted
// plus one per slot. The cache (16 bytes a slot) is allocated on the first
// call that needs it, so a simulator's devices whose IDs are never asked
// for hold only their key. A Device is not safe for concurrent use.
type Device struct {
	slots  int
	slotMs int64
	keyDay int64 // UTC day number of key
	key    Key   // DailyKey_{keyDay}; the base key for a phone's first run

	day   int64        // day of the cache, valid when ids is filled
	daily Key          // DailyKey_{day}
	ids   []tracing.ID // the day's IDs, len slots once filled
}

var _ tracing.Device = (*Device)(nil)

func (p *Protocol) newDevice(k Key, day int64) *Device {
	return &Device{
		slots:  p.slots,
		slotMs: p.slotMs,
		keyDay: day,
		key:    k,
	}
}

// KeyDay is the UTC midnight from which the device's key is valid.
func (d *Device) KeyDay() time.Time { return DayStart(d.keyDay) }

// KeyDayNumber is KeyDay as a day number since 1970-01-01.
func (d *Device) KeyDayNumber() int64 { return d.keyDay }

// SlotsPerDay is the number of IDs per day.
func (d *Device) SlotsPerDay() int { return d.slots }

// DailyKey returns DailyKey for day number day.
func (d *Device) DailyKey(day int64) (Key, error) {
	if err := d.checkDay(day); err != nil {
		return Key{}, err
	}
	if len(d.ids) > 0 && day >= d.day {
		return DailyKeyAfter(d.daily, day-d.day), nil
	}
	return DailyKeyAfter(d.key, day-d.keyDay), nil
}

func (d *Device) checkDay(day int64) error {
	if day < d.keyDay {
		return fmt.Errorf("%w: day %s is before the key's day %s", tracing.ErrOutOfRange,
			DayStart(day).Format(time.DateOnly), DayStart(d.keyDay).Format(time.DateOnly))
	}
	if day-d.keyDay > maxDaysAhead {
		return fmt.Errorf("%w: day %d is more than %d days after the key's day", tracing.ErrOutOfRange, day, maxDaysAhead)
	}
	return nil
}

// load fills the cache for day, ratcheting forward from the cached day when
// it can.
func (d *Device) load(day int64) error {
	k, err := d.DailyKey(day)
	if err != nil {
		return err
	}
	d.day, d.daily = day, k
	d.ids = AppendDayIDs(slices.Grow(d.ids[:0], d.slots), k, d.slots)
	return nil
}

// AppendDayAdverts appends the IDs of every slot of day number day, slot 0
// first, with no metadata (tracing.DayAdvertiser). It fills the device's
// day cache as DayIDs does.
func (d *Device) AppendDayAdverts(dst []tracing.Advert, day int64) ([]tracing.Advert, error) {
	ids, err := d.DayIDs(day)
	if err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, len(ids))
	for _, id := range ids {
		dst = append(dst, tracing.Advert{ID: id})
	}
	return dst, nil
}

// DayIDs returns the IDs of day number day, slot 0 first. The slice belongs
// to the device and is overwritten by the next call for another day; copy
// it to keep it.
func (d *Device) DayIDs(day int64) ([]tracing.ID, error) {
	if len(d.ids) == 0 || day != d.day {
		if err := d.load(day); err != nil {
			return nil, err
		}
	}
	return d.ids, nil
}

// SlotID is the ID broadcast in slot (0 <= slot < SlotsPerDay) of day number
// day. It is how a simulator materialises a sighting stored as (device,
// day, slot): no allocation, no hashing while the day stays the same.
func (d *Device) SlotID(day int64, slot int) (tracing.ID, error) {
	if slot < 0 || slot >= d.slots {
		return tracing.ID{}, fmt.Errorf("%w: slot %d outside 0..%d", tracing.ErrOutOfRange, slot, d.slots-1)
	}
	ids, err := d.DayIDs(day)
	if err != nil {
		return tracing.ID{}, err
	}
	return ids[slot], nil
}

// Slot splits an instant (Unix ms) into its UTC day number and slot.
func (d *Device) Slot(ms int64) (day int64, slot int) {
	day = floorDiv(ms, DayMillis)
	return day, int((ms - day*DayMillis) / d.slotMs)
}

// IDAtMilli is IDAt for an instant in Unix milliseconds.
func (d *Device) IDAtMilli(ms int64) (tracing.ID, error) {
	day, slot := d.Slot(ms)
	return d.SlotID(day, slot)
}

// IDAt is the ID in force at t: slot floor((t - UTC midnight) / slot
// length) of t's UTC day (protocols.md §1.2 step 4).
func (d *Device) IDAt(t time.Time) (tracing.ID, error) { return d.IDAtMilli(t.UnixMilli()) }

// Upload is what a diagnosed phone uploads to cover from..to: the daily key
// of from's UTC day (or the key itself if it is newer) with that day as
// time_start. The apps upload InfoF without an end; the server adds
// time_end, here to's Unix second, and max, the device's slots per day.
func (d *Device) Upload(from, to time.Time) ([]tracing.PublishedKey, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("%w: upload ends (%s) before it starts (%s)", tracing.ErrOutOfRange,
			to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	}
	if to.UnixMilli() < d.keyDay*DayMillis {
		return nil, fmt.Errorf("%w: upload ends (%s) before the key's day %s", tracing.ErrOutOfRange,
			to.UTC().Format(time.RFC3339), DayStart(d.keyDay).Format(time.DateOnly))
	}
	day := max(DayNumber(from), d.keyDay)
	if end := to.Unix(); end > MaxUnix || end-day*(DayMillis/1000) > MaxSpanDays*(DayMillis/1000) {
		return nil, fmt.Errorf("%w: an upload covers at most %d days from %s and ends by year 9999, got an end of %s",
			tracing.ErrOutOfRange, MaxSpanDays, DayStart(day).Format(time.DateOnly), to.UTC().Format(time.RFC3339))
	}
	k, err := d.DailyKey(day)
	if err != nil {
		return nil, err
	}
	return []tracing.PublishedKey{{
		Key:   k[:],
		Start: day * (DayMillis / 1000),
		End:   to.Unix(),
		Slots: d.slots,
	}}, nil
}

// TraceDays is how many days back a phone's upload reaches
// (getBluezoneIdInfo(14), dayStartTrace, protocols.md §1.4 and §1.5 step 1).
const TraceDays = 14

// InfoF is what the phone sends about its own keys with an F0 upload
// (protocols.md §1.5 step 1).
type InfoF struct {
	BaseID    string `json:"base_id"`    // hex of the base key
	Time      int64  `json:"time"`       // the base key's day (Unix s)
	DailyKey  string `json:"daily_key"`  // hex of the daily key of time_start's day
	TimeStart int64  `json:"time_start"` // max(now - 14 days, base day), at UTC midnight (Unix s)
}

// InfoF returns getBluezoneIdInfo(14) at now. For a device made from a
// daily key, base_id is that key.
func (d *Device) InfoF(now time.Time) (InfoF, error) {
	keys, err := d.Upload(now.Add(-TraceDays*DayMillis*time.Millisecond), now)
	if err != nil {
		return InfoF{}, err
	}
	k := keys[0]
	return InfoF{
		BaseID:    d.key.String(),
		Time:      d.keyDay * (DayMillis / 1000),
		DailyKey:  Key(k.Key).String(),
		TimeStart: k.Start,
	}, nil
}
