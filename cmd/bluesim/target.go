package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/sim/target"
	"github.com/bluesim/bluesim/table"
)

func init() { register("", newTargetCommand) }

// Files bluesim target writes under --out.
const (
	targetSummaryFile = "target.json"
	targetProbesTable = "target_probes"
	targetPointsTable = "target_points"
	targetCurvePlot   = "target_curve"
)

// newTargetCommand is `bluesim target`: the smallest install rate at which
// an arm meets a goal.
func newTargetCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "target [SCENARIO.yaml | BUILTIN] --goal EXPR",
		Short: "Find the smallest adoption at which an arm meets a goal (coverage>=0.5, ...)",
		Long: `target finds the smallest adoption (share of the population with the app)
at which one protocol arm of a scenario meets a goal, METRIC OP VALUE with
OP one of >=, >, <=, <:

  ` + metricHelp() + `

It bisects over adoption between 0 and the smartphone ownership share (only
owners can install the app), running --replicates simulations at each
probed adoption. Replicate r uses the same seed at every adoption (common
random numbers), so differences between adoptions are not noise. The goal
counts as met at an adoption only when the one-sided --confidence bound of
the replicate mean meets it (the lower bound for >= and >, the upper bound
for <= and <; Student's t with n-1 degrees of freedom; with one replicate
the point value decides). The search stops when the bracket [last failing,
first passing] is narrower than --tolerance. That is the conservative
answer.

It also finds where the mean curve (the replicates' mean at each adoption)
meets the goal, by bisection on the mean over the same points, with a 95 %
interval for that adoption: a bootstrap that resamples, in every replicate,
its index cases (each with all its contacts; the same people at every
adoption), or the replicates themselves for the epidemic's outcomes. With
--precision (default 0.05) it adds replicates at every probed adoption until
that interval is narrower, or --max-replicates is reached, and says so
plainly when the runs are too small to answer.

The arm (--arm, default the first) runs alone at each probed adoption,
with its adoption field set to the probe; an install ramp keeps its shape
(ramp.from is scaled in proportion). The other arms are left out: they do
not change the chosen arm's numbers.

Writes, in --out (default out/target-<scenario>), atomically; --out is
checked before the first run (creatable, writable, holding nothing but an
earlier bluesim output, or --force) and afterwards holds exactly the files
target.json lists:

  target.json    the goal, the answer, its bracket and the search settings
  tables/        target_probes (every adoption, replicate and value) and
                 target_points (per adoption: mean, interval, bound, verdict),
                 CSV and Parquet
  plots/         target_curve: the metric against adoption with intervals,
                 the goal line and the answer marked (PNG and SVG)

Exit code 3 when the goal is not met even at the ownership cap.

With --by-area (census populations such as nam-dinh), it searches each
area (district) in turn: the arm runs alone with that area's adoption set
to the probe (adoption_by_area) and every other area as the scenario has
it, up to the area's own smartphone ownership, and the goal is judged on
the area's row of tables/by_area (its residents' close contacts and
notifications). --area SLUG (repeatable) picks areas. It writes
target.json with a by_area list, tables/target_by_area and
tables/target_area_points, and plots/target_by_area; exit code 3 when an
area's goal is not met.`,
		Args: atMostOneScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runTarget(cmd, scenarioArg(args))
		},
	}
	f := cmd.Flags()
	f.String("goal", "", "the goal, METRIC OP VALUE (e.g. coverage>=0.5)")
	f.Int("replicates", 5, "simulations per probed adoption")
	f.Float64("confidence", 0.95, "confidence of the one-sided bound that decides the goal, in (0, 1)")
	f.String("arm", "", "the arm whose adoption is searched (default: the scenario's first arm)")
	f.String("out", "", "output folder (default out/target-<scenario>)")
	f.Int("workers", 0, "parallel workers per simulation (0: the scenario's engine.workers, or one per CPU)")
	f.StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	f.Float64("tolerance", 0.01, "stop when the adoption bracket is narrower than this")
	f.Bool("force", false, "replace what --out holds even where bluesim did not write it")
	f.Float64("precision", 0.05, "add replicates until the mean crossing's interval is narrower than this (0: never)")
	f.Int("max-replicates", 20, "the most replicates --precision may reach")
	f.Bool("by-area", false, "census populations: search each area's own adoption (the others as the scenario has them), judged on the area's residents")
	f.StringArray("area", nil, "with --by-area: search only this area (repeatable; implies --by-area)")
	return cmd
}

