package scenarios

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// ListDefaulter is implemented (on the pointer) by list element types whose
// new elements start from defaults rather than from zero values. A list in a
// scenario file replaces the list below it as a whole; each element is then
// built as ApplyDefaults() followed by the keys the file gives.
type ListDefaulter interface {
	ApplyDefaults()
}

// maxNodes bounds the nodes one decode visits, so that a file full of
// aliases to aliases ("billion laughs") is an error, not an hour of CPU.
const maxNodes = 1 << 20

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	listDefaulterType   = reflect.TypeFor[ListDefaulter]()
)

// field is one YAML-visible struct field.
type field struct {
	name   string // the YAML key
	index  []int  // reflect index path, through inline structs
	goName string
	owner  reflect.Type // the struct that declares it (for its doc comment)
}

// structInfo lists a struct's YAML keys in declaration order.
type structInfo struct {
	fields []field
	byName map[string]int
	names  []string
}

var structCache sync.Map // reflect.Type -> *structInfo or error

// fieldsOf returns the YAML keys of struct type t, following the same rules
// as yaml.v3: the `yaml` tag names the key (default: the lowercased field
// name), "-" hides a field, ",inline" merges a struct's keys into its parent.
func fieldsOf(t reflect.Type) (*structInfo, error) {
	if v, ok := structCache.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*structInfo), nil
	}
	info := &structInfo{byName: map[string]int{}}
	var add func(t reflect.Type, prefix []int) error
	add = func(t reflect.Type, prefix []int) error {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, flags, _ := strings.Cut(tag, ",")
			index := append(slices.Clone(prefix), i)
			if slices.Contains(strings.Split(flags, ","), "inline") {
				if f.Type.Kind() != reflect.Struct {
					return fmt.Errorf("%s.%s: ,inline is only supported on struct fields", t, f.Name)
				}
				if err := add(f.Type, index); err != nil {
					return err
				}
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if _, dup := info.byName[name]; dup {
				return fmt.Errorf("%s: key %q declared twice", t, name)
			}
			info.byName[name] = len(info.fields)
			info.fields = append(info.fields, field{name: name, index: index, goName: f.Name, owner: t})
			info.names = append(info.names, name)
		}
		return nil
	}
	if err := add(t, nil); err != nil {
		structCache.Store(t, err)
		return nil, err
	}
	structCache.Store(t, info)
	return info, nil
}

// decoder overlays YAML nodes onto Go values, strictly: every problem is
// recorded as an *Error with its position and field path, and decoding goes
// on so that one pass reports them all.
type decoder struct {
	file  string
	errs  ErrorList
	pos   Positions
	nodes int
}

func newDecoder(file string, pos Positions) *decoder {
	if pos == nil {
		pos = Positions{}
	}
	return &decoder{file: file, pos: pos}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Field: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// record notes that path was set at n.
func (d *decoder) record(path string, n *yaml.Node) {
	if path != "" && n != nil {
		d.pos[path] = Pos{File: d.file, Line: n.Line, Column: n.Column}
	}
}

// describe names the kind of YAML value n is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "true/false"
		case "!!int":
			return "an integer (" + n.Value + ")"
		case "!!float":
			return "a number (" + n.Value + ")"
		case "!!str":
			return fmt.Sprintf("the text %q", n.Value)
		}
		return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
	}
	return "an unsupported YAML value"
}

// want names the kind of YAML value a Go type takes.
func want(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 15m or 2h30m"
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return "a name"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "text"
	case reflect.Pointer:
		return want(t.Elem())
	}
	return t.String()
}

