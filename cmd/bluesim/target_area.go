package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/internal/outdir"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/sim/target"
	"github.com/bluesim/bluesim/table"
)

// Files of a per-area target search, under --out.
const (
	targetAreaTable       = "target_by_area"
	targetAreaPointsTable = "target_area_points"
)

// areaTarget is one area's search.
type areaTarget struct {
	slug, name string
	max        float64
	out        *target.Outcome
}

// areaSearches checks a per-area search's scenario, goal and --area
// flags and returns the areas to search, each with its adoption limit.
func (t *targetRun) areaSearches(cmd *cobra.Command) ([]*areaTarget, error) {
	sc := &t.sc
	if !sc.Population.Geographic() {
		return nil, usagef("--by-area needs a census population (population.area, e.g. the built-in nam-dinh)")
	}
	if err := target.CheckAreaGoal(t.goal); err != nil {
		return nil, usagef("--goal %s: %v", t.goal, err)
	}
	infos, err := sc.Population.AreaInfos()
	if err != nil {
		return nil, asUsage(err)
	}
	var all []string
	for _, in := range infos {
		all = append(all, in.Slug)
	}
	want, _ := cmd.Flags().GetStringArray("area")
	for _, w := range want {
		if !slices.Contains(all, w) {
			return nil, usagef("--area %s: unknown area%s (areas of %s: %s)", w, check.Suggest(w, all), sc.Population.Area, strings.Join(all, ", "))
		}
	}
	var searches []*areaTarget
	for _, in := range infos {
		if len(want) > 0 && !slices.Contains(want, in.Slug) {
			continue
		}
		max, err := target.AreaMaxAdoption(sc, in.Slug)
		if err != nil {
			return nil, asUsage(err)
		}
		searches = append(searches, &areaTarget{slug: in.Slug, name: in.Name, max: max})
	}
	return searches, nil
}

