package gaen

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Protocol constants (protocols.md 2.1 and 2.3).
const (
	// IntervalSeconds is the length of one ENIntervalNumber (10 min).
	IntervalSeconds = 600
	// TEKRollingPeriod is the number of intervals one TEK covers (24 h).
	TEKRollingPeriod = 144
	// KeyLen is the length of a TEK, RPIK, AEMK and RPI in bytes.
	KeyLen = 16
	// MetadataLen is the length of the BLE metadata and of the AEM.
	MetadataLen = 4
	// ClockDriftIntervals is the reference matcher's
	// tkMatchingClockDriftRollingPeriods: a sighting matches an RPI if it
	// was seen within 12 intervals (±2 h) of the RPI's interval.
	ClockDriftIntervals = 12
)

// Metadata version bytes (protocols.md 2.1, metadata byte 0).
const (
	VersionV10 byte = 0x40 // major 1, minor 0
	VersionV11 byte = 0x50 // major 1, minor 1: bits 3:2 carry calibration confidence
)

// TEK is a temporary exposure key.
type TEK [KeyLen]byte

// String formats the key in lowercase hex.
func (k TEK) String() string { return hex.EncodeToString(k[:]) }

// ENIntervalNumber returns uint32(floor(unix_seconds / 600)) for t. It
// saturates: instants before 1970 give 0, after the year 83,000 or so
// 2^32-1 (see InENRange).
func ENIntervalNumber(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return uint32(min(s/IntervalSeconds, 1<<32-1))
}

// InENRange reports whether t has an ENIntervalNumber of its own (is not
// saturated by ENIntervalNumber), leaving room for a whole key period.
func InENRange(t time.Time) bool {
	s := t.Unix()
	return s >= 0 && s/IntervalSeconds < 1<<32-TEKRollingPeriod
}

// RollingStart returns the first interval of the TEK period holding enin:
// 144*floor(enin/144), which is UTC midnight.
func RollingStart(enin uint32) uint32 { return enin - enin%TEKRollingPeriod }

// IntervalTime returns the start instant of interval enin.
func IntervalTime(enin uint32) time.Time {
	return time.Unix(int64(enin)*IntervalSeconds, 0).UTC()
}

// NewTEK reads a TEK's 16 bytes from entropy (crypto/rand on a phone, a
// seeded stream in the simulator).
func NewTEK(entropy io.Reader) (TEK, error) {
	var k TEK
	if entropy == nil {
		return k, fmt.Errorf("gaen: no entropy source")
	}
	if _, err := io.ReadFull(entropy, k[:]); err != nil {
		return k, fmt.Errorf("gaen: reading TEK entropy: %w", err)
	}
	return k, nil
}

// ParseTEK parses a TEK from 32 hex digits (upper or lower case, optional
// 0x prefix).
func ParseTEK(s string) (TEK, error) {
	var k TEK
	b, err := parseHex(s)
	if err != nil {
		return k, err
	}
	return TEKFromBytes(b)
}

// TEKFromBytes copies a 16-byte TEK.
func TEKFromBytes(b []byte) (TEK, error) {
	var k TEK
	if len(b) != KeyLen {
		return k, fmt.Errorf("gaen: TEK is %d bytes, want %d: %w", len(b), KeyLen, tracing.ErrKeyLength)
	}
	copy(k[:], b)
	return k, nil
}

// ParseRPI parses a 16-byte rolling proximity identifier from hex.
func ParseRPI(s string) (tracing.ID, error) {
	var id tracing.ID
	b, err := parseHex(s)
	if err != nil {
		return id, err
	}
	if len(b) != KeyLen {
		return id, fmt.Errorf("gaen: RPI is %d bytes, want %d: %w", len(b), KeyLen, tracing.ErrKeyLength)
	}
	copy(id[:], b)
	return id, nil
}

// ParseAEM parses 4 bytes of associated encrypted metadata (or plain
// metadata) from hex.
func ParseAEM(s string) ([MetadataLen]byte, error) {
	var m [MetadataLen]byte
	b, err := parseHex(s)
	if err != nil {
		return m, err
	}
	if len(b) != MetadataLen {
		return m, fmt.Errorf("gaen: metadata is %d bytes, want %d: %w", len(b), MetadataLen, tracing.ErrKeyLength)
	}
	copy(m[:], b)
	return m, nil
}

func parseHex(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("gaen: bad hex %q: %w", truncate(s, 40), err)
	}
	return b, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// DeriveRPIK returns HKDF-SHA256(IKM=tek, salt=nil, info="EN-RPIK", L=16)
