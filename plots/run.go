package plots

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/output"
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

// RunOption adds to what WriteRun writes.
type RunOption func(*runConfig)

type runConfig struct {
	sc *scenarios.Scenario
}

// WithScenario gives WriteRun the scenario the run used: it is written
// as scenario.yaml (every key, with comments: running that file reproduces
// the run), its hash goes into summary.json as scenario_hash, and its
// diagnosis.among decides the pairwise law. engine.workers is cleared in
// both, since it changes no result.
func WithScenario(sc scenarios.Scenario) RunOption {
	return func(c *runConfig) { c.sc = &sc }
}

// WriteRun writes every output of a run into dir (created if needed):
// scenario.yaml (when given), tables/ (CSV and Parquet), summary.json,
// plots/ (PNG and SVG) and report.html, in that order, each file
// atomically. It returns the summary
// it wrote. When ctx is cancelled between two steps it stops and returns
// ctx's error; the files already written are complete, and summary.json,
// once present, describes complete tables.
func WriteRun(ctx context.Context, dir string, r *sim.Result, opts ...RunOption) (*output.Summary, error) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	var (
		o      output.Options
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
	}
	tables := output.ResultTables(r, o)
	figs, err := Figures(r, o)
	if err != nil {
		return nil, err
	}
	s := output.NewSummary(r, o)
	s.ScenarioHash = scHash
	for _, t := range tables {
		s.Tables = append(s.Tables, TablesDir+"/"+t.Name+".csv", TablesDir+"/"+t.Name+".parquet")
	}
	for _, f := range figs {
		s.Plots = append(s.Plots, PlotsDir+"/"+f.Name+".png", PlotsDir+"/"+f.Name+".svg")
	}
	if s.OutputHash, err = output.Hash(tables, s); err != nil {
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
	js, err := s.JSON()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, SummaryFile), js, atomicfile.Output); err != nil {
		return nil, err
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
	var buf bytes.Buffer
	if err := Report(&buf, s, r, figs); err != nil {
		return s, err
	}
	return s, atomicfile.WriteBytes(filepath.Join(dir, ReportFile), buf.Bytes(), atomicfile.Output)
}
