package strictyaml

import (
	"bytes"
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Encoder writes Go values as YAML nodes that Decode reads back equal:
// every key, in declaration order, each preceded by its doc comment when
// Comments is set. Inside lists, a struct type's fields are commented the
// first time the type appears only, so that comments do not repeat for
// every entry while each kind of entry (each protocol's rule block, say)
// is explained once.
type Encoder struct {
	// Comments writes each key's doc comment above it.
	Comments bool
	// Doc returns the doc comment of field goName of struct type owner
	// ("" for none).
	Doc func(owner reflect.Type, goName string) string
	// Omit leaves out field f of a struct whose value is v (nil: write
	// every field).
	Omit   func(f Field, v reflect.Value) bool
	inList int                   // inside a list
	shown  map[reflect.Type]bool // struct types commented inside a list
	quiet  bool                  // no comments on this struct's keys
}

// Marshal encodes v as a YAML document with two-space indentation.
func (e *Encoder) Marshal(v any) ([]byte, error) {
	root, err := e.Node(reflect.ValueOf(v))
	if err != nil {
		return nil, err
	}
	return MarshalNode(root)
}

// MarshalNode writes a node as a YAML document with two-space indentation.
func MarshalNode(root *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Scalar returns a scalar node.
func Scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// FormatFloat writes a float so that it reads back exactly and reads well:
// plain decimals in the usual range, exponents outside it.
func FormatFloat(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e15) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// Node encodes v as a YAML node.
func (e *Encoder) Node(v reflect.Value) (*yaml.Node, error) {
	t := v.Type()
	if t == durationType {
		return Scalar("!!str", time.Duration(v.Int()).String()), nil
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && t.Implements(textMarshalerType) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return nil, err
		}
		return Scalar("!!str", string(b)), nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return Scalar("!!null", "null"), nil
		}
		return e.Node(v.Elem())
	case reflect.Struct:
		info, err := Fields(t)
		if err != nil {
			return nil, err
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		quiet := e.quiet
		if e.inList > 0 {
			if e.shown == nil {
				e.shown = map[reflect.Type]bool{}
			}
			e.quiet = e.shown[t]
			e.shown[t] = true
		}
		defer func() { e.quiet = quiet }()
		for _, f := range info.Fields {
			fv := v.FieldByIndex(f.Index)
			if e.Omit != nil && e.Omit(f, fv) {
				continue
			}
			k := Scalar("!!str", f.Name)
			if e.Comments && !e.quiet && e.Doc != nil {
				k.HeadComment = CommentText(e.Doc(f.Owner, f.GoName))
			}
			val, err := e.Node(fv)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			m.Content = append(m.Content, k, val)
		}
		return m, nil
	case reflect.Slice, reflect.Array:
		s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		flow := true
		e.inList++
		defer func() { e.inList-- }()
		for i := range v.Len() {
			c, err := e.Node(v.Index(i))
			if err != nil {
				return nil, err
			}
			if c.Kind != yaml.ScalarNode {
				flow = false
			}
			s.Content = append(s.Content, c)
		}
		if flow {
			s.Style = yaml.FlowStyle
		}
		return s, nil
	case reflect.Map:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			val, err := e.Node(v.MapIndex(k))
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, Scalar("!!str", k.String()), val)
		}
		return m, nil
	case reflect.Bool:
		return Scalar("", strconv.FormatBool(v.Bool())), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Scalar("", strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return Scalar("", strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32:
		return Scalar("", FormatFloat(float64(float32(v.Float())))), nil
	case reflect.Float64:
		return Scalar("", FormatFloat(v.Float())), nil
	case reflect.String:
		return Scalar("!!str", v.String()), nil
	}
	return nil, fmt.Errorf("cannot write a value of type %s", t)
}

// CleanNode copies a value node without positions, comments or anchors, so
// that encodings (and hashes) do not depend on how the file was laid out.
func CleanNode(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	c := &yaml.Node{Kind: n.Kind, Tag: n.ShortTag(), Value: n.Value}
	if n.Kind == yaml.ScalarNode && c.Tag == "!!str" {
		c.Style = 0
	}
	if n.Kind != yaml.ScalarNode {
		c.Style = yaml.FlowStyle
	}
	for _, ch := range n.Content {
		c.Content = append(c.Content, CleanNode(ch))
	}
	return c
}

// CommentText formats a doc comment as YAML comment lines.
func CommentText(doc string) string {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return ""
	}
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(lines, "\n")
}
