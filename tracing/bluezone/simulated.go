package bluezone

import (
	"io"
	"time"

	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
)

// Simulated returns Bluezone v2 (protocol "bluezone") as the simulator runs
// it: 96 rolling IDs a day, Bluezone's own advertising and scanning
// schedules, an app that battery savers can kill, the strongest record of
// each wall-clock minute stored, and RuleParams as the rule.
func Simulated() tracing.Simulated { return simulated{v1: false} }

// SimulatedV1 returns Bluezone v1 (protocol "bluezone-v1"): the v2 app's
// radio behaviour and rule with v1's static 6-character ID.
func SimulatedV1() tracing.Simulated { return simulated{v1: true} }

type simulated struct{ v1 bool }

func (s simulated) Name() string {
	if s.v1 {
		return V1Name
	}
	return Name
}

func (s simulated) Protocol() tracing.Protocol {
	if s.v1 {
		return NewV1()
	}
	return &Protocol{slots: DefaultSlotsPerDay, slotMs: DayMillis / DefaultSlotsPerDay}
}

// Radio: Bluezone's app schedules on Android and iOS (protocols.md §1.3);
// the app stores a record per peer every 5 s and its rules read only any
// sighting and distinct minutes at or above a threshold (§1.4, §1.5), so
// the strongest record of each minute is all that needs keeping.
func (simulated) Radio() tracing.Radio {
	return tracing.Radio{
		Schedules: radio.Bluezone,
		InApp:     true,
		Record:    tracing.Recording{Mode: tracing.RecordStrongest, Bucket: time.Minute},
	}
}

func (s simulated) NewPhone(entropy io.Reader, start time.Time, _ tracing.PhoneSetup) (tracing.Phone, error) {
	if s.v1 {
		d, err := NewV1Device(entropy, start)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	d, err := (&Protocol{slots: DefaultSlotsPerDay, slotMs: DayMillis / DefaultSlotsPerDay}).NewBaseDevice(entropy, start)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (simulated) DefaultRule() tracing.RuleParams { return DefaultRuleParams() }

// Advert is the ID in force at t; Bluezone sends no metadata with it
// (tracing.Phone).
func (d *Device) Advert(t time.Time) (tracing.ID, [4]byte, error) {
	id, err := d.IDAt(t)
	return id, [4]byte{}, err
}

// AppendDayAdverts appends the day's one advert, the static ID at the
// day's midnight (tracing.DayAdvertiser).
func (d *V1Device) AppendDayAdverts(dst []tracing.Advert, day int64) ([]tracing.Advert, error) {
	id, err := d.IDAt(time.UnixMilli(day * DayMillis))
	if err != nil {
		return dst, err
	}
	return append(dst, tracing.Advert{ID: id}), nil
}

// Advert is the static ID; v1 sends no metadata with it (tracing.Phone).
func (d *V1Device) Advert(t time.Time) (tracing.ID, [4]byte, error) {
	id, err := d.IDAt(t)
	return id, [4]byte{}, err
}
