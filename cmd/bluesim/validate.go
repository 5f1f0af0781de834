package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/scenarios"
)

func init() { register("", newValidateCommand) }

// newValidateCommand checks scenario files without running them.
func newValidateCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files: unknown keys, wrong types, out-of-range values, contradictions",
		Long: `validate loads each scenario file (or built-in name) exactly as run and
sweep would, applying --set overrides, and reports every problem as
FILE:LINE:COLUMN: FIELD: MESSAGE, sorted by line, with the closest valid key
for a misspelled one. A valid file prints "FILE: ok" (with its sweep size
when it has a sweep block). The exit code is 2 if any file has a problem.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("validate needs at least one scenario file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sets := scenarioSets(cmd)
			bad := 0
			for _, file := range args {
				l, err := scenarios.Load(file, sets...)
				if err == nil {
					var plan *scenarios.Plan
					if plan, err = l.Plan(); err == nil {
						a.noteRenames(l.Renamed)
						a.noteRenames(plan.Renamed)
						fmt.Fprintf(a.stdout, "%s: ok%s\n", file, sweepSize(l, plan))
						continue
					}
				}
				bad++
				var list scenarios.ErrorList
				if errors.As(err, &list) {
					fmt.Fprintln(a.stderr, list.Error())
				} else {
					fmt.Fprintf(a.stderr, "%s: %v\n", file, err)
				}
			}
			if bad > 0 {
				return usagef("%d of %d scenario files have errors", bad, len(args))
			}
			return nil
		},
	}
	cmd.Flags().StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	return cmd
}

// sweepSize describes a plan's size for a sweep file ("" otherwise).
func sweepSize(l *scenarios.Loaded, plan *scenarios.Plan) string {
	if l.Sweep == nil {
		return ""
	}
	return fmt.Sprintf(" (sweep: %d points x %d replicates = %d tasks)", plan.Points, plan.Replicates, len(plan.Tasks))
}
