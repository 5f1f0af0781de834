package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
)

// Parse parses one YAML document into its root node (nil for an empty
// file), turning syntax errors into located errors. The root must be a
// mapping; what describes the file in the message when it is not ("a
// scenario file").
func Parse(name string, data []byte, what string) (*yaml.Node, ErrorList) {
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
			Msg: "more than one YAML document (---); put one " + what + " per file"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, ErrorList{syntaxError(name, err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if IsNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, ErrorList{{File: name, Line: root.Line, Column: root.Column,
			Msg: "a " + what + " file must be a mapping of keys, got " + Describe(root)}}
	}
	return root, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into an
// *Error with the line.
func syntaxError(name string, err error) *Error {
	e := &Error{File: name, Msg: "invalid YAML: " + YAMLMessage(err)}
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

// YAMLMessage strips yaml.v3's "yaml: line N: " prefix.
func YAMLMessage(err error) string {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		return m[2]
	}
	return err.Error()
}

// FindKey returns the value and key nodes of key in a mapping node.
func FindKey(m *yaml.Node, key string) (val, k *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1], m.Content[i]
		}
	}
	return nil, nil
}

// ClearPos zeroes line and column in a flag's value, which has no file
// position worth printing.
func ClearPos(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		ClearPos(c)
	}
}

// Load decodes the YAML file data (name is used in messages) onto v, a
// pointer to a struct holding the defaults, strictly: an empty file keeps
// them. When *v has a `Validate() error` method, it runs next, and each of
// its problems (check.Errors: field paths relative to *v) is placed at the
// line and column that set the field, or at the file when no key did.
// what describes the file in messages ("national load"). Every problem is
// in the ErrorList returned.
func Load(name string, data []byte, v any, what string) error {
	root, errs := Parse(name, data, what)
	if errs != nil {
		return errs.Err()
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictyaml: Load needs a non-nil pointer, got %T", v)
	}
	d := NewDecoder(name, nil)
	if root != nil {
		d.Decode(rv.Elem(), root, "")
	}
	if len(d.Errs) > 0 {
		return d.Errs.Err()
	}
	val, ok := v.(interface{ Validate() error })
	if !ok {
		return nil
	}
	var list ErrorList
	for _, e := range check.Errors(val.Validate()) {
		list = append(list, &Error{Field: e.Field, Msg: e.Msg})
	}
	return d.Pos.Locate(list, name).Err()
}
