package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/georun"
	"github.com/bluesim/bluesim/sweeprun"
)

func init() { register("", newMergeCommand) }

// newMergeCommand combines sweep shard folders.
func newMergeCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "merge DIR...",
		Short: "Combine the shard folders of a sweep, or of a province-by-province run, into the whole",
		Long: `merge reads the folders that "bluesim sweep --shard" wrote (each DIR is a
shard folder, or a folder holding shard-i-of-n folders), checks that they
come from the same sweep (same scenario hash) and that every task is there
exactly once, and writes to --out what a whole run would have written, byte
for byte: tables/sweep_runs.*, tables/sweep_summary.*, manifest.json and the
report (summary.json, plots/, report.html).
With a single DIR, --out defaults to it.

Shard folders of a census area run province by province ("bluesim run
vietnam --shard i/n") are merged likewise, every province exactly once,
into the run folder of the whole area: summary.json, tables/ (national
tables, by_area per province), plots/ and report.html, byte for byte what
the run without shards writes.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("merge needs at least one folder")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := a.str("out")
			if out == "" {
				if len(args) != 1 {
					return usagef("merging %d folders: say where with --out", len(args))
				}
				out = args[0]
			}
			dirs, err := sweeprun.FindFolders(args)
			if err != nil {
				return asUsage(err)
			}
			if georun.IsShard(dirs[0]) {
				for _, d := range dirs[1:] {
					if !georun.IsShard(d) {
						return usagef("%s is a shard of a province-by-province run, %s is not: merge the shards of one run", dirs[0], d)
					}
				}
				return a.mergeProvinces(dirs, out)
			}
			for _, d := range dirs[1:] {
				if georun.IsShard(d) {
					return usagef("%s is a shard of a province-by-province run, %s is not: merge the shards of one run", d, dirs[0])
				}
			}
			m, err := sweeprun.Merge(dirs, out)
			if err != nil {
				return asUsage(err)
			}
			fmt.Fprintf(a.stdout, "merged %d folders: %d tasks (%d points x %d replicates) of %s into %s\n",
				len(dirs), m.TotalTasks, m.Points, m.Replicates, m.Scenario, filepath.Join(out, sweeprun.TablesDir))
			_, err = a.writeSweepReport(out)
			return err
		},
	}
	cmd.Flags().String("out", "", "folder for the merged tables (default: the DIR, when only one is given)")
	return cmd
}
