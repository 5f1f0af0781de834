package gaen

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// randKeys returns n published keys for the day starting at rolling start rs.
func randKeys(r *rand.Rand, n int, rs uint32) []tracing.PublishedKey {
	keys := make([]tracing.PublishedKey, n)
	for i := range keys {
		var k TEK
		for j := range k {
			k[j] = byte(r.Uint32())
		}
		keys[i] = PublishedKeyFor(k, rs, TEKRollingPeriod)
	}
	return keys
}

// testStore builds m sightings: random IDs (noise) around day rs, plus
// sightings of some keys' RPIs at, inside and just outside the ±2 h window.
func testStore(r *rand.Rand, keys []tracing.PublishedKey, m int, rs uint32) []tracing.Sighting {
	base := int64(rs) * IntervalSeconds * 1000
	var store []tracing.Sighting
	var p Protocol
	for ki, k := range keys {
		if ki%3 != 0 {
			continue
		}
		bcs, err := p.Expand(nil, k)
		if err != nil {
			panic(err)
		}
		for _, j := range []int{0, 1, 71, 143} {
			bc := bcs[j]
			for _, t := range []int64{bc.From - 1, bc.From, (bc.From + bc.To) / 2, bc.To, bc.To + 1} {
				store = append(store, tracing.Sighting{ID: bc.ID, Time: t, RSSI: int8(-60 - r.IntN(30))})
			}
		}
	}
	for len(store) < m {
		var s tracing.Sighting
		for j := range KeyLen {
			s.ID[j] = byte(r.Uint32())
		}
		s.Time = base + r.Int64N(86400*1000)
		store = append(store, s)
	}
	r.Shuffle(len(store), func(i, j int) { store[i], store[j] = store[j], store[i] })
	return store
}

// joinMatch matches by expanding every key and joining each broadcast with
// the store by ID bytes and time window: the simulator's way.
func joinMatch(t *testing.T, keys []tracing.PublishedKey, store []tracing.Sighting) []tracing.Match {
	t.Helper()
	byID := map[tracing.ID][]int{}
	for i, s := range store {
		byID[s.ID] = append(byID[s.ID], i)
	}
	var out []tracing.Match
	var p Protocol
	for ki, k := range keys {
		bcs, err := p.Expand(nil, k)
		if err != nil {
			t.Fatal(err)
		}
		var ms []tracing.Match
		for _, bc := range bcs {
			for _, i := range byID[bc.ID] {
				if store[i].Time >= bc.From && store[i].Time <= bc.To {
					ms = append(ms, tracing.Match{Key: ki, Sighting: i, Slot: bc.Slot})
				}
			}
		}
		slices.SortFunc(ms, func(a, b tracing.Match) int { return a.Sighting - b.Sighting })
		out = append(out, ms...)
	}
	return out
}

func TestMatchEqualsExpandJoin(t *testing.T) {
	rs := RollingStart(ENIntervalNumber(time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)))
	for _, tc := range []struct{ keys, store int }{{0, 0}, {1, 0}, {5, 10}, {60, 2000}, {300, 20000}} {
		r := rand.New(rand.NewPCG(uint64(tc.keys), uint64(tc.store)))
		keys := randKeys(r, tc.keys, rs)
		store := testStore(r, keys, tc.store, rs)
		want := joinMatch(t, keys, store)
		got, err := MatchKeys(nil, keys, store)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%d keys, %d sightings: Match gives %d matches, expand+join %d", tc.keys, len(store), len(got), len(want))
		}
		// Every key with index%3 == 0 planted 4 RPIs x 3 in-window sightings.
		if wantN := 12 * ((tc.keys + 2) / 3); len(got) != wantN {
			t.Errorf("%d keys: %d matches, want %d", tc.keys, len(got), wantN)
		}
	}
}

