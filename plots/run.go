package plots

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
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
	scenarioYAML []byte
	scenarioHash string
}

// WithScenario records the scenario the run used: yaml (a complete
// scenario file that reproduces the run, from scenarios.Encode) is
// written as scenario.yaml, and hash goes into summary.json as
// scenario_hash.
func WithScenario(yaml []byte, hash string) RunOption {
	return func(c *runConfig) { c.scenarioYAML, c.scenarioHash = yaml, hash }
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
	tables := output.ResultTables(r)
	figs, err := Figures(r)
	if err != nil {
		return nil, err
	}
	s := output.NewSummary(r)
	s.ScenarioHash = cfg.scenarioHash
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
	if cfg.scenarioYAML != nil {
		if err := output.WriteBytesAtomic(filepath.Join(dir, ScenarioFile), cfg.scenarioYAML); err != nil {
			return nil, err
		}
	}
	if err := output.WriteTables(filepath.Join(dir, TablesDir), tables); err != nil {
		return nil, err
	}
	js, err := s.JSON()
	if err != nil {
		return nil, err
	}
	if err := output.WriteBytesAtomic(filepath.Join(dir, SummaryFile), js); err != nil {
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
	return s, output.WriteBytesAtomic(filepath.Join(dir, ReportFile), buf.Bytes())
}
