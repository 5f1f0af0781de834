package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sweeprun"
)

// folderFiles lists every file under dir, relative and slash-separated,
// sorted.
func folderFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// readRunSummary reads dir/summary.json.
func readRunSummary(t *testing.T, dir string) *output.Summary {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, output.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := output.ReadSummary(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunOutFolderHoldsOneRun: two runs into one folder leave exactly the
// second run's files, the ones its summary.json lists; a folder holding
// files bluesim did not write is refused before the simulation, and
// --force replaces it.
func TestRunOutFolderHoldsOneRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	// The epidemic layer adds tables and figures that the second run,
	// without it, does not write.
	first := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", dir, "--set", "epidemic.enabled=true")
	if first.code != 0 {
		t.Fatalf("first run: exit %d\n%s", first.code, first.stderr)
	}
	s1 := readRunSummary(t, dir)
	if got := folderFiles(t, dir); !slices.Equal(got, s1.Files) {
		t.Fatalf("after the first run the folder holds\n%q\nsummary.json lists\n%q", got, s1.Files)
	}
	if !slices.Contains(s1.Files, "plots/r_eff_over_time.svg") || !slices.Contains(s1.Files, "tables/epidemic_rt.csv") {
		t.Fatalf("the first run has no epidemic files: %q", s1.Files)
	}
	second := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", dir)
	if second.code != 0 {
		t.Fatalf("second run: exit %d\n%s", second.code, second.stderr)
	}
	s2 := readRunSummary(t, dir)
	if got := folderFiles(t, dir); !slices.Equal(got, s2.Files) {
		t.Errorf("after the second run the folder holds\n%q\nsummary.json lists\n%q", got, s2.Files)
	}
	for _, f := range s2.Files {
		if strings.Contains(f, "epidemic") || strings.Contains(f, "r_eff") {
			t.Errorf("the second run lists %s", f)
		}
	}

	// A file of the user's: refused before any simulation, left alone.
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", dir)
	if refused.code != exitUsage || !strings.Contains(refused.stderr, "--out "+dir+": the folder holds files bluesim did not write (notes.txt)") ||
		!strings.Contains(refused.stderr, "--force") {
		t.Fatalf("exit %d, want 2 naming the folder, the file and --force:\n%s", refused.code, refused.stderr)
	}
	if strings.Contains(refused.stderr, "day 1/") {
		t.Errorf("the simulation ran before the refusal:\n%s", refused.stderr)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Fatalf("the refusal removed notes.txt: %v", err)
	}
	forced := runCLI(t, "run", "testdata/run_tiny.yaml", "--out", dir, "--force")
	if forced.code != 0 {
		t.Fatalf("--force: exit %d\n%s", forced.code, forced.stderr)
	}
	if got := folderFiles(t, dir); !slices.Equal(got, readRunSummary(t, dir).Files) {
		t.Errorf("after --force the folder holds %q", got)
	}
}

// TestOutUnwritable: an --out that cannot be created or written exits 2
// naming the folder, before any simulation starts (no progress line), for
// every command that simulates.
func TestOutUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(file, "out")
	for _, args := range [][]string{
		{"run", "testdata/run_tiny.yaml", "--out", out},
		{"run", "city", "--out", out},
		{"sweep", "testdata/run_tiny.yaml", "--out", out},
		{"target", "testdata/run_tiny.yaml", "--goal", "coverage>=0.1", "--out", out},
	} {
		got := runCLI(t, args...)
		want := "--out " + out + ": cannot create it: " + file + " is a file, not a folder"
		if got.code != exitUsage || !strings.Contains(got.stderr, want) {
			t.Errorf("%s: exit %d, want 2 with %q:\n%s", strings.Join(args, " "), got.code, want, got.stderr)
		}
		if strings.Contains(got.stderr, "day 1/") || strings.Contains(got.stderr, "probe 1") {
			t.Errorf("%s: the simulation started:\n%s", strings.Join(args, " "), got.stderr)
		}
	}
}

// TestSweepOutFolderHoldsOneSweep: a whole sweep's folder holds exactly
// the files its summary.json lists (the manifest's tables and the report);
// the same sweep again is accepted (its report is bluesim's, not a
// stranger's) and leaves the same list; an interrupted sweep into it
// leaves exactly the manifest's files, the earlier report removed.
func TestSweepOutFolderHoldsOneSweep(t *testing.T) {
	withFakeSim(t)
	file := writeSweepFile(t)
	dir := filepath.Join(t.TempDir(), "out")
	listed := func() []string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, output.SummaryFile))
		if err != nil {
			t.Fatal(err)
		}
		s, err := output.ReadSweepSummary(b)
		if err != nil {
			t.Fatal(err)
		}
		return s.Files
	}
	var first []string
	for i := range 2 {
		r := runCLI(t, "sweep", file, "--out", dir, "--workers", "1")
		if r.code != 0 {
			t.Fatalf("sweep %d: exit %d\n%s", i+1, r.code, r.stderr)
		}
		files := listed()
		if got := folderFiles(t, dir); !slices.Equal(got, files) {
			t.Fatalf("after sweep %d the folder holds\n%q\nsummary.json lists\n%q", i+1, got, files)
		}
		if !slices.Contains(files, output.ReportFile) || !slices.Contains(files, "manifest.json") {
			t.Fatalf("summary.json lists %q", files)
		}
		if i == 0 {
			first = files
		} else if !slices.Equal(files, first) {
			t.Errorf("the second sweep lists %q, the first %q", files, first)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sweepRunner = func(*progress) sweeprun.RunFunc {
		return func(ctx context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
			cancel()
			return fakeSweepRun(ctx, sc)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := exitCode(run(ctx, []string{"sweep", file, "--out", dir, "--workers", "1"}, &stdout, &stderr), &stderr); code != exitFailure {
		t.Fatalf("interrupted sweep: exit %d\n%s", code, stderr.String())
	}
	f, err := sweeprun.ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f.Manifest.Complete || slices.Contains(f.Manifest.Files, output.ReportFile) {
		t.Fatalf("interrupted manifest: complete %v, files %q", f.Manifest.Complete, f.Manifest.Files)
	}
	if got := folderFiles(t, dir); !slices.Equal(got, f.Manifest.Files) {
		t.Errorf("after the interrupted sweep the folder holds\n%q\nits manifest lists\n%q", got, f.Manifest.Files)
	}
}
