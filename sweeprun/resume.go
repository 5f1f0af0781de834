package sweeprun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/bluesim/bluesim/scenarios"
)

// Resume reads what an interrupted run of one shard of plan left in dir
// (its manifest lists the tasks that finished, its runs table their rows)
// and returns those tasks' results, to pass to Run as Options.Done: the
// resumed run computes only the other tasks, and WriteShard then writes
// the same bytes as a run that was never interrupted.
//
// A folder without a manifest holds nothing to resume: Resume returns no
// results, so a job that is simply started again runs every task. A
// folder of another sweep (another scenario hash: another file, other
// --set overrides or another seed) or of another shard is an error.
func Resume(dir string, plan *scenarios.Plan, shard ShardID) ([]TaskResult, error) {
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	f, err := ReadFolder(dir)
	if err != nil {
		return nil, err
	}
	m := &f.Manifest
	switch {
	case m.ScenarioHash != plan.Hash:
		return nil, fmt.Errorf("%s holds another sweep (scenario hash %.12s…, this one %.12s…): "+
			"resume with the same file, --set overrides and --seed, or choose another --out", dir, m.ScenarioHash, plan.Hash)
	case m.Shard != shard:
		return nil, fmt.Errorf("%s holds shard %s, not %s", dir, m.Shard, shard)
	case m.TotalTasks != len(plan.Tasks):
		return nil, fmt.Errorf("%s holds a sweep of %d tasks, this one has %d", dir, m.TotalTasks, len(plan.Tasks))
	case len(m.Tasks) > 0 && len(m.MetricScales) != len(m.Metrics):
		// Written before the manifest recorded metric scales: its rows
		// cannot be told apart from this version's, so they are not reused.
		return nil, fmt.Errorf("%s was written by an older bluesim (its manifest has no metric_scales): "+
			"run the sweep again without --resume, or choose another --out", dir)
	}
	byTask := map[int][]Row{}
	for _, r := range f.data.records {
		row := Row{Group: r.group, Metrics: make([]Metric, len(r.values))}
		for i, v := range r.values {
			row.Metrics[i] = Metric{Name: m.Metrics[i], Value: v, Scale: m.MetricScales[i]}
		}
		byTask[r.task.Index] = append(byTask[r.task.Index], row)
	}
	var out []TaskResult
	for _, t := range m.Tasks {
		if ShardOf(t.Index, shard.Count) != shard {
			return nil, fmt.Errorf("%s: task %d is not in shard %s", dir, t.Index, shard)
		}
		out = append(out, TaskResult{Task: t, Rows: byTask[t.Index]})
	}
	return out, nil
}
