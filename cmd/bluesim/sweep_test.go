package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sweeprun"
)

// fakeSweepRun stands in for the simulator: deterministic rows per arm
// drawn from the task's seed.
func fakeSweepRun(_ context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
	rng := rand.New(rand.NewPCG(sc.Seed, uint64(sc.Days)))
	var rows []sweeprun.Row
	for _, a := range sc.Arms {
		rows = append(rows, sweeprun.Row{Group: a.Name, Metrics: []sweeprun.Metric{
			{Name: "coverage", Value: a.Adoption * a.Adoption * (0.8 + 0.1*rng.Float64())},
			{Name: "precision", Value: rng.Float64()},
		}})
	}
	return rows, nil
}

// withFakeSim swaps the simulator for fakeSweepRun during a test.
func withFakeSim(t *testing.T) {
	t.Helper()
	old := sweepRunner
	sweepRunner = func(*progress) sweeprun.RunFunc { return fakeSweepRun }
	t.Cleanup(func() { sweepRunner = old })
}

const cliSweep = `base: town
name: cli-sweep
days: 3
population: {size: 300}
sweep:
  replicates: 2
  axes:
    arms[*].adoption: {from: 0.2, to: 0.4, step: 0.1}
  goals: [coverage>=0.05]
`

func writeSweepFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sweep.yaml")
	if err := os.WriteFile(path, []byte(cliSweep), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tableFiles reads every file a whole sweep's folder holds, as its
// summary.json lists them under files (the manifest, tables, figures and
// report), and checks that the list names at least those.
func tableFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, output.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var listing struct {
		Files []string `json:"files"`
	}
	if err := json.Unmarshal(b, &listing); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"manifest.json", "tables/sweep_runs.csv", "tables/sweep_runs.parquet",
		"tables/sweep_summary.csv", "tables/sweep_summary.parquet", "summary.json", "report.html"} {
		if !slices.Contains(listing.Files, name) {
			t.Errorf("%s: summary.json's files %v lack %s", dir, listing.Files, name)
		}
	}
	out := map[string][]byte{}
	for _, name := range listing.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestSweepShardsMergeCLI: three shards, chosen by --shard, by a Kubernetes
