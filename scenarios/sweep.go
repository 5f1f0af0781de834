package scenarios

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/internal/strictyaml"
)

// MaxTasks bounds a sweep's points times replicates: more is almost
// certainly a step of 0.0001 where 0.1 was meant.
const MaxTasks = 1_000_000

// Sweep is a scenario file's sweep block: axes over any scenario key, each
// point run Replicates times.
//
//	sweep:
//	  replicates: 10
//	  axes:
//	    arms[*].adoption: {from: 0.1, to: 0.9, step: 0.1}
//	    contact.preset: [cdc, ecdc]
//	  goals: [coverage>=0.1]
type Sweep struct {
	// Replicates is how many runs each point gets. Replicate r runs with
	// seed ReplicateSeed(seed, r), the same at every point, so points share
	// their random numbers and differences between them are real.
	Replicates int `yaml:"replicates"`
	// Axes maps a scenario key path (as for --set; [*] means every entry of
	// a list) to the values it takes: a list, or a range {from, to, step}.
	// Points are every combination, the first axis varying slowest.
	Axes Axes `yaml:"axes"`
	// Goals are targets the sweep's report reads off its curves, each
	// METRIC OP VALUE with METRIC one of coverage, capture, precision,
	// recall, false_positive_rate and notifications_per_index (coverage>=0.5:
	// notify half of all close contacts): per arm, the smallest adoption at
	// which the mean meets it, with its 95 % interval. They change no run,
	// so they are not part of the sweep's hash.
	Goals []string `yaml:"goals"`
}

// Axes are a sweep's axes in the order the file gives them.
type Axes []Axis

// Axis is one swept key and its values.
type Axis struct {
	// Path is the key path ("arms[*].adoption").
	Path string
	// Values are the values in order, as YAML nodes (scalars, lists or
	// mappings), each with its position in the file.
	Values []*yaml.Node
	// Pos is where the axis was given.
	Pos Pos
}

// Texts returns the axis values as text, the form the sweep tables use.
func (a Axis) Texts() []string {
	out := make([]string, len(a.Values))
	for i, v := range a.Values {
		out[i] = nodeText(v)
	}
	return out
}

// Numeric reports whether every value of the axis is a number.
func (a Axis) Numeric() bool {
	for _, v := range a.Values {
		if v.Kind != yaml.ScalarNode || (v.ShortTag() != "!!int" && v.ShortTag() != "!!float") {
			return false
		}
	}
	return len(a.Values) > 0
}

// nodeText renders a value node compactly: scalars as written, lists and
// mappings in flow style.
func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	cp := *n
	cp.Style = yaml.FlowStyle
	b, err := yaml.Marshal(&cp)
	if err != nil {
		return n.Value
	}
	return strings.TrimSpace(string(b))
}

// UnmarshalStrict reads the axes mapping (strictyaml.Unmarshaler): each
// key is a scenario key path, each value a list or a range.
func (ax *Axes) UnmarshalStrict(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if strictyaml.IsNull(n) {
		*ax = nil
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, "want a mapping of key paths to values, got %s", strictyaml.Describe(n))
		return
	}
	var axes Axes
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		val := d.Resolve(n.Content[i+1], path)
		if val == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode || strictyaml.IsNull(k) {
			d.Errorf(k, path, "keys must be scenario key paths, got %s", strictyaml.Describe(k))
			continue
		}
		p := strictyaml.JoinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.Errorf(k, p, "given twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		d.Record(p, k)
		ax := Axis{Path: k.Value, Pos: Pos{File: d.File, Line: k.Line, Column: k.Column}}
		switch val.Kind {
		case yaml.SequenceNode:
			if len(val.Content) == 0 {
				d.Errorf(val, p, "an axis needs at least one value")
				continue
			}
			for _, c := range val.Content {
				if c = d.Resolve(c, p); c != nil {
					ax.Values = append(ax.Values, c)
				}
			}
		case yaml.MappingNode:
			vals, ok := expandRange(d, val, p)
			if !ok {
				continue
			}
			ax.Values = vals
		default:
			d.Errorf(val, p, "want a list of values or a range {from, to, step}, got %s", strictyaml.Describe(val))
			continue
		}
		axes = append(axes, ax)
	}
	*ax = axes
}

// maxAxisValues bounds one range's length.
const maxAxisValues = 10_000

