package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/bluesim/bluesim/internal/outdir"
	"github.com/bluesim/bluesim/scenarios"
)

// Exit codes, the contract scripts rely on (DESIGN.md, "Command line").
const (
	exitOK        = 0
	exitFailure   = 1
	exitUsage     = 2
	exitThreshold = 3
)

// usageError marks bad flags, arguments or input files: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error (exit 2) with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// asUsage marks err as a usage error unless it is nil.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	return &usageError{err}
}

// thresholdError means the run worked but missed a threshold the user set:
// exit code 3.
type thresholdError struct{ msg string }

func (e *thresholdError) Error() string { return e.msg }

// exitCode maps err to the process exit code and prints it to stderr.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "bluesim: %v\n", err)
	var ue *usageError
	var te *thresholdError
	switch {
	case errors.As(err, &te):
		return exitThreshold
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailure
}

// app is what every subcommand shares: the output streams, the context
// (cancelled on Ctrl-C) and the viper instance that layers flags over
// BLUESIM_* environment variables over an optional config file.
type app struct {
	ctx            context.Context
	stdout, stderr io.Writer
	v              *viper.Viper
	getenv         func(string) string
	// environ lists the environment (os.Environ when nil), for the check
	// that every BLUESIM_ variable names a setting.
	environ func() []string
}

// commandCtor builds one subcommand. Subcommand files register theirs with
// register in an init function, so that adding a command touches one file.
type commandCtor func(a *app) *cobra.Command

var registered = map[string][]commandCtor{}

// register adds a subcommand under parent ("" for top level, "ids", "bench").
func register(parent string, ctor commandCtor) {
	registered[parent] = append(registered[parent], ctor)
}

// addChildren attaches the commands registered under name to cmd.
func (a *app) addChildren(cmd *cobra.Command, name string) {
	for _, ctor := range registered[name] {
		cmd.AddCommand(ctor(a))
	}
}

// run is the whole CLI: it parses args, runs the chosen subcommand and
// returns its error. It never calls os.Exit, so tests run it in process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &app{ctx: ctx, stdout: stdout, stderr: stderr, v: viper.New(), getenv: os.Getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err != nil && cmd != nil && !a.started(cmd) {
		// Cobra failed before the command ran: an unknown command, a bad
		// flag, or wrong arguments.
		return asUsage(err)
	}
	return err
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "bluesim",
		Short: "Simulate BLE contact-tracing apps and load-test their key servers",
		Long: `bluesim simulates a population whose phones run the real rotation and
matching code of Bluezone, GAEN and DP-3T over a modelled BLE radio, and
compares what the apps detect with what really happened. It also ships a
reference key server and a load generator.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.PersistentFlags().String("config", "", "optional config file (YAML or JSON): the command's flag names as keys (also BLUESIM_CONFIG)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return a.bindSettings(cmd)
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError(err) })
	a.addChildren(root, "")
	return root
}

func mergeAnnotations(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// started reports whether cmd got past flag parsing and setting binding.
func (a *app) started(cmd *cobra.Command) bool {
	return cmd.Annotations["started"] == "true"
}

// Setting getters read the layered value of a flag.
func (a *app) str(name string) string       { return a.v.GetString(name) }
func (a *app) integer(name string) int      { return a.v.GetInt(name) }
func (a *app) float(name string) float64    { return a.v.GetFloat64(name) }
func (a *app) boolean(name string) bool     { return a.v.GetBool(name) }
func (a *app) strings(name string) []string { return a.v.GetStringSlice(name) }

// changed reports whether a setting was given: on the command line, in
// the environment or in the config file (bindSettings sets the flag from
// the latter two).
func (a *app) changed(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	return f != nil && f.Changed
}

// requireOneOf returns a usage error unless exactly one of names was set.
func (a *app) requireOneOf(cmd *cobra.Command, names ...string) (string, error) {
	var set []string
	for _, n := range names {
		if a.changed(cmd, n) {
			set = append(set, n)
		}
	}
	if len(set) != 1 {
		return "", usagef("give exactly one of --%s", strings.Join(names, " or --"))
	}
	return set[0], nil
}

// noArgs rejects positional arguments with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// commandNames lists the registered subcommand names under parent, sorted;
// tests use it to check the README documents every command.
func commandNames(parent string) []string {
	a := &app{v: viper.New(), getenv: os.Getenv}
	var names []string
	for _, ctor := range registered[parent] {
		names = append(names, ctor(a).Name())
	}
	slices.Sort(names)
	return names
}

// atMostOneScenario accepts zero or one positional argument: a scenario
// file or a built-in name.
func atMostOneScenario(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usagef("%s takes at most one scenario (a file or a built-in name), got %d", cmd.Name(), len(args))
	}
	return nil
}

// scenarioArg returns the scenario argument, or "" for the default.
func scenarioArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return ""
}

// prepareOut checks the --out folder before any simulation (see package
// internal/outdir): it must be creatable and writable, and hold nothing
// but an earlier bluesim output unless --force is given. Its errors are
// usage errors (exit 2) that name the folder.
func (a *app) prepareOut(dir string) (*outdir.Folder, error) {
	f, err := outdir.Prepare(dir, a.boolean("force"))
	if err != nil {
		return nil, usagef("--out %s: %v", dir, err)
	}
	return f, nil
}

// noteRenames prints a line on stderr for each arm an override renamed
// because its name gave a value the override changed.
func (a *app) noteRenames(rs []scenarios.Rename) {
	for _, r := range rs {
		fmt.Fprintf(a.stderr, "note: %s\n", r)
	}
}
