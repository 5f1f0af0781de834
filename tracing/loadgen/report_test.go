package loadgen_test

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/loadgen"
)

// slowServer answers GETs after delay, one request at a time.
func slowServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		time.Sleep(delay)
		mu.Unlock()
		w.Write([]byte("v1/exports/1-2-00001.zip"))
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// TestOpenModel checks there is no coordinated omission: a server that
// takes 20 ms per request, one at a time, cannot keep up with 100
// requests/s, and the requests queued behind each other must show their
// waiting time in the latencies, measured from their scheduled send times.
func TestOpenModel(t *testing.T) {
	url := slowServer(t, 20*time.Millisecond)
	r, err := loadgen.Run(context.Background(), loadgen.Config{Target: url, Rate: 100, Duration: time.Second, Mix: loadgen.Mix{Index: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 100 {
		t.Fatalf("%d requests, want 100", r.Requests)
	}
	// The last request is scheduled at 0.99 s and served at about 2 s.
	if r.Latency.Max < 700 || r.Wait < 0.5 {
		t.Errorf("max latency %.1f ms, wait %.2f s: queued requests must show their wait (about 1 s)", r.Latency.Max, r.Wait)
	}
	if r.Latency.P50 < 10*r.Latency.Min {
		t.Errorf("p50 %.1f ms vs min %.1f ms: latencies do not grow as the queue does", r.Latency.P50, r.Latency.Min)
	}
}

func runShard(t *testing.T, url string, shard loadgen.Shard) *loadgen.Report {
	t.Helper()
	r, err := loadgen.Run(context.Background(), loadgen.Config{Target: url, Rate: 200, Duration: 500 * time.Millisecond,
		Mix: loadgen.Mix{Index: 1, Export: 1}, Shard: shard, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestShardsMerge(t *testing.T) {
	url := slowServer(t, 0)
	a := runShard(t, url, loadgen.Shard{I: 1, N: 2})
	b := runShard(t, url, loadgen.Shard{I: 2, N: 2})
	if a.Requests != 50 || b.Requests != 50 {
		t.Fatalf("shards sent %d and %d requests, want 50 each (half of 200/s for 0.5 s)", a.Requests, b.Requests)
	}
	// Through JSON, as bluesim merge reads result files.
	var decoded []*loadgen.Report
	for _, r := range []*loadgen.Report{a, b} {
		var buf bytes.Buffer
		if err := r.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		d, err := loadgen.DecodeReport(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if d.Requests != r.Requests || d.Latency != r.Latency {
			t.Errorf("JSON round trip changed the report: %+v vs %+v", d.Latency, r.Latency)
		}
		decoded = append(decoded, d)
	}
	m, err := loadgen.MergeReports(decoded...)
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 100 || m.Status["200"] != 100 || strings.Join(m.Shards, ",") != "1/2,2/2" {
		t.Errorf("merged: %d requests, status %v, shards %v", m.Requests, m.Status, m.Shards)
	}
	if math.Abs(m.RequestedRate-200) > 1e-9 {
		t.Errorf("merged requested rate %v, want 200", m.RequestedRate)
	}
	if m.Latency.Min != min(a.Latency.Min, b.Latency.Min) || m.Latency.Max != max(a.Latency.Max, b.Latency.Max) {
		t.Errorf("merged min/max %v/%v from %v/%v and %v/%v", m.Latency.Min, m.Latency.Max, a.Latency.Min, a.Latency.Max, b.Latency.Min, b.Latency.Max)
	}
	if m.Kinds["index"].Requests+m.Kinds["export"].Requests != 100 {
		t.Errorf("kinds do not add up: %+v", m.Kinds)
	}
	// Merging leaves the inputs alone.
	if decoded[0].Requests != 50 {
		t.Error("merge modified its input")
	}
	if _, err := loadgen.MergeReports(); err == nil {
		t.Error("merging nothing should fail")
	}
	for _, bad := range []string{`{}`, `{"kinds":{"index":{"requests":1,"histogram":"bm9wZQ=="}}}`, `not json`} {
		if _, err := loadgen.DecodeReport([]byte(bad)); err == nil {
			t.Errorf("DecodeReport(%s) accepted it", bad)
		}
	}
}

func TestThresholds(t *testing.T) {
	url := slowServer(t, 0)
	r := runShard(t, url, loadgen.Shard{I: 1, N: 1})
	for _, tc := range []struct {
		spec   string
		missed int
	}{
		{"p99<10s,success>0.999", 0},
		{"p99 < 10s , success >= 1", 0},
		{"p50<1us", 1},
		{"success>1", 1},
		{"max<=10s,min>=0s,mean<10s,p90<10s,p99.9<10s", 0},
		{"rate>50,throughput>50,requests>=100,errors<1", 0},
		{"index.p99<10s,export.success>0.5", 0},
		// Nothing measured is not a pass: the mix has no publishes.
		{"publish.requests<1", 1},
		{"publish.p99<10s,chaff.errors<1,index.requests>0", 2},
		{"rate>1000,p50<1us", 2},
		{"success>99%", 0},
	} {
		ts, err := loadgen.ParseThresholds(tc.spec)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if got := loadgen.Check(r, ts); len(got) != tc.missed {
			t.Errorf("%q: missed %v, want %d missed", tc.spec, got, tc.missed)
		}
	}
	for _, bad := range []string{"p99", "p99<fast", "p98<1ms", "success>lots", "upload.p99<1ms", "=5"} {
		if _, err := loadgen.ParseThresholds(bad); err == nil {
			t.Errorf("ParseThresholds(%q) accepted it", bad)
		}
	}
}

func TestNationalLoad(t *testing.T) {
	n := loadgen.DefaultNationalLoad
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	r := n.Rates()
	users := 30e6
	if math.Abs(r.Index-users/3600) > 1 || math.Abs(r.Export-r.Index) > 1e-9 || math.Abs(r.Chaff-users/86400) > 1e-6 {
		t.Errorf("rates %+v for 30 M users polling hourly", r)
	}
	if math.Abs(r.Publish-10000*30.0/97/86400) > 1e-9 {
		t.Errorf("publish rate %v", r.Publish)
	}
	mix, scale := n.Scale(5000)
	total := mix.Publish + mix.Chaff + mix.Index + mix.Export
	if math.Abs(scale*total-5000) > 1e-6 {
		t.Errorf("scale %v × national %v != 5000", scale, total)
	}
	got, err := loadgen.LoadNationalLoad("n.yaml", []byte("population: 1000000\nadoption: 0.5\npoll_interval: 30m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Population != 1e6 || got.Adoption != 0.5 || got.PollInterval != 30*time.Minute || got.KeysPerUpload != 14 {
		t.Errorf("loaded %+v", got)
	}
	for _, bad := range []string{"populaton: 5\n", "adoption: 2\n", "poll_interval: -1h\n", "keys_per_upload: 20\n", "adoption: [1]\n"} {
		if _, err := loadgen.LoadNationalLoad("n.yaml", []byte(bad)); err == nil {
			t.Errorf("LoadNationalLoad(%q) accepted it", bad)
		}
	}
	if _, err := loadgen.LoadNationalLoad("n.yaml", []byte("populaton: 5\n")); err == nil || !strings.Contains(err.Error(), "n.yaml:1:1:") {
		t.Errorf("unknown field error should name the file and line: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []loadgen.Config{
		{Target: "ftp://x", Rate: 1, Duration: time.Second, Mix: loadgen.Mix{Index: 1}},
		{Target: "http://127.0.0.1:1", Rate: 0, Duration: time.Second, Mix: loadgen.Mix{Index: 1}},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: 0, Mix: loadgen.Mix{Index: 1}},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second, Mix: loadgen.Mix{Publish: 1}},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second, Mix: loadgen.Mix{Index: -1, Export: 2}},
		{Target: "http://127.0.0.1:1", Rate: 1, Duration: time.Second, Mix: loadgen.Mix{Index: 1}, Phones: loadgen.PhoneConfig{N: 2}},
	} {
		if _, err := loadgen.Run(context.Background(), tc); err == nil {
			t.Errorf("Run accepted %+v", tc)
		}
	}
	for _, s := range []string{"0/1", "0/2", "3/2", "-1/2", "a/b", "3"} {
		if _, err := loadgen.ParseShard(s); err == nil {
			t.Errorf("ParseShard(%q) accepted it", s)
		}
	}
	if s, err := loadgen.ParseShard("2/5"); err != nil || s != (loadgen.Shard{I: 2, N: 5}) {
		t.Errorf("ParseShard(2/5) = %v, %v", s, err)
	}
}