// index and by a Slurm array id, merged with bluesim merge, give the same
// bytes as the sweep run whole.
func TestSweepShardsMergeCLI(t *testing.T) {
	withFakeSim(t)
	file := writeSweepFile(t)
	whole := filepath.Join(t.TempDir(), "whole")
	if r := runCLI(t, "sweep", file, "--out", whole, "--workers", "2"); r.code != 0 {
		t.Fatalf("whole sweep: code %d\n%s", r.code, r.stderr)
	}
	shards := filepath.Join(t.TempDir(), "shards")
	if r := runCLI(t, "sweep", file, "--out", shards, "--shard", "1/3"); r.code != 0 {
		t.Fatalf("shard 1/3: %s", r.stderr)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "1") // 0-based: shard 2/3
	t.Setenv("BLUESIM_SHARD_COUNT", "3")
	if r := runCLI(t, "sweep", file, "--out", shards); r.code != 0 || !strings.Contains(r.stderr, "shard 2/3 runs 2") {
		t.Fatalf("shard 2/3 from JOB_COMPLETION_INDEX=1: %s", r.stderr)
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	t.Setenv("SLURM_ARRAY_TASK_ID", "3") // --array=1-3
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	if r := runCLI(t, "sweep", file, "--out", shards); r.code != 0 || !strings.Contains(r.stderr, "shard 3/3 runs 2") {
		t.Fatalf("shard 3/3 from SLURM_ARRAY_TASK_ID=3: %s", r.stderr)
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	for i := 1; i <= 3; i++ {
		if _, err := os.Stat(filepath.Join(shards, fmt.Sprintf("shard-%d-of-3", i), "manifest.json")); err != nil {
			t.Fatal(err)
		}
	}
	r := runCLI(t, "merge", shards)
	if r.code != 0 {
		t.Fatalf("merge: %s", r.stderr)
	}
	if !strings.Contains(r.stdout, "merged 3 folders: 6 tasks (3 points x 2 replicates)") {
		t.Fatalf("merge said %q", r.stdout)
	}
	want, got := tableFiles(t, whole), tableFiles(t, shards)
	for name := range want {
		if !bytes.Equal(want[name], got[name]) {
			t.Errorf("%s differs between the whole sweep and the merged shards", name)
		}
	}
}

func TestSweepErrors(t *testing.T) {
	withFakeSim(t)
	file := writeSweepFile(t)
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"shard past the end", nil, []string{"sweep", file, "--out", out, "--shard", "4/3"}, "shard 4/3: want i/n with 1 <= i <= n, e.g. 1/3 to 3/3"},
		{"shard zero", nil, []string{"sweep", file, "--out", out, "--shard", "0/2"}, "shards count from 1"},
		{"shard syntax", nil, []string{"sweep", file, "--out", out, "--shard", "two"}, "want i/n"},
		{"index without count", map[string]string{"JOB_COMPLETION_INDEX": "0"}, []string{"sweep", file, "--out", out},
			"give the number of shards with --shard-count"},
		{"index too big", map[string]string{"JOB_COMPLETION_INDEX": "5"}, []string{"sweep", file, "--out", out, "--shard-count", "5"},
			"is not below --shard-count 5"},
		{"slurm outside array", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4"},
			[]string{"sweep", file, "--out", out}, "outside an array of 4 tasks: submit it with --array=1-4"},
		{"slurm zero", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"},
			[]string{"sweep", file, "--out", out}, "--array=1-4"},
		{"bad file", nil, []string{"sweep", "testdata/validate_misspelled.yaml", "--out", out}, `unknown key "presett"`},
		{"no file", nil, []string{"sweep"}, "sweep needs one scenario file"},
		{"merge nothing", nil, []string{"merge", t.TempDir()}, "no manifest.json"},
		{"merge two without out", nil, []string{"merge", out, out}, "say where with --out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("code %d, stderr %q; want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestSweepMissingShardCLI(t *testing.T) {
	withFakeSim(t)
	file := writeSweepFile(t)
	shards := t.TempDir()
	for _, s := range []string{"1/3", "3/3"} {
		if r := runCLI(t, "sweep", file, "--out", shards, "--shard", s); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	r := runCLI(t, "merge", shards)
	if r.code != exitUsage || !strings.Contains(r.stderr, "2 of 6 tasks are missing (1, 4); task 1 belongs to shard 2/3") {
		t.Fatalf("code %d: %s", r.code, r.stderr)
	}
}

// TestSweepWithSimulator runs a tiny sweep through the real simulator.
func TestSweepWithSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator")
	}
	out := t.TempDir()
	r := runCLI(t, "sweep", "town", "--out", out, "--workers", "2",
		"--set", "population.size=300", "--set", "days=3")
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "tables", "sweep_summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "coverage_mean") || !strings.HasPrefix(lines[1], "0,bluezone-20,1,") {
		t.Fatalf("summary:\n%s", b)
	}
}

// TestSweepSettingsLayers: --out and --workers come from a config file,
// the seed from BLUESIM_SEED, and a flag beats both.
func TestSweepSettingsLayers(t *testing.T) {
	withFakeSim(t)
	file := writeSweepFile(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bluesim.yaml")
	out := filepath.Join(dir, "from-config")
	os.WriteFile(cfg, []byte("out: "+out+"\nworkers: 3\n"), 0o644)
	t.Setenv("BLUESIM_SEED", "42")
	r := runCLI(t, "sweep", file, "--config", cfg)
	if r.code != 0 {
		t.Fatalf("code %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "on 3 workers") {
		t.Fatalf("workers not from the config file: %s", r.stderr)
	}
	m, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m), `"seed": 42,`) {
		t.Fatalf("replicate 0 does not run with BLUESIM_SEED=42:\n%s", m)
	}
	flagOut := filepath.Join(dir, "from-flag")
	if r := runCLI(t, "sweep", file, "--config", cfg, "--out", flagOut, "--seed", "7"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	m, err = os.ReadFile(filepath.Join(flagOut, "manifest.json"))
	if err != nil || !strings.Contains(string(m), `"seed": 7,`) {
		t.Fatalf("flags did not win: %v\n%s", err, m)
	}
}

// TestSweepResumeCLI: a sweep interrupted (its context cancelled) after k
// tasks keeps them; the same command with --resume runs only the others
// and leaves the same bytes as a sweep never interrupted.
func TestSweepResumeCLI(t *testing.T) {
	file := writeSweepFile(t)
	withFakeSim(t)
	whole := filepath.Join(t.TempDir(), "whole")
	if r := runCLI(t, "sweep", file, "--out", whole, "--workers", "1"); r.code != 0 {
		t.Fatalf("whole sweep: exit %d\n%s", r.code, r.stderr)
	}
	const k = 4
	dir := filepath.Join(t.TempDir(), "resumed")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls int
	sweepRunner = func(*progress) sweeprun.RunFunc {
		return func(ctx context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
			calls++
			rows, err := fakeSweepRun(ctx, sc)
			if calls == k {
				cancel() // Ctrl-C while task k finishes
			}
			return rows, err
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"sweep", file, "--out", dir, "--workers", "1"}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != exitFailure ||
		!strings.Contains(stderr.String(), fmt.Sprintf("interrupted: %d of 6 tasks finished", k)) ||
		!strings.Contains(stderr.String(), "with --resume runs the others") {
		t.Fatalf("interrupted sweep: exit %d\n%s", code, stderr.String())
	}
	calls = 0
	r := runCLI(t, "sweep", file, "--out", dir, "--workers", "1", "--resume")
	if r.code != 0 {
		t.Fatalf("resumed sweep: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, fmt.Sprintf("--resume: %d of 6 tasks of shard 1/1 already finished in %s: running the other %d", k, dir, 6-k)) {
		t.Errorf("stderr does not say what is resumed:\n%s", r.stderr)
	}
	if calls != 6-k {
		t.Errorf("the resumed sweep ran %d tasks, want %d", calls, 6-k)
	}
	want, got := tableFiles(t, whole), tableFiles(t, dir)
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs from the uninterrupted sweep's", name)
		}
	}
	// Resuming another sweep into the folder is refused.
	r = runCLI(t, "sweep", file, "--out", dir, "--resume", "--seed", "99")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--resume: "+dir+" holds another sweep") {
		t.Errorf("resume of another sweep: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSweepResumeSimulator: the same with the simulator itself, over a
// tiny scenario: its real metrics (undefined ones included) survive the
// round trip through the runs table.
func TestSweepResumeSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	args := []string{"sweep", "testdata/run_tiny.yaml", "--workers", "1", "--set", "sweep.replicates=3"}
	whole := filepath.Join(t.TempDir(), "whole")
	if r := runCLI(t, append(args, "--out", whole)...); r.code != 0 {
		t.Fatalf("whole sweep: exit %d\n%s", r.code, r.stderr)
	}
	dir := filepath.Join(t.TempDir(), "resumed")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := sweepRunner
	t.Cleanup(func() { sweepRunner = old })
	sweepRunner = func(p *progress) sweeprun.RunFunc {
		inner := old(p)
		return func(ctx context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
			rows, err := inner(ctx, sc)
			cancel() // interrupted after the first task
			return rows, err
		}
	}
	var stdout, stderr bytes.Buffer
	if code := exitCode(run(ctx, append(args, "--out", dir), &stdout, &stderr), &stderr); code != exitFailure {
		t.Fatalf("interrupted sweep: exit %d\n%s", code, stderr.String())
	}
	sweepRunner = old
	if r := runCLI(t, append(args, "--out", dir, "--resume")...); r.code != 0 {
		t.Fatalf("resumed sweep: exit %d\n%s", r.code, r.stderr)
	}
	want, got := tableFiles(t, whole), tableFiles(t, dir)
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs from the uninterrupted sweep's", name)
		}
	}
}

// TestSweepReportWholeAndMerged is the check with the simulator:
// the adoption sweep, small, writes report.html, summary.json and
// plots/*.png, and merging its two shards writes the same files, byte for
// byte.
func TestSweepReportWholeAndMerged(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 70 small simulations")
	}
	sets := []string{"--set", "population.size=500", "--set", "days=4", "--workers", "2"}
	whole := filepath.Join(t.TempDir(), "S")
	if r := runCLI(t, append([]string{"sweep", "adoption-sweep", "--out", whole}, sets...)...); r.code != 0 {
		t.Fatalf("sweep: %s", r.stderr)
	}
	shards := filepath.Join(t.TempDir(), "shards")
	for _, sh := range []string{"1/2", "2/2"} {
		if r := runCLI(t, append([]string{"sweep", "adoption-sweep", "--out", shards, "--shard", sh}, sets...)...); r.code != 0 {
			t.Fatalf("shard %s: %s", sh, r.stderr)
		}
	}
	if r := runCLI(t, "merge", shards); r.code != 0 || !strings.Contains(r.stdout, "report.html") {
		t.Fatalf("merge: %s%s", r.stdout, r.stderr)
	}
	pngs, _ := filepath.Glob(filepath.Join(whole, "plots", "*.png"))
	if len(pngs) != 4 {
		t.Fatalf("plots: %v", pngs)
	}
	files := []string{"report.html", "summary.json", "manifest.json", "tables/sweep_summary.csv"}
	for _, p := range pngs {
		files = append(files, filepath.Join("plots", filepath.Base(p)))
	}
	for _, name := range files {
		a, err := os.ReadFile(filepath.Join(whole, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(shards, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the whole sweep and the merged shards", name)
		}
	}
	page, _ := os.ReadFile(filepath.Join(whole, "report.html"))
	if !strings.Contains(string(page), "of all close contacts (coverage ≥ 10 %) with bluezone") {
		t.Errorf("the report does not read the goals")
	}
}
