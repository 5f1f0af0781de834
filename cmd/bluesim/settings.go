package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/internal/strictyaml"
)

// Settings come from three places besides the command line, and all of
// them go through one gate: the flag's own parser. A value the command
// line would refuse is refused from the environment or a config file too,
// with exit code 2 and a message that names where it came from (the
// variable, or the file and line), never a Go parse message.
//
//   - BLUESIM_<FLAG> environment variables (BLUESIM_WORKERS for --workers,
//     BLUESIM_SHARD_COUNT for --shard-count); an empty variable is unset.
//     A BLUESIM_ variable that no command has a setting for is an error (a
//     misspelling would otherwise be ignored), except BLUESIM_TEST_* and
//     BLUESIM_BENCH_*, which the test suite and benchmarks read.
//   - the --config file (or BLUESIM_CONFIG): a YAML (or JSON) mapping of
//     the running command's flag names to values, a list for a repeatable
//     flag such as set. A key the running command does not have is an
//     error.
//
// The command line wins over the environment, which wins over the file.

// envPrefix starts every environment variable bluesim reads.
const envPrefix = "BLUESIM_"

// envReserved are prefixes of variables that are not settings: the test
// suite's and the benchmarks' own.
var envReserved = []string{"BLUESIM_TEST_", "BLUESIM_BENCH_"}

// envName is the variable that stands for flag name: BLUESIM_SHARD_COUNT
// for shard-count.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// bindSettings fills every flag the command line did not give from its
// BLUESIM_* variable or, failing that, from the config file, then binds
// the flags to viper for the setting getters.
func (a *app) bindSettings(cmd *cobra.Command) error {
	flags := cmd.Flags()
	if err := a.checkEnvironment(cmd.Root()); err != nil {
		return err
	}
	cfg := map[string]configEntry{}
	file, err := a.configFile(flags)
	if err != nil {
		return err
	}
	if file != "" {
		if cfg, err = readConfig(file, cmd); err != nil {
			return err
		}
	}
	var setErr error
	flags.VisitAll(func(f *pflag.Flag) {
		if setErr != nil || f.Changed || !isSetting(f) {
			return
		}
		env := envName(f.Name)
		if v := a.getenv(env); v != "" {
			if err := flags.Set(f.Name, v); err != nil {
				setErr = usagef("%s=%s: %s (it sets --%s)", env, v, wantText(f, err), f.Name)
			}
			return
		}
		e, ok := cfg[f.Name]
		if !ok {
			return
		}
		for _, v := range e.values {
			if err := flags.Set(f.Name, v.Value); err != nil {
				setErr = usageAt(file, v, f.Name, wantText(f, err)+", got "+strconv.Quote(v.Value))
				return
			}
		}
	})
	if setErr != nil {
		return setErr
	}
	var bindErr error
	flags.VisitAll(func(f *pflag.Flag) {
		if err := a.v.BindPFlag(f.Name, f); err != nil && bindErr == nil {
			bindErr = err
		}
	})
	if bindErr != nil {
		return bindErr
	}
	cmd.Annotations = mergeAnnotations(cmd.Annotations, "started", "true")
	return nil
}

// isSetting reports whether a flag can come from the environment or a
// config file: every flag but --help and --config itself.
func isSetting(f *pflag.Flag) bool { return f.Name != "help" && f.Name != "config" }

// configFile returns the config file's path: --config, else BLUESIM_CONFIG.
func (a *app) configFile(flags *pflag.FlagSet) (string, error) {
	if f := flags.Lookup("config"); f != nil && f.Changed {
		if f.Value.String() == "" {
			return "", usagef("--config: give a file name")
		}
		return f.Value.String(), nil
	}
	return a.getenv(envName("config")), nil
}

// checkEnvironment refuses BLUESIM_* variables that no command has a
// setting for.
func (a *app) checkEnvironment(root *cobra.Command) error {
	environ := os.Environ
	if a.environ != nil {
		environ = a.environ
	}
	var names []string
	var collect func(c *cobra.Command)
	collect = func(c *cobra.Command) {
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if f.Name != "help" && !slices.Contains(names, envName(f.Name)) {
					names = append(names, envName(f.Name))
				}
			})
		}
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	collect(root)
	var unknown []string
	for _, kv := range environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, envPrefix) || v == "" || slices.Contains(names, k) {
			continue
		}
		if slices.ContainsFunc(envReserved, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		unknown = append(unknown, k)
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	k := unknown[0]
	msg := fmt.Sprintf("%s is set, but no bluesim command has that setting", k)
	if len(unknown) > 1 {
		msg += fmt.Sprintf(" (nor %s)", strings.Join(unknown[1:], ", "))
	}
	msg += ": a BLUESIM_ variable stands for the flag of the same name (BLUESIM_WORKERS for --workers)"
	if s, ok := check.Closest(k, names); ok {
		msg += fmt.Sprintf("; did you mean %s?", s)
	} else {
		msg += "; unset it or fix its name"
	}
	return usagef("%s", msg)
}

