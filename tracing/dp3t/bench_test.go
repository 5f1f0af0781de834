package dp3t

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// TestNoAllocPerEphID checks that deriving a day allocates the same whether
// the day has 96 or 1440 EphIDs: nothing is allocated per EphID (only the
// HMAC and AES state per day, which crypto/hmac and crypto/aes allocate).
func TestNoAllocPerEphID(t *testing.T) {
	sk := mustKey(t, vecSK1)
	perDay := map[int]float64{}
	for _, n := range []int{96, 1440} {
		g, _ := NewGenerator(n)
		perDay[n] = testing.AllocsPerRun(50, func() {
			g.Derive(&sk)
			_ = g.InSlot(n - 1)
		})
	}
	if perDay[96] != perDay[1440] {
		t.Errorf("a day allocates %v times with 96 EphIDs and %v with 1440", perDay[96], perDay[1440])
	}
}

// benchWorld is a phone holding m sightings over 14 days and n published
// one-day keys, about 1 % of which the phone saw.
func benchWorld(b *testing.B, n, m int) ([]tracing.PublishedKey, []tracing.Sighting) {
	r := rand.New(rand.NewPCG(11, uint64(n)))
	keys := make([]tracing.PublishedKey, n)
	store := make([]tracing.Sighting, 0, m)
	g, _ := NewGenerator(96)
	for i := range keys {
		var sk Key
		for j := range sk {
			sk[j] = byte(r.Uint32())
		}
		day := day0.Unix() + int64(r.IntN(14))*daySecs
		keys[i] = tracing.PublishedKey{Key: sk[:], Start: day, End: day + daySecs - 1, Slots: 96}
		if i%100 == 0 && len(store) < m {
			g.Derive(&sk)
			store = append(store, tracing.Sighting{ID: g.ID(r.IntN(96)), Time: day*1000 + r.Int64N(dayMillis)})
		}
	}
	for len(store) < m {
		var id tracing.ID
		for j := range IDLen {
			id[j] = byte(r.Uint32())
		}
		store = append(store, tracing.Sighting{ID: id, Time: day0.UnixMilli() + r.Int64N(14*dayMillis)})
	}
	return keys, store
}

// BenchmarkMatch is the phone-side check of N one-day keys against 100,000
// sightings, index build included; CryptoFloor is HMAC + 96 AES blocks per
// key alone, measured in the same run.
func BenchmarkMatch(b *testing.B) {
	p := Default()
	for _, n := range []int{1_000, 10_000, 100_000} {
		keys, store := benchWorld(b, n, 100_000)
		b.Run(fmt.Sprintf("keys=%d/sightings=100000", n), func(b *testing.B) {
			b.ReportAllocs()
			var dst []tracing.Match
			for b.Loop() {
				var err error
				dst, err = p.Match(dst[:0], keys, store)
				if err != nil {
					b.Fatal(err)
				}
			}
			if len(dst) < n/100 {
				b.Fatalf("%d matches, want at least %d", len(dst), n/100)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
	b.Run("CryptoFloor", func(b *testing.B) {
		b.ReportAllocs()
		g, _ := NewGenerator(96)
		var sk Key
		for b.Loop() {
			sk[0]++
			g.Derive(&sk)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})
}

// BenchmarkIDAt is a device answering which EphID it broadcasts, within a
// day (the steady state: no allocation).
func BenchmarkIDAt(b *testing.B) {
	dev, _ := Default().NewDeviceFromSeed(Key{1}, day0)
	at := day0.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := dev.IDAt(at); err != nil {
			b.Fatal(err)
		}
	}
}
