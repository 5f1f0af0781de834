package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/georun"
	"github.com/bluesim/bluesim/internal/outdir"
	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
)

// provinceRunner simulates one province of an area run province by
// province; tests replace it to count or fail runs.
var provinceRunner = func(ctx context.Context, part scenarios.ProvincePart, opts ...sim.Option) (*sim.Result, error) {
	return sim.Run(ctx, part.Scenario, opts...)
}

// runProvinces runs a census area simulated one province per run (the
// built-in vietnam): the provinces of --shard i/n (or of the shard the
// environment names), or all of them. A shard writes its provinces'
// results to OUT/shard-i-of-n for bluesim merge; the whole area is
// combined and written as one run folder.
func (a *app) runProvinces(cmd *cobra.Command, sc scenarios.Scenario, dir string, opts []sim.Option) error {
	shard, err := a.sweepShard(cmd)
	if err != nil {
		return err
	}
	plan, err := georun.NewPlan(sc)
	if err != nil {
		return asUsage(err)
	}
	parts, err := plan.Shard(shard)
	if err != nil {
		return usagef("--shard %s: %v", shard, err)
	}
	people := 0
	for _, p := range parts {
		people += p.People
	}
	// The folder is checked before any simulation: a shard's own, or the
	// whole area's run folder.
	out := dir
	if shard.Count > 1 {
		out = filepath.Join(dir, shard.Dir())
	}
	folder, err := a.prepareOut(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "run %s: %d of %d provinces (shard %s), %d people, %d days, %d arms -> %s\n",
		sc.Name, len(parts), len(plan.Parts), shard, people, sc.Days, len(sc.Arms), dir)
	prog := newProgress(a.stderr, len(parts))
	results, err := georun.Run(a.ctx, parts, func(ctx context.Context, p scenarios.ProvincePart) (*sim.Result, error) {
		rp := prog.startRun(p.Province, p.Scenario.Days)
		r, err := provinceRunner(ctx, p, append(opts, sim.WithProgress(rp.update))...)
		rp.finish(err)
		return r, err
	})
	prog.wait()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted after %d of %d provinces: nothing written, earlier outputs in %s are untouched", len(results), len(parts), dir)
		}
		return err
	}
	if shard.Count > 1 {
		m, err := georun.WriteShard(out, plan, shard, parts, results)
		if err != nil {
			return err
		}
		// The manifest is written: an earlier output's other files go.
		if err := folder.Finish(m.Files); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s: %d provinces of shard %s written (scenario hash %.12s)\n", out, len(parts), shard, plan.Hash)
		fmt.Fprintf(a.stdout, "when every shard has finished: bluesim merge %s\n", dir)
		return nil
	}
	r, err := plan.Combine(results)
	if err != nil {
		return err
	}
	return a.writeRun(dir, sc, r, folder)
}

// writeRun writes a run folder and prints its summary. folder, when not
// nil, is the --out folder Prepare accepted: once summary.json is written,
// the earlier output's files it does not list go.
func (a *app) writeRun(dir string, sc scenarios.Scenario, r *sim.Result, folder *outdir.Folder) error {
	s, err := output.WriteRun(a.ctx, dir, r, output.WithScenario(sc), output.WithRenderer(plots.Renderer{}))
	if s != nil && folder != nil {
		if ferr := folder.Finish(s.Files); ferr != nil && err == nil {
			err = ferr
		}
	}
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
	if w := areaUnestimableWarning(r); w != "" {
		fmt.Fprintln(a.stderr, w)
	}
	return printRunSummary(a, dir, s)
}

// mergeProvinces combines province shard folders into one run folder.
func (a *app) mergeProvinces(dirs []string, out string) error {
	sc, r, err := georun.Merge(dirs)
	if err != nil {
		return asUsage(err)
	}
	fmt.Fprintf(a.stderr, "merged %d province shards of %s: %d provinces, %d people\n", len(dirs), sc.Name, len(r.Areas)/max(1, len(r.Arms)), r.Agents)
	// Like a sweep's merge, into the folder that holds the shards: its
	// shard folders stay, so the folder is not cleared.
	return a.writeRun(out, *sc, r, nil)
}

// areaUnestimableWarning is the one warning line for a census run whose
// by_area rows have shares too few index cases contribute to, or "".
func areaUnestimableWarning(r *sim.Result) string {
	rows := output.Areas(r)
	n := 0
	for _, a := range rows {
		if len(a.Unestimable) > 0 {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("warning: %d of %d by_area rows (arm and area) have too few index cases with contacts there to estimate "+
		"coverage, capture or precision: they are empty in tables/by_area.csv, whose unestimable column says why "+
		"(raise population.scale or days)", n, len(rows))
}
