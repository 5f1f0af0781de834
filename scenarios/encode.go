package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/sim/epidemic"
)

//go:generate go run ./internal/fielddoc/gendocs -o docs_gen.go

// Encode writes sc (and sw, when not nil) as a complete scenario file:
// every key, defaults included, in declaration order. With comments, each
// key is preceded by its Go doc comment, so the output explains itself.
// Loading the output gives back sc exactly.
func Encode(sc Scenario, sw *Sweep, comments bool) ([]byte, error) {
	e := newEncoder(comments, &sc)
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

func newEncoder(comments bool, sc *Scenario) *strictyaml.Encoder {
	return &strictyaml.Encoder{
		Comments: comments,
		Doc:      fieldDoc,
		Omit: func(f strictyaml.Field, v reflect.Value) bool {
			switch {
			case f.Owner == scenarioType && f.Name == "experiment":
				// A population run has no experiment block.
				return v.IsNil()
			case f.Owner == scenarioType && f.Name == "epidemic":
				// The epidemic layer off at its defaults is left out, so
				// detection-only scenarios keep the encoding (and hash)
				// they had before the layer existed; reading it back gives
				// the same defaults.
				return v.Interface() == any(epidemic.DefaultParams())
			case f.Owner == armType && f.Name == "adoption_by_area":
				// Likewise an arm without adoptions by area.
				return v.Len() == 0
			case f.Owner == scenarioType && f.Name == "adversary":
				// And the adversary, off at its defaults.
				return reflect.DeepEqual(v.Interface(), any(privacy.DefaultAdversary()))
			case f.Owner == armType && f.Name == "sniffers":
				// And an arm without a network of its own.
				return v.Interface().(privacy.Network).IsZero()
			case f.Owner == geographyType:
				// A town (no census area) leaves the geography keys out
				// for the same reason; they are unused there.
				return sc.Population.Area == ""
			case f.Owner == populationType && sc.Population.Area != "":
				// A census area leaves out the town's keys it does not use
				// (the validator refuses them beside population.area).
				return slices.Contains(townOnlyKeys, f.Name)
			}
			return false
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

var (
	scenarioType   = reflect.TypeFor[Scenario]()
	geographyType  = reflect.TypeFor[agents.Geography]()
	armType        = reflect.TypeFor[Arm]()
	populationType = reflect.TypeFor[agents.Params]()
)

// townOnlyKeys are the population keys a census area does not use: its
// households, ages and settlements come from the census and the urban and
// rural blocks.
var townOnlyKeys = []string{"household_size", "age_shares", "apartment_share", "house_width_m", "bus_share",
	"people_per_market", "people_per_cafe"}
