package tracingbench

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
)

func mustSubject(t testing.TB, name string) *Subject {
	t.Helper()
	s, err := New(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustGenerate(t testing.TB, s *Subject, cfg Config) *Workload {
	t.Helper()
	w, err := Generate(s.Protocol, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestMatchFindsExactlyThePlanted runs each protocol's real matcher over
// small workloads and checks it finds the planted sightings and no others.
func TestMatchFindsExactlyThePlanted(t *testing.T) {
	for _, name := range Names() {
		for _, tc := range []struct {
			name string
			cfg  Config
		}{
			{"one percent", Config{Keys: 60, Sightings: 2000, HitFraction: 0.01, Seed: 1}},
			{"a third", Config{Keys: 31, Sightings: 300, HitFraction: 1.0 / 3, Seed: 2}},
			{"all planted", Config{Keys: 5, Sightings: 50, HitFraction: 1, Seed: 3}},
			{"none planted", Config{Keys: 14, Sightings: 100, HitFraction: 0, Seed: 4}},
			{"empty store", Config{Keys: 3, Sightings: 0, HitFraction: 0.5, Seed: 5}},
		} {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				s := mustSubject(t, name)
				w := mustGenerate(t, s, tc.cfg)
				if len(w.Keys) != tc.cfg.Keys || len(w.Store) != tc.cfg.Sightings || len(w.Source) != len(w.Store) {
					t.Fatalf("%d keys, %d sightings, %d sources; want %d, %d, %d",
						len(w.Keys), len(w.Store), len(w.Source), tc.cfg.Keys, tc.cfg.Sightings, tc.cfg.Sightings)
				}
				if w.Planted != tc.cfg.Planted() {
					t.Fatalf("planted %d, want %d", w.Planted, tc.cfg.Planted())
				}
				n := 0
				for _, src := range w.Source {
					if src >= 0 {
						n++
					}
				}
				if n != w.Planted {
					t.Fatalf("%d sightings have a source key, want %d", n, w.Planted)
				}
				matches, err := s.Protocol.Match(nil, w.Keys, w.Store)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Verify(matches); err != nil {
					t.Fatal(err)
				}
				res, err := s.Run(context.Background(), w, 2)
				if err != nil {
					t.Fatal(err)
				}
				if res.Matches != w.Planted || len(res.Rounds) != 2 || res.Ratio <= 0 {
					t.Fatalf("result %+v, want %d matches over 2 rounds", res, w.Planted)
				}
			})
		}
	}
}

// TestWorkloadShape checks the workload is what the package says: one-day
// keys in the 14 days before Now, Days keys per device, the store in time
// order within the window, and every planted sighting on its key's day.
func TestWorkloadShape(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			s := mustSubject(t, name)
			cfg := Config{Keys: 40, Sightings: 500, HitFraction: 0.2, Seed: 9}
			w := mustGenerate(t, s, cfg)
			if w.PublishedDevices != 3 {
				t.Errorf("%d published devices for 40 keys, want 3", w.PublishedDevices)
			}
			if !w.To.Equal(DefaultNow) || !w.From.Equal(DefaultNow.AddDate(0, 0, -Days)) {
				t.Errorf("span %v..%v", w.From, w.To)
			}
			for i, k := range w.Keys {
				day := w.From.AddDate(0, 0, i%Days).Unix()
				if k.Start != day || k.End != day+86_399 || k.Slots != s.Protocol.Info().IDsPerDay {
					t.Errorf("key %d covers %d..%d with %d slots, want %d..%d", i, k.Start, k.End, k.Slots, day, day+86_399)
				}
			}
			if !slices.IsSortedFunc(w.Store, func(a, b tracing.Sighting) int { return int(a.Time - b.Time) }) {
				t.Error("store is not in time order")
			}
			for i, sg := range w.Store {
				if sg.Time < w.From.UnixMilli() || sg.Time >= w.To.UnixMilli() {
					t.Errorf("sighting %d at %d, outside the window", i, sg.Time)
				}
				if src := w.Source[i]; src >= 0 {
					k := w.Keys[src]
					if sg.Time < k.Start*1000 || sg.Time > k.End*1000+999 {
						t.Errorf("sighting %d at %d, outside its key's day %d..%d", i, sg.Time, k.Start, k.End)
					}
				}
				if sg.RSSI < -95 || sg.RSSI > -50 {
					t.Errorf("sighting %d RSSI %d", i, sg.RSSI)
				}
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	s := mustSubject(t, "gaen")
	cfg := Config{Keys: 20, Sightings: 300, HitFraction: 0.1, Seed: 42}
	a, b := mustGenerate(t, s, cfg), mustGenerate(t, s, cfg)
	if !slices.Equal(a.Store, b.Store) || !slices.Equal(a.Source, b.Source) {
		t.Fatal("same config, different stores")
	}
	for i := range a.Keys {
		if !slices.Equal(a.Keys[i].Key, b.Keys[i].Key) {
			t.Fatalf("same config, different key %d", i)
		}
	}
	cfg.Seed++
	c := mustGenerate(t, s, cfg)
	if slices.Equal(a.Keys[0].Key, c.Keys[0].Key) || slices.Equal(a.Store, c.Store) {
		t.Fatal("another seed gave the same workload")
	}
}

// TestVerifyRejects keeps the bench honest: a matcher that misses a planted
// sighting, reports one twice, credits the wrong key or matches a device
// never published must fail the run.
func TestVerifyRejects(t *testing.T) {
	s := mustSubject(t, "bluezone")
	w := mustGenerate(t, s, Config{Keys: 30, Sightings: 200, HitFraction: 0.1, Seed: 7})
	good, err := s.Protocol.Match(nil, w.Keys, w.Store)
	if err != nil || len(good) < 2 {
		t.Fatal(len(good), err)
	}
	other := slices.Index(w.Source, -1)
	for _, tc := range []struct {
		name string
		ms   []tracing.Match
		want string
	}{
		{"missed", good[1:], "want the"},
		{"none", nil, "want the"},
		{"twice", append(slices.Clone(good), good[0]), "twice"},
		{"wrong key", append([]tracing.Match{{Key: (good[0].Key + 1) % len(w.Keys), Sighting: good[0].Sighting}}, good[1:]...), "planted from key"},
		{"never published", append(slices.Clone(good), tracing.Match{Key: 0, Sighting: other}), "never published"},
		{"out of range", []tracing.Match{{Key: 0, Sighting: len(w.Store)}}, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := w.Verify(tc.ms)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Keys: 0, Sightings: 1}, "keys"},
		{Config{Keys: 1, Sightings: -1}, "sightings"},
		{Config{Keys: 1, HitFraction: -0.1}, "hit fraction"},
		{Config{Keys: 1, HitFraction: 1.5}, "hit fraction"},
	} {
		_, err := Generate(mustSubject(t, "dp3t").Protocol, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%+v) = %v, want an error about %s", tc.cfg, err, tc.want)
		}
	}
	if _, err := New("bluezone-v1"); err == nil {
		t.Error("New accepted a protocol it cannot bench")
	}
	if _, err := mustSubject(t, "gaen").Run(context.Background(), &Workload{}, 0); err == nil {
		t.Error("Run accepted 0 rounds")
	}
}

// TestFloorsDeriveTheRealIDs checks that each floor computes the IDs the
// protocol broadcasts, so that it is the matcher's cryptography and not a
// cheaper stand-in: the folded byte of one key equals a byte of the last
// ID the protocol's own code derives.
func TestFloorsDeriveTheRealIDs(t *testing.T) {
	day := time.Date(2021, 5, 20, 0, 0, 0, 0, time.UTC).Unix()
	key := tracing.PublishedKey{Start: day, End: day + 86_399, Slots: 96}
	for i := range 32 {
		key.Key = append(key.Key, byte(3*i+1))
	}

	f, err := dp3tFloor([]tracing.PublishedKey{key})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := dp3t.EphIDs(dp3t.Key(key.Key), 96)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f(), ids[95][dp3t.IDLen-1]; got != want {
		t.Errorf("dp3t floor folds %#x, want the last EphID's last byte %#x", got, want)
	}

	f, err = bluezoneFloor([]tracing.PublishedKey{key})
	if err != nil {
		t.Fatal(err)
	}
	bids, err := bluezone.New(bluezone.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bids.Expand(nil, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f(), bc[95].ID[0]; got != want {
		t.Errorf("bluezone floor folds %#x, want the last ID's first byte %#x", got, want)
	}

	long := key
	long.End += 86_400
	if _, err := bluezoneFloor([]tracing.PublishedKey{long}); err == nil {
		t.Error("bluezone floor accepted a two-day key")
	}
	if _, err := dp3tFloor([]tracing.PublishedKey{long}); err == nil {
		t.Error("dp3t floor accepted a two-day key")
	}
	if _, err := gaenFloor([]tracing.PublishedKey{key}); err == nil {
		t.Error("gaen floor accepted a 32-byte key")
	}
}

// BenchmarkRun is one round of matching and floor for each protocol at
// 10,000 keys against 100,000 sightings; bluesim bench match runs the
// issue's full-size workload.
func BenchmarkRun(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			s := mustSubject(b, name)
			w := mustGenerate(b, s, Config{Keys: 10_000, Sightings: 100_000, HitFraction: 0.01, Seed: 1})
			var match, floor time.Duration
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.Run(context.Background(), w, 1)
				if err != nil {
					b.Fatal(err)
				}
				match += res.Match
				floor += res.Floor
			}
			b.ReportMetric(float64(len(w.Keys))*float64(b.N)/match.Seconds(), "keys/s")
			b.ReportMetric(match.Seconds()/floor.Seconds(), "match/floor")
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	s := mustSubject(b, "gaen")
	b.ReportAllocs()
	for b.Loop() {
		mustGenerate(b, s, Config{Keys: 10_000, Sightings: 100_000, HitFraction: 0.01, Seed: 1})
	}
}

// dropLast is a protocol whose matcher loses its last match, to show that
// Run fails rather than report a fast but wrong matcher.
type dropLast struct{ tracing.Protocol }

func (d dropLast) Match(dst []tracing.Match, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	dst, err := d.Protocol.Match(dst, keys, store)
	if len(dst) > 0 {
		dst = dst[:len(dst)-1]
	}
	return dst, err
}

func TestRunFailsOnAWrongMatcher(t *testing.T) {
	s := mustSubject(t, "gaen")
	w := mustGenerate(t, s, Config{Keys: 20, Sightings: 100, HitFraction: 0.1, Seed: 3})
	s.Protocol = dropLast{s.Protocol}
	if _, err := s.Run(context.Background(), w, 1); err == nil || !strings.Contains(err.Error(), "planted") {
		t.Fatalf("Run with a matcher that misses a sighting: %v, want an error about the planted sightings", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mustSubject(t, "gaen").Run(ctx, w, 1); err == nil {
		t.Fatal("Run ignored a cancelled context")
	}
}
