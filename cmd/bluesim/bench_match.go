package main

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/tracing/tracingbench"
)

func init() { register("bench", newBenchMatchCommand) }

// benchMatchProtocols are the --protocol values, in the order the help
// text lists them.
var benchMatchProtocols = []string{"gaen", "bluezone", "dp3t"}

// newBenchMatchCommand measures one phone's matching of published keys
// against its stored sightings (issue 2, item 7 and "Targets").
func newBenchMatchCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "match --protocol gaen|bluezone|dp3t [--keys N] [--sightings M] [--seed N] [--format text|json]",
		Short: "Time a phone matching N published keys against M sightings, against the crypto floor",
		Long: `match builds one phone's matching job from real devices of the protocol and
times the protocol's real phone-side matcher on it, single-threaded.

The workload: N published one-day keys (a GAEN TEK, a Bluezone daily key
over its 96 slots, a DP-3T day seed) uploaded by diagnosed devices, 14 a
device, covering the 14 UTC days before 2021-06-01; and a store of M
sightings over the same days in bursts of 1 to 8 a minute apart, of which
round(hit-fraction x M) are the published devices' IDs at the instants they
broadcast them and the rest IDs of devices never published. Every device
draws its keys from a ChaCha8 stream keyed by --seed, so a seed fixes the
workload.

Each round times the matcher over all N keys (indexing the store included)
and the crypto floor over the same keys: what no matcher can skip (GAEN:
HKDF, AES key schedule and 144 AES blocks per key; Bluezone: 96 SHA-256 per
key; DP-3T: HMAC, AES-256 key schedule and 96 AES-256-CTR blocks per key).
The report gives the median of --rounds rounds and the median of the
rounds' match/floor ratios. Every round's matches must be exactly the
planted sightings, each credited to the key it came from, or the command
fails with exit code 1.

keys/s is N / match time; sightings/s is N x M / match time, the
key-sighting pairs checked per second (checking one key means checking it
against all M sightings); µs/key is match time / N. Everything runs in one
goroutine with GOMAXPROCS 1, so the garbage collector shares that core.
Times are the process's CPU time where the system reports it, so that other
processes taking turns on a shared machine do not count; the wall time is
shown beside it.
With --max-ratio the command exits 3 when the ratio exceeds it.`,
		Example: `  bluesim bench match --protocol gaen --keys 100000 --sightings 100000
  bluesim bench match --protocol bluezone --keys 10000 --sightings 100000 --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchMatch(a, cmd)
		},
	}
	f := cmd.Flags()
	f.String("protocol", "", "protocol to measure: "+strings.Join(benchMatchProtocols, ", "))
	f.Int("keys", 100_000, "N, published one-day keys to match (at least 1)")
	f.Int("sightings", 100_000, "M, sightings in the phone's store (0 or more)")
	f.Float64("hit-fraction", 0.01, "fraction of the sightings planted from published keys, in [0, 1]")
	f.Uint64("seed", 1, "seed of every random stream of the workload")
	f.Int("rounds", 3, "rounds to time; the report gives medians (at least 1)")
	f.String("format", "text", "output format: text or json")
	f.Float64("max-ratio", 0, "exit 3 if the match/floor ratio exceeds this (unset: no threshold)")
	return cmd
}

// benchMatchOptions are the parsed flags.
type benchMatchOptions struct {
	protocol string
	cfg      tracingbench.Config
	rounds   int
	json     bool
	maxRatio float64
	hasMax   bool
}

func benchMatchInt(a *app, name string) (int, error) {
	return strconv.Atoi(strings.TrimSpace(a.str(name)))
}

func benchMatchFloat(a *app, name string) (float64, error) {
	return strconv.ParseFloat(strings.TrimSpace(a.str(name)), 64)
}

// parseBenchMatch reads the flags (through viper, so BLUESIM_* variables
// count) and names the flag at fault in a usage error.
func parseBenchMatch(a *app, cmd *cobra.Command) (benchMatchOptions, error) {
	var o benchMatchOptions
	o.protocol = strings.TrimSpace(a.str("protocol"))
	if o.protocol == "" {
		return o, usagef("--protocol is required: one of %s", strings.Join(benchMatchProtocols, ", "))
	}
	known := false
	for _, p := range benchMatchProtocols {
		known = known || p == o.protocol
	}
	if !known {
		return o, usagef("--protocol %q: want one of %s", o.protocol, strings.Join(benchMatchProtocols, ", "))
	}
	var err error
	if o.cfg.Keys, err = benchMatchInt(a, "keys"); err != nil || o.cfg.Keys < 1 {
		return o, usagef("--keys %q: want a whole number of published keys, at least 1", a.str("keys"))
	}
	if o.cfg.Sightings, err = benchMatchInt(a, "sightings"); err != nil || o.cfg.Sightings < 0 {
		return o, usagef("--sightings %q: want a whole number of sightings, 0 or more", a.str("sightings"))
	}
	h, err := benchMatchFloat(a, "hit-fraction")
	if err != nil || math.IsNaN(h) || h < 0 || h > 1 {
		return o, usagef("--hit-fraction %q: want a fraction in [0, 1]", a.str("hit-fraction"))
	}
	o.cfg.HitFraction = h
	if o.cfg.Seed, err = strconv.ParseUint(strings.TrimSpace(a.str("seed")), 10, 64); err != nil {
		return o, usagef("--seed %q: want a whole number in 0..%d", a.str("seed"), uint64(math.MaxUint64))
	}
	if o.rounds, err = benchMatchInt(a, "rounds"); err != nil || o.rounds < 1 {
		return o, usagef("--rounds %q: want a whole number of rounds, at least 1", a.str("rounds"))
	}
	switch format := strings.TrimSpace(a.str("format")); format {
	case "text":
	case "json":
		o.json = true
	default:
		return o, usagef("--format %q: want text or json", format)
	}
	if a.changed(cmd, "max-ratio") {
		m, err := benchMatchFloat(a, "max-ratio")
		if err != nil || math.IsNaN(m) || math.IsInf(m, 0) || m <= 0 {
			return o, usagef("--max-ratio %q: want a ratio above 0, such as 1.5", a.str("max-ratio"))
		}
		o.maxRatio, o.hasMax = m, true
	}
	return o, nil
}

// benchMatchReport is the JSON output; the text output shows the same.
type benchMatchReport struct {
	Protocol          string  `json:"protocol"`
	Keys              int     `json:"keys"`
	Sightings         int     `json:"sightings"`
	HitFraction       float64 `json:"hit_fraction"`
	Seed              uint64  `json:"seed"`
	Rounds            int     `json:"rounds"`
	Goroutines        int     `json:"goroutines"`
	Clock             string  `json:"clock"`
	GOMAXPROCS        int     `json:"gomaxprocs"`
	WindowStart       string  `json:"window_start"`
	WindowEnd         string  `json:"window_end"`
	PublishedDevices  int     `json:"published_devices"`
	OtherDevices      int     `json:"other_devices"`
	Matches           int     `json:"matches"`
	ExpectedMatches   int     `json:"expected_matches"`
	MatchSeconds      float64 `json:"match_seconds"`
	MatchKeysPerSec   float64 `json:"match_keys_per_second"`
	MatchSightPerSec  float64 `json:"match_sightings_per_second"`
	MatchMicrosPerKey float64 `json:"match_us_per_key"`
	MatchWallSeconds  float64 `json:"match_wall_seconds"`
	FloorSeconds      float64 `json:"floor_seconds"`
	FloorKeysPerSec   float64 `json:"floor_keys_per_second"`
	FloorMicrosPerKey float64 `json:"floor_us_per_key"`
	FloorWallSeconds  float64 `json:"floor_wall_seconds"`
	Floor             string  `json:"floor"`
	Ratio             float64 `json:"ratio"`
	// MaxRatio is --max-ratio, absent when not given.
	MaxRatio     *float64  `json:"max_ratio,omitempty"`
	RoundMatch   []float64 `json:"round_match_seconds"`
	RoundFloor   []float64 `json:"round_floor_seconds"`
	RoundRatios  []float64 `json:"round_ratios"`
	WorkloadSecs float64   `json:"workload_seconds"`

	lastDay string // the last day the keys cover, for the text output
}

func runBenchMatch(a *app, cmd *cobra.Command) error {
	o, err := parseBenchMatch(a, cmd)
	if err != nil {
		return err
	}
	subject, err := tracingbench.New(o.protocol)
	if err != nil {
		return asUsage(err)
	}
	t0 := time.Now()
	w, err := tracingbench.Generate(subject.Protocol, o.cfg)
	if err != nil {
		return err
	}
	workload := time.Since(t0)

	// One goroutine on one core: GOMAXPROCS 1 keeps the garbage
	// collector's background work on the measured core too, so the
	// numbers are per core (the targets are "on one core").
	procs := runtime.GOMAXPROCS(1)
	res, err := subject.Run(a.ctx, w, o.rounds)
	runtime.GOMAXPROCS(procs)
	if err != nil {
		return err
	}

	n := float64(len(w.Keys))
	r := benchMatchReport{
		Protocol:          o.protocol,
		Keys:              len(w.Keys),
		Sightings:         len(w.Store),
		HitFraction:       o.cfg.HitFraction,
		Seed:              o.cfg.Seed,
		Rounds:            o.rounds,
		Goroutines:        1,
		Clock:             "wall",
		GOMAXPROCS:        1,
		WindowStart:       w.From.Format(time.RFC3339),
		WindowEnd:         w.To.Format(time.RFC3339),
		PublishedDevices:  w.PublishedDevices,
		OtherDevices:      w.OtherDevices,
		Matches:           res.Matches,
		ExpectedMatches:   w.Planted,
		MatchSeconds:      res.Match.Seconds(),
		MatchKeysPerSec:   n / res.Match.Seconds(),
		MatchSightPerSec:  n * float64(len(w.Store)) / res.Match.Seconds(),
		MatchMicrosPerKey: res.Match.Seconds() * 1e6 / n,
		MatchWallSeconds:  res.MatchWall.Seconds(),
		FloorSeconds:      res.Floor.Seconds(),
		FloorKeysPerSec:   n / res.Floor.Seconds(),
		FloorMicrosPerKey: res.Floor.Seconds() * 1e6 / n,
		FloorWallSeconds:  res.FloorWall.Seconds(),
		Floor:             subject.Floor,
		Ratio:             res.Ratio,
		WorkloadSecs:      workload.Seconds(),
		lastDay:           w.To.AddDate(0, 0, -1).Format(time.DateOnly),
	}
	if res.CPUClock {
		r.Clock = "cpu"
	}
	if o.hasMax {
		r.MaxRatio = &o.maxRatio
	}
	for _, rd := range res.Rounds {
		r.RoundMatch = append(r.RoundMatch, rd.Match.Seconds())
		r.RoundFloor = append(r.RoundFloor, rd.Floor.Seconds())
		r.RoundRatios = append(r.RoundRatios, rd.Ratio())
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else if err := writeBenchMatchText(a, &r); err != nil {
		return err
	}
	if o.hasMax && r.Ratio > o.maxRatio {
		return &thresholdError{fmt.Sprintf("bench match: %s matching is %.2f x its crypto floor, above --max-ratio %g", r.Protocol, r.Ratio, o.maxRatio)}
	}
	return nil
}

func writeBenchMatchText(a *app, r *benchMatchReport) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 3, ' ', 0)
	ratios := make([]string, len(r.RoundRatios))
	for i, x := range r.RoundRatios {
		ratios[i] = fmt.Sprintf("%.2f", x)
	}
	fmt.Fprintf(tw, "protocol\t%s\n", r.Protocol)
	fmt.Fprintf(tw, "keys\t%d\t(one-day keys of %d diagnosed devices, days %s..%s)\n", r.Keys, r.PublishedDevices,
		r.WindowStart[:10], r.lastDay)
	fmt.Fprintf(tw, "sightings\t%d\t(%d planted from published keys, %d of %d devices never published)\n", r.Sightings,
		r.ExpectedMatches, r.Sightings-r.ExpectedMatches, r.OtherDevices)
	fmt.Fprintf(tw, "threads\t1\t(one goroutine, GOMAXPROCS 1)\n")
	if r.Clock == "cpu" {
		fmt.Fprintf(tw, "clock\tcpu\t(process CPU time; wall time in brackets)\n")
	} else {
		fmt.Fprintf(tw, "clock\twall\t(no CPU clock on this system)\n")
	}
	fmt.Fprintf(tw, "rounds\t%d\t(medians; match/floor by round: %s)\n", r.Rounds, strings.Join(ratios, " "))
	fmt.Fprintf(tw, "matches\t%d\t(expected %d)\n", r.Matches, r.ExpectedMatches)
	fmt.Fprintf(tw, "match\t%.3f s\t(%.3f s)\t%.0f keys/s\t%s sightings/s\t%.2f µs/key\n", r.MatchSeconds, r.MatchWallSeconds,
		r.MatchKeysPerSec, benchMatchSci(r.MatchSightPerSec), r.MatchMicrosPerKey)
	fmt.Fprintf(tw, "floor\t%.3f s\t(%.3f s)\t%.0f keys/s\t\t%.2f µs/key\t%s\n", r.FloorSeconds, r.FloorWallSeconds,
		r.FloorKeysPerSec, r.FloorMicrosPerKey, r.Floor)
	fmt.Fprintf(tw, "ratio\t%.2f\t(match / floor)\n", r.Ratio)
	return tw.Flush()
}

// benchMatchSci formats v as 1.6e10: two significant digits, the scale
// being what matters for a rate of key-sighting pairs.
func benchMatchSci(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	s := strconv.FormatFloat(v, 'e', 1, 64)
	return strings.Replace(strings.Replace(s, "e+0", "e", 1), "e+", "e", 1)
}
