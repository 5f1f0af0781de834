package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func benchSimArgs(extra ...string) []string {
	return append([]string{"bench", "sim"}, extra...)
}

func TestBenchSimBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		flag string
	}{
		{"people not a number", []string{"--people", "many"}, "--people"},
		{"people too few", []string{"--people", "1000,1"}, "--people"},
		{"people empty item", []string{"--people", "1000,"}, "--people"},
		{"zero days", []string{"--days", "0"}, "--days"},
		{"zero workers", []string{"--workers", "0"}, "--workers"},
		{"negative baseline", []string{"--baseline-workers", "-1"}, "--baseline-workers"},
		{"baseline not below workers", []string{"--workers", "2", "--baseline-workers", "2"}, "--baseline-workers"},
		{"bad format", []string{"--format", "csv"}, "--format"},
		{"bad set", []string{"--set", "population.sizee=3"}, "population.sizee"},
		{"days past the engine", []string{"--days", "300"}, "days"},
		{"unknown scenario", []string{"nowhere"}, "nowhere"},
		{"two scenarios", []string{"town", "city"}, "scenario"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runCLI(t, benchSimArgs(tc.args...)...)
			if got.code != exitUsage {
				t.Fatalf("exit code %d, want %d (stderr %q)", got.code, exitUsage, got.stderr)
			}
			if !strings.Contains(got.stderr, tc.flag) {
				t.Errorf("stderr %q does not name %s", got.stderr, tc.flag)
			}
			if got.stdout != "" {
				t.Errorf("stdout %q, want nothing", got.stdout)
			}
		})
	}
}

func TestBenchSimUsageGolden(t *testing.T) {
	golden(t, "bench_sim_bad_people", "bench", "sim", "--people", "100000,x")
	golden(t, "bench_sim_bad_baseline", "bench", "sim", "--workers", "1", "--baseline-workers", "1")
	golden(t, "bench_sim_bad_days", "bench", "sim", "--days", "-3")
}

// benchSimSmall is a run small enough for a unit test: the timings mean
// nothing, the shape, the sizes and the hash check do.
var benchSimSmall = []string{"--people", "400,600", "--days", "3", "--set", "diagnosis.daily_fraction=0.05"}

func TestBenchSimText(t *testing.T) {
	got := runCLI(t, benchSimArgs(benchSimSmall...)...)
	if got.code != exitOK {
		t.Fatalf("exit code %d, stderr %q", got.code, got.stderr)
	}
	num := `[0-9.]+`
	for _, re := range []string{
		`(?m)^scenario  town \(4 arms\), seed 1$`,
		`(?m)^machine   [0-9]+ CPUs \(GOMAXPROCS [0-9]+\), .+$`,
		`(?m)^ +people +days +workers +wall_s +cpu_s +agent-days/s +agent-days/cpu-s +peak_rss_MB +bytes/agent +serial_cpu$`,
		`(?m)^ +400 +3 +2 +` + num + ` +` + num + ` +` + num + ` +` + num + ` +` + num + ` +` + num + ` +` + num + ` %$`,
		`(?m)^ +400 +3 +1 `,
		`(?m)^ +600 +3 +2 `,
		`(?m)^ +600 +3 +1 `,
		`(?m)^load      ` + num + ` before, ` + num + ` after the run of 400 people, 2 workers \(1-minute load average\)$`,
		`(?m)^speed-up  ` + num + ` at 400 people, 2 workers over 1 \(Amdahl serial fraction ` + num + ` %; the baseline's serial CPU allows ` + num + `\)$`,
		`(?m)^speed-up  ` + num + ` at 600 people, `,
		`(?m)^linear    ` + num + ` \(agent-days/s at the largest size over the smallest\)$`,
		`(?m)^phases of 600 people, 1 workers$`,
		`(?m)^ +sites +` + num + ` +` + num + ` +` + num + ` +` + num + ` %$`,
		`(?m)^ +match +`,
	} {
		if !regexp.MustCompile(re).MatchString(got.stdout) {
			t.Errorf("output does not match %s:\n%s", re, got.stdout)
		}
	}
	if n := strings.Count(got.stderr, "bench sim: town,"); n != 4 {
		t.Errorf("stderr announces %d runs, want 4:\n%s", n, got.stderr)
	}
}

func TestBenchSimJSON(t *testing.T) {
	got := runCLI(t, benchSimArgs(append(benchSimSmall, "--format", "json", "--baseline-workers", "0", "--workers", "3")...)...)
	if got.code != exitOK {
		t.Fatalf("exit code %d, stderr %q", got.code, got.stderr)
	}
	var rep struct {
		Scenario string `json:"scenario"`
		Runs     []struct {
			People, Days, Workers int
			WallSeconds           float64 `json:"wall_seconds"`
			CPUSeconds            float64 `json:"cpu_seconds"`
			AgentDaysPerSecond    float64 `json:"agent_days_per_second"`
			PeakRSSBytes          int64   `json:"peak_rss_bytes"`
			PeakRSSSource         string  `json:"peak_rss_source"`
			BytesPerAgent         float64 `json:"bytes_per_agent"`
			OutputHash            string  `json:"output_hash"`
			Phases                []struct {
				Name string `json:"name"`
			} `json:"phases"`
		} `json:"runs"`
		Ratios []any    `json:"ratios"`
		Linear *float64 `json:"linear"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, got.stdout)
	}
	if rep.Scenario != "town" || len(rep.Runs) != 2 || len(rep.Ratios) != 0 || rep.Linear == nil {
		t.Fatalf("report %+v", rep)
	}
	for i, r := range rep.Runs {
		if r.People != []int{400, 600}[i] || r.Days != 3 || r.Workers != 3 || r.WallSeconds <= 0 || r.AgentDaysPerSecond <= 0 ||
			r.PeakRSSBytes <= 0 || r.PeakRSSSource == "" || r.BytesPerAgent <= 0 || len(r.OutputHash) != 64 || len(r.Phases) == 0 {
			t.Errorf("run %d: %+v", i, r)
		}
	}
	if rep.Runs[0].OutputHash == rep.Runs[1].OutputHash {
		t.Error("two population sizes gave the same hash")
	}
}

// TestBenchSimCPUProfile: --cpuprofile writes a gzip-compressed pprof
// profile of the runs; a path that cannot be created is a usage error
// naming the flag.
func TestBenchSimCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	got := runCLI(t, benchSimArgs("--people", "300", "--days", "3", "--baseline-workers", "0", "--cpuprofile", path)...)
	if got.code != exitOK {
		t.Fatalf("exit code %d, stderr %q", got.code, got.stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("profile of %d bytes is not gzip (a pprof profile)", len(b))
	}
	bad := runCLI(t, benchSimArgs("--people", "300", "--days", "3", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))...)
	if bad.code != exitUsage || !strings.Contains(bad.stderr, "--cpuprofile") {
		t.Fatalf("exit code %d, stderr %q: want a usage error naming --cpuprofile", bad.code, bad.stderr)
	}
}
