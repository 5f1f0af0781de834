package loadgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Threshold is one pass/fail condition on a report, such as p99<50ms or
// success>0.999; Kind optionally restricts it to one request kind
// ("publish.p99<200ms").
type Threshold struct {
	Kind   string
	Metric string
	Op     string
	Value  float64 // milliseconds for latency metrics
	text   string
}

func (t Threshold) String() string { return t.text }

var latencyMetrics = map[string]func(Latency) float64{
	"min": func(l Latency) float64 { return l.Min }, "mean": func(l Latency) float64 { return l.Mean },
	"p50": func(l Latency) float64 { return l.P50 }, "p90": func(l Latency) float64 { return l.P90 },
	"p99": func(l Latency) float64 { return l.P99 }, "p99.9": func(l Latency) float64 { return l.P999 },
	"max": func(l Latency) float64 { return l.Max },
}

var otherMetrics = map[string]bool{"success": true, "rate": true, "throughput": true, "requests": true, "errors": true, "shed": true}

// acceptedPrefix marks a latency metric over successful requests only
// ("accepted_p99<100ms").
const acceptedPrefix = "accepted_"

// ParseThresholds parses a comma-separated list such as
// "p99<50ms,success>0.999,publish.p99<=200ms". Latency metrics (min, mean,
// p50, p90, p99, p99.9, max, and accepted_ before any of them for
// successful requests only) take a Go duration; success a ratio; rate and
// throughput requests per second; requests, errors and shed counts
// (errors counts failed requests that were not shed; shed the 503 and
// 429 answers). Operators: <, <=, >, >=.
func ParseThresholds(s string) ([]Threshold, error) {
	var out []Threshold
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, "<>")
		if i <= 0 {
			return nil, fmt.Errorf("threshold %q: want METRIC<VALUE or METRIC>VALUE, e.g. p99<50ms or success>0.999", part)
		}
		op := part[i : i+1]
		rest := part[i+1:]
		if strings.HasPrefix(rest, "=") {
			op += "="
			rest = rest[1:]
		}
		t := Threshold{Metric: strings.TrimSpace(part[:i]), Op: op, text: part}
		if k, m, ok := strings.Cut(t.Metric, "."); ok && k != "p99" {
			t.Kind, t.Metric = k, m
			known := false
			for kk := range numKinds {
				known = known || kk.String() == k
			}
			if !known {
				return nil, fmt.Errorf("threshold %q: unknown request kind %q (publish, chaff, index, export)", part, k)
			}
		}
		rest = strings.TrimSpace(rest)
		switch {
		case latencyMetrics[strings.TrimPrefix(t.Metric, acceptedPrefix)] != nil:
			d, err := time.ParseDuration(rest)
			if err != nil {
				return nil, fmt.Errorf("threshold %q: %s takes a duration such as 50ms", part, t.Metric)
			}
			t.Value = float64(d) / float64(time.Millisecond)
		case otherMetrics[t.Metric]:
			v, err := strconv.ParseFloat(strings.TrimSuffix(rest, "%"), 64)
			if err != nil {
				return nil, fmt.Errorf("threshold %q: %s takes a number", part, t.Metric)
			}
			if strings.HasSuffix(rest, "%") {
				v /= 100
			}
			t.Value = v
		default:
			return nil, fmt.Errorf("threshold %q: unknown metric %q (min, mean, p50, p90, p99, p99.9, max, accepted_p99 ..., success, rate, throughput, requests, errors, shed)", part, t.Metric)
		}
		out = append(out, t)
	}
	return out, nil
}

// ThresholdResult is one threshold checked against a report: what was
// measured and whether it passed.
type ThresholdResult struct {
	Threshold string `json:"threshold"`
	// Value is what was measured (milliseconds for latency metrics); nil
	// when there was nothing to measure.
	Value *float64 `json:"value"`
	Unit  string   `json:"unit,omitempty"`
	Pass  bool     `json:"pass"`
	// Note says why a threshold failed without a measurement.
	Note string `json:"note,omitempty"`
}

// String is the result as one line: the threshold, the measured value and
// PASS or FAIL.
func (t ThresholdResult) String() string {
	got := "-"
	if t.Value != nil {
		got = fmt.Sprintf("%.6g%s", *t.Value, t.Unit)
	}
	verdict := "PASS"
	if !t.Pass {
		verdict = "FAIL"
	}
	if t.Note != "" {
		verdict += " (" + t.Note + ")"
	}
	return fmt.Sprintf("%s: measured %s, %s", t.Threshold, got, verdict)
}

// Evaluate checks each threshold against r. A threshold fails when what it
// measures is missing: a kind that got no requests (publish.p99<1s with no
// publishes), a run with no requests at all, or an accepted_ latency with
// no successful request. Nothing measured is never a pass.
func Evaluate(r *Report, ts []Threshold) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(ts))
	for _, t := range ts {
		res := ThresholdResult{Threshold: t.text}
		lat, okLat, requests, successes, shed := r.Latency, r.AcceptedLatency, r.Requests, r.successes, r.Shed
		rate, throughput := r.Rate, r.Throughput
		what := "requests"
		if t.Kind != "" {
			k := r.Kinds[t.Kind]
			if k == nil {
				k = &KindReport{}
			}
			lat, okLat, requests, successes, shed = k.Latency, k.AcceptedLatency, k.Requests, k.Successes, k.Shed
			rate, throughput = 0, 0
			if r.Duration > 0 {
				rate = float64(k.Requests) / r.Duration
			}
			if r.Duration+r.Wait > 0 {
				throughput = float64(k.Successes) / (r.Duration + r.Wait)
			}
			what = t.Kind + " requests"
		}
		if requests <= 0 {
			res.Note = "no " + what + ": nothing was measured"
			out = append(out, res)
			continue
		}
		var got float64
		switch t.Metric {
		case "success":
			got = float64(successes) / float64(requests)
		case "rate":
			got = rate
		case "throughput":
			got = throughput
		case "requests":
			got = float64(requests)
		case "errors":
			got = float64(requests - successes - shed)
		case "shed":
			got = float64(shed)
		default:
			res.Unit = "ms"
			if m, ok := strings.CutPrefix(t.Metric, acceptedPrefix); ok {
				if successes <= 0 {
					res.Note = "no successful " + what + ": nothing was measured"
					out = append(out, res)
					continue
				}
				got = latencyMetrics[m](okLat)
			} else {
				got = latencyMetrics[t.Metric](lat)
			}
		}
		res.Value = &got
		switch t.Op {
		case "<":
			res.Pass = got < t.Value
		case "<=":
			res.Pass = got <= t.Value
		case ">":
			res.Pass = got > t.Value
		case ">=":
			res.Pass = got >= t.Value
		}
		out = append(out, res)
	}
	return out
}

// Check returns a message for each threshold r misses; none means pass.
// A threshold on something that got no samples is missed (Evaluate).
func Check(r *Report, ts []Threshold) []string {
	var missed []string
	for _, res := range Evaluate(r, ts) {
		if res.Pass {
			continue
		}
		if res.Value == nil {
			missed = append(missed, fmt.Sprintf("%s (%s)", res.Threshold, res.Note))
		} else {
			missed = append(missed, fmt.Sprintf("%s (got %.6g%s)", res.Threshold, *res.Value, res.Unit))
		}
	}
	return missed
}
