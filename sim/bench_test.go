package sim

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

// benchTown runs n agents at 30 % adoption with the full model (radio and
// real crypto) over days days and reports agent-days/s and peak heap
// bytes per agent.
func benchTown(b *testing.B, n, days int, arms []scenarios.Arm) {
	sc := scenarios.Default()
	sc.Days = days
	sc.Population = agents.Default(n)
	sc.Arms = arms
	sc.Metrics.AttenuationSamples = 1000
	// Diagnoses from day 0, so every simulated day carries the steady-state
	// load of index cases (their first windows are merely shorter).
	sc.Diagnosis.FirstDay = 0
	b.ReportAllocs()
	// peak is the largest HeapInuse seen (live data plus garbage not yet
	// collected, what the process holds); peakLive the largest heap found
	// live by a garbage collection.
	var peak, peakLive uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		// Sample the heap every 100 ms: ReadMemStats stops the world, so
		// sampling much more often would slow the run it measures.
		defer close(done)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				metrics.Read(live)
				peakLive = max(peakLive, live[0].Value.Uint64())
			}
		}
	}()
	var ad float64
	for b.Loop() {
		r, err := Run(context.Background(), sc, WithWorkers(2))
		if err != nil {
			b.Fatal(err)
		}
		ad = r.AgentDaysPerSecond
	}
	close(stop)
	<-done
	b.ReportMetric(ad, "agent-days/s")
	b.ReportMetric(float64(peak)/float64(n), "bytes/agent")
	b.ReportMetric(float64(peakLive)/float64(n), "live-bytes/agent")
}

func BenchmarkTownGAEN5k(b *testing.B) {
	benchTown(b, 5000, 6, []scenarios.Arm{scenarios.GAENArm("gaen-30", 0.3)})
}

func BenchmarkTownBluezone5k(b *testing.B) {
	benchTown(b, 5000, 6, []scenarios.Arm{scenarios.BluezoneArm("bluezone-30", 0.3)})
}

// BenchmarkTown100kGAEN is the target town with one GAEN arm.
func BenchmarkTown100kGAEN(b *testing.B) {
	benchTown(b, 100_000, 5, []scenarios.Arm{scenarios.GAENArm("gaen-30", 0.3)})
}

// BenchmarkTown100k is the target: 100,000 agents, 30 % adoption,
// Bluezone and GAEN, two workers.
func BenchmarkTown100k(b *testing.B) {
	benchTown(b, 100_000, 5, []scenarios.Arm{scenarios.BluezoneArm("bluezone-30", 0.3), scenarios.GAENArm("gaen-30", 0.3)})
}

// BenchmarkDefaultTown runs the built-in default scenario as `bluesim run`
// does; it must finish well under a minute on a 2-core machine.
func BenchmarkDefaultTown(b *testing.B) {
	sc := scenarios.Default()
	if d := os.Getenv("BLUESIM_BENCH_DAYS"); d != "" {
		sc.Days, _ = strconv.Atoi(d)
	}
	b.ReportAllocs()
	var r *Result
	for b.Loop() {
		var err error
		if r, err = Run(context.Background(), sc, WithWorkers(2)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.AgentDaysPerSecond, "agent-days/s")
}
