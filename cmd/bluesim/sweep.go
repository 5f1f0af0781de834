package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

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

Ctrl-C (or a failed task) keeps the finished tasks: the same command with
--resume reads them back from the manifest and runs only the others, and
the folder ends up byte for byte as an uninterrupted run writes it. With
nothing to resume, --resume runs every task; a folder of another sweep (or
shard) is refused.

--out (the shard's folder) is checked before any task runs: it must be
creatable and writable, and hold nothing but an earlier bluesim output (or
--force replaces what it holds); afterwards it holds exactly the files the
manifest lists.

Replicate r runs with the same seed at every point (common random numbers).

--shard i/n runs only the tasks t with t % n == i and writes them to
OUT/shard-i-of-n; "bluesim merge OUT" then combines the shards into the same
tables a whole run writes. The shard can also come from the environment:
JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) with --shard-count or
BLUESIM_SHARD_COUNT, or SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (a
Slurm job array).`,
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
				dir = filepath.Join(out, fmt.Sprintf("shard-%d-of-%d", shard.Index, shard.Count))
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
				Workers: workers, Shard: shard.Index, Shards: shard.Count, Done: done,
			})
			prog.wait()
			m, err := sweeprun.WriteShard(dir, plan, shard, results, runErr == nil)
			if err != nil {
				return err
			}
			// The manifest is written: an earlier output's other files go.
			if err := folder.Finish(m.Files); err != nil {
				return err
			}
			if runErr != nil {
				if errors.Is(runErr, context.Canceled) {
					return fmt.Errorf("interrupted: %d of %d tasks finished, written to %s; the same command with --resume runs the others", len(results), len(mine), dir)
				}
				return fmt.Errorf("%w (%d finished tasks written to %s; the same command with --resume runs the others)", runErr, len(results), dir)
			}
			fmt.Fprintf(a.stdout, "%s: %d tasks of shard %s written (scenario hash %.12s)\n", dir, len(results), shard, plan.Hash)
			if shard.Count > 1 {
				fmt.Fprintf(a.stdout, "when every shard has finished: bluesim merge %s\n", out)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("out", "", "output folder (default out/<scenario>-sweep; shards write OUT/shard-i-of-n)")
	f.Int("workers", 0, "tasks run at once (0: one per CPU)")
	f.Uint64("seed", 0, "base seed (default: the scenario's); replicate seeds derive from it")
	f.String("shard", "", "run shard i of n (\"i/n\"): the tasks t with t % n == i")
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

// sweepShard works out which shard to run: --shard i/n; else a Kubernetes
// Indexed Job's JOB_COMPLETION_INDEX with --shard-count (or
// BLUESIM_SHARD_COUNT); else a Slurm array's SLURM_ARRAY_TASK_ID with
// SLURM_ARRAY_TASK_COUNT (counted from SLURM_ARRAY_TASK_MIN); else the
// whole sweep.
func (a *app) sweepShard(cmd *cobra.Command) (sweeprun.ShardID, error) {
	if s := a.str("shard"); s != "" {
		i, n, ok := strings.Cut(s, "/")
		ii, err1 := strconv.Atoi(strings.TrimSpace(i))
		nn, err2 := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err1 != nil || err2 != nil || nn < 1 || ii < 0 || ii >= nn {
			return sweeprun.ShardID{}, usagef("--shard %q: want i/n with 0 <= i < n, e.g. 0/4", s)
		}
		return sweeprun.ShardID{Index: ii, Count: nn}, nil
	}
	if idx := a.getenv("JOB_COMPLETION_INDEX"); idx != "" {
		n := a.integer("shard-count")
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 {
			return sweeprun.ShardID{}, usagef("JOB_COMPLETION_INDEX=%q is not a shard index", idx)
		}
		if n < 1 {
			return sweeprun.ShardID{}, usagef("JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count or BLUESIM_SHARD_COUNT (the Job's completions)")
		}
		if i >= n {
			return sweeprun.ShardID{}, usagef("JOB_COMPLETION_INDEX=%d is not below --shard-count %d", i, n)
		}
		return sweeprun.ShardID{Index: i, Count: n}, nil
	}
	if id := a.getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		count := a.getenv("SLURM_ARRAY_TASK_COUNT")
		i, err1 := strconv.Atoi(id)
		n, err2 := strconv.Atoi(count)
		if err1 != nil || err2 != nil || n < 1 {
			return sweeprun.ShardID{}, usagef("SLURM_ARRAY_TASK_ID=%q with SLURM_ARRAY_TASK_COUNT=%q: want two integers", id, count)
		}
		if m := a.getenv("SLURM_ARRAY_TASK_MIN"); m != "" {
			if lo, err := strconv.Atoi(m); err == nil {
				i -= lo
			}
		}
		if i < 0 || i >= n {
			return sweeprun.ShardID{}, usagef("SLURM_ARRAY_TASK_ID=%s is outside an array of %d tasks (use --array=0-%d)", id, n, n-1)
		}
		return sweeprun.ShardID{Index: i, Count: n}, nil
	}
	return sweeprun.ShardID{Index: 0, Count: 1}, nil
}
