package bluezone

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Bluezone v1 (protocols.md §1.1): one static 6-character ID per phone for
// its whole life, from the 62-character alphabet 0-9A-Za-z, advertised as
// its 6 UTF-8 (here ASCII) bytes in manufacturer data.
const (
	// V1Name is the v1 protocol's name in tracing.Info.
	V1Name = "bluezone-v1"
	// V1IDLen is the length of a v1 ID (LENGTH_BLID).
	V1IDLen = 6
	// V1Alphabet is CHAR_RANDOM, 0-9A-Za-z. The order of the characters
	// inside the string is not confirmed by the reference; it only matters
	// for reproducing java.util.Random draws (JavaV1ID).
	V1Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// V1Space is the number of distinct v1 IDs, 62^6 = 56 800 235 584.
const V1Space = 62 * 62 * 62 * 62 * 62 * 62

// V1 is Bluezone v1's static IDs as a tracing.Protocol. A published "key"
// is the ID itself; matching compares its 6 bytes, so two phones that drew
// the same ID are indistinguishable, as they were in the field.
type V1 struct{}

var _ tracing.Protocol = (*V1)(nil)

// NewV1 returns the v1 protocol. It has no parameters.
func NewV1() *V1 { return &V1{} }

// Info: 6-byte IDs, no rotation, one ID a day.
func (*V1) Info() tracing.Info {
	return tracing.Info{Name: V1Name, IDLen: V1IDLen, Rotation: 0, IDsPerDay: 1}
}

// V1Device is a phone's static v1 ID.
type V1Device struct {
	id      tracing.ID
	startMs int64
}

var _ tracing.Device = (*V1Device)(nil)

// ID returns the device's ID (first 6 bytes significant).
func (d *V1Device) ID() tracing.ID { return d.id }

// String is the ID as its 6 characters.
func (d *V1Device) String() string { return string(d.id[:V1IDLen]) }

// IDAt is the static ID, from the device's first run on.
func (d *V1Device) IDAt(t time.Time) (tracing.ID, error) {
	if t.UnixMilli() < d.startMs {
		return tracing.ID{}, fmt.Errorf("%w: %s is before the app's first run %s", tracing.ErrOutOfRange,
			t.UTC().Format(time.RFC3339), time.UnixMilli(d.startMs).UTC().Format(time.RFC3339))
	}
	return d.id, nil
}

// Upload is the ID itself, covering from (or the first run, if later) to to.
func (d *V1Device) Upload(from, to time.Time) ([]tracing.PublishedKey, error) {
	if to.Before(from) || to.UnixMilli() < d.startMs {
		return nil, fmt.Errorf("%w: nothing to upload between %s and %s", tracing.ErrOutOfRange,
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	}
	start := max(from.Unix(), floorDiv(d.startMs, 1000))
	return []tracing.PublishedKey{{
		Key:   slices.Clone(d.id[:V1IDLen]),
		Start: start,
		End:   to.Unix(),
		Slots: 1,
	}}, nil
}

// NewDevice draws a 6-character ID uniformly from entropy (rejection
// sampling on bytes, so each of the 62 characters is equally likely). The
// real app drew with java.util.Random seeded by the clock; see JavaV1ID
// for that generator.
func (*V1) NewDevice(entropy io.Reader, start time.Time) (tracing.Device, error) {
	return NewV1Device(entropy, start)
}

// NewV1Device is NewDevice with the concrete type.
func NewV1Device(entropy io.Reader, start time.Time) (*V1Device, error) {
	if entropy == nil {
		return nil, fmt.Errorf("bluezone-v1: no entropy source")
	}
	d := &V1Device{startMs: start.UnixMilli()}
	var buf [16]byte
	n := 0
	for n < V1IDLen {
		if _, err := io.ReadFull(entropy, buf[:]); err != nil {
			return nil, fmt.Errorf("bluezone-v1: reading entropy: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: drop the top 8 byte values so that b%62 is uniform.
			if b < 248 && n < V1IDLen {
				d.id[n] = V1Alphabet[b%62]
				n++
			}
		}
	}
	return d, nil
}

// DeviceFromKey makes a device from its 6-character ID.
func (*V1) DeviceFromKey(key []byte, start time.Time) (tracing.Device, error) {
	return V1DeviceFromID(key, start)
}

// V1DeviceFromID makes a device from its 6-character ID bytes.
func V1DeviceFromID(id []byte, start time.Time) (*V1Device, error) {
	if err := checkV1ID(id); err != nil {
		return nil, err
	}
	d := &V1Device{startMs: start.UnixMilli()}
	copy(d.id[:], id)
	return d, nil
}

func checkV1ID(id []byte) error {
	if len(id) != V1IDLen {
		return fmt.Errorf("%w: a Bluezone v1 ID is %d characters, got %d bytes", tracing.ErrKeyLength, V1IDLen, len(id))
	}
	for i, c := range id {
		if !isV1Char(c) {
			return fmt.Errorf("%w: byte %d of the v1 ID is %q, want one of 0-9A-Za-z", tracing.ErrBadKey, i, c)
		}
	}
	return nil
}

func isV1Char(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// Expand gives the one broadcast of a v1 key: the ID, matching from the
// first millisecond of Start to the last of End.
func (*V1) Expand(dst []tracing.Broadcast, key tracing.PublishedKey) ([]tracing.Broadcast, error) {
	b, err := v1Broadcast(&key)
	if err != nil {
		return dst, err
	}
	return append(dst, b), nil
}

func v1Broadcast(k *tracing.PublishedKey) (tracing.Broadcast, error) {
	if err := checkV1ID(k.Key); err != nil {
		return tracing.Broadcast{}, err
	}
	if k.Start < 0 || k.End > MaxUnix || k.End < k.Start {
		return tracing.Broadcast{}, fmt.Errorf("%w: want 0 <= start <= end <= %d (Unix s), got %d..%d", tracing.ErrBadKey, int64(MaxUnix), k.Start, k.End)
	}
	var b tracing.Broadcast
	copy(b.ID[:], k.Key)
	b.From, b.To = k.Start*1000, k.End*1000+999
	return b, nil
}

// Match finds sightings of each key's ID within its time range, in (key,
// sighting) order.
func (*V1) Match(dst []tracing.Match, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	var ix *tracing.Index
	for i := range keys {
		b, err := v1Broadcast(&keys[i])
		if err != nil {
			return dst, fmt.Errorf("key %d: %w", i, err)
		}
		if len(store) == 0 {
			continue
		}
		if ix == nil {
			ix = tracing.NewIndex(store)
		}
		first := len(dst)
		ix.Lookup(&b.ID, b.From, b.To, func(pos int) {
			dst = append(dst, tracing.Match{Key: i, Sighting: pos})
		})
		slices.SortFunc(dst[first:], func(a, b tracing.Match) int { return a.Sighting - b.Sighting })
	}
	return dst, nil
}

// JavaRandom is java.util.Random's 48-bit linear congruential generator,
// which the v1 app seeded with System.currentTimeMillis()
// (BluezonerIdGenerator.java, protocols.md §1.1): anyone who knows roughly
// when a phone first ran can enumerate its candidate IDs.
type JavaRandom struct{ seed uint64 }

const (
	javaMult = 0x5DEECE66D
	javaMask = 1<<48 - 1
)

// NewJavaRandom is new java.util.Random(seed).
func NewJavaRandom(seed int64) *JavaRandom {
	return &JavaRandom{seed: (uint64(seed) ^ javaMult) & javaMask}
}

func (r *JavaRandom) next(bits uint) int32 {
	r.seed = (r.seed*javaMult + 0xB) & javaMask
	return int32(r.seed >> (48 - bits))
}

// NextInt is Random.nextInt().
func (r *JavaRandom) NextInt() int32 { return r.next(32) }

// NextIntn is Random.nextInt(bound); Java throws for bound <= 0, this
// returns an error.
func (r *JavaRandom) NextIntn(bound int32) (int32, error) {
	if bound <= 0 {
		return 0, fmt.Errorf("nextInt bound must be positive, got %d", bound)
	}
	if bound&-bound == bound { // a power of two
		return int32((int64(bound) * int64(r.next(31))) >> 31), nil
	}
	for {
		bits := r.next(31)
		val := bits % bound
		if bits-val+(bound-1) >= 0 { // int32 overflow marks the biased tail
			return val, nil
		}
	}
}

// JavaV1ID is the ID the v1 app made when seeded with seed (the first
// run's System.currentTimeMillis()): six draws of nextInt(62) indexing
// V1Alphabet.
func JavaV1ID(seed int64) [V1IDLen]byte {
	r := NewJavaRandom(seed)
	var id [V1IDLen]byte
	for i := range id {
		n, _ := r.NextIntn(int32(len(V1Alphabet))) // bound is positive
		id[i] = V1Alphabet[n]
	}
	return id
}

// ExpectedV1Collisions is the birthday-problem expectation for n phones
// drawing IDs uniformly from space values: pairs of phones sharing an ID,
// n(n-1)/2/space, and phones whose ID at least one other phone also has,
// n(1-(1-1/space)^(n-1)). For Vietnam's ~97 million people all on v1 this
// is about 82 800 pairs and 165 600 phones.
func ExpectedV1Collisions(n int, space float64) (pairs, phones float64) {
	if n < 2 || space <= 0 {
		return 0, 0
	}
	fn := float64(n)
	pairs = fn * (fn - 1) / 2 / space
	phones = -fn * math.Expm1((fn-1)*math.Log1p(-1/space))
	return pairs, phones
}

// CountCollisions counts, among ids (first idLen bytes significant), the
// pairs sharing an ID and the IDs shared by more than one entry. It sorts a
// copy; ids is not changed.
func CountCollisions(ids []tracing.ID, idLen int) (pairs, phones int) {
	s := slices.Clone(ids)
	for i := range s {
		clear(s[i][min(max(idLen, 0), len(s[i])):])
	}
	slices.SortFunc(s, func(a, b tracing.ID) int { return bytes.Compare(a[:], b[:]) })
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if g := j - i; g > 1 {
			pairs += g * (g - 1) / 2
			phones += g
		}
		i = j
	}
	return pairs, phones
}
