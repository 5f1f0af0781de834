package main

import "github.com/spf13/cobra"

func init() { register("", newBenchCommand) }

// newBenchCommand groups the built-in benchmarks (bench_*.go).
func newBenchCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure bluesim's hot paths against a baseline measured in the same run",
		Args:  noArgs,
	}
	a.addChildren(cmd, "bench")
	return cmd
}
