package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

// shardFlag is the --shard value of shard i of n, counted from 1 like the
// sweep's (sweeprun.ParseShardID).
func shardFlag(i, n int) string { return strconv.Itoa(i) + "/" + strconv.Itoa(n) }

// sameRunFolders fails unless two run folders hold the same tables (CSV
// bytes) and the same output hash.
func sameRunFolders(t *testing.T, a, b string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(a, "tables", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no tables in %s: %v", a, err)
	}
	for _, f := range files {
		x, _ := os.ReadFile(f)
		y, err := os.ReadFile(filepath.Join(b, "tables", filepath.Base(f)))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s (%v)", filepath.Base(f), a, b, err)
		}
	}
	hash := regexp.MustCompile(`"output_hash": "([0-9a-f]+)"`)
	sa, _ := os.ReadFile(filepath.Join(a, "summary.json"))
	sb, _ := os.ReadFile(filepath.Join(b, "summary.json"))
	ha, hb := hash.FindSubmatch(sa), hash.FindSubmatch(sb)
	if ha == nil || hb == nil || !bytes.Equal(ha[1], hb[1]) {
		t.Errorf("output hashes differ: %s and %s", ha, hb)
	}
}

// TestRunVietnamShards runs a scaled-down vietnam cut to three provinces
// whole, then in two shards (1/2 by --shard, 2/2 by JOB_COMPLETION_INDEX
// 1, which is 0-based) merged: the national tables and output hash are
// the same bytes.
func TestRunVietnamShards(t *testing.T) {
	sets := []string{"--set", "population.area=nam-dinh,thai-binh,ha-nam", "--set", "population.scale=0.0004",
		"--set", "days=3", "--set", "diagnosis.first_day=1", "--set", "diagnosis.daily_fraction=0.02", "--workers", "2"}
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole")
	if r := runCLI(t, append([]string{"run", "vietnam", "--out", whole}, sets...)...); r.code != 0 {
		t.Fatalf("whole run: %s", r.stderr)
	}
	sharded := filepath.Join(dir, "sharded")
	r := runCLI(t, append([]string{"run", "vietnam", "--out", sharded, "--shard", shardFlag(1, 2)}, sets...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "bluesim merge "+sharded) || !strings.Contains(r.stdout, "shard-1-of-2") {
		t.Fatalf("shard 1/2: %s\n%s", r.stdout, r.stderr)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	if r := runCLI(t, append([]string{"run", "vietnam", "--out", sharded, "--shard-count", "2"}, sets...)...); r.code != 0 ||
		!strings.Contains(r.stdout, "shard-2-of-2") {
		t.Fatalf("shard 2/2: %s\n%s", r.stdout, r.stderr)
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	// Merging only one shard names what is missing, and the shard that
	// should have run it.
	if r := runCLI(t, "merge", filepath.Join(sharded, "shard-1-of-2"), "--out", filepath.Join(dir, "half")); r.code != exitUsage ||
		!strings.Contains(r.stderr, "provinces are missing") || !strings.Contains(r.stderr, "belongs to shard 2/2") {
		t.Fatalf("half merge: exit %d, %s", r.code, r.stderr)
	}
	if r := runCLI(t, "merge", sharded); r.code != 0 {
		t.Fatalf("merge: %s", r.stderr)
	}
	sameRunFolders(t, whole, sharded)
	b, _ := os.ReadFile(filepath.Join(sharded, "tables", "by_area.csv"))
	for _, p := range []string{"nam-dinh", "thai-binh", "ha-nam"} {
		if strings.Count(string(b), "\nbluezone-20,"+p+",") != 1 {
			t.Errorf("by_area.csv lacks one row for bluezone-20 in %s", p)
		}
	}
}

func TestRunShardRefused(t *testing.T) {
	r := runCLI(t, "run", "town", "--shard", "0/2", "--set", "population.size=100")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--shard splits a census area simulated province by province") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, c := range []struct{ shard, want string }{
		{"1/64", "want 1 to 63"},
		{"0/2", "shards count from 1"},
		{"3/2", "want i/n with 1 <= i <= n"},
		{"x", "want i/n, shard i of n counted from 1"},
	} {
		r = runCLI(t, "run", "vietnam", "--shard", c.shard)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("--shard %s: exit %d: %s", c.shard, r.code, r.stderr)
		}
	}
}

// withFakeProvinces replaces the province simulation by a synthetic result
// of the right shape (the vietnam arms, the province's people and seed),
// so that the deploy manifests' full-size command lines run in a test.
func withFakeProvinces(t *testing.T) {
	t.Helper()
	old := provinceRunner
	provinceRunner = func(_ context.Context, p scenarios.ProvincePart, _ ...sim.Option) (*sim.Result, error) {
		r := outputtest.Result()
		r.Scenario, r.Seed, r.Agents = p.Scenario.Name, p.Scenario.Seed, p.People
		for _, a := range r.Arms {
			r.Areas = append(r.Areas, sim.AreaRow{Arm: a.Name, Area: p.Province, Name: p.Province, Province: p.Province,
				Level: "province", TileRow: -1, TileCol: -1, Census: int64(p.People), People: int64(p.People),
				Adoption: a.Adoption, Counts: a.Counts, CloseContacts: a.CloseContacts, Notifications: a.Notifications})
		}
		return r, nil
	}
	t.Cleanup(func() { provinceRunner = old })
}

// TestK8sVietnamJob checks the Indexed Job and the merge Job of the
// national run and runs their exact command lines in process: every
// completion index, then the merge.
func TestK8sVietnamJob(t *testing.T) {
	withFakeProvinces(t)
	read := func(name string) map[string]any {
		data, err := os.ReadFile("../../deploy/k8s/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range k8sDocs(t, data) {
			if d["kind"] == "Job" {
				return d
			}
		}
		t.Fatalf("%s has no Job", name)
		return nil
	}
	job, merge := read("vietnam-job.yaml"), read("vietnam-merge-job.yaml")
	spec := dig(job, "spec").(map[string]any)
	completions, _ := spec["completions"].(int)
	if spec["completionMode"] != "Indexed" || completions < 2 || completions > 63 {
		t.Fatalf("completionMode %v, completions %v", spec["completionMode"], spec["completions"])
	}
	command := strs(dig(spec, "template", "spec", "containers", 0, "command"))
	if strings.Join(command[:3], " ") != "bluesim run vietnam" {
		t.Fatalf("command %v", command)
	}
	checkFlags(t, "vietnam-job.yaml", command[1:])
	for i, a := range command {
		if a == "--shard-count" && command[i+1] != strconv.Itoa(completions) {
			t.Fatalf("--shard-count %s but completions %d", command[i+1], completions)
		}
	}
	mcommand := strs(dig(merge, "spec", "template", "spec", "containers", 0, "command"))
	if strings.Join(mcommand[:2], " ") != "bluesim merge" {
		t.Fatalf("merge command %v", mcommand)
	}
	checkFlags(t, "vietnam-merge-job.yaml", mcommand[1:])
	tmp := t.TempDir()
	local := func(args []string) []string {
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = strings.Replace(a, "/results", filepath.Join(tmp, "results"), 1)
		}
		return out
	}
	for i := range completions {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		if r := runCLI(t, local(command[1:])...); r.code != 0 {
			t.Fatalf("index %d: %s", i, r.stderr)
		}
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	r := runCLI(t, local(mcommand[1:])...)
	if r.code != 0 {
		t.Fatalf("merge: %s", r.stderr)
	}
	s, err := os.ReadFile(filepath.Join(tmp, "results", "vietnam", "summary.json"))
	if err != nil || !strings.Contains(string(s), `"census_population": 96208984`) {
		t.Fatalf("national summary: %v\n%s", err, s)
	}
}

var vietnamArray = regexp.MustCompile(`(?m)^#SBATCH --array=1-(\d+)`)

// TestSlurmVietnamBatch runs the job array script's bluesim command lines
// in process for every array task, then its merge.
func TestSlurmVietnamBatch(t *testing.T) {
	withFakeProvinces(t)
	data, err := os.ReadFile("../../deploy/slurm/vietnam.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	m := vietnamArray.FindSubmatch(data)
	if m == nil {
		t.Fatal("no #SBATCH --array=1-N line")
	}
	last, _ := strconv.Atoi(string(m[1]))
	if last < 2 || last > 63 {
		t.Fatalf("--array=1-%d: want 2 to 63 shards", last)
	}
	tmp := t.TempDir()
	vars := map[string]string{"OUT": filepath.Join(tmp, "out"), "BLUESIM_WORKERS": "2"}
	expand := func(line string) []string {
		line = strings.NewReplacer(`"`, "", `\`, "").Replace(line)
		return strings.Fields(os.Expand(line, func(k string) string { return vars[k] }))
	}
	var runLine, merge []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "bluesim run vietnam"):
			runLine = expand(line)[1:]
		case strings.Contains(line, `--wrap="bluesim merge `):
			_, cmd, _ := strings.Cut(line, `--wrap="`)
			merge = expand(cmd)[1:]
		}
	}
	if runLine == nil || merge == nil {
		t.Fatalf("want a bluesim run vietnam line and a bluesim merge line, got %v and %v", runLine, merge)
	}
	checkFlags(t, "vietnam.sbatch", runLine)
	checkFlags(t, "vietnam.sbatch merge", merge)
	t.Setenv("SLURM_ARRAY_TASK_COUNT", strconv.Itoa(last))
	for i := 1; i <= last; i++ {
		t.Setenv("SLURM_ARRAY_TASK_ID", strconv.Itoa(i))
		if r := runCLI(t, runLine...); r.code != 0 {
			t.Fatalf("array task %d: %s", i, r.stderr)
		}
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	if r := runCLI(t, merge...); r.code != 0 {
		t.Fatalf("merge: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(vars["OUT"], "tables", "by_area.csv")); err != nil {
		t.Fatal(err)
	}
}

// TestRunNamDinhQuickLook is the issue's own check: the 1 % sample of
// Nam Định over 7 days writes tables/by_area.csv with one row per district
// and arm, and the district figure.
func TestRunNamDinhQuickLook(t *testing.T) {
	if testing.Short() {
		t.Skip("a 17,804-person run")
	}
	dir := t.TempDir()
	r := runCLI(t, "run", "nam-dinh", "--set", "population.scale=0.01", "--set", "days=7", "--out", dir, "--workers", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "tables", "by_area.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	l, err := scenarios.LoadBuiltin("nam-dinh")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1+10*len(l.Scenario.Arms) {
		t.Fatalf("%d rows, want %d (10 districts x %d arms)", len(lines)-1, 10*len(l.Scenario.Arms), len(l.Scenario.Arms))
	}
	for _, a := range l.Scenario.Arms {
		for _, d := range []string{"nam-dinh-city", "my-loc", "vu-ban", "y-yen", "nghia-hung", "nam-truc", "truc-ninh", "xuan-truong", "giao-thuy", "hai-hau"} {
			if !strings.Contains(string(b), "\n"+a.Name+","+d+",") {
				t.Errorf("no row for arm %s in %s", a.Name, d)
			}
		}
	}
	for _, f := range []string{"plots/coverage_by_area.png", "plots/coverage_by_area.svg", "tables/by_area.parquet"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	s, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if !strings.Contains(string(s), `"census_population": 1780393`) || !strings.Contains(string(s), `"agents": 17804`) {
		t.Errorf("summary.json lacks the census figures")
	}
}
