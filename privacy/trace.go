package privacy

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// Tracing is the result of diagnosed-user tracing over one log.
type Tracing struct {
	log     *Log
	windows []int64
	// Keys has one entry per published key, in the order given.
	Keys []KeyTrace
	// IDsRecomputed is how many broadcast IDs the keys expanded to.
	IDsRecomputed int64
}

// KeyTrace is what the published key Key reveals of its holder: every
// sighting of the IDs it implies, inside each ID's matching window.
type KeyTrace struct {
	// Key is the key's index in the keys given to Trace.
	Key int
	// IDs is how many broadcast IDs the key expands to; IDsHeard how many
	// of them a sniffer heard.
	IDs, IDsHeard int
	// Sightings is how many log records match.
	Sightings int
	// First is the start of the first matched window, End the end of the
	// last one (Unix ms; both 0 without a sighting).
	First, End int64
	// Path is the holder's movements: the matched sightings in time
	// order, consecutive ones at the same sniffer merged into one stop.
	Path []Stop
	// Night counts the sightings in the local night per sniffer, by
	// sniffer.
	Night []SnifferCount
	// Home is the sniffer with the strongest night signal (home: the most
	// night sightings, each weighted by its RSSI; the lowest ID on a
	// tie), -1 without any.
	Home int
	// Reconstructed is Sightings >= MinSightings.
	Reconstructed bool
	// recs are the matched records, in log order.
	recs []uint32
}

// Stop is one stay of a traced phone at a sniffer: sightings at Sniffer
// from the window starting at From to the window ending at To (Unix ms).
type Stop struct {
	Sniffer   uint32
	From, To  int64
	Sightings int
}

// SnifferCount is a number of sightings at one sniffer, and their
// signal: the sum over them of RSSI + 128 dB (each sighting weighted by
// how strongly it was heard, every weight positive).
type SnifferCount struct {
	Sniffer uint32
	Count   int
	Signal  int64
}

// signalOf is a sighting's weight in SnifferCount.Signal.
func signalOf(rssi int8) int64 { return int64(rssi) + 128 }

// Minutes is the span of the key's sightings in minutes (0 without any).
func (k *KeyTrace) Minutes() float64 { return float64(k.End-k.First) / 60_000 }

// Trace runs diagnosed-user tracing: for each published key (as read from
// the key server's exports: ReadGAENExport, ReadBluezoneF0List,
// ReadDP3TExposed), it recomputes every ID the key implies with the
// protocol's own code (proto.Expand: GAEN's 144 RPIs of a TEK, the 96
// slot IDs of each Bluezone day from the daily key on, DP-3T's EphIDs of
// each day from SK_t on), joins them with the log on the ID bytes and each
// ID's matching window (the protocol's own: GAEN's ±2 h clock drift,
// Bluezone's inclusive slot, DP-3T's day up to publication), and
// reconstructs the holder's movements. The holder's home is taken to be
// the sniffer with the strongest signal in the local night (NightFromHour
// to NightToHour): its sightings of the key, each weighted by RSSI + 128,
// so that of two sniffers hearing the house all night the nearer one
// wins; the key counts as reconstructed with at least
// MinSightings sightings.
//
// A published key is what the adversary can tell apart: a GAEN TEK is one
// uploader-day (an upload's keys are unlinkable in the export), a Bluezone
// F0 entry or a DP-3T (SK_t, t) covers one uploader from its day on.
func Trace(log *Log, sniffers []Sniffer, proto tracing.Protocol, keys []tracing.PublishedKey, p Params) (*Tracing, error) {
	if proto == nil {
		return nil, fmt.Errorf("privacy: no protocol to expand the published keys with")
	}
	if err := checkInputs(log, sniffers, proto.Info(), p); err != nil {
		return nil, err
	}
	windows := windowsOf(sniffers)
	off, pos := log.postings()
	tr := &Tracing{log: log, windows: windows, Keys: make([]KeyTrace, len(keys))}
	var bs []tracing.Broadcast
	type hit struct {
		rec  uint32
		cast uint32 // broadcast index within the key
	}
	var hits []hit
	for ki, key := range keys {
		var err error
		bs, err = proto.Expand(bs[:0], key)
		if err != nil {
			return nil, fmt.Errorf("privacy: published key %d: %w", ki, err)
		}
		tr.IDsRecomputed += int64(len(bs))
		hits = hits[:0]
		for bi := range bs {
			b := &bs[bi]
			lo, hi := log.Lookup(&b.ID)
			for k := lo; k < hi; k++ {
				for _, r := range pos[off[k]:off[k+1]] {
					if t := log.Time(int(r)); t >= b.From && t <= b.To {
						hits = append(hits, hit{r, uint32(bi)})
					}
				}
			}
		}
		slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(a.rec, b.rec), cmp.Compare(a.cast, b.cast)) })
		kt := KeyTrace{Key: ki, IDs: len(bs), Home: -1}
		heard := map[uint32]bool{}
		for i, h := range hits {
			heard[h.cast] = true
			if i == 0 || h.rec != hits[i-1].rec {
				kt.recs = append(kt.recs, h.rec)
			}
		}
		kt.IDsHeard = len(heard)
		tr.fill(&kt, &p)
		tr.Keys[ki] = kt
	}
	return tr, nil
}

