package sweeprun

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

// File names inside an output folder.
const (
	ManifestFile = "manifest.json"
	TablesDir    = "tables"
	RunsTable    = "sweep_runs"    // one row per task and group
	SummaryTable = "sweep_summary" // one row per point and group
	// Format names the manifest layout; merge refuses other formats
	// than this one and FormatV1.
	Format = "bluesim-sweep/2"
	// FormatV1 is the layout before shards counted from 1: its
	// shard.index was 0-based. ReadFolder reads it, adding 1.
	FormatV1 = "bluesim-sweep/1"
)

// ShardID says which slice of a sweep a folder holds: shard Index of
// Count, counted from 1 (1/2 and 2/2 are the two halves; 1/1 is the whole
// sweep).
type ShardID struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

func (s ShardID) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// AxisInfo describes one axis in the manifest and the tables.
type AxisInfo struct {
	// Path is the scenario key path the axis sets.
	Path string `json:"path"`
	// Column is the axis's column name in the tables.
	Column string `json:"column"`
	// Numeric says the column holds numbers (DOUBLE in Parquet).
	Numeric bool `json:"numeric"`
	// Values are the axis values in order, as text.
	Values []string `json:"values"`
}

// Manifest describes an output folder: which sweep (by hash) and which of
// its tasks the folder's tables hold.
type Manifest struct {
	Format       string     `json:"format"`
	Scenario     string     `json:"scenario"`
	ScenarioHash string     `json:"scenario_hash"`
	Shard        ShardID    `json:"shard"`
	TotalTasks   int        `json:"total_tasks"`
	Points       int        `json:"points"`
	Replicates   int        `json:"replicates"`
	Axes         []AxisInfo `json:"axes"`
	// Metrics are the metric columns, in order (empty when the folder
	// holds no task); MetricScales their scales (stats.Scale: share,
	// count or value), which decide how the summary's intervals are built.
	// Folders written before scales were recorded have none, read as
	// value.
	Metrics      []string      `json:"metrics"`
	MetricScales []stats.Scale `json:"metric_scales"`
	// Complete says every task of the shard finished.
	Complete bool `json:"complete"`
	// Goals are the sweep block's goals (scenarios.Goal, as text), which
	// the report of the whole sweep reads off its curves; merge takes them
	// from here, since it has no scenario.
	Goals []string `json:"goals,omitempty"`
	// DiagnosedAmong is the scenario's diagnosis.among ("" for everyone),
	// which decides the pairwise law the report draws.
	DiagnosedAmong string `json:"diagnosed_among,omitempty"`
	// Tasks are the tasks whose rows the tables hold, sorted by index.
	Tasks []scenarios.Task `json:"tasks"`
	// Files are the files this manifest describes, itself included,
	// relative to its folder and sorted (shard folders under a merged
	// folder are not among them).
	Files []string `json:"files"`
}

// axisInfos names the tables' axis columns: the path with every run of
// other characters turned into one underscore ("arms[*].adoption" ->
// "arms_adoption"), made unique.
func axisInfos(plan *scenarios.Plan) []AxisInfo {
	reserved := map[string]bool{"task": true, "point": true, "replicate": true, "seed": true, "group": true, "n": true}
	var out []AxisInfo
	for _, a := range plan.Axes {
		col := columnName(a.Path)
		base := col
		for i := 2; reserved[col]; i++ {
			col = fmt.Sprintf("%s_%d", base, i)
		}
		reserved[col] = true
		out = append(out, AxisInfo{Path: a.Path, Column: col, Numeric: a.Numeric(), Values: a.Texts()})
	}
	return out
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func columnName(path string) string {
	s := strings.Trim(nonWord.ReplaceAllString(strings.ToLower(path), "_"), "_")
	if s == "" {
		s = "axis"
	}
	return s
}

// record is one row of the runs table.
type record struct {
	task   scenarios.Task
	group  string
	values []float64
}

// runsData is the content of a runs table.
type runsData struct {
	axes    []AxisInfo
	metrics []string
	scales  []stats.Scale // per metric; missing ones are values
	records []record
}

// scale is metric mi's scale.
func (d *runsData) scale(mi int) stats.Scale {
	if mi < len(d.scales) && d.scales[mi] != "" {
		return d.scales[mi]
	}
	return stats.ScaleValue
}

// columns are the runs table's columns: task, point, replicate, seed, one
// per axis, group, one per metric.
func (d *runsData) columns() []table.Column {
	cs := []table.Column{
		{Name: "task", Kind: table.Int}, {Name: "point", Kind: table.Int},
		{Name: "replicate", Kind: table.Int}, {Name: "seed", Kind: table.Uint}}
	cs = append(cs, d.axisColumns()...)
	cs = append(cs, table.Column{Name: "group", Kind: table.String})
	for _, m := range d.metrics {
		cs = append(cs, table.Column{Name: m, Kind: table.Float})
	}
	return cs
}

// header is the runs table's CSV header.
func (d *runsData) header() []string {
	var h []string
	for _, c := range d.columns() {
		h = append(h, c.Name)
	}
	return h
}

// WriteShard writes a folder for the finished results of one shard: the
// runs table, the summary table when the folder holds the whole sweep, and
// the manifest, last, so that a folder with a manifest is a finished one.
// It returns the manifest written.
func WriteShard(dir string, plan *scenarios.Plan, shard ShardID, results []TaskResult, complete bool) (*Manifest, error) {
	metrics, scales, err := metricNames(results)
	if err != nil {
		return nil, err
	}
	if metrics == nil {
		metrics, scales = []string{}, []stats.Scale{}
	}
	data := &runsData{axes: axisInfos(plan), metrics: metrics, scales: scales}
	m := &Manifest{
		Format: Format, Scenario: plan.Name, ScenarioHash: plan.Hash, Shard: shard,
		TotalTasks: len(plan.Tasks), Points: plan.Points, Replicates: plan.Replicates,
		Axes: data.axes, Metrics: metrics, MetricScales: scales, Complete: complete, Tasks: []scenarios.Task{},
	}
	for _, g := range plan.Goals {
		m.Goals = append(m.Goals, g.String())
	}
	if a := plan.Base.Diagnosis.Among; a != "everyone" {
		m.DiagnosedAmong = a
	}
	for _, r := range results {
		m.Tasks = append(m.Tasks, r.Task)
		for _, row := range r.Rows {
			vals := make([]float64, len(row.Metrics))
			for i, x := range row.Metrics {
				vals[i] = x.Value
			}
			data.records = append(data.records, record{task: r.Task, group: row.Group, values: vals})
		}
	}
	if err := writeFolder(dir, m, data); err != nil {
		return nil, err
	}
	return m, nil
}

// writeFolder writes the tables and then the manifest.
func writeFolder(dir string, m *Manifest, data *runsData) error {
	tables := []table.Table{data.runsTable()}
	if m.Shard == Whole && len(m.Tasks) == m.TotalTasks && m.Complete {
		tables = append(tables, summarize(data))
	}
	m.Files = []string{ManifestFile}
	for i := range tables {
		for _, f := range tables[i].Files() {
			m.Files = append(m.Files, TablesDir+"/"+f)
		}
	}
	slices.Sort(m.Files)
	if err := table.Write(filepath.Join(dir, TablesDir), tables); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ManifestFile), append(b, '\n'), atomicfile.Output)
}

