package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

func init() { register("bench", newBenchSimCommand) }

// newBenchSimCommand measures the engine: agent-days per second, CPU
// seconds, peak memory per agent, the time of each phase of a day, and
// the speed-up of more workers (issue 12).
func newBenchSimCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim [SCENARIO.yaml | BUILTIN] [--people 100000,1000000] [--days 14] [--workers 2] [--baseline-workers 1]",
		Short: "Time the simulation engine at given population sizes, and its speed-up from more workers",
		Long: `sim runs a scenario (a file or a built-in; default: town) at each population
size of --people for --days days, with --workers workers, and reports for
each run:

  wall_s            the simulation's wall-clock time (setup and outputs excluded)
  cpu_s             the process's CPU time (user and system) over the same days
  agent-days/s      people x days / wall_s (summary.json's agent_days_per_second)
  agent-days/cpu-s  people x days / cpu_s: what one core sustains, which other
                    processes sharing the machine do not swing
  peak_rss          the run's peak resident memory (Linux VmHWM, reset before
                    each run; the whole process's peak where it cannot be reset)
  bytes/agent       peak_rss / people
  serial_cpu        the share of cpu_s spent outside the sections whose work is
                    split across the workers
  load              the machine's 1-minute load average before and after the
                    run (/proc/loadavg): other work sharing the cores

and the time each phase of a day took (wall and CPU seconds; CPU/wall is the
phase's parallelism). With --baseline-workers (default 1; 0: none) every size
also runs with that many workers, and the report gives the speed-up
(agent-days/s with --workers over that with the baseline), the serial
fraction it implies (Amdahl: s = (W/speedup - 1) / (W - 1) for W times the
baseline's workers), and the speed-up the baseline's serial CPU share allows
(1 / (s + (1-s)/W)): on a machine whose cores are busy with other work the
measured speed-up falls short of it. Results do not depend on the workers:
both runs give the same output hash, which the command checks.

Runs happen one after another in this process; the garbage of a run is
returned to the system before the next. On a shared machine, compare CPU
seconds and ratios measured in the same invocation. --cpuprofile writes a
CPU profile of all the runs (setup excluded) for go tool pprof.`,
		Example: `  bluesim bench sim --people 100000 --days 14
  bluesim bench sim --people 100000,1000000 --days 14 --workers 2 --format json
  bluesim bench sim city --people 50000 --days 3 --baseline-workers 0 --set 'arms[*].adoption=0.3'`,
		Args: atMostOneScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchSim(a, cmd, scenarioArg(args))
		},
	}
	f := cmd.Flags()
	f.String("people", "100000", "population sizes to run, comma-separated (each at least 2)")
	f.Int("days", 14, "days to simulate at each size (1 to the engine's maximum)")
	f.Int("workers", 2, "parallel workers of the measured runs (at least 1)")
	f.Int("baseline-workers", 1, "workers of the baseline run for the speed-up (0: no baseline run; none by default with --workers 1)")
	f.Uint64("seed", 0, "random seed (default: the scenario's)")
	f.StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	f.String("format", "text", "output format: text or json")
	f.String("cpuprofile", "", "write a CPU profile of the runs to this file (go tool pprof)")
	return cmd
}

// benchSimOptions are the parsed flags.
type benchSimOptions struct {
	people   []int
	days     int
	workers  int
	baseline int
	sets     []string
	json     bool
	profile  string
}

func parseBenchSim(a *app, cmd *cobra.Command) (benchSimOptions, error) {
	var o benchSimOptions
	for _, f := range strings.Split(a.str("people"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			return o, usagef("--people %q: want population sizes of at least 2, comma-separated, such as 100000,1000000", a.str("people"))
		}
		o.people = append(o.people, n)
	}
	var err error
	if o.days, err = strconv.Atoi(strings.TrimSpace(a.str("days"))); err != nil || o.days < 1 {
		return o, usagef("--days %q: want a whole number of days, at least 1", a.str("days"))
	}
	if o.workers, err = strconv.Atoi(strings.TrimSpace(a.str("workers"))); err != nil || o.workers < 1 {
		return o, usagef("--workers %q: want a whole number of workers, at least 1", a.str("workers"))
	}
	if o.baseline, err = strconv.Atoi(strings.TrimSpace(a.str("baseline-workers"))); err != nil || o.baseline < 0 {
		return o, usagef("--baseline-workers %q: want a whole number of workers, or 0 for no baseline run", a.str("baseline-workers"))
	}
	if o.baseline >= o.workers && !a.changed(cmd, "baseline-workers") {
		o.baseline = 0 // one worker: nothing to compare with
	}
	if o.baseline >= o.workers {
		return o, usagef("--baseline-workers %d: want fewer than --workers (%d), or 0 for no baseline run", o.baseline, o.workers)
	}
	switch format := strings.TrimSpace(a.str("format")); format {
	case "text":
	case "json":
		o.json = true
	default:
		return o, usagef("--format %q: want text or json", format)
	}
	o.sets, _ = cmd.Flags().GetStringArray("set")
	o.profile = a.str("cpuprofile")
	if a.changed(cmd, "seed") {
		o.sets = append(o.sets, "seed="+a.str("seed"))
	}
	return o, nil
}

