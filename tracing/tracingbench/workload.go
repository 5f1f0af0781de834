package tracingbench

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Days is how far back the published keys and the phone's sightings reach:
// the 14 days a diagnosed user uploads and a phone keeps (protocols.md §1.4
// for Bluezone's getBluezoneIdInfo(14); GAEN and DP-3T use the same span).
const Days = 14

// DefaultNow is the instant the phone runs its matching when Config.Now is
// zero. It is fixed, not the wall clock, so that a seed alone determines the
// workload and its expected matches.
var DefaultNow = time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)

// Encounters: a phone logs a passing device several times while it stays
// in range. Bursts of 1 to burstMax sightings a minute apart keep several
// sightings per ID in the store, as real stores have, without modelling the
// radio (that is the simulator's job, not the matcher benchmark's).
const (
	burstMax    = 8
	burstGapMs  = 60_000
	otherPerDev = 20 // sightings per never-published device, on average
	dayMillis   = 86_400_000
)

// Random stream subsystems, so that changing one draw never shifts another.
const (
	subPublished uint64 = iota + 1 // entity: published device number
	subOther                       // entity: never-published device number
	subPlanted                     // the plan of planted encounters
	subOtherPlan                   // the plan of other encounters
)

// streamSeed is the ChaCha8 seed of stream (seed, subsystem, entity). The
// seed is only laid out, not hashed: ChaCha8 is a PRF of its whole 32-byte
// seed, so distinct (seed, subsystem, entity) give independent streams.
func streamSeed(seed, subsystem, entity uint64) [32]byte {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[0:], seed)
	binary.LittleEndian.PutUint64(s[8:], subsystem)
	binary.LittleEndian.PutUint64(s[16:], entity)
	copy(s[24:], "tbench\x00\x01")
	return s
}

// Config sizes a workload.
type Config struct {
	// Keys is N, the number of published one-day keys (at least 1).
	Keys int
	// Sightings is M, the number of sightings in the phone's store (>= 0).
	Sightings int
	// HitFraction is the fraction of the store planted from published
	// keys (0..1); round(HitFraction*M) sightings are planted.
	HitFraction float64
	// Seed keys every random stream of the workload.
	Seed uint64
	// Now is when the phone matches; the keys and sightings cover the
	// Days UTC days before it. Zero means DefaultNow. It is truncated to
	// a UTC midnight.
	Now time.Time
}

// Validate reports the first out-of-range field.
func (c Config) Validate() error {
	switch {
	case c.Keys < 1:
		return fmt.Errorf("tracingbench: keys %d: want at least 1", c.Keys)
	case c.Sightings < 0:
		return fmt.Errorf("tracingbench: sightings %d: want 0 or more", c.Sightings)
	case math.IsNaN(c.HitFraction) || c.HitFraction < 0 || c.HitFraction > 1:
		return fmt.Errorf("tracingbench: hit fraction %v: want a number in [0, 1]", c.HitFraction)
	}
	return nil
}

// Planted is the number of sightings the workload plants from published
// keys: round(HitFraction * Sightings).
func (c Config) Planted() int {
	return int(math.Round(c.HitFraction * float64(c.Sightings)))
}

// Workload is one phone's matching job.
type Workload struct {
	// Keys are the published keys, one day each, in upload order (device
	// by device, oldest day first).
	Keys []tracing.PublishedKey
	// Store is the phone's sightings in time order.
	Store []tracing.Sighting
	// Source says, for each sighting, the index of the published key whose
	// ID it holds, or -1 for a device that was never published.
	Source []int32
	// Planted is the number of sightings with Source >= 0: the number of
	// matches a correct matcher reports.
	Planted int
	// PublishedDevices and OtherDevices count the devices behind Keys and
	// behind the unplanted sightings.
	PublishedDevices, OtherDevices int
	// From and To bound the covered span: From is Days UTC days before To.
	From, To time.Time
}

type encounter struct {
	other bool  // a never-published device
	dev   int32 // device number within its group
	key   int32 // published key the encounter is planted from, or -1
	t0    int64 // first sighting (Unix ms)
	n     int32 // sightings, burstGapMs apart
	rssi  int8
}

