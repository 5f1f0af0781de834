package dp3t

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// sightingOf returns what a receiver stores when it hears dev at at.
func sightingOf(t testing.TB, dev tracing.Device, at time.Time) tracing.Sighting {
	t.Helper()
	id, err := dev.IDAt(at)
	if err != nil {
		t.Fatal(err)
	}
	return tracing.Sighting{ID: id, Time: at.UnixMilli(), RSSI: -60}
}

func TestMatchSemantics(t *testing.T) {
	for _, minutes := range []int{15, 5} {
		p, err := New(Params{EpochMinutes: minutes})
		if err != nil {
			t.Fatal(err)
		}
		infected, _ := p.NewDevice(seeded(1), day0.Add(8*time.Hour))
		other, _ := p.NewDevice(seeded(2), day0.Add(8*time.Hour))
		diagnosed := day0.Add(3*24*time.Hour + 9*time.Hour)
		keys, err := infected.Upload(day0.Add(36*time.Hour), diagnosed) // first contagious day: day0+1
		if err != nil {
			t.Fatal(err)
		}
		type entry struct {
			s    tracing.Sighting
			want bool
			why  string
		}
		at := func(h float64) time.Time { return day0.Add(time.Duration(h * float64(time.Hour))) }
		replay := sightingOf(t, infected, at(30)) // heard on day0+1, replayed the next day
		replay.Time = at(50).UnixMilli()
		entries := []entry{
			{sightingOf(t, infected, at(10)), false, "day0, before the first contagious day"},
			{sightingOf(t, infected, at(24)), true, "day0+1 00:00"},
			{sightingOf(t, infected, at(30.26)), true, "day0+1"},
			{sightingOf(t, other, at(30.26)), false, "another phone"},
			{replay, false, "day0+1 EphID replayed on day0+2"},
			{sightingOf(t, infected, at(47.99)), true, "day0+1 23:59"},
			{sightingOf(t, infected, at(60)), true, "day0+2"},
			{sightingOf(t, infected, at(72+9)), true, "the diagnosis instant"},
			{sightingOf(t, infected, at(72+9.01)), false, "after publication"},
			{sightingOf(t, infected, at(100)), false, "a later day"},
			{sightingOf(t, other, at(60)), false, "another phone"},
		}
		store := make([]tracing.Sighting, len(entries))
		for i, e := range entries {
			store[i] = e.s
		}
		got, err := p.Match(nil, keys, store)
		if err != nil {
			t.Fatal(err)
		}
		matched := map[int]tracing.Match{}
		for _, m := range got {
			matched[m.Sighting] = m
		}
		for i, e := range entries {
			m, ok := matched[i]
			if ok != e.want {
				t.Errorf("L=%d: sighting %d (%s) matched=%v, want %v", minutes, i, e.why, ok, e.want)
			}
			if ok {
				epoch := (e.s.Time % dayMillis) / int64(minutes*60_000)
				if m.Slot != epoch || m.Key != 0 {
					t.Errorf("L=%d: sighting %d matched key %d slot %d, want key 0 slot %d", minutes, i, m.Key, m.Slot, epoch)
				}
			}
		}
	}
}

// joinExpanded matches the way the simulator does: expand every key once
// and join the broadcasts against the store by ID bytes and time window.
func joinExpanded(t testing.TB, p *Protocol, keys []tracing.PublishedKey, store []tracing.Sighting) []tracing.Match {
	t.Helper()
	var out []tracing.Match
	for ki, k := range keys {
		bs, err := p.Expand(nil, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			for si, s := range store {
				if s.ID == b.ID && s.Time >= b.From && s.Time <= b.To {
					out = append(out, tracing.Match{Key: ki, Sighting: si, Slot: b.Slot})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b tracing.Match) int {
		return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Sighting, b.Sighting), cmp.Compare(a.Slot, b.Slot))
	})
	return out
}