// benchSimRun is one measured run.
type benchSimRun struct {
	People                int     `json:"people"`
	Days                  int     `json:"days"`
	Workers               int     `json:"workers"`
	WallSeconds           float64 `json:"wall_seconds"`
	CPUSeconds            float64 `json:"cpu_seconds"`
	AgentDaysPerSecond    float64 `json:"agent_days_per_second"`
	AgentDaysPerCPUSecond float64 `json:"agent_days_per_cpu_second"`
	PeakRSSBytes          int64   `json:"peak_rss_bytes"`
	PeakRSSSource         string  `json:"peak_rss_source"`
	BytesPerAgent         float64 `json:"bytes_per_agent"`
	OutputHash            string  `json:"output_hash"`
	// SerialCPUFraction is the share of the CPU time spent outside the
	// sections whose work is split across the workers.
	SerialCPUFraction float64 `json:"serial_cpu_fraction"`
	// LoadBefore and LoadAfter are the machine's 1-minute load average
	// before and after the run (-1 where the system does not say).
	LoadBefore float64         `json:"load_average_before"`
	LoadAfter  float64         `json:"load_average_after"`
	Phases     []sim.PhaseTime `json:"phases"`
}

// benchSimRatio compares the measured runs of one size with the baseline:
// the measured speed-up (agent-days/s), the serial fraction Amdahl's law
// gives for it, and the speed-up the baseline's serial CPU share allows
// (what a machine with idle cores would show).
type benchSimRatio struct {
	People          int     `json:"people"`
	Workers         int     `json:"workers"`
	BaselineWorkers int     `json:"baseline_workers"`
	Speedup         float64 `json:"speedup"`
	SerialFraction  float64 `json:"serial_fraction"`
	SpeedupBound    float64 `json:"speedup_bound"`
}

// benchSimReport is the JSON output; the text output shows the same.
type benchSimReport struct {
	Scenario   string          `json:"scenario"`
	Arms       int             `json:"arms"`
	Seed       uint64          `json:"seed"`
	CPUs       int             `json:"cpus"`
	GOMAXPROCS int             `json:"gomaxprocs"`
	CPUModel   string          `json:"cpu_model"`
	Platform   string          `json:"platform"`
	Runs       []benchSimRun   `json:"runs"`
	Ratios     []benchSimRatio `json:"ratios"`
	// Linear is agent-days/s at the largest size over that at the
	// smallest (measured runs), when more than one size ran.
	Linear *float64 `json:"linear,omitempty"`
}

