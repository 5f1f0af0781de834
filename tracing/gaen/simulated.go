package gaen

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
)

// Simulated returns GAEN (protocol "gaen") as the simulator runs it: the OS
// advertises and scans on GAEN's schedule (a 4 s scan every 3.5 to 5
// minutes) and is never killed by a battery saver, every phone sends its
// TX power in the encrypted metadata, the OS stores one sighting per scan
// with the scan's mean RSSI, and deployed apps were calibrated per phone
// model. The rule is RuleParams (default: the Corona-Warn-App's).
func Simulated() tracing.Simulated { return simulated{} }

type simulated struct{}

func (simulated) Name() string                    { return Protocol{}.Info().Name }
func (simulated) Protocol() tracing.Protocol      { return Protocol{} }
func (simulated) DefaultRule() tracing.RuleParams { return DefaultRuleParams() }

func (simulated) Radio() tracing.Radio {
	return tracing.Radio{
		Schedules:  radio.GAEN,
		Calibrated: true,
		Record:     tracing.Recording{Mode: tracing.RecordScan},
	}
}

// NewPhone draws a device from entropy (NewDevice) whose AEM carries
// metadata v1.0 with the phone's TX power.
func (simulated) NewPhone(entropy io.Reader, start time.Time, setup tracing.PhoneSetup) (tracing.Phone, error) {
	md, err := NewMetadata(VersionV10, setup.TXPowerDBm)
	if err != nil {
		return nil, err
	}
	d, err := NewDevice(entropy, start)
	if err != nil {
		return nil, err
	}
	d.Metadata = md
	return d, nil
}

// Advert returns the RPI broadcast at t and the AEM encrypting the
// device's own Metadata (tracing.Phone).
func (d *Device) Advert(t time.Time) (tracing.ID, [MetadataLen]byte, error) {
	return d.AdvertAt(t, d.Metadata)
}

// AppendDayAdverts appends the RPI and AEM of each of the 144 intervals of
// UTC day number day (tracing.DayAdvertiser): the day's keys derived
// once, then two AES blocks an interval, as Advert computes them.
func (d *Device) AppendDayAdverts(dst []tracing.Advert, day int64) ([]tracing.Advert, error) {
	t := time.Unix(day*TEKRollingPeriod*IntervalSeconds, 0).UTC()
	if !InENRange(t) {
		return dst, fmt.Errorf("gaen: %v has no ENIntervalNumber: %w", t, tracing.ErrOutOfRange)
	}
	start := ENIntervalNumber(t)
	if err := d.load(start); err != nil {
		return dst, err
	}
	md := d.Metadata.Bytes()
	dst = slices.Grow(dst, TEKRollingPeriod)
	for j := range uint32(TEKRollingPeriod) {
		var a tracing.Advert
		d.pad = PaddedData(start + j)
		d.rpiBlock.Encrypt(d.out[:], d.pad[:])
		copy(a.ID[:KeyLen], d.out[:])
		d.aemBlock.Encrypt(d.ks[:], d.out[:])
		for i := range a.Meta {
			a.Meta[i] = md[i] ^ d.ks[i]
		}
		dst = append(dst, a)
	}
	return dst, nil
}
