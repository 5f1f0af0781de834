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
//
// In front of the buckets sits a one-word blocked Bloom filter over the
// stored IDs (see MayContain). A matcher derives every ID a published key
// implies and almost none of them were sighted; the filter rejects all but
// about 0.4% of those with one load from a table small enough to stay in
// L2 cache (256 KiB at 100,000 sightings), instead of three dependent
// random loads into the index (offsets, order, store), each a likely cache
// miss. Every protocol's matcher gets it through Lookup, Contains and
// MayContain.
type Index struct {
	store   []Sighting
	order   []int32  // positions into store, sorted by ID then Time
	offsets []uint32 // bucket b holds order[offsets[b]:offsets[b+1]]
	shift   uint     // bucket = first 32 bits of the ID >> shift
	filter  []uint64 // blocked Bloom filter, a power-of-two number of words
	fshift  uint     // word = top log2(len(filter)) bits of the hash
}

// NewIndex indexes store. The store is not copied; do not modify it while
// the index is in use.
func NewIndex(store []Sighting) *Index {
	ix := &Index{store: store}
	// About one sighting per bucket, at most 2^16 buckets as in the
	// reference matcher's PrefixIdMap.
	nbits := min(16, max(1, bits.Len(uint(len(store)))))
	ix.shift = uint(32 - nbits)
	ix.offsets = make([]uint32, (1<<nbits)+1)
	// The order (by ID bytes, then time, then position) is built bucket by
	// bucket: the bucket is the ID's leading bits, so a counting sort by
	// bucket, stable in position, orders the IDs by those bits, and only
	// each bucket's few entries need a comparison sort. That costs O(n)
	// where sorting the whole store by bytes.Compare cost O(n log n), a
	// tenth of a phone's matching time at bench sizes.
	for i := range store {
		ix.offsets[ix.bucket(&store[i].ID)+1]++
	}
	for b := 1; b < len(ix.offsets); b++ {
		ix.offsets[b] += ix.offsets[b-1]
	}
	// Place each position at its bucket's cursor (offsets[b] moves from
	// the bucket's start to its end, the next bucket's start), then shift
	// the offsets back by one bucket.
	ix.order = make([]int32, len(store))
	for i := range store {
		b := ix.bucket(&store[i].ID)
		ix.order[ix.offsets[b]] = int32(i)
		ix.offsets[b]++
	}
	copy(ix.offsets[1:], ix.offsets[:len(ix.offsets)-1])
	ix.offsets[0] = 0
	for b := 0; b+1 < len(ix.offsets); b++ {
		sortBucket(store, ix.order[ix.offsets[b]:ix.offsets[b+1]])
	}
	// 2^k words with 2^k*64 >= 16*len(store) (16 to 32 bits a sighting,
	// three of them set per ID), at least one word.
	wbits := max(0, bits.Len(uint(len(store)))-2)
	ix.filter = make([]uint64, 1<<wbits)
	ix.fshift = uint(64 - wbits)
	for i := range store {
		w, m := ix.probe(&store[i].ID)
		ix.filter[w] |= m
	}
	return ix
}

// cmpSighting orders store positions a and b by ID bytes, then time, then
// position: the index's order.
func cmpSighting(store []Sighting, a, b int32) int {
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
}

// sortBucket sorts one bucket's positions (ascending on entry) into the
// index's order: by insertion for the usual handful, else by slices.
func sortBucket(store []Sighting, ps []int32) {
	if len(ps) > 12 {
		slices.SortFunc(ps, func(a, b int32) int { return cmpSighting(store, a, b) })
		return
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && cmpSighting(store, ps[j-1], ps[j]) > 0; j-- {
			ps[j-1], ps[j] = ps[j], ps[j-1]
		}
	}
}

// probe maps an ID to a filter word and a three-bit mask within it. It
// hashes every ID byte except the first two, which hold the (at most 16)
// bucket bits: the filter and the buckets then reject independently. It
// mixes rather than taking raw bytes because IDs are not all 16 uniform
// bytes: Bluezone's are 12 (v2) or 6 (v1) followed by zeros, and one
// multiply of the two halves XORed together spreads the significant bytes
// over the whole word. The word
// index comes from the product's top bits, the three bit positions from
// bits 22..39 (not the lowest: a product's bit k depends only on the
// factors' bits 0..k, and the bytes 0..1 masked off are zero). The word
// index takes bits 40 and up unless the store has over 2^26 sightings.
func (ix *Index) probe(id *ID) (w, mask uint64) {
	lo := binary.LittleEndian.Uint64(id[:8]) &^ 0xffff
	hi := binary.LittleEndian.Uint64(id[8:])
	h := (lo ^ hi) * 0x9e3779b97f4a7c15
	w = h >> ix.fshift // Go shifts by 64 give 0: the one-word filter
	return w, 1<<((h>>22)&63) | 1<<((h>>28)&63) | 1<<((h>>34)&63)
}

// MayContain reports whether id may have been sighted at all, at any time.
// False means it certainly was not; true is wrong for about 0.4% of
// unsighted IDs at bench sizes (TestIndexFilterRejects). It costs one
// multiply and one load from a cache-resident table, so a matcher that
// derives many IDs in a batch can test them all before it pays for Lookup
// on the few that pass. Lookup and Contains apply it themselves.
func (ix *Index) MayContain(id *ID) bool {
	w, m := ix.probe(id)
	return ix.filter[w]&m == m
}

func (ix *Index) bucket(id *ID) uint32 {
	return binary.BigEndian.Uint32(id[:4]) >> ix.shift
}

// Lookup calls fn with the store position of every sighting of id whose
// time lies in [from, to] (Unix milliseconds, inclusive), in time order. It
// does not allocate.
func (ix *Index) Lookup(id *ID, from, to int64, fn func(pos int)) {
	if !ix.MayContain(id) {
		return
	}
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
	if !ix.MayContain(id) {
		return false
	}
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
