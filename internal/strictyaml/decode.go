package strictyaml

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
)

// ListDefaulter is implemented (on the pointer) by list element types whose
// new elements start from defaults rather than from zero values. A list in a
// file replaces the list below it as a whole; each element is then built as
// ApplyDefaults() followed by the keys the file gives.
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
	unmarshalerType     = reflect.TypeFor[Unmarshaler]()
)

// Field is one YAML-visible struct field.
type Field struct {
	Name   string // the YAML key
	Index  []int  // reflect index path, through inline structs
	GoName string
	Owner  reflect.Type // the struct that declares it (for its doc comment)
}

// StructInfo lists a struct's YAML keys in declaration order.
type StructInfo struct {
	Fields []Field
	ByName map[string]int
	Names  []string
}

var structCache sync.Map // reflect.Type -> *StructInfo or error

// Fields returns the YAML keys of struct type t, following the same rules
// as yaml.v3: the `yaml` tag names the key (default: the lowercased field
// name), "-" hides a field, ",inline" merges a struct's keys into its parent.
func Fields(t reflect.Type) (*StructInfo, error) {
	if v, ok := structCache.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*StructInfo), nil
	}
	info := &StructInfo{ByName: map[string]int{}}
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
			if _, dup := info.ByName[name]; dup {
				return fmt.Errorf("%s: key %q declared twice", t, name)
			}
			info.ByName[name] = len(info.Fields)
			info.Fields = append(info.Fields, Field{Name: name, Index: index, GoName: f.Name, Owner: t})
			info.Names = append(info.Names, name)
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

// Unmarshaler is implemented (on the pointer) by types that decode
// themselves from a node: a block whose schema depends on one of its keys,
// or a value with a syntax of its own. They report problems with d.Errorf
// and decode their parts with d.Decode and d.DecodeStruct.
type Unmarshaler interface {
	UnmarshalStrict(d *Decoder, n *yaml.Node, path string)
}

// Decoder overlays YAML nodes onto Go values, strictly: every problem is
// recorded as an *Error with its position and field path, and decoding goes
// on so that one pass reports them all.
type Decoder struct {
	// File names the source in errors and positions (a path, or a flag).
	File string
	// Errs are the problems found so far.
	Errs ErrorList
	// Pos records where each field path was set.
	Pos   Positions
	nodes int
}

// NewDecoder returns a decoder for file that records positions in pos
// (a new map when nil).
func NewDecoder(file string, pos Positions) *Decoder {
	if pos == nil {
		pos = Positions{}
	}
	return &Decoder{File: file, Pos: pos}
}

// Errorf records a problem at node n (nil: no position) with field path.
func (d *Decoder) Errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.File, Field: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.Errs = append(d.Errs, e)
}

// Record notes that path was set at n.
func (d *Decoder) Record(path string, n *yaml.Node) {
	if path != "" && n != nil {
		d.Pos[path] = Pos{File: d.File, Line: n.Line, Column: n.Column}
	}
}

// Describe names the kind of YAML value n is, for "want X, got Y" messages.
func Describe(n *yaml.Node) string {
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

// Want names the kind of YAML value a Go type takes.
func Want(t reflect.Type) string {
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
		return Want(t.Elem())
	}
	return t.String()
}

