package output

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sweeprun"
)

// SweepSummaryFormat names the layout of a sweep's summary.json.
const SweepSummaryFormat = "bluesim-sweep-summary/1"

// The x axis of a sweep's curves: adoption when the sweep's rows carry it
// (a simulator sweep does, per arm), else the first numeric axis, else the
// point number.
const (
	XAdoption = "adoption"
	XPoint    = "point"
)

// SweepSummary is a whole sweep's summary.json: per point and group, the
// mean and 95 % interval of every metric (sweeprun's summary, the same
// numbers as tables/sweep_summary.csv), the series the report draws, and
// for each goal of the scenario the adoption at which each series meets
// it. Keys are stable snake_case; null means undefined.
type SweepSummary struct {
	Format       string `json:"format"`
	Scenario     string `json:"scenario"`
	ScenarioHash string `json:"scenario_hash"`
	Points       int    `json:"points"`
	Replicates   int    `json:"replicates"`
	Tasks        int    `json:"tasks"`
	// Axes are the swept keys, their table columns and values.
	Axes []SweepAxis `json:"axes"`
	// X names the curves' x axis: "adoption", an axis column, or "point".
	X string `json:"x"`
	// Confidence is the intervals' level and IntervalMethod how they are
	// built (sweeprun's method).
	Confidence     float64 `json:"confidence"`
	IntervalMethod string  `json:"interval_method"`
	// DiagnosedAmong is who index cases were drawn from ("everyone" or
	// "app_users"), and LawExponent k of the pairwise law coverage ≈
	// capture × adoption^k that follows from it.
	DiagnosedAmong string   `json:"diagnosed_among"`
	LawExponent    float64  `json:"law_exponent"`
	Metrics        []string `json:"metrics"`
	// Series are the report's lines: one per group (protocol arm) and
	// value of the axes other than the x axis, its points sorted by x.
	Series []SweepSeries `json:"series"`
	// Goals are the scenario's sweep goals, each with its result per
	// series.
	Goals []SweepGoal `json:"goals"`
	// Tables and Plots list the files of the folder, relative to it.
	Tables []string `json:"tables"`
	Plots  []string `json:"plots"`
	// Files lists every file of the folder, this one and the manifest
	// included, relative to it and sorted: after a whole sweep the folder
	// holds exactly these (shard folders under a merged folder are not
	// among them).
	Files []string `json:"files"`
	// OutputHash is SHA-256 over this file's other keys: the same tasks
	// give the same hash, whether run whole or merged from shards.
	OutputHash string `json:"output_hash"`
}

// SweepAxis is one swept key.
type SweepAxis struct {
	Path   string   `json:"path"`
	Column string   `json:"column"`
	Values []string `json:"values"`
}

// SweepSeries is one line of the report: a group at fixed values of the
// axes other than the x axis.
type SweepSeries struct {
	// Name labels the line: the group, then the other axes' values.
	Name  string `json:"name"`
	Group string `json:"group"`
	// Fixed are the other axes' values, by column.
	Fixed map[string]string `json:"fixed"`
	// PairwiseCapture is the mean capture over the series' points, which
	// the pairwise law capture × x^k is drawn with (null without capture).
	PairwiseCapture Num `json:"pairwise_capture"`
	// Points are the series' points, sorted by X.
	Points []SweepPoint `json:"points"`
}

// SweepPoint is one point of a series: its x, its replicates and the
// estimate of every metric.
type SweepPoint struct {
	Point int `json:"point"`
	// Values are the point's axis values, by column.
	Values map[string]string `json:"values"`
	X      Num               `json:"x"`
	N      int               `json:"n"`
	// Estimates hold each metric's mean and interval, by metric.
	Estimates map[string]SweepEstimate `json:"estimates"`
	// PairwiseCoverage is the pairwise law at this point, the series'
	// pairwise_capture × x^law_exponent (null when x is not adoption or
	// the series has no capture).
	PairwiseCoverage Num `json:"pairwise_coverage"`
}