// metricHelp lists the goal metrics for the help text.
func metricHelp() string {
	var lines []string
	for _, m := range target.Metrics() {
		d := m.Description
		if m.Epidemic {
			d += " (needs epidemic.enabled: true)"
		}
		lines = append(lines, fmt.Sprintf("%-20s %s", m.Name, d))
	}
	return strings.Join(lines, "\n  ")
}

// targetRun is what one search needs besides the search itself.
type targetRun struct {
	sc   scenarios.Scenario
	arm  int
	armN string
	// label names the arm in messages: its name, or its protocol when the
	// name gives an adoption ("bluezone-20"), which the search varies.
	label  string
	goal   target.Goal
	cfg    target.Config
	dir    string
	digits int
}

func (a *app) runTarget(cmd *cobra.Command, arg string) error {
	expr := a.str("goal")
	if !a.changed(cmd, "goal") || strings.TrimSpace(expr) == "" {
		return usagef("--goal is required, e.g. --goal coverage>=0.5 (metrics: %s)", strings.Join(target.MetricNames(), ", "))
	}
	goal, err := target.ParseGoal(expr)
	if err != nil {
		return usagef("--goal %s: %v", expr, err)
	}
	conf := a.float("confidence")
	if !(conf > 0 && conf < 1) {
		return usagef("--confidence %v: want a value strictly between 0 and 1 (e.g. 0.95)", conf)
	}
	reps := a.integer("replicates")
	if reps < 1 {
		return usagef("--replicates %d: want at least 1", reps)
	}
	tol := a.float("tolerance")
	if !(tol > 0 && tol < 1) {
		return usagef("--tolerance %v: want a value strictly between 0 and 1 (e.g. 0.01)", tol)
	}
	prec := a.float("precision")
	if !(prec >= 0 && prec < 1) {
		return usagef("--precision %v: want 0 (never add replicates) or a width below 1 (e.g. 0.05)", prec)
	}
	maxReps := a.integer("max-replicates")
	if !a.changed(cmd, "max-replicates") {
		maxReps = max(maxReps, reps)
	}
	if prec > 0 && maxReps < reps {
		return usagef("--max-replicates %d: want at least --replicates (%d)", maxReps, reps)
	}
	if prec == 0 {
		maxReps = reps
	}
	workers := a.integer("workers")
	if workers < 0 {
		return usagef("--workers %d: want 0 (automatic) or more", workers)
	}
	sets, _ := cmd.Flags().GetStringArray("set")
	var l *scenarios.Loaded
	if arg == "" {
		l, err = scenarios.LoadBuiltin(scenarios.DefaultName, sets...)
	} else {
		l, err = scenarios.Resolve(arg, sets...)
	}
	if err != nil {
		return asUsage(err)
	}
	if err := target.CheckGoal(goal, &l.Scenario); err != nil {
		return usagef("--goal %s: %v", expr, err)
	}
	t := &targetRun{sc: l.Scenario, goal: goal}
	t.arm, err = target.ArmIndex(&t.sc, a.str("arm"))
	if err != nil {
		return usagef("--arm: %v", err)
	}
	t.armN = t.sc.Arms[t.arm].Name
	t.label = t.armN
	if scenarios.NamedByAdoption(t.sc.Arms[t.arm]) {
		t.label = t.sc.Arms[t.arm].Protocol
	}
	maxA, err := target.MaxAdoption(&t.sc)
	if err != nil {
		return asUsage(err)
	}
	t.cfg = target.Config{Goal: goal, Max: maxA, Replicates: reps, Confidence: conf, Tolerance: tol,
		Precision: prec, MaxReplicates: maxReps, Seed: t.sc.Seed}
	if t.sc.Population.Geographic() {
		t.cfg.Enlarge = "population.scale or days"
	}
	t.digits = max(2, int(math.Ceil(-math.Log10(tol)))+1)
	t.dir = a.str("out")
	if t.dir == "" {
		t.dir = filepath.Join("out", "target-"+t.sc.Name)
	}
	var opts []sim.Option
	if workers > 0 {
		opts = append(opts, sim.WithWorkers(workers))
	}
	if t.sc.Population.Separate() {
		return usagef("%s is simulated province by province (population.travel.mixing: separate), which target cannot search; "+
			"pick provinces with --set population.area=... and --set population.travel.mixing=joint", t.sc.Name)
	}
	byArea := a.boolean("by-area")
	if areas, _ := cmd.Flags().GetStringArray("area"); len(areas) > 0 {
		byArea = true
	}
	var searches []*areaTarget
	if byArea {
		// The areas are checked before the folder, as the goal is.
		if searches, err = t.areaSearches(cmd); err != nil {
			return err
		}
	}
	folder, err := a.prepareOut(t.dir)
	if err != nil {
		return err
	}
	if byArea {
		return a.runTargetByArea(t, searches, opts, folder)
	}
	armNote := ""
	if !a.changed(cmd, "arm") && len(t.sc.Arms) > 1 {
		armNote = fmt.Sprintf(" (the first of %d arms; pick another with --arm)", len(t.sc.Arms))
	}
	if t.label != t.armN {
		armNote = fmt.Sprintf(" (%s in the scenario, whose adoption the search varies)%s", t.armN, armNote)
	}
	fmt.Fprintf(a.stderr, "target %s: %s for arm %s%s\n", t.sc.Name, goal, t.label, armNote)
	more := ""
	if prec > 0 && maxReps > reps {
		more = fmt.Sprintf(" (up to %d for --precision %v)", maxReps, prec)
	}
	fmt.Fprintf(a.stderr, "searching adoption 0 to %s (smartphone ownership), %s per point%s, tolerance %v: %d people, %d days, seed %d -> %s\n",
		t.adoption(maxA), plural(reps, "replicate"), more, tol, t.sc.Population.Size, t.sc.Days, t.sc.Seed, t.dir)
	if l.Sweep != nil {
		fmt.Fprintf(a.stderr, "note: the file's sweep block is ignored; target makes its own points\n")
	}

	probes := t.cfg.MaxProbes()
	prog := newProgress(a.stderr, probes*reps)
	t.cfg.OnRound = func(width float64, next int) {
		prog.mu.Lock()
		defer prog.mu.Unlock()
		var w io.Writer = a.stderr
		if prog.bars != nil {
			w = prog.bars
		}
		what := "has no upper end below the ownership cap"
		if !math.IsNaN(width) {
			what = "is " + t.adoption(width) + " wide"
		}
		fmt.Fprintf(w, "the mean crossing's interval %s, not narrower than --precision %v: running %d replicates at every probed adoption\n",
			what, prec, next)
		prog.growTo(probes * next)
	}
	t.cfg.OnPoint = func(p target.Point) {
		prog.mu.Lock()
		defer prog.mu.Unlock()
		// On a terminal the line goes through the bars, which print it
		// above themselves instead of drawing over it.
		var w io.Writer = a.stderr
		if prog.bars != nil {
			w = prog.bars
		}
		verdict := "not met"
		if p.Met {
			verdict = "met"
		}
		fmt.Fprintf(w, "probe %d (at most %d): adoption %s: %s %s, %s: %s\n", p.Order+1, probes,
			t.adoption(p.Adoption), goal.Metric.Name, t.value(p.Mean), t.boundText(p), verdict)
	}
	eval := func(ctx context.Context, adoption float64, rep int) (target.Sample, error) {
		sc, err := target.WithAdoption(&t.sc, t.arm, adoption)
		if err != nil {
			return target.Sample{}, err
		}
		sc.Seed = scenarios.ReplicateSeed(t.sc.Seed, rep)
		rp := prog.startRun(fmt.Sprintf("a=%s r%d", t.adoption(adoption), rep+1), sc.Days)
		simulationGC()
		r, err := sim.Run(ctx, sc, append(opts, sim.WithProgress(rp.update))...)
		rp.finish(err)
		if err != nil {
			return target.Sample{}, err
		}
		return goal.Metric.Sample(r, t.armN)
	}
	out, err := target.Search(a.ctx, t.cfg, eval)
	prog.wait()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted before the search finished: nothing written, earlier outputs in %s are untouched", t.dir)
		}
		return err
	}
	for _, w := range out.Warnings {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	files, err := t.write(out)
	if err != nil {
		return err
	}
	// target.json is written: an earlier output's other files go.
	if err := folder.Finish(files); err != nil {
		return err
	}
	reps = out.Replicates
	t.printMean(a.stdout, out)
	for _, n := range out.Notes {
		fmt.Fprintf(a.stdout, "note: %s\n", n)
	}
	if !out.Found {
		fmt.Fprintf(a.stdout, "wrote %s: %s\n", t.dir, strings.Join(files, ", "))
		b := out.Best
		return &thresholdError{msg: fmt.Sprintf("target: %s for arm %s: not met at any adoption up to %s (the smartphone ownership cap); "+
			"the best was %s %s (%s) at adoption %s", goal, t.label, t.adoption(t.cfg.Max), goal.Metric.Name, t.value(b.Mean),
			t.boundText(b), t.adoption(b.Adoption))}
	}
	p := out.At
	bracket := fmt.Sprintf("bracket %s–%s", t.adoption(out.BracketLo), t.adoption(out.Answer))
	if math.IsNaN(out.BracketLo) {
		bracket = "met already without the app"
	}
	interval := fmt.Sprintf("%s CI %s–%s, %d replicates", pctLabel(conf), t.value(p.Lo), t.value(p.Hi), reps)
	if reps == 1 {
		interval = "1 replicate: no confidence interval, the point value decides"
	}
	fmt.Fprintf(a.stdout, "conservative: %s for arm %s: adoption %s (%s); %s at %s = %s (%s)\n", goal, t.label,
		t.adoption(out.Answer), bracket, goal.Metric.Name, t.adoption(out.Answer), t.value(p.Mean), interval)
	if reps > 1 {
		fmt.Fprintf(a.stdout, "the conservative answer is judged on the %s: %s\n", t.boundName(), t.value(p.Bound))
	}
	fmt.Fprintf(a.stdout, "searched adoption 0 to %s (smartphone ownership) in %d probes of %s, tolerance %v\n",
		t.adoption(t.cfg.Max), len(out.Points), plural(reps, "replicate"), tol)
	fmt.Fprintf(a.stdout, "wrote %s: %s\n", t.dir, strings.Join(files, ", "))
	return nil
}

