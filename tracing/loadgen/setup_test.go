package loadgen_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/loadgen"
)

// exportServer lists one export file once listAfter has passed (an empty
// index before), and serves it unless broken.
func exportServer(t *testing.T, listAfter time.Duration, broken bool) (string, *atomic.Int64) {
	t.Helper()
	start := time.Now()
	var downloads atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/exports/index.txt":
			if time.Since(start) >= listAfter {
				w.Write([]byte("v1/exports/1600000000-1600003600-00001.zip\n"))
			}
		case "/v1/exports/1600000000-1600003600-00001.zip":
			if broken {
				http.NotFound(w, r)
				return
			}
			downloads.Add(1)
			w.Write(bytes.Repeat([]byte{1}, 1000))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL, &downloads
}

// TestSetupWaitsForExports: the set-up waits until the server lists an
// export and checks it downloads; every timed download then targets it,
// and none turns into an index poll.
func TestSetupWaitsForExports(t *testing.T) {
	url, downloads := exportServer(t, 600*time.Millisecond, false)
	r, err := loadgen.Run(context.Background(), loadgen.Config{Target: url, Rate: 100, Duration: 300 * time.Millisecond,
		Mix: loadgen.Mix{Export: 1}, SetupWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	su := r.Setup
	if su == nil || su.Exports != 1 || su.Waited < 0.5 || su.CheckedBytes != 1000 {
		t.Fatalf("set-up %+v: want one export listed after waiting about 0.6 s, checked at 1000 bytes", su)
	}
	e := r.Kinds["export"]
	if e.Requests != 30 || e.Successes != 30 || r.Kinds["index"].Requests != 0 {
		t.Errorf("export %d requests (%d ok), index %d; want 30 exports, all ok, no index polls", e.Requests, e.Successes, r.Kinds["index"].Requests)
	}
	if downloads.Load() != 31 {
		t.Errorf("server served %d downloads, want 31 (the set-up's check and 30 timed)", downloads.Load())
	}
}

func TestSetupFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broken bool
		want   string
	}{
		{"no export listed", false, "the index lists no export file after waiting 300ms"},
		{"listed export missing", true, "does not download: HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			listAfter := time.Hour
			if tc.broken {
				listAfter = 0
			}
			url, _ := exportServer(t, listAfter, tc.broken)
			_, err := loadgen.Run(context.Background(), loadgen.Config{Target: url, Rate: 100, Duration: 100 * time.Millisecond,
				Mix: loadgen.Mix{Index: 1, Export: 1}, SetupWait: 300 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	// An index-only mix does not need exports.
	url, _ := exportServer(t, time.Hour, false)
	if _, err := loadgen.Run(context.Background(), loadgen.Config{Target: url, Rate: 100, Duration: 100 * time.Millisecond,
		Mix: loadgen.Mix{Index: 1}, SetupWait: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

// TestThresholdResults: each threshold is reported with what was measured
// and PASS or FAIL; one on a kind with no requests fails, unmeasured.
func TestThresholdResults(t *testing.T) {
	url, _ := exportServer(t, 0, false)
	r, err := loadgen.Run(context.Background(), loadgen.Config{Target: url, Rate: 200, Duration: 250 * time.Millisecond,
		Mix: loadgen.Mix{Index: 1, Export: 1}})
	if err != nil {
		t.Fatal(err)
	}
	r.Thresholds = loadgen.Evaluate(r, mustThresholds(t, "p99<10s,publish.p99<1s,export.requests>=25,index.accepted_p50<1us,requests>1000"))
	want := []struct {
		pass     bool
		measured bool
	}{{true, true}, {false, false}, {true, true}, {false, true}, {false, true}}
	for i, w := range want {
		got := r.Thresholds[i]
		if got.Pass != w.pass || (got.Value != nil) != w.measured {
			t.Errorf("%s: pass %v measured %v, want %v %v", got.Threshold, got.Pass, got.Value != nil, w.pass, w.measured)
		}
	}
	if v := r.Thresholds[2].Value; v == nil || *v != 25 {
		t.Errorf("export.requests measured %v, want 25", v)
	}
	if n := r.Thresholds[1].Note; !strings.Contains(n, "no publish requests") {
		t.Errorf("publish threshold note %q", n)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, s := range []string{
		"Thresholds", "p99<10s: measured ", ", PASS",
		"publish.p99<1s: measured -, FAIL (no publish requests: nothing was measured)",
		"export.requests>=25: measured 25, PASS",
		"Mix", "index: 100/s (50%), ", "export: 100/s (50%), ",
		"Set-up", "newest v1/exports/1600000000-1600003600-00001.zip downloaded, 1000 bytes",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text report lacks %q:\n%s", s, text)
		}
	}
	// Through JSON and back, the results stay.
	buf.Reset()
	r.WriteJSON(&buf)
	d, err := loadgen.DecodeReport(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Thresholds) != 5 || d.Thresholds[1].Pass || d.Mix["export"] == nil || d.Mix["export"].Rate != 100 {
		t.Errorf("decoded thresholds %+v, mix %+v", d.Thresholds, d.Mix)
	}
}
