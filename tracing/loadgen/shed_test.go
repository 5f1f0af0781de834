package loadgen_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/loadgen"
)

// TestShedCategory: 503 and 429 answers are counted as shed, apart from
// successes and errors, and accepted latencies cover successes only.
func TestShedCategory(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 4 {
		case 0:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	r, err := loadgen.Run(context.Background(), loadgen.Config{Target: srv.URL, Rate: 400, Duration: 500 * time.Millisecond,
		Mix: loadgen.Mix{Index: 1}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The first request fetched the index before the run (the 1st
	// answer); the run's 200 requests see the rest of the cycle.
	k := r.Kinds["index"]
	if r.Requests != 200 || r.Shed < 95 || r.Shed > 105 || k.Shed != r.Shed || k.Successes < 45 || k.Successes > 55 {
		t.Errorf("%d requests, %d shed, %d successes; want 200, about 100, about 50", r.Requests, r.Shed, k.Successes)
	}
	missed := loadgen.Check(r, mustThresholds(t, "errors<=55,errors>=45,shed>=95,accepted_p99<10s"))
	if len(missed) > 0 {
		t.Errorf("thresholds: %v", missed)
	}
	if r.Generator == nil || r.Generator.MaxInFlight < 1 {
		t.Errorf("no generator report: %+v", r.Generator)
	}
}

func mustThresholds(t *testing.T, s string) []loadgen.Threshold {
	t.Helper()
	ts, err := loadgen.ParseThresholds(s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestGeneratorBottleneck: with one in-flight slot and a slow server, the
// generator waits for slots and says it is the bottleneck.
func TestGeneratorBottleneck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	r, err := loadgen.Run(context.Background(), loadgen.Config{Target: srv.URL, Rate: 200, Duration: 200 * time.Millisecond,
		Mix: loadgen.Mix{Index: 1}, MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	g := r.Generator
	if g == nil || !g.Bottleneck || g.InFlightWaits == 0 || g.Note == "" {
		t.Errorf("generator report %+v, want a bottleneck with waits and a note", g)
	}
}