// printMean prints the mean curve's crossing and its interval: the
// answer read first.
func (t *targetRun) printMean(w io.Writer, out *target.Outcome) {
	x := out.Mean
	if !x.Found {
		fmt.Fprintf(w, "target: %s for arm %s: the mean curve does not meet the goal at any adoption up to %s\n",
			t.goal, t.label, t.adoption(t.cfg.Max))
		return
	}
	interval := "no interval"
	switch {
	case !math.IsNaN(x.Lo) && !math.IsNaN(x.Hi):
		interval = fmt.Sprintf("%s interval %s–%s", pctLabel(t.cfg.Confidence), t.adoption(x.Lo), t.adoption(x.Hi))
	case !math.IsNaN(x.Lo):
		interval = fmt.Sprintf("%s interval from %s, no upper end up to %s", pctLabel(t.cfg.Confidence), t.adoption(x.Lo),
			t.adoption(t.cfg.Max))
	}
	how := ""
	switch x.Method {
	case target.MethodCases:
		how = fmt.Sprintf("; index cases resampled within each of %s", plural(out.Replicates, "replicate"))
	case target.MethodReplicates:
		how = fmt.Sprintf("; %s resampled", plural(out.Replicates, "replicate"))
	}
	fmt.Fprintf(w, "target: %s for arm %s: the mean curve meets it at adoption %s (%s%s)\n",
		t.goal, t.label, t.adoption(x.Adoption), interval, how)
}

