package loadgen

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestQuantiles: the phones' per-day figures are nearest-rank quantiles,
// the value at index floor(q·n) of the sorted values (the largest for
// q·n ≥ n − 1), whatever order the phones reported in.
func TestQuantiles(t *testing.T) {
	seq := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i + 1)
		}
		rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { v[i], v[j] = v[j], v[i] })
		return v
	}
	for _, tc := range []struct {
		in   []float64
		want Quantiles
	}{
		{nil, Quantiles{}},
		{[]float64{7}, Quantiles{P50: 7, P99: 7}},
		{[]float64{20, 10}, Quantiles{P50: 20, P99: 20}},
		{[]float64{30, 10, 20}, Quantiles{P50: 20, P99: 30}},
		{seq(100), Quantiles{P50: 51, P99: 100}},
		{seq(1000), Quantiles{P50: 501, P99: 991}},
	} {
		if got := quantiles(tc.in); got != tc.want {
			t.Errorf("quantiles of %d values: %+v, want %+v", len(tc.in), got, tc.want)
		}
	}
}

// TestLatencyOf: a report's latencies are the histogram's microseconds
// in milliseconds. Values below 2048 µs are held exactly at three
// significant figures, so 1, 2, ..., 1000 µs give exactly min 0.001 ms,
// mean 0.5005 ms, p50 0.5, p90 0.9, p99 0.99, p99.9 0.999 and max 1 ms.
func TestLatencyOf(t *testing.T) {
	if got := latencyOf(newHist()); got != (Latency{}) {
		t.Fatalf("empty histogram: %+v", got)
	}
	h := newHist()
	for us := int64(1); us <= 1000; us++ {
		if err := h.RecordValue(us); err != nil {
			t.Fatal(err)
		}
	}
	got := latencyOf(h)
	want := Latency{Min: 0.001, Mean: 0.5005, P50: 0.5, P90: 0.9, P99: 0.99, P999: 0.999, Max: 1}
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"min", got.Min, want.Min}, {"mean", got.Mean, want.Mean}, {"p50", got.P50, want.P50}, {"p90", got.P90, want.P90},
		{"p99", got.P99, want.P99}, {"p99.9", got.P999, want.P999}, {"max", got.Max, want.Max},
	} {
		if math.Abs(f.got-f.want) > 1e-9 {
			t.Errorf("%s = %v ms, want %v", f.name, f.got, f.want)
		}
	}
}

// TestNationalRatesScale: each national rate follows its parameter
// linearly (none of them is 1 here, so a factor multiplied in place of
// divided, or dropped, shows): users = population × adoption, index polls
// = users / poll interval, downloads = polls × downloads per poll, chaff =
// users × chaff a day / 86,400, publishes = diagnoses × adoption × upload
// fraction / 86,400.
func TestNationalRatesScale(t *testing.T) {
	n := NationalLoad{Population: 2e6, Adoption: 0.25, DiagnosesPerDay: 4320, UploadFraction: 0.5,
		KeysPerUpload: 10, PollInterval: 2 * time.Hour, DownloadsPerPoll: 3, ChaffPerUserPerDay: 4}
	users := 2e6 * 0.25
	want := Mix{Publish: 4320 * 0.25 * 0.5 / 86400, Chaff: users * 4 / 86400, Index: users / 7200, Export: users / 7200 * 3}
	got := n.Rates()
	for _, f := range []struct {
		name      string
		got, want float64
	}{{"publish", got.Publish, want.Publish}, {"chaff", got.Chaff, want.Chaff}, {"index", got.Index, want.Index}, {"export", got.Export, want.Export}} {
		if math.Abs(f.got-f.want) > 1e-9*f.want {
			t.Errorf("%s rate %v/s, want %v", f.name, f.got, f.want)
		}
	}
	if k := n.KeysPerDay(); k != 4320*0.25*0.5*10 {
		t.Errorf("keys a day %v, want %v", k, 4320*0.25*0.5*10)
	}
}
