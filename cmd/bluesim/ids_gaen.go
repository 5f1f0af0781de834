package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/tracing/gaen"
)

func init() { register("ids", newIDsGAENCommand) }

// newIDsGAENCommand prints GAEN RPIs and AEMs from a TEK.
func newIDsGAENCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gaen --tek HEX --interval ENIN [--count 144] [--tx-power DBM] [--version BYTE]",
		Short: "Print GAEN rolling proximity identifiers and encrypted metadata from a TEK",
		Long: `gaen derives, from a temporary exposure key, the rolling proximity identifiers
(RPIs) a phone advertises, one per 10-minute ENIntervalNumber, with the
associated encrypted metadata (AEM) that carries the metadata version and TX
power. Each line is: interval, tab, RPI in hex, tab, AEM in hex.

--interval is the first ENIntervalNumber to print (floor(unix_seconds/600));
the intervals printed must lie in the key's rolling period, the 144 intervals
from 144*floor(interval/144). The defaults (--tx-power 8, --version 0x40) give
the metadata 40 08 00 00 of the published test vectors.`,
		Example: `  bluesim ids gaen --tek 75c734c6dd1a782de7a965da5eb93125 --interval 2642976 --count 3`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIDsGAEN(a, cmd)
		},
	}
	f := cmd.Flags()
	f.String("tek", "", "temporary exposure key, 32 hex digits (16 bytes)")
	f.Int64("interval", 0, "first ENIntervalNumber to print (floor(unix_seconds/600))")
	f.Int("count", gaen.TEKRollingPeriod, "number of intervals to print (1..144; default: to the end of the key's rolling period, 144 from an aligned --interval)")
	f.Int("tx-power", 8, "TX power level in the metadata, dBm (-127..127)")
	f.String("version", "0x40", "metadata version byte: 0x40 = v1.0, 0x50 = v1.1 (bits 3:2 calibration confidence)")
	return cmd
}

func runIDsGAEN(a *app, cmd *cobra.Command) error {
	if !a.changed(cmd, "tek") {
		return usagef("--tek is required: the temporary exposure key as 32 hex digits")
	}
	tek, err := gaen.ParseTEK(a.str("tek"))
	if err != nil {
		return usagef("--tek: want 32 hex digits (16 bytes): %v", err)
	}
	if !a.changed(cmd, "interval") {
		return usagef("--interval is required: the first ENIntervalNumber (floor(unix_seconds/600))")
	}
	interval, err := strconv.ParseInt(strings.TrimSpace(a.str("interval")), 10, 64)
	if err != nil || interval < 0 || interval > 1<<32-1 {
		return usagef("--interval %q: want an ENIntervalNumber in 0..4294967295", a.str("interval"))
	}
	first := uint32(interval)
	start := gaen.RollingStart(first)
	end := int64(start) + gaen.TEKRollingPeriod - 1
	count := int(end - int64(first) + 1) // default: to the end of the key's period
	if a.changed(cmd, "count") {
		count, err = strconv.Atoi(strings.TrimSpace(a.str("count")))
		if err != nil || count < 1 || count > gaen.TEKRollingPeriod {
			return usagef("--count %q: want a whole number in 1..%d", a.str("count"), gaen.TEKRollingPeriod)
		}
	}
	txPower, err := strconv.Atoi(strings.TrimSpace(a.str("tx-power")))
	if err != nil || txPower < -127 || txPower > 127 {
		return usagef("--tx-power %q: want a whole number of dBm in -127..127", a.str("tx-power"))
	}
	version, err := strconv.ParseUint(strings.TrimSpace(a.str("version")), 0, 8)
	if err != nil {
		return usagef("--version %q: want a byte such as 0x40 (v1.0) or 0x50 (v1.1)", a.str("version"))
	}
	md, err := gaen.NewMetadata(byte(version), txPower)
	if err != nil {
		return usagef("--version %q: %v", a.str("version"), err)
	}
	if last := int64(first) + int64(count) - 1; last > end {
		return usagef("--interval %d with --count %d runs to interval %d, past the key's rolling period %d..%d; lower --count to at most %d",
			first, count, int64(first)+int64(count)-1, start, end, end-int64(first)+1)
	}

	rpik, aemk := gaen.DeriveRPIK(tek), gaen.DeriveAEMK(tek)
	plain := md.Bytes()
	w := bufio.NewWriter(a.stdout)
	for j := range uint32(count) {
		enin := first + j
		rpi := gaen.RPI(rpik, enin)
		aem := gaen.CryptAEM(aemk, rpi, plain)
		fmt.Fprintf(w, "%d\t%s\t%s\n", enin, rpi.Hex(gaen.KeyLen), hex.EncodeToString(aem[:]))
	}
	return w.Flush()
}