// resolve follows aliases and documents to the node that carries the value.
func (d *decoder) resolve(n *yaml.Node, path string) *yaml.Node {
	for n != nil {
		d.nodes++
		if d.nodes > maxNodes {
			return nil
		}
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decode overlays node n onto v (which must be settable). Keys the node does
// not mention keep the value v already has: that is how a file is applied on
// top of the defaults.
func (d *decoder) decode(v reflect.Value, n *yaml.Node, path string) {
	orig := n
	n = d.resolve(n, path)
	if n == nil {
		if d.nodes > maxNodes {
			if len(d.errs) == 0 || d.errs[len(d.errs)-1].Msg != "too many nodes (aliases nested too deeply?)" {
				d.errorf(orig, path, "too many nodes (aliases nested too deeply?)")
			}
		}
		return
	}
	if d.nodes > maxNodes {
		return
	}
	t := v.Type()
	if t == axesType {
		d.decodeAxes(v, n, path)
		return
	}

	// Types with their own text form: durations and enums.
	if t == durationType {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return
		}
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, path, "want %s, got %q", want(t), n.Value)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		if n.Kind != yaml.ScalarNode || isNull(n) {
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return
		}
		nv := reflect.New(t)
		if err := nv.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		v.Set(nv.Elem())
		return
	}

	switch t.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			v.SetZero()
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		} else {
			// Copy, so that a layer never writes through a pointer it shares
			// with the defaults.
			cp := reflect.New(t.Elem())
			cp.Elem().Set(v.Elem())
			v.Set(cp)
		}
		d.decode(v.Elem(), n, path)
	case reflect.Struct:
		d.decodeStruct(v, n, path)
	case reflect.Slice:
		d.decodeSlice(v, n, path)
	case reflect.Array:
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return
		}
		if len(n.Content) != t.Len() {
			d.errorf(n, path, "want a list of exactly %d entries, got %d", t.Len(), len(n.Content))
			return
		}
		for i, c := range n.Content {
			p := indexPath(path, i)
			d.record(p, c)
			d.decode(v.Index(i), c, p)
		}
	case reflect.Map:
		d.decodeMap(v, n, path)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.errorf(n, path, "cannot set a field of type %s from YAML", t)
			return
		}
		var x any
		if err := n.Decode(&x); err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.decodeScalar(v, n, path)
	}
}

func (d *decoder) decodeStruct(v reflect.Value, n *yaml.Node, path string) {
	info, err := fieldsOf(v.Type())
	if err != nil {
		d.errorf(n, path, "%v", err)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want a mapping of %s, got %s", keyList(info.names), describe(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.errorf(k, path, "merge keys (<<) are not supported: write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, joinPath(path, k.Value), "given twice (first on line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		idx, ok := info.byName[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s, ok := closest(k.Value, info.names); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; valid keys: " + keyList(info.names)
			}
			d.errorf(k, path, "%s", msg)
			continue
		}
		p := joinPath(path, k.Value)
		d.record(p, k)
		d.decode(v.FieldByIndex(info.fields[idx].index), val, p)
	}
}

// keyList formats valid keys for a message, eliding long lists.
func keyList(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(" (and %d more)", len(names)-12)
	}
	return strings.Join(names, ", ")
}

func (d *decoder) decodeSlice(v reflect.Value, n *yaml.Node, path string) {
	t := v.Type()
	if isNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "want %s, got %s", want(t), describe(n))
		return
	}
	if len(n.Content) == 0 {
		// An empty list is a nil slice, as in the defaults, so that a
		// printed scenario loads back equal.
		v.SetZero()
		return
	}
	s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
	for i, c := range n.Content {
		p := indexPath(path, i)
		d.record(p, c)
		e := s.Index(i)
		applyListDefaults(e)
		d.decode(e, c, p)
	}
	v.Set(s)
}

// applyListDefaults calls ApplyDefaults on a fresh list element or map value
// whose type has it.
func applyListDefaults(e reflect.Value) {
	if e.Kind() == reflect.Pointer {
		return
	}
	if e.CanAddr() && e.Addr().Type().Implements(listDefaulterType) {
		e.Addr().Interface().(ListDefaulter).ApplyDefaults()
	}
}

func (d *decoder) decodeMap(v reflect.Value, n *yaml.Node, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errorf(n, path, "cannot set a map keyed by %s from YAML", t.Key())
		return
	}
	if isNull(n) {
		v.Set(reflect.MakeMap(t))
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "want %s, got %s", want(t), describe(n))
		return
	}
	// Copy the map: the layer below (often the defaults) must not change.
	m := reflect.MakeMapWithSize(t, v.Len())
	iter := v.MapRange()
	for iter.Next() {
		m.SetMapIndex(iter.Key(), iter.Value())
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, joinPath(path, k.Value), "given twice (first on line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		p := joinPath(path, k.Value)
		d.record(p, k)
		key := reflect.New(t.Key()).Elem()
		key.SetString(k.Value)
		e := reflect.New(t.Elem()).Elem()
		if old := m.MapIndex(key); old.IsValid() {
			e.Set(old)
		} else {
			applyListDefaults(e)
		}
		d.decode(e, val, p)
		m.SetMapIndex(key, e)
	}
	v.Set(m)
}