// runTargetByArea runs one install-target search per area of a census
// population: in each, the arm runs alone with that area's adoption set to
// the probe (adoption_by_area) and the others as the scenario has them,
// and the goal is judged on the area's own row of the result (its
// residents' close contacts and notifications). folder is the --out
// folder Prepare accepted.
func (a *app) runTargetByArea(t *targetRun, searches []*areaTarget, opts []sim.Option, folder *outdir.Folder) error {
	sc := &t.sc
	var err error
	reps := t.cfg.Replicates
	more := ""
	if t.cfg.Precision > 0 && t.cfg.MaxReplicates > reps {
		more = fmt.Sprintf(" (up to %d for --precision %v)", t.cfg.MaxReplicates, t.cfg.Precision)
	}
	fmt.Fprintf(a.stderr, "target %s by area: %s for arm %s in %d areas, each searched alone (others as the scenario has them), %s per point%s, tolerance %v: %d people, %d days, seed %d -> %s\n",
		sc.Name, t.goal, t.armN, len(searches), plural(reps, "replicate"), more, t.cfg.Tolerance, sc.Population.Size, sc.Days, sc.Seed, t.dir)
	probes := t.cfg.MaxProbes()
	prog := newProgress(a.stderr, len(searches)*probes*reps)
	spent := 0 // runs the finished areas' searches may have made
	for si, s := range searches {
		cfg := t.cfg
		cfg.Max = s.max
		cfg.Enlarge = "population.scale or days"
		cfg.Why = "tables/by_area's unestimable column says why"
		cfg.OnRound = func(width float64, next int) {
			prog.mu.Lock()
			defer prog.mu.Unlock()
			var w io.Writer = a.stderr
			if prog.bars != nil {
				w = prog.bars
			}
			what := "has no upper end below the area's ownership cap"
			if !math.IsNaN(width) {
				what = "is " + t.adoption(width) + " wide"
			}
			fmt.Fprintf(w, "%s: the mean crossing's interval %s, not narrower than --precision %v: running %d replicates at every probed adoption\n",
				s.slug, what, cfg.Precision, next)
			// This area's searches so far, this one at its new count, the
			// areas left at the starting count.
			prog.growTo(spent + probes*next + (len(searches)-si-1)*probes*reps)
		}
		cfg.OnPoint = func(p target.Point) {
			prog.mu.Lock()
			defer prog.mu.Unlock()
			var w io.Writer = a.stderr
			if prog.bars != nil {
				w = prog.bars
			}
			verdict := "not met"
			if p.Met {
				verdict = "met"
			}
			fmt.Fprintf(w, "%s probe %d: adoption %s: %s %s, %s: %s\n", s.slug, p.Order+1,
				t.adoption(p.Adoption), t.goal.Metric.Name, t.value(p.Mean), t.boundText(p), verdict)
		}
		eval := func(ctx context.Context, adoption float64, rep int) (target.Sample, error) {
			run, err := target.WithAreaAdoption(sc, t.arm, s.slug, adoption)
			if err != nil {
				return target.Sample{}, err
			}
			run.Seed = scenarios.ReplicateSeed(sc.Seed, rep)
			rp := prog.startRun(fmt.Sprintf("%s a=%s r%d", s.slug, t.adoption(adoption), rep+1), run.Days)
			r, err := sim.Run(ctx, run, append(opts, sim.WithProgress(rp.update))...)
			rp.finish(err)
			if err != nil {
				return target.Sample{}, err
			}
			return t.goal.Metric.AreaSample(r, t.armN, s.slug)
		}
		s.out, err = target.Search(a.ctx, cfg, eval)
		if err != nil {
			prog.wait()
			if errors.Is(err, context.Canceled) {
				return fmt.Errorf("interrupted before the search finished: nothing written, earlier outputs in %s are untouched", t.dir)
			}
			return fmt.Errorf("area %s: %w", s.slug, err)
		}
		spent += probes * s.out.Replicates
	}
	prog.wait()
	files, err := t.writeByArea(searches)
	if err != nil {
		return err
	}
	// target.json is written: an earlier output's other files go.
	if err := folder.Finish(files); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "area\tmean crossing\t%s interval\tconservative\tbracket\t%s there\tbound\n", pctLabel(t.cfg.Confidence), t.goal.Metric.Name)
	var missed, notes []string
	for _, s := range searches {
		o := s.out
		for _, w := range o.Warnings {
			fmt.Fprintf(a.stderr, "warning: %s: %s\n", s.slug, w)
		}
		for _, n := range o.Notes {
			notes = append(notes, fmt.Sprintf("note: %s: %s", s.slug, n))
		}
		cross, interval := "not met", ""
		if x := o.Mean; x.Found {
			cross = t.adoption(x.Adoption)
			switch {
			case !math.IsNaN(x.Lo) && !math.IsNaN(x.Hi):
				interval = t.adoption(x.Lo) + "–" + t.adoption(x.Hi)
			case !math.IsNaN(x.Lo):
				interval = "from " + t.adoption(x.Lo) + ", no upper end"
			default:
				interval = "none"
			}
		}
		if !o.Found {
			missed = append(missed, s.slug)
			fmt.Fprintf(tw, "%s\t%s\t%s\tnot met up to %s\t\tbest %s at %s\t%s\n", s.slug, cross, interval, t.adoption(s.max),
				t.value(o.Best.Mean), t.adoption(o.Best.Adoption), t.value(o.Best.Bound))
			continue
		}
		br := t.adoption(o.BracketLo) + "–" + t.adoption(o.Answer)
		if math.IsNaN(o.BracketLo) {
			br = "met without the app"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.slug, cross, interval, t.adoption(o.Answer), br, t.value(o.At.Mean), t.value(o.At.Bound))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "goal %s for arm %s: the mean crossing is where the area's mean curve meets it, its interval resamples the index cases "+
		"of each replicate (each with its contacts living in the area); the conservative answer is judged on the %s; "+
		"each area searched with the others as the scenario has them\n", t.goal, t.armN, t.boundName())
	for _, n := range notes {
		fmt.Fprintln(a.stdout, n)
	}
	fmt.Fprintf(a.stdout, "wrote %s: %s\n", t.dir, strings.Join(files, ", "))
	if len(missed) > 0 {
		return &thresholdError{msg: fmt.Sprintf("target: %s for arm %s is not met in %s even at its smartphone ownership", t.goal, t.armN, strings.Join(missed, ", "))}
	}
	return nil
}

// targetAreaRow is one area of target.json's by_area list.
type targetAreaRow struct {
	Area string `json:"area"`
	Name string `json:"name"`
	// The area's answer: its conservative answer and where its mean curve
	// meets the goal (as target.json's).
	targetAnswer
	Replicates int      `json:"replicates"`
	Probes     int      `json:"probes"`
	Warnings   []string `json:"warnings"`
	Notes      []string `json:"notes"`
}

