package strictyaml

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
)

// ParseFlowValue parses the value of a --set flag or sweep axis as YAML
// (a scalar, or a flow list or mapping such as [1, 2] or {a: 1}).
func ParseFlowValue(s string) (*yaml.Node, error) {
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

// ParsePath splits "arms[1].rule.preset" into segments.
func ParsePath(path string) ([]pathSegment, error) {
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

// SetPath overlays value onto the field of root (a settable struct value)
// that path names. Errors about the path are returned; errors about the
// value are recorded in d, located at value.
func (d *Decoder) SetPath(root reflect.Value, path string, value *yaml.Node) error {
	segs, err := ParsePath(path)
	if err != nil {
		return err
	}
	return d.setIn(root, "", segs, value)
}

func (d *Decoder) setIn(v reflect.Value, cur string, segs []pathSegment, value *yaml.Node) error {
	if len(segs) == 0 {
		d.Decode(v, value, cur)
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
	if v.Kind() == reflect.Interface && v.NumMethod() != 0 {
		// Set inside a copy of the value the interface holds, as Decode
		// does, and put the copy back.
		if v.IsNil() {
			return &PathError{cur, "is not set, so it has no keys to set"}
		}
		cp := reflect.New(v.Elem().Type()).Elem()
		cp.Set(v.Elem())
		if err := d.setIn(cp, cur, segs, value); err != nil {
			return err
		}
		v.Set(cp)
		return nil
	}
	seg := segs[0]
	if seg.index >= 0 || seg.index == wildcard {
		if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
			return &PathError{cur, "is not a list"}
		}
		if seg.index == wildcard {
			if v.Kind() == reflect.Slice {
				s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
				reflect.Copy(s, v)
				v.Set(s)
			}
			for i := range v.Len() {
				if err := d.setIn(v.Index(i), IndexPath(cur, i), segs[1:], value); err != nil {
					return err
				}
			}
			if v.Len() == 0 {
				return &PathError{cur, "is empty: [*] sets nothing"}
			}
			return nil
		}
		if seg.index >= v.Len() {
			return &PathError{cur, fmt.Sprintf("has %d entries, no [%d]", v.Len(), seg.index)}
		}
		if v.Kind() == reflect.Slice {
			// Copy the backing array: it may be shared with the defaults.
			s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(s, v)
			v.Set(s)
		}
		return d.setIn(v.Index(seg.index), IndexPath(cur, seg.index), segs[1:], value)
	}
	switch {
	case v.Kind() == reflect.Struct:
		info, err := Fields(v.Type())
		if err != nil {
			return err
		}
		idx, ok := info.ByName[seg.key]
		if !ok {
			msg := fmt.Sprintf("unknown key %q", seg.key)
			if s, ok := check.Closest(seg.key, info.Names); ok {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; valid keys: " + keyList(info.Names)
			}
			return &PathError{cur, msg}
		}
		return d.setIn(v.FieldByIndex(info.Fields[idx].Index), JoinPath(cur, seg.key), segs[1:], value)
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String:
		key := reflect.New(v.Type().Key()).Elem()
		key.SetString(seg.key)
		e := reflect.New(v.Type().Elem()).Elem()
		if old := v.MapIndex(key); old.IsValid() {
			e.Set(old)
		} else {
			applyListDefaults(e)
		}
		if err := d.setIn(e, JoinPath(cur, seg.key), segs[1:], value); err != nil {
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
	return &PathError{cur, fmt.Sprintf("is a single value, it has no key %q", seg.key)}
}

// PathError is a key path that leads nowhere; Field is the part of the
// path that exists.
type PathError struct{ Field, Msg string }

func (e *PathError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// PathErrorAt turns an error from SetPath into an *Error for file.
func PathErrorAt(err error, file string, pos Pos, fallbackField string) *Error {
	e := &Error{File: file, Line: pos.Line, Column: pos.Column, Field: fallbackField, Msg: err.Error()}
	if pe, ok := err.(*PathError); ok {
		e.Field, e.Msg = pe.Field, pe.Msg
	}
	return e
}
