package privacy

import (
	"fmt"
	"math"

	"github.com/bluesim/bluesim/tracing"
)

// Linking is the result of the linking attack over one log.
type Linking struct {
	log *Log
	// track is every dictionary entry's track number.
	track []uint32
	// Tracks are the chains of IDs the attack built, numbered in the
	// order of their smallest dictionary entry.
	Tracks []Track
	// Bridges are the rotations the attack bridged, in the order it
	// accepted them (cheapest first).
	Bridges []Bridge
	// Records is the number of log records (sniffed windows).
	Records int64
	// LongRecords is the number of records in tracks spanning at least
	// LongTrackMinutes.
	LongRecords int64
	// MultiDayRecords is the number of records in tracks seen on more
	// than one local calendar day.
	MultiDayRecords int64
}

// Track is one chain of IDs the attack believes to be one phone.
type Track struct {
	// First is the start of its first sighting's window, End the end of
	// its last one's (Unix ms).
	First, End int64
	// Records is how many sniffed windows it holds; IDs how many
	// dictionary entries (distinct IDs) it chains.
	Records, IDs int
	// FirstDay and LastDay are the local calendar days (days since
	// 1970-01-01 on the local clock) of its first and last sightings.
	FirstDay, LastDay int64
}

// Minutes is the track's span in minutes.
func (t Track) Minutes() float64 { return float64(t.End-t.First) / 60_000 }

// Bridge is one rotation bridged by the attack: dictionary entry From
// stopped and To started GapMs later, both heard by Shared sniffers around
// the switch, their edge RSSIs DeltaDB apart on average (see Link).
type Bridge struct {
	From, To int
	Shared   int
	GapMs    int64
	DeltaDB  float64
}

// TrackOf returns the track of dictionary entry k.
func (ln *Linking) TrackOf(k int) int { return int(ln.track[k]) }

// MeanTrackMinutes is the mean span of the tracks in minutes (NaN with no
// track).
func (ln *Linking) MeanTrackMinutes() float64 {
	if len(ln.Tracks) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, t := range ln.Tracks {
		sum += t.Minutes()
	}
	return sum / float64(len(ln.Tracks))
}

