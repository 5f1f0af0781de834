package output_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

// withPlots is the renderer the command line uses.
var withPlots = output.WithRenderer(plots.Renderer{})

func TestWriteRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := output.WriteRun(context.Background(), dir, outputtest.Result(), withPlots)
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{output.SummaryFile, output.ReportFile}, s.Tables...)
	files = append(files, s.Plots...)
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.Open(filepath.Join(dir, output.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	back, err := output.ReadSummary(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.OutputHash != s.OutputHash || len(back.OutputHash) != 64 {
		t.Fatalf("hash %q, want %q", back.OutputHash, s.OutputHash)
	}
}

func TestWriteRunCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := output.WriteRun(ctx, dir, outputtest.Result(), withPlots)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	// Tables and summary are complete; nothing after them was started.
	if _, err := os.Stat(filepath.Join(dir, output.SummaryFile)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{output.ReportFile, output.PlotsDir} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s exists after cancellation", f)
		}
	}
}

func BenchmarkWriteRun(b *testing.B) {
	r := outputtest.Result()
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := output.WriteRun(context.Background(), dir, r, withPlots); err != nil {
			b.Fatal(err)
		}
	}
}

func TestWriteRunWithScenario(t *testing.T) {
	sc := scenarios.Default()
	sc.Diagnosis.Among = output.AmongAppUsers
	sc.Engine.Workers = 3
	dir := filepath.Join(t.TempDir(), "out")
	s, err := output.WriteRun(context.Background(), dir, outputtest.Result(), output.WithScenario(sc), withPlots)
	if err != nil {
		t.Fatal(err)
	}
	if s.DiagnosedAmong != output.AmongAppUsers || len(s.ScenarioHash) != 64 {
		t.Fatalf("diagnosed_among %q, scenario_hash %q", s.DiagnosedAmong, s.ScenarioHash)
	}
	l, err := scenarios.Load(filepath.Join(dir, output.ScenarioFile))
	if err != nil {
		t.Fatalf("scenario.yaml does not load back: %v", err)
	}
	if h, _ := scenarios.Hash(l.Scenario); h != s.ScenarioHash {
		t.Errorf("scenario.yaml hashes to %s, summary says %s", h, s.ScenarioHash)
	}
	// The worker count is not part of the scenario's identity.
	sc.Engine.Workers = 1
	s2, err := output.WriteRun(context.Background(), filepath.Join(t.TempDir(), "out"), outputtest.Result(), output.WithScenario(sc), withPlots)
	if err != nil {
		t.Fatal(err)
	}
	if s2.ScenarioHash != s.ScenarioHash || s2.OutputHash != s.OutputHash {
		t.Error("engine.workers changes the hashes")
	}
	page, err := os.ReadFile(filepath.Join(dir, output.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "every index case here had the app") {
		t.Error("the report does not explain the law for index cases drawn from app users")
	}
}

// fakeRenderer checks when WriteRun calls it: Figures before any file is
// written, Report once the summary and the figures are on disk.
type fakeRenderer struct {
	t         *testing.T
	dir       string
	figErr    error
	reportErr error
	reported  *output.Summary
}

func (f *fakeRenderer) Figures(*sim.Result, output.Options) ([]output.Figure, error) {
	if _, err := os.Stat(f.dir); !os.IsNotExist(err) {
		f.t.Errorf("Figures called after %s was created", f.dir)
	}
	return []output.Figure{
		{Name: "one", Title: "One", PNG: []byte("png1"), SVG: []byte("<svg/>")},
		{Name: "two", Title: "Two", PNG: []byte("png2"), SVG: []byte("<svg></svg>")},
	}, f.figErr
}

func (f *fakeRenderer) Report(s *output.Summary, _ *sim.Result, figs []output.Figure) ([]byte, error) {
	for _, name := range append([]string{output.SummaryFile}, s.Plots...) {
		if _, err := os.Stat(filepath.Join(f.dir, name)); err != nil {
			f.t.Errorf("Report called before %s was written: %v", name, err)
		}
	}
	if len(figs) != 2 || s.OutputHash == "" {
		f.t.Errorf("Report got %d figures, output hash %q", len(figs), s.OutputHash)
	}
	f.reported = s
	return []byte("<html>" + s.OutputHash + "</html>"), f.reportErr
}

func TestWriteRunFolder(t *testing.T) {
	for _, tc := range []struct {
		name      string
		renderer  bool
		figErr    error
		reportErr error
		files     []string // besides the tables
		err       string
	}{
		{name: "with a renderer", renderer: true,
			files: []string{output.SummaryFile, output.ReportFile, "plots/one.png", "plots/one.svg", "plots/two.png", "plots/two.svg"}},
		{name: "numbers alone", files: []string{output.SummaryFile}},
		{name: "figures fail", renderer: true, figErr: errors.New("no fonts"), err: "no fonts"},
		{name: "report fails", renderer: true, reportErr: errors.New("template broken"), err: "template broken",
			files: []string{output.SummaryFile, "plots/one.png", "plots/one.svg", "plots/two.png", "plots/two.svg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			fr := &fakeRenderer{t: t, dir: dir, figErr: tc.figErr, reportErr: tc.reportErr}
			var opts []output.RunOption
			if tc.renderer {
				opts = append(opts, output.WithRenderer(fr))
			}
			s, err := output.WriteRun(context.Background(), dir, outputtest.Result(), opts...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			var got []string
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !strings.HasPrefix(path, filepath.Join(dir, output.TablesDir)) {
					rel, _ := filepath.Rel(dir, path)
					got = append(got, filepath.ToSlash(rel))
				}
				return nil
			})
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tc.files))
			if !slices.Equal(got, want) {
				t.Errorf("folder holds %v, want %v (and tables/)", got, want)
			}
			if s == nil {
				return
			}
			wantPlots := []string{}
			if tc.renderer {
				wantPlots = []string{"plots/one.png", "plots/one.svg", "plots/two.png", "plots/two.svg"}
			}
			if !slices.Equal(s.Plots, wantPlots) {
				t.Errorf("summary lists plots %v, want %v", s.Plots, wantPlots)
			}
			if tc.err == "" && tc.renderer {
				page, _ := os.ReadFile(filepath.Join(dir, output.ReportFile))
				if string(page) != "<html>"+s.OutputHash+"</html>" || fr.reported != s {
					t.Errorf("report.html %q is not the renderer's page for the summary written", page)
				}
			}
		})
	}
}