func runBenchSim(a *app, cmd *cobra.Command, arg string) error {
	o, err := parseBenchSim(a, cmd)
	if err != nil {
		return err
	}
	load := func(n int) (scenarios.Scenario, error) {
		sets := append(append([]string(nil), o.sets...), fmt.Sprintf("population.size=%d", n), fmt.Sprintf("days=%d", o.days))
		var l *scenarios.Loaded
		var err error
		if arg == "" {
			l, err = scenarios.LoadBuiltin(scenarios.DefaultName, sets...)
		} else {
			l, err = scenarios.Resolve(arg, sets...)
		}
		if err != nil {
			return scenarios.Scenario{}, asUsage(err)
		}
		return l.Scenario, nil
	}
	// Check every size before the first (long) run.
	var first scenarios.Scenario
	for i, n := range o.people {
		sc, err := load(n)
		if err != nil {
			return err
		}
		if i == 0 {
			first = sc
		}
	}
	if o.profile != "" {
		f, err := os.Create(o.profile)
		if err != nil {
			return usagef("--cpuprofile: %v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep := benchSimReport{Scenario: first.Name, Arms: len(first.Arms), Seed: first.Seed, CPUs: runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPUModel: cpuModel(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	for _, n := range o.people {
		sc, err := load(n)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "bench sim: %s, %d people, %d days, %d workers\n", sc.Name, n, o.days, o.workers)
		meas, err := benchSimOnce(a, sc, o.workers)
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, meas)
		if o.baseline == 0 {
			continue
		}
		fmt.Fprintf(a.stderr, "bench sim: %s, %d people, %d days, %d workers (baseline)\n", sc.Name, n, o.days, o.baseline)
		base, err := benchSimOnce(a, sc, o.baseline)
		if err != nil {
			return err
		}
		if base.OutputHash != meas.OutputHash {
			return fmt.Errorf("bench sim: %d people: output hash %s with %d workers but %s with %d: results must not depend on the workers",
				n, meas.OutputHash, o.workers, base.OutputHash, o.baseline)
		}
		rep.Runs = append(rep.Runs, base)
		sp := meas.AgentDaysPerSecond / base.AgentDaysPerSecond
		w := float64(o.workers) / float64(o.baseline)
		sf := base.SerialCPUFraction
		rep.Ratios = append(rep.Ratios, benchSimRatio{People: n, Workers: o.workers, BaselineWorkers: o.baseline,
			Speedup: sp, SerialFraction: min(1, max(0, (w/sp-1)/(w-1))), SpeedupBound: 1 / (sf + (1-sf)/w)})
	}
	if len(o.people) > 1 {
		var lo, hi *benchSimRun
		for i := range rep.Runs {
			r := &rep.Runs[i]
			if r.Workers != o.workers {
				continue
			}
			if lo == nil || r.People < lo.People {
				lo = r
			}
			if hi == nil || r.People > hi.People {
				hi = r
			}
		}
		l := hi.AgentDaysPerSecond / lo.AgentDaysPerSecond
		rep.Linear = &l
	}
	if o.json {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeBenchSimText(a, &rep)
}

// benchSimOnce runs sc once with the given workers and measures it.
func benchSimOnce(a *app, sc scenarios.Scenario, workers int) (benchSimRun, error) {
	// Hand the previous run's memory back and restart the peak, so that
	// the peak is this run's.
	runtime.GC()
	debug.FreeOSMemory()
	source := "vmhwm"
	if !resetPeakRSS() {
		source = "vmhwm_process"
	}
	simulationGC()
	load0 := loadAverage()
	r, err := sim.Run(a.ctx, sc, sim.WithWorkers(workers))
	if err != nil {
		return benchSimRun{}, err
	}
	load1 := loadAverage()
	peak, src := output.PeakRSS()
	if src != "vmhwm" {
		source = src
	}
	run := benchSimRun{
		People: r.Agents, Days: r.Days, Workers: workers,
		WallSeconds: r.WallSeconds, CPUSeconds: r.CPUSeconds,
		AgentDaysPerSecond: r.AgentDaysPerSecond,
		PeakRSSBytes:       peak, PeakRSSSource: source, BytesPerAgent: float64(peak) / float64(r.Agents),
		OutputHash: r.Hash, Phases: r.Phases, LoadBefore: load0, LoadAfter: load1,
	}
	if r.CPUSeconds > 0 {
		run.AgentDaysPerCPUSecond = float64(r.Agents) * float64(r.Days) / r.CPUSeconds
		run.SerialCPUFraction = min(1, max(0, 1-r.ParallelCPUSeconds/r.CPUSeconds))
	}
	return run, nil
}

// resetPeakRSS restarts the kernel's peak-RSS mark (VmHWM) at the current
// resident size, where Linux allows it.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// loadAverage is the machine's 1-minute load average (/proc/loadavg), -1
// where the system does not say.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	x, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return x
}

// cpuModel is the processor's model name, where the system says.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func writeBenchSimText(a *app, r *benchSimReport) error {
	model := r.CPUModel
	if model == "" {
		model = "unknown CPU"
	}
	fmt.Fprintf(a.stdout, "scenario  %s (%d arms), seed %d\n", r.Scenario, r.Arms, r.Seed)
	fmt.Fprintf(a.stdout, "machine   %d CPUs (GOMAXPROCS %d), %s, %s\n\n", r.CPUs, r.GOMAXPROCS, model, r.Platform)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "people\tdays\tworkers\twall_s\tcpu_s\tagent-days/s\tagent-days/cpu-s\tpeak_rss_MB\tbytes/agent\tserial_cpu\t\n")
	for _, x := range r.Runs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.1f %%\t\n", x.People, x.Days, x.Workers, x.WallSeconds,
			x.CPUSeconds, x.AgentDaysPerSecond, x.AgentDaysPerCPUSecond, float64(x.PeakRSSBytes)/(1<<20), x.BytesPerAgent,
			100*x.SerialCPUFraction)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout)
	for _, x := range r.Runs {
		if x.LoadBefore >= 0 && x.LoadAfter >= 0 {
			fmt.Fprintf(a.stdout, "load      %.2f before, %.2f after the run of %d people, %d workers (1-minute load average)\n",
				x.LoadBefore, x.LoadAfter, x.People, x.Workers)
		}
	}
	for _, x := range r.Ratios {
		fmt.Fprintf(a.stdout, "speed-up  %.2f at %d people, %d workers over %d (Amdahl serial fraction %.1f %%; the baseline's serial CPU allows %.2f)\n",
			x.Speedup, x.People, x.Workers, x.BaselineWorkers, 100*x.SerialFraction, x.SpeedupBound)
	}
	if r.Linear != nil {
		fmt.Fprintf(a.stdout, "linear    %.2f (agent-days/s at the largest size over the smallest)\n", *r.Linear)
	}
	for _, x := range r.Runs {
		fmt.Fprintf(a.stdout, "\nphases of %d people, %d workers\n", x.People, x.Workers)
		tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "phase\twall_s\tcpu_s\tcpu/wall\tshare_of_cpu\t\n")
		for _, p := range x.Phases {
			par, share := 0.0, 0.0
			if p.WallSeconds > 0 {
				par = p.CPUSeconds / p.WallSeconds
			}
			if x.CPUSeconds > 0 {
				share = 100 * p.CPUSeconds / x.CPUSeconds
			}
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.1f %%\t\n", p.Name, p.WallSeconds, p.CPUSeconds, par, share)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
