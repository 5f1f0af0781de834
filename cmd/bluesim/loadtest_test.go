package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
	"github.com/bluesim/bluesim/tracing/loadgen"
)

// devServer runs a key server in process on 127.0.0.1 with the dev keys
// of a fresh data directory.
func devServer(t *testing.T) (url, dir string) {
	t.Helper()
	dir = t.TempDir()
	keys, _, err := keyserver.EnsureDevKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := keyserver.New(keyserver.Config{Store: st, VerificationKey: &keys.Token.PublicKey,
		Signer: gaen.ExportSigner{Key: keys.Export}, ExportPeriod: 200 * time.Millisecond, ReleaseSameDayKeys: true, MinWindowAge: -1,
		// The test checks the generator, not overload: no saturation shedding.
		Limits: keyserver.Limits{ShedLag: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); <-done; st.Close() })
	return hs.URL, dir
}

func TestLoadtestRun(t *testing.T) {
	url, dir := devServer(t)
	out := filepath.Join(t.TempDir(), "report.json")
	got := runCLI(t, "loadtest", "--target", url, "--data", dir, "--rate", "300", "--duration", "700ms",
		"--phones", "2", "--phone-sightings", "1000", "--phone-poll", "200ms", "--phones-settle", "5s",
		"--format", "json", "--output", out, "--threshold", "success>0.99,p99<5s")
	if got.code != 0 {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := loadgen.DecodeReport(data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 210 || r.Success != 1 || r.Phones == nil || r.Phones.EncountersMatched != r.Phones.EncountersPublished {
		t.Errorf("report: %d requests, success %v, phones %+v", r.Requests, r.Success, r.Phones)
	}
	// The same run with a threshold nobody meets exits 3, after printing
	// the report.
	got = runCLI(t, "loadtest", "--target", url, "--data", dir, "--rate", "100", "--duration", "200ms", "--threshold", "p50<1us")
	if got.code != exitThreshold || !strings.Contains(got.stdout, "Latencies") || !strings.Contains(got.stderr, "p50<1us") {
		t.Errorf("missed threshold: exit %d\nstdout %s\nstderr %s", got.code, got.stdout, got.stderr)
	}
	// A national-load run: publishes are 0.04/s of 17,000/s nationally,
	// under one a second at any rate a machine drives, so they are raised
	// to the floor of 1/s; every kind is sent, and the report says so.
	out = filepath.Join(t.TempDir(), "national.json")
	got = runCLI(t, "loadtest", "--target", url, "--data", dir, "--scenario", "national-load", "--rate", "200", "--duration", "1s",
		"--format", "json", "--output", out, "--threshold", "publish.success>=1,export.success>=1")
	if got.code != 0 || !strings.Contains(got.stdout, "national-load (scale") {
		t.Fatalf("national-load: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	for _, want := range []string{"publish raised from 0.000421/s to the floor of 1/s", "Mix", "publish: 1/s",
		"publish.success>=1: measured 1, PASS", "export.success>=1: measured 1, PASS"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("national-load report lacks %q:\n%s", want, got.stdout)
		}
	}
	data, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = loadgen.DecodeReport(data); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"publish", "chaff", "index", "export"} {
		if kr := r.Kinds[k]; kr == nil || kr.Requests == 0 || kr.Successes != kr.Requests {
			t.Errorf("national-load: %s %+v, want requests > 0, all successful", k, kr)
		}
	}
	if m := r.Mix["publish"]; m == nil || !m.Floored || m.Rate != 1 {
		t.Errorf("national-load publish plan %+v, want floored to 1/s", m)
	}
	// A threshold on a kind that got no requests fails, and the exit code
	// says so.
	got = runCLI(t, "loadtest", "--target", url, "--mix", "index=1,export=1", "--rate", "100", "--duration", "200ms",
		"--threshold", "p99<10s,publish.p99<1s")
	if got.code != exitThreshold || !strings.Contains(got.stdout, "publish.p99<1s: measured -, FAIL (no publish requests: nothing was measured)") ||
		!strings.Contains(got.stdout, "p99<10s: measured ") || !strings.Contains(got.stderr, "1 of 2 thresholds failed") {
		t.Errorf("threshold on an empty kind: exit %d\nstdout %s\nstderr %s", got.code, got.stdout, got.stderr)
	}
}

func TestLoadtestUsage(t *testing.T) {
	golden(t, "loadtest_bad_threshold", "loadtest", "--threshold", "p99<fast", "--mix", "index=1")
	golden(t, "loadtest_bad_shard", "loadtest", "--shard", "0/2", "--mix", "index=1")
	golden(t, "loadtest_bad_mix", "loadtest", "--mix", "publish=1,upload=3")
	golden(t, "loadtest_no_token_key", "loadtest", "--mix", "publish=1,index=1")
	golden(t, "loadtest_bad_format", "loadtest", "--format", "xml")
	golden(t, "loadtest_bad_scenario", "loadtest", "--scenario", "testdata/loadtest_no_such_file.yaml")
}
