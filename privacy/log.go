package privacy

import (
	"bytes"
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// Record is one sniffer log record: sniffer Sniffer heard broadcast ID ID
// (with protocol metadata Meta) in the scan window starting at Time, the
// strongest packet at RSSI dBm.
type Record struct {
	Sniffer uint32
	// Time is the start of the scan window (Unix milliseconds).
	Time int64
	// ID is the received broadcast ID; only the log's IDLen first bytes
	// are significant, the rest are zero.
	ID tracing.ID
	// RSSI is the strongest packet's received signal strength (dBm).
	RSSI int8
	// Meta are the protocol's metadata bytes received with the ID (GAEN's
	// encrypted AEM); zero for protocols without any (MetaLen 0).
	Meta [MetaLen]byte
}

// MetaLen is the largest number of metadata bytes a record carries (GAEN's
// 4-byte AEM).
const MetaLen = 4

// MaxSpanMs is the longest time a log may span: times are stored as
// 32-bit millisecond offsets from the log's base (about 49.7 days).
const MaxSpanMs = math.MaxUint32

// RSSI converts a radio report's RSSI (dBm) to a record's, rounded and
// clamped to the int8 range (-128..127).
func RSSI(dBm float32) int8 {
	switch r := math.Round(float64(dBm)); {
	case r <= math.MinInt8 || math.IsNaN(r):
		return math.MinInt8
	case r >= math.MaxInt8:
		return math.MaxInt8
	default:
		return int8(r)
	}
}

// entryLen is the size of one dictionary entry: ID bytes then metadata.
func entryLen(idLen, metaLen int) int { return idLen + metaLen }

// Log is a city-wide sniffer log, immutable once built: every record of
// every sniffer, sorted by (sniffer, time, ID and metadata bytes, RSSI), in
// a compact struct-of-arrays layout:
//
//   - a dictionary of the distinct (ID, metadata) pairs heard, sorted by
//     their bytes (IDLen+MetaLen bytes each), so an ID seen in many windows
//     is stored once;
//   - per record a 32-bit dictionary index, a 32-bit millisecond offset
//     from Base and an 8-bit RSSI: 9 bytes a record;
//   - per sniffer the offset of its first record.
//
// Build one with a Builder (the order records are added in does not
// matter: the same records always give the same Log, byte for byte in
// WriteTo), or read one with ReadLog. A Log is safe for concurrent reads.
type Log struct {
	idLen, metaLen int
	base           int64
	dict           []byte   // sorted distinct entries
	prefix         []uint32 // dict entries whose ID starts with bytes b0 b1 are [prefix[b], prefix[b+1])
	snOff          []uint32 // sniffer s's records are [snOff[s], snOff[s+1])
	key            []uint32 // per record: dictionary index
	t              []uint32 // per record: ms since base
	rssi           []int8   // per record
}

// IDLen is the number of significant bytes of every ID in the log.
func (l *Log) IDLen() int { return l.idLen }

// MetaLen is the number of metadata bytes per record (0 or 4).
func (l *Log) MetaLen() int { return l.metaLen }

// Base is the time origin of the stored offsets (Unix ms).
func (l *Log) Base() int64 { return l.base }

// Len is the number of records.
func (l *Log) Len() int { return len(l.key) }

// Sniffers is the number of sniffers the log was built for.
func (l *Log) Sniffers() int { return len(l.snOff) - 1 }

// SnifferRange returns the records of sniffer s: positions [lo, hi).
func (l *Log) SnifferRange(s int) (lo, hi int) { return int(l.snOff[s]), int(l.snOff[s+1]) }

// Entries is the number of distinct (ID, metadata) pairs heard.
func (l *Log) Entries() int { return len(l.dict) / entryLen(l.idLen, l.metaLen) }

// Entry returns dictionary entry k: its ID and metadata.
func (l *Log) Entry(k int) (tracing.ID, [MetaLen]byte) {
	var id tracing.ID
	var meta [MetaLen]byte
	n := entryLen(l.idLen, l.metaLen)
	e := l.dict[k*n : (k+1)*n]
	copy(id[:], e[:l.idLen])
	copy(meta[:], e[l.idLen:])
	return id, meta
}

// Key is record i's dictionary entry.
func (l *Log) Key(i int) int { return int(l.key[i]) }

// Time is record i's time (Unix ms).
func (l *Log) Time(i int) int64 { return l.base + int64(l.t[i]) }

// RSSI is record i's RSSI (dBm).
func (l *Log) RSSI(i int) int8 { return l.rssi[i] }

// Record materialises record i, which belongs to sniffer s.
func (l *Log) record(i, s int) Record {
	id, meta := l.Entry(int(l.key[i]))
	return Record{Sniffer: uint32(s), Time: l.Time(i), ID: id, RSSI: l.rssi[i], Meta: meta}
}

// Records iterates over every record in log order.
func (l *Log) Records() iter.Seq2[int, Record] {
	return func(yield func(int, Record) bool) {
		for s := range l.Sniffers() {
			lo, hi := l.SnifferRange(s)
			for i := lo; i < hi; i++ {
				if !yield(i, l.record(i, s)) {
					return
				}
			}
		}
	}
}

// Lookup returns the dictionary entries whose ID equals id's first IDLen
// bytes: [lo, hi), empty if the ID was never heard. Entries with the same
// ID differ in their metadata (or, for short IDs, belong to phones whose
// IDs collide: the attacks see what a real sniffer sees).
func (l *Log) Lookup(id *tracing.ID) (lo, hi int) {
	if len(l.dict) == 0 {
		return 0, 0
	}
	b := int(id[0]) << 8
	if l.idLen > 1 {
		b |= int(id[1])
	}
	lo, hi = int(l.prefix[b]), int(l.prefix[b+1])
	n := entryLen(l.idLen, l.metaLen)
	want := id[:l.idLen]
	lo += sortSearch(hi-lo, func(k int) bool {
		return bytes.Compare(l.dict[(lo+k)*n:(lo+k)*n+l.idLen], want) >= 0
	})
	end := lo
	for end < hi && bytes.Equal(l.dict[end*n:end*n+l.idLen], want) {
		end++
	}
	return lo, end
}

func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(m) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Bytes is the memory the log holds (its slices' lengths), for the
// bytes-per-record benchmarks.
func (l *Log) Bytes() int64 {
	return int64(len(l.dict)) + 4*int64(len(l.prefix)+len(l.snOff)+len(l.key)+len(l.t)) + int64(len(l.rssi))
}

// buildPrefix fills the two-byte prefix table of the dictionary.
func (l *Log) buildPrefix() {
	l.prefix = nil
	if len(l.dict) == 0 {
		return
	}
	n := entryLen(l.idLen, l.metaLen)
	l.prefix = make([]uint32, 1<<16+1)
	for k := 0; k < len(l.dict)/n; k++ {
		e := l.dict[k*n:]
		b1 := byte(0)
		if l.idLen > 1 {
			b1 = e[1]
		}
		l.prefix[int(e[0])<<8|int(b1)+1]++
	}
	for b := 1; b < len(l.prefix); b++ {
		l.prefix[b] += l.prefix[b-1]
	}
}

// postings returns, for every dictionary entry k, the positions of its
// records [off[k], off[k+1]) in pos, ordered by (sniffer, time): the log's
// inverted index, 4 bytes a record.
func (l *Log) postings() (off, pos []uint32) {
	off = make([]uint32, l.Entries()+1)
	for _, k := range l.key {
		off[k+1]++
	}
	for k := 1; k < len(off); k++ {
		off[k] += off[k-1]
	}
	pos = make([]uint32, len(l.key))
	next := slices.Clone(off[:len(off)-1])
	for i, k := range l.key {
		pos[next[k]] = uint32(i)
		next[k]++
	}
	return off, pos
}

// snifferOf returns the sniffer of record i.
func (l *Log) snifferOf(i int) int {
	return sortSearch(len(l.snOff)-1, func(s int) bool { return l.snOff[s+1] > uint32(i) })
}

// Builder collects sniffer records in any order and builds a Log. It is
// not safe for concurrent use: give each worker its own and Merge them.
// It holds 12 bytes a record plus one map entry per distinct (ID,
// metadata) pair.
type Builder struct {
	idLen, metaLen int
	base           int64
	dict           map[entryKey]uint32
	entries        []entryKey
	recs           [][]brec // per sniffer
	n              int
}

type entryKey [tracing.MaxIDLen + MetaLen]byte

type brec struct {
	t    uint32
	key  uint32
	rssi int8
}

// NewBuilder starts a log of sniffers sniffers, for IDs of idLen bytes
// (the protocol's tracing.Info.IDLen) with metaLen metadata bytes (4 for
// GAEN's AEM, else 0). Every record's time must lie in [base, base +
// MaxSpanMs]: base is typically the run's first instant.
func NewBuilder(sniffers, idLen, metaLen int, base int64) (*Builder, error) {
	switch {
	case sniffers < 0 || sniffers > math.MaxUint32-1:
		return nil, fmt.Errorf("privacy: a log of %d sniffers: want 0 to %d", sniffers, uint32(math.MaxUint32-1))
	case idLen < 1 || idLen > tracing.MaxIDLen:
		return nil, fmt.Errorf("privacy: ID length %d: want 1 to %d bytes", idLen, tracing.MaxIDLen)
	case metaLen != 0 && metaLen != MetaLen:
		return nil, fmt.Errorf("privacy: metadata length %d: want 0 or %d bytes", metaLen, MetaLen)
	case base > math.MaxInt64-MaxSpanMs:
		return nil, fmt.Errorf("privacy: log base %d (Unix ms) leaves no room for %d ms of records", base, int64(MaxSpanMs))
	}
	return &Builder{
		idLen: idLen, metaLen: metaLen, base: base,
		dict: map[entryKey]uint32{}, recs: make([][]brec, sniffers),
	}, nil
}

// Len is the number of records added so far.
func (b *Builder) Len() int { return b.n }

// Add adds one record. The bytes of r.ID past IDLen and of r.Meta past
// MetaLen are ignored.
func (b *Builder) Add(r Record) error {
	if int64(r.Sniffer) >= int64(len(b.recs)) {
		return fmt.Errorf("privacy: record of sniffer %d in a log of %d sniffers", r.Sniffer, len(b.recs))
	}
	off := uint64(r.Time) - uint64(b.base) // exact when r.Time >= base
	if r.Time < b.base || off > MaxSpanMs {
		return fmt.Errorf("privacy: record time %d (Unix ms) outside the log's span %d..%d", r.Time, b.base, b.base+MaxSpanMs)
	}
	var e entryKey
	copy(e[:b.idLen], r.ID[:b.idLen])
	copy(e[b.idLen:], r.Meta[:b.metaLen])
	k, ok := b.dict[e]
	if !ok {
		k = uint32(len(b.entries))
		if k == math.MaxUint32 {
			return fmt.Errorf("privacy: more than %d distinct IDs in one log", uint32(math.MaxUint32-1))
		}
		b.dict[e] = k
		b.entries = append(b.entries, e)
	}
	if b.n >= math.MaxUint32 {
		return fmt.Errorf("privacy: more than %d records in one log", uint32(math.MaxUint32-1))
	}
	b.recs[r.Sniffer] = append(b.recs[r.Sniffer], brec{t: uint32(off), key: k, rssi: r.RSSI})
	b.n++
	return nil
}

// Merge moves every record of o into b (o is left empty). Both must have
// the same shape (sniffers, ID and metadata lengths, base).
func (b *Builder) Merge(o *Builder) error {
	if b.n+o.n >= math.MaxUint32 {
		return fmt.Errorf("privacy: merging %d records into %d makes more than %d in one log", o.n, b.n, uint32(math.MaxUint32-1))
	}
	if o.idLen != b.idLen || o.metaLen != b.metaLen || o.base != b.base || len(o.recs) != len(b.recs) {
		return fmt.Errorf("privacy: merging a log of %d sniffers, %d+%d-byte IDs from %d into one of %d sniffers, %d+%d-byte IDs from %d",
			len(o.recs), o.idLen, o.metaLen, o.base, len(b.recs), b.idLen, b.metaLen, b.base)
	}
	remap := make([]uint32, len(o.entries))
	for k, e := range o.entries {
		nk, ok := b.dict[e]
		if !ok {
			nk = uint32(len(b.entries))
			b.dict[e] = nk
			b.entries = append(b.entries, e)
		}
		remap[k] = nk
	}
	for s, rs := range o.recs {
		for _, r := range rs {
			r.key = remap[r.key]
			b.recs[s] = append(b.recs[s], r)
		}
	}
	b.n += o.n
	*o = Builder{idLen: o.idLen, metaLen: o.metaLen, base: o.base, dict: map[entryKey]uint32{}, recs: make([][]brec, len(o.recs))}
	return nil
}

// compareBrec orders records by (time, dictionary index, RSSI), written
// out rather than with cmp.Or, which evaluates every comparison: sorting is
// most of Build's time.
func compareBrec(x, y brec) int {
	switch {
	case x.t != y.t:
		if x.t < y.t {
			return -1
		}
		return 1
	case x.key != y.key:
		if x.key < y.key {
			return -1
		}
		return 1
	}
	return int(x.rssi) - int(y.rssi)
}

// Build sorts the records and returns the log; the builder is left empty.
// The result depends only on the set of records added.
func (b *Builder) Build() *Log {
	n := entryLen(b.idLen, b.metaLen)
	order := make([]uint32, len(b.entries))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int {
		return bytes.Compare(b.entries[x][:n], b.entries[y][:n])
	})
	rank := make([]uint32, len(order))
	l := &Log{idLen: b.idLen, metaLen: b.metaLen, base: b.base, dict: make([]byte, 0, len(order)*n)}
	for r, k := range order {
		rank[k] = uint32(r)
		l.dict = append(l.dict, b.entries[k][:n]...)
	}
	l.snOff = make([]uint32, len(b.recs)+1)
	l.key = make([]uint32, 0, b.n)
	l.t = make([]uint32, 0, b.n)
	l.rssi = make([]int8, 0, b.n)
	for s, rs := range b.recs {
		for i := range rs {
			rs[i].key = rank[rs[i].key]
		}
		slices.SortFunc(rs, compareBrec)
		for _, r := range rs {
			l.key = append(l.key, r.key)
			l.t = append(l.t, r.t)
			l.rssi = append(l.rssi, r.rssi)
		}
		l.snOff[s+1] = uint32(len(l.key))
		b.recs[s] = nil
	}
	l.buildPrefix()
	*b = Builder{idLen: b.idLen, metaLen: b.metaLen, base: b.base, dict: map[entryKey]uint32{}, recs: make([][]brec, len(b.recs))}
	return l
}
