package sweeprun

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

// Folder is one output folder as read back: its manifest and runs table.
type Folder struct {
	Dir      string
	Manifest Manifest
	data     *runsData
}

// FindFolders expands each argument into output folders: a folder with a
// manifest is one; a folder without one contributes its subfolders that
// have one (the shard-I-of-N folders a sharded sweep writes), sorted.
func FindFolders(args []string) ([]string, error) {
	var out []string
	for _, dir := range args {
		if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
			out = append(out, dir)
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		found := false
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			sub := filepath.Join(dir, e.Name())
			if _, err := os.Stat(filepath.Join(sub, ManifestFile)); err == nil {
				out = append(out, sub)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s: no %s here or in its subfolders: not a sweep output, or no shard has finished",
				dir, ManifestFile)
		}
	}
	return out, nil
}

// ReadFolder reads an output folder's manifest and runs table and checks
// that they agree.
func ReadFolder(dir string) (*Folder, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no %s: not a sweep output, or the shard has not finished", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	f := &Folder{Dir: dir}
	if err := json.Unmarshal(b, &f.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, ManifestFile), err)
	}
	m := &f.Manifest
	switch m.Format {
	case Format:
	case FormatV1:
		// Shards counted from 0 then.
		m.Format = Format
		m.Shard.Index++
	default:
		return nil, fmt.Errorf("%s: manifest format %q, want %q", dir, m.Format, Format)
	}
	if err := m.Shard.Check(); err != nil {
		return nil, fmt.Errorf("%s: manifest: %v", dir, err)
	}
	switch {
	case m.TotalTasks < 0 || m.TotalTasks > scenarios.MaxTasks:
		return nil, fmt.Errorf("%s: manifest total_tasks %d is out of range", dir, m.TotalTasks)
	case len(m.Tasks) > m.TotalTasks:
		return nil, fmt.Errorf("%s: manifest lists %d tasks of a %d-task sweep", dir, len(m.Tasks), m.TotalTasks)
	}
	for _, t := range m.Tasks {
		if t.Index < 0 || t.Index >= m.TotalTasks || len(t.Values) != len(m.Axes) {
			return nil, fmt.Errorf("%s: manifest task %d does not fit a %d-task sweep with %d axes", dir, t.Index, m.TotalTasks, len(m.Axes))
		}
	}
	for _, a := range m.Axes {
		if a.Column == "" {
			return nil, fmt.Errorf("%s: manifest axis %q has no column", dir, a.Path)
		}
	}
	if _, err := scenarios.ParseGoals(m.Goals); err != nil {
		return nil, fmt.Errorf("%s: manifest goals: %v", dir, err)
	}
	if len(m.MetricScales) != 0 && len(m.MetricScales) != len(m.Metrics) {
		return nil, fmt.Errorf("%s: manifest has %d metric scales for %d metrics", dir, len(m.MetricScales), len(m.Metrics))
	}
	for _, sc := range m.MetricScales {
		if _, err := stats.ParseScale(string(sc)); err != nil {
			return nil, fmt.Errorf("%s: manifest metric_scales: %v", dir, err)
		}
	}
	f.data = &runsData{axes: m.Axes, metrics: m.Metrics, scales: m.MetricScales}
	path := filepath.Join(dir, TablesDir, RunsTable+".csv")
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.ReuseRecord = false
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], f.data.header()) {
		return nil, fmt.Errorf("%s: header does not match the manifest (want %s)", path, strings.Join(f.data.header(), ","))
	}
	byIndex := map[int]scenarios.Task{}
	for _, t := range m.Tasks {
		if _, dup := byIndex[t.Index]; dup {
			return nil, fmt.Errorf("%s: manifest lists task %d twice", dir, t.Index)
		}
		byIndex[t.Index] = t
	}
	seen := map[int]bool{}
	nAxes := len(m.Axes)
	for li, row := range rows[1:] {
		line := li + 2
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
		}
		idx, err := strconv.Atoi(row[0])
		if err != nil {
			return nil, bad("task %q is not a number", row[0])
		}
		t, ok := byIndex[idx]
		if !ok {
			return nil, bad("task %d is not in the manifest", idx)
		}
		seen[idx] = true
		if row[1] != strconv.Itoa(t.Point) || row[2] != strconv.Itoa(t.Replicate) ||
			row[3] != strconv.FormatUint(t.Seed, 10) || !slices.Equal(row[4:4+nAxes], t.Values) {
			return nil, bad("task %d's point, replicate, seed or axis values differ from the manifest", idx)
		}
		rec := record{task: t, group: row[4+nAxes]}
		for mi, s := range row[5+nAxes:] {
			v, err := table.ParseFloat(s)
			if err != nil {
				return nil, bad("%s: %v", m.Metrics[mi], err)
			}
			rec.values = append(rec.values, v)
		}
		f.data.records = append(f.data.records, rec)
	}
	for _, t := range m.Tasks {
		if !seen[t.Index] {
			return nil, fmt.Errorf("%s: task %d is in the manifest but has no rows in %s", dir, t.Index, path)
		}
	}
	return f, nil
}