func (d *decoder) decodeScalar(v reflect.Value, n *yaml.Node, path string) {
	t := v.Type()
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.errorf(n, path, "want %s, got %s", want(t), describe(n))
		return
	}
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		if tag != "!!bool" {
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := d.integer(n, path, t)
		if !ok {
			return
		}
		if v.OverflowInt(i) {
			d.errorf(n, path, "%d does not fit (%s)", i, t)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var u uint64
		switch tag {
		case "!!int":
			if strings.HasPrefix(strings.TrimSpace(n.Value), "-") {
				d.errorf(n, path, "must not be negative, got %s", n.Value)
				return
			}
			if err := n.Decode(&u); err != nil {
				d.errorf(n, path, "want %s, got %s", want(t), describe(n))
				return
			}
		case "!!float":
			f, ok := d.float(n, path)
			if !ok {
				return
			}
			if f < 0 || f != math.Trunc(f) || f >= 1<<64 {
				d.errorf(n, path, "want %s, got %s", want(t), describe(n))
				return
			}
			u = uint64(f)
		default:
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return
		}
		if v.OverflowUint(u) {
			d.errorf(n, path, "%d does not fit (%s)", u, t)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if tag != "!!int" && tag != "!!float" {
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return
		}
		f, ok := d.float(n, path)
		if !ok {
			return
		}
		if v.OverflowFloat(f) {
			d.errorf(n, path, "%g does not fit (%s)", f, t)
			return
		}
		v.SetFloat(f)
	default:
		d.errorf(n, path, "cannot set a field of type %s from YAML", t)
	}
}

// integer reads an integer scalar; a number with no fractional part (1e5)
// counts as one, because people write population sizes that way.
func (d *decoder) integer(n *yaml.Node, path string, t reflect.Type) (int64, bool) {
	switch n.ShortTag() {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			d.errorf(n, path, "%s is too large", n.Value)
			return 0, false
		}
		return i, true
	case "!!float":
		f, ok := d.float(n, path)
		if !ok {
			return 0, false
		}
		if f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
			d.errorf(n, path, "want %s, got %s", want(t), describe(n))
			return 0, false
		}
		return int64(f), true
	}
	d.errorf(n, path, "want %s, got %s", want(t), describe(n))
	return 0, false
}

// float reads a numeric scalar, refusing NaN and infinities: no parameter
// of a scenario means anything at those values.
func (d *decoder) float(n *yaml.Node, path string) (float64, bool) {
	var f float64
	if err := n.Decode(&f); err != nil {
		d.errorf(n, path, "want a number, got %s", describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(n, path, "want a finite number, got %s", n.Value)
		return 0, false
	}
	return f, true
}

// parseFlowValue parses the value of a --set flag or sweep axis as YAML
// (a scalar, or a flow list or mapping such as [1, 2] or {a: 1}).
func parseFlowValue(s string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		// An empty value: an empty string for text fields, null otherwise.
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}, nil
	}
	return doc.Content[0], nil
}

// wildcard is the index of a [*] segment: every entry of the list.
const wildcard = -2

// pathSegment is one step of a dotted path: a key or a list index.
type pathSegment struct {
	key   string
	index int // -1 for a key, wildcard for [*]
}

// parsePath splits "arms[1].rule.preset" into segments.
func parsePath(path string) ([]pathSegment, error) {
	if path == "" {
		return nil, fmt.Errorf("empty key path")
	}
	var segs []pathSegment
	for part := range strings.SplitSeq(path, ".") {
		name, rest, bracket := strings.Cut(part, "[")
		if bracket && rest == "" {
			return nil, fmt.Errorf("unclosed [ in key path %q", path)
		}
		if name == "" && (len(segs) == 0 || !bracket) {
			return nil, fmt.Errorf("empty segment in key path %q", path)
		}
		if name != "" {
			segs = append(segs, pathSegment{key: name, index: -1})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, fmt.Errorf("unclosed [ in key path %q", path)
			}
			i, err := strconv.Atoi(num)
			if num == "*" {
				i, err = wildcard, nil
			}
			if err != nil || (i < 0 && i != wildcard) {
				return nil, fmt.Errorf("bad list index [%s] in key path %q", num, path)
			}
			segs = append(segs, pathSegment{index: i})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("unexpected %q after ] in key path %q", after, path)
			}
			rest = after[1:]
		}
	}
	return segs, nil
}

