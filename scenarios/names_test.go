package scenarios

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func armNames(sc Scenario) []string {
	var out []string
	for _, a := range sc.Arms {
		out = append(out, a.Name)
	}
	return out
}

// TestArmNamesFollowOverrides: an arm named after its protocol and
// adoption is renamed when a --set changes either, and the rename is
// recorded; names an author chose are kept.
func TestArmNamesFollowOverrides(t *testing.T) {
	custom := []byte("base: town\narms:\n  - name: deployed\n    protocol: bluezone\n    adoption: 0.2\n  - protocol: gaen\n    adoption: 0.333\n")
	for _, tc := range []struct {
		name    string
		file    []byte // nil: the built-in town
		sets    []string
		want    []string
		renamed []string // "from -> to"
	}{
		{name: "no override", want: []string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"}},
		{
			name: "every adoption", sets: []string{"arms[*].adoption=0.6"},
			want: []string{"bluezone-60", "bluezone-60 (2)", "gaen-60", "gaen-60 (2)"},
			renamed: []string{"bluezone-20 -> bluezone-60", "bluezone-40 -> bluezone-60 (2)",
				"gaen-20 -> gaen-60", "gaen-40 -> gaen-60 (2)"},
		},
		{
			name: "one adoption", sets: []string{"arms[0].adoption=0.3"},
			want:    []string{"bluezone-30", "bluezone-40", "gaen-20", "gaen-40"},
			renamed: []string{"bluezone-20 -> bluezone-30"},
		},
		{
			name: "onto another arm's name", sets: []string{"arms[0].adoption=0.4"},
			want:    []string{"bluezone-40 (2)", "bluezone-40", "gaen-20", "gaen-40"},
			renamed: []string{"bluezone-20 -> bluezone-40 (2)"},
		},
		{
			name: "protocol", sets: []string{"arms[0].protocol=dp3t"},
			want:    []string{"dp3t-20", "bluezone-40", "gaen-20", "gaen-40"},
			renamed: []string{"bluezone-20 -> dp3t-20"},
		},
		{
			name: "same value", sets: []string{"arms[0].adoption=0.2"},
			want: []string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"},
		},
		{
			name: "the name set too", sets: []string{"arms[0].adoption=0.5", "arms[1].name=mine", "arms[1].adoption=0.5"},
			want:    []string{"bluezone-50", "mine", "gaen-20", "gaen-40"},
			renamed: []string{"bluezone-20 -> bluezone-50"},
		},
		{
			name: "other keys", sets: []string{"population.size=500", "arms[*].calibrated=true"},
			want: []string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"},
		},
		{
			name: "an author's name is kept", file: custom, sets: []string{"arms[*].adoption=0.5"},
			want:    []string{"deployed", "gaen-50"},
			renamed: []string{"gaen-33.3 -> gaen-50"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l *Loaded
			var err error
			if tc.file != nil {
				l, err = LoadBytes("custom.yaml", tc.file, tc.sets...)
			} else {
				l, err = LoadBuiltin("town", tc.sets...)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := armNames(l.Scenario); !slices.Equal(got, tc.want) {
				t.Errorf("names %q, want %q", got, tc.want)
			}
			var got []string
			for _, r := range l.Renamed {
				got = append(got, r.From+" -> "+r.To)
				if r.By == "" || l.Scenario.Arms[r.Arm].Name != r.To {
					t.Errorf("rename %+v does not say which override or arm", r)
				}
			}
			if !slices.Equal(got, tc.renamed) {
				t.Errorf("renamed %q, want %q", got, tc.renamed)
			}
		})
	}
}

// TestSweptArmNames: a sweep axis over the value an arm's name gives
// renames the arm in the plan's base, so that the name holds at every
// point; the loaded scenario keeps its names.
func TestSweptArmNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
		want []string
	}{
		{"adoption axis", []string{"sweep.axes.arms[*].adoption=[0.1, 0.3]"},
			[]string{"bluezone", "bluezone (2)", "gaen", "gaen (2)"}},
		{"one arm's adoption", []string{"sweep.axes.arms[2].adoption=[0.1, 0.3]"},
			[]string{"bluezone-20", "bluezone-40", "gaen", "gaen-40"}},
		{"protocol axis", []string{"sweep.axes.arms[0].protocol=[gaen, dp3t]"},
			[]string{"arm-20", "bluezone-40", "gaen-20", "gaen-40"}},
		{"both", []string{"sweep.axes.arms[0].protocol=[gaen, dp3t]", "sweep.axes.arms[0].adoption=[0.1, 0.3]"},
			[]string{"arm-1", "bluezone-40", "gaen-20", "gaen-40"}},
		{"another key", []string{"sweep.axes.population.size=[300, 400]"},
			[]string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := LoadBuiltin("town", tc.sets...)
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if got := armNames(p.Base); !slices.Equal(got, tc.want) {
				t.Errorf("plan names %q, want %q", got, tc.want)
			}
			for _, task := range p.Tasks {
				sc, err := p.Scenario(task)
				if err != nil {
					t.Fatal(err)
				}
				if got := armNames(sc); !slices.Equal(got, tc.want) {
					t.Errorf("task %d names %q, want %q", task.Index, got, tc.want)
				}
			}
			if got := armNames(l.Scenario); !slices.Equal(got, []string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"}) {
				t.Errorf("the loaded scenario's names changed: %q", got)
			}
			if len(p.Renamed) != len(slices.DeleteFunc(slices.Clone(tc.want), func(n string) bool {
				return slices.Contains([]string{"bluezone-20", "bluezone-40", "gaen-20", "gaen-40"}, n)
			})) {
				t.Errorf("renamed %+v", p.Renamed)
			}
		})
	}
}

func TestAdoptionName(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		adoption float64
		want     string
	}{
		{"bluezone", 0.2, "bluezone-20"},
		{"gaen", 0.7, "gaen-70"},
		{"gaen", 0.333, "gaen-33.3"},
		{"dp3t", 0.12345, "dp3t-12.35"},
		{"gaen", 0, "gaen-0"},
		{"gaen", 1, "gaen-100"},
	} {
		if got := AdoptionName(tc.protocol, tc.adoption); got != tc.want {
			t.Errorf("AdoptionName(%s, %v) = %s, want %s", tc.protocol, tc.adoption, got, tc.want)
		}
	}
}

// TestLoadFolderNamedLikeABuiltin: a folder is never a scenario; where the
// current folder holds one named like a built-in (an earlier run's
// output, say), the name means the built-in; any other folder is refused
// in words, not with a read error.
func TestLoadFolderNamedLikeABuiltin(t *testing.T) {
	tmp := t.TempDir()
	t.Chdir(tmp)
	for _, d := range []string{"town", "mine"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Load("town")
	if err != nil || l.Scenario.Name != "town" || l.Source != "builtin:town.yaml" {
		t.Fatalf("Load(town) with a town folder: %v", err)
	}
	_, err = Load("mine")
	if err == nil || err.Error() != "mine: is a folder, not a scenario file" {
		t.Fatalf("Load(mine): %v", err)
	}
}