// Resolve follows aliases and documents to the node that carries the value.
func (d *Decoder) Resolve(n *yaml.Node, path string) *yaml.Node {
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

// IsNull reports whether n is the null scalar.
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Decode overlays node n onto v (which must be settable). Keys the node does
// not mention keep the value v already has: that is how a file is applied on
// top of the defaults.
func (d *Decoder) Decode(v reflect.Value, n *yaml.Node, path string) {
	orig := n
	n = d.Resolve(n, path)
	if n == nil {
		if d.nodes > maxNodes {
			if len(d.Errs) == 0 || d.Errs[len(d.Errs)-1].Msg != "too many nodes (aliases nested too deeply?)" {
				d.Errorf(orig, path, "too many nodes (aliases nested too deeply?)")
			}
		}
		return
	}
	if d.nodes > maxNodes {
		return
	}
	t := v.Type()
	if v.CanAddr() && reflect.PointerTo(t).Implements(unmarshalerType) {
		v.Addr().Interface().(Unmarshaler).UnmarshalStrict(d, n, path)
		return
	}

	// Types with their own text form: durations and enums.
	if t == durationType {
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return
		}
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.Errorf(n, path, "want %s, got %q", Want(t), n.Value)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		if n.Kind != yaml.ScalarNode || IsNull(n) {
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return
		}
		nv := reflect.New(t)
		if err := nv.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.Errorf(n, path, "%v", err)
			return
		}
		v.Set(nv.Elem())
		return
	}

	switch t.Kind() {
	case reflect.Pointer:
		if IsNull(n) {
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
		d.Decode(v.Elem(), n, path)
	case reflect.Struct:
		d.DecodeStruct(v, n, path)
	case reflect.Slice:
		d.decodeSlice(v, n, path)
	case reflect.Array:
		if n.Kind != yaml.SequenceNode {
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return
		}
		if len(n.Content) != t.Len() {
			d.Errorf(n, path, "want a list of exactly %d entries, got %d", t.Len(), len(n.Content))
			return
		}
		for i, c := range n.Content {
			p := IndexPath(path, i)
			d.Record(p, c)
			d.Decode(v.Index(i), c, p)
		}
	case reflect.Map:
		d.decodeMap(v, n, path)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			// An interface holding a value decodes into a copy of that
			// value (its concrete type is the schema), so that a layer
			// never writes through to the value below it.
			if v.IsNil() {
				d.Errorf(n, path, "cannot be set here: nothing chose its type (%s)", t)
				return
			}
			cp := reflect.New(v.Elem().Type()).Elem()
			cp.Set(v.Elem())
			d.Decode(cp, n, path)
			v.Set(cp)
			return
		}
		var x any
		if err := n.Decode(&x); err != nil {
			d.Errorf(n, path, "%v", err)
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

// DecodeStruct overlays mapping n onto struct v field by field, without
// calling v's own UnmarshalStrict (for a type that implements it, to
// decode the plain fields).
func (d *Decoder) DecodeStruct(v reflect.Value, n *yaml.Node, path string) {
	info, err := Fields(v.Type())
	if err != nil {
		d.Errorf(n, path, "%v", err)
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, "want a mapping of %s, got %s", keyList(info.Names), Describe(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, path, "keys must be plain names, got %s", Describe(k))
			continue
		}
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			d.Errorf(k, path, "merge keys (<<) are not supported: write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.Errorf(k, JoinPath(path, k.Value), "given twice (first on line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		idx, ok := info.ByName[k.Value]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", k.Value)
			if s, ok := check.Closest(k.Value, info.Names); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; valid keys: " + keyList(info.Names)
			}
			d.Errorf(k, path, "%s", msg)
			continue
		}
		p := JoinPath(path, k.Value)
		d.Record(p, k)
		d.Decode(v.FieldByIndex(info.Fields[idx].Index), val, p)
	}
}

// keyList formats valid keys for a message, eliding long lists.
func keyList(names []string) string {
	if len(names) > 12 {
		return strings.Join(names[:12], ", ") + fmt.Sprintf(" (and %d more)", len(names)-12)
	}
	return strings.Join(names, ", ")
}

func (d *Decoder) decodeSlice(v reflect.Value, n *yaml.Node, path string) {
	t := v.Type()
	if IsNull(n) {
		v.SetZero()
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
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
		p := IndexPath(path, i)
		d.Record(p, c)
		e := s.Index(i)
		applyListDefaults(e)
		d.Decode(e, c, p)
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

func (d *Decoder) decodeMap(v reflect.Value, n *yaml.Node, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.Errorf(n, path, "cannot set a map keyed by %s from YAML", t.Key())
		return
	}
	if IsNull(n) {
		v.Set(reflect.MakeMap(t))
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
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
		if k.Kind != yaml.ScalarNode || IsNull(k) {
			d.Errorf(k, path, "keys must be plain names, got %s", Describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.Errorf(k, JoinPath(path, k.Value), "given twice (first on line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		p := JoinPath(path, k.Value)
		d.Record(p, k)
		key := reflect.New(t.Key()).Elem()
		key.SetString(k.Value)
		e := reflect.New(t.Elem()).Elem()
		if old := m.MapIndex(key); old.IsValid() {
			e.Set(old)
		} else {
			applyListDefaults(e)
		}
		d.Decode(e, val, p)
		m.SetMapIndex(key, e)
	}
	v.Set(m)
}

func (d *Decoder) decodeScalar(v reflect.Value, n *yaml.Node, path string) {
	t := v.Type()
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
		return
	}
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		if tag != "!!bool" {
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.Errorf(n, path, "%v", err)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := d.integer(n, path, t)
		if !ok {
			return
		}
		if v.OverflowInt(i) {
			d.Errorf(n, path, "%d does not fit (%s)", i, t)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		var u uint64
		switch tag {
		case "!!int":
			if strings.HasPrefix(strings.TrimSpace(n.Value), "-") {
				d.Errorf(n, path, "must not be negative, got %s", n.Value)
				return
			}
			if err := n.Decode(&u); err != nil {
				d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
				return
			}
		case "!!float":
			f, ok := d.float(n, path)
			if !ok {
				return
			}
			if f < 0 || f != math.Trunc(f) || f >= 1<<64 {
				d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
				return
			}
			u = uint64(f)
		default:
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return
		}
		if v.OverflowUint(u) {
			d.Errorf(n, path, "%d does not fit (%s)", u, t)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if tag != "!!int" && tag != "!!float" {
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return
		}
		f, ok := d.float(n, path)
		if !ok {
			return
		}
		if v.OverflowFloat(f) {
			d.Errorf(n, path, "%g does not fit (%s)", f, t)
			return
		}
		v.SetFloat(f)
	default:
		d.Errorf(n, path, "cannot set a field of type %s from YAML", t)
	}
}

// integer reads an integer scalar; a number with no fractional part (1e5)
// counts as one, because people write population sizes that way.
func (d *Decoder) integer(n *yaml.Node, path string, t reflect.Type) (int64, bool) {
	switch n.ShortTag() {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			d.Errorf(n, path, "%s is too large", n.Value)
			return 0, false
		}
		return i, true
	case "!!float":
		f, ok := d.float(n, path)
		if !ok {
			return 0, false
		}
		if f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
			d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
			return 0, false
		}
		return int64(f), true
	}
	d.Errorf(n, path, "want %s, got %s", Want(t), Describe(n))
	return 0, false
}

// float reads a numeric scalar, refusing NaN and infinities: no parameter
// of a scenario means anything at those values.
func (d *Decoder) float(n *yaml.Node, path string) (float64, bool) {
	var f float64
	if err := n.Decode(&f); err != nil {
		d.Errorf(n, path, "want a number, got %s", Describe(n))
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.Errorf(n, path, "want a finite number, got %s", n.Value)
		return 0, false
	}
	return f, true
}