// with the standard library's HKDF.
func DeriveRPIK(tek TEK) [KeyLen]byte { return stdHKDF(tek, "EN-RPIK") }

// DeriveAEMK returns HKDF-SHA256(IKM=tek, salt=nil, info="EN-AEMK", L=16).
func DeriveAEMK(tek TEK) [KeyLen]byte { return stdHKDF(tek, "EN-AEMK") }

func stdHKDF(tek TEK, info string) [KeyLen]byte {
	var out [KeyLen]byte
	k, err := hkdf.Key(sha256.New, tek[:], nil, info, KeyLen)
	if err != nil {
		// Unreachable: 16 bytes is far below HKDF-SHA256's 8160-byte limit.
		panic("gaen: hkdf: " + err.Error())
	}
	copy(out[:], k)
	return out
}

// PaddedData returns the RPI plaintext for interval enin:
// "EN-RPI" || 6 zero bytes || LE uint32(enin).
func PaddedData(enin uint32) [16]byte {
	var p [16]byte
	copy(p[:6], "EN-RPI")
	binary.LittleEndian.PutUint32(p[12:], enin)
	return p
}

// RPI returns AES-128(rpik, PaddedData(enin)). For many RPIs of one key use
// an RPIGenerator, which keeps the AES key schedule.
func RPI(rpik [KeyLen]byte, enin uint32) tracing.ID {
	b, _ := aes.NewCipher(rpik[:]) // a 16-byte key never fails
	var id tracing.ID
	p := PaddedData(enin)
	b.Encrypt(id[:KeyLen], p[:])
	return id
}

// CryptAEM encrypts (or, being CTR, decrypts) 4 bytes of metadata with
// AES-128-CTR under aemk with the RPI as IV.
func CryptAEM(aemk [KeyLen]byte, rpi tracing.ID, in [MetadataLen]byte) [MetadataLen]byte {
	b, _ := aes.NewCipher(aemk[:])
	return cryptAEM(b, &rpi, in)
}

// cryptAEM is AES-CTR on one partial block: the keystream's first block is
// AES(IV), so the 4 bytes are in XOR AES(rpi)[:4]. It does not allocate.
func cryptAEM(b cipher.Block, rpi *tracing.ID, in [MetadataLen]byte) [MetadataLen]byte {
	var ks [16]byte
	b.Encrypt(ks[:], rpi[:KeyLen])
	var out [MetadataLen]byte
	for i := range out {
		out[i] = in[i] ^ ks[i]
	}
	return out
}

// Metadata is the 4-byte BLE metadata an advertiser encrypts into the AEM.
type Metadata struct {
	// Version is byte 0 without the calibration bits: VersionV10 or VersionV11.
	Version byte
	// TxPower is the advertiser's calibrated TX power level in dBm (-127..127).
	TxPower int8
	// CalibrationConfidence is bits 3:2 of byte 0 in v1.1 (0-3).
	CalibrationConfidence uint8
}

// Bytes encodes the metadata: byte0 version (with bits 3:2 calibration
// confidence in v1.1), byte1 TX power, bytes 2-3 reserved zero.
func (m Metadata) Bytes() [MetadataLen]byte {
	v := m.Version
	if v&0xf0 == VersionV11 {
		v = v&^0x0c | (m.CalibrationConfidence&3)<<2
	}
	return [MetadataLen]byte{v, byte(m.TxPower), 0, 0}
}

// NewMetadata checks and builds metadata from a version byte and TX power.
// The version byte must have major version 1 (bits 7:6 = 01); for v1.1
// bits 3:2 of version carry the calibration confidence.
func NewMetadata(version byte, txPower int) (Metadata, error) {
	if version>>6 != 1 {
		return Metadata{}, fmt.Errorf("gaen: metadata version byte %#02x: major version must be 1 (0x40..0x7f)", version)
	}
	if txPower < -127 || txPower > 127 {
		return Metadata{}, fmt.Errorf("gaen: TX power %d dBm outside -127..127", txPower)
	}
	m := Metadata{Version: version, TxPower: int8(txPower)}
	if version&0xf0 == VersionV11 {
		m.CalibrationConfidence = (version >> 2) & 3
		m.Version = version &^ 0x0c
	}
	return m, nil
}

// ParseMetadata decodes 4 metadata bytes. It errors on a major version
// other than 1; reserved bytes are ignored as the spec asks.
func ParseMetadata(b [MetadataLen]byte) (Metadata, error) {
	return NewMetadata(b[0], int(int8(b[1])))
}
