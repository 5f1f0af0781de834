package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/internal/strictyaml"
)

// Arm names never contradict their values. An arm whose name is the one
// its protocol and adoption give (AdoptionName: "bluezone-20" for Bluezone
// at 20 %) is renamed when an override changes either: --set
// 'arms[*].adoption=0.6' makes bluezone-20 bluezone-60, and a sweep axis
// over the adoption makes it plain bluezone, the same name at every point
// (the adoption has its own column). Names an author chose otherwise are
// kept. A renamed arm whose new name another arm has gets " (2)", " (3)",
// ... appended. Each rename is recorded so that the command line can say
// so.

// Rename is one arm renamed because an override changed the value its name
// gave.
type Rename struct {
	// Arm is the arm's index; From and To its old and new names.
	Arm      int
	From, To string
	// By names the override: "--set arms[*].adoption=0.6" or "sweep axis
	// arms[*].adoption".
	By string
}

func (r Rename) String() string {
	return fmt.Sprintf("%s renames arm %s to %s (its name gave a value the override changes)", r.By, r.From, r.To)
}

// AdoptionName is the name an arm gets from its protocol and adoption when
// its file gives none: the protocol, a dash and the adoption in percent
// ("bluezone-20", "gaen-33.3").
func AdoptionName(protocol string, adoption float64) string {
	return protocol + "-" + percentText(adoption)
}

// percentText writes a share in percent with at most two decimals.
func percentText(x float64) string {
	return strconv.FormatFloat(math.Round(x*1e4)/100, 'f', -1, 64)
}

// NamedByAdoption reports whether the arm's name is the one its protocol
// and adoption give (AdoptionName): such a name says the arm's adoption.
func NamedByAdoption(a Arm) bool { return a.Name == AdoptionName(a.Protocol, a.Adoption) }

// armKey is what an arm's derived name depends on.
type armKey struct {
	name, protocol string
	adoption       float64
}

func armKeys(arms []Arm) []armKey {
	out := make([]armKey, len(arms))
	for i, a := range arms {
		out[i] = armKey{a.Name, a.Protocol, a.Adoption}
	}
	return out
}

// renameArms renames the arms whose names before gave their protocol and
// adoption, where the override by changed either, and returns the renames.
// An arm whose name the override itself set, and arms the override added
// or replaced (the list changed length), are let be.
func renameArms(arms []Arm, before []armKey, by string) []Rename {
	if len(arms) != len(before) {
		return nil
	}
	var targets []int
	for i, a := range arms {
		b := before[i]
		if a.Name != b.name || b.name != AdoptionName(b.protocol, b.adoption) {
			continue
		}
		if AdoptionName(a.Protocol, a.Adoption) != b.name {
			targets = append(targets, i)
		}
	}
	return applyRenames(arms, targets, by, func(_ int, a Arm) string { return AdoptionName(a.Protocol, a.Adoption) })
}

// applyRenames gives each arm of targets the name newName gives it, made
// unique among all the arms' names, and returns the renames.
func applyRenames(arms []Arm, targets []int, by string, newName func(int, Arm) string) []Rename {
	if len(targets) == 0 {
		return nil
	}
	var taken []string
	for i, a := range arms {
		if !slices.Contains(targets, i) {
			taken = append(taken, a.Name)
		}
	}
	var out []Rename
	for _, i := range targets {
		base := newName(i, arms[i])
		name := base
		for n := 2; slices.Contains(taken, name); n++ {
			name = fmt.Sprintf("%s (%d)", base, n)
		}
		taken = append(taken, name)
		if name == arms[i].Name {
			continue
		}
		out = append(out, Rename{Arm: i, From: arms[i].Name, To: name, By: by})
		arms[i].Name = name
	}
	return out
}

// renameSweptArms renames, in the base scenario of a sweep, the arms whose
// names give a value an axis varies: an adoption axis leaves the protocol
// ("bluezone"), a protocol axis the adoption ("arm-20"), both "arm-N" (its
// number from 1). The names then hold at every point.
func renameSweptArms(sc *Scenario, axes Axes) []Rename {
	var targets []int
	varied := map[int][2]bool{} // arm -> protocol, adoption varied
	var by []string
	for i, a := range sc.Arms {
		if !NamedByAdoption(a) {
			continue
		}
		v := varied[i]
		for _, ax := range axes {
			for field, k := range map[string]int{"protocol": 0, "adoption": 1} {
				if wildEqual(ax.Path, indexPath("arms", i)+"."+field) {
					v[k] = true
					if !slices.Contains(by, ax.Path) {
						by = append(by, ax.Path)
					}
				}
			}
		}
		if v[0] || v[1] {
			varied[i] = v
			targets = append(targets, i)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	slices.Sort(by)
	return applyRenames(sc.Arms, targets, "sweep axis "+strings.Join(by, ", "), func(i int, a Arm) string {
		switch v := varied[i]; {
		case v[0] && v[1]:
			return fmt.Sprintf("arm-%d", i+1)
		case v[0]:
			return "arm-" + percentText(a.Adoption)
		}
		return a.Protocol
	})
}

// Family returns a key that two arms share when they differ only in their
// name, adoption and install ramp: the same protocol, calibration and
// rule. Arms of one family are points of one curve against adoption. An
// arm's adoption_by_area is part of its family: its adoption is not one
// number.
func (a Arm) Family() (string, error) {
	a.Name, a.Adoption, a.Ramp = "", 0, Ramp{}
	n, err := newEncoder(false, &Scenario{}).Node(reflect.ValueOf(a))
	if err != nil {
		return "", err
	}
	b, err := strictyaml.MarshalNode(n)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
