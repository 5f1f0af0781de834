package bluezone

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// randomStore makes n sightings of random 12-byte IDs spread over days
// starting at start (Unix s).
func randomStore(r *rand.Rand, n int, start int64, days int) []tracing.Sighting {
	store := make([]tracing.Sighting, n)
	for i := range store {
		var id tracing.ID
		for b := range IDLen {
			id[b] = byte(r.Uint32())
		}
		store[i] = tracing.Sighting{ID: id, Time: start*1000 + r.Int64N(int64(days)*DayMillis), RSSI: int8(-40 - r.IntN(60))}
	}
	return store
}

// bruteMatch is the phone's check written as plainly as possible: every
// broadcast against every sighting.
func bruteMatch(p *Protocol, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	var out []tracing.Match
	for ki, k := range keys {
		bs, err := p.Expand(nil, k)
		if err != nil {
			return nil, err
		}
		for si, s := range store {
			for _, b := range bs {
				if s.ID == b.ID && s.Time >= b.From && s.Time <= b.To {
					out = append(out, tracing.Match{Key: ki, Sighting: si, Slot: b.Slot})
				}
			}
		}
	}
	return out, nil
}

// expandJoin derives each key once and joins its broadcasts against an
// index, the way the simulator matches.
func expandJoin(p *Protocol, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	ix := tracing.NewIndex(store)
	var out []tracing.Match
	for ki, k := range keys {
		bs, err := p.Expand(nil, k)
		if err != nil {
			return nil, err
		}
		first := len(out)
		for _, b := range bs {
			ix.Lookup(&b.ID, b.From, b.To, func(pos int) {
				out = append(out, tracing.Match{Key: ki, Sighting: pos, Slot: b.Slot})
			})
		}
		slices.SortFunc(out[first:], func(a, b tracing.Match) int {
			if a.Sighting != b.Sighting {
				return a.Sighting - b.Sighting
			}
			return int(a.Slot - b.Slot)
		})
	}
	return out, nil
}

func TestMatchBoundaries(t *testing.T) {
	p, _ := New(DefaultParams())
	daily := mustKey(t, vecDailyKey)
	dev, _ := p.DeviceFromDailyKey(daily[:], time.Unix(vecStart, 0))
	const slotMs = 900_000
	start := int64(vecStart) * 1000
	id := func(day int64, slot int) tracing.ID {
		x, err := dev.SlotID(dev.KeyDayNumber()+day, slot)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	key := tracing.PublishedKey{Key: daily[:], Start: vecStart, End: vecStart + 86400 + 3*900, Slots: 96}
	for _, tc := range []struct {
		name string
		s    tracing.Sighting
		slot int64 // -1: no match
	}{
		{"slot 0 at its start", tracing.Sighting{ID: id(0, 0), Time: start}, 0},
		{"slot 0 at its end, inclusive", tracing.Sighting{ID: id(0, 0), Time: start + slotMs}, 0},
		{"slot 0 one ms after its end", tracing.Sighting{ID: id(0, 0), Time: start + slotMs + 1}, -1},
		{"slot 0 one ms before time_start", tracing.Sighting{ID: id(0, 0), Time: start - 1}, -1},
		{"slot 5 one ms before its start", tracing.Sighting{ID: id(0, 5), Time: start + 5*slotMs - 1}, -1},
		{"slot 95 at its end", tracing.Sighting{ID: id(0, 95), Time: start + 96*slotMs}, 95},
		{"next day slot 0 (ratchet)", tracing.Sighting{ID: id(1, 0), Time: start + 96*slotMs + 1}, 96},
		{"next day slot 3 starts at time_end", tracing.Sighting{ID: id(1, 3), Time: start + 99*slotMs + 7}, 99},
		{"next day slot 4 starts after time_end", tracing.Sighting{ID: id(1, 4), Time: start + 100*slotMs + 7}, -1},
		{"unrelated ID", tracing.Sighting{ID: tracing.ID{1, 2, 3}, Time: start + 7}, -1},
	} {
		store := []tracing.Sighting{tc.s}
		got, err := p.Match(nil, []tracing.PublishedKey{key}, store)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := CheckDailyKey(tracing.NewIndex(store), key)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.slot < 0 && (len(got) != 0 || ok):
			t.Errorf("%s: matched %v (check %v), want no match", tc.name, got, ok)
		case tc.slot >= 0 && (len(got) != 1 || got[0].Slot != tc.slot || !ok):
			t.Errorf("%s: matched %v (check %v), want slot %d", tc.name, got, ok, tc.slot)
		}
	}
}