// Generate builds the workload for protocol p: real devices of p made from
// seeded entropy, their uploads, and a store of sightings of their
// broadcast IDs. It is deterministic in cfg.
func Generate(p tracing.Protocol, cfg Config) (*Workload, error) {
	if p == nil {
		return nil, errors.New("tracingbench: no protocol")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now.IsZero() {
		now = DefaultNow
	}
	now = now.UTC().Truncate(24 * time.Hour)
	from := now.AddDate(0, 0, -Days)
	w := &Workload{From: from, To: now}

	// Diagnosed devices, each uploading one key per day, Days days each;
	// the last device uploads its oldest days only when N is not a
	// multiple of Days.
	ndev := (cfg.Keys + Days - 1) / Days
	pub := make([]tracing.Device, ndev)
	w.Keys = make([]tracing.PublishedKey, 0, cfg.Keys)
	for d := range pub {
		dev, err := p.NewDevice(rand.NewChaCha8(streamSeed(cfg.Seed, subPublished, uint64(d))), from)
		if err != nil {
			return nil, fmt.Errorf("tracingbench: published device %d: %w", d, err)
		}
		pub[d] = dev
		for day := 0; day < Days && len(w.Keys) < cfg.Keys; day++ {
			start := from.AddDate(0, 0, day)
			keys, err := dev.Upload(start, start.Add(24*time.Hour-time.Second))
			if err != nil {
				return nil, fmt.Errorf("tracingbench: device %d uploading %s: %w", d, start.Format(time.DateOnly), err)
			}
			if len(keys) != 1 {
				return nil, fmt.Errorf("tracingbench: device %d uploaded %d keys for one day, want 1", d, len(keys))
			}
			w.Keys = append(w.Keys, keys[0])
		}
	}
	w.PublishedDevices = ndev

	planted := cfg.Planted()
	others := cfg.Sightings - planted
	w.OtherDevices = 0
	if others > 0 {
		w.OtherDevices = max(1, others/otherPerDev)
	}
	var encs []encounter
	r := rand.New(rand.NewChaCha8(streamSeed(cfg.Seed, subPlanted, 0)))
	for left := planted; left > 0; {
		n := min(left, 1+r.IntN(burstMax))
		k := r.IntN(len(w.Keys))
		key := &w.Keys[k]
		lo := key.Start * 1000
		hi := key.End*1000 + 999 - int64(n-1)*burstGapMs
		encs = append(encs, encounter{dev: int32(k / Days), key: int32(k), t0: lo + r.Int64N(hi-lo+1), n: int32(n), rssi: rssi(r)})
		left -= n
	}
	r = rand.New(rand.NewChaCha8(streamSeed(cfg.Seed, subOtherPlan, 0)))
	for left := others; left > 0; {
		n := min(left, 1+r.IntN(burstMax))
		lo := from.UnixMilli()
		hi := now.UnixMilli() - 1 - int64(n-1)*burstGapMs
		encs = append(encs, encounter{other: true, dev: int32(r.IntN(w.OtherDevices)), key: -1, t0: lo + r.Int64N(hi-lo+1), n: int32(n), rssi: rssi(r)})
		left -= n
	}

	// Derive IDs device by device in time order, so each device computes
	// each day's IDs once.
	slices.SortStableFunc(encs, func(a, b encounter) int {
		if a.other != b.other {
			if a.other {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.dev, b.dev), cmp.Compare(a.t0, b.t0))
	})
	store := make([]tracing.Sighting, 0, cfg.Sightings)
	source := make([]int32, 0, cfg.Sightings)
	var cur tracing.Device
	curDev := int32(-1)
	for _, e := range encs {
		dev := cur
		if !e.other {
			dev = pub[e.dev]
		} else if e.dev != curDev {
			var err error
			dev, err = p.NewDevice(rand.NewChaCha8(streamSeed(cfg.Seed, subOther, uint64(e.dev))), from)
			if err != nil {
				return nil, fmt.Errorf("tracingbench: other device %d: %w", e.dev, err)
			}
			cur, curDev = dev, e.dev
		}
		for i := range e.n {
			t := e.t0 + int64(i)*burstGapMs
			id, err := dev.IDAt(time.UnixMilli(t))
			if err != nil {
				return nil, fmt.Errorf("tracingbench: broadcast ID at %s: %w", time.UnixMilli(t).UTC().Format(time.RFC3339), err)
			}
			store = append(store, tracing.Sighting{ID: id, Time: t, RSSI: e.rssi})
			source = append(source, e.key)
		}
	}

	// A phone's store is in the order it saw things.
	order := make([]int32, len(store))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(store[a].Time, store[b].Time) })
	w.Store = make([]tracing.Sighting, len(store))
	w.Source = make([]int32, len(store))
	for i, o := range order {
		w.Store[i], w.Source[i] = store[o], source[o]
	}
	w.Planted = planted
	return w, nil
}

// rssi draws an encounter's received signal strength, -95..-50 dBm, the
// range phones record for people nearby.
func rssi(r *rand.Rand) int8 { return int8(-95 + r.IntN(46)) }

// Verify checks matches against what was planted: every planted sighting
// matched once, by the key it was planted from, and nothing else matched.
func (w *Workload) Verify(matches []tracing.Match) error {
	seen := make([]bool, len(w.Store))
	for _, m := range matches {
		if m.Sighting < 0 || m.Sighting >= len(w.Store) || m.Key < 0 || m.Key >= len(w.Keys) {
			return fmt.Errorf("tracingbench: match (key %d, sighting %d) is out of range", m.Key, m.Sighting)
		}
		switch src := w.Source[m.Sighting]; {
		case src < 0:
			return fmt.Errorf("tracingbench: key %d matched sighting %d, which is of a device never published", m.Key, m.Sighting)
		case int(src) != m.Key:
			return fmt.Errorf("tracingbench: key %d matched sighting %d, which was planted from key %d", m.Key, m.Sighting, src)
		case seen[m.Sighting]:
			return fmt.Errorf("tracingbench: sighting %d matched twice", m.Sighting)
		}
		seen[m.Sighting] = true
	}
	if len(matches) != w.Planted {
		return fmt.Errorf("tracingbench: %d matches, want the %d planted sightings", len(matches), w.Planted)
	}
	return nil
}
