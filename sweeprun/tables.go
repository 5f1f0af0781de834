package sweeprun

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/scenarios"
)

// File names inside an output folder.
const (
	ManifestFile = "manifest.json"
	TablesDir    = "tables"
	RunsTable    = "sweep_runs"    // one row per task and group
	SummaryTable = "sweep_summary" // one row per point and group
	// Format names the manifest layout; merge refuses other formats.
	Format = "bluesim-sweep/1"
)

// ShardID says which slice of a sweep a folder holds.
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
	// holds no task).
	Metrics []string `json:"metrics"`
	// Complete says every task of the shard finished.
	Complete bool `json:"complete"`
	// Tasks are the tasks whose rows the tables hold, sorted by index.
	Tasks []scenarios.Task `json:"tasks"`
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
	records []record
}

func (d *runsData) header() []string {
	h := []string{"task", "point", "replicate", "seed"}
	for _, a := range d.axes {
		h = append(h, a.Column)
	}
	h = append(h, "group")
	return append(h, d.metrics...)
}

// WriteShard writes a folder for the finished results of one shard: the
// runs table, the summary table when the folder holds the whole sweep, and
// the manifest, last, so that a folder with a manifest is a finished one.
func WriteShard(dir string, plan *scenarios.Plan, shard ShardID, results []TaskResult, complete bool) error {
	metrics, err := metricNames(results)
	if err != nil {
		return err
	}
	if metrics == nil {
		metrics = []string{}
	}
	data := &runsData{axes: axisInfos(plan), metrics: metrics}
	m := &Manifest{
		Format: Format, Scenario: plan.Name, ScenarioHash: plan.Hash, Shard: shard,
		TotalTasks: len(plan.Tasks), Points: plan.Points, Replicates: plan.Replicates,
		Axes: data.axes, Metrics: metrics, Complete: complete, Tasks: []scenarios.Task{},
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
	return writeFolder(dir, m, data)
}

// writeFolder writes the tables and then the manifest.
func writeFolder(dir string, m *Manifest, data *runsData) error {
	tables := filepath.Join(dir, TablesDir)
	if err := os.MkdirAll(tables, 0o755); err != nil {
		return err
	}
	if err := writeTable(tables, RunsTable, data.header(), data.columns(), data.rows()); err != nil {
		return err
	}
	if m.Shard.Count == 1 && len(m.Tasks) == m.TotalTasks && m.Complete {
		s := summarize(data)
		if err := writeTable(tables, SummaryTable, s.header, s.kinds, s.rows); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, ManifestFile), append(b, '\n'), atomicfile.Output)
}

// Column kinds of a table.
type kind uint8

const (
	kInt kind = iota
	kUint
	kFloat
	kText
)

// cell is one value of a table row.
type cell struct {
	i int64
	u uint64
	f float64
	s string
}

func (d *runsData) columns() []kind {
	k := []kind{kInt, kInt, kInt, kUint}
	for _, a := range d.axes {
		if a.Numeric {
			k = append(k, kFloat)
		} else {
			k = append(k, kText)
		}
	}
	k = append(k, kText)
	for range d.metrics {
		k = append(k, kFloat)
	}
	return k
}

func (d *runsData) rows() [][]cell {
	var out [][]cell
	for _, r := range d.records {
		row := []cell{{i: int64(r.task.Index)}, {i: int64(r.task.Point)}, {i: int64(r.task.Replicate)}, {u: r.task.Seed}}
		for ai, a := range d.axes {
			c := cell{s: r.task.Values[ai]}
			if a.Numeric {
				c.f, _ = strconv.ParseFloat(c.s, 64)
			}
			row = append(row, c)
		}
		row = append(row, cell{s: r.group})
		for _, v := range r.values {
			row = append(row, cell{f: v})
		}
		out = append(out, row)
	}
	return out
}

// summaryData is the summary table.
type summaryData struct {
	header []string
	kinds  []kind
	rows   [][]cell
}

