package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
)

// TestRunEndToEnd runs a tiny scenario through the real engine with one
// and with two workers, checks every output file and that the output hash
// does not depend on the worker count.
func TestRunEndToEnd(t *testing.T) {
	base := t.TempDir()
	var hashes, stdouts []string
	for _, workers := range []string{"1", "2"} {
		dir := filepath.Join(base, "w"+workers)
		got := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", dir, "--workers", workers)
		if got.code != 0 {
			t.Fatalf("--workers %s: exit %d\n%s", workers, got.code, got.stderr)
		}
		// Not a terminal: plain progress lines, first and last day at least.
		for _, re := range []string{
			`(?m)^run tiny: 300 people, 2 days, 4 arms, seed 1 -> `,
			`(?m)^day 1/2  agent-days/s [0-9]+  eta [0-9ms.]+$`,
			`(?m)^day 2/2  agent-days/s [0-9]+  eta 0s$`,
			`(?m)^done in [0-9.]+ s on ` + workers + ` workers`,
		} {
			if !regexp.MustCompile(re).MatchString(got.stderr) {
				t.Errorf("--workers %s: stderr does not match %s:\n%s", workers, re, got.stderr)
			}
		}
		f, err := os.Open(filepath.Join(dir, output.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		s, err := output.ReadSummary(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if s.Scenario != "tiny" || s.Agents != 300 || s.Days != 2 || s.Seed != 1 || len(s.Arms) != 4 {
			t.Errorf("summary %s %d agents %d days seed %d %d arms", s.Scenario, s.Agents, s.Days, s.Seed, len(s.Arms))
		}
		if s.Workers != map[string]int{"1": 1, "2": 2}[workers] || s.PeakRSSBytes <= 0 || s.WallSeconds <= 0 {
			t.Errorf("summary workers %d, peak RSS %d, wall %v", s.Workers, s.PeakRSSBytes, s.WallSeconds)
		}
		if len(s.ScenarioHash) != 64 {
			t.Errorf("scenario_hash %q", s.ScenarioHash)
		}
		files := append([]string{output.SummaryFile, output.ReportFile, output.ScenarioFile}, s.Tables...)
		files = append(files, s.Plots...)
		if len(files) < 2+12+16 {
			t.Errorf("only %d files listed", len(files))
		}
		for _, name := range files {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
		if !strings.Contains(got.stdout, "output hash "+s.OutputHash+"\n") {
			t.Errorf("stdout lacks the output hash:\n%s", got.stdout)
		}
		hashes = append(hashes, s.OutputHash)
		stdouts = append(stdouts, strings.ReplaceAll(got.stdout, dir, "DIR"))
	}
	if hashes[0] != hashes[1] {
		t.Errorf("output hash differs between 1 and 2 workers: %s, %s", hashes[0], hashes[1])
	}
	if stdouts[0] != stdouts[1] {
		t.Errorf("stdout differs between 1 and 2 workers:\n%s\n%s", stdouts[0], stdouts[1])
	}
	// scenario.yaml reproduces the run.
	again := runCLI(t, "run", filepath.Join(base, "w1", output.ScenarioFile), "--out", filepath.Join(base, "again"))
	if again.code != 0 {
		t.Fatalf("rerun from scenario.yaml: exit %d\n%s", again.code, again.stderr)
	}
	if !strings.Contains(again.stdout, "output hash "+hashes[0]+"\n") {
		t.Errorf("rerun from scenario.yaml gives another hash:\n%s", again.stdout)
	}
	// The tables themselves are byte-identical too.
	for _, name := range []string{"daily.csv", "detection_by_band.csv", "arms.parquet"} {
		a, _ := os.ReadFile(filepath.Join(base, "w1", "tables", name))
		b, _ := os.ReadFile(filepath.Join(base, "w2", "tables", name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("tables/%s differs between worker counts (or is empty)", name)
		}
	}
}

// TestRunInterrupted: a cancelled run writes nothing and fails with exit 1.
func TestRunInterrupted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"run", "testdata/run_tiny.yaml", "--out", dir}, &stdout, &stderr)
	if code := exitCode(err, &stderr); code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr %q does not say the run was interrupted", stderr.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("interrupted run created %s", dir)
	}
}

// TestRunSettingsLayers: the config file gives --out and --workers, and
// BLUESIM_WORKERS wins over the file.
func TestRunSettingsLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "from-config")
	cfg := filepath.Join(tmp, "bluesim.yaml")
	if err := os.WriteFile(cfg, []byte("out: "+dir+"\nworkers: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BLUESIM_WORKERS", "2")
	got := runCLI(t, "run", "testdata/run_tiny.yaml", "--config", cfg)
	if got.code != 0 {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	if !strings.Contains(got.stderr, "on 2 workers") {
		t.Errorf("BLUESIM_WORKERS=2 did not win over the config file:\n%s", got.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, output.SummaryFile)); err != nil {
		t.Errorf("out from the config file ignored: %v", err)
	}
}

func TestRunGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"run_bad_scenario", []string{"run", "testdata/run_bad.yaml"}},
		{"run_unknown_builtin", []string{"run", "towm"}},
		{"run_missing_file", []string{"run", "testdata/no-such-file.yaml"}},
		{"run_bad_set", []string{"run", "testdata/run_tiny.yaml", "--set", "days=-1"}},
		{"run_too_many_args", []string{"run", "town", "city"}},
		{"run_bad_workers", []string{"run", "testdata/run_tiny.yaml", "--workers", "-3"}},
		{"run_sweep_builtin", []string{"run", "adoption-sweep"}},
		{"run_sweep_set", []string{"run", "testdata/run_tiny.yaml", "--set", "sweep.replicates=3"}},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.args...) })
	}
}