// SweepEstimate is a metric's mean over the replicates and its interval.
type SweepEstimate struct {
	Mean   Num `json:"mean"`
	CILow  Num `json:"ci_low"`
	CIHigh Num `json:"ci_high"`
}

// SweepGoal is one goal of the scenario with its result per series.
type SweepGoal struct {
	Goal    string       `json:"goal"`
	Metric  string       `json:"metric"`
	Op      string       `json:"op"`
	Value   float64      `json:"value"`
	Results []GoalResult `json:"results"`
}

// GoalResult is where one series meets a goal along the x axis.
type GoalResult struct {
	Series string `json:"series"`
	// Met says the mean curve meets the goal within the swept range, X
	// where it first does (interpolated linearly between the points on
	// either side; the first point's x when it is met there already).
	Met bool `json:"met"`
	X   Num  `json:"x"`
	// XLow and XHigh are where the interval's bounds first meet it: the
	// optimistic bound (its upper end, for a goal to reach) and the
	// pessimistic one. Null where that bound never meets it within the
	// swept range (the answer then lies beyond it), or without intervals.
	XLow  Num `json:"x_low"`
	XHigh Num `json:"x_high"`
	// AtFirst says the goal is already met at the first point, so the
	// answer may lie lower than the swept range.
	AtFirst bool `json:"at_first"`
	// Best is the point that comes nearest the goal (for a goal not met:
	// how far the swept range gets).
	Best SweepBest `json:"best"`
}

// SweepBest is one point's x and estimate of a goal's metric.
type SweepBest struct {
	X Num `json:"x"`
	SweepEstimate
}

// NewSweepSummary builds a sweep's summary.json from sweeprun's summary
// of the whole sweep.
func NewSweepSummary(s *sweeprun.Summary) (*SweepSummary, error) {
	m := s.Manifest
	out := &SweepSummary{
		Format: SweepSummaryFormat, Scenario: m.Scenario, ScenarioHash: m.ScenarioHash,
		Points: m.Points, Replicates: m.Replicates, Tasks: m.TotalTasks,
		Confidence: 0.95, IntervalMethod: s.Method, Metrics: slices.Clone(s.Metrics),
		DiagnosedAmong: Options{DiagnosedAmong: m.DiagnosedAmong}.among(),
		LawExponent:    Options{DiagnosedAmong: m.DiagnosedAmong}.LawExponent(),
		Axes:           []SweepAxis{}, Series: []SweepSeries{}, Goals: []SweepGoal{}, Tables: []string{}, Plots: []string{}, Files: []string{},
	}
	if out.Metrics == nil {
		out.Metrics = []string{}
	}
	for _, a := range m.Axes {
		out.Axes = append(out.Axes, SweepAxis{Path: a.Path, Column: a.Column, Values: slices.Clone(a.Values)})
	}
	// The x axis, and the axes that make a series.
	xAxis := -1
	out.X = XPoint
	if s.Metric(XAdoption) >= 0 {
		out.X = XAdoption
		for i, a := range m.Axes {
			if strings.HasSuffix(a.Path, ".adoption") || strings.HasSuffix(a.Path, "]adoption") {
				xAxis = i
				break
			}
		}
	} else {
		for i, a := range m.Axes {
			if a.Numeric {
				xAxis, out.X = i, a.Column
				break
			}
		}
	}
	byName := map[string]int{}
	for _, row := range s.Rows {
		fixed := map[string]string{}
		name := row.Group
		for i, a := range m.Axes {
			if i == xAxis || i >= len(row.Values) {
				continue
			}
			fixed[a.Column] = row.Values[i]
			name += ", " + a.Column + "=" + row.Values[i]
		}
		si, ok := byName[name]
		if !ok {
			si = len(out.Series)
			byName[name] = si
			out.Series = append(out.Series, SweepSeries{Name: name, Group: row.Group, Fixed: fixed})
		}
		p := SweepPoint{Point: row.Point, N: row.N, Values: map[string]string{}, Estimates: map[string]SweepEstimate{}}
		for i, a := range m.Axes {
			if i < len(row.Values) {
				p.Values[a.Column] = row.Values[i]
			}
		}
		for i, name := range s.Metrics {
			e := row.Metrics[i]
			p.Estimates[name] = SweepEstimate{Mean: Num(e.Mean), CILow: Num(e.Low), CIHigh: Num(e.High)}
		}
		switch {
		case out.X == XAdoption:
			p.X = p.Estimates[XAdoption].Mean
		case xAxis >= 0:
			x, err := strconv.ParseFloat(row.Values[xAxis], 64)
			if err != nil {
				return nil, fmt.Errorf("axis %s value %q is not a number", m.Axes[xAxis].Path, row.Values[xAxis])
			}
			p.X = Num(x)
		default:
			p.X = Num(row.Point)
		}
		out.Series[si].Points = append(out.Series[si].Points, p)
	}
	for i := range out.Series {
		sr := &out.Series[i]
		slices.SortStableFunc(sr.Points, func(a, b SweepPoint) int { return cmp.Compare(float64(a.X), float64(b.X)) })
		sr.PairwiseCapture = Num(meanOf(sr.Points, "capture"))
		for j := range sr.Points {
			p := &sr.Points[j]
			p.PairwiseCoverage = Num(math.NaN())
			if out.X == XAdoption {
				p.PairwiseCoverage = Num(float64(sr.PairwiseCapture) * math.Pow(float64(p.X), out.LawExponent))
			}
		}
	}
	for _, g := range s.Goals {
		sg := SweepGoal{Goal: g.String(), Metric: g.Metric, Op: g.Op, Value: g.Value, Results: []GoalResult{}}
		for _, sr := range out.Series {
			sg.Results = append(sg.Results, goalResult(g, sr))
		}
		out.Goals = append(out.Goals, sg)
	}
	return out, nil
}

