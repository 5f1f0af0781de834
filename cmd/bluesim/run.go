package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

func init() { register("", newRunCommand) }

// newRunCommand is `bluesim run`: one simulation of one scenario, written
// out as summary.json, tables, figures and a report.
func newRunCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run [SCENARIO.yaml | BUILTIN]",
		Short: "Simulate one scenario and write its summary, tables, figures and report",
		Long: `run simulates one scenario (a YAML file, or a built-in by name; default: town)
and writes, in --out (default out/<scenario>):

  summary.json   the run's numbers per protocol arm, with stable snake_case keys
  tables/        daily series, detection by band, delays, attenuation samples
                 (CSV and Parquet)
  plots/         the figures (PNG and SVG)
  report.html    one self-contained page: figures and a plain-language reading

Every file is written atomically. --out is checked before the simulation:
it must be creatable and writable, and hold nothing but an earlier
bluesim output (or --force replaces what it holds). After the run it holds
exactly the files summary.json lists: an earlier run's other files are
removed. Progress goes to stderr: bars on a terminal, a line every 2 s
otherwise. Ctrl-C stops at the next day and leaves earlier outputs in
--out untouched.

The same seed gives the same output_hash for any --workers. A scenario with a
sweep: block is refused (exit 2): run it with bluesim sweep.

A census area simulated province by province (population.area with
several provinces and population.travel.mixing: separate, such as the
built-in vietnam) runs one province after another and writes the combined
run. With --shard i/n, shard i of n counted from 1 as for bluesim sweep
(1/2 and 2/2 are the two halves; or JOB_COMPLETION_INDEX, 0-based: index k
runs shard k+1, with --shard-count or BLUESIM_SHARD_COUNT; or
SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, an array submitted with
--array=1-N) it runs only shard i's provinces, a fixed subset balanced by
population, and writes their results to OUT/shard-i-of-n; "bluesim merge
OUT" then writes the run folder of the whole area, byte for byte what the
run without shards writes.`,
		Args: atMostOneScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runScenario(cmd, scenarioArg(args))
		},
	}
	f := cmd.Flags()
	f.String("out", "", "output folder (default out/<scenario>)")
	f.Uint64("seed", 0, "random seed (default: the scenario's)")
	f.Int("workers", 0, "parallel workers (0: the scenario's engine.workers, or one per CPU); results do not depend on it")
	f.StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	f.String("shard", "", "for an area simulated province by province (vietnam): run shard i of n (\"i/n\", counted from 1) of its provinces")
	f.Int("shard-count", 0, "number of shards when the index comes from JOB_COMPLETION_INDEX")
	f.Bool("force", false, "replace what --out holds even where bluesim did not write it")
	return cmd
}

func (a *app) runScenario(cmd *cobra.Command, arg string) error {
	sets, _ := cmd.Flags().GetStringArray("set")
	if a.changed(cmd, "seed") {
		// Through the loader, so that the seed is validated like any key.
		sets = append(sets, "seed="+a.str("seed"))
	}
	var l *scenarios.Loaded
	var err error
	if arg == "" {
		// No argument means the built-in default, even where a file or
		// folder of that name exists in the current directory.
		l, err = scenarios.LoadBuiltin(scenarios.DefaultName, sets...)
	} else {
		l, err = scenarios.Resolve(arg, sets...)
	}
	if err != nil {
		return asUsage(err)
	}
	if err := refuseSweep(l, arg); err != nil {
		return err
	}
	a.noteRenames(l.Renamed)
	sc := l.Scenario
	workers := a.integer("workers")
	if workers < 0 {
		return usagef("--workers %d: want 0 (automatic) or more", workers)
	}
	var opts []sim.Option
	if workers > 0 {
		opts = append(opts, sim.WithWorkers(workers))
	}
	dir := a.str("out")
	if dir == "" {
		dir = filepath.Join("out", sc.Name)
	}
	if sc.Population.Separate() {
		return a.runProvinces(cmd, sc, dir, opts)
	}
	if a.str("shard") != "" {
		return usagef("--shard splits a census area simulated province by province (such as vietnam); %s is one run", sc.Name)
	}
	folder, err := a.prepareOut(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "run %s: %d people, %d days, %d arms, seed %d -> %s\n",
		sc.Name, sc.People(), sc.Days, len(sc.Arms), sc.Seed, dir)

	prog := newProgress(a.stderr, 1)
	rp := prog.startRun("", sc.Days)
	simulationGC()
	r, err := sim.Run(a.ctx, sc, append(opts, sim.WithProgress(rp.update))...)
	rp.finish(err)
	prog.wait()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted before the run finished: nothing written, earlier outputs in %s are untouched", dir)
		}
		return err
	}
	return a.writeRun(dir, sc, r, folder)
}

