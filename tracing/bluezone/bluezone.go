package bluezone

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Protocol constants from protocols.md §1.2 (BluezoneIdConstants.java).
const (
	// Name is the v2 protocol's name in tracing.Info.
	Name = "bluezone"
	// KeyLen is the length of the base key and of every daily key and
	// sub-key (LENGTH_DAILY_KEY).
	KeyLen = 32
	// IDLen is the length of a broadcast BluezoneId (LENGTH_BYTE).
	IDLen = 12
	// DefaultSlotsPerDay is MAX_NUMBER_SUB_KEY_PER_DAY as served in
	// configApp.json and seen in the captured F0 push (protocols.md §1.2):
	// 96 slots of 15 minutes. Some builds compiled in 144 (10 minutes).
	DefaultSlotsPerDay = 96
	// DayMillis is the length of a UTC day in milliseconds; days start at
	// UTC midnight (BluezoneDate truncates to 00:00:00.000 UTC).
	DayMillis = 86_400_000
	// MaxSpanDays bounds how many days one published key may cover
	// (time_end - time_start). The apps set no bound; bluesim does, so that
	// a hostile time_end cannot make a phone hash for ever. A year is far
	// more than the 14-day trace window (protocols.md §1.4, PeriodDay).
	MaxSpanDays = 366
	// MaxUnix is the latest time_start or time_end accepted (9999-12-31
	// 23:59:59 UTC), which keeps every millisecond computation in range.
	MaxUnix = 253_402_300_799
)

// Salt is SALT_SUB_KEY_DAILY, appended to a daily key to seed the day's
// first sub-key. The spelling "bluzone" is the apps' own.
const Salt = "bluzonesubkey"

// idOffsets are the sub-key bytes that make a BluezoneId
// (convertBluezoneSubKeyToBluezoneId, protocols.md §1.2 step 3).
var idOffsets = [IDLen]int{0, 4, 8, 12, 16, 18, 20, 22, 24, 26, 28, 30}

// Key is a 32-byte Bluezone key: a base key, a daily key or a sub-key.
type Key [KeyLen]byte

// String is the key in lowercase hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// ParseKey reads a key from 64 hex digits (either case).
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 2*KeyLen {
		return k, fmt.Errorf("%w: want %d hex digits (%d bytes), got %d characters",
			tracing.ErrKeyLength, 2*KeyLen, KeyLen, len(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return Key{}, fmt.Errorf("want %d hex digits (%d bytes), found %q at position %d", 2*KeyLen, KeyLen, c, i+1)
		}
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return Key{}, fmt.Errorf("want %d hex digits (%d bytes): %v", 2*KeyLen, KeyLen, err)
	}
	return k, nil
}

// KeyFromBytes copies b into a Key; b must be exactly 32 bytes.
func KeyFromBytes(b []byte) (Key, error) {
	var k Key
	if len(b) != KeyLen {
		return k, fmt.Errorf("%w: a Bluezone key is %d bytes, got %d", tracing.ErrKeyLength, KeyLen, len(b))
	}
	copy(k[:], b)
	return k, nil
}

// NextDailyKey ratchets a daily key to the next UTC day:
// DailyKey_{d+1} = SHA256(DailyKey_d).
func NextDailyKey(k Key) Key { return sha256.Sum256(k[:]) }

// DailyKeyAfter ratchets k forward by days (days >= 0; a negative count
// returns k unchanged, since the chain cannot run backwards).
func DailyKeyAfter(k Key, days int64) Key {
	for ; days > 0; days-- {
		k = sha256.Sum256(k[:])
	}
	return k
}

// FirstSubKey is the day's slot-0 sub-key: SHA256(DailyKey || "bluzonesubkey").
func FirstSubKey(daily Key) Key {
	var buf [KeyLen + len(Salt)]byte
	copy(buf[:], daily[:])
	copy(buf[KeyLen:], Salt)
	return sha256.Sum256(buf[:])
}

// NextSubKey is the next slot's sub-key: SubKey_{d,k} = SHA256(SubKey_{d,k-1}).
func NextSubKey(sub Key) Key { return sha256.Sum256(sub[:]) }

// IDFromSubKey picks the 12 broadcast bytes out of a sub-key.
func IDFromSubKey(sub Key) tracing.ID {
	var id tracing.ID
	for i, o := range idOffsets {
		id[i] = sub[o]
	}
	return id
}