func TestExpandWindows(t *testing.T) {
	k := vecKey(t)
	bcs, err := Protocol{}.Expand(nil, PublishedKeyFor(k, vecENIN, TEKRollingPeriod))
	if err != nil {
		t.Fatal(err)
	}
	if len(bcs) != 144 {
		t.Fatalf("%d broadcasts", len(bcs))
	}
	for _, v := range vecRPIs {
		bc := bcs[v.j]
		if bc.ID.Hex(16) != v.rpi || bc.Slot != int64(vecENIN+v.j) {
			t.Errorf("broadcast %d = %s slot %d", v.j, bc.ID.Hex(16), bc.Slot)
		}
		start := int64(vecENIN+v.j) * 600_000
		if bc.From != start-2*3600_000 || bc.To != start+600_000+2*3600_000-1 {
			t.Errorf("broadcast %d window [%d, %d], interval starts %d", v.j, bc.From, bc.To, start)
		}
	}
}

func TestBadPublishedKeys(t *testing.T) {
	good := PublishedKeyFor(vecKey(t), vecENIN, 144)
	for _, tc := range []struct {
		name string
		mod  func(*tracing.PublishedKey)
		want error
	}{
		{"short key", func(k *tracing.PublishedKey) { k.Key = k.Key[:15] }, tracing.ErrKeyLength},
		{"no slots", func(k *tracing.PublishedKey) { k.Slots = 0 }, tracing.ErrBadKey},
		{"145 slots", func(k *tracing.PublishedKey) { k.Slots = 145 }, tracing.ErrBadKey},
		{"unaligned start", func(k *tracing.PublishedKey) { k.Start++ }, tracing.ErrBadKey},
		{"negative start", func(k *tracing.PublishedKey) { k.Start = -600 }, tracing.ErrBadKey},
		{"huge start", func(k *tracing.PublishedKey) { k.Start = 600 << 33 }, tracing.ErrBadKey},
	} {
		k := good
		k.Key = slices.Clone(good.Key)
		tc.mod(&k)
		if _, err := (Protocol{}).Expand(nil, k); !errors.Is(err, tc.want) {
			t.Errorf("%s: Expand err = %v, want %v", tc.name, err, tc.want)
		}
		if _, err := MatchKeys(nil, []tracing.PublishedKey{good, k}, nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: Match err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDeviceDaysAndUpload(t *testing.T) {
	start := time.Date(2020, 10, 1, 15, 0, 0, 0, time.UTC)
	mk := func() *Device {
		d, err := NewDevice(rand.NewChaCha8([32]byte{7}), start)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := mk(), mk()
	// Asking for days in a different order gives the same keys.
	day3 := start.Add(72 * time.Hour)
	idA3, _ := a.IDAt(day3)
	idA0, _ := a.IDAt(start)
	idB0, _ := b.IDAt(start)
	idB3, _ := b.IDAt(day3)
	if idA0 != idB0 || idA3 != idB3 || idA0 == idA3 {
		t.Fatal("device keys depend on query order or do not roll daily")
	}
	if _, err := a.IDAt(start.Add(-16 * time.Hour)); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("before first day: %v", err)
	}
	// The key rolls at UTC midnight and the RPI every 10 minutes.
	k1, rs1, _ := a.TEKAt(time.Date(2020, 10, 1, 23, 59, 59, 0, time.UTC))
	k2, rs2, _ := a.TEKAt(time.Date(2020, 10, 2, 0, 0, 0, 0, time.UTC))
	if k1 == k2 || rs2 != rs1+144 || rs1%144 != 0 {
		t.Errorf("TEK roll: %v@%d %v@%d", k1, rs1, k2, rs2)
	}
	a.Onset = time.Date(2020, 10, 3, 8, 0, 0, 0, time.UTC)
	up, err := a.Upload(start.Add(-48*time.Hour), day3)
	if err != nil {
		t.Fatal(err)
	}
	if len(up) != 4 {
		t.Fatalf("uploaded %d keys, want 4 (days 1..4 Oct)", len(up))
	}
	for i, pk := range up {
		if pk.Slots != 144 || pk.ReportType != ReportConfirmedTest || !pk.HasOnset || pk.DaysSinceOnset != i-2 {
			t.Errorf("key %d: %+v", i, pk)
		}
	}
	// The uploaded keys match what the device broadcast.
	var store []tracing.Sighting
	for h := range 96 {
		at := start.Add(time.Duration(h) * 37 * time.Minute)
		id, err := a.IDAt(at)
		if err != nil {
			t.Fatal(err)
		}
		store = append(store, tracing.Sighting{ID: id, Time: at.UnixMilli()})
	}
	ms, err := MatchKeys(nil, up, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != len(store) {
		t.Errorf("%d of %d broadcast sightings matched", len(ms), len(store))
	}
	if _, err := a.Upload(day3, start); err == nil {
		t.Error("reversed upload range accepted")
	}
	fixed, _ := DeviceFromTEK(up[0].Key, start.Add(-24*time.Hour))
	if _, err := fixed.IDAt(start); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("fixed key next day: %v", err)
	}
}

func TestIDAtDoesNotAllocate(t *testing.T) {
	d, err := DeviceFromTEK(mustHex(t, vecTEK), time.Unix(vecSeconds, 0))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(vecSeconds+3600, 0)
	if _, err := d.IDAt(at); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = d.IDAt(at) }); n != 0 {
		t.Errorf("IDAt allocates %v times", n)
	}
}

func TestMatchAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rs := RollingStart(vecENIN)
	keys := randKeys(r, 50, rs)
	store := testStore(r, nil, 5000, rs)
	m := NewMatcher(store)
	dst, _ := m.Match(nil, keys)
	// One AES key schedule per key, nothing per derived RPI.
	n := testing.AllocsPerRun(5, func() { dst, _ = m.Match(dst[:0], keys) })
	if n > float64(len(keys)) {
		t.Errorf("Match allocates %v times for %d keys (%d RPIs)", n, len(keys), 144*len(keys))
	}
}

