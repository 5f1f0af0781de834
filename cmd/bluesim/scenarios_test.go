package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

func TestScenariosGolden(t *testing.T) {
	golden(t, "scenarios_list", "scenarios")
	golden(t, "scenarios_show_unknown", "scenarios", "--show", "towm")
	golden(t, "scenarios_show_bad_set", "scenarios", "--show", "town", "--set", "arms[0].adoptoin=0.5")
}

// TestScenariosShowRoundTrip: what --show prints is a scenario file that
// loads back to the same scenario, for every built-in, with comments.
func TestScenariosShowRoundTrip(t *testing.T) {
	for _, name := range scenarios.BuiltinNames() {
		r := runCLI(t, "scenarios", "--show", name)
		if r.code != 0 {
			t.Fatalf("%s: %s", name, r.stderr)
		}
		if !strings.Contains(r.stdout, "# Size is the number of people.\n  size: ") {
			t.Errorf("%s: --show lacks the field comments", name)
		}
		back, err := scenarios.LoadBytes(name+"-shown.yaml", []byte(r.stdout))
		if err != nil {
			t.Fatalf("%s: --show output does not load: %v", name, err)
		}
		want, err := scenarios.LoadBuiltin(name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Scenario, want.Scenario) {
			t.Errorf("%s: --show output loads to a different scenario", name)
		}
		if (want.Sweep == nil) != (back.Sweep == nil) {
			t.Errorf("%s: --show lost or invented the sweep block", name)
		}
	}
	r := runCLI(t, "scenarios", "--show", "town", "--set", "days=3", "--set", "arms[*].adoption=0.5")
	if r.code != 0 || !strings.Contains(r.stdout, "\ndays: 3\n") || strings.Count(r.stdout, "adoption: 0.5") != 4 {
		t.Fatalf("--set not applied:\n%s", r.stderr)
	}
}