// fill computes a key's path, span and night counts from its records.
func (tr *Tracing) fill(kt *KeyTrace, p *Params) {
	log, windows := tr.log, tr.windows
	kt.Sightings = len(kt.recs)
	kt.Reconstructed = kt.Sightings >= p.Trace.MinSightings
	if kt.Sightings == 0 {
		return
	}
	type sr struct {
		t       int64
		sniffer uint32
	}
	seq := make([]sr, len(kt.recs))
	night := map[uint32]SnifferCount{}
	for i, r := range kt.recs {
		s := uint32(log.snifferOf(int(r)))
		seq[i] = sr{log.Time(int(r)), s}
		if p.night(seq[i].t) {
			c := night[s]
			c.Sniffer, c.Count, c.Signal = s, c.Count+1, c.Signal+signalOf(log.RSSI(int(r)))
			night[s] = c
		}
	}
	slices.SortFunc(seq, func(a, b sr) int { return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.sniffer, b.sniffer)) })
	kt.First = seq[0].t
	for _, x := range seq {
		end := x.t + windows[x.sniffer]
		kt.End = max(kt.End, end)
		if n := len(kt.Path); n > 0 && kt.Path[n-1].Sniffer == x.sniffer {
			kt.Path[n-1].To = max(kt.Path[n-1].To, end)
			kt.Path[n-1].Sightings++
			continue
		}
		kt.Path = append(kt.Path, Stop{Sniffer: x.sniffer, From: x.t, To: end, Sightings: 1})
	}
	for _, c := range night {
		kt.Night = append(kt.Night, c)
	}
	slices.SortFunc(kt.Night, func(a, b SnifferCount) int { return cmp.Compare(a.Sniffer, b.Sniffer) })
	kt.Home = home(kt.Night)
}

// home is the sniffer with the largest night signal (SnifferCount.Signal:
// sightings weighted by their strength), the lowest ID on a tie; -1 for
// none. Counting sightings alone cannot tell the sniffer across the
// street from the one a block away once both hear the house in every
// window; the weaker signal of the farther one can.
func home(counts []SnifferCount) int {
	best, n := -1, int64(0)
	for _, c := range counts {
		if c.Signal > n {
			best, n = int(c.Sniffer), c.Signal
		}
	}
	return best
}

// SlotMinutes is the counterfactual of a per-slot publication: had the
// server published each of the key's IDs on its own (unlinkable to each
// other, as DP-3T's unlinkable design does), the adversary would only
// connect them through its linking attack. It returns the span in
// minutes of the longest run of this key's sightings that one track of ln
// holds (0 without a sighting). ln must come from the same log.
func (tr *Tracing) SlotMinutes(kt *KeyTrace, ln *Linking) (float64, error) {
	ms, err := tr.slotSpan(kt, ln)
	return float64(ms) / 60_000, err
}

// slotSpan is SlotMinutes in milliseconds.
func (tr *Tracing) slotSpan(kt *KeyTrace, ln *Linking) (int64, error) {
	if ln.log != tr.log {
		return 0, fmt.Errorf("privacy: the linking and the tracing are of different logs")
	}
	if len(kt.recs) == 0 {
		return 0, nil
	}
	log := tr.log
	type span struct{ first, end int64 }
	spans := map[uint32]span{}
	for _, r := range kt.recs {
		s := log.snifferOf(int(r))
		t := log.Time(int(r))
		end := t + tr.windows[s]
		tk := ln.track[log.key[r]]
		sp, ok := spans[tk]
		if !ok {
			sp = span{t, end}
		}
		sp.first, sp.end = min(sp.first, t), max(sp.end, end)
		spans[tk] = sp
	}
	var best int64
	for _, sp := range spans {
		best = max(best, sp.end-sp.first)
	}
	return best, nil
}
