package sim

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// peakRSS reads the process's peak resident memory (Linux VmHWM), 0
// where the system does not say.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			f := strings.Fields(rest)
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil && len(f) == 2 && f[1] == "kB" {
				return n * 1024
			}
		}
	}
	return 0
}

// benchRun runs sc with two workers and reports agent-days per second
// (wall and CPU), the engine's serial CPU share and the peak resident
// memory per agent (VmHWM, restarted before the runs where Linux allows:
// the process's baseline is included, garbage and all, as a user sees it).
func benchRun(b *testing.B, sc scenarios.Scenario) {
	b.ReportAllocs()
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	var r *Result
	for b.Loop() {
		var err error
		if r, err = Run(context.Background(), sc, WithWorkers(2)); err != nil {
			b.Fatal(err)
		}
	}
	ad := float64(r.Agents) * float64(r.Days)
	b.ReportMetric(r.AgentDaysPerSecond, "agent-days/s")
	if r.CPUSeconds > 0 {
		b.ReportMetric(ad/r.CPUSeconds, "agent-days/cpu-s")
		b.ReportMetric(1-r.ParallelCPUSeconds/r.CPUSeconds, "serial-cpu-share")
	}
	if p := peakRSS(); p > 0 {
		b.ReportMetric(float64(p)/float64(r.Agents), "peak-rss-bytes/agent")
	}
}

// benchTown runs n agents with the given arms over days days, diagnoses
// from day 0 so that every simulated day carries the steady-state load of
// index cases (their first windows are merely shorter).
func benchTown(b *testing.B, n, days int, arms []scenarios.Arm) {
	sc := scenarios.Default()
	sc.Days = days
	sc.Population = agents.Default(n)
	sc.Arms = arms
	sc.Metrics.AttenuationSamples = 1000
	sc.Diagnosis.FirstDay = 0
	benchRun(b, sc)
}

func BenchmarkTownGAEN5k(b *testing.B) {
	benchTown(b, 5000, 6, []scenarios.Arm{scenarios.GAENArm("gaen-30", 0.3)})
}

func BenchmarkTownBluezone5k(b *testing.B) {
	benchTown(b, 5000, 6, []scenarios.Arm{scenarios.BluezoneArm("bluezone-30", 0.3)})
}

// BenchmarkTown100kGAEN is a town of 100,000 with one GAEN arm.
func BenchmarkTown100kGAEN(b *testing.B) {
	benchTown(b, 100_000, 5, []scenarios.Arm{scenarios.GAENArm("gaen-30", 0.3)})
}

// BenchmarkTown100k is 100,000 agents, 30 % adoption, Bluezone and GAEN,
// two workers.
func BenchmarkTown100k(b *testing.B) {
	benchTown(b, 100_000, 5, []scenarios.Arm{scenarios.BluezoneArm("bluezone-30", 0.3), scenarios.GAENArm("gaen-30", 0.3)})
}

// BenchmarkTown100k14d is the target: the built-in town (four
// arms) at 100,000 people over 14 days, as `bluesim run town --set
// population.size=100000 --workers 2` runs it.
func BenchmarkTown100k14d(b *testing.B) {
	l, err := scenarios.LoadBuiltin("town", "population.size=100000")
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, l.Scenario)
}

// BenchmarkDefaultTown runs the built-in default scenario as `bluesim run`
// does; it must finish well under a minute on a 2-core machine.
func BenchmarkDefaultTown(b *testing.B) {
	sc := scenarios.Default()
	if d := os.Getenv("BLUESIM_BENCH_DAYS"); d != "" {
		sc.Days, _ = strconv.Atoi(d)
	}
	benchRun(b, sc)
}
