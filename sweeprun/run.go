package sweeprun

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/stats"
)

// Metric is one named number a task produced. Scale says what kind of
// number it is (a share, a count, any value: "" is a value), which decides
// how the summary builds its interval across replicates; every task must
// give a metric the same scale. NaN means undefined in that run (too
// small to estimate); the summary leaves such replicates out.
type Metric struct {
	Name  string
	Value float64
	Scale stats.Scale
}

// Row is one line of a task's result: a group (a protocol arm, or "" when
// the result has one line) and its metrics. Every row of a sweep must have
// the same metric names in the same order.
type Row struct {
	Group   string
	Metrics []Metric
}

// RunFunc computes one task: it runs the scenario (whose seed is already
// the replicate's) and returns its rows. It must be deterministic: the
// same scenario gives the same rows.
type RunFunc func(ctx context.Context, sc scenarios.Scenario) ([]Row, error)

// TaskResult is what one task produced.
type TaskResult struct {
	Task scenarios.Task
	Rows []Row
}

// taskKey is the context key under which Run passes the task to RunFunc.
type taskKey struct{}

// TaskFromContext returns the task a RunFunc is computing, so that it can
// label its progress or logs.
func TaskFromContext(ctx context.Context) (scenarios.Task, bool) {
	t, ok := ctx.Value(taskKey{}).(scenarios.Task)
	return t, ok
}

// Options control a sweep run.
type Options struct {
	// Workers is the number of tasks run at once (at least 1).
	Workers int
	// Shard selects the slice of tasks to run: shard i of n (counted from
	// 1) runs the tasks whose index t has t % n == i-1. The zero value
	// means the whole sweep.
	Shard ShardID
	// Progress, when set, is called after each task finishes, from one
	// goroutine at a time, with the number finished and the shard's total.
	Progress func(done, total int, t scenarios.Task)
	// Done are results already computed, by an interrupted run of the
	// same sweep (see Resume): Run does not run their tasks again and
	// returns them among its results. Progress counts only the tasks run.
	Done []TaskResult
}

// Run runs the tasks of one shard of plan with run, on opts.Workers
// goroutines, and returns their results sorted by task. If ctx is
// cancelled it stops starting tasks, waits for the running ones and returns
// the finished results with ctx's error, so the caller can keep them. A
// task that fails stops the run the same way, with that task's error.
func Run(ctx context.Context, plan *scenarios.Plan, run RunFunc, opts Options) ([]TaskResult, error) {
	shard := opts.Shard
	if shard == (ShardID{}) {
		shard = Whole
	}
	if err := shard.Check(); err != nil {
		return nil, err
	}
	all, err := plan.Shard(shard.Index, shard.Count)
	if err != nil {
		return nil, err
	}
	done := map[int]TaskResult{}
	for _, r := range opts.Done {
		done[r.Task.Index] = r
	}
	var tasks []scenarios.Task
	for _, t := range all {
		if _, ok := done[t.Index]; !ok {
			tasks = append(tasks, t)
		}
	}
	workers := max(opts.Workers, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make([]*TaskResult, len(tasks))
	var (
		mu       sync.Mutex
		firstErr error
		finished int
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue // stopped: drain without starting more tasks
				}
				t := tasks[i]
				sc, err := plan.Scenario(t)
				var rows []Row
				if err == nil {
					rows, err = run(context.WithValue(ctx, taskKey{}, t), sc)
				}
				if err == nil {
					err = checkRows(rows)
				}
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("task %d (point %d, replicate %d): %w", t.Index, t.Point, t.Replicate, err)
					}
					cancel()
				} else {
					results[i] = &TaskResult{Task: t, Rows: rows}
					finished++
					if opts.Progress != nil {
						opts.Progress(finished, len(tasks), t)
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range tasks {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	// Every result in task order: the ones given and the ones run.
	var out []TaskResult
	ran := 0
	for _, t := range all {
		if r, ok := done[t.Index]; ok {
			out = append(out, r)
			continue
		}
		if r := results[ran]; r != nil {
			out = append(out, *r)
		}
		ran++
	}
	if firstErr != nil {
		// A cancelled task reports the context's error; prefer the
		// caller's cancellation over it when that is what happened.
		if errors.Is(firstErr, context.Canceled) && context.Cause(ctx) != nil {
			return out, context.Canceled
		}
		return out, firstErr
	}
	if err := ctx.Err(); err != nil && len(out) < len(all) {
		return out, err
	}
	return out, nil
}

// checkRows rejects rows a table cannot hold.
func checkRows(rows []Row) error {
	if len(rows) == 0 {
		return errors.New("the run returned no rows")
	}
	groups := map[string]bool{}
	for _, r := range rows {
		if groups[r.Group] {
			return fmt.Errorf("group %q returned twice", r.Group)
		}
		groups[r.Group] = true
		if len(r.Metrics) != len(rows[0].Metrics) {
			return fmt.Errorf("group %q has %d metrics, group %q has %d", r.Group, len(r.Metrics),
				rows[0].Group, len(rows[0].Metrics))
		}
		for i, m := range r.Metrics {
			if m.Name != rows[0].Metrics[i].Name {
				return fmt.Errorf("group %q metric %d is %q, group %q has %q", r.Group, i, m.Name,
					rows[0].Group, rows[0].Metrics[i].Name)
			}
			if scaleOf(m) != scaleOf(rows[0].Metrics[i]) {
				return fmt.Errorf("group %q metric %q has scale %q, group %q has %q", r.Group, m.Name, scaleOf(m),
					rows[0].Group, scaleOf(rows[0].Metrics[i]))
			}
			if _, err := stats.ParseScale(string(m.Scale)); err != nil {
				return fmt.Errorf("group %q metric %q: %v", r.Group, m.Name, err)
			}
		}
	}
	return nil
}

// scaleOf is a metric's scale, "" read as stats.ScaleValue.
func scaleOf(m Metric) stats.Scale {
	if m.Scale == "" {
		return stats.ScaleValue
	}
	return m.Scale
}

// metricNames returns the metric names of the results and their scales,
// checking that every task agrees.
func metricNames(results []TaskResult) ([]string, []stats.Scale, error) {
	var names []string
	var scales []stats.Scale
	for i, r := range results {
		var these []string
		var theirs []stats.Scale
		for _, m := range r.Rows[0].Metrics {
			these = append(these, m.Name)
			theirs = append(theirs, scaleOf(m))
		}
		if i == 0 {
			names, scales = these, theirs
			continue
		}
		if !slices.Equal(names, these) {
			return nil, nil, fmt.Errorf("task %d has metrics %v, task %d has %v", r.Task.Index, these,
				results[0].Task.Index, names)
		}
		if !slices.Equal(scales, theirs) {
			return nil, nil, fmt.Errorf("task %d has metric scales %v, task %d has %v", r.Task.Index, theirs,
				results[0].Task.Index, scales)
		}
	}
	return names, scales, nil
}