// TestMatchAgreement checks that the phone-side loop (Match), the
// simulator's derive-once join (Expand + index) and a brute-force join
// give the same matches, on a store seeded with sightings of several
// published devices around slot boundaries, with 96 and 144 slots.
func TestMatchAgreement(t *testing.T) {
	for _, slots := range []int{96, 144} {
		p, _ := New(Params{SlotsPerDay: slots})
		r := rand.New(rand.NewPCG(7, uint64(slots)))
		start := int64(vecStart)
		store := randomStore(r, 3000, start-86400, 6)
		var keys []tracing.PublishedKey
		for dn := range 5 {
			dev, err := p.NewBaseDevice(rand.NewChaCha8([32]byte{byte(dn), byte(slots)}), time.Unix(start-86400, 0))
			if err != nil {
				t.Fatal(err)
			}
			for range 60 {
				ms := start*1000 + r.Int64N(3*DayMillis)
				if r.IntN(3) == 0 { // right at a boundary, or one ms either side
					ms = ms - ms%(DayMillis/int64(slots)) + int64(r.IntN(3)) - 1
				}
				id, err := dev.IDAtMilli(ms)
				if err != nil {
					t.Fatal(err)
				}
				// Shift some sightings into the neighbouring slot.
				ms += int64(r.IntN(3)-1) * int64(r.IntN(2)) * (DayMillis / int64(slots))
				store = append(store, tracing.Sighting{ID: id, Time: ms})
			}
			ks, err := dev.Upload(time.Unix(start, 0).Add(time.Duration(dn)*time.Hour), time.Unix(start+int64(dn)*40000, 0))
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, ks...)
		}
		got, err := p.Match(nil, keys, store)
		if err != nil {
			t.Fatal(err)
		}
		joined, err := expandJoin(p, keys, store)
		if err != nil {
			t.Fatal(err)
		}
		brute, err := bruteMatch(p, keys, store)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 50 {
			t.Fatalf("slots %d: only %d matches; the test store is not exercising matching", slots, len(got))
		}
		if !slices.Equal(got, joined) || !slices.Equal(got, brute) {
			t.Fatalf("slots %d: Match %d, Expand join %d, brute force %d matches differ", slots, len(got), len(joined), len(brute))
		}
		ix := tracing.NewIndex(store)
		for ki, k := range keys {
			ok, err := CheckDailyKey(ix, k)
			want := slices.ContainsFunc(got, func(m tracing.Match) bool { return m.Key == ki })
			if err != nil || ok != want {
				t.Errorf("slots %d key %d: CheckDailyKey %v (%v), Match says %v", slots, ki, ok, err, want)
			}
		}
	}
}

