package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/keyserver"
)

// BenchOpener opens a fresh, empty store for a benchmark.
type BenchOpener func(b *testing.B) keyserver.Store

// BenchPublish measures Publish with groups of 64 uploads of 14 keys, the
// shape the server's group commit produces under load, and reports keys/s.
func BenchPublish(b *testing.B, open BenchOpener) {
	s := open(b)
	ctx := context.Background()
	const group, keys = 64, 14
	ups := make([]keyserver.Upload, group)
	n := 0
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		for i := range ups {
			ups[i] = upload(fmt.Sprint("bench-", n), n*keys, keys, start)
			n++
		}
		res, err := s.Publish(ctx, ups)
		if err != nil {
			b.Fatal(err)
		}
		if res[group-1].Inserted != keys {
			b.Fatalf("inserted %d keys, want %d", res[group-1].Inserted, keys)
		}
	}
	b.ReportMetric(float64(n*keys)/b.Elapsed().Seconds(), "keys/s")
}