// expandRange turns {from, to, step} into its values, both ends included
// (to is included when it lies on the grid, within rounding).
func expandRange(d *strictyaml.Decoder, n *yaml.Node, path string) ([]*yaml.Node, bool) {
	var r struct {
		From *float64 `yaml:"from"`
		To   *float64 `yaml:"to"`
		Step *float64 `yaml:"step"`
	}
	before := len(d.Errs)
	d.Decode(reflect.ValueOf(&r).Elem(), n, path)
	if len(d.Errs) > before {
		return nil, false
	}
	if r.From == nil || r.To == nil || r.Step == nil {
		d.Errorf(n, path, "a range needs from, to and step")
		return nil, false
	}
	from, to, step := *r.From, *r.To, *r.Step
	if step == 0 || (to-from)*step < 0 {
		d.Errorf(n, path+".step", "step %v never gets from %v to %v", step, from, to)
		return nil, false
	}
	count := math.Floor((to-from)/step+1e-9) + 1
	if count > maxAxisValues {
		d.Errorf(n, path, "range has %.0f values, more than %d", count, maxAxisValues)
		return nil, false
	}
	allInt := true
	for _, key := range []string{"from", "to", "step"} {
		if v, _ := strictyaml.FindKey(n, key); v != nil && v.ShortTag() != "!!int" {
			allInt = false
		}
	}
	var out []*yaml.Node
	for i := range int(count) {
		x := from + float64(i)*step
		node := &yaml.Node{Kind: yaml.ScalarNode, Line: n.Line, Column: n.Column}
		if allInt {
			node.Tag, node.Value = "!!int", strconv.FormatInt(int64(math.Round(x)), 10)
		} else {
			// Round away binary noise: 0.1+2*0.1 is 0.30000000000000004.
			x = check.RoundSig(x, 12)
			node.Tag, node.Value = "!!float", strconv.FormatFloat(x, 'f', -1, 64)
			if !strings.ContainsAny(node.Value, ".eE") {
				node.Tag = "!!int"
			}
		}
		out = append(out, node)
	}
	return out, true
}

// ReplicateSeed is the seed of replicate r of a point whose scenario seed is
// base. Replicate 0 keeps the base seed, so a one-replicate sweep point
// reproduces `bluesim run` of that point; the others hash (base, r). The
// point does not enter: replicate r of every point draws the same random
// numbers (common random numbers across the axis).
func ReplicateSeed(base uint64, r int) uint64 {
	if r == 0 {
		return base
	}
	var buf [32]byte
	copy(buf[:16], "bluesim/replica")
	binary.LittleEndian.PutUint64(buf[16:], base)
	binary.LittleEndian.PutUint64(buf[24:], uint64(r))
	sum := sha256.Sum256(buf[:])
	return binary.LittleEndian.Uint64(sum[:8])
}

// Task is one run of a sweep: a point (one value per axis) and a replicate.
type Task struct {
	// Index numbers the task in the sweep, point-major: point*replicates+r.
	Index int `json:"task"`
	// Point numbers the point, the first axis varying slowest.
	Point int `json:"point"`
	// Replicate is the replicate number within the point.
	Replicate int `json:"replicate"`
	// Seed is the run's seed (ReplicateSeed of the point's seed).
	Seed uint64 `json:"seed"`
	// Values are the point's axis values as text, one per axis.
	Values []string `json:"values"`
}

// Plan is a sweep expanded into its tasks.
type Plan struct {
	// Name is the scenario's name.
	Name string
	// Base is the scenario every point starts from.
	Base Scenario
	// Axes are the sweep's axes (none for a single-point plan).
	Axes Axes
	// Replicates is the number of replicates per point.
	Replicates int
	// Points is the number of points.
	Points int
	// Tasks are every (point, replicate), sorted by Index.
	Tasks []Task
	// Hash identifies the sweep: the resolved base scenario, the axes and
	// the replicates. Shards of one sweep carry the same hash.
	Hash string
	// Renamed lists the base's arms renamed because an axis varies the
	// value their names gave ("bluezone-20" under an adoption axis is
	// "bluezone"), for the command line to report.
	Renamed []Rename
	// Goals are the sweep block's goals, for the report.
	Goals  []Goal
	coords [][]int
}

