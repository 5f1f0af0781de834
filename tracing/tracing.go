package tracing

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxIDLen is the longest broadcast ID of any supported protocol (GAEN's RPI
// and DP-3T's EphID are 16 bytes; Bluezone v2 uses 12, Bluezone v1 6).
const MaxIDLen = 16

// ID is a broadcast identifier as it goes over the air. Only the first
// Info.IDLen bytes are significant; the rest are zero. A fixed-size array
// keeps IDs comparable with == and free of allocation.
type ID [MaxIDLen]byte

// String formats the whole array in lowercase hex. Use Hex to print only the
// significant bytes.
func (id ID) String() string { return fmt.Sprintf("%x", id[:]) }

// Hex formats the first n bytes of id in lowercase hex.
func (id ID) Hex(n int) string { return fmt.Sprintf("%x", id[:n]) }

// Info describes a protocol's broadcast scheme.
type Info struct {
	// Name is the protocol's stable name: "bluezone", "bluezone-v1", "gaen", "dp3t".
	Name string
	// IDLen is the number of significant bytes in each broadcast ID.
	IDLen int
	// Rotation is how long one broadcast ID stays in force; zero for a static ID.
	Rotation time.Duration
	// IDsPerDay is the number of distinct IDs a device broadcasts in a day
	// (1 for a static ID).
	IDsPerDay int
}

// Device is one phone's key material: it knows which ID the phone
// broadcasts at any instant and what the phone uploads when its user is
// diagnosed.
type Device interface {
	// IDAt returns the broadcast ID in force at t. It returns an error if t
	// lies outside the span the key material covers (for example before the
	// key was created). It does not allocate in steady state.
	IDAt(t time.Time) (ID, error)
	// Upload returns the keys a diagnosed user uploads to cover the instants
	// from..to (inclusive), in the protocol's own form.
	Upload(from, to time.Time) ([]PublishedKey, error)
}

// PublishedKey is one key as a server publishes it after a diagnosis: GAEN
// temporary exposure keys, Bluezone F0 daily keys, DP-3T day seeds.
type PublishedKey struct {
	// Key is the key material: a 16-byte GAEN TEK, a 32-byte Bluezone daily
	// key, a 32-byte DP-3T SK_t.
	Key []byte
	// Start is the first instant the key covers (Unix seconds): GAEN's
	// rolling start interval times 600, Bluezone's time_start, DP-3T's day.
	Start int64
	// End is the last instant the key covers (Unix seconds, inclusive):
	// Bluezone's time_end; for GAEN and DP-3T the end of the key's period.
	End int64
	// Slots is the number of rotation slots per key period: GAEN's
	// rolling_period, Bluezone's max (slots per day), DP-3T's IDs per day.
	Slots int
	// ReportType is GAEN's report type (1 CONFIRMED_TEST ... 5 REVOKED); 0 elsewhere.
	ReportType int
	// DaysSinceOnset is GAEN's days_since_onset_of_symptoms, relative to the
	// key's day; HasOnset says whether it is set.
	DaysSinceOnset int
	HasOnset       bool
	// TransmissionRisk is GAEN's deprecated transmission_risk_level (0-8).
	TransmissionRisk int
}

// Sighting is one stored observation of a peer's broadcast ID.
type Sighting struct {
	// ID is the received broadcast ID (IDLen significant bytes).
	ID ID
	// Time is when it was received (Unix milliseconds).
	Time int64
	// RSSI is the received signal strength as the app or OS recorded it (dBm).
	RSSI int8
	// Meta carries protocol-specific bytes received with the ID: GAEN's
	// 4-byte encrypted metadata (AEM). Zero elsewhere.
	Meta [4]byte
}

// Broadcast is one ID a published key implies, with the range of sighting
// times (Unix milliseconds, inclusive at both ends) at which a sighting of
// that ID counts as a match under the protocol's rules (clock-drift
// tolerance, inclusive slot bounds, same-day restriction).
type Broadcast struct {
	ID       ID
	From, To int64
	// Slot is the rotation slot (GAEN ENIntervalNumber, Bluezone slot index
	// counted from the key's Start, DP-3T epoch index in the day).
	Slot int64
}

// Match says that published key Key (index into the keys given to Match)
// matched stored sighting Sighting (index into the store) in Slot.
type Match struct {
	Key      int
	Sighting int
	Slot     int64
}

// Protocol is one contact-tracing protocol's real rotation and matching code.
type Protocol interface {
	// Info describes the protocol's broadcast scheme.
	Info() Info
	// NewDevice creates key material from entropy (a seeded stream in the
	// simulator, crypto/rand on a real phone) for a device first run at start.
	NewDevice(entropy io.Reader, start time.Time) (Device, error)
	// DeviceFromKey creates a device from real key bytes (an engineer's
	// input): a Bluezone base or daily key, a GAEN TEK, a DP-3T SK.
	// start is the instant the key becomes valid (its day for day keys).
	DeviceFromKey(key []byte, start time.Time) (Device, error)
	// Expand appends to dst every broadcast ID the published key implies,
	// each with the sighting-time window in which it matches.
	Expand(dst []Broadcast, key PublishedKey) ([]Broadcast, error)
	// Match finds the sightings in store that match any of keys, the way a
	// phone does it, and appends them to dst in (key, sighting) order.
	Match(dst []Match, keys []PublishedKey, store []Sighting) ([]Match, error)
}

// Errors shared by the protocols. Wrap them with details; test with errors.Is.
var (
	// ErrKeyLength means key material of the wrong length was given.
	ErrKeyLength = errors.New("wrong key length")
	// ErrOutOfRange means an instant lies outside what the key covers.
	ErrOutOfRange = errors.New("time outside the key's range")
	// ErrBadKey means a published key is malformed (bad period, slots, times).
	ErrBadKey = errors.New("malformed published key")
)

// UnixMilli converts t to Unix milliseconds, the unit of Sighting.Time.
func UnixMilli(t time.Time) int64 { return t.UnixMilli() }
