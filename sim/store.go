package sim

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// rec is the compact form of a receiver's sightings of one advertiser
// within one ID rotation slot: who heard whom and where its entries start.
// Its entries run to the next record's first entry (or the segment's end),
// so the count is not stored. The ID bytes are the advertiser's device ID
// at the entries' instants, materialised through the protocol code; pfx
// caches the first four bytes for the join's probe. Sixteen bytes: a
// phone's sightings are the bulk of the engine's memory.
type rec struct {
	rx, tx int32 // phone numbers in the group
	first  int32 // index of the first entry in the segment's entries
	pfx    uint32
}

// entry is one sighting of a rec, packed in four bytes: the time in tenths
// of a second since the start of its day (24 bits; a day has 864,000) and
// the RSSI the receiver recorded (the low byte).
type entry uint32

// maxTenths is the first time an entry cannot hold.
const maxTenths = 1 << 24

func mkEntry(tenths int64, rssi int8) entry { return entry(uint32(tenths)<<8 | uint32(uint8(rssi))) }

// tenths is the entry's time in tenths of a second since its day's start.
func (en entry) tenths() int64 { return int64(en >> 8) }

func (en entry) rssi() int8 { return int8(uint8(en)) }

// maxRecEntries caps a record's entries, so that a run of one record fits
// a 16-bit count (a record spans one rotation slot, or one day for a
// static ID).
const maxRecEntries = math.MaxUint16

// blockLen is the length of the arrays a day's records and entries are
// stored in: a day grows block by block, never by copying a whole array
// (which would leave the old one as garbage and raise the peak), and a
// dropped day's blocks are reused as they are.
const (
	blockBits = 12
	blockLen  = 1 << blockBits
	blockMask = blockLen - 1
)

// blocks is a list of elements stored in arrays of blockLen: every array
// but the last is full.
type blocks[T any] struct {
	b [][]T
	n int32
}

func (l *blocks[T]) len() int32 { return l.n }

// at returns element i.
func (l *blocks[T]) at(i int32) *T { return &l.b[i>>blockBits][i&blockMask] }

// block returns the used part of block bi.
func (l *blocks[T]) block(bi int) []T {
	return l.b[bi][:min(blockLen, int(l.n)-bi*blockLen)]
}

// last returns the last element (the list must not be empty).
func (l *blocks[T]) last() *T { return l.at(l.n - 1) }

// push appends x, taking a new block from p when the last one is full.
func (l *blocks[T]) push(x T, p *blockPool[T]) {
	if int(l.n) == len(l.b)*blockLen {
		l.b = append(l.b, p.take())
	}
	l.b[l.n>>blockBits][l.n&blockMask] = x
	l.n++
}

// release hands the blocks to p and empties the list.
func (l *blocks[T]) release(p *blockPool[T]) {
	p.put(l.b)
	l.b, l.n = nil, 0
}

// blockPool is a free list of blocks, safe for concurrent use.
type blockPool[T any] struct {
	mu   sync.Mutex
	free [][]T
}

func (p *blockPool[T]) take() []T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b
	}
	return make([]T, blockLen)
}

func (p *blockPool[T]) put(bs [][]T) {
	p.mu.Lock()
	p.free = append(p.free, bs...)
	p.mu.Unlock()
}

// segment is one chunk's sightings of one day and group: records in the
// order the chunk made them, their entries, and in raw mode each entry's
// real sighting.
type segment struct {
	recs blocks[rec]
	ents blocks[entry]
	raw  []tracing.Sighting
	// up is the day every advertiser of the segment uploads, or -1 when
	// that is not known ahead (the epidemic, engine.all_sightings).
	up int
}

// span returns the entries of record i: [first, end).
func (s *segment) span(i int32) (int32, int32) {
	end := s.ents.n
	if i+1 < s.recs.n {
		end = s.recs.at(i + 1).first
	}
	return s.recs.at(i).first, end
}