// Plan expands the loaded scenario's sweep into tasks; a file without a
// sweep block is a plan of one point and one replicate.
func (l *Loaded) Plan() (*Plan, error) {
	sw := l.Sweep
	if sw == nil {
		sw = &Sweep{Replicates: 1}
	}
	p := &Plan{Name: l.Scenario.Name, Base: l.Scenario, Axes: sw.Axes, Replicates: sw.Replicates}
	p.Base.Arms = slices.Clone(p.Base.Arms)
	p.Renamed = renameSweptArms(&p.Base, sw.Axes)
	if p.Replicates < 1 {
		return nil, fmt.Errorf("sweep.replicates must be at least 1")
	}
	goals, err := ParseGoals(sw.Goals)
	if err != nil {
		return nil, fmt.Errorf("sweep.goals: %v", err)
	}
	p.Goals = goals
	points := 1
	for _, a := range sw.Axes {
		points *= len(a.Values)
		if points*p.Replicates > MaxTasks {
			return nil, fmt.Errorf("sweep has more than %d tasks", MaxTasks)
		}
	}
	p.Points = points
	p.coords = make([][]int, points)
	for pt := range points {
		c := make([]int, len(sw.Axes))
		rest := pt
		for ai := len(sw.Axes) - 1; ai >= 0; ai-- {
			c[ai] = rest % len(sw.Axes[ai].Values)
			rest /= len(sw.Axes[ai].Values)
		}
		p.coords[pt] = c
	}
	for pt := range points {
		sc, err := p.point(pt)
		if err != nil {
			return nil, err
		}
		vals := make([]string, len(sw.Axes))
		for ai, a := range sw.Axes {
			vals[ai] = nodeText(a.Values[p.coords[pt][ai]])
		}
		for r := range p.Replicates {
			p.Tasks = append(p.Tasks, Task{Index: len(p.Tasks), Point: pt, Replicate: r,
				Seed: ReplicateSeed(sc.Seed, r), Values: vals})
		}
	}
	h, err := p.hash()
	if err != nil {
		return nil, err
	}
	p.Hash = h
	return p, nil
}

// point returns the scenario of point pt (before the replicate's seed).
func (p *Plan) point(pt int) (Scenario, error) {
	sc := p.Base
	d := strictyaml.NewDecoder("sweep", nil)
	for ai, a := range p.Axes {
		if err := d.SetPath(reflect.ValueOf(&sc).Elem(), a.Path, a.Values[p.coords[pt][ai]]); err != nil {
			return Scenario{}, fmt.Errorf("sweep axis %s: %v", a.Path, err)
		}
		// An axis over an arm's protocol gives the arm that protocol's
		// rule, which later axes may then change.
		for i := range sc.Arms {
			sc.Arms[i].syncRule()
		}
	}
	if err := d.Errs.Err(); err != nil {
		return Scenario{}, err
	}
	return sc, nil
}

// Scenario returns the scenario task t runs: its point's values applied to
// the base, and the replicate's seed. It is validated again, since a load
// checks at most maxCheckedPoints points.
func (p *Plan) Scenario(t Task) (Scenario, error) {
	if t.Point < 0 || t.Point >= p.Points {
		return Scenario{}, fmt.Errorf("task %d: no point %d", t.Index, t.Point)
	}
	sc, err := p.point(t.Point)
	if err != nil {
		return Scenario{}, err
	}
	sc.Seed = t.Seed
	if errs := Validate(&sc); len(errs) > 0 {
		return Scenario{}, fmt.Errorf("sweep point %s: %w", p.pointLabel(t.Point), errs)
	}
	return sc, nil
}

// Shard returns the tasks of shard i of n, counted from 1 as every
// sharding tool counts (1/2 and 2/2 are the two halves): those whose
// index t has t % n == i-1. Striding rather than blocks spreads every
// point's replicates, and slow points, across the shards.
func (p *Plan) Shard(i, n int) ([]Task, error) {
	if n < 1 || i < 1 || i > n {
		return nil, fmt.Errorf("shard %d/%d: want 1 <= i <= n, e.g. 1/%d", i, n, max(n, 2))
	}
	var out []Task
	for _, t := range p.Tasks {
		if t.Index%n == i-1 {
			out = append(out, t)
		}
	}
	return out, nil
}