// meanOf is the mean over points of a metric's means, NaN when no point
// has it defined.
func meanOf(ps []SweepPoint, metric string) float64 {
	sum, n := 0.0, 0
	for _, p := range ps {
		e, ok := p.Estimates[metric]
		if ok && finite(float64(e.Mean)) {
			sum += float64(e.Mean)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// goalResult reads where series sr first meets goal g along x: the mean
// curve, and each bound of the interval band (the upper bound meets a
// goal to reach first, so it gives the low end of the answer's interval).
func goalResult(g scenarios.Goal, sr SweepSeries) GoalResult {
	res := GoalResult{Series: sr.Name, X: Num(math.NaN()), XLow: Num(math.NaN()), XHigh: Num(math.NaN())}
	res.Best.X, res.Best.Mean, res.Best.CILow, res.Best.CIHigh = Num(math.NaN()), Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
	pick := func(e SweepEstimate) float64 { return float64(e.Mean) }
	optimistic, pessimistic := func(e SweepEstimate) float64 { return float64(e.CIHigh) }, func(e SweepEstimate) float64 { return float64(e.CILow) }
	if g.Op == "<" || g.Op == "<=" {
		optimistic, pessimistic = pessimistic, optimistic
	}
	if x, first, ok := crossing(g, sr.Points, pick); ok {
		res.Met, res.X, res.AtFirst = true, Num(x), first
	}
	if x, _, ok := crossing(g, sr.Points, optimistic); ok {
		res.XLow = Num(x)
	}
	if x, _, ok := crossing(g, sr.Points, pessimistic); ok {
		res.XHigh = Num(x)
	}
	// The point nearest the goal: the best mean in the goal's direction.
	best := -1
	for i, p := range sr.Points {
		e, ok := p.Estimates[g.Metric]
		if !ok || !finite(float64(e.Mean)) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := sr.Points[best].Estimates[g.Metric].Mean
		if (g.Op[0] == '>' && e.Mean > b) || (g.Op[0] == '<' && e.Mean < b) {
			best = i
		}
	}
	if best >= 0 {
		p := sr.Points[best]
		res.Best = SweepBest{X: p.X, SweepEstimate: p.Estimates[g.Metric]}
	}
	return res
}

// crossing returns the first x at which value(point) meets g, walking the
// points in x order: linearly interpolated between the last point that
// misses and the first that meets it; first says the first defined point
// meets it already.
func crossing(g scenarios.Goal, ps []SweepPoint, value func(SweepEstimate) float64) (x float64, first, ok bool) {
	havePrev := false
	var px, py float64
	for _, p := range ps {
		e, ok := p.Estimates[g.Metric]
		y := value(e)
		if !ok || !finite(y) || !finite(float64(p.X)) {
			continue
		}
		if g.Met(y) {
			if !havePrev {
				return float64(p.X), true, true
			}
			if y == py {
				return float64(p.X), false, true
			}
			t := (g.Value - py) / (y - py)
			t = math.Min(math.Max(t, 0), 1)
			return px + t*(float64(p.X)-px), false, true
		}
		havePrev, px, py = true, float64(p.X), y
	}
	return 0, false, false
}

// SweepRenderer draws a sweep's figures and report page; package plots has
// bluesim's.
type SweepRenderer interface {
	SweepFigures(s *SweepSummary) ([]Figure, error)
	SweepReport(s *SweepSummary, figs []Figure) ([]byte, error)
}

// sweepHash is the output hash of a sweep summary: SHA-256 of its JSON
// without the hash.
func sweepHash(s *SweepSummary) (string, error) {
	d := *s
	d.OutputHash = ""
	b, err := json.Marshal(&d)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// JSON encodes the summary indented, with a final newline.
func (s *SweepSummary) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteSweep writes the report of a whole sweep into its folder dir,
// beside the tables and manifest sweeprun wrote there: summary.json, the
// figures under plots/ (PNG and SVG) and report.html, in that order, each
// atomically with mode 0644. Everything is computed from dir's own files
// (sweeprun.ReadFolder), so a sweep run whole and its shards merged write
// the same bytes. It returns the summary.
func WriteSweep(ctx context.Context, dir string, rd SweepRenderer) (*SweepSummary, error) {
	f, err := sweeprun.ReadFolder(dir)
	if err != nil {
		return nil, err
	}
	sum, err := f.Summary()
	if err != nil {
		return nil, err
	}
	s, err := NewSweepSummary(sum)
	if err != nil {
		return nil, err
	}
	for _, t := range []string{sweeprun.RunsTable, sweeprun.SummaryTable} {
		s.Tables = append(s.Tables, TablesDir+"/"+t+".csv", TablesDir+"/"+t+".parquet")
	}
	var figs []Figure
	if rd != nil {
		if figs, err = rd.SweepFigures(s); err != nil {
			return nil, err
		}
	}
	for i := range figs {
		for _, name := range figs[i].Files() {
			s.Plots = append(s.Plots, PlotsDir+"/"+name)
		}
	}
	s.Files = append(append([]string{sweeprun.ManifestFile, SummaryFile}, s.Tables...), s.Plots...)
	if rd != nil {
		s.Files = append(s.Files, ReportFile)
	}
	slices.Sort(s.Files)
	if s.OutputHash, err = sweepHash(s); err != nil {
		return nil, err
	}
	js, err := s.JSON()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, SummaryFile), js, atomicfile.Output); err != nil {
		return nil, err
	}
	if rd == nil {
		return s, nil
	}
	if err := ctx.Err(); err != nil {
		return s, fmt.Errorf("stopped after writing %s: %w", SummaryFile, err)
	}
	if _, err := WriteFigures(filepath.Join(dir, PlotsDir), figs); err != nil {
		return s, err
	}
	page, err := rd.SweepReport(s, figs)
	if err != nil {
		return s, err
	}
	return s, atomicfile.WriteBytes(filepath.Join(dir, ReportFile), page, atomicfile.Output)
}

// ReadSweepSummary decodes a sweep's summary.json.
func ReadSweepSummary(data []byte) (*SweepSummary, error) {
	var s SweepSummary
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("sweep summary: %w", err)
	}
	if s.Format != SweepSummaryFormat {
		return nil, fmt.Errorf("sweep summary: format %q, want %q", s.Format, SweepSummaryFormat)
	}
	return &s, nil
}