// writeByArea writes target.json (with a by_area list), the tables
// target_by_area and target_area_points and the figure target_by_area.
func (t *targetRun) writeByArea(searches []*areaTarget) ([]string, error) {
	rows := table.Table{Name: targetAreaTable, Columns: cols(
		"area", table.String, "name", table.String, "max_adoption", table.Float, "found", table.Int,
		"adoption", table.Float, "bracket_lo", table.Float, "bracket_hi", table.Float,
		"mean", table.Float, "ci_lo", table.Float, "ci_hi", table.Float, "bound", table.Float,
		"mean_crossing", table.Float, "mean_crossing_ci_lo", table.Float, "mean_crossing_ci_hi", table.Float,
		"replicates", table.Int, "probes", table.Int)}
	points := table.Table{Name: targetAreaPointsTable, Columns: cols(
		"area", table.String, "probe", table.Int, "adoption", table.Float, "replicates", table.Int,
		"mean", table.Float, "sd", table.Float, "ci_lo", table.Float, "ci_hi", table.Float, "bound", table.Float, "met", table.Int)}
	var js []targetAreaRow
	var figRows []plots.AreaTarget
	for _, s := range searches {
		o := s.out
		x := o.Mean
		row := targetAreaRow{Area: s.slug, Name: s.name, targetAnswer: newTargetAnswer(o, s.max),
			Replicates: o.Replicates, Probes: len(o.Points),
			Warnings: append([]string{}, o.Warnings...), Notes: append([]string{}, o.Notes...)}
		crossing := math.NaN()
		if x.Found {
			crossing = x.Adoption
		}
		found := 0
		if o.Found {
			found = 1
		}
		js = append(js, row)
		rows.Rows = append(rows.Rows, []any{s.slug, s.name, s.max, found, float64(row.Adoption), float64(row.BracketLo),
			float64(row.BracketHi), float64(row.Mean), float64(row.CILo), float64(row.CIHi), float64(row.Bound),
			crossing, x.Lo, x.Hi, o.Replicates, len(o.Points)})
		byA := slices.Clone(o.Points)
		slices.SortStableFunc(byA, func(p, q target.Point) int { return cmpFloat(p.Adoption, q.Adoption) })
		for _, p := range byA {
			met := 0
			if p.Met {
				met = 1
			}
			points.Rows = append(points.Rows, []any{s.slug, p.Order + 1, p.Adoption, len(p.Values), p.Mean, p.SD, p.Lo, p.Hi, p.Bound, met})
		}
		figRows = append(figRows, plots.AreaTarget{Area: s.slug, Name: s.name, Found: o.Found, Answer: o.Answer, BracketLo: o.BracketLo, Max: s.max,
			Crossing: crossing, CrossingLo: x.Lo, CrossingHi: x.Hi})
	}
	fig, err := plots.TargetByAreaFigure(fmt.Sprintf("Adoption each area needs for %s, arm %s", t.goal, t.armN), t.goal.String(), figRows)
	if err != nil {
		return nil, err
	}
	files, err := writeTargetFiles(t.dir, []table.Table{rows, points}, fig)
	if err != nil {
		return nil, err
	}
	summary := struct {
		Scenario   string          `json:"scenario"`
		Seed       uint64          `json:"seed"`
		Agents     int             `json:"agents"`
		Days       int             `json:"days"`
		Arm        string          `json:"arm"`
		Goal       string          `json:"goal"`
		Metric     string          `json:"metric"`
		Replicates int             `json:"replicates"`
		Confidence float64         `json:"confidence"`
		Tolerance  float64         `json:"tolerance"`
		Precision  float64         `json:"precision"`
		MaxReps    int             `json:"max_replicates"`
		ByArea     []targetAreaRow `json:"by_area"`
		// Files are the folder's files, this one included: after the
		// search the folder holds exactly these.
		Files []string `json:"files"`
	}{t.sc.Name, t.sc.Seed, t.sc.Population.Size, t.sc.Days, t.armN, t.goal.String(), t.goal.Metric.Name,
		t.cfg.Replicates, t.cfg.Confidence, t.cfg.Tolerance, t.cfg.Precision, max(t.cfg.MaxReplicates, t.cfg.Replicates), js,
		slices.Sorted(slices.Values(files))}
	b, err := json.MarshalIndent(summary, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(t.dir, targetSummaryFile), append(b, '\n'), atomicfile.Output); err != nil {
		return nil, err
	}
	return files, nil
}

// cols builds table columns from name, kind pairs.
func cols(spec ...any) []table.Column {
	out := make([]table.Column, 0, len(spec)/2)
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, table.Column{Name: spec[i].(string), Kind: spec[i+1].(table.Kind)})
	}
	return out
}
