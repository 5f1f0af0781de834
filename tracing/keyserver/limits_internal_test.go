package keyserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// TestShedding: with the low-priority slots taken, a download is refused
// at once with 503 and Retry-After while a publish still gets in; with the
// publish slots taken too, a publish waits PublishQueueWait, then is shed;
// while the machine is saturated, a share of downloads is shed.
func TestShedding(t *testing.T) {
	key, err := gaen.SignatureKeyFromSeed([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: nopStore{}, VerificationKey: &key.PublicKey, Signer: gaen.ExportSigner{Key: key},
		Limits: Limits{MaxInFlight: 1, MaxInFlightPublish: 1, PublishQueueWait: 50 * time.Millisecond, PublishRate: -1}})
	if err != nil {
		t.Fatal(err)
	}
	block := make(chan struct{})
	entered := make(chan struct{}, 4)
	h := s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-block
	}))
	do := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader("{}")))
		return w
	}
	var wg sync.WaitGroup
	wg.Go(func() { do(http.MethodGet, "/v1/exports/index.txt") })
	<-entered
	t0 := time.Now()
	w := do(http.MethodGet, "/v1/exports/index.txt")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || time.Since(t0) > 20*time.Millisecond {
		t.Errorf("download with the slot taken: %d, Retry-After %q, after %v; want an immediate 503 with Retry-After",
			w.Code, w.Header().Get("Retry-After"), time.Since(t0))
	}
	wg.Go(func() { do(http.MethodPost, "/v1/publish") })
	<-entered // the publish got its own slot
	t0 = time.Now()
	w = do(http.MethodPost, "/v1/publish")
	if w.Code != http.StatusServiceUnavailable || time.Since(t0) < 40*time.Millisecond {
		t.Errorf("publish with the publish slot taken: %d after %v; want 503 after the 50 ms queue wait", w.Code, time.Since(t0))
	}
	close(block)
	wg.Wait()

	// Saturation: half the downloads are shed, publishes none.
	s.admit.shedLow.Store(1 << 15)
	shed := 0
	h = s.guard(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range 1000 {
		if do(http.MethodGet, "/v1/exports/index.txt").Code == http.StatusServiceUnavailable {
			shed++
		}
		if c := do(http.MethodPost, "/v1/publish").Code; c != 200 {
			t.Fatalf("publish while saturated: %d", c)
		}
	}
	if shed < 450 || shed > 550 {
		t.Errorf("%d of 1000 downloads shed at a 50%% shed share", shed)
	}
}

// nopStore is a Store that holds nothing (the shedding test never reaches
// it).
type nopStore struct{ Store }

func (nopStore) Ping(context.Context) error { return nil }

// TestBusyFromArrivals: the server counts as busy (chaff waits on a timer,
// without spinning) only while a monitor window saw at least busyArrivals
// requests, and stops counting as busy after a quiet window; shedding by
// lateness being off does not stop the count.
func TestBusyFromArrivals(t *testing.T) {
	for _, lag := range []time.Duration{DefaultShedLag, -1} {
		a := newAdmission(Limits{MaxInFlight: 1 << 12, MaxInFlightPublish: 16, ShedLag: lag})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.monitor(ctx); close(done) }()
		waitFor := func(want bool, feed int) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for a.busy() != want {
				if time.Now().After(deadline) {
					t.Fatalf("lag %v: busy() stayed %v", lag, !want)
				}
				for range feed {
					if release, ok := a.acquire(ctx, false); ok {
						release()
					}
				}
				time.Sleep(monitorTick)
			}
		}
		if a.busy() {
			t.Fatalf("lag %v: busy before any request", lag)
		}
		waitFor(true, busyArrivals) // more than busyArrivals a window
		waitFor(false, 0)           // a quiet window
		cancel()
		<-done
	}
}

func TestQuantileSince(t *testing.T) {
	buckets := []float64{0, 1, 2, 3, 4}
	for _, c := range []struct {
		name      string
		prev, cur []uint64
		q         float64
		want      float64
		n         uint64
	}{
		{"all of cur", nil, []uint64{5, 3, 1, 1}, 0.9, 3, 10},
		{"median", nil, []uint64{5, 3, 1, 1}, 0.5, 1, 10},
		{"only what was gained", []uint64{5, 3, 1, 0}, []uint64{5, 3, 1, 10}, 0.1, 4, 10},
		{"nothing gained", []uint64{2, 2, 2, 2}, []uint64{2, 2, 2, 2}, 0.9, 0, 0},
		{"empty", nil, []uint64{0, 0, 0, 0}, 0.9, 0, 0},
	} {
		got, n := quantileSince(buckets, c.prev, c.cur, c.q)
		if got != c.want || n != c.n {
			t.Errorf("%s: %v over %d events, want %v over %d", c.name, got, n, c.want, c.n)
		}
	}
}

// TestShedWhenGoroutinesQueue: goroutines that wait for a CPU while
// requests arrive at 2,000/s or more make the monitor shed downloads even
// though its own timer, which runs next when it fires, is on time; without
// such arrivals, or when the queue is gone, it does not shed.
func TestShedWhenGoroutinesQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("saturates the CPUs for about a second")
	}
	a := newAdmission(Limits{MaxInFlight: 1 << 12, MaxInFlightPublish: 16, ShedLag: DefaultShedLag})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { a.monitor(ctx); close(done) }()
	stop := make(chan struct{})
	var requests atomic.Bool
	var sink atomic.Uint64
	var wg sync.WaitGroup
	for range 256 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if requests.Load() {
					a.arrivals.Add(1)
				}
				// About 0.1 ms of work between yields: 256 such
				// goroutines a CPU keep its queue tens of milliseconds
				// long, with enough switches for the runtime's sampled
				// histogram to judge (minSchedSamples).
				w := uint64(1)
				for i := range uint64(1e5) {
					w = w*6364136223846793005 + i
				}
				sink.Add(w)
				runtime.Gosched()
			}
		})
	}
	// Without requests arriving, queued goroutines are not the server's:
	// nothing is shed. Then each busy goroutine counts as a request
	// arriving every loop, far over busyArrivals a window.
	time.Sleep(3 * monitorInterval)
	if p := a.shedLow.Load(); p != 0 {
		t.Errorf("shed %d/65536 with goroutines queued but no requests arriving", p)
	}
	requests.Store(true)
	deadline := time.Now().Add(5 * time.Second)
	for a.shedLow.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(monitorInterval)
	}
	close(stop)
	wg.Wait()
	if a.shedLow.Load() == 0 {
		t.Fatal("no download shed while requests arrived and goroutines queued for the CPUs")
	}
	deadline = time.Now().Add(5 * time.Second)
	for a.shedLow.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(monitorInterval)
	}
	if p := a.shedLow.Load(); p != 0 {
		t.Errorf("still shedding %d/65536 after the load went", p)
	}
	cancel()
	<-done
}
