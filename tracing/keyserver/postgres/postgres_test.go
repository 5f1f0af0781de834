package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/postgres"
	"github.com/bluesim/bluesim/tracing/keyserver/storetest"
)

// EnvURL names the variable with the test server's URL; .ci/run starts a
// PostgreSQL server and sets it.
const EnvURL = "BLUESIM_TEST_POSTGRES"

// testURL returns the test database's URL. Without one the tests skip,
// except in CI (CI=true), where a missing database is a failure.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set but CI=true: .ci/run should have started PostgreSQL", EnvURL)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL store tests (run .ci/run, or point it at a server: %s=postgres://user@127.0.0.1:5432/db)", EnvURL, EnvURL)
	}
	return u
}

var schemaNo atomic.Int64

// freshSchema creates an empty schema and returns a URL whose connections
// use it, so every subtest starts from empty tables.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("bluesim_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaNo.Add(1))
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP SCHEMA "+name+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestStore(t *testing.T) {
	base := testURL(t)
	storetest.Run(t, func(t *testing.T) keyserver.Store {
		s, err := postgres.Open(context.Background(), freshSchema(t, base))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestOpenBadURL(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://%zz"); err == nil {
		t.Fatal("Open accepted a malformed URL")
	}
}

func BenchmarkPublish(b *testing.B) {
	base := os.Getenv(EnvURL)
	if base == "" {
		b.Skipf("%s is not set", EnvURL)
	}
	storetest.BenchPublish(b, func(b *testing.B) keyserver.Store {
		s, err := postgres.Open(context.Background(), freshSchema(b, base))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}