// checkSweep validates the sweep block: every axis path must exist, every
// value must fit its key, and every point must be a valid scenario.
func (l *Loaded) checkSweep() ErrorList {
	var errs ErrorList
	sw := l.Sweep
	if sw.Replicates < 1 || sw.Replicates > 100_000 {
		pos, _ := l.Positions.Lookup("sweep.replicates")
		errs = append(errs, &Error{File: pos.File, Line: pos.Line, Column: pos.Column,
			Field: "sweep.replicates", Msg: fmt.Sprintf("must be between 1 and 100000, got %d", sw.Replicates)})
	}
	for i, g := range sw.Goals {
		if _, err := ParseGoal(g); err != nil {
			field := fmt.Sprintf("sweep.goals[%d]", i)
			pos, ok := l.Positions.Lookup(field)
			if !ok {
				pos, _ = l.Positions.Lookup("sweep.goals")
			}
			errs = append(errs, &Error{File: pos.File, Line: pos.Line, Column: pos.Column, Field: field,
				Msg: strings.TrimPrefix(err.Error(), fmt.Sprintf("goal %q: ", g))})
		}
	}
	seenPath := map[string]bool{}
	for _, a := range sw.Axes {
		field := "sweep.axes." + a.Path
		if a.Path == "name" || a.Path == "description" {
			errs = append(errs, &Error{File: a.Pos.File, Line: a.Pos.Line, Column: a.Pos.Column, Field: field,
				Msg: "cannot be swept: it labels the scenario"})
			continue
		}
		seenPath[a.Path] = true
		for _, v := range a.Values {
			sc := l.Scenario
			d := strictyaml.NewDecoder(a.Pos.File, nil)
			if err := d.SetPath(reflect.ValueOf(&sc).Elem(), a.Path, v); err != nil {
				e := strictyaml.PathErrorAt(err, a.Pos.File, a.Pos, field)
				e.Field = "sweep.axes." + e.Field
				if pe, ok := err.(*strictyaml.PathError); ok && pe.Field == "" {
					e.Field = field
				}
				errs = append(errs, e)
				break
			}
			for _, e := range d.Errs {
				e.Field = field
				errs = append(errs, e)
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	plan, err := l.Plan()
	if err != nil {
		pos, _ := l.Positions.Lookup("sweep")
		return ErrorList{{File: pos.File, Line: pos.Line, Column: pos.Column, Field: "sweep", Msg: err.Error()}}
	}
	// Each point must validate on its own; report the first few that do not.
	bad := 0
	// Jointly invalid values (a ramp above its adoption) show only in whole
	// points. Checking a point costs microseconds; past maxCheckedPoints
	// the rest are checked when they run.
	for pt := 0; pt < plan.Points && pt < maxCheckedPoints && bad < 5; pt++ {
		sc, err := plan.point(pt)
		if err != nil {
			errs = append(errs, &Error{File: l.Source, Field: "sweep", Msg: err.Error()})
			bad++
			continue
		}
		verrs := Validate(&sc)
		if len(verrs) == 0 {
			continue
		}
		bad++
		label := plan.pointLabel(pt)
		for _, e := range verrs {
			ax := plan.axisFor(e.Field)
			if ax != nil {
				e.File, e.Line, e.Column = ax.Pos.File, ax.Pos.Line, ax.Pos.Column
			} else {
				l.locate(ErrorList{e})
			}
			e.Msg = fmt.Sprintf("%s (sweep point %s)", e.Msg, label)
			errs = append(errs, e)
		}
	}
	return errs
}

// maxCheckedPoints bounds how many sweep points a load validates.
const maxCheckedPoints = 10_000

// pointLabel describes a point as "a=1, b=x".
func (p *Plan) pointLabel(pt int) string {
	var parts []string
	for ai, a := range p.Axes {
		parts = append(parts, a.Path+"="+nodeText(a.Values[p.coords[pt][ai]]))
	}
	return strings.Join(parts, ", ")
}

// axisFor returns the axis that sets field (or a parent of it), if any.
func (p *Plan) axisFor(field string) *Axis {
	for i := range p.Axes {
		a := &p.Axes[i]
		pat := a.Path
		if matchAxis(pat, field) {
			return a
		}
	}
	return nil
}

// matchAxis reports whether an axis path (maybe with [*]) sets field or a
// parent of field, or field is a parent of it.
func matchAxis(pat, field string) bool {
	for f := field; f != ""; f = strictyaml.ParentPath(f) {
		if wildEqual(pat, f) {
			return true
		}
	}
	for a := pat; a != ""; a = strictyaml.ParentPath(a) {
		if wildEqual(a, field) {
			return true
		}
	}
	return false
}

// wildEqual compares a path pattern with [*] against a concrete path.
func wildEqual(pat, path string) bool {
	for {
		i := strings.Index(pat, "[*]")
		if i < 0 {
			return pat == path
		}
		if !strings.HasPrefix(path, pat[:i+1]) {
			return false
		}
		path = path[i+1:]
		j := strings.IndexByte(path, ']')
		if j < 0 {
			return false
		}
		path = path[j+1:]
		pat = pat[i+3:]
	}
}
