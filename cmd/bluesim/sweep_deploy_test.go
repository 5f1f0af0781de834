package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/scenarios"
)

// checkFlags fails if args (a bluesim command line without "bluesim") use a
// subcommand or flag that does not exist.
func checkFlags(t *testing.T, where string, args []string) {
	t.Helper()
	root := (&app{v: viper.New(), getenv: os.Getenv}).rootCommand()
	cmd, rest, err := root.Find(args)
	if err != nil || cmd == root {
		t.Fatalf("%s: bluesim %s: no such command (%v)", where, strings.Join(args, " "), err)
	}
	for _, a := range rest {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if cmd.Flags().Lookup(name) == nil && root.PersistentFlags().Lookup(name) == nil {
			t.Errorf("%s: bluesim %s has no flag --%s", where, cmd.Name(), name)
		}
	}
}

// k8sDocs decodes every YAML document of the Job file.
func k8sDocs(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("sweep-job.yaml: %v", err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	return docs
}

func dig(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := m.(map[string]any)
			m = mm[k]
		case int:
			s, _ := m.([]any)
			if k >= len(s) {
				return nil
			}
			m = s[k]
		}
	}
	return m
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// TestK8sSweepJob parses the Indexed Job, checks its shape and its
// bluesim command lines, and then runs exactly those command lines in
// process, once per completion index, and the documented merge.
func TestK8sSweepJob(t *testing.T) {
	withFakeSim(t)
	data, err := os.ReadFile("../../deploy/k8s/sweep-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job, cm map[string]any
	for _, d := range k8sDocs(t, data) {
		switch d["kind"] {
		case "Job":
			job = d
		case "ConfigMap":
			cm = d
		}
	}
	if job == nil || cm == nil {
		t.Fatal("want a Job and a ConfigMap")
	}
	spec := dig(job, "spec").(map[string]any)
	if spec["completionMode"] != "Indexed" {
		t.Fatalf("completionMode %v", spec["completionMode"])
	}
	completions, _ := spec["completions"].(int)
	if completions < 2 || spec["parallelism"] == nil {
		t.Fatalf("completions %v parallelism %v", spec["completions"], spec["parallelism"])
	}
	command := strs(dig(spec, "template", "spec", "containers", 0, "command"))
	if command[0] != "bluesim" || command[1] != "sweep" {
		t.Fatalf("command %v", command)
	}
	checkFlags(t, "sweep-job.yaml", command[1:])
	for i, a := range command {
		if a == "--shard-count" && command[i+1] != strconv.Itoa(completions) {
			t.Fatalf("--shard-count %s but completions %d", command[i+1], completions)
		}
		if a == "--shard" {
			t.Fatal("the Job must take the shard from JOB_COMPLETION_INDEX, not --shard")
		}
	}
	// The scenario file comes from the ConfigMap, mounted at /scenarios.
	scenarioPath := command[2]
	key := filepath.Base(scenarioPath)
	src, ok := dig(cm, "data", key).(string)
	if !ok || filepath.Dir(scenarioPath) != "/scenarios" {
		t.Fatalf("scenario %s is not key %q of the ConfigMap mounted at /scenarios", scenarioPath, key)
	}
	if _, err := scenarios.LoadBytes(key, []byte(src)); err != nil {
		t.Fatalf("the ConfigMap's scenario does not load: %v", err)
	}

	// The merge Job is documented commented out at the end.
	var merge []string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "# "); ok && strings.HasPrefix(strings.TrimSpace(rest), "- ") && merge != nil && len(merge) < 3 {
			merge = append(merge, strings.TrimPrefix(strings.TrimSpace(rest), "- "))
		}
		if strings.TrimSpace(line) == "#           command:" {
			merge = []string{}
		}
	}
	if len(merge) != 3 || merge[0] != "bluesim" || merge[1] != "merge" {
		t.Fatalf("merge command %v", merge)
	}
	checkFlags(t, "sweep-job.yaml merge", merge[1:])

	// Run it: every index, then the merge, in temporary folders.
	tmp := t.TempDir()
	local := func(p string) string {
		p = strings.Replace(p, "/scenarios", filepath.Join(tmp, "scenarios"), 1)
		return strings.Replace(p, "/results", filepath.Join(tmp, "results"), 1)
	}
	os.MkdirAll(filepath.Join(tmp, "scenarios"), 0o755)
	os.WriteFile(local(scenarioPath), []byte(src), 0o644)
	args := make([]string, len(command)-1)
	for i, a := range command[1:] {
		args[i] = local(a)
	}
	outDir := ""
	for i, a := range args {
		if a == "--out" {
			outDir = args[i+1]
		}
	}
	for i := range completions {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		if r := runCLI(t, args...); r.code != 0 {
			t.Fatalf("index %d: %s", i, r.stderr)
		}
		// Index i (0-based) runs shard i+1 of completions.
		dir := filepath.Join(outDir, fmt.Sprintf("shard-%d-of-%d", i+1, completions))
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
	}
	os.Unsetenv("JOB_COMPLETION_INDEX")
	if r := runCLI(t, "merge", local(merge[2])); r.code != 0 {
		t.Fatalf("merge: %s", r.stderr)
	}
}

