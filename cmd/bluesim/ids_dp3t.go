package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/tracing/dp3t"
)

func init() { register("ids", newIDsDP3TCommand) }

// newIDsDP3TCommand prints DP-3T low-cost EphIDs from a day seed SK_t.
func newIDsDP3TCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dp3t --sk HEX [--count 96] [--unshuffled] [--epoch-minutes 15]",
		Short: "Print DP-3T ephemeral IDs (EphIDs) from a day seed SK_t",
		Long: `dp3t derives the EphIDs a phone running DP-3T's low-cost design broadcasts on
the day whose seed is --sk: AES-256-CTR keyed with HMAC-SHA256(SK_t,
"broadcast key"), cut into 16-byte EphIDs, one per epoch of --epoch-minutes
(96 a day by default).

By default each line is the slot (the epoch index in the UTC day), a tab, and
the EphID broadcast in that slot after bluesim's deterministic daily shuffle
(a Fisher-Yates shuffle seeded from the same PRG; the real SDK shuffled at
random). With --unshuffled each line is the EphID's index in generation order
and the EphID, as the reference test vectors list them. The next day's seed
is SHA-256(SK_t).`,
		Example: `  bluesim ids dp3t --sk 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925 --unshuffled --count 3`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIDsDP3T(a, cmd)
		},
	}
	f := cmd.Flags()
	f.String("sk", "", "day seed SK_t, 64 hex digits (32 bytes)")
	f.Int("count", 96, "number of EphIDs to print, from the first (1..EphIDs per day)")
	f.Bool("unshuffled", false, "print in generation order (the test vectors' order) instead of broadcast order")
	f.Int("epoch-minutes", dp3t.DefaultEpochMinutes, "epoch length L in minutes; must divide 1440 (15 gives 96 EphIDs a day)")
	return cmd
}

func runIDsDP3T(a *app, cmd *cobra.Command) error {
	if !a.changed(cmd, "sk") {
		return usagef("--sk is required: the day seed SK_t as 64 hex digits")
	}
	sk, err := dp3t.ParseKeyHex(a.str("sk"))
	if err != nil {
		return usagef("--sk: want 64 hex digits (32 bytes): %v", err)
	}
	minutes, err := strconv.Atoi(strings.TrimSpace(a.str("epoch-minutes")))
	if err != nil {
		return usagef("--epoch-minutes %q: want a whole number of minutes that divides 1440", a.str("epoch-minutes"))
	}
	params := dp3t.Params{EpochMinutes: minutes}
	if err := params.Validate(); err != nil {
		return usagef("--epoch-minutes %d: want a whole number of minutes that divides 1440, such as 15 or 5", minutes)
	}
	n := params.IDsPerDay()
	count := n
	if a.changed(cmd, "count") {
		count, err = strconv.Atoi(strings.TrimSpace(a.str("count")))
		if err != nil || count < 1 || count > n {
			return usagef("--count %q: want a whole number in 1..%d (EphIDs per day)", a.str("count"), n)
		}
	}
	g, err := dp3t.NewGenerator(n)
	if err != nil {
		return err
	}
	g.Derive(&sk)
	w := bufio.NewWriter(a.stdout)
	for i := range count {
		id := g.InSlot(i)
		if a.boolean("unshuffled") {
			id = g.ID(i)
		}
		fmt.Fprintf(w, "%d\t%s\n", i, id.Hex(dp3t.IDLen))
	}
	return w.Flush()
}