// plural prints "1 replicate", "2 replicates".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// pctLabel prints a confidence level as "95 %".
func pctLabel(c float64) string {
	return strconv.FormatFloat(100*c, 'g', 4, 64) + " %"
}

func (t *targetRun) adoption(x float64) string {
	return strconv.FormatFloat(x, 'f', t.digits, 64)
}

// value prints a metric value with three significant digits.
func (t *targetRun) value(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

func (t *targetRun) boundName() string {
	side := "lower"
	if !t.goal.Upward() {
		side = "upper"
	}
	return fmt.Sprintf("one-sided %s %s bound", pctLabel(t.cfg.Confidence), side)
}

func (t *targetRun) boundText(p target.Point) string {
	if len(p.Values) < 2 {
		return "1 replicate, the point value decides"
	}
	return t.boundName() + " " + t.value(p.Bound)
}

// writeTargetFiles writes a target search's tables and figure into dir
// and returns the files of the search, relative to dir: target.json (the
// caller writes it) first, then the tables' and the figure's.
func writeTargetFiles(dir string, tables []table.Table, fig plots.Figure) ([]string, error) {
	if err := table.Write(filepath.Join(dir, output.TablesDir), tables); err != nil {
		return nil, err
	}
	files := []string{targetSummaryFile}
	for i := range tables {
		for _, f := range tables[i].Files() {
			files = append(files, output.TablesDir+"/"+f)
		}
	}
	rendered, err := fig.Render()
	if err != nil {
		return nil, err
	}
	names, err := output.WriteFigures(filepath.Join(dir, output.PlotsDir), []output.Figure{rendered})
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		files = append(files, output.PlotsDir+"/"+n)
	}
	return files, nil
}

