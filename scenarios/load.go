package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// builtinFS holds the built-in scenarios, also readable in the repository
// as scenarios/builtin/*.yaml.
//
//go:embed builtin/*.yaml
var builtinFS embed.FS

// DefaultName is the built-in scenario a run uses when given none.
const DefaultName = "town"

// BuiltinInfo names one built-in scenario and says in a line what it is for.
type BuiltinInfo struct {
	Name        string
	Description string
}

// Builtins lists the built-in scenarios, sorted by name, each with the
// description its file gives.
func Builtins() ([]BuiltinInfo, error) {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil, err
	}
	var out []BuiltinInfo
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		l, err := LoadBuiltin(name)
		if err != nil {
			return nil, err
		}
		out = append(out, BuiltinInfo{Name: name, Description: l.Scenario.Description})
	}
	return out, nil
}

// BuiltinNames lists the built-in scenario names, sorted.
func BuiltinNames() []string {
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	return names
}

// BuiltinSource returns the commented YAML file of a built-in scenario.
func BuiltinSource(name string) ([]byte, error) {
	if !isBuiltin(name) {
		return nil, unknownBuiltin(name)
	}
	return builtinFS.ReadFile("builtin/" + name + ".yaml")
}

func isBuiltin(name string) bool { return slices.Contains(BuiltinNames(), name) }