// summarize computes per point and group the mean of each metric over the
// replicates and its 95 % confidence interval, mean ± t(0.975, n-1)·s/√n
// with s the sample standard deviation (Student's t: replicates are few).
// With one replicate the interval is NaN: one run says nothing about spread.
func summarize(d *runsData) *summaryData {
	s := &summaryData{header: []string{"point"}, kinds: []kind{kInt}}
	for _, a := range d.axes {
		s.header = append(s.header, a.Column)
		if a.Numeric {
			s.kinds = append(s.kinds, kFloat)
		} else {
			s.kinds = append(s.kinds, kText)
		}
	}
	s.header = append(s.header, "group", "n")
	s.kinds = append(s.kinds, kText, kInt)
	for _, m := range d.metrics {
		s.header = append(s.header, m+"_mean", m+"_ci_low", m+"_ci_high")
		s.kinds = append(s.kinds, kFloat, kFloat, kFloat)
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
		row := []cell{{i: int64(k.point)}}
		for ai, a := range d.axes {
			c := cell{s: recs[0].task.Values[ai]}
			if a.Numeric {
				c.f, _ = strconv.ParseFloat(c.s, 64)
			}
			row = append(row, c)
		}
		row = append(row, cell{s: k.group}, cell{i: int64(len(recs))})
		xs := make([]float64, len(recs))
		for mi := range d.metrics {
			for i, r := range recs {
				xs[i] = r.values[mi]
			}
			mean, lo, hi := meanCI(xs, 0.95)
			row = append(row, cell{f: mean}, cell{f: lo}, cell{f: hi})
		}
		s.rows = append(s.rows, row)
	}
	return s
}

// meanCI returns the mean of xs and its two-sided confidence interval at
// level conf from Student's t distribution with n-1 degrees of freedom.
func meanCI(xs []float64, conf float64) (mean, lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	if n == 1 {
		return xs[0], math.NaN(), math.NaN()
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(1 - (1-conf)/2)
	half := t * sd / math.Sqrt(float64(n))
	return mean, mean - half, mean + half
}

// writeTable writes NAME.csv and NAME.parquet in dir.
func writeTable(dir, name string, header []string, kinds []kind, rows [][]cell) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for _, row := range rows {
		for i, c := range row {
			rec[i] = formatCell(kinds[i], c)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, name+".csv"), buf.Bytes(), atomicfile.Output); err != nil {
		return err
	}
	pq, err := parquetBytes(name, header, kinds, rows)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, name+".parquet"), pq, atomicfile.Output)
}

// formatCell writes a value in CSV: integers in decimal, floats in the
// shortest form that reads back to the same float64 (so merging shards
// from their CSV loses nothing), NaN as "NaN".
func formatCell(k kind, c cell) string {
	switch k {
	case kInt:
		return strconv.FormatInt(c.i, 10)
	case kUint:
		return strconv.FormatUint(c.u, 10)
	case kFloat:
		return strconv.FormatFloat(c.f, 'g', -1, 64)
	}
	return c.s
}

// parquetBytes encodes a table as Parquet with ZSTD compression. The file
// names bluesim as its writer, not the library version, so that the same
// rows give the same bytes whichever build wrote them.
func parquetBytes(name string, header []string, kinds []kind, rows [][]cell) ([]byte, error) {
	group := parquet.Group{}
	for i, h := range header {
		var n parquet.Node
		switch kinds[i] {
		case kInt:
			n = parquet.Int(64)
		case kUint:
			n = parquet.Uint(64)
		case kFloat:
			n = parquet.Leaf(parquet.DoubleType)
		default:
			n = parquet.String()
		}
		group[h] = parquet.Compressed(n, &parquet.Zstd)
	}
	schema := parquet.NewSchema(name, group)
	// The schema orders columns by name; map each to its header index.
	cols := schema.Columns()
	idx := make([]int, len(cols))
	pos := map[string]int{}
	for i, h := range header {
		pos[h] = i
	}
	for ci, path := range cols {
		idx[ci] = pos[path[0]]
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.CreatedBy("bluesim", "sweep", "1"))
	prow := make(parquet.Row, len(cols))
	for _, row := range rows {
		for ci, hi := range idx {
			c := row[hi]
			var v parquet.Value
			switch kinds[hi] {
			case kInt:
				v = parquet.Int64Value(c.i)
			case kUint:
				v = parquet.Int64Value(int64(c.u))
			case kFloat:
				v = parquet.DoubleValue(c.f)
			default:
				v = parquet.ByteArrayValue([]byte(c.s))
			}
			prow[ci] = v.Level(0, 0, ci)
		}
		if _, err := w.WriteRows([]parquet.Row{prow}); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
