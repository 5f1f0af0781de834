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

// segment is one chunk's sightings of one day and group: records in the
// order the chunk made them, their entries, and in raw mode each entry's
// real sighting.
type segment struct {
	recs []rec
	ents []entry
	raw  []tracing.Sighting
}

// span returns the entries of record i: [first, end).
func (s *segment) span(i int) (int32, int32) {
	end := int32(len(s.ents))
	if i+1 < len(s.recs) {
		end = s.recs[i+1].first
	}
	return s.recs[i].first, end
}

// dayStore is one group's sightings of one day: the chunks' segments in
// chunk order. Concatenated, they are the day's records in a fixed order
// that does not depend on the workers.
type dayStore struct {
	segs []segment
	// recs and ents count the day's records and entries.
	recs, ents int
}

// store holds a group's retained days of sightings and a free list of the
// arrays of days no upload can reach any more, handed to tomorrow's
// chunks so that a day's sightings do not regrow from empty.
type store struct {
	days []dayStore // by day of the run; empty once dropped
	mu   sync.Mutex
	free []segment // truncated arrays for reuse
}

// take returns empty record and entry slices for a new chunk, reusing a
// freed day's arrays. Safe for concurrent use.
func (s *store) take() segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		sg := s.free[n-1]
		s.free = s.free[:n-1]
		return sg
	}
	return segment{}
}

// drop releases day d: its arrays go to the free list.
func (s *store) drop(d int) {
	if d < 0 || d >= len(s.days) {
		return
	}
	for _, sg := range s.days[d].segs {
		if cap(sg.recs) > 0 || cap(sg.ents) > 0 {
			s.free = append(s.free, segment{recs: sg.recs[:0], ents: sg.ents[:0]})
		}
	}
	s.days[d] = dayStore{}
}

// reset forgets every day and the free list.
func (s *store) reset() {
	clear(s.days)
	s.free = nil
}

// set stores day d's segments.
func (s *store) set(d int, segs []segment) {
	ds := dayStore{segs: segs}
	for i := range segs {
		ds.recs += len(segs[i].recs)
		ds.ents += len(segs[i].ents)
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
			ds.segs[i].raw = make([]tracing.Sighting, len(ds.segs[i].ents))
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
		for i := range sg.recs {
			r := &sg.recs[i]
			if int(r.tx)%parts != p {
				continue
			}
			first, end := sg.span(i)
			if !raw {
				id, err := g.devices[r.tx].IDAt(time.UnixMilli(entryMs(dayMs, sg.ents[first])).UTC())
				if err != nil {
					return fmt.Errorf("%s ID of phone %d: %w", g.protocol, r.tx, err)
				}
				r.pfx = idPrefix(&id)
				continue
			}
			for k := first; k < end; k++ {
				s, err := g.sighting(r.tx, dayMs, sg.ents[k])
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