// configEntry is one key of a config file: its key node and its values
// (one, or several for a repeatable flag).
type configEntry struct {
	key    *yaml.Node
	values []*yaml.Node
}

// readConfig reads a config file strictly: a YAML (or JSON) mapping whose
// keys are flags of cmd and whose values are scalars, or lists of scalars
// for repeatable flags.
func readConfig(file string, cmd *cobra.Command) (map[string]configEntry, error) {
	switch ext := strings.ToLower(filepath.Ext(file)); ext {
	case ".yaml", ".yml", ".json", "":
	default:
		return nil, usagef("--config %s: want a YAML file (.yaml or .yml; JSON is YAML too), not %s", file, ext)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usagef("--config %s: %v", file, err)
	}
	root, errs := strictyaml.Parse(file, data, "config")
	if errs != nil {
		return nil, asUsage(errs.Err())
	}
	out := map[string]configEntry{}
	if root == nil {
		return out, nil
	}
	var valid []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if isSetting(f) {
			valid = append(valid, f.Name)
		}
	})
	slices.Sort(valid)
	var list strictyaml.ErrorList
	bad := func(n *yaml.Node, field, msg string) {
		list = append(list, &strictyaml.Error{File: file, Line: n.Line, Column: n.Column, Field: field, Msg: msg})
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := k.Value
		f := cmd.Flags().Lookup(name)
		switch {
		case k.Kind != yaml.ScalarNode:
			bad(k, "", "a key must be a flag name, got "+strictyaml.Describe(k))
			continue
		case name == "config":
			bad(k, name, "a config file cannot name another config file")
			continue
		case f == nil || !isSetting(f):
			msg := fmt.Sprintf("unknown setting %q for %s", name, cmd.CommandPath())
			if s, ok := check.Closest(name, valid); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			bad(k, "", msg+" (settings: "+strings.Join(valid, ", ")+")")
			continue
		}
		if _, dup := out[name]; dup {
			bad(k, name, "given twice")
			continue
		}
		e := configEntry{key: k}
		switch {
		case v.Kind == yaml.ScalarNode && !strictyaml.IsNull(v):
			e.values = []*yaml.Node{v}
		case v.Kind == yaml.SequenceNode && repeatable(f):
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode || strictyaml.IsNull(item) {
					bad(item, name, "want a value, got "+strictyaml.Describe(item))
					continue
				}
				e.values = append(e.values, item)
			}
		case v.Kind == yaml.SequenceNode:
			bad(v, name, "want one value, got a list (--"+name+" is not repeatable)")
			continue
		default:
			bad(v, name, "want a value, got "+strictyaml.Describe(v))
			continue
		}
		out[name] = e
	}
	if len(list) > 0 {
		list.Sort()
		return nil, asUsage(list.Err())
	}
	return out, nil
}

// repeatable reports whether a flag takes several values.
func repeatable(f *pflag.Flag) bool {
	t := f.Value.Type()
	return strings.HasSuffix(t, "Array") || strings.HasSuffix(t, "Slice")
}

// usageAt is a usage error located at a config file's node.
func usageAt(file string, n *yaml.Node, field, msg string) error {
	return asUsage(&strictyaml.Error{File: file, Line: n.Line, Column: n.Column, Field: field, Msg: msg})
}

// wantText says in words what a flag takes, for a value its parser
// refused (err).
func wantText(f *pflag.Flag, err error) string {
	tooBig := errors.Is(err, strconv.ErrRange)
	switch f.Value.Type() {
	case "int", "int64", "int32":
		if tooBig {
			return "want a whole number of a sensible size"
		}
		return "want a whole number"
	case "uint64", "uint", "uint32":
		if tooBig {
			return "want a whole number from 0 to " + strconv.FormatUint(1<<64-1, 10)
		}
		return "want a whole number, 0 or more"
	case "float64", "float32":
		return "want a number"
	case "bool":
		return "want true or false"
	case "stringSlice":
		return "want a comma-separated list"
	}
	return "want a " + f.Value.Type()
}

// flagError rewrites the flag parser's errors in words: "--seed -1: want a
// whole number, 0 or more" rather than a strconv message.
func flagError(err error) error {
	var ive *pflag.InvalidValueError
	if errors.As(err, &ive) && ive.GetFlag() != nil {
		f := ive.GetFlag()
		return usagef("--%s %s: %s", f.Name, ive.GetValue(), wantText(f, ive.Unwrap()))
	}
	return asUsage(err)
}
