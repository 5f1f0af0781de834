package output

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/table"
)

// Names inside a run's output folder.
const (
	SummaryFile  = "summary.json"
	ScenarioFile = "scenario.yaml"
	ReportFile   = "report.html"
	TablesDir    = "tables"
	PlotsDir     = "plots"
)

// Figure is one figure of a run as files: plots/NAME.png and
// plots/NAME.svg, with the title and caption the report gives it.
type Figure struct {
	// Name is the file stem ("coverage_vs_adoption").
	Name string
	// Title and Caption are the report's heading and explanation.
	Title, Caption string
	// PNG and SVG are the encoded images.
	PNG, SVG []byte
}

// Files are the figure's file names: NAME.png and NAME.svg.
func (f *Figure) Files() []string {
	return []string{f.Name + ".png", f.Name + ".svg"}
}

// Renderer draws what a run folder shows besides its numbers: the figures
// and the report page. Package plots has the one bluesim uses; without
// one, WriteRun writes the numbers alone.
type Renderer interface {
	// Figures draws the run's figures, in the order the report shows
	// them. o says which pairwise law the coverage figure draws.
	Figures(r *sim.Result, o Options) ([]Figure, error)
	// Report returns report.html: the run described by its summary s,
	// with the figures figs.
	Report(s *Summary, r *sim.Result, figs []Figure) ([]byte, error)
}

// RunOption adds to what WriteRun writes.
type RunOption func(*runConfig)

type runConfig struct {
	sc       *scenarios.Scenario
	renderer Renderer
}

// WithScenario gives WriteRun the scenario the run used: it is written
// as scenario.yaml (every key, with comments: running that file reproduces
// the run), its hash goes into summary.json as scenario_hash, and its
// diagnosis.among decides the pairwise law. engine.workers is cleared in
// both, since it changes no result.
func WithScenario(sc scenarios.Scenario) RunOption {
	return func(c *runConfig) { c.sc = &sc }
}

// WithRenderer gives WriteRun the renderer of the figures (plots/) and of
// report.html.
func WithRenderer(rd Renderer) RunOption {
	return func(c *runConfig) { c.renderer = rd }
}

// WriteRun writes every output of a run into dir (created if needed), in
// this order: scenario.yaml (WithScenario), tables/ (CSV and Parquet),
// summary.json (which lists every file, under "files", and the tables and
// figures), plots/ (PNG and SVG) and report.html (WithRenderer), each file
// atomically with mode 0644. It does not remove an earlier run's files:
// the caller does (package internal/outdir), once summary.json is written. It
// returns the summary it wrote. Everything is computed before the first
// file is written. When ctx is cancelled it stops after summary.json or
// after the figures and returns ctx's error; the files already written are
// complete, and summary.json, once present, describes complete tables.
func WriteRun(ctx context.Context, dir string, r *sim.Result, opts ...RunOption) (*Summary, error) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	var (
		o      Options
		scYAML []byte
		scHash string
		err    error
	)
	if cfg.sc != nil {
		canon := *cfg.sc
		canon.Engine.Workers = 0
		if scYAML, err = scenarios.Encode(canon, nil, true); err != nil {
			return nil, err
		}
		if scHash, err = scenarios.Hash(canon); err != nil {
			return nil, err
		}
		o.DiagnosedAmong = canon.Diagnosis.Among
		if p := canon.Population; p.Geographic() {
			o.Census = &Census{Area: p.Area, AreaLevel: p.AreaLevel, Scale: Num(p.Scale)}
		}
		if o.ArmSeries, err = ArmSeries(canon); err != nil {
			return nil, err
		}
		o.PairScores = canon.Metrics.PairScores
	}
	o.Arms = ArmSummaries(r, o)
	tables := ResultTables(r, o)
	var figs []Figure
	if cfg.renderer != nil {
		if figs, err = cfg.renderer.Figures(r, o); err != nil {
			return nil, err
		}
	}
	s := NewSummary(r, o)
	s.ScenarioHash = scHash
	for i := range tables {
		for _, f := range tables[i].Files() {
			s.Tables = append(s.Tables, TablesDir+"/"+f)
		}
	}
	for i := range figs {
		for _, f := range figs[i].Files() {
			s.Plots = append(s.Plots, PlotsDir+"/"+f)
		}
	}
	s.Files = append(append(append(s.Files, SummaryFile), s.Tables...), s.Plots...)
	if scYAML != nil {
		s.Files = append(s.Files, ScenarioFile)
	}
	if cfg.renderer != nil {
		s.Files = append(s.Files, ReportFile)
	}
	slices.Sort(s.Files)
	if s.OutputHash, err = Hash(tables, s); err != nil {
		return nil, err
	}
	js, err := s.JSON()
	if err != nil {
		return nil, err
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if scYAML != nil {
		if err := atomicfile.WriteBytes(filepath.Join(dir, ScenarioFile), scYAML, atomicfile.Output); err != nil {
			return nil, err
		}
	}
	if err := table.Write(filepath.Join(dir, TablesDir), tables); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, SummaryFile), js, atomicfile.Output); err != nil {
		return nil, err
	}
	if cfg.renderer == nil {
		return s, nil
	}
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("stopped after writing the tables and %s: %w", SummaryFile, err)
	}
	if _, err := WriteFigures(filepath.Join(dir, PlotsDir), figs); err != nil {
		return s, err
	}
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("stopped before writing %s: %w", ReportFile, err)
	}
	page, err := cfg.renderer.Report(s, r, figs)
	if err != nil {
		return s, err
	}
	return s, atomicfile.WriteBytes(filepath.Join(dir, ReportFile), page, atomicfile.Output)
}

// WriteFigures writes NAME.png and NAME.svg for each figure in dir
// (created if needed), each file atomically with mode 0644, and returns
// the file names written.
func WriteFigures(dir string, figs []Figure) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var names []string
	for i := range figs {
		f := &figs[i]
		files := f.Files()
		for j, data := range [][]byte{f.PNG, f.SVG} {
			if len(data) == 0 {
				return names, fmt.Errorf("figure %s: no %s bytes", f.Name, filepath.Ext(files[j]))
			}
			if err := atomicfile.WriteBytes(filepath.Join(dir, files[j]), data, atomicfile.Output); err != nil {
				return names, err
			}
			names = append(names, files[j])
		}
	}
	return names, nil
}