// TestREADMEDocumentsSummaryKeys: every key of summary.json is explained
// in the README.
func TestREADMEDocumentsSummaryKeys(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	b, err := output.NewSummary(outputtest.Result(), output.Options{}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for k, v := range top {
		keys[k] = true
		if arms, ok := v.([]any); ok && len(arms) > 0 {
			if m, ok := arms[0].(map[string]any); ok {
				for k := range m {
					keys[k] = true
				}
			}
		}
	}
	for k := range keys {
		if !bytes.Contains(readme, []byte("`"+k+"`")) {
			t.Errorf("README.md does not document the summary.json key `%s`", k)
		}
	}
}

// TestRunDefaultScenario: without an argument run uses the built-in town,
// even where the current directory holds a folder named town.
func TestRunDefaultScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	tmp := t.TempDir()
	if err := os.Mkdir(filepath.Join(tmp, "town"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(tmp)
	got := runCLI(t, "run", "--set", "population.size=300", "--set", "days=2", "--set", "diagnosis.first_day=1")
	if got.code != 0 {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	if _, err := os.Stat(filepath.Join(tmp, "out", "town", output.ReportFile)); err != nil {
		t.Errorf("default output folder: %v", err)
	}
}

// TestRunArmNamesFollowAdoption: an override of the adoption renames the
// arms whose names gave it, says so on stderr, and the table, summary and
// report carry the new names; sweeps over the adoption name the arms by
// protocol alone.
func TestRunArmNamesFollowAdoption(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	got := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", dir, "--set", "arms[*].adoption=0.6")
	if got.code != 0 {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	for _, want := range []string{
		"note: --set arms[*].adoption=0.6 renames arm bluezone-20 to bluezone-60 ",
		"note: --set arms[*].adoption=0.6 renames arm bluezone-40 to bluezone-60 (2) ",
		"note: --set arms[*].adoption=0.6 renames arm gaen-20 to gaen-60 ",
	} {
		if !strings.Contains(got.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, got.stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^ *bluezone-60 +60\.0 %`).MatchString(got.stdout) || strings.Contains(got.stdout, "bluezone-20") {
		t.Errorf("the table does not show bluezone-60 at 60 %%:\n%s", got.stdout)
	}
	s := readRunSummary(t, dir)
	for _, a := range s.Arms {
		if !strings.Contains(a.Name, "-60") || float64(a.Adoption) != 0.6 {
			t.Errorf("arm %s at adoption %v", a.Name, a.Adoption)
		}
	}
	report, err := os.ReadFile(filepath.Join(dir, output.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(report), "bluezone-20") || strings.Contains(string(report), "gaen-40") {
		t.Errorf("report.html still names an arm after its old adoption")
	}
	// A sweep over the adoption: the arms are named by protocol at every
	// point, and stderr says so.
	sw := runCLI(t, "sweep", "testdata/run_tiny.yaml", "--out", filepath.Join(t.TempDir(), "sweep"), "--set", "sweep.axes.arms[*].adoption=[0.1, 0.3]")
	if sw.code != 0 {
		t.Fatalf("sweep: exit %d\n%s", sw.code, sw.stderr)
	}
	if !strings.Contains(sw.stderr, "note: sweep axis arms[*].adoption renames arm bluezone-20 to bluezone ") {
		t.Errorf("sweep stderr lacks the rename:\n%s", sw.stderr)
	}
}

// TestRunTooSmall: a run too small and too short to estimate its shares
// and its epidemic outcomes still succeeds, prints one warning line, and
// its summary and report say which numbers are missing and why; r_eff is
// not reported at all.
func TestRunTooSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine")
	}
	dir := t.TempDir()
	got := runCLI(t, "run", "policy", "--set", "population.size=1000", "--set", "days=5", "--out", dir)
	if got.code != 0 {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	var warnings []string
	for _, l := range strings.Split(got.stderr, "\n") {
		if strings.HasPrefix(l, "warning: ") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "bluezone-40 ") || !strings.Contains(warnings[0], "epidemic.r_eff") {
		t.Errorf("want one warning line naming the arms and r_eff, got %q", warnings)
	}
	b, err := os.ReadFile(filepath.Join(dir, output.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Arms []struct {
			Unestimable map[string]string `json:"unestimable"`
			Epidemic    map[string]any    `json:"epidemic"`
		} `json:"arms"`
		Epidemic map[string]any `json:"epidemic"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Arms {
		if a.Epidemic["r_eff"] != nil || !strings.Contains(a.Unestimable["epidemic.r_eff"], "raise days to at least") ||
			!strings.Contains(a.Unestimable["coverage"], "need 10") {
			t.Errorf("arm: r_eff %v, unestimable %v", a.Epidemic["r_eff"], a.Unestimable)
		}
	}
	if na, _ := s.Epidemic["no_app"].(map[string]any); na == nil || na["r_eff"] != nil {
		t.Errorf("no-app r_eff %v", s.Epidemic["no_app"])
	}
	page, err := os.ReadFile(filepath.Join(dir, output.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	text := html.UnescapeString(string(page))
	for _, want := range []string{"too small or too short to estimate some numbers", "The effective reproduction number is not reported",
		"raise population.size or days"} {
		if !strings.Contains(text, want) {
			t.Errorf("report does not say %q", want)
		}
	}
	if strings.Contains(text, "effective reproduction number 0.") {
		t.Error("report gives an effective reproduction number")
	}
}