// Merge combines output folders (shards of one sweep) into out: the runs
// table of every task in task order, the summary table and a manifest of
// the whole sweep, exactly as running the sweep in one place writes them.
// It refuses folders of different sweeps and reports tasks that are
// missing or that two folders both hold.
func Merge(dirs []string, out string) (*Manifest, error) {
	if len(dirs) == 0 {
		return nil, errors.New("no folders to merge")
	}
	var folders []*Folder
	for _, d := range dirs {
		f, err := ReadFolder(d)
		if err != nil {
			return nil, err
		}
		folders = append(folders, f)
	}
	first := folders[0]
	fm := &first.Manifest
	var metrics []string
	var scales []stats.Scale
	var metricsFrom string
	owner := map[int]*Folder{}
	for _, f := range folders {
		m := &f.Manifest
		if m.ScenarioHash != fm.ScenarioHash {
			return nil, fmt.Errorf("%s and %s are different sweeps (scenario hash %.12s… and %.12s…): "+
				"every shard must run the same file with the same --set overrides", first.Dir, f.Dir, fm.ScenarioHash, m.ScenarioHash)
		}
		if m.TotalTasks != fm.TotalTasks || !reflect.DeepEqual(m.Axes, fm.Axes) {
			return nil, fmt.Errorf("%s and %s disagree on the sweep's tasks or axes", first.Dir, f.Dir)
		}
		if !slices.Equal(m.Goals, fm.Goals) {
			return nil, fmt.Errorf("%s and %s have different goals (%s and %s): run every shard with the same sweep.goals",
				first.Dir, f.Dir, strings.Join(fm.Goals, ", "), strings.Join(m.Goals, ", "))
		}
		if len(m.Tasks) > 0 {
			if metrics == nil {
				metrics, scales, metricsFrom = m.Metrics, m.MetricScales, f.Dir
			} else if !slices.Equal(metrics, m.Metrics) {
				return nil, fmt.Errorf("%s and %s have different metric columns", metricsFrom, f.Dir)
			} else if !slices.Equal(scales, m.MetricScales) {
				return nil, fmt.Errorf("%s and %s have different metric scales (written by different bluesim versions?)", metricsFrom, f.Dir)
			}
		}
		for _, t := range m.Tasks {
			if t.Index < 0 || t.Index >= m.TotalTasks {
				return nil, fmt.Errorf("%s: task %d is outside the sweep's %d tasks", f.Dir, t.Index, m.TotalTasks)
			}
			if o, dup := owner[t.Index]; dup {
				return nil, fmt.Errorf("task %d (point %d, replicate %d) is in both %s (shard %s) and %s (shard %s): "+
					"merge each shard once", t.Index, t.Point, t.Replicate, o.Dir, o.Manifest.Shard, f.Dir, m.Shard)
			}
			owner[t.Index] = f
		}
	}
	if nMissing := fm.TotalTasks - len(owner); nMissing > 0 {
		var shown []string
		first := -1
		for i := 0; i < fm.TotalTasks && len(shown) < 10; i++ {
			if _, ok := owner[i]; !ok {
				if first < 0 {
					first = i
				}
				shown = append(shown, strconv.Itoa(i))
			}
		}
		if nMissing > len(shown) {
			shown = append(shown, "...")
		}
		hint := ""
		if n := fm.Shard.Count; n > 1 {
			hint = fmt.Sprintf("; task %d belongs to shard %s", first, ShardOf(first, n))
		}
		return nil, fmt.Errorf("%d of %d tasks are missing (%s)%s: run the missing shards (or rerun the interrupted ones) and merge again",
			nMissing, fm.TotalTasks, strings.Join(shown, ", "), hint)
	}

	data := &runsData{axes: fm.Axes, metrics: metrics, scales: scales}
	merged := &Manifest{
		Format: Format, Scenario: fm.Scenario, ScenarioHash: fm.ScenarioHash, Shard: Whole,
		TotalTasks: fm.TotalTasks, Points: fm.Points, Replicates: fm.Replicates, Axes: fm.Axes,
		Metrics: metrics, MetricScales: scales, Complete: true, Tasks: []scenarios.Task{}, Goals: fm.Goals,
		DiagnosedAmong: fm.DiagnosedAmong,
	}
	byTask := map[int][]record{}
	tasks := map[int]scenarios.Task{}
	for _, f := range folders {
		for _, r := range f.data.records {
			byTask[r.task.Index] = append(byTask[r.task.Index], r)
		}
		for _, t := range f.Manifest.Tasks {
			tasks[t.Index] = t
		}
	}
	for i := range fm.TotalTasks {
		merged.Tasks = append(merged.Tasks, tasks[i])
		data.records = append(data.records, byTask[i]...)
	}
	if merged.Metrics == nil {
		merged.Metrics = []string{}
	}
	if merged.MetricScales == nil {
		merged.MetricScales = []stats.Scale{}
	}
	if err := writeFolder(out, merged, data); err != nil {
		return nil, err
	}
	return merged, nil
}
