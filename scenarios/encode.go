package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"github.com/bluesim/bluesim/sim/epidemic"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

//go:generate go run ./internal/fielddoc/gendocs -o docs_gen.go

// Encode writes sc (and sw, when not nil) as a complete scenario file:
// every key, defaults included, in declaration order. With comments, each
// key is preceded by its Go doc comment, so the output explains itself.
// Loading the output gives back sc exactly.
func Encode(sc Scenario, sw *Sweep, comments bool) ([]byte, error) {
	e := encoder{comments: comments}
	root, err := e.value(reflect.ValueOf(sc))
	if err != nil {
		return nil, err
	}
	if sw != nil {
		k, v, err := e.sweep(sw)
		if err != nil {
			return nil, err
		}
		root.Content = append(root.Content, k, v)
	}
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

// hash identifies a sweep plan: SHA-256 over the canonical encoding of the
// base scenario, the axes and the replicates.
func (p *Plan) hash() (string, error) {
	b, err := Encode(p.Base, &Sweep{Replicates: p.Replicates, Axes: p.Axes}, false)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Hash is SHA-256 over the canonical encoding of a scenario (no comments).
func Hash(sc Scenario) (string, error) {
	b, err := Encode(sc, nil, false)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

type encoder struct {
	comments bool
	inList   int // inside a list: comments would repeat for every entry
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// formatFloat writes a float so that it reads back exactly and reads well:
// plain decimals in the usual range, exponents outside it.
func formatFloat(f float64) string {
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e15) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func (e *encoder) value(v reflect.Value) (*yaml.Node, error) {
	t := v.Type()
	if t == durationType {
		return scalar("!!str", time.Duration(v.Int()).String()), nil
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && t.Implements(textMarshalerType) {
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return nil, err
		}
		return scalar("!!str", string(b)), nil
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return scalar("!!null", "null"), nil
		}
		return e.value(v.Elem())
	case reflect.Struct:
		info, err := fieldsOf(t)
		if err != nil {
			return nil, err
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, f := range info.fields {
			if t == scenarioType && f.name == "epidemic" && v.FieldByIndex(f.index).Interface() == any(epidemic.DefaultParams()) {
				// The epidemic layer off at its defaults is left out, so
				// detection-only scenarios keep the encoding (and hash)
				// they had before the layer existed; reading it back gives
				// the same defaults.
				continue
			}
			k := scalar("!!str", f.name)
			if e.comments && e.inList == 0 {
				k.HeadComment = commentText(fieldDoc(f.owner, f.goName))
			}
			val, err := e.value(v.FieldByIndex(f.index))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
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
			c, err := e.value(v.Index(i))
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
			val, err := e.value(v.MapIndex(k))
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, scalar("!!str", k.String()), val)
		}
		return m, nil
	case reflect.Bool:
		return scalar("", strconv.FormatBool(v.Bool())), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar("", strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return scalar("", strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32:
		return scalar("", formatFloat(float64(float32(v.Float())))), nil
	case reflect.Float64:
		return scalar("", formatFloat(v.Float())), nil
	case reflect.String:
		return scalar("!!str", v.String()), nil
	}
	return nil, fmt.Errorf("cannot write a value of type %s", t)
}

// sweep encodes a sweep block, axes as lists of their (expanded) values.
func (e *encoder) sweep(sw *Sweep) (k, v *yaml.Node, err error) {
	k = scalar("!!str", "sweep")
	if e.comments {
		k.HeadComment = commentText(fieldDoc(reflect.TypeFor[fileDoc](), "Sweep"))
	}
	v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	rk := scalar("!!str", "replicates")
	ak := scalar("!!str", "axes")
	if e.comments {
		rk.HeadComment = commentText(fieldDoc(reflect.TypeFor[Sweep](), "Replicates"))
		ak.HeadComment = commentText(fieldDoc(reflect.TypeFor[Sweep](), "Axes"))
	}
	axes := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, a := range sw.Axes {
		vals := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, n := range a.Values {
			vals.Content = append(vals.Content, cleanNode(n))
		}
		axes.Content = append(axes.Content, scalar("!!str", a.Path), vals)
	}
	v.Content = append(v.Content, rk, scalar("!!int", strconv.Itoa(sw.Replicates)), ak, axes)
	return k, v, nil
}

// cleanNode copies a value node without positions, comments or anchors, so
// that encodings (and hashes) do not depend on how the file was laid out.
func cleanNode(n *yaml.Node) *yaml.Node {
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
		c.Content = append(c.Content, cleanNode(ch))
	}
	return c
}

// fieldDoc returns the doc comment of field name of struct type t.
func fieldDoc(t reflect.Type, name string) string {
	return fieldDocs[t.PkgPath()+"."+t.Name()+"."+name]
}

// commentText formats a doc comment as YAML comment lines.
func commentText(doc string) string {
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

var scenarioType = reflect.TypeFor[Scenario]()
