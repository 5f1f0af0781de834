package dp3t

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// keySpan is a validated published key: its seed, first day and the last
// instant (Unix ms, inclusive) a sighting may have to match.
type keySpan struct {
	sk       Key
	startDay int64 // Unix day number of Start
	days     int
	endMs    int64
}

// window is the sighting-time window of day d of the span: that UTC day,
// clipped to the key's End (observations after publication never match).
func (ks *keySpan) window(d int) (from, to int64) {
	from = (ks.startDay + int64(d)) * dayMillis
	return from, min(from+dayMillis-1, ks.endMs)
}

func (p *Protocol) span(key tracing.PublishedKey) (keySpan, error) {
	var ks keySpan
	sk, err := ParseKey(key.Key)
	if err != nil {
		return ks, err
	}
	switch {
	case key.Slots != p.n:
		return ks, fmt.Errorf("dp3t: published key has %d slots, this protocol broadcasts %d EphIDs a day: %w", key.Slots, p.n, tracing.ErrBadKey)
	case key.Start < 0 || key.Start > maxUnix || key.End < 0 || key.End > maxUnix:
		return ks, fmt.Errorf("dp3t: published key covers %d..%d, outside 1970..9999: %w", key.Start, key.End, tracing.ErrBadKey)
	case key.Start%daySecs != 0:
		return ks, fmt.Errorf("dp3t: published key starts at %d, not at a UTC midnight: %w", key.Start, tracing.ErrBadKey)
	case key.End < key.Start:
		return ks, fmt.Errorf("dp3t: published key ends (%d) before it starts (%d): %w", key.End, key.Start, tracing.ErrBadKey)
	}
	days := (key.End-key.Start)/daySecs + 1
	if days > RetentionDays {
		return ks, fmt.Errorf("dp3t: published key covers %d days, more than the %d-day retention: %w", days, RetentionDays, tracing.ErrBadKey)
	}
	return keySpan{sk: sk, startDay: key.Start / daySecs, days: int(days), endMs: key.End*1000 + 999}, nil
}

// Expand appends the broadcasts key implies: for each UTC day from Start to
// End's day, the n EphIDs of that day's seed (ratcheted from SK_t) in slot
// order, each matching sightings made on that day up to End. Slot is the
// epoch index in the day.
func (p *Protocol) Expand(dst []tracing.Broadcast, key tracing.PublishedKey) ([]tracing.Broadcast, error) {
	ks, err := p.span(key)
	if err != nil {
		return dst, err
	}
	g, err := NewGenerator(p.n)
	if err != nil {
		return dst, err
	}
	dst = slices.Grow(dst, ks.days*p.n)
	sk := ks.sk
	for d := range ks.days {
		g.Derive(&sk)
		from, to := ks.window(d)
		for s := range p.n {
			dst = append(dst, tracing.Broadcast{ID: g.InSlot(s), From: from, To: to, Slot: int64(s)})
		}
		if d+1 < ks.days {
			sk = sk.Next()
		}
	}
	return dst, nil
}

// Match is the phone-side check: it indexes store by ID (tracing.Index),
// then for each key and each day it covers regenerates the day's EphIDs and
// looks each up among that day's sightings up to End. Matches come in
// (key, sighting) order; Slot is the epoch in the day at which the matched
// EphID was broadcast. The broadcast order is only computed for days with
// a match, so a day that matches nothing costs one HMAC and n AES blocks,
// plus n probes of the index's cache-resident Bloom prefilter
// (tracing.Index.MayContain), which spares the bucket lookup (three cache
// misses) for almost every EphID.
func (p *Protocol) Match(dst []tracing.Match, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	// Every key is checked before any work, and parsed again when its turn
	// comes: cheaper than holding 64 bytes per key for the whole run.
	for i, key := range keys {
		if _, err := p.span(key); err != nil {
			return dst, fmt.Errorf("key %d: %w", i, err)
		}
	}
	g, err := NewGenerator(p.n)
	if err != nil {
		return dst, err
	}
	ix := tracing.NewIndex(store)
	for ki := range keys {
		ks, _ := p.span(keys[ki])
		mark := len(dst)
		sk := ks.sk
		for d := range ks.days {
			g.Derive(&sk)
			from, to := ks.window(d)
			for k := range p.n {
				id := g.ID(k)
				if !ix.MayContain(&id) {
					continue
				}
				ix.Lookup(&id, from, to, func(pos int) {
					dst = append(dst, tracing.Match{Key: ki, Sighting: pos, Slot: int64(g.Slot(k))})
				})
			}
			if d+1 < ks.days {
				sk = sk.Next()
			}
		}
		slices.SortFunc(dst[mark:], func(a, b tracing.Match) int {
			return cmp.Or(cmp.Compare(a.Sighting, b.Sighting), cmp.Compare(a.Slot, b.Slot))
		})
	}
	return dst, nil
}