func TestMatchEqualsExpandJoin(t *testing.T) {
	p := Default()
	r := rand.New(rand.NewPCG(7, 8))
	const phones = 30
	devs := make([]tracing.Device, phones)
	for i := range devs {
		d, err := p.NewDevice(seeded(uint64(100+i)), day0)
		if err != nil {
			t.Fatal(err)
		}
		devs[i] = d
	}
	var store []tracing.Sighting
	for range 3000 {
		at := day0.Add(time.Duration(r.Int64N(int64(6 * 24 * time.Hour))))
		s := sightingOf(t, devs[r.IntN(phones)], at)
		if r.IntN(10) == 0 { // a stale or replayed EphID
			s.Time += r.Int64N(3*dayMillis) - dayMillis
		}
		store = append(store, s)
	}
	// A third of the phones are diagnosed at various times.
	var keys []tracing.PublishedKey
	for i := 0; i < phones; i += 3 {
		to := day0.Add(time.Duration(r.Int64N(int64(6 * 24 * time.Hour))))
		from := to.Add(-time.Duration(r.Int64N(int64(4 * 24 * time.Hour))))
		k, err := devs[i].Upload(from, to)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k...)
	}
	want := joinExpanded(t, p, keys, store)
	got, err := p.Match(nil, keys, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 50 {
		t.Fatalf("only %d matches: the test exercises too little", len(want))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Match gave %d matches, expand+join %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	// Appending to a non-empty dst keeps what was there.
	prefix := []tracing.Match{{Key: -1}}
	got2, _ := p.Match(prefix, keys, store)
	if got2[0].Key != -1 || !slices.Equal(got2[1:], want) {
		t.Error("Match does not append to dst")
	}
}

func firstDiff(a, b []tracing.Match) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestExpand(t *testing.T) {
	p := Default()
	sk1 := mustKey(t, vecSK1)
	start := day0.Unix()
	end := day0.Add(24*time.Hour + 6*time.Hour).Unix()
	bs, err := p.Expand(nil, tracing.PublishedKey{Key: sk1[:], Start: start, End: end, Slots: 96})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2*96 {
		t.Fatalf("%d broadcasts, want 192", len(bs))
	}
	order, _ := BroadcastOrder(sk1, 96)
	ids, _ := EphIDs(sk1, 96)
	ids2, _ := EphIDs(sk1.Next(), 96)
	order2, _ := BroadcastOrder(sk1.Next(), 96)
	for s := range 96 {
		b, b2 := bs[s], bs[96+s]
		if b.ID != ids[order[s]] || b.Slot != int64(s) || b.From != start*1000 || b.To != start*1000+dayMillis-1 {
			t.Errorf("day 0 slot %d: %+v", s, b)
		}
		if b2.ID != ids2[order2[s]] || b2.Slot != int64(s) || b2.From != (start+daySecs)*1000 || b2.To != end*1000+999 {
			t.Errorf("day 1 slot %d: %+v", s, b2)
		}
	}
}

func TestBadPublishedKeys(t *testing.T) {
	p := Default()
	good := tracing.PublishedKey{Key: make([]byte, 32), Start: day0.Unix(), End: day0.Unix() + 3600, Slots: 96}
	for _, tc := range []struct {
		name string
		edit func(*tracing.PublishedKey)
		want error
	}{
		{"short key", func(k *tracing.PublishedKey) { k.Key = k.Key[:16] }, tracing.ErrKeyLength},
		{"nil key", func(k *tracing.PublishedKey) { k.Key = nil }, tracing.ErrKeyLength},
		{"slots", func(k *tracing.PublishedKey) { k.Slots = 144 }, tracing.ErrBadKey},
		{"not midnight", func(k *tracing.PublishedKey) { k.Start += 60 }, tracing.ErrBadKey},
		{"end before start", func(k *tracing.PublishedKey) { k.End = k.Start - 1 }, tracing.ErrBadKey},
		{"too many days", func(k *tracing.PublishedKey) { k.End = k.Start + RetentionDays*daySecs }, tracing.ErrBadKey},
		{"negative", func(k *tracing.PublishedKey) { k.Start = -daySecs }, tracing.ErrBadKey},
		{"huge end", func(k *tracing.PublishedKey) { k.End = 1 << 62 }, tracing.ErrBadKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := good
			tc.edit(&k)
			if _, err := p.Expand(nil, k); !errors.Is(err, tc.want) {
				t.Errorf("Expand error %v, want %v", err, tc.want)
			}
			if _, err := p.Match(nil, []tracing.PublishedKey{good, k}, nil); !errors.Is(err, tc.want) {
				t.Errorf("Match error %v, want %v", err, tc.want)
			}
		})
	}
	k := good
	k.End = k.Start + (RetentionDays-1)*daySecs + daySecs - 1
	if bs, err := p.Expand(nil, k); err != nil || len(bs) != RetentionDays*96 {
		t.Errorf("a key covering exactly %d days: %d broadcasts, %v", RetentionDays, len(bs), err)
	}
}