// dayStore is one group's sightings of one day: the chunks' segments in
// chunk order. Concatenated, they are the day's records in a fixed order
// that does not depend on the workers.
type dayStore struct {
	segs []segment
	// recs and ents count the day's records and entries.
	recs, ents int
}

// store holds a group's retained days of sightings and the free blocks of
// days no upload can reach any more, which tomorrow's chunks fill.
type store struct {
	days []dayStore // by day of the run; empty once dropped
	rp   blockPool[rec]
	ep   blockPool[entry]
}

// drop releases day d: its blocks go to the free lists.
func (s *store) drop(d int) {
	if d < 0 || d >= len(s.days) {
		return
	}
	for i := range s.days[d].segs {
		s.days[d].segs[i].recs.release(&s.rp)
		s.days[d].segs[i].ents.release(&s.ep)
	}
	s.days[d] = dayStore{}
}

// dropUploads releases, in every retained day, the segments of
// advertisers who uploaded on day u: their sightings have been matched and
// no later upload can reach them.
func (s *store) dropUploads(u int) {
	for d := range s.days {
		ds := &s.days[d]
		k := 0
		for i := range ds.segs {
			sg := &ds.segs[i]
			if sg.up == u {
				ds.recs -= int(sg.recs.n)
				ds.ents -= int(sg.ents.n)
				sg.recs.release(&s.rp)
				sg.ents.release(&s.ep)
				continue
			}
			ds.segs[k] = *sg
			k++
		}
		clear(ds.segs[k:])
		ds.segs = ds.segs[:k]
	}
}

// reset drops every day.
func (s *store) reset() {
	for d := range s.days {
		s.drop(d)
	}
}

// set stores day d's segments.
func (s *store) set(d int, segs []segment) {
	ds := dayStore{segs: segs}
	for i := range segs {
		ds.recs += int(segs[i].recs.n)
		ds.ents += int(segs[i].ents.n)
	}
	s.days[d] = ds
}

// materialise fills each record's ID prefix of day d (and, in raw mode,
// every entry's whole sighting) through the advertisers' devices. Part p
// takes the advertisers with phone number p mod parts, so no device is
// used by two goroutines; all of a day's sightings fall in one day, so
// each device derives that day's keys once.
func (g *group) materialise(d int, dayMs int64, parts int, raw bool) error {
	ds := &g.store.days[d]
	if raw {
		for i := range ds.segs {
			ds.segs[i].raw = make([]tracing.Sighting, ds.segs[i].ents.n)
		}
	}
	parts = max(1, min(parts, ds.recs/2048))
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			errs[p] = g.materialisePart(ds, dayMs, p, parts, raw)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (g *group) materialisePart(ds *dayStore, dayMs int64, p, parts int, raw bool) error {
	for si := range ds.segs {
		sg := &ds.segs[si]
		for ri := range sg.recs.n {
			r := sg.recs.at(ri)
			if int(r.tx)%parts != p {
				continue
			}
			first, end := sg.span(ri)
			if !raw {
				id, err := g.devices[r.tx].IDAt(time.UnixMilli(entryMs(dayMs, *sg.ents.at(first))).UTC())
				if err != nil {
					return fmt.Errorf("%s ID of phone %d: %w", g.protocol, r.tx, err)
				}
				r.pfx = idPrefix(&id)
				continue
			}
			for k := first; k < end; k++ {
				s, err := g.sighting(r.tx, dayMs, *sg.ents.at(k))
				if err != nil {
					return err
				}
				sg.raw[k] = s
			}
			r.pfx = idPrefix(&sg.raw[first].ID)
		}
	}
	return nil
}

// entryMs is an entry's instant in Unix milliseconds, given its day's
// start.
func entryMs(dayMs int64, en entry) int64 { return dayMs + en.tenths()*100 }

// idPrefix is the first four bytes of an ID, the join's probe: IDs are
// uniformly random bytes, so the prefix itself is a hash.
func idPrefix(id *tracing.ID) uint32 {
	return uint32(id[0])<<24 | uint32(id[1])<<16 | uint32(id[2])<<8 | uint32(id[3])
}