// setPath overlays value onto the field of root (a settable struct value)
// that path names. Errors about the path are returned; errors about the
// value are recorded in d, located at value.
func (d *decoder) setPath(root reflect.Value, path string, value *yaml.Node) error {
	segs, err := parsePath(path)
	if err != nil {
		return err
	}
	return d.setIn(root, "", segs, value)
}

func (d *decoder) setIn(v reflect.Value, cur string, segs []pathSegment, value *yaml.Node) error {
	if len(segs) == 0 {
		d.decode(v, value, cur)
		return nil
	}
	for v.Kind() == reflect.Pointer {
		// Copy before writing, as decode does, so defaults stay untouched.
		cp := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			cp.Elem().Set(v.Elem())
		}
		v.Set(cp)
		v = v.Elem()
	}
	seg := segs[0]
	if seg.index >= 0 || seg.index == wildcard {
		if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
			return &pathError{cur, "is not a list"}
		}
		if seg.index == wildcard {
			if v.Kind() == reflect.Slice {
				s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
				reflect.Copy(s, v)
				v.Set(s)
			}
			for i := range v.Len() {
				if err := d.setIn(v.Index(i), indexPath(cur, i), segs[1:], value); err != nil {
					return err
				}
			}
			if v.Len() == 0 {
				return &pathError{cur, "is empty: [*] sets nothing"}
			}
			return nil
		}
		if seg.index >= v.Len() {
			return &pathError{cur, fmt.Sprintf("has %d entries, no [%d]", v.Len(), seg.index)}
		}
		if v.Kind() == reflect.Slice {
			// Copy the backing array: it may be shared with the defaults.
			s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(s, v)
			v.Set(s)
		}
		return d.setIn(v.Index(seg.index), indexPath(cur, seg.index), segs[1:], value)
	}
	switch {
	case v.Kind() == reflect.Struct:
		info, err := fieldsOf(v.Type())
		if err != nil {
			return err
		}
		idx, ok := info.byName[seg.key]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", seg.key)
			if s, ok := closest(seg.key, info.names); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; valid keys: " + keyList(info.names)
			}
			return &pathError{cur, msg}
		}
		return d.setIn(v.FieldByIndex(info.fields[idx].index), joinPath(cur, seg.key), segs[1:], value)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		key := reflect.New(v.Type().Key()).Elem()
		key.SetString(seg.key)
		e := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(key); old.IsValid() {
			e.Set(old)
		} else {
			applyListDefaults(e)
		}
		if err := d.setIn(e, joinPath(cur, seg.key), segs[1:], value); err != nil {
			return err
		}
		m := reflect.MakeMapWithSize(v.Type(), v.Len()+1)
		iter := v.MapRange()
		for iter.Next() {
			m.SetMapIndex(iter.Key(), iter.Value())
		}
		m.SetMapIndex(key, e)
		v.Set(m)
		return nil
	}
	return &pathError{cur, fmt.Sprintf("is a single value, it has no key %q", seg.key)}
}

// pathError is a key path that leads nowhere; Field is the part of the path
// that exists.
type pathError struct{ field, msg string }

func (e *pathError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// pathErrorAt turns an error from setPath into an *Error for file.
func pathErrorAt(err error, file string, pos Pos, fallbackField string) *Error {
	e := &Error{File: file, Line: pos.Line, Column: pos.Column, Field: fallbackField, Msg: err.Error()}
	if pe, ok := err.(*pathError); ok {
		e.Field, e.Msg = pe.field, pe.msg
	}
	return e
}

func orRoot(path string) string {
	if path == "" {
		return "the scenario"
	}
	return path
}