// AppendDayIDs appends the n IDs of the day whose daily key is daily, slot 0
// first. It costs n SHA-256 computations and does not allocate when dst
// has room.
func AppendDayIDs(dst []tracing.ID, daily Key, n int) []tracing.ID {
	sub := FirstSubKey(daily)
	for k := 0; k < n; k++ {
		if k > 0 {
			sub = NextSubKey(sub)
		}
		dst = append(dst, IDFromSubKey(sub))
	}
	return dst
}

// Params configures the v2 protocol. The zero value is not valid; start
// from DefaultParams.
type Params struct {
	// SlotsPerDay is MaxNumberSubKeyPerDay, the number of IDs (and slots)
	// per UTC day. It must divide 86 400 000 ms evenly so that slots tile
	// the day. Default 96 (protocols.md §1.2).
	SlotsPerDay int `yaml:"slots_per_day"`
}

// DefaultParams are the deployed settings: 96 slots of 15 minutes.
func DefaultParams() Params { return Params{SlotsPerDay: DefaultSlotsPerDay} }

// Validate checks p.
func (p Params) Validate() error { return validSlots("slots_per_day", p.SlotsPerDay) }

func validSlots(field string, n int) error {
	if n < 1 || n > 86_400 || DayMillis%n != 0 {
		return fmt.Errorf("%s: want a number of slots between 1 and 86400 that divides a day of 86400000 ms evenly (96 = 15 min, 144 = 10 min), got %d", field, n)
	}
	return nil
}

// Protocol is Bluezone v2 rolling IDs, a tracing.Protocol.
type Protocol struct {
	slots  int
	slotMs int64
}

var _ tracing.Protocol = (*Protocol)(nil)

// New returns the v2 protocol with params p.
func New(p Params) (*Protocol, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Protocol{slots: p.SlotsPerDay, slotMs: DayMillis / int64(p.SlotsPerDay)}, nil
}

// Params returns the protocol's parameters.
func (p *Protocol) Params() Params { return Params{SlotsPerDay: p.slots} }

// Info describes the broadcast scheme.
func (p *Protocol) Info() tracing.Info {
	return tracing.Info{
		Name:      Name,
		IDLen:     IDLen,
		Rotation:  time.Duration(p.slotMs) * time.Millisecond,
		IDsPerDay: p.slots,
	}
}

// DayNumber is the UTC day of t counted from 1970-01-01 (negative before).
func DayNumber(t time.Time) int64 { return floorDiv(t.UnixMilli(), DayMillis) }

// DayStart is the UTC midnight that starts day number d.
func DayStart(d int64) time.Time { return time.UnixMilli(d * DayMillis).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// NewBaseDevice makes a phone's first run at created: it reads a 32-byte
// base key from entropy (a seeded stream in the simulator; the apps used
// KeyGenerator("HmacSHA256") or SecRandomCopyBytes(32)) and stores it with
// its creation day.
func (p *Protocol) NewBaseDevice(entropy io.Reader, created time.Time) (*Device, error) {
	if entropy == nil {
		return nil, fmt.Errorf("bluezone: no entropy source")
	}
	var k Key
	if _, err := io.ReadFull(entropy, k[:]); err != nil {
		return nil, fmt.Errorf("bluezone: reading a base key: %w", err)
	}
	return p.newDevice(k, DayNumber(created)), nil
}

// DeviceFromBaseKey rebuilds a phone from its base key (pre_bluezone_base_id)
// and the instant it was created; only the UTC day of created matters.
func (p *Protocol) DeviceFromBaseKey(base []byte, created time.Time) (*Device, error) {
	k, err := KeyFromBytes(base)
	if err != nil {
		return nil, err
	}
	return p.newDevice(k, DayNumber(created)), nil
}

// DeviceFromDailyKey rebuilds a phone from the daily key of the UTC day
// containing day. It yields that day's IDs and every later day's, which is
// all anyone holding a published daily key can compute (protocols.md §1.2).
// It is the same computation as DeviceFromBaseKey: a base key is the daily
// key of its creation day.
func (p *Protocol) DeviceFromDailyKey(key []byte, day time.Time) (*Device, error) {
	return p.DeviceFromBaseKey(key, day)
}

// NewDevice implements tracing.Protocol with NewBaseDevice.
func (p *Protocol) NewDevice(entropy io.Reader, start time.Time) (tracing.Device, error) {
	d, err := p.NewBaseDevice(entropy, start)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeviceFromKey implements tracing.Protocol: key is a base key or a daily
// key, valid from the UTC day of start.
func (p *Protocol) DeviceFromKey(key []byte, start time.Time) (tracing.Device, error) {
	d, err := p.DeviceFromDailyKey(key, start)
	if err != nil {
		return nil, err
	}
	return d, nil
}
