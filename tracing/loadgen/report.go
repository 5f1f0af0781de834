package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds from 1 µs to 10 minutes with 3
// significant digits (loadtest.md §3.5).
const (
	histMin     = 1
	histMax     = int64(10 * time.Minute / time.Microsecond)
	histSigFigs = 3
	maxErrors   = 100 // distinct error strings kept
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histSigFigs) }

// Latency summarises a histogram in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

func latencyOf(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Min: ms(h.Min()), Mean: h.Mean() / 1000, P50: ms(h.ValueAtQuantile(50)), P90: ms(h.ValueAtQuantile(90)),
		P99: ms(h.ValueAtQuantile(99)), P999: ms(h.ValueAtQuantile(99.9)), Max: ms(h.Max()),
	}
}

// ErrorCount is one distinct error and how often it occurred.
type ErrorCount struct {
	Error string `json:"error"`
	Count int64  `json:"count"`
}

// KindReport is the part of a report for one request kind.
type KindReport struct {
	Requests  int64 `json:"requests"`
	Successes int64 `json:"successes"`
	// Shed counts requests the server refused for load or rate (503 or
	// 429): neither successes nor errors.
	Shed     int64   `json:"shed"`
	Latency  Latency `json:"latency_ms"`
	BytesIn  int64   `json:"bytes_in"`
	BytesOut int64   `json:"bytes_out"`
	// Histogram is the HDR histogram of latencies in µs, V2 compressed
	// and base64-encoded, so reports merge exactly.
	Histogram string `json:"histogram"`
	// AcceptedLatency and AcceptedHistogram cover the successful
	// requests alone: what the server's shedding protects.
	AcceptedLatency   Latency `json:"accepted_latency_ms"`
	AcceptedHistogram string  `json:"accepted_histogram,omitempty"`
	hist, okHist      *hdr.Histogram
}

// GeneratorReport says whether the load generator kept its schedule. When
// it fell behind (its send lag grew, or it waited for a free in-flight
// slot), latencies include its own delay and the server may not be the
// bottleneck.
type GeneratorReport struct {
	// SendLag is the delay from a request's scheduled time to when it
	// was handed to the HTTP client, in milliseconds.
	SendLag Latency `json:"send_lag_ms"`
	// MaxInFlight is the in-flight bound the run used (the configured one,
	// lowered to fit the open-files limit); InFlightWaits counts requests
	// that waited for a slot.
	MaxInFlight   int   `json:"max_in_flight"`
	InFlightWaits int64 `json:"in_flight_waits"`
	// FileLimit is the open-files limit (RLIMIT_NOFILE) after the run
	// raised it as far as it could; 0 where there is none.
	FileLimit uint64 `json:"file_limit"`
	// Bottleneck is set when the generator fell behind: p99 send lag over
	// 10 ms, or any wait for an in-flight slot.
	Bottleneck bool   `json:"bottleneck"`
	Note       string `json:"note,omitempty"`
	lagHist    *hdr.Histogram
}

func (g *GeneratorReport) finish() {
	if g.lagHist != nil {
		g.SendLag = latencyOf(g.lagHist)
	}
	g.Bottleneck = g.SendLag.P99 > 10 || g.InFlightWaits > 0
	g.Note = ""
	if g.Bottleneck {
		g.Note = fmt.Sprintf("the generator fell behind its schedule (send lag p99 %s, %d waits for one of %d in-flight slots): latencies include its own delay, so the server may not be the bottleneck",
			fmtMS(g.SendLag.P99), g.InFlightWaits, g.MaxInFlight)
	}
}

