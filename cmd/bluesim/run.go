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
	"github.com/bluesim/bluesim/plots"
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

Every file is written atomically. Progress goes to stderr: bars on a
terminal, a line every 2 s otherwise. Ctrl-C stops at the next day and
leaves earlier outputs in --out untouched.

The same seed gives the same output_hash for any --workers.`,
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
	s, err := output.WriteRun(a.ctx, dir, r, output.WithScenario(sc), output.WithRenderer(plots.Renderer{}))
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted while writing %s: %v (the files written are complete)", dir, err)
		}
		return err
	}
	fmt.Fprintf(a.stderr, "done in %.1f s on %d workers: %.0f agent-days/s, peak memory %.0f MiB\n",
		float64(s.WallSeconds), s.Workers, float64(s.AgentDaysPerSecond), float64(s.PeakRSSBytes)/(1<<20))
	if w := unestimableWarning(s); w != "" {
		fmt.Fprintln(a.stderr, w)
	}
	return printRunSummary(a, dir, s)
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

// unestimableWarning is the one warning line for a run too small to
// estimate some of its numbers, or "" when it estimated everything.
func unestimableWarning(s *output.Summary) string {
	var parts []string
	for _, arm := range s.Arms {
		var keys []string
		for k := range arm.Unestimable {
			if k != "recall" && k != "pairwise_coverage" { // they follow coverage and capture
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
	return "warning: the run is too small or too short to estimate " + strings.Join(parts, "; ") +
		": they are null in summary.json, which says why under unestimable (raise population.size or days)"
}