func unknownBuiltin(name string) error {
	msg := fmt.Sprintf("unknown built-in scenario %q", name)
	if s, ok := check.Closest(name, BuiltinNames()); ok {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Errorf("%s (built-ins: %s)", msg, strings.Join(BuiltinNames(), ", "))
}

// Loaded is a scenario file after loading: the resolved, validated scenario,
// the sweep block if the file has one, and where each field was set.
type Loaded struct {
	// Scenario is the defaults, overlaid with the base chain, the file and
	// the --set overrides, then completed (arm defaults) and validated.
	Scenario Scenario
	// Sweep is the file's sweep block, nil if it has none.
	Sweep *Sweep
	// Source names where the scenario came from: a path, or "builtin:NAME".
	Source string
	// Base is the built-in the file started from ("" for the defaults).
	Base string
	// Positions maps each field path that some layer set to where.
	Positions Positions
	// Renamed lists the arms a --set override renamed because their names
	// gave a value it changed (see AdoptionName), for the command line to
	// report.
	Renamed []Rename
}

// fileDoc is the top level of a scenario file: the scenario's own keys plus
// base and sweep, which belong to the file, not to a single run.
type fileDoc struct {
	// Base names a built-in scenario this file starts from; without it the
	// file starts from the code defaults (the town).
	Base string `yaml:"base"`
	// Sweep turns the file into a sweep: axes over any scenario key, and
	// replicates per point.
	Sweep    *Sweep `yaml:"sweep"`
	Scenario `yaml:",inline"`
}

// Load reads a scenario file (or, when path names no file and is the name of
// a built-in, that built-in), applies --set overrides ("path.to.key=value")
// and validates the result. Every problem is reported in an ErrorList.
func Load(path string, sets ...string) (*Loaded, error) {
	data, err := os.ReadFile(path)
	if fi, serr := os.Stat(path); err != nil && serr == nil && fi.IsDir() {
		// A folder is never a scenario: a built-in of that name is meant
		// (running `bluesim run town` where out/town or ./town exists).
		if !strings.ContainsAny(path, `/\.`) && isBuiltin(path) {
			return loadBuiltin(path, sets, nil)
		}
		return nil, ErrorList{{File: path, Msg: "is a folder, not a scenario file"}}
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(path, `/\.`) {
			if isBuiltin(path) {
				return loadBuiltin(path, sets, nil)
			}
			msg := "no such file, and no built-in scenario of that name"
			if s, ok := check.Closest(path, BuiltinNames()); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, ErrorList{{File: path, Msg: msg + " (built-ins: " + strings.Join(BuiltinNames(), ", ") + ")"}}
		}
		return nil, ErrorList{{File: path, Msg: strings.TrimPrefix(err.Error(), "open "+path+": ")}}
	}
	return LoadBytes(path, data, sets...)
}

// LoadBuiltin loads a built-in scenario by name.
func LoadBuiltin(name string, sets ...string) (*Loaded, error) {
	return loadBuiltin(name, sets, nil)
}

func loadBuiltin(name string, sets []string, seen []string) (*Loaded, error) {
	data, err := BuiltinSource(name)
	if err != nil {
		return nil, ErrorList{{File: name, Msg: err.Error()}}
	}
	return loadBytes("builtin:"+name+".yaml", data, sets, append(seen, name))
}

// LoadBytes loads a scenario from YAML held in memory; name is used in
// messages (normally the file's path).
func LoadBytes(name string, data []byte, sets ...string) (*Loaded, error) {
	return loadBytes(name, data, sets, nil)
}

// Resolve returns the scenario for a command-line argument: a file, a
// built-in's name, or (empty) the default built-in.
func Resolve(arg string, sets ...string) (*Loaded, error) {
	if arg == "" {
		arg = DefaultName
	}
	return Load(arg, sets...)
}

// maxBaseDepth bounds chains of base: references.
const maxBaseDepth = 8

func loadBytes(name string, data []byte, sets []string, seen []string) (*Loaded, error) {
	root, errs := strictyaml.Parse(name, data, "scenario")
	if errs != nil {
		return nil, errs
	}
	l := &Loaded{Source: name, Positions: Positions{}}

	// The base comes first: the file is applied on top of it.
	base := Default()
	if root != nil {
		if bn, bk := strictyaml.FindKey(root, "base"); bn != nil {
			if bn.Kind != yaml.ScalarNode || bn.ShortTag() != "!!str" {
				return nil, ErrorList{{File: name, Line: bn.Line, Column: bn.Column, Field: "base",
					Msg: "want the name of a built-in scenario, got " + strictyaml.Describe(bn)}}
			}
			l.Base = bn.Value
			switch {
			case !isBuiltin(bn.Value):
				return nil, ErrorList{{File: name, Line: bn.Line, Column: bn.Column, Field: "base",
					Msg: unknownBuiltin(bn.Value).Error()}}
			case slices.Contains(seen, bn.Value) || len(seen) >= maxBaseDepth:
				return nil, ErrorList{{File: name, Line: bk.Line, Column: bk.Column, Field: "base",
					Msg: fmt.Sprintf("base chain loops: %s -> %s", strings.Join(seen, " -> "), bn.Value)}}
			}
			parent, err := loadBuiltin(bn.Value, nil, seen)
			if err != nil {
				return nil, err
			}
			base = parent.Scenario
			l.Positions = parent.Positions
		}
	}

	doc := fileDoc{Scenario: base}
	var all ErrorList
	if root != nil {
		d := strictyaml.NewDecoder(name, Positions{})
		d.Decode(reflect.ValueOf(&doc).Elem(), root, "")
		all = append(all, d.Errs...)
		complete(&doc.Scenario, d.Pos)
		l.Positions.Overlay(d.Pos)
	}
	l.Scenario = doc.Scenario
	l.Sweep = doc.Sweep
	if l.Sweep != nil && l.Sweep.Replicates == 0 {
		l.Sweep.Replicates = 1
	}

	for _, s := range sets {
		all = append(all, l.applySet(s)...)
	}
	if len(all) > 0 {
		return nil, all.Err()
	}
	all = append(all, l.locate(Validate(&l.Scenario))...)
	all = append(all, l.locate(validateGiven(&l.Scenario, l.Positions))...)
	if l.Sweep != nil {
		all = append(all, l.checkSweep()...)
	}
	if err := all.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// applySet applies one --set override.
func (l *Loaded) applySet(s string) ErrorList {
	flag := "--set " + s
	path, value, ok := strings.Cut(s, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return ErrorList{{File: flag, Msg: "want path.to.key=value"}}
	}
	n, err := strictyaml.ParseFlowValue(value)
	if err != nil {
		return ErrorList{{File: flag, Field: path, Msg: "bad value: " + strictyaml.YAMLMessage(err)}}
	}
	strictyaml.ClearPos(n)
	d := strictyaml.NewDecoder(flag, Positions{})
	if path == "base" || path == "sweep" {
		return ErrorList{{File: flag, Field: path, Msg: "cannot be set from the command line; edit the file"}}
	}
	if rest, ok := strings.CutPrefix(path, "sweep."); ok {
		return l.setSweep(flag, rest, n)
	}
	before := armKeys(l.Scenario.Arms)
	if err := d.SetPath(reflect.ValueOf(&l.Scenario).Elem(), path, n); err != nil {
		return ErrorList{strictyaml.PathErrorAt(err, flag, Pos{}, path)}
	}
	if path == "population.size" {
		// complete must know that this flag gave the size (a census
		// area's size is checked against the census, not replaced).
		d.Pos[path] = Pos{File: flag}
	}
	complete(&l.Scenario, d.Pos)
	if len(d.Errs) == 0 {
		l.Renamed = append(l.Renamed, renameArms(l.Scenario.Arms, before, flag)...)
	}
	// The flag set this path (and everything under it).
	d.Pos[path] = Pos{File: flag}
	l.Positions.Overlay(d.Pos)
	return d.Errs
}

// setSweep applies --set sweep.replicates=N or --set sweep.axes.PATH=VALUES
// (a list or a range), adding a sweep block if the file has none.
func (l *Loaded) setSweep(flag, rest string, n *yaml.Node) ErrorList {
	if l.Sweep == nil {
		l.Sweep = &Sweep{Replicates: 1}
	}
	d := strictyaml.NewDecoder(flag, Positions{})
	switch {
	case rest == "replicates":
		d.Decode(reflect.ValueOf(&l.Sweep.Replicates).Elem(), n, "sweep.replicates")
	case rest == "goals":
		d.Decode(reflect.ValueOf(&l.Sweep.Goals).Elem(), n, "sweep.goals")
	case strings.HasPrefix(rest, "axes.") && len(rest) > len("axes."):
		axisPath := strings.TrimPrefix(rest, "axes.")
		m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: axisPath}, n}}
		var axes Axes
		axes.UnmarshalStrict(d, m, "sweep.axes")
		if len(d.Errs) == 0 && len(axes) == 1 {
			replaced := false
			for i := range l.Sweep.Axes {
				if l.Sweep.Axes[i].Path == axisPath {
					l.Sweep.Axes[i], replaced = axes[0], true
				}
			}
			if !replaced {
				l.Sweep.Axes = append(l.Sweep.Axes, axes[0])
			}
		}
	default:
		return ErrorList{{File: flag, Field: "sweep." + rest, Msg: "want sweep.replicates, sweep.goals or sweep.axes.KEY.PATH"}}
	}
	for _, e := range d.Errs {
		e.Line, e.Column = 0, 0
	}
	return d.Errs
}