func TestMatchBadKeys(t *testing.T) {
	p, _ := New(DefaultParams())
	good := tracing.PublishedKey{Key: make([]byte, 32), Start: vecStart, End: vecStart + 86400, Slots: 96}
	store := []tracing.Sighting{{Time: 1}}
	for _, tc := range []struct {
		name string
		edit func(k *tracing.PublishedKey)
		want error
	}{
		{"short key", func(k *tracing.PublishedKey) { k.Key = k.Key[:16] }, tracing.ErrKeyLength},
		{"no slots", func(k *tracing.PublishedKey) { k.Slots = 0 }, tracing.ErrBadKey},
		{"slots not dividing the day", func(k *tracing.PublishedKey) { k.Slots = 97 }, tracing.ErrBadKey},
		{"end before start", func(k *tracing.PublishedKey) { k.End = k.Start - 1 }, tracing.ErrBadKey},
		{"negative start", func(k *tracing.PublishedKey) { k.Start = -86400 }, tracing.ErrBadKey},
		{"span too long", func(k *tracing.PublishedKey) { k.End = k.Start + 400*86400 }, tracing.ErrBadKey},
		{"huge end", func(k *tracing.PublishedKey) { k.End = 1 << 62 }, tracing.ErrBadKey},
	} {
		k := good
		tc.edit(&k)
		if _, err := p.Expand(nil, k); !errors.Is(err, tc.want) {
			t.Errorf("%s: Expand err %v, want %v", tc.name, err, tc.want)
		}
		if _, err := p.Match(nil, []tracing.PublishedKey{good, k}, store); !errors.Is(err, tc.want) {
			t.Errorf("%s: Match err %v, want %v", tc.name, err, tc.want)
		}
		if _, err := p.Match(nil, []tracing.PublishedKey{k}, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: Match on an empty store err %v, want %v", tc.name, err, tc.want)
		}
		if _, err := CheckDailyKey(tracing.NewIndex(store), k); !errors.Is(err, tc.want) {
			t.Errorf("%s: CheckDailyKey err %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestIDAtNoAlloc(t *testing.T) {
	p, _ := New(DefaultParams())
	dev, _ := p.NewBaseDevice(rand.NewChaCha8([32]byte{}), time.Unix(vecStart, 0))
	at := time.Unix(vecStart+3600, 0)
	if _, err := dev.IDAt(at); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := dev.IDAt(at); err != nil {
			t.Fatal(err)
		}
		if _, err := dev.SlotID(dev.KeyDayNumber(), 50); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("IDAt allocates %v times per call in steady state", n)
	}
	// A day change recomputes into the same slice.
	if n := testing.AllocsPerRun(20, func() {
		at = at.Add(24 * time.Hour)
		if _, err := dev.IDAt(at); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("a day change allocates %v times", n)
	}
}

// BenchmarkIDAt measures the ID lookup a simulator makes for every advert:
// within a day (the steady state, no hashing) and stepping a minute at a
// time, so that every 1 440th call crosses midnight and recomputes the day's
// 96 IDs into the same slice. Both must report 0 allocs/op.
func BenchmarkIDAt(b *testing.B) {
	for _, tc := range []struct {
		name string
		step int64
	}{{"same-day", 0}, {"minute-steps", 60_000}} {
		b.Run(tc.name, func(b *testing.B) {
			p, _ := New(DefaultParams())
			dev, _ := p.NewBaseDevice(rand.NewChaCha8([32]byte{}), time.Unix(vecStart, 0))
			at := time.Unix(vecStart+3600, 0)
			ms := at.UnixMilli()
			b.ReportAllocs()
			for b.Loop() {
				if tc.step == 0 {
					if _, err := dev.IDAt(at); err != nil {
						b.Fatal(err)
					}
					continue
				}
				ms += tc.step
				if _, err := dev.IDAtMilli(ms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckDailyKey is the target: one published daily key
// (96 slots) checked against a 100 000-sighting store, the index built once.
// The key does not match, so all 96 slots are derived and looked up.
func BenchmarkCheckDailyKey(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	store := randomStore(r, 100_000, vecStart-13*86400, 14)
	ix := tracing.NewIndex(store)
	daily := mustKey(b, vecDailyKey)
	key := tracing.PublishedKey{Key: daily[:], Start: vecStart, End: vecStart + 86400 - 1, Slots: 96}
	b.ReportAllocs()
	for b.Loop() {
		ok, err := CheckDailyKey(ix, key)
		if err != nil || ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkMatchIndex is Match's per-key loop (all matches, not the first)
// against the same store.
func BenchmarkMatchIndex(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	store := randomStore(r, 100_000, vecStart-13*86400, 14)
	ix := tracing.NewIndex(store)
	daily := mustKey(b, vecDailyKey)
	key := tracing.PublishedKey{Key: daily[:], Start: vecStart, End: vecStart + 86400 - 1, Slots: 96}
	dst := make([]tracing.Match, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = MatchIndex(dst[:0], 0, key, ix); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDayIDsFloor is the crypto floor of checking one daily key: the
// 96 SHA-256 sub-keys and their IDs, with no lookups. Compare
// BenchmarkCheckDailyKey with it (same run, same machine).
func BenchmarkDayIDsFloor(b *testing.B) {
	daily := mustKey(b, vecDailyKey)
	ids := make([]tracing.ID, 0, DefaultSlotsPerDay)
	b.ReportAllocs()
	for b.Loop() {
		ids = AppendDayIDs(ids[:0], daily, DefaultSlotsPerDay)
	}
}
