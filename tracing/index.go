package tracing

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// Index is a phone's sighting store prepared for lookups by ID, in the shape
// of the reference GAEN matcher's prefix-bucketed table: sighting positions
// sorted by ID bytes, with an offset table over the leading bits so that a
// lookup touches one small bucket. Build it once per matching run.
type Index struct {
	store   []Sighting
	order   []int32  // positions into store, sorted by ID then Time
	offsets []uint32 // bucket b holds order[offsets[b]:offsets[b+1]]
	shift   uint     // bucket = first 32 bits of the ID >> shift
}

// NewIndex indexes store. The store is not copied; do not modify it while
// the index is in use.
func NewIndex(store []Sighting) *Index {
	ix := &Index{store: store}
	ix.order = make([]int32, len(store))
	for i := range ix.order {
		ix.order[i] = int32(i)
	}
	slices.SortFunc(ix.order, func(a, b int32) int {
		if c := bytes.Compare(store[a].ID[:], store[b].ID[:]); c != 0 {
			return c
		}
		switch {
		case store[a].Time < store[b].Time:
			return -1
		case store[a].Time > store[b].Time:
			return 1
		}
		return int(a - b)
	})
	// About one sighting per bucket, at most 2^16 buckets as in the
	// reference matcher's PrefixIdMap.
	nbits := min(16, max(1, bits.Len(uint(len(store)))))
	ix.shift = uint(32 - nbits)
	ix.offsets = make([]uint32, (1<<nbits)+1)
	for _, p := range ix.order {
		ix.offsets[ix.bucket(&store[p].ID)+1]++
	}
	for b := 1; b < len(ix.offsets); b++ {
		ix.offsets[b] += ix.offsets[b-1]
	}
	return ix
}

func (ix *Index) bucket(id *ID) uint32 {
	return binary.BigEndian.Uint32(id[:4]) >> ix.shift
}

// Lookup calls fn with the store position of every sighting of id whose
// time lies in [from, to] (Unix milliseconds, inclusive), in time order. It
// does not allocate.
func (ix *Index) Lookup(id *ID, from, to int64, fn func(pos int)) {
	b := ix.bucket(id)
	for _, p := range ix.order[ix.offsets[b]:ix.offsets[b+1]] {
		s := &ix.store[p]
		if s.ID != *id {
			continue
		}
		if s.Time >= from && s.Time <= to {
			fn(int(p))
		}
	}
}

// Contains reports whether any sighting of id lies in [from, to].
func (ix *Index) Contains(id *ID, from, to int64) bool {
	b := ix.bucket(id)
	for _, p := range ix.order[ix.offsets[b]:ix.offsets[b+1]] {
		s := &ix.store[p]
		if s.ID == *id && s.Time >= from && s.Time <= to {
			return true
		}
	}
	return false
}

// Len is the number of indexed sightings.
func (ix *Index) Len() int { return len(ix.store) }
