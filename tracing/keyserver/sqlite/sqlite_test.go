package sqlite_test

import (
	"context"
	"testing"

	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
	"github.com/bluesim/bluesim/tracing/keyserver/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) keyserver.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen checks what was committed is there after closing and opening
// the file again.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	var k [16]byte
	k[0] = 7
	if _, err := s.Publish(ctx, []keyserver.Upload{{TokenID: "t", Keys: []keyserver.Exposure{{Key: k, RollingPeriod: 144}}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	max, err := s.MaxSeq(ctx)
	if err != nil || max != 1 {
		t.Fatalf("MaxSeq after reopen = %d, %v", max, err)
	}
}

func BenchmarkPublish(b *testing.B) {
	storetest.BenchPublish(b, func(b *testing.B) keyserver.Store {
		s, err := sqlite.Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
