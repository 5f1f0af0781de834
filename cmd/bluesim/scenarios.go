package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/agents/geo"
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
			if err := printAreas(a.stdout, &l.Scenario); err != nil {
				return err
			}
			_, err = a.stdout.Write(out)
			return err
		},
	}
	cmd.Flags().String("show", "", "print this built-in scenario (or file) fully resolved, with comments")
	cmd.Flags().StringArray("set", nil, "override a scenario key: path.to.key=value (repeatable)")
	return cmd
}

// printAreas prints, as YAML comments, a census population's areas: the
// census figure, the people simulated at the scenario's scale, the urban
// share and the expected smartphone ownership of each.
func printAreas(w io.Writer, sc *scenarios.Scenario) error {
	infos, err := sc.Population.AreaInfos()
	if err != nil || infos == nil {
		return err
	}
	var census, people int
	for _, in := range infos {
		census += in.Census
		people += in.People
	}
	fmt.Fprintf(w, "#\n# Census area %s: %s people at the census of 1 April 2019,\n", sc.Population.Area, thousandsSep(census))
	fmt.Fprintf(w, "# %s simulated at scale %v, in %d %s areas.\n", thousandsSep(people), sc.Population.Scale, len(infos), levelsOf(infos))
	fmt.Fprintf(w, "# Source: %s.\n#\n", geo.Sources)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "#   area\tname\tprovince\tcensus\tsimulated\turban %%\tsmartphone owners\n")
	for _, in := range infos {
		fmt.Fprintf(tw, "#   %s\t%s\t%s\t%s\t%s\t%.1f\t%.1f %%\n", in.Slug, in.Name, in.Province, thousandsSep(in.Census),
			thousandsSep(in.People), 100*float64(in.CensusUrban)/float64(in.Census), 100*in.Ownership)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s#\n", b.String())
	return err
}

func levelsOf(infos []agents.AreaInfo) string {
	var ls []string
	for _, in := range infos {
		if !slices.Contains(ls, in.Level) {
			ls = append(ls, in.Level)
		}
	}
	return strings.Join(ls, " and ")
}

// thousandsSep writes n with comma thousands separators: 1,780,393.
func thousandsSep(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