// write saves the search's tables, figure and summary; it returns the
// files written, relative to t.dir.
func (t *targetRun) write(out *target.Outcome) ([]string, error) {
	probes := table.Table{Name: targetProbesTable, Columns: []table.Column{
		{Name: "probe", Kind: table.Int}, {Name: "adoption", Kind: table.Float},
		{Name: "replicate", Kind: table.Int}, {Name: "seed", Kind: table.String},
		{Name: t.goal.Metric.Name, Kind: table.Float}}}
	points := table.Table{Name: targetPointsTable, Columns: []table.Column{
		{Name: "probe", Kind: table.Int}, {Name: "adoption", Kind: table.Float},
		{Name: "replicates", Kind: table.Int}, {Name: "mean", Kind: table.Float},
		{Name: "sd", Kind: table.Float}, {Name: "ci_lo", Kind: table.Float},
		{Name: "ci_hi", Kind: table.Float}, {Name: "bound", Kind: table.Float},
		{Name: "met", Kind: table.Int}}}
	byA := slices.Clone(out.Points)
	slices.SortStableFunc(byA, func(p, q target.Point) int { return cmpFloat(p.Adoption, q.Adoption) })
	for _, p := range byA {
		for r, v := range p.Values {
			probes.Rows = append(probes.Rows, []any{p.Order + 1, p.Adoption, r,
				strconv.FormatUint(scenarios.ReplicateSeed(t.sc.Seed, r), 10), v})
		}
		met := 0
		if p.Met {
			met = 1
		}
		points.Rows = append(points.Rows, []any{p.Order + 1, p.Adoption, len(p.Values), p.Mean, p.SD, p.Lo, p.Hi, p.Bound, met})
	}
	fig, err := t.figure(out, byA)
	if err != nil {
		return nil, err
	}
	files, err := writeTargetFiles(t.dir, []table.Table{probes, points}, fig)
	if err != nil {
		return nil, err
	}
	js, err := t.summaryJSON(out, files)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(t.dir, targetSummaryFile), js, atomicfile.Output); err != nil {
		return nil, err
	}
	return files, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// figure draws the metric against adoption with its intervals, the goal as