// Report is the result of a run, or of several merged.
type Report struct {
	Target   string    `json:"target"`
	Scenario string    `json:"scenario,omitempty"`
	Shards   []string  `json:"shards"`
	Start    time.Time `json:"start"`
	// RequestedRate is the arrival rate the run was asked for (summed over
	// merged shards).
	RequestedRate float64 `json:"requested_rate"`
	// Duration is the attack: first to last scheduled request; Wait from
	// the last scheduled request to the last response.
	Duration   float64 `json:"duration_s"`
	Wait       float64 `json:"wait_s"`
	Requests   int64   `json:"requests"`
	Shed       int64   `json:"shed"`
	Rate       float64 `json:"rate"`
	Throughput float64 `json:"throughput"`
	Success    float64 `json:"success"`
	Latency    Latency `json:"latency_ms"`
	// AcceptedLatency is the latency of the successful requests alone.
	AcceptedLatency Latency          `json:"accepted_latency_ms"`
	BytesIn         int64            `json:"bytes_in"`
	BytesOut        int64            `json:"bytes_out"`
	Status          map[string]int64 `json:"status_codes"`
	Errors          []ErrorCount     `json:"errors"`
	// Kinds holds the same figures per request kind.
	Kinds map[string]*KindReport `json:"kinds"`
	// Scale is, for a scenario run, the fraction of the scenario's
	// national traffic this run sent.
	Scale float64 `json:"scale,omitempty"`
	// Phones reports the simulated phones, when there were any.
	Phones *PhoneReport `json:"phones,omitempty"`
	// Histogram is the merged latency histogram of all kinds (µs).
	Histogram string `json:"histogram"`
	// Generator says whether the load generator kept its schedule (one
	// per shard is kept: the worst).
	Generator *GeneratorReport `json:"generator,omitempty"`
	// Mix is the traffic asked for, per request kind: its share of the
	// mix and the rate it was sent at (raised to MinKindRate where its
	// share fell under it; FloorNote says which). Kinds holds what was
	// achieved.
	Mix       map[string]*KindRate `json:"mix,omitempty"`
	FloorNote string               `json:"floor_note,omitempty"`
	// Setup is what the set-up found before the timed phase (per shard:
	// the first is kept when merging).
	Setup *SetupReport `json:"setup,omitempty"`
	// Thresholds are the thresholds checked, with what was measured and
	// PASS or FAIL (set by the caller with Evaluate).
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`

	successes    int64
	hist, okHist *hdr.Histogram
	errs         map[string]int64
}

// finish computes the derived figures from the counters and histograms.
func (r *Report) finish() error {
	r.hist, r.okHist = newHist(), newHist()
	r.Requests, r.successes, r.Shed, r.BytesIn, r.BytesOut = 0, 0, 0, 0, 0
	for _, name := range slices.Sorted(maps.Keys(r.Kinds)) {
		k := r.Kinds[name]
		if k.hist == nil {
			return fmt.Errorf("kind %s has no histogram", name)
		}
		if k.okHist == nil {
			k.okHist = newHist()
		}
		k.Latency, k.AcceptedLatency = latencyOf(k.hist), latencyOf(k.okHist)
		enc, err := k.hist.Encode(hdr.V2CompressedEncodingCookieBase)
		if err != nil {
			return err
		}
		k.Histogram = string(enc)
		if enc, err = k.okHist.Encode(hdr.V2CompressedEncodingCookieBase); err != nil {
			return err
		}
		k.AcceptedHistogram = string(enc)
		r.hist.Merge(k.hist)
		r.okHist.Merge(k.okHist)
		r.Requests += k.Requests
		r.successes += k.Successes
		r.Shed += k.Shed
		r.BytesIn += k.BytesIn
		r.BytesOut += k.BytesOut
	}
	r.Latency, r.AcceptedLatency = latencyOf(r.hist), latencyOf(r.okHist)
	if r.Generator != nil {
		r.Generator.finish()
	}
	enc, err := r.hist.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return err
	}
	r.Histogram = string(enc)
	if r.Duration > 0 {
		r.Rate = float64(r.Requests) / r.Duration
	}
	if r.Duration+r.Wait > 0 {
		r.Throughput = float64(r.successes) / (r.Duration + r.Wait)
	}
	if r.Requests > 0 {
		r.Success = float64(r.successes) / float64(r.Requests)
	}
	r.Errors = []ErrorCount{}
	for e, n := range r.errs {
		r.Errors = append(r.Errors, ErrorCount{e, n})
	}
	slices.SortFunc(r.Errors, func(a, b ErrorCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Error, b.Error)
	})
	if len(r.Errors) > maxErrors {
		r.Errors = r.Errors[:maxErrors]
	}
	if r.Status == nil {
		r.Status = map[string]int64{}
	}
	r.FloorNote = floorNote(r.Mix)
	return nil
}

// DecodeReport reads a JSON report written by WriteJSON and restores its
// histograms, so that it can be merged.
func DecodeReport(data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("loadtest report: %w", err)
	}
	if len(r.Kinds) == 0 {
		return nil, errors.New("loadtest report: no kinds (not a bluesim loadtest report?)")
	}
	for name, k := range r.Kinds {
		if k == nil {
			return nil, fmt.Errorf("loadtest report: kind %s is null", name)
		}
		h, err := hdr.Decode([]byte(k.Histogram))
		if err != nil {
			return nil, fmt.Errorf("loadtest report: kind %s histogram: %w", name, err)
		}
		if h.TotalCount() != k.Requests {
			return nil, fmt.Errorf("loadtest report: kind %s histogram holds %d values, requests %d", name, h.TotalCount(), k.Requests)
		}
		if k.Successes < 0 || k.Shed < 0 || k.Successes+k.Shed > k.Requests {
			return nil, fmt.Errorf("loadtest report: kind %s: %d successes and %d shed of %d requests", name, k.Successes, k.Shed, k.Requests)
		}
		k.hist = h
		k.okHist = newHist()
		if k.AcceptedHistogram != "" {
			ok, err := hdr.Decode([]byte(k.AcceptedHistogram))
			if err != nil {
				return nil, fmt.Errorf("loadtest report: kind %s accepted histogram: %w", name, err)
			}
			if ok.TotalCount() != k.Successes {
				return nil, fmt.Errorf("loadtest report: kind %s accepted histogram holds %d values, successes %d", name, ok.TotalCount(), k.Successes)
			}
			k.okHist = ok
		}
	}
	for name, kr := range r.Mix {
		if kr == nil {
			return nil, fmt.Errorf("loadtest report: mix %s is null", name)
		}
	}
	r.errs = map[string]int64{}
	for _, e := range r.Errors {
		r.errs[e.Error] += e.Count
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return &r, nil
}

// MergeReports adds reports of shards that ran at the same time: counts,
// bytes, status codes, errors and histograms add; the duration is the
// longest; rate and throughput are recomputed over it (so they add up too).
// Phones' figures are pooled. The inputs are not modified.
func MergeReports(reports ...*Report) (*Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("merge: no reports")
	}
	out := &Report{Kinds: map[string]*KindReport{}, Status: map[string]int64{}, errs: map[string]int64{}}
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("merge: report %d is nil", i)
		}
		if i == 0 {
			out.Target, out.Scenario, out.Start = r.Target, r.Scenario, r.Start
		}
		if r.Target != out.Target {
			out.Target = "(several)"
		}
		if r.Start.Before(out.Start) {
			out.Start = r.Start
		}
		out.Shards = append(out.Shards, r.Shards...)
		out.RequestedRate += r.RequestedRate
		out.Duration = max(out.Duration, r.Duration)
		out.Wait = max(out.Wait, r.Wait)
		out.Scale += r.Scale
		if out.Setup == nil {
			out.Setup = r.Setup
		}
		for name, kr := range r.Mix {
			if kr == nil {
				return nil, fmt.Errorf("merge: report %d mix %s is null", i, name)
			}
			if out.Mix == nil {
				out.Mix = map[string]*KindRate{}
			}
			o := out.Mix[name]
			if o == nil {
				o = &KindRate{Share: kr.Share}
				out.Mix[name] = o
			}
			o.Scaled += kr.Scaled
			o.Rate += kr.Rate
			o.Floored = o.Floored || kr.Floored
		}
		for c, n := range r.Status {
			out.Status[c] += n
		}
		for _, e := range r.Errors {
			out.errs[e.Error] += e.Count
		}
		for name, k := range r.Kinds {
			if k == nil {
				return nil, fmt.Errorf("merge: report %d kind %s is null", i, name)
			}
			h, okh := k.hist, k.okHist
			if h == nil {
				var err error
				if h, err = hdr.Decode([]byte(k.Histogram)); err != nil {
					return nil, fmt.Errorf("merge: report %d kind %s: %w", i, name, err)
				}
			}
			if okh == nil && k.AcceptedHistogram != "" {
				var err error
				if okh, err = hdr.Decode([]byte(k.AcceptedHistogram)); err != nil {
					return nil, fmt.Errorf("merge: report %d kind %s: %w", i, name, err)
				}
			}
			o := out.Kinds[name]
			if o == nil {
				o = &KindReport{hist: newHist(), okHist: newHist()}
				out.Kinds[name] = o
			}
			o.Requests += k.Requests
			o.Successes += k.Successes
			o.Shed += k.Shed
			o.BytesIn += k.BytesIn
			o.BytesOut += k.BytesOut
			o.hist.Merge(h)
			if okh != nil {
				o.okHist.Merge(okh)
			}
		}
		if g := r.Generator; g != nil {
			if out.Generator == nil || g.SendLag.P99 > out.Generator.SendLag.P99 || g.InFlightWaits > out.Generator.InFlightWaits {
				c := *g
				c.lagHist = nil
				out.Generator = &c
			}
		}
		if r.Phones != nil {
			if out.Phones == nil {
				out.Phones = &PhoneReport{}
			}
			out.Phones.merge(r.Phones)
		}
	}
	slices.Sort(out.Shards)
	if out.Phones != nil {
		out.Phones.finish()
	}
	if err := out.finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func fmtMS(ms float64) string {
	return (time.Duration(ms * float64(time.Millisecond))).Round(time.Microsecond).String()
}

func fmtLat(l Latency) string {
	return strings.Join([]string{fmtMS(l.Min), fmtMS(l.Mean), fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.P999), fmtMS(l.Max)}, ", ")
}

// WriteText writes the report for people, in vegeta's layout.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format+"\n", args...) }
	p("Target\t%s", r.Target)
	if r.Scenario != "" {
		p("Scenario\t%s (scale %.3g of the national traffic)", r.Scenario, r.Scale)
	}
	p("Shards\t%s", strings.Join(r.Shards, ", "))
	p("Requests\t[total, rate, throughput]\t%d, %.2f/s, %.2f/s", r.Requests, r.Rate, r.Throughput)
	p("Duration\t[total, attack, wait]\t%s, %s, %s", secs(r.Duration+r.Wait), secs(r.Duration), secs(r.Wait))
	p("Latencies\t[min, mean, 50, 90, 99, 99.9, max]\t%s", fmtLat(r.Latency))
	p("Accepted\t[min, mean, 50, 90, 99, 99.9, max]\t%s", fmtLat(r.AcceptedLatency))
	p("Bytes\t[in, out]\t%d, %d", r.BytesIn, r.BytesOut)
	p("Success\t[ratio]\t%.2f%%", 100*r.Success)
	shedRatio := 0.0
	if r.Requests > 0 {
		shedRatio = float64(r.Shed) / float64(r.Requests)
	}
	p("Shed\t[requests, ratio]\t%d, %.2f%%", r.Shed, 100*shedRatio)
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(r.Status)) {
		codes = append(codes, c+":"+strconv.FormatInt(r.Status[c], 10))
	}
	p("Status Codes\t[code:count]\t%s", strings.Join(codes, "  "))
	for k := range numKinds {
		kr := r.Kinds[k.String()]
		if kr == nil || kr.Requests == 0 {
			if mk := r.Mix[k.String()]; mk != nil && mk.Rate > 0 {
				p("  %s\t[requests]\t0: none sent or answered although the mix asked for %.3g/s", k, mk.Rate)
			}
			continue
		}
		p("  %s\t[requests, success, shed, p50, p99, accepted p99, max]\t%d, %.2f%%, %.2f%%, %s, %s, %s, %s", k, kr.Requests,
			100*float64(kr.Successes)/float64(kr.Requests), 100*float64(kr.Shed)/float64(kr.Requests),
			fmtMS(kr.Latency.P50), fmtMS(kr.Latency.P99), fmtMS(kr.AcceptedLatency.P99), fmtMS(kr.Latency.Max))
	}
	if len(r.Mix) > 0 {
		p("Mix\t[kind: asked rate (share), sent rate (share)]\t%s", r.mixText())
		if r.FloorNote != "" {
			p("  floor\t%s", r.FloorNote)
		}
	}
	if su := r.Setup; su != nil {
		checked := "no export download checked (the mix has none)"
		if su.Checked != "" {
			checked = fmt.Sprintf("newest %s downloaded, %d bytes", su.Checked, su.CheckedBytes)
		}
		p("Set-up\t[exports listed, waited]\t%d, %s; %s", su.Exports, secs(su.Waited), checked)
	}
	if g := r.Generator; g != nil {
		p("Generator\t[send lag p50, p99, max; in-flight bound, waits; open files]\t%s, %s, %s; %d, %d; %d",
			fmtMS(g.SendLag.P50), fmtMS(g.SendLag.P99), fmtMS(g.SendLag.Max), g.MaxInFlight, g.InFlightWaits, g.FileLimit)
		if g.Note != "" {
			p("  note\t%s", g.Note)
		}
	}
	if ph := r.Phones; ph != nil {
		ph.writeText(p)
	}
	if len(r.Thresholds) > 0 {
		p("Thresholds\t[threshold: measured, verdict]")
		for _, t := range r.Thresholds {
			p("  %s", t)
		}
	}
	p("Error Set:")
	for _, e := range r.Errors {
		p("%d × %s", e.Count, e.Error)
	}
	return tw.Flush()
}

// mixText lists, per kind of the mix, the rate and share asked for beside
// those achieved (requests sent over the attack's duration).
func (r *Report) mixText() string {
	var parts []string
	asked := 0.0
	for _, kr := range r.Mix {
		if kr != nil {
			asked += kr.Rate
		}
	}
	for k := range numKinds {
		mk := r.Mix[k.String()]
		if mk == nil {
			continue
		}
		var sent int64
		if kr := r.Kinds[k.String()]; kr != nil {
			sent = kr.Requests
		}
		rate, share, askedShare := 0.0, 0.0, 0.0
		if r.Duration > 0 {
			rate = float64(sent) / r.Duration
		}
		if r.Requests > 0 {
			share = float64(sent) / float64(r.Requests)
		}
		if asked > 0 {
			askedShare = mk.Rate / asked
		}
		parts = append(parts, fmt.Sprintf("%s: %.3g/s (%.3g%%), %.3g/s (%.3g%%)", k, mk.Rate, 100*askedShare, rate, 100*share))
	}
	return strings.Join(parts, "; ")
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}
