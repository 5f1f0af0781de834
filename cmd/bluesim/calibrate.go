package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

func init() { register("", newCalibrateCommand) }

// calibrationTable is the table bluesim calibrate writes.
const calibrationTable = "calibration"

// minCalibrationSeeds is the fewest seeds calibrate accepts: below it the
// share of intervals that hold is too uncertain to mean anything (with 50
// seeds, a true 95 % reads as 88–100 % in 95 checks of 100).
const minCalibrationSeeds = 20

// newCalibrateCommand is `bluesim calibrate`: do the run's 95 % intervals
// hold 95 % of the time?
func newCalibrateCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calibrate [SCENARIO.yaml | BUILTIN] [--seeds 50]",
		Short: "Check that a run's 95 % intervals hold: run one scenario over many seeds",
		Long: `calibrate runs one scenario with --seeds different seeds (--first-seed,
--first-seed+1, ...; each exactly as "bluesim run --seed S" would) and checks
every quantity that has an interval in a run's outputs: each arm's coverage,
capture, precision and false-positive rate, the breakdown's recall and
capture per cell, and the detected share per distance band.

For each, the across-seed mean of the values is what a run's 95 % interval
should contain in about 95 runs of 100. It prints, per arm and quantity, how
many runs' intervals did (with the Wilson interval of that share: the seeds
are independent), and "spread": 1.96 × the across-seed standard deviation
over the mean half-width of the intervals (about 1 when the intervals are as
wide as the values really vary). Breakdown cells are pooled per arm and
quantity in the printout and listed one by one in the table.

Runs too small to estimate a quantity (fewer index cases than a run needs)
leave it out of that quantity's check; "runs" says how many counted.

Writes, in --out (default out/calibrate-<scenario>):

  tables/calibration.csv and .parquet   one row per quantity (and cell)

Exit code 3 when --min-share is set and an arm-level share is below it.`,
		Args: atMostOneScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runCalibrate(cmd, scenarioArg(args))
		},
	}
	f := cmd.Flags()
	f.Int("seeds", 50, "number of seeds (runs)")
	f.Uint64("first-seed", 1, "the first seed; the others follow it")
	f.Int("workers", 0, "runs at once, each on one core (0: one per CPU)")
	f.String("out", "", "output folder (default out/calibrate-<scenario>)")
	f.StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	f.Float64("min-share", 0, "exit 3 when an arm-level quantity's share of holding intervals is below this (0: off)")
	return cmd
}

func (a *app) runCalibrate(cmd *cobra.Command, arg string) error {
	seeds := a.integer("seeds")
	if seeds < minCalibrationSeeds {
		return usagef("--seeds %d: want at least %d (the share of intervals that hold needs many runs to mean anything)",
			seeds, minCalibrationSeeds)
	}
	first, err := strconv.ParseUint(a.str("first-seed"), 10, 64)
	if err != nil {
		return usagef("--first-seed %q: want a non-negative whole number", a.str("first-seed"))
	}
	if first+uint64(seeds) < first {
		return usagef("--first-seed %d: the last seed would overflow", first)
	}
	minShare := a.float("min-share")
	if !(minShare >= 0 && minShare <= 1) {
		return usagef("--min-share %v: want a share in [0, 1]", minShare)
	}
	workers := a.integer("workers")
	if workers < 0 {
		return usagef("--workers %d: want 0 (one per CPU) or more", workers)
	}
	if workers == 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, seeds)
	sets := scenarioSets(cmd)
	var l *scenarios.Loaded
	if arg == "" {
		l, err = scenarios.LoadBuiltin(scenarios.DefaultName, sets...)
	} else {
		l, err = scenarios.Resolve(arg, sets...)
	}
	if err != nil {
		return asUsage(err)
	}
	sc := l.Scenario
	if sc.Population.Separate() {
		return usagef("%s is simulated province by province (population.travel.mixing: separate), which calibrate cannot run; "+
			"pick provinces with --set population.area=... and --set population.travel.mixing=joint", sc.Name)
	}
	sc.Engine.Workers = 1
	dir := a.str("out")
	if dir == "" {
		dir = filepath.Join("out", "calibrate-"+sc.Name)
	}
	opts := output.Options{DiagnosedAmong: sc.Diagnosis.Among}
	fmt.Fprintf(a.stderr, "calibrate %s: %d people, %d days, seeds %d to %d, %d runs at once -> %s\n",
		sc.Name, sc.People(), sc.Days, first, first+uint64(seeds)-1, workers, dir)

	prog := newProgress(a.stderr, seeds)
	runs := make([][]stats.Estimate, seeds)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					continue
				}
				run := sc
				run.Seed = first + uint64(i)
				rp := prog.startRun(fmt.Sprintf("seed %d", run.Seed), run.Days)
				simulationGC()
				r, err := sim.Run(ctx, run)
				rp.finish(err)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("seed %d: %w", run.Seed, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				runs[i] = calibrationEstimates(r, opts)
			}
		})
	}
feed:
	for i := range seeds {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	prog.wait()
	if firstErr != nil {
		if errors.Is(firstErr, context.Canceled) || a.ctx.Err() != nil {
			return errors.New("interrupted: nothing written")
		}
		return firstErr
	}
	checks := stats.Calibrate(runs, output.CILevel)
	if err := table.Write(filepath.Join(dir, output.TablesDir), []table.Table{calibrationRows(checks)}); err != nil {
		return err
	}
	low, err := printCalibration(a, &sc, first, seeds, checks, minShare)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s: %s\n", dir, filepath.Join(output.TablesDir, calibrationTable+".csv")+", "+
		filepath.Join(output.TablesDir, calibrationTable+".parquet"))
	if len(low) > 0 {
		return &thresholdError{msg: fmt.Sprintf("calibrate: %d arm-level quantities hold less often than --min-share %v: %s",
			len(low), minShare, strings.Join(low, ", "))}
	}
	return nil
}

