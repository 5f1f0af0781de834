package gaen

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"io"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Report types of a published key (exposure_key_export.proto ReportType).
const (
	ReportUnknown           = 0
	ReportConfirmedTest     = 1
	ReportConfirmedClinical = 2
	ReportSelfReport        = 3
	ReportRecursive         = 4
	ReportRevoked           = 5
)

// Protocol is GAEN as a tracing.Protocol. The zero value is ready to use.
type Protocol struct{}

var _ tracing.Protocol = Protocol{}

// Info describes GAEN's broadcast scheme: 16-byte RPIs rotating every 10
// minutes, 144 a day.
func (Protocol) Info() tracing.Info {
	return tracing.Info{
		Name:      "gaen",
		IDLen:     KeyLen,
		Rotation:  IntervalSeconds * time.Second,
		IDsPerDay: TEKRollingPeriod,
	}
}

// NewDevice creates a phone first run at start. It draws a new TEK each UTC
// day from entropy, in day order, so the keys do not depend on the order in
// which days are asked for.
func (Protocol) NewDevice(entropy io.Reader, start time.Time) (tracing.Device, error) {
	return NewDevice(entropy, start)
}

// DeviceFromKey creates a device that holds one real TEK, valid for the UTC
// day that contains start.
func (Protocol) DeviceFromKey(key []byte, start time.Time) (tracing.Device, error) {
	return DeviceFromTEK(key, start)
}

// Device is one phone's GAEN key material: a TEK per UTC day.
type Device struct {
	entropy  io.Reader // nil for a device holding fixed keys
	firstDay uint32    // rolling start of keys[0]
	keys     []TEK     // keys[i] covers firstDay + 144*i
	// Metadata is what the phone advertises in its AEM; default v1.0 with
	// TX power 8 dBm (the test vectors' metadata 40 08 00 00).
	Metadata Metadata
	// ReportType is what Upload reports (default ReportConfirmedTest).
	ReportType int
	// Onset is the symptom onset (or test) day; zero means unknown, and
	// Upload then leaves days_since_onset_of_symptoms unset.
	Onset time.Time

	// The current day's derived keys, cached so IDAt does not allocate
	// while the day stays the same.
	cacheDay  uint32
	cacheOK   bool
	rpiBlock  cipher.Block
	aemBlock  cipher.Block
	cachedTEK TEK
	// Buffers for the cipher calls: slices passed through the
	// cipher.Block interface escape, so they live here, not on the stack.
	pad, out, ks [16]byte
}

// NewDevice is Protocol.NewDevice with the concrete type.
func NewDevice(entropy io.Reader, start time.Time) (*Device, error) {
	if entropy == nil {
		return nil, fmt.Errorf("gaen: no entropy source")
	}
	d := &Device{entropy: entropy, firstDay: RollingStart(ENIntervalNumber(start))}
	d.defaults()
	if _, err := d.tekFor(d.firstDay); err != nil {
		return nil, err
	}
	return d, nil
}

// DeviceFromTEK is Protocol.DeviceFromKey with the concrete type.
func DeviceFromTEK(key []byte, start time.Time) (*Device, error) {
	k, err := TEKFromBytes(key)
	if err != nil {
		return nil, err
	}
	d := &Device{firstDay: RollingStart(ENIntervalNumber(start)), keys: []TEK{k}}
	d.defaults()
	return d, nil
}

func (d *Device) defaults() {
	d.Metadata = Metadata{Version: VersionV10, TxPower: 8}
	d.ReportType = ReportConfirmedTest
}

// tekFor returns the TEK whose period starts at rolling start day,
// drawing the keys of any missing days in order.
func (d *Device) tekFor(day uint32) (TEK, error) {
	if day < d.firstDay {
		return TEK{}, fmt.Errorf("gaen: interval %d is before the device's first key (%d): %w", day, d.firstDay, tracing.ErrOutOfRange)
	}
	i := int((day - d.firstDay) / TEKRollingPeriod)
	for len(d.keys) <= i {
		if d.entropy == nil {
			return TEK{}, fmt.Errorf("gaen: interval %d is after the device's last key: %w", day, tracing.ErrOutOfRange)
		}
		k, err := NewTEK(d.entropy)
		if err != nil {
			return TEK{}, err
		}
		d.keys = append(d.keys, k)
	}
	return d.keys[i], nil
}

// TEKAt returns the TEK in force at t and its rolling start interval.
func (d *Device) TEKAt(t time.Time) (TEK, uint32, error) {
	day := RollingStart(ENIntervalNumber(t))
	k, err := d.tekFor(day)
	return k, day, err
}