// axisColumns are the axes' columns: numbers (Float) or text.
func (d *runsData) axisColumns() []table.Column {
	var cs []table.Column
	for _, a := range d.axes {
		k := table.String
		if a.Numeric {
			k = table.Float
		}
		cs = append(cs, table.Column{Name: a.Column, Kind: k})
	}
	return cs
}

// axisValues are a task's axis values as cells of axisColumns.
func (d *runsData) axisValues(t scenarios.Task) []any {
	var vs []any
	for ai, a := range d.axes {
		if a.Numeric {
			x, _ := strconv.ParseFloat(t.Values[ai], 64)
			vs = append(vs, x)
		} else {
			vs = append(vs, t.Values[ai])
		}
	}
	return vs
}

// runsTable is the runs table: one row per task and group.
func (d *runsData) runsTable() table.Table {
	t := table.Table{Name: RunsTable, Columns: d.columns()}
	for _, r := range d.records {
		row := []any{r.task.Index, r.task.Point, r.task.Replicate, r.task.Seed}
		row = append(row, d.axisValues(r.task)...)
		row = append(row, r.group)
		for _, v := range r.values {
			row = append(row, v)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// summarize computes per point and group the mean of each metric over the
// replicates where it is defined and its 95 % confidence interval:
// Student's t with n-1 degrees of freedom (replicates are few), built on
// the logit scale for shares and the log scale for counts
// (stats.ReplicateMean), so a share's interval stays in [0, 1] and a
// count's above 0. With one replicate the interval is NaN (an empty cell):
// one run says nothing about spread.
func summarize(d *runsData) table.Table {
	s := table.Table{Name: SummaryTable, Columns: []table.Column{{Name: "point", Kind: table.Int}}}
	s.Columns = append(s.Columns, d.axisColumns()...)
	s.Columns = append(s.Columns, table.Column{Name: "group", Kind: table.String}, table.Column{Name: "n", Kind: table.Int})
	for _, m := range d.metrics {
		s.Columns = append(s.Columns, table.Column{Name: m + "_mean", Kind: table.Float},
			table.Column{Name: m + "_ci_low", Kind: table.Float}, table.Column{Name: m + "_ci_high", Kind: table.Float})
	}

	type key struct {
		point int
		group string
	}
	var order []key
	byKey := map[key][]record{}
	for _, r := range d.records {
		k := key{r.task.Point, r.group}
		if _, ok := byKey[k]; !ok {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
	}
	// Records are sorted by task, so order is by point and then by the
	// order groups first appear in that point.
	for _, k := range order {
		recs := byKey[k]
		row := []any{k.point}
		row = append(row, d.axisValues(recs[0].task)...)
		row = append(row, k.group, len(recs))
		xs := make([]float64, len(recs))
		for mi := range d.metrics {
			for i, r := range recs {
				xs[i] = r.values[mi]
			}
			mean, lo, hi, _ := stats.ReplicateMean(xs, 0.95, d.scale(mi))
			row = append(row, mean, lo, hi)
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}
