package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// TestValidateAndRunAgree is the one gate's test: every built-in scenario
// and a table of values out of some package's range go through `bluesim
// validate` and `bluesim run` (in process, tiny: a few hundred people over
// a few days), and both must give the same verdict: both accept, or both
// refuse with exit code 2 and the same FILE:LINE:COLUMN: FIELD: MESSAGE
// lines. A built-in with a sweep block goes through `bluesim sweep`
// instead (`run` refuses sweeps), with one replicate per point.
func TestValidateAndRunAgree(t *testing.T) {
	tiny := []string{"--set", "population.size=200", "--set", "days=2", "--set", "diagnosis.first_day=1"}
	type tc struct {
		name     string
		scenario string
		sets     []string
		wantOK   bool
		want     string // a line validate must print (refusals)
	}
	var cases []tc
	sweeps := map[string]bool{} // built-ins with a sweep block
	for _, b := range scenarios.BuiltinNames() {
		l, err := scenarios.LoadBuiltin(b)
		if err != nil {
			t.Fatal(err)
		}
		c := tc{name: "builtin " + b, scenario: b, wantOK: true}
		if l.Sweep != nil {
			sweeps[b], c.sets = true, []string{"sweep.replicates=1"}
		}
		cases = append(cases, c)
	}
	// A census area's size follows the census: a tiny run is a tiny scale.
	tinyScale := []string{"population.scale=0.0002", "days=2", "diagnosis.first_day=1"}
	cases = append(cases, []tc{
		// The reproductions: values some package refused at run
		// time while validate said ok.
		{"infectious window beyond the engine", "bus", []string{"diagnosis.infectious_days=20", "engine.retention_days=21"}, false,
			"--set diagnosis.infectious_days=20: diagnosis.infectious_days: must be between 0 and 14, got 20"},
		{"house width beyond agents", "testdata/run_tiny.yaml", []string{"population.house_width_m=50"}, false,
			"--set population.house_width_m=50: population.house_width_m: must be between 2 and 30, got 50"},
		// The engine's storage limits.
		{"days beyond the engine", "town", []string{"days=300"}, false, "--set days=300: days: must be between 1 and 255, got 300"},
		{"retention beyond the engine", "town", []string{"engine.retention_days=256"}, false,
			"--set engine.retention_days=256: engine.retention_days: must be between 1 and 255, got 256"},
		// agents.Build's limits.
		{"one person", "town", []string{"population.size=1"}, false, "population.size: must be between 2 and 50000000, got 1"},
		{"zero-minute bus rides", "bus", []string{"population.bus_minutes=0"}, false, "population.bus_minutes: must be between 1 and 240, got 0"},
		{"no phone models", "town", []string{"population.phones.models=0"}, false, "population.phones.models: must be between 1 and 30000, got 0"},
		{"school from age 2", "school", []string{"population.school_age_min=2"}, false, "population.school_age_min: must be between 3 and 25, got 2"},
		{"huge workplaces", "office", []string{"population.workplace_sizes=[{size: 20000, share: 1}]"}, false,
			"population.workplace_sizes[0].size: must be between 1 and 10000, got 20000"},
		{"nobody owns a phone", "town", []string{"population.phones.ownership_by_age=[0, 0, 0, 0, 0, 0, 0, 0, 0]", "arms[*].adoption=0"}, false,
			"population.phones.ownership_by_age: nobody would own a smartphone"},
		// The protocols' own rules.
		{"gaen thresholds in whole dB", "town", []string{"arms[2].rule.thresholds_db=[55.5, 63]"}, false,
			"arms[2].rule.thresholds_db[0]: want an integer, got a number (55.5)"},
		{"gaen v2 preset with overrides", "town", []string{"arms[2].rule={preset: gaen-v2-example, trigger_minutes: 20}"}, false,
			"arms[2].rule.trigger_minutes: does not apply: preset gaen-v2-example is a v2 rule"},
		{"dp3t preset", "town", []string{"arms[0]={protocol: dp3t, adoption: 0.2, rule: {preset: swisscovid}}"}, false,
			`arms[0].rule: unknown key "preset"`},
		{"bluezone f1 threshold", "town", []string{"arms[0].rule={mode: f1, rssi: {ios_ios: 3}}"}, false,
			"arms[0].rule.rssi.ios_ios: must be between -127 and 0, got 3"},
		{"unknown protocol", "town", []string{"arms[0].protocol=tcn"}, false, `arms[0].protocol: unknown protocol "tcn"`},
		// The radio's and the epidemic's.
		{"radio sensitivity", "town", []string{"radio.rx_sensitivity_dbm=5"}, false, "radio.rx_sensitivity_dbm: want -150 < x < 0, got 5"},
		{"epidemic without a target", "policy", []string{"epidemic.transmission.target_r0=0"}, false,
			"epidemic.transmission.target_r0: want x > 0 when transmission.beta is 0"},
		{"diagnoses after the run", "town", []string{"diagnosis.first_day=5"}, false, "diagnosis.first_day: is day 5 but the run has only 2 days"},
		// Census areas.
		{"unknown district", "nam-dinh", append(slices.Clip(tinyScale), "arms[0].adoption_by_area={hai-hua: 0.3}"), false,
			`arms[0].adoption_by_area.hai-hua: unknown area "hai-hua" (did you mean "hai-hau"?)`},
		{"size beside an area", "nam-dinh", append(slices.Clip(tinyScale), "population.size=500"), false,
			"population.size: is 500, but population.area nam-dinh at scale 0.0002 holds 356 people"},
		{"district adoption above ownership", "nam-dinh", append(slices.Clip(tinyScale), "arms[0].adoption_by_area={y-yen: 0.9}"), false,
			"arms[0].adoption_by_area.y-yen: is 0.9, but only 0.704 of y-yen's people own a smartphone"},
		// Accepted by both.
		{"retention shorter than the window", "town", []string{"engine.retention_days=1"}, true, ""},
		{"protocol changed", "town", []string{"arms[0].protocol=dp3t", "arms[0].rule.trigger_minutes=20"}, true, ""},
		{"gaen v2 preset", "town", []string{"arms[2].rule.preset=gaen-v2-example"}, true, ""},
	}...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sets []string
			for _, s := range c.sets {
				sets = append(sets, "--set", s)
			}
			args := append(append([]string{c.scenario}, tinyFor(t, c.scenario, tiny)...), sets...)
			v := runCLI(t, append([]string{"validate"}, args...)...)
			command := "run"
			if sweeps[c.scenario] {
				command = "sweep"
			}
			r := runCLI(t, append(append([]string{command}, args...), "--out", filepath.Join(t.TempDir(), "out"), "--workers", "2")...)
			if v.code != r.code {
				t.Fatalf("validate exits %d, run %d\nvalidate: %s\nrun: %s", v.code, r.code, v.stderr, r.stderr)
			}
			if c.wantOK {
				if v.code != exitOK {
					t.Fatalf("both refuse a valid scenario:\n%s", v.stderr)
				}
				return
			}
			if v.code != exitUsage {
				t.Fatalf("exit %d, want %d", v.code, exitUsage)
			}
			// validate prints the errors and a summary line; run prints
			// them after "bluesim: ".
			vl := strings.Split(strings.TrimSpace(v.stderr), "\n")
			vl = vl[:len(vl)-1]
			rl := strings.Split(strings.TrimPrefix(strings.TrimSpace(r.stderr), "bluesim: "), "\n")
			if !slices.Equal(vl, rl) {
				t.Fatalf("different messages\nvalidate:\n%s\nrun:\n%s", strings.Join(vl, "\n"), strings.Join(rl, "\n"))
			}
			if !strings.Contains(v.stderr, c.want) {
				t.Fatalf("validate says\n%s\nwant a line containing %q", v.stderr, c.want)
			}
		})
	}
}