// Link runs the linking attack on log, whose IDs are of the protocol info
// describes, heard by sniffers (the network that made the log).
//
// Identical ID bytes are one identity wherever and whenever they are
// heard: a static ID (Bluezone v1's) links a phone across sniffers and
// days with no further work, and a rotating protocol's IDs are never
// bridged to each other when info.Rotation is 0.
//
// Rotating IDs are chained by timing and signal continuity, the tracking
// approach discussed for GAEN's synchronised change of MAC address and RPI
// by Baumgärtner et al. ("Mind the GAP: Security & Privacy Risks of
// Contact Tracing Apps", 2020, arXiv:2006.05914); the thresholds are
// bluesim's (LinkParams documents each). An ID that stops and one that
// starts right after it, heard by the same sniffers about equally
// strongly, are taken to be one phone before and after its rotation:
//
//   - the sightings of an ID at a sniffer are split into visits
//     (VisitGapS); the ID ends where its last visit at each sniffer ends
//     and begins where its first visit begins, with the mean RSSI of the
//     EdgeSamples sightings at that edge;
//   - a successor starts within MaxGapS after the ID's last sighting
//     anywhere (or in the same window), across one of the protocol's
//     rotation instants when AlignedRotation, at a sniffer that heard the
//     ID end;
//   - their RSSI discrepancy, the mean over the sniffers around either
//     edge of the edge RSSI difference (or MaxRSSIDeltaDB where only one
//     of the two was heard), is at most MaxRSSIDeltaDB: with many sniffers
//     this compares the phone's signal fingerprint across the network;
//   - each stopping ID keeps its Candidates cheapest successors (cost =
//     discrepancy / MaxRSSIDeltaDB + gap / MaxGapS), and a greedy
//     assignment accepts candidates cheapest first, each ID getting at
//     most one successor and one predecessor (ties broken by ID bytes, so
//     the result is deterministic).
//
// Tracks are the chains (connected components) of bridged IDs.
//
// The linked-time share is LongRecords / Records: sniffed time counted in
// sniffer windows (one record is one window in which a sniffer heard the
// ID), the share of it in tracks spanning at least LongTrackMinutes.
func Link(log *Log, sniffers []Sniffer, info tracing.Info, p Params) (*Linking, error) {
	if err := checkInputs(log, sniffers, info, p); err != nil {
		return nil, err
	}
	lp := p.Link
	ne := log.Entries()
	off, pos := log.postings()
	windows := windowsOf(sniffers)

	cands := candidates(log, off, pos, windows, info, lp)
	// Greedy assignment and union-find over the entries.
	ln := &Linking{log: log, Records: int64(log.Len())}
	const none = math.MaxUint32
	succ := make([]uint32, ne)
	pred := make([]uint32, ne)
	parent := make([]uint32, ne)
	for k := range ne {
		succ[k], pred[k], parent[k] = none, none, uint32(k)
	}
	find := func(x uint32) uint32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, c := range cands {
		if succ[c.from] != none || pred[c.to] != none {
			continue
		}
		succ[c.from], pred[c.to] = c.to, c.from
		ln.Bridges = append(ln.Bridges, Bridge{From: int(c.from), To: int(c.to), Shared: int(c.shared), GapMs: c.gap, DeltaDB: float64(c.rssi)})
		ra, rb := find(c.from), find(c.to)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}

	// Tracks, numbered by their smallest entry.
	ln.track = make([]uint32, ne)
	for k := range ne {
		r := find(uint32(k))
		if r == uint32(k) {
			ln.track[k] = uint32(len(ln.Tracks))
			ln.Tracks = append(ln.Tracks, Track{First: math.MaxInt64, End: math.MinInt64, FirstDay: math.MaxInt64, LastDay: math.MinInt64})
		} else {
			ln.track[k] = ln.track[r] // r < k: numbered already
		}
		ln.Tracks[ln.track[k]].IDs++
	}
	for s := range log.Sniffers() {
		lo, hi := log.SnifferRange(s)
		for i := lo; i < hi; i++ {
			tr := &ln.Tracks[ln.track[log.key[i]]]
			t := log.Time(i)
			tr.Records++
			tr.First = min(tr.First, t)
			tr.End = max(tr.End, t+windows[s])
			d := p.localDay(t)
			tr.FirstDay, tr.LastDay = min(tr.FirstDay, d), max(tr.LastDay, d)
		}
	}
	long := msOf(lp.LongTrackMinutes * 60)
	for _, t := range ln.Tracks {
		if t.End-t.First >= long {
			ln.LongRecords += int64(t.Records)
		}
		if t.LastDay > t.FirstDay {
			ln.MultiDayRecords += int64(t.Records)
		}
	}
	return ln, nil
}

func windowsOf(sniffers []Sniffer) []int64 {
	w := make([]int64, len(sniffers))
	for i, s := range sniffers {
		w[i] = s.Scan.WindowMs()
	}
	return w
}

// checkInputs validates what every attack takes.
func checkInputs(log *Log, sniffers []Sniffer, info tracing.Info, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := checkSniffers(sniffers); err != nil {
		return err
	}
	switch {
	case log == nil:
		return fmt.Errorf("privacy: no sniffer log")
	case log.Sniffers() != len(sniffers):
		return fmt.Errorf("privacy: the log is of %d sniffers, the network has %d", log.Sniffers(), len(sniffers))
	case log.IDLen() != info.IDLen:
		return fmt.Errorf("privacy: the log holds %d-byte IDs, protocol %s broadcasts %d-byte IDs", log.IDLen(), info.Name, info.IDLen)
	case info.Rotation < 0:
		return fmt.Errorf("privacy: protocol %s has a negative rotation period %v", info.Name, info.Rotation)
	}
	return nil
}