// a dashed horizontal line and the answer as a dotted vertical one.
func (t *targetRun) figure(out *target.Outcome, byA []target.Point) (plots.Figure, error) {
	name := t.goal.Metric.Name
	c := plots.Curve{
		Name:   targetCurvePlot,
		Title:  fmt.Sprintf("%s against adoption, arm %s", name, t.label),
		XLabel: "adoption (share of the population with the app)",
		YLabel: name,
		Caption: fmt.Sprintf("Each point is the mean of %d replicates at a probed adoption, with its %s interval; "+
			"the dashed line is the goal %s, the solid vertical line the adoption at which the mean curve meets it "+
			"(the shaded band its %s interval), the dotted line the conservative answer.",
			out.Replicates, pctLabel(t.cfg.Confidence), t.goal, pctLabel(t.cfg.Confidence)),
	}
	top := t.goal.Value
	for _, p := range byA {
		c.Points = append(c.Points, plots.CurvePoint{Series: t.label, X: p.Adoption, Y: p.Mean, Lo: p.Lo, Hi: p.Hi})
		for _, y := range []float64{p.Mean, p.Hi} {
			if !math.IsNaN(y) && !math.IsInf(y, 0) {
				top = math.Max(top, y)
			}
		}
	}
	fig, err := plots.CurveFigure(c)
	if err != nil {
		return fig, err
	}
	goalLine, err := plotter.NewLine(plotter.XYs{{X: 0, Y: t.goal.Value}, {X: t.cfg.Max, Y: t.goal.Value}})
	if err != nil {
		return fig, err
	}
	goalLine.Color = color.RGBA{R: 90, G: 90, B: 90, A: 255}
	goalLine.Width = vg.Points(1)
	goalLine.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	fig.Plot.Add(goalLine)
	fig.Plot.Legend.Add("goal "+t.goal.String(), goalLine)
	if x := out.Mean; x.Found {
		if !math.IsNaN(x.Lo) {
			hi := x.Hi
			if math.IsNaN(hi) {
				hi = t.cfg.Max
			}
			band, err := plotter.NewPolygon(plotter.XYs{{X: x.Lo, Y: 0}, {X: hi, Y: 0}, {X: hi, Y: top}, {X: x.Lo, Y: top}})
			if err != nil {
				return fig, err
			}
			band.Color = color.NRGBA{R: 230, G: 150, B: 30, A: 60}
			band.LineStyle.Width = 0
			fig.Plot.Add(band)
			fig.Plot.Legend.Add(pctLabel(t.cfg.Confidence)+" interval of the crossing", band)
		}
		mark, err := plotter.NewLine(plotter.XYs{{X: x.Adoption, Y: 0}, {X: x.Adoption, Y: top}})
		if err != nil {
			return fig, err
		}
		mark.Color = color.RGBA{R: 200, G: 120, A: 255}
		mark.Width = vg.Points(1.2)
		fig.Plot.Add(mark)
		fig.Plot.Legend.Add("mean curve meets the goal at "+t.adoption(x.Adoption), mark)
	}
	if out.Found {
		mark, err := plotter.NewLine(plotter.XYs{{X: out.Answer, Y: 0}, {X: out.Answer, Y: top}})
		if err != nil {
			return fig, err
		}
		mark.Color = color.RGBA{G: 90, B: 200, A: 255}
		mark.Width = vg.Points(1)
		mark.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
		fig.Plot.Add(mark)
		fig.Plot.Legend.Add("conservative answer "+t.adoption(out.Answer), mark)
	}
	return fig, nil
}

// targetSummary is target.json: stable snake_case keys.
type targetSummary struct {
	Scenario   string  `json:"scenario"`
	Seed       uint64  `json:"seed"`
	Agents     int     `json:"agents"`
	Days       int     `json:"days"`
	Arm        string  `json:"arm"`
	Goal       string  `json:"goal"`
	Metric     string  `json:"metric"`
	Replicates int     `json:"replicates"`
	Confidence float64 `json:"confidence"`
	Tolerance  float64 `json:"tolerance"`
	targetAnswer
	Precision     float64       `json:"precision"`
	MaxReplicates int           `json:"max_replicates"`
	Best          targetBestRow `json:"best"`
	Probes        int           `json:"probes"`
	Warnings      []string      `json:"warnings"`
	Notes         []string      `json:"notes"`
	// Files are the folder's files, this one included, relative to it:
	// after the search the folder holds exactly these.
	Files []string `json:"files"`
}