// TestREADMEDocumentsRuleKeys: the README's table of rule blocks names
// every key of every built-in protocol's rule.
func TestREADMEDocumentsRuleKeys(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols.All()[:4] {
		info, err := strictyaml.Fields(reflect.TypeOf(p.DefaultRule()))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range info.Names {
			if !strings.Contains(string(readme), "`"+k+"`") {
				t.Errorf("README.md does not name rule key %s of protocol %s", k, p.Name())
			}
		}
	}
}

// tinyFor returns the --set flags that make a scenario tiny: tiny itself,
// or for a census area (whose size follows the census) a scale of about
// 400 people instead of population.size.
func tinyFor(t *testing.T, scenario string, tiny []string) []string {
	l, err := scenarios.Resolve(scenario)
	if err != nil || !l.Scenario.Population.Geographic() {
		return tiny
	}
	var out []string
	for i := 0; i < len(tiny); i += 2 {
		if !strings.HasPrefix(tiny[i+1], "population.size=") {
			out = append(out, tiny[i], tiny[i+1])
		}
	}
	if strings.Contains(l.Scenario.Population.Area, ",") || l.Scenario.Population.Area == "vietnam" {
		return append(out, "--set", "population.scale=0.000005")
	}
	return append(out, "--set", "population.scale=0.0002")
}
