package scenarios

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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
	if s, ok := closest(name, BuiltinNames()); ok {
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
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(path, `/\.`) {
			if isBuiltin(path) {
				return loadBuiltin(path, sets, nil)
			}
			msg := "no such file, and no built-in scenario of that name"
			if s, ok := closest(path, BuiltinNames()); ok {
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
	root, errs := parseYAML(name, data)
	if errs != nil {
		return nil, errs
	}
	l := &Loaded{Source: name, Positions: Positions{}}

	// The base comes first: the file is applied on top of it.
	base := Default()
	if root != nil {
		if bn, bk := findKey(root, "base"); bn != nil {
			if bn.Kind != yaml.ScalarNode || bn.ShortTag() != "!!str" {
				return nil, ErrorList{{File: name, Line: bn.Line, Column: bn.Column, Field: "base",
					Msg: "want the name of a built-in scenario, got " + describe(bn)}}
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
		d := newDecoder(name, Positions{})
		d.decode(reflect.ValueOf(&doc).Elem(), root, "")
		all = append(all, d.errs...)
		complete(&doc.Scenario, d.pos)
		l.Positions.overlay(d.pos)
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
	n, err := parseFlowValue(value)
	if err != nil {
		return ErrorList{{File: flag, Field: path, Msg: "bad value: " + yamlMessage(err)}}
	}
	clearPos(n)
	d := newDecoder(flag, Positions{})
	if path == "base" || path == "sweep" {
		return ErrorList{{File: flag, Field: path, Msg: "cannot be set from the command line; edit the file"}}
	}
	if rest, ok := strings.CutPrefix(path, "sweep."); ok {
		return l.setSweep(flag, rest, n)
	}
	if err := d.setPath(reflect.ValueOf(&l.Scenario).Elem(), path, n); err != nil {
		return ErrorList{pathErrorAt(err, flag, Pos{}, path)}
	}
	complete(&l.Scenario, d.pos)
	// The flag set this path (and everything under it).
	d.pos[path] = Pos{File: flag}
	l.Positions.overlay(d.pos)
	return d.errs
}

// setSweep applies --set sweep.replicates=N or --set sweep.axes.PATH=VALUES
// (a list or a range), adding a sweep block if the file has none.
func (l *Loaded) setSweep(flag, rest string, n *yaml.Node) ErrorList {
	if l.Sweep == nil {
		l.Sweep = &Sweep{Replicates: 1}
	}
	d := newDecoder(flag, Positions{})
	switch {
	case rest == "replicates":
		d.decode(reflect.ValueOf(&l.Sweep.Replicates).Elem(), n, "sweep.replicates")
	case strings.HasPrefix(rest, "axes.") && len(rest) > len("axes."):
		axisPath := strings.TrimPrefix(rest, "axes.")
		m := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: axisPath}, n}}
		var axes Axes
		d.decodeAxes(reflect.ValueOf(&axes).Elem(), m, "sweep.axes")
		if len(d.errs) == 0 && len(axes) == 1 {
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
		return ErrorList{{File: flag, Field: "sweep." + rest, Msg: "want sweep.replicates or sweep.axes.KEY.PATH"}}
	}
	for _, e := range d.errs {
		e.Line, e.Column = 0, 0
	}
	return d.errs
}

// clearPos zeroes line and column in a flag's value, which has no file
// position worth printing.
func clearPos(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		clearPos(c)
	}
}

// locate fills in where each validation error's field was set.
func (l *Loaded) locate(errs ErrorList) ErrorList {
	for _, e := range errs {
		if e.File != "" {
			continue
		}
		if p, ok := l.Positions.Lookup(e.Field); ok {
			e.File, e.Line, e.Column = p.File, p.Line, p.Column
		} else {
			e.File = l.Source
		}
	}
	return errs
}

// overlay records a later layer's positions: a path it set replaces what
// earlier layers said about that path and everything under it (a list given
// again replaces the old list entirely).
func (p Positions) overlay(layer Positions) {
	paths := make([]string, 0, len(layer))
	for k := range layer {
		paths = append(paths, k)
	}
	slices.Sort(paths)
	for _, lp := range paths {
		for old := range p {
			if strings.HasPrefix(old, lp+".") || strings.HasPrefix(old, lp+"[") {
				delete(p, old)
			}
		}
	}
	for _, lp := range paths {
		p[lp] = layer[lp]
	}
}

// findKey returns the value and key nodes of key in a mapping node.
func findKey(m *yaml.Node, key string) (val, k *yaml.Node) {
	if m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1], m.Content[i]
		}
	}
	return nil, nil
}

