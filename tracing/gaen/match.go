package gaen

import (
	"crypto/aes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// window returns the inclusive sighting-time window (Unix ms) in which a
// sighting of the RPI of interval enin matches: the interval itself widened
// by ClockDriftIntervals on each side, the reference matcher's ±2 h
// clock-drift tolerance (protocols.md 2.3, tkMatchingClockDriftRollingPeriods).
func window(enin uint32) (from, to int64) {
	from = (int64(enin) - ClockDriftIntervals) * IntervalSeconds * 1000
	to = (int64(enin)+1+ClockDriftIntervals)*IntervalSeconds*1000 - 1
	return from, to
}

// Expand appends the key's RPIs (one per interval of its rolling period),
// each with the window of sighting times in which it matches.
func (Protocol) Expand(dst []tracing.Broadcast, key tracing.PublishedKey) ([]tracing.Broadcast, error) {
	tek, start, period, err := keyParams(&key)
	if err != nil {
		return dst, err
	}
	rpik := DeriveRPIK(tek)
	b, err := aes.NewCipher(rpik[:])
	if err != nil {
		return dst, err
	}
	p := PaddedData(0)
	for j := range uint32(period) {
		enin := start + j
		binary.LittleEndian.PutUint32(p[12:], enin)
		var bc tracing.Broadcast
		b.Encrypt(bc.ID[:KeyLen], p[:])
		bc.From, bc.To = window(enin)
		bc.Slot = int64(enin)
		dst = append(dst, bc)
	}
	return dst, nil
}

// Match runs the phone-side matcher over store (see Matcher).
func (Protocol) Match(dst []tracing.Match, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	return NewMatcher(store).Match(dst, keys)
}

// MatchKeys is Protocol.Match as a function: it indexes store and matches
// keys against it. To match several batches against one store, build a
// Matcher once instead.
func MatchKeys(dst []tracing.Match, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	return NewMatcher(store).Match(dst, keys)
}

// Matcher is the phone-side matcher in the shape of the reference
// implementation (loadtest.md 2.1): per published key one HKDF, the 144
// RPIs encrypted in one pass into a reused buffer, each looked up in the
// sighting store indexed by ID prefix. Each RPI first goes through the
// index's Bloom prefilter (tracing.Index.MayContain): all but about 0.4%
// of the derived RPIs that match nothing are rejected with one cached load
// instead of three dependent random accesses into the index.
//
// A Matcher is not safe for concurrent use; build one per goroutine over the
// same store (the store is read-only).
type Matcher struct {
	store []tracing.Sighting
	ix    *tracing.Index
	rpis  [TEKRollingPeriod]tracing.ID
	pad   [16]byte // on the heap with the Matcher: it escapes via cipher.Block
	hits  []hit
}

type hit struct {
	pos  int32
	slot uint32
}

// NewMatcher indexes store. Do not modify store while the Matcher is in use.
func NewMatcher(store []tracing.Sighting) *Matcher {
	return &Matcher{store: store, ix: tracing.NewIndex(store)}
}

// Match appends to dst every (key, sighting) pair where a sighting holds an
// RPI of the key and lies within that RPI's ±2 h window, ordered by key
// and then by sighting position. Unlike the reference matcher, which stops
// at a key's first hit, it reports every matching sighting, as the
// exposure windows need them all. A malformed key is an error naming it.
// In steady state (no hits) it does not allocate per derived RPI; each key
// costs one AES key schedule.
func (m *Matcher) Match(dst []tracing.Match, keys []tracing.PublishedKey) ([]tracing.Match, error) {
	m.pad = PaddedData(0)
	p := &m.pad
	for ki := range keys {
		tek, start, period, err := keyParams(&keys[ki])
		if err != nil {
			return dst, fmt.Errorf("key %d: %w", ki, err)
		}
		rpik := hkdf16((*[KeyLen]byte)(&tek), "EN-RPIK")
		b, err := aes.NewCipher(rpik[:])
		if err != nil {
			return dst, err
		}
		// Encrypt all blocks first, then look them up, so that the
		// lookups' memory accesses overlap.
		for j := range period {
			binary.LittleEndian.PutUint32(p[12:], start+uint32(j))
			b.Encrypt(m.rpis[j][:KeyLen], p[:])
		}
		m.hits = m.hits[:0]
		for j := range period {
			id := &m.rpis[j]
			if !m.ix.MayContain(id) {
				continue
			}
			enin := start + uint32(j)
			from, to := window(enin)
			m.ix.Lookup(id, from, to, func(pos int) {
				m.hits = append(m.hits, hit{int32(pos), enin})
			})
		}
		if len(m.hits) == 0 {
			continue
		}
		slices.SortFunc(m.hits, func(a, b hit) int { return int(a.pos - b.pos) })
		for _, h := range m.hits {
			dst = append(dst, tracing.Match{Key: ki, Sighting: int(h.pos), Slot: int64(h.slot)})
		}
	}
	return dst, nil
}

// CryptoFloor does the cryptography a phone must do to match keys and
// nothing else: per key one HKDF (the matcher's), one AES key schedule and
// 144 AES blocks. It returns the XOR of all derived RPIs so the work cannot
// be optimised away. bluesim bench match reports matching speed against it.
func CryptoFloor(keys [][KeyLen]byte) [KeyLen]byte {
	var rpis [TEKRollingPeriod][KeyLen]byte
	var acc0, acc1 uint64
	p := PaddedData(0)
	for i := range keys {
		rpik := hkdf16(&keys[i], "EN-RPIK")
		b, _ := aes.NewCipher(rpik[:])
		for j := range TEKRollingPeriod {
			binary.LittleEndian.PutUint32(p[12:], uint32(j))
			b.Encrypt(rpis[j][:], p[:])
		}
		for j := range rpis {
			acc0 ^= binary.LittleEndian.Uint64(rpis[j][:8])
			acc1 ^= binary.LittleEndian.Uint64(rpis[j][8:])
		}
	}
	var out [KeyLen]byte
	binary.LittleEndian.PutUint64(out[:8], acc0)
	binary.LittleEndian.PutUint64(out[8:], acc1)
	return out
}
