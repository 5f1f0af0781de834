package main

import "github.com/spf13/cobra"

func init() { register("", newIDsCommand) }

// newIDsCommand groups the per-protocol ID printers (ids_*.go).
func newIDsCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ids",
		Short: "Print a protocol's broadcast IDs from key material",
		Long: `ids prints the broadcast IDs a phone would advertise, derived with the
protocol's real cryptography from the key material you give, in lowercase hex,
one per line, each prefixed by its slot or interval number and a tab.`,
		Args: noArgs,
	}
	a.addChildren(cmd, "ids")
	return cmd
}