// printRunSummary prints the arms' headline numbers and where the files
// are. It shows nothing that depends on the machine, so the same seed
// prints the same text.
func printRunSummary(a *app, dir string, s *output.Summary) error {
	fmt.Fprintf(a.stdout, "scenario %s, seed %d: %d people, %d days\n\n", s.Scenario, s.Seed, s.Agents, s.Days)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Cells are right-aligned; padding the names makes their column read
	// left-aligned.
	width := len("arm")
	for _, arm := range s.Arms {
		width = max(width, len(arm.Name))
	}
	fmt.Fprintf(tw, "%-*s\tadoption\tclose contacts\tnotified\tcoverage\tcapture\tprecision\t\n", width, "arm")
	for _, arm := range s.Arms {
		fmt.Fprintf(tw, "%-*s\t%s\t%d\t%d\t%s\t%s\t%s\t\n", width, arm.Name, pctText(arm.Adoption), arm.CloseContacts,
			arm.Notifications, pctText(arm.Coverage), pctText(arm.Capture), pctText(arm.Precision))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\noutput hash %s\n", s.OutputHash)
	fmt.Fprintf(a.stdout, "wrote %s: %s, %s, %s, %s/ (%d files), %s/ (%d files)\n", dir,
		output.SummaryFile, output.ReportFile, output.ScenarioFile, output.TablesDir, len(s.Tables), output.PlotsDir, len(s.Plots))
	fmt.Fprintf(a.stdout, "open %s in a browser to read the report\n", filepath.Join(dir, output.ReportFile))
	return nil
}

// pctText prints a share as a percentage with one decimal, "n/a" when
// undefined.
func pctText(x output.Num) string {
	f := float64(x)
	if f != f {
		return "n/a"
	}
	return fmt.Sprintf("%.1f %%", 100*f)
}

// refuseSweep refuses a scenario with a sweep block: run simulates one
// scenario, and running one point of a sweep silently would answer a
// question nobody asked.
func refuseSweep(l *scenarios.Loaded, arg string) error {
	if l.Sweep == nil {
		return nil
	}
	if arg == "" {
		arg = scenarios.DefaultName
	}
	size := ""
	if plan, err := l.Plan(); err == nil {
		size = fmt.Sprintf(" (%s x %s = %s)", plural(plan.Points, "point"), plural(plan.Replicates, "replicate"),
			plural(len(plan.Tasks), "run"))
	}
	return usagef("%s has a sweep: block%s, and bluesim run simulates one scenario: run the sweep with "+
		"\"bluesim sweep %s\", or remove the sweep: block from a copy of the file to run one point", arg, size, arg)
}

// unestimableWarning is the one warning line for a run too small to
// estimate some of its numbers, or "" when it estimated everything.
func unestimableWarning(s *output.Summary) string {
	var parts []string
	for _, arm := range s.Arms {
		var keys []string
		for k := range arm.Unestimable {
			// recall and pairwise_coverage follow coverage and capture;
			// the adversary's (privacy.*) are not a matter of size, and
			// summary.json gives each its own reason.
			if k != "recall" && k != "pairwise_coverage" && !strings.HasPrefix(k, "privacy.") {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		slices.Sort(keys)
		parts = append(parts, arm.Name+" "+strings.Join(keys, ", "))
	}
	if s.Epidemic != nil {
		if _, ok := s.Epidemic.Unestimable["epidemic.r_eff"]; ok {
			parts = append(parts, "no-app epidemic.r_eff")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	enlarge := "population.size or days"
	if s.Census != nil {
		enlarge = "population.scale or days"
	}
	return "warning: the run is too small or too short to estimate " + strings.Join(parts, "; ") +
		": they are null in summary.json, which says why under unestimable (raise " + enlarge + ")"
}
