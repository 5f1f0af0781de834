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
	SummaryFile = "summary.json"
	ReportFile  = "report.html"
	TablesDir   = "tables"
	PlotsDir    = "plots"
)

// WriteRun writes every output of a run into dir (created if needed):
// tables/ (CSV and Parquet), summary.json, plots/ (PNG and SVG) and
// report.html, in that order, each file atomically. It returns the summary
// it wrote. When ctx is cancelled between two steps it stops and returns
// ctx's error; the files already written are complete, and summary.json,
// once present, describes complete tables.
func WriteRun(ctx context.Context, dir string, r *sim.Result) (*output.Summary, error) {
	tables := output.ResultTables(r)
	figs, err := Figures(r)
	if err != nil {
		return nil, err
	}
	s := output.NewSummary(r)
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
