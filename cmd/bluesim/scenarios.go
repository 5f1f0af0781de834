package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/scenarios"
)

func init() { register("", newScenariosCommand) }

// newScenariosCommand lists the built-in scenarios or prints one resolved.
func newScenariosCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios [--show NAME|FILE]",
		Short: "List the built-in scenarios, or print one fully resolved with comments",
		Long: `scenarios lists the built-in scenarios with a line on what each is for.

With --show it prints one scenario (a built-in name or a file) fully
resolved: every key, defaults included, each with the comment that explains
it, after base:, the file and any --set overrides are applied. The output
is itself a valid scenario file: save it, edit it, run it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name := a.str("show")
			if name == "" {
				list, err := scenarios.Builtins()
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				for _, b := range list {
					def := ""
					if b.Name == scenarios.DefaultName {
						def = " (default)"
					}
					fmt.Fprintf(tw, "%s\t%s%s\n", b.Name, b.Description, def)
				}
				return tw.Flush()
			}
			l, err := scenarios.Resolve(name, scenarioSets(cmd)...)
			if err != nil {
				return asUsage(err)
			}
			a.noteRenames(l.Renamed)
			out, err := scenarios.Encode(l.Scenario, l.Sweep, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "# Scenario %q fully resolved from %s: every key, defaults included.\n", l.Scenario.Name, l.Source)
			fmt.Fprintf(a.stdout, "# Save it, edit it and run it: `bluesim run FILE`.\n")
			_, err = a.stdout.Write(out)
			return err
		},
	}
	cmd.Flags().String("show", "", "print this built-in scenario (or file) fully resolved, with comments")
	cmd.Flags().StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	return cmd
}
