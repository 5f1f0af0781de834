package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/tracing/bluezone"
)

func init() { register("ids", newIDsBluezoneCommand) }

// newIDsBluezoneCommand prints Bluezone v2 rolling IDs from a daily key.
func newIDsBluezoneCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bluezone --daily-key HEX --day YYYY-MM-DD [--slots 96] (--at RFC3339 | --from K [--count N])",
		Short: "Print Bluezone v2 rolling IDs from a daily key",
		Long: `bluezone derives, from a Bluezone daily key (or a base key on its creation
day), the 12-byte rolling IDs a phone advertises that UTC day: the day's first
sub-key is SHA256(daily key || "bluzonesubkey"), each later slot's sub-key the
SHA-256 of the previous one, and an ID is the sub-key's bytes at offsets
0,4,8,12,16,18,20,22,24,26,28,30. Each line is: slot, tab, ID in hex.

--day is the key's UTC day; slots start at its UTC midnight and are
86400 s / --slots long (96: 15 minutes, 144: 10 minutes). Give --at for the
one ID in force at an instant of that day, or --from K for the IDs of slots
K, K+1, ... (--count of them; default: to the end of the day).`,
		Example: `  bluesim ids bluezone --daily-key 4c5224b397f8ab3896781d5aa0f3119f280513f1b592ca280ebded6357e21084 --day 2020-08-08 --from 0 --count 2`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIDsBluezone(a, cmd)
		},
	}
	f := cmd.Flags()
	f.String("daily-key", "", "daily key (or base key) of --day, 64 hex digits (32 bytes)")
	f.String("day", "", "the key's UTC day, YYYY-MM-DD")
	f.Int("slots", bluezone.DefaultSlotsPerDay, "slots (IDs) per day; must divide the day evenly (96 = 15 min, 144 = 10 min)")
	f.String("at", "", "print the one ID in force at this instant of --day (RFC3339, e.g. 2020-08-08T09:30:00Z)")
	f.Int("from", 0, "print IDs from this slot of --day (0 = the slot starting at 00:00 UTC)")
	f.Int("count", 0, "with --from, the number of slots to print (default: to the end of the day)")
	return cmd
}

func runIDsBluezone(a *app, cmd *cobra.Command) error {
	if !a.changed(cmd, "daily-key") {
		return usagef("--daily-key is required: the daily key as 64 hex digits (32 bytes)")
	}
	key, err := bluezone.ParseKey(strings.TrimSpace(a.str("daily-key")))
	if err != nil {
		return usagef("--daily-key: %v", err)
	}
	if !a.changed(cmd, "day") {
		return usagef("--day is required: the key's UTC day as YYYY-MM-DD")
	}
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(a.str("day")))
	if err != nil {
		return usagef("--day %q: want a date as YYYY-MM-DD", a.str("day"))
	}
	slots, err := strconv.Atoi(strings.TrimSpace(a.str("slots")))
	if err != nil {
		return usagef("--slots %q: want a whole number of slots per day such as 96 or 144", a.str("slots"))
	}
	p, err := bluezone.New(bluezone.Params{SlotsPerDay: slots})
	if err != nil {
		return usagef("--slots %d: want a number of slots that divides the day evenly, from 1 to 86400 (96 = 15 min, 144 = 10 min)", slots)
	}
	dev, err := p.DeviceFromDailyKey(key[:], day)
	if err != nil {
		return usagef("--daily-key: %v", err)
	}
	dayNo := dev.KeyDayNumber()

	atSet, fromSet := a.changed(cmd, "at"), a.changed(cmd, "from")
	if atSet == fromSet {
		return usagef("give exactly one of --at RFC3339 (the ID at an instant) or --from K (IDs from slot K on)")
	}
	first, count := 0, 0
	if atSet {
		if a.changed(cmd, "count") {
			return usagef("--count goes with --from, not with --at")
		}
		at, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(a.str("at")))
		if err != nil {
			return usagef("--at %q: want an RFC3339 instant such as 2020-08-08T09:30:00Z", a.str("at"))
		}
		d, slot := dev.Slot(at.UnixMilli())
		if d != dayNo {
			return usagef("--at %s is outside the key's day %s (00:00 to 24:00 UTC)", a.str("at"), day.Format(time.DateOnly))
		}
		first, count = slot, 1
	} else {
		first, err = strconv.Atoi(strings.TrimSpace(a.str("from")))
		if err != nil || first < 0 || first >= slots {
			return usagef("--from %q: want a slot number in 0..%d", a.str("from"), slots-1)
		}
		count = slots - first
		if a.changed(cmd, "count") {
			count, err = strconv.Atoi(strings.TrimSpace(a.str("count")))
			if err != nil || count < 1 {
				return usagef("--count %q: want a whole number of slots, at least 1", a.str("count"))
			}
			if first+count > slots {
				return usagef("--from %d with --count %d runs past the day's last slot %d; lower --count to at most %d",
					first, count, slots-1, slots-first)
			}
		}
	}

	ids, err := dev.DayIDs(dayNo)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(a.stdout)
	for slot := first; slot < first+count; slot++ {
		fmt.Fprintf(w, "%d\t%s\n", slot, ids[slot].Hex(bluezone.IDLen))
	}
	return w.Flush()
}