// targetCrossing is target.json's mean_crossing.
type targetCrossing struct {
	Found     bool       `json:"found"`
	Adoption  output.Num `json:"adoption"`
	CILo      output.Num `json:"ci_lo"`
	CIHi      output.Num `json:"ci_hi"`
	BracketLo output.Num `json:"bracket_lo"`
	BracketHi output.Num `json:"bracket_hi"`
	CIMethod  string     `json:"ci_method"`
	Draws     int        `json:"draws"`
	AboveMax  output.Num `json:"above_max"`
}

type targetBestRow struct {
	Adoption output.Num `json:"adoption"`
	Mean     output.Num `json:"mean"`
	Bound    output.Num `json:"bound"`
}

// targetAnswer is a search's answer, as target.json gives it (and each
// area of its by_area list): the conservative answer and the mean
// crossing. Embedded, its keys stand among the including object's.
type targetAnswer struct {
	MaxAdoption float64    `json:"max_adoption"`
	Found       bool       `json:"found"`
	Adoption    output.Num `json:"adoption"`
	BracketLo   output.Num `json:"bracket_lo"`
	BracketHi   output.Num `json:"bracket_hi"`
	Mean        output.Num `json:"mean"`
	CILo        output.Num `json:"ci_lo"`
	CIHi        output.Num `json:"ci_hi"`
	Bound       output.Num `json:"bound"`
	// MeanCrossing is where the mean curve meets the goal, with its
	// interval; the keys above are the conservative answer.
	MeanCrossing targetCrossing `json:"mean_crossing"`
}

// newTargetAnswer is out's answer for a search up to adoption maxAdopt:
// the conservative answer's keys are null when it was not found.
func newTargetAnswer(out *target.Outcome, maxAdopt float64) targetAnswer {
	nan := output.Num(math.NaN())
	x := out.Mean
	a := targetAnswer{MaxAdoption: maxAdopt, Found: out.Found,
		Adoption: nan, BracketLo: nan, BracketHi: nan, Mean: nan, CILo: nan, CIHi: nan, Bound: nan,
		MeanCrossing: targetCrossing{Found: x.Found, Adoption: output.Num(x.Adoption), CILo: output.Num(x.Lo), CIHi: output.Num(x.Hi),
			BracketLo: output.Num(x.BracketLo), BracketHi: output.Num(x.BracketHi), CIMethod: x.Method, Draws: x.Draws,
			AboveMax: output.Num(x.AboveMax)}}
	if out.Found {
		p := out.At
		a.Adoption, a.BracketLo, a.BracketHi = output.Num(out.Answer), output.Num(out.BracketLo), output.Num(out.Answer)
		a.Mean, a.CILo, a.CIHi, a.Bound = output.Num(p.Mean), output.Num(p.Lo), output.Num(p.Hi), output.Num(p.Bound)
	}
	return a
}

func (t *targetRun) summaryJSON(out *target.Outcome, files []string) ([]byte, error) {
	s := targetSummary{
		Scenario: t.sc.Name, Seed: t.sc.Seed, Agents: t.sc.Population.Size, Days: t.sc.Days,
		Arm: t.armN, Goal: t.goal.String(), Metric: t.goal.Metric.Name,
		Replicates: out.Replicates, Confidence: t.cfg.Confidence, Tolerance: t.cfg.Tolerance,
		Precision: t.cfg.Precision, MaxReplicates: max(t.cfg.MaxReplicates, t.cfg.Replicates),
		targetAnswer: newTargetAnswer(out, t.cfg.Max),
		Best:         targetBestRow{output.Num(out.Best.Adoption), output.Num(out.Best.Mean), output.Num(out.Best.Bound)},
		Probes:       len(out.Points),
		Warnings:     append([]string{}, out.Warnings...),
		Notes:        append([]string{}, out.Notes...),
		Files:        slices.Sorted(slices.Values(files)),
	}
	if t.cfg.Precision <= 0 {
		s.MaxReplicates = t.cfg.Replicates
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