// calibrationKey joins an estimate's identity into one key; splitKey
// takes it apart.
const keySep = "\x1f"

func calibrationEstimates(r *sim.Result, o output.Options) []stats.Estimate {
	es := output.Estimates(r, o)
	out := make([]stats.Estimate, len(es))
	for i, e := range es {
		out[i] = stats.Estimate{Key: strings.Join([]string{e.Table, e.Arm, e.Row, e.Quantity}, keySep),
			Value: e.Value, Lo: e.Lo, Hi: e.Hi}
	}
	return out
}

func splitKey(k string) (tbl, arm, row, quantity string) {
	p := strings.SplitN(k, keySep, 4)
	for len(p) < 4 {
		p = append(p, "")
	}
	return p[0], p[1], p[2], p[3]
}

// calibrationRows is the calibration table: one row per quantity.
func calibrationRows(checks []stats.Check) table.Table {
	t := table.Table{Name: calibrationTable, Columns: []table.Column{
		{Name: "table", Kind: table.String}, {Name: "arm", Kind: table.String}, {Name: "row", Kind: table.String},
		{Name: "quantity", Kind: table.String}, {Name: "runs", Kind: table.Int}, {Name: "contained", Kind: table.Int},
		{Name: "share", Kind: table.Float}, {Name: "share_ci_low", Kind: table.Float}, {Name: "share_ci_high", Kind: table.Float},
		{Name: "mean", Kind: table.Float}, {Name: "sd", Kind: table.Float}, {Name: "mean_half_width", Kind: table.Float},
		{Name: "spread", Kind: table.Float}}}
	for _, c := range checks {
		tbl, arm, row, q := splitKey(c.Key)
		t.Rows = append(t.Rows, []any{tbl, arm, row, q, c.Runs, c.Contained, c.Share, c.ShareLo, c.ShareHi,
			c.Mean, c.SD, c.HalfWidth, c.Spread})
	}
	return t
}

// pooled sums the checks of one table, arm and quantity over the
// breakdown's cells that at least minRuns runs estimated.
type pooled struct {
	tbl, arm, quantity string
	cells, below       int
	runs, contained    int
	minShare           float64
}

// printCalibration prints the arm-level checks one by one and the
// breakdown cells pooled per table, arm and quantity. It returns the
// arm-level quantities whose share is below minShare.
func printCalibration(a *app, sc *scenarios.Scenario, first uint64, seeds int, checks []stats.Check, minShare float64) ([]string, error) {
	fmt.Fprintf(a.stdout, "calibration of %s (%d people, %d days), seeds %d to %d: share of runs whose 95 %% interval "+
		"holds the across-seed mean\n\n", sc.Name, sc.People(), sc.Days, first, first+uint64(seeds)-1)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "arm\tquantity\truns\tcontained\tshare\t95 % CI of share\tmean\tspread\t")
	var low []string
	for _, c := range checks {
		tbl, arm, _, q := splitKey(c.Key)
		if tbl != output.TableArms {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", arm, q, c.Runs, c.Contained, pct1(c.Share),
			pctRange(c.ShareLo, c.ShareHi), fmtG(c.Mean), fmtF2(c.Spread))
		if minShare > 0 && (c.Runs == 0 || c.Share < minShare) {
			low = append(low, arm+" "+q)
		}
	}
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	minRuns := max(minCalibrationSeeds, seeds/2)
	var pools []*pooled
	find := func(tbl, arm, q string) *pooled {
		for _, p := range pools {
			if p.tbl == tbl && p.arm == arm && p.quantity == q {
				return p
			}
		}
		p := &pooled{tbl: tbl, arm: arm, quantity: q, minShare: math.NaN()}
		pools = append(pools, p)
		return p
	}
	for _, c := range checks {
		tbl, arm, _, q := splitKey(c.Key)
		if tbl == output.TableArms || c.Runs < minRuns {
			continue
		}
		p := find(tbl, arm, q)
		p.cells++
		p.runs += c.Runs
		p.contained += c.Contained
		if c.Share < 0.9 {
			p.below++
		}
		if math.IsNaN(p.minShare) || c.Share < p.minShare {
			p.minShare = c.Share
		}
	}
	if len(pools) > 0 {
		fmt.Fprintf(a.stdout, "\nbreakdown cells estimated in at least %d runs, pooled:\n\n", minRuns)
		tw = tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "table\tarm\tquantity\tcells\truns\tshare\t95 % CI of share\tlowest cell\tcells below 90 %\t")
		for _, p := range pools {
			lo, hi := stats.Wilson(int64(p.contained), int64(p.runs), output.CILevel)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%d\t\n", p.tbl, p.arm, p.quantity, p.cells, p.runs,
				pct1(float64(p.contained)/float64(p.runs)), pctRange(lo, hi), pct1(p.minShare), p.below)
		}
		if err := tw.Flush(); err != nil {
			return nil, err
		}
		fmt.Fprintln(a.stdout, "(the pooled interval treats cells as independent, which they are not quite: read it as a guide)")
	}
	fmt.Fprintln(a.stdout)
	return low, nil
}

func pct1(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(100*x, 'f', 1, 64) + " %"
}

func pctRange(lo, hi float64) string {
	if math.IsNaN(lo) || math.IsNaN(hi) {
		return "n/a"
	}
	return strconv.FormatFloat(100*lo, 'f', 0, 64) + "–" + strconv.FormatFloat(100*hi, 'f', 0, 64) + " %"
}

func fmtG(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

func fmtF2(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}
