package privacy

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// city is a city-scale sniffer log of real GAEN phones: each phone spends
// eleven half-hour stays at random sniffers between 06:00 and 22:00 local,
// heard in every 10-s window with a steady signal, about 10 M records in
// all (1 M with -short). One phone in a hundred uploads its keys.
type city struct {
	log      *Log
	sniffers []Sniffer
	keys     []tracing.PublishedKey
	build    time.Duration
}

var (
	cityOnce sync.Once
	theCity  city
)

func cityLog(b *testing.B) *city {
	cityOnce.Do(func() {
		defer func() {
			if theCity.log == nil {
				b.Fatal("building the city failed")
			}
		}()
		phones, nSniffers := 5000, 2000
		if testing.Short() {
			phones, nSniffers = 500, 200
		}
		const stays, stayWindows = 11, 180
		start := time.Now()
		r := rand.New(rand.NewPCG(1, 2))
		theCity.sniffers = make([]Sniffer, nSniffers)
		for i := range theCity.sniffers {
			theCity.sniffers[i] = Sniffer{ID: uint32(i), Kind: Grid, Pos: Point{float64(i % 50 * 100), float64(i / 50 * 100)}, Place: -1, Scan: DefaultScanSchedule()}
		}
		bld, err := NewBuilder(nSniffers, 16, MetaLen, t0-dayMs)
		if err != nil {
			b.Fatal(err)
		}
		day := time.UnixMilli(t0 - dayMs)
		for p := range phones {
			var seed [32]byte
			seed[0], seed[1] = byte(p), byte(p>>8)
			dev, err := gaen.NewDevice(rand.NewChaCha8(seed), day)
			if err != nil {
				b.Fatal(err)
			}
			for range stays {
				s := uint32(r.IntN(nSniffers))
				from := t0 - 7*3_600_000 + 6*3_600_000 + int64(r.IntN(16*360))*10_000 // 06:00-22:00 local
				rssi := int8(-55 - r.IntN(40))
				for w := range int64(stayWindows) {
					at := from + w*10_000
					id, aem, err := dev.AdvertAt(time.UnixMilli(at), dev.Metadata)
					if err != nil {
						b.Fatal(err)
					}
					if err := bld.Add(Record{Sniffer: s, Time: at, ID: id, RSSI: rssi + int8(r.IntN(3)), Meta: aem}); err != nil {
						b.Fatal(err)
					}
				}
			}
			if p%100 == 0 {
				ks, err := dev.Upload(time.UnixMilli(t0).Add(-7*time.Hour), time.UnixMilli(t0).Add(17*time.Hour))
				if err != nil {
					b.Fatal(err)
				}
				theCity.keys = append(theCity.keys, ks...)
			}
		}
		theCity.log = bld.Build()
		theCity.build = time.Since(start)
	})
	return &theCity
}

// report adds per-record metrics: time, the attack's allocations, and the
// log's own size.
func report(b *testing.B, c *city, before runtime.MemStats) {
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	n := float64(c.log.Len())
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/record")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/n, "B/record")
	b.ReportMetric(float64(c.log.Bytes())/n, "log-B/record")
	b.ReportMetric(n, "records")
}

func BenchmarkLinkCity(b *testing.B) {
	c := cityLog(b)
	info := gaen.Protocol{}.Info()
	b.Logf("%d records, %d IDs, %d sniffers; generated and built in %v", c.log.Len(), c.log.Entries(), len(c.sniffers), c.build)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		if _, err := Link(c.log, c.sniffers, info, DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, c, before)
}

func BenchmarkTraceCity(b *testing.B) {
	c := cityLog(b)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	var tr *Tracing
	for range b.N {
		var err error
		if tr, err = Trace(c.log, c.sniffers, gaen.Protocol{}, c.keys, DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, c, before)
	b.ReportMetric(float64(len(c.keys)), "keys")
	var matched int
	for _, kt := range tr.Keys {
		matched += kt.Sightings
	}
	if matched == 0 {
		b.Fatal("the uploaders' keys matched nothing")
	}
	b.ReportMetric(float64(matched), "matched")
}

// BenchmarkBuildCity measures the log store itself: sorting 10 M records
// added in random order into a Log.
func BenchmarkBuildCity(b *testing.B) {
	c := cityLog(b)
	recs := make([]Record, 0, c.log.Len())
	for _, r := range c.log.Records() {
		recs = append(recs, r)
	}
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		bld, _ := NewBuilder(len(c.sniffers), 16, MetaLen, t0-dayMs)
		for _, r := range recs {
			if err := bld.Add(r); err != nil {
				b.Fatal(err)
			}
		}
		bld.Build()
	}
	b.StopTimer()
	report(b, c, before)
}