func (d *Device) load(day uint32) error {
	if d.cacheOK && d.cacheDay == day {
		return nil
	}
	k, err := d.tekFor(day)
	if err != nil {
		return err
	}
	rpik := hkdf16((*[KeyLen]byte)(&k), "EN-RPIK")
	aemk := hkdf16((*[KeyLen]byte)(&k), "EN-AEMK")
	if d.rpiBlock, err = aes.NewCipher(rpik[:]); err != nil {
		return err
	}
	if d.aemBlock, err = aes.NewCipher(aemk[:]); err != nil {
		return err
	}
	d.cacheDay, d.cacheOK, d.cachedTEK = day, true, k
	return nil
}

// IDAt returns the RPI broadcast at t. It allocates only when t falls in a
// different day from the previous call.
func (d *Device) IDAt(t time.Time) (tracing.ID, error) {
	if !InENRange(t) {
		return tracing.ID{}, fmt.Errorf("gaen: %v has no ENIntervalNumber: %w", t, tracing.ErrOutOfRange)
	}
	enin := ENIntervalNumber(t)
	if err := d.load(RollingStart(enin)); err != nil {
		return tracing.ID{}, err
	}
	d.pad = PaddedData(enin)
	d.rpiBlock.Encrypt(d.out[:], d.pad[:])
	var id tracing.ID
	copy(id[:KeyLen], d.out[:])
	return id, nil
}

// AdvertAt returns the RPI and the AEM the phone broadcasts at t, the AEM
// encrypting md (use d.Metadata for the phone's own).
func (d *Device) AdvertAt(t time.Time, md Metadata) (tracing.ID, [MetadataLen]byte, error) {
	id, err := d.IDAt(t)
	if err != nil {
		return id, [MetadataLen]byte{}, err
	}
	copy(d.pad[:], id[:KeyLen])
	d.aemBlock.Encrypt(d.ks[:], d.pad[:])
	in := md.Bytes()
	var aem [MetadataLen]byte
	for i := range aem {
		aem[i] = in[i] ^ d.ks[i]
	}
	return id, aem, nil
}

// Upload returns the TEKs of the UTC days from..to (inclusive) that the
// device has keys for, oldest first, as a server publishes them.
func (d *Device) Upload(from, to time.Time) ([]tracing.PublishedKey, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("gaen: upload range ends (%v) before it starts (%v)", to, from)
	}
	if !InENRange(from) || !InENRange(to) {
		return nil, fmt.Errorf("gaen: upload range %v..%v has no ENIntervalNumbers: %w", from, to, tracing.ErrOutOfRange)
	}
	first := max(RollingStart(ENIntervalNumber(from)), d.firstDay)
	last := RollingStart(ENIntervalNumber(to))
	var out []tracing.PublishedKey
	for day := first; day <= last; day += TEKRollingPeriod {
		k, err := d.tekFor(day)
		if err != nil {
			return nil, err
		}
		pk := PublishedKeyFor(k, day, TEKRollingPeriod)
		pk.ReportType = d.ReportType
		if !d.Onset.IsZero() {
			onsetDay := int64(RollingStart(ENIntervalNumber(d.Onset))) / TEKRollingPeriod
			pk.DaysSinceOnset = int(int64(day)/TEKRollingPeriod - onsetDay)
			pk.HasOnset = true
		}
		out = append(out, pk)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("gaen: device has no keys between %v and %v: %w", from, to, tracing.ErrOutOfRange)
	}
	return out, nil
}

// PublishedKeyFor builds the published form of tek with its rolling start
// interval and rolling period (report type and onset unset).
func PublishedKeyFor(tek TEK, rollingStart uint32, period int) tracing.PublishedKey {
	start := int64(rollingStart) * IntervalSeconds
	return tracing.PublishedKey{
		Key:   append([]byte(nil), tek[:]...),
		Start: start,
		End:   start + int64(period)*IntervalSeconds - 1,
		Slots: period,
	}
}

// keyParams checks a published key and returns its TEK, rolling start
// interval and rolling period.
func keyParams(k *tracing.PublishedKey) (TEK, uint32, int, error) {
	var tek TEK
	if len(k.Key) != KeyLen {
		return tek, 0, 0, fmt.Errorf("gaen: published key is %d bytes, want %d: %w", len(k.Key), KeyLen, tracing.ErrKeyLength)
	}
	copy(tek[:], k.Key)
	if k.Slots < 1 || k.Slots > TEKRollingPeriod {
		return tek, 0, 0, fmt.Errorf("gaen: rolling period %d outside 1..%d: %w", k.Slots, TEKRollingPeriod, tracing.ErrBadKey)
	}
	if k.Start < 0 || k.Start%IntervalSeconds != 0 || k.Start/IntervalSeconds > 1<<32-1-TEKRollingPeriod {
		return tek, 0, 0, fmt.Errorf("gaen: key start %d is not a whole interval (600 s) in range: %w", k.Start, tracing.ErrBadKey)
	}
	return tek, uint32(k.Start / IntervalSeconds), k.Slots, nil
}