// FuzzPublishedKey feeds arbitrary published keys to Expand and Match: bad
// ones give errors, never panics, and both agree on which are good.
func FuzzPublishedKey(f *testing.F) {
	f.Add(mustHex(f, vecTEK), int64(vecENIN)*600, 144)
	f.Add([]byte{1, 2}, int64(0), 0)
	f.Add(make([]byte, 16), int64(-600), 145)
	f.Add(make([]byte, 16), int64(1)<<62, 1)
	f.Fuzz(func(t *testing.T, key []byte, start int64, slots int) {
		k := tracing.PublishedKey{Key: key, Start: start, Slots: slots}
		bcs, errE := Protocol{}.Expand(nil, k)
		store := []tracing.Sighting{{Time: start * 1000}}
		if errE == nil {
			if len(bcs) != slots {
				t.Fatalf("%d broadcasts for %d slots", len(bcs), slots)
			}
			store = append(store, tracing.Sighting{ID: bcs[0].ID, Time: bcs[0].From})
		}
		ms, errM := MatchKeys(nil, []tracing.PublishedKey{k}, store)
		if (errE == nil) != (errM == nil) {
			t.Fatalf("Expand err %v, Match err %v", errE, errM)
		}
		if errE == nil && len(ms) == 0 {
			t.Fatal("planted sighting not matched")
		}
	})
}

func TestTimeRange(t *testing.T) {
	d, err := DeviceFromTEK(mustHex(t, vecTEK), time.Unix(vecSeconds, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Unix(-1, 0), time.Unix(600<<32, 0), time.Unix(vecSeconds+86400, 0)} {
		if _, err := d.IDAt(at); !errors.Is(err, tracing.ErrOutOfRange) {
			t.Errorf("IDAt(%v) err = %v, want out of range", at, err)
		}
	}
	if _, err := d.Upload(time.Unix(-5, 0), time.Unix(vecSeconds, 0)); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("Upload from 1969: %v", err)
	}
	if got := ENIntervalNumber(time.Unix(600<<33, 0)); got != 1<<32-1 {
		t.Errorf("ENIntervalNumber saturates at %d", got)
	}
	info := Protocol{}.Info()
	if info.Name != "gaen" || info.IDLen != 16 || info.IDsPerDay != 144 || info.Rotation != 10*time.Minute {
		t.Errorf("Info %+v", info)
	}
}
