package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/sim/epidemic"
)

//go:generate go run ./internal/fielddoc/gendocs -o docs_gen.go

// Encode writes sc (and sw, when not nil) as a complete scenario file:
// every key, defaults included, in declaration order. With comments, each
// key is preceded by its Go doc comment, so the output explains itself.
// Loading the output gives back sc exactly.
func Encode(sc Scenario, sw *Sweep, comments bool) ([]byte, error) {
	e := newEncoder(comments)
	root, err := e.Node(reflect.ValueOf(sc))
	if err != nil {
		return nil, err
	}
	if sw != nil {
		k, v := encodeSweep(sw, comments)
		root.Content = append(root.Content, k, v)
	}
	return strictyaml.MarshalNode(root)
}

func newEncoder(comments bool) *strictyaml.Encoder {
	return &strictyaml.Encoder{
		Comments: comments,
		Doc:      fieldDoc,
		Omit: func(f strictyaml.Field, v reflect.Value) bool {
			// The epidemic layer off at its defaults is left out, so
			// detection-only scenarios keep the encoding (and hash) they
			// had before the layer existed; reading it back gives the same
			// defaults.
			if f.Owner == scenarioType && f.Name == "experiment" {
				// A population run has no experiment block.
				return v.IsNil()
			}
			return f.Owner == scenarioType && f.Name == "epidemic" && v.Interface() == any(epidemic.DefaultParams())
		},
	}
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

// encodeSweep encodes a sweep block, axes as lists of their (expanded)
// values.
func encodeSweep(sw *Sweep, comments bool) (k, v *yaml.Node) {
	k = strictyaml.Scalar("!!str", "sweep")
	if comments {
		k.HeadComment = strictyaml.CommentText(fieldDoc(reflect.TypeFor[fileDoc](), "Sweep"))
	}
	v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	rk := strictyaml.Scalar("!!str", "replicates")
	ak := strictyaml.Scalar("!!str", "axes")
	if comments {
		rk.HeadComment = strictyaml.CommentText(fieldDoc(reflect.TypeFor[Sweep](), "Replicates"))
		ak.HeadComment = strictyaml.CommentText(fieldDoc(reflect.TypeFor[Sweep](), "Axes"))
	}
	axes := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, a := range sw.Axes {
		vals := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, n := range a.Values {
			vals.Content = append(vals.Content, strictyaml.CleanNode(n))
		}
		axes.Content = append(axes.Content, strictyaml.Scalar("!!str", a.Path), vals)
	}
	v.Content = append(v.Content, rk, strictyaml.Scalar("!!int", strconv.Itoa(sw.Replicates)), ak, axes)
	if len(sw.Goals) > 0 {
		gk := strictyaml.Scalar("!!str", "goals")
		if comments {
			gk.HeadComment = strictyaml.CommentText(fieldDoc(reflect.TypeFor[Sweep](), "Goals"))
		}
		goals := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, g := range sw.Goals {
			goals.Content = append(goals.Content, strictyaml.Scalar("!!str", g))
		}
		v.Content = append(v.Content, gk, goals)
	}
	return k, v
}

// fieldDoc returns the doc comment of field name of struct type t.
func fieldDoc(t reflect.Type, name string) string {
	return fieldDocs[t.PkgPath()+"."+t.Name()+"."+name]
}

var scenarioType = reflect.TypeFor[Scenario]()
