package scenarios

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/internal/strictyaml"
)

// The issue asks for exactly these built-ins; more may come.
var wantBuiltins = []string{"adoption-sweep", "apartments", "bus", "city", "market", "nam-dinh", "office", "policy", "privacy", "school", "town", "vietnam"}

func TestBuiltinsLoadAndValidate(t *testing.T) {
	names := BuiltinNames()
	for _, w := range wantBuiltins {
		if !slices.Contains(names, w) {
			t.Errorf("built-in %q is missing", w)
		}
	}
	list, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		t.Run(b.Name, func(t *testing.T) {
			l, err := LoadBuiltin(b.Name)
			if err != nil {
				t.Fatal(err)
			}
			if l.Scenario.Name != b.Name {
				t.Errorf("name %q, want the file's name %q", l.Scenario.Name, b.Name)
			}
			if b.Description == "" || strings.Contains(b.Description, "\n") {
				t.Errorf("description %q: want one line", b.Description)
			}
			if errs := Validate(&l.Scenario); len(errs) > 0 {
				t.Fatal(errs)
			}
			plan, err := l.Plan()
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range plan.Tasks[:min(3, len(plan.Tasks))] {
				sc, err := plan.Scenario(task)
				if err != nil {
					t.Fatal(err)
				}
				if errs := Validate(&sc); len(errs) > 0 {
					t.Fatal(errs)
				}
			}
		})
	}
}

// TestTownIsTheDefault: the town file restates the code's defaults, so the
// two must agree.
func TestTownIsTheDefault(t *testing.T) {
	l, err := LoadBuiltin("town")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Scenario, Default()) {
		a, _ := Encode(l.Scenario, nil, false)
		b, _ := Encode(Default(), nil, false)
		t.Fatalf("town.yaml differs from Default():\n%s\n---\n%s", a, b)
	}
	if l2, err := Resolve(""); err != nil || l2.Source != "builtin:town.yaml" {
		t.Fatalf("Resolve(\"\") = %v, %v", l2, err)
	}
}

// TestBuiltinsAreCommented: every key in a built-in file has a comment on
// it, above it, or above the block it belongs to.
func TestBuiltinsAreCommented(t *testing.T) {
	for _, name := range BuiltinNames() {
		src, err := BuiltinSource(name)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatal(err)
		}
		var walk func(n *yaml.Node, path string, covered bool)
		walk = func(n *yaml.Node, path string, covered bool) {
			switch n.Kind {
			case yaml.DocumentNode:
				for _, c := range n.Content {
					walk(c, path, covered)
				}
			case yaml.MappingNode:
				if n.Style == yaml.FlowStyle {
					return
				}
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					p := strictyaml.JoinPath(path, k.Value)
					has := k.HeadComment != "" || k.LineComment != "" || v.LineComment != ""
					// The first key of a file carries the file's header.
					if i == 0 && path == "" && doc.HeadComment != "" {
						has = true
					}
					if !has && v.Kind == yaml.ScalarNode && !covered {
						t.Errorf("%s.yaml:%d: %s has no comment explaining it", name, k.Line, p)
					}
					// A comment on a block covers what is inside it.
					walk(v, p, has || covered)
				}
			case yaml.SequenceNode:
				for i, c := range n.Content {
					walk(c, indexPath(path, i), covered || c.HeadComment != "")
				}
			}
		}
		walk(&doc, "", false)
	}
}
