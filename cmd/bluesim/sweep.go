package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sweeprun"
)

func init() { register("", newSweepCommand) }

// sweepRunner makes the function that computes one sweep task, reporting
// on prog. sweep_sim.go sets it to run the simulator; tests replace it with
// a small deterministic function.
var sweepRunner func(prog *progress) sweeprun.RunFunc

// scenarioSets returns the --set overrides, read from the flag itself:
// viper would split values at commas ("--set bands=[1, 2]").
func scenarioSets(cmd *cobra.Command) []string {
	sets, _ := cmd.Flags().GetStringArray("set")
	return sets
}

// newSweepCommand runs a sweep, or one shard of it.
func newSweepCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep FILE",
		Short: "Run every point and replicate of a scenario's sweep block, or one shard of them",
		Long: `sweep expands the scenario's sweep block (axes over any key, replicates per
point; a file without one is a single run) into tasks numbered in a fixed
order, runs them on --workers local workers and writes, in --out:

  tables/sweep_runs.csv and .parquet     one row per task and protocol arm
  tables/sweep_summary.csv and .parquet  per point and arm: mean and 95 % CI
  manifest.json                          the sweep's hash, the tasks held and
                                         the folder's files

and, for a whole sweep (not a shard), its report:

  summary.json   per point and arm the means and intervals, and for each
                 goal of the sweep block (sweep.goals) the adoption at
                 which each arm meets it, with its 95 % interval
  plots/         coverage, capture, precision and notifications per index
                 case against adoption (PNG and SVG)
  report.html    the page to read: what install rate each goal needs

Ctrl-C (or a failed task) keeps the finished tasks: the same command with
--resume reads them back from the manifest and runs only the others, and
the folder ends up byte for byte as an uninterrupted run writes it. With
nothing to resume, --resume runs every task; a folder of another sweep (or
shard) is refused.

--out (the shard's folder) is checked before any task runs: it must be
creatable and writable, and hold nothing but an earlier bluesim output (or
--force replaces what it holds); afterwards it holds exactly the files the
manifest (or, for a whole sweep, its summary.json) lists.

Replicate r runs with the same seed at every point (common random numbers).

--shard i/n runs shard i of n, counted from 1 (--shard 1/2 and --shard 2/2
are the two halves): the tasks t with t % n == i-1, written to
OUT/shard-i-of-n; "bluesim merge OUT" then combines the shards into the same
tables a whole run writes. The shard can also come from the environment:
JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, 0-based: index k runs shard
k+1) with --shard-count or BLUESIM_SHARD_COUNT, or SLURM_ARRAY_TASK_ID with
SLURM_ARRAY_TASK_COUNT (a Slurm job array submitted with --array=1-N).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("sweep needs one scenario file (or built-in name), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			shard, err := a.sweepShard(cmd)
			if err != nil {
				return err
			}
			sets := scenarioSets(cmd)
			if a.changed(cmd, "seed") {
				sets = append(sets, "seed="+a.str("seed"))
			}
			l, err := scenarios.Resolve(args[0], sets...)
			if err != nil {
				return asUsage(err)
			}
			plan, err := l.Plan()
			if err != nil {
				return asUsage(err)
			}
			a.noteRenames(l.Renamed)
			a.noteRenames(plan.Renamed)
			if sweepRunner == nil {
				return errors.New("sweep: this build has no simulator to run tasks with")
			}
			out := a.str("out")
			if out == "" {
				out = filepath.Join("out", l.Scenario.Name+"-sweep")
			}
			dir := out
			if shard.Count > 1 {
				dir = filepath.Join(out, shard.Dir())
			}
			workers := a.integer("workers")
			if workers <= 0 {
				workers = runtime.NumCPU()
			}
			mine, err := plan.Shard(shard.Index, shard.Count)
			if err != nil {
				return asUsage(err)
			}
			folder, err := a.prepareOut(dir)
			if err != nil {
				return err
			}
			var done []sweeprun.TaskResult
			if a.boolean("resume") {
				if done, err = sweeprun.Resume(dir, plan, shard); err != nil {
					return usagef("--resume: %v", err)
				}
				if len(done) == 0 {
					fmt.Fprintf(a.stderr, "--resume: no finished task in %s: running every task\n", dir)
				} else {
					fmt.Fprintf(a.stderr, "--resume: %d of %d tasks of shard %s already finished in %s: running the other %d\n",
						len(done), len(mine), shard, dir, len(mine)-len(done))
				}
			}
			fmt.Fprintf(a.stderr, "sweep %s: %d points x %d replicates = %d tasks; shard %s runs %d on %d workers\n",
				plan.Name, plan.Points, plan.Replicates, len(plan.Tasks), shard, len(mine)-len(done), workers)
			prog := newProgress(a.stderr, len(mine)-len(done))
			run := sweepRunner(prog)
			if workers > 1 {
				// Parallel across tasks: each run gets one worker.
				run = withEngineWorkers(run, 1)
			}
			results, runErr := sweeprun.Run(a.ctx, plan, run, sweeprun.Options{
				Workers: workers, Shard: shard, Done: done,
			})
			prog.wait()
			m, err := sweeprun.WriteShard(dir, plan, shard, results, runErr == nil)
			if err != nil {
				return err
			}
			if runErr != nil {
				// The manifest is written: an earlier output's other files
				// (its report among them) go.
				if err := folder.Finish(m.Files); err != nil {
					return err
				}
				if errors.Is(runErr, context.Canceled) {
					return fmt.Errorf("interrupted: %d of %d tasks finished, written to %s; the same command with --resume runs the others", len(results), len(mine), dir)
				}
				return fmt.Errorf("%w (%d finished tasks written to %s; the same command with --resume runs the others)", runErr, len(results), dir)
			}
			fmt.Fprintf(a.stdout, "%s: %d tasks of shard %s written (scenario hash %.12s)\n", dir, len(results), shard, plan.Hash)
			if shard.Count > 1 {
				if err := folder.Finish(m.Files); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "when every shard has finished: bluesim merge %s\n", out)
				return nil
			}
			// A whole sweep: the report's summary.json lists the folder's
			// files, the manifest's and the report's; the rest go.
			s, err := a.writeSweepReport(dir)
			files := m.Files
			if s != nil {
				files = s.Files
			}
			if ferr := folder.Finish(files); ferr != nil && err == nil {
				err = ferr
			}
			return err
		},
	}
	f := cmd.Flags()
	f.String("out", "", "output folder (default out/<scenario>-sweep; shards write OUT/shard-i-of-n)")
	f.Int("workers", 0, "tasks run at once (0: one per CPU)")
	f.Uint64("seed", 0, "base seed (default: the scenario's); replicate seeds derive from it")
	f.String("shard", "", "run shard i of n (\"i/n\", counted from 1: 1/2 and 2/2 are the two halves)")
	f.Int("shard-count", 0, "number of shards when the index comes from JOB_COMPLETION_INDEX")
	f.StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	f.Bool("force", false, "replace what the output folder holds even where bluesim did not write it")
	f.Bool("resume", false, "keep the tasks an interrupted run of the same sweep finished in the output folder and run the others")
	return cmd
}

// withEngineWorkers runs every task with engine.workers set to n.
func withEngineWorkers(run sweeprun.RunFunc, n int) sweeprun.RunFunc {
	return func(ctx context.Context, sc scenarios.Scenario) ([]sweeprun.Row, error) {
		sc.Engine.Workers = n
		return run(ctx, sc)
	}
}

// sweepShard works out which shard to run, counted from 1: --shard i/n;
// else a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based: index k
// runs shard k+1) with --shard-count (or BLUESIM_SHARD_COUNT); else a Slurm
// array's SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (the documented
// --array=1-N gives shard ID; an array that starts elsewhere is counted
// from its SLURM_ARRAY_TASK_MIN); else the whole sweep.
func (a *app) sweepShard(cmd *cobra.Command) (sweeprun.ShardID, error) {
	if s := a.str("shard"); s != "" {
		id, err := sweeprun.ParseShardID(s)
		if err != nil {
			return sweeprun.ShardID{}, usagef("--shard: %v", err)
		}
		return id, nil
	}
	if idx := a.getenv("JOB_COMPLETION_INDEX"); idx != "" {
		n := a.integer("shard-count")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 {
			return sweeprun.ShardID{}, usagef("JOB_COMPLETION_INDEX=%q is not a completion index (0, 1, ...)", idx)
		}
		if n < 1 {
			return sweeprun.ShardID{}, usagef("JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count or BLUESIM_SHARD_COUNT (the Job's completions)")
		}
		if i >= n {
			return sweeprun.ShardID{}, usagef("JOB_COMPLETION_INDEX=%d is not below --shard-count %d (indexes run 0..%d, shards 1/%d..%d/%d)", i, n, n-1, n, n, n)
		}
		return sweeprun.ShardID{Index: i + 1, Count: n}, nil
	}
	if id := a.getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		count := a.getenv("SLURM_ARRAY_TASK_COUNT")
		i, err1 := strconv.Atoi(id)
		n, err2 := strconv.Atoi(count)
		if err1 != nil || err2 != nil || n < 1 {
			return sweeprun.ShardID{}, usagef("SLURM_ARRAY_TASK_ID=%q with SLURM_ARRAY_TASK_COUNT=%q: want two integers", id, count)
		}
		if m := a.getenv("SLURM_ARRAY_TASK_MIN"); m != "" {
			lo, err := strconv.Atoi(m)
			if err != nil {
				return sweeprun.ShardID{}, usagef("SLURM_ARRAY_TASK_MIN=%q is not an integer", m)
			}
			i = i - lo + 1
		}
		if i < 1 || i > n {
			return sweeprun.ShardID{}, usagef("SLURM_ARRAY_TASK_ID=%s is outside an array of %d tasks: submit it with --array=1-%d", id, n, n)
		}
		return sweeprun.ShardID{Index: i, Count: n}, nil
	}
	return sweeprun.Whole, nil
}

// writeSweepReport writes a whole sweep's report (summary.json, plots/,
// report.html) beside its tables and says where it is.
// It returns the summary written, nil when none was.
func (a *app) writeSweepReport(dir string) (*output.SweepSummary, error) {
	s, err := output.WriteSweep(a.ctx, dir, plots.SweepRenderer{})
	if err != nil {
		return s, fmt.Errorf("sweep report: %w", err)
	}
	fmt.Fprintf(a.stdout, "wrote %s: %s, %s/ (%d files), %s\n", dir, output.SummaryFile, output.PlotsDir, len(s.Plots), output.ReportFile)
	fmt.Fprintf(a.stdout, "open %s in a browser to read the report\n", filepath.Join(dir, output.ReportFile))
	return s, nil
}
