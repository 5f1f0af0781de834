package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/bluesim/bluesim/tracing/keyserver/soak"
)

func init() { register("", newSoakCommand) }

// soakServerCommand runs "bluesim serve" for the soak: this executable
// (tests replace it with their helper process).
var soakServerCommand = func(args []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.Command(exe, args...), nil
}

func newSoakCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Kill the key server with SIGKILL again and again under uploads and check that nothing acknowledged is lost",
		Long: `soak starts "bluesim serve --dev" on --data (SQLite) or --db (PostgreSQL),
runs --publishers clients that upload 14 keys each and record every upload
the server acknowledges, kills the server with SIGKILL after a random time
between --min-up and --max-up, restarts it on the same data, --kills times.
Then it waits for an export covering the last upload and checks: every
acknowledged key is stored, every released key (the 13 past days of each
upload) is exported exactly once, no still-valid key (today's) is exported,
every export signature verifies, and, for SQLite, PRAGMA integrity_check.
It prints the report (--format text or json) and exits 1 if a check failed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.soak() },
	}
	f := cmd.Flags()
	f.Int("kills", 50, "how many times to kill the server")
	f.Int("publishers", 8, "clients uploading at once")
	f.String("min-up", "200ms", "shortest time the server runs before a kill")
	f.String("max-up", "2s", "longest time the server runs before a kill")
	f.String("data", "", "server data directory (default: a new temporary one)")
	f.String("db", "", "PostgreSQL URL instead of SQLite (use an empty database)")
	f.Uint64("seed", 1, "seed of the kill times")
	f.String("format", "text", "report format: text or json")
	return cmd
}

func (a *app) soak() error {
	d, err := a.durationFlags([]string{"min-up", "max-up"}, nil)
	if err != nil {
		return err
	}
	if d["max-up"] < d["min-up"] {
		return usagef("--max-up %v is shorter than --min-up %v", d["max-up"], d["min-up"])
	}
	for _, n := range []string{"kills", "publishers"} {
		if a.integer(n) < 1 {
			return usagef("--%s %d: want >= 1", n, a.integer(n))
		}
	}
	format := a.str("format")
	if format != "text" && format != "json" {
		return usagef("--format %q: want text or json", format)
	}
	dir := a.str("data")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "bluesim-soak-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	ctx := a.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var cmdErr error
	cfg := soak.Config{
		Command: func(args []string) *exec.Cmd {
			c, err := soakServerCommand(args)
			if err != nil {
				cmdErr = err
				return exec.Command("false")
			}
			return c
		},
		Data: dir, DB: a.str("db"), Kills: a.integer("kills"), Publishers: a.integer("publishers"),
		MinUp: d["min-up"], MaxUp: d["max-up"], Seed: a.v.GetUint64("seed"), Log: a.stderr,
	}
	start := time.Now()
	rep, err := soak.Run(ctx, cfg)
	if cmdErr != nil {
		return cmdErr
	}
	if err != nil {
		return err
	}
	if format == "json" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(a.stdout, string(b))
	} else {
		fmt.Fprintf(a.stdout, "bluesim soak: %v in %v\n", rep, time.Since(start).Round(time.Second))
	}
	if !rep.OK() {
		return fmt.Errorf("soak: acknowledged keys were lost, duplicated or leaked, or an export did not verify")
	}
	return nil
}