var sbatchArray = regexp.MustCompile(`(?m)^#SBATCH --array=1-(\d+)`)

// TestSlurmSweepBatch checks the job array script's bluesim command lines
// and runs them in process for every array task, then the merge.
func TestSlurmSweepBatch(t *testing.T) {
	withFakeSim(t)
	data, err := os.ReadFile("../../deploy/slurm/sweep.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	m := sbatchArray.FindSubmatch(data)
	if m == nil {
		t.Fatal("no #SBATCH --array=1-N line")
	}
	last, _ := strconv.Atoi(string(m[1]))
	if last < 2 {
		t.Fatalf("--array=1-%d: want at least two shards", last)
	}
	tmp := t.TempDir()
	vars := map[string]string{
		"SCENARIO":        filepath.Join(tmp, "sweep.yaml"),
		"OUT":             filepath.Join(tmp, "out"),
		"BLUESIM_WORKERS": "2",
	}
	os.WriteFile(vars["SCENARIO"], []byte(cliSweep), 0o644)
	expand := func(line string) []string {
		line = strings.NewReplacer(`"`, "", `\`, "").Replace(line)
		return strings.Fields(os.Expand(line, func(k string) string { return vars[k] }))
	}
	var sweep, merge []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "bluesim sweep "):
			sweep = expand(line)[1:]
		case strings.Contains(line, `--wrap="bluesim merge `):
			_, cmd, _ := strings.Cut(line, `--wrap="`)
			merge = expand(cmd)[1:]
		}
	}
	if sweep == nil || merge == nil {
		t.Fatalf("want a bluesim sweep line and a bluesim merge line, got %v and %v", sweep, merge)
	}
	checkFlags(t, "sweep.sbatch", sweep)
	checkFlags(t, "sweep.sbatch merge", merge)
	// What Slurm sets for --array=1-N.
	t.Setenv("SLURM_ARRAY_TASK_COUNT", strconv.Itoa(last))
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	t.Setenv("SLURM_ARRAY_TASK_MAX", strconv.Itoa(last))
	for i := 1; i <= last; i++ {
		t.Setenv("SLURM_ARRAY_TASK_ID", strconv.Itoa(i))
		if r := runCLI(t, sweep...); r.code != 0 {
			t.Fatalf("array task %d: %s", i, r.stderr)
		}
		dir := filepath.Join(vars["OUT"], fmt.Sprintf("shard-%d-of-%d", i, last))
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			t.Fatalf("array task %d: %v", i, err)
		}
	}
	// The merge is queued by the last array task.
	if !strings.Contains(string(data), `"${SLURM_ARRAY_TASK_ID}" = "${SLURM_ARRAY_TASK_MAX:-1}"`) {
		t.Error("the merge is not queued by the array's last task")
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	if r := runCLI(t, merge...); r.code != 0 {
		t.Fatalf("merge: %s", r.stderr)
	}
}