// parseYAML parses one YAML document into its root node (nil for an empty
// file), turning syntax errors into located errors.
func parseYAML(name string, data []byte) (*yaml.Node, ErrorList) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, ErrorList{syntaxError(name, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, ErrorList{{File: name, Line: extra.Line, Column: extra.Column,
			Msg: "more than one YAML document (---); put one scenario per file"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, ErrorList{syntaxError(name, err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, ErrorList{{File: name, Line: root.Line, Column: root.Column,
			Msg: "a scenario file must be a mapping of keys (name:, days:, ...), got " + describe(root)}}
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into an
// *Error with the line.
func syntaxError(name string, err error) *Error {
	e := &Error{File: name, Msg: "invalid YAML: " + yamlMessage(err)}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil && m[1] != "" {
		e.Line, _ = strconv.Atoi(m[1])
		// yaml.v3 counts lines from 1 for scanner errors but from 0 for
		// parser errors; these are the parser's messages.
		for _, p := range parserProblems {
			if m[2] == p {
				e.Line++
				break
			}
		}
	}
	return e
}

// parserProblems are the messages of yaml.v3's parser (parserc.go), whose
// line numbers are one short.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected key", "did not find expected node content",
	"found undefined tag handle", "found incompatible YAML document",
	"found duplicate %TAG directive", "found duplicate %YAML directive",
}

// yamlMessage strips yaml.v3's "yaml: line N: " prefix.
func yamlMessage(err error) string {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return err.Error()
}

// complete fills what a layer's choices imply: the arms' protocol
// defaults, and the distance and minutes of a named contact preset (so that
// what --show prints is what the run uses).
func complete(sc *Scenario, pos Positions) {
	completeArms(sc, pos)
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

// completeArms gives each arm that a layer wrote from scratch the defaults
// of its protocol, for the parts the layer left out: a name, the protocol's
// deployed rule, and GAEN's calibration. pos says what the layer gave.
func completeArms(sc *Scenario, pos Positions) {
	for i := range sc.Arms {
		a := &sc.Arms[i]
		p := indexPath("arms", i)
		if !pos.Has(p) {
			continue // not written by this layer
		}
		def, ok := protocolArm(a.Protocol)
		if !ok {
			continue // Validate reports the protocol
		}
		if !givenUnder(pos, p+".rule") {
			a.Rule = def.Rule
		}
		if !pos.Has(p + ".calibrated") {
			a.Calibrated = def.Calibrated
		}
		if !pos.Has(p+".name") && a.Name == "" {
			a.Name = fmt.Sprintf("%s-%s", a.Protocol, strconv.FormatFloat(a.Adoption*100, 'f', -1, 64))
		}
	}
}

// givenUnder reports whether path or anything under it was set.
func givenUnder(pos Positions, path string) bool {
	for k := range pos {
		if k == path || strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			return true
		}
	}
	return false
}

// protocolArm returns the default arm of a protocol: the rule its deployed
// app used.
func protocolArm(protocol string) (Arm, bool) {
	switch protocol {
	case ProtocolBluezone, ProtocolBluezoneV1:
		a := BluezoneArm("", 0)
		a.Protocol = protocol
		return a, true
	case ProtocolGAEN:
		return GAENArm("", 0), true
	case ProtocolDP3T:
		// DP-3T's deployed app was SwissCovid, which used GAEN underneath
		// with its own attenuation-duration rule (radio.md §3.2).
		return Arm{Protocol: ProtocolDP3T, Rule: Rule{Preset: "swisscovid"}}, true
	}
	return Arm{}, false
}

// Protocols lists the protocol names an arm can use.
func Protocols() []string {
	return []string{ProtocolBluezone, ProtocolBluezoneV1, ProtocolGAEN, ProtocolDP3T}
}