// locate fills in where each validation error's field was set.
func (l *Loaded) locate(errs ErrorList) ErrorList { return l.Positions.Locate(errs, l.Source) }

// complete fills what a layer's choices imply: the arms' protocol
// defaults, and the distance and minutes of a named contact preset (so that
// what --show prints is what the run uses).
func complete(sc *Scenario, pos Positions) {
	completeArms(sc, pos)
	// A census area's size follows the census and the scale, unless this
	// layer gave it (then the validator checks that it agrees, so that a
	// scenario written out by --show or a run loads back).
	if n, ok := sc.Population.CensusSize(); ok && !pos.Has("population.size") {
		sc.Population.Size = n
	}
	if sc.Contact.Preset != ContactCustom {
		if d, m, err := sc.Contact.Resolved(); err == nil {
			if !pos.Has("contact.distance_m") {
				sc.Contact.DistanceM = d
			}
			if !pos.Has("contact.minutes") {
				sc.Contact.Minutes = m
			}
		}
	}
}

// completeArms gives each arm the rule of its protocol when it has none or
// one of another protocol (its protocol changed), and each arm that a layer
// wrote from scratch the defaults of its protocol for what the layer left
// out: a name and the protocol's calibration. pos says what the layer gave.
// (The rule's own defaults come in as the arm is decoded: see
// Arm.UnmarshalStrict.)
func completeArms(sc *Scenario, pos Positions) {
	for i := range sc.Arms {
		a := &sc.Arms[i]
		a.syncRule()
		p := indexPath("arms", i)
		if !pos.Has(p) {
			continue // not written by this layer
		}
		if proto, ok := protocols.Lookup(a.Protocol); ok && !pos.Has(p+".calibrated") {
			a.Calibrated = proto.Radio().Calibrated
		}
		if !pos.Has(p+".name") && a.Name == "" {
			a.Name = AdoptionName(a.Protocol, a.Adoption)
		}
	}
}
