package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bluesim/bluesim/tracing/keyserver/soak"
)

// helperCommand runs "bluesim serve" in this test binary's helper process.
func helperCommand(args []string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(os.Environ(), serveHelperEnv+"=1", serveHelperArgs+"="+strings.Join(args, "\x1f"))
	return cmd
}

// soakKills is how many SIGKILLs the CI soak deals each store: the issue's
// full soak (50 and 20 kills) runs with bluesim soak.
const soakKills = 10

func runSoak(t *testing.T, db string) {
	t.Helper()
	rep, err := soak.Run(context.Background(), soak.Config{
		Command: helperCommand, Data: t.TempDir(), DB: db, Kills: soakKills, Publishers: 6,
		MinUp: 150 * time.Millisecond, MaxUp: 500 * time.Millisecond, Seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if !rep.OK() || rep.Kills != soakKills {
		t.Fatalf("soak: %v", rep)
	}
}

// TestSoakSQLite kills the server 10 times under uploads (SQLite).
func TestSoakSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	runSoak(t, "")
}

// TestSoakPostgres is the same against PostgreSQL (BLUESIM_TEST_POSTGRES,
// which .ci/run sets; skipped without it outside CI).
func TestSoakPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	base := os.Getenv("BLUESIM_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("BLUESIM_TEST_POSTGRES is not set but CI=true: .ci/run should have started PostgreSQL")
		}
		t.Skip("BLUESIM_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("bluesim_soak_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	runSoak(t, u.String())
}

func TestSoakUsage(t *testing.T) {
	golden(t, "soak_bad_up", "soak", "--min-up", "2s", "--max-up", "1s")
	golden(t, "soak_bad_kills", "soak", "--kills", "0")
}
