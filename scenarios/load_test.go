package scenarios

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// loadErrs loads src and returns the error lines.
func loadErrs(t *testing.T, src string, sets ...string) []string {
	t.Helper()
	_, err := LoadBytes("t.yaml", []byte(src), sets...)
	if err == nil {
		return nil
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, not an ErrorList: %v", err, err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Error())
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		sets []string
		want []string // each must appear, in this order
	}{
		{"misspelled key", "name: x\ndayz: 3\n",
			nil, []string{`t.yaml:2:1: unknown key "dayz"; did you mean "days"?`}},
		{"nested misspelled key", "arms:\n  - protocol: gaen\n    rule:\n      presett: cwa\n",
			nil, []string{`t.yaml:4:7: arms[0].rule: unknown key "presett"; did you mean "preset"?`}},
		{"unknown key without suggestion", "population:\n  zebra: 1\n",
			nil, []string{`t.yaml:2:3: population: unknown key "zebra"; valid keys: size, household_size`}},
		{"wrong type", "days: many\n",
			nil, []string{`t.yaml:1:7: days: want an integer, got the text "many"`}},
		{"list for scalar", "seed: [1, 2]\n",
			nil, []string{`t.yaml:1:7: seed: want a non-negative integer, got a list`}},
		{"negative unsigned", "seed: -1\n",
			nil, []string{`t.yaml:1:7: seed: must not be negative, got -1`}},
		{"fraction for int", "days: 1.5\n",
			nil, []string{`t.yaml:1:7: days: want an integer, got a number (1.5)`}},
		{"bad date", "start: 2020-13-01\n",
			nil, []string{`t.yaml:1:8: start: bad date "2020-13-01" (want YYYY-MM-DD)`}},
		{"out of range", "arms:\n  - protocol: gaen\n    adoption: 1.5\n",
			nil, []string{`t.yaml:3:5: arms[0].adoption: must be between 0 and 1, got 1.5`}},
		{"days zero", "days: 0\n",
			nil, []string{`t.yaml:1:1: days: must be between 1 and 255, got 0`}},
		{"days beyond the engine", "days: 256\n",
			nil, []string{`t.yaml:1:1: days: must be between 1 and 255, got 256`}},
		{"rule field of another protocol", "arms:\n  - protocol: gaen\n    rule: {mode: f1, preset: cwa}\n",
			nil, []string{`t.yaml:3:12: arms[0].rule: unknown key "mode"; valid keys: preset, thresholds_db, weights, trigger_minutes`}},
		{"dp3t preset refused", "arms:\n  - protocol: dp3t\n    rule: {preset: swisscovid}\n",
			nil, []string{`t.yaml:3:12: arms[0].rule: unknown key "preset"; valid keys: lower_threshold_db, upper_threshold_db`}},
		{"thresholds not monotone", "arms:\n  - protocol: gaen\n    rule: {thresholds_db: [63, 55], weights: [1, 0.5, 0], trigger_minutes: 15}\n",
			nil, []string{`t.yaml:3:32: arms[0].rule.thresholds_db[1]: thresholds must increase: 55 is not above 63`}},
		{"dp3t thresholds swapped", "arms:\n  - protocol: dp3t\n    rule: {lower_threshold_db: 63, upper_threshold_db: 55}\n",
			nil, []string{`t.yaml:3:36: arms[0].rule.upper_threshold_db: must be at least lower_threshold_db (63), got 55`}},
		{"gaen thresholds in whole dB", "arms:\n  - protocol: gaen\n    rule: {thresholds_db: [55.5, 63]}\n",
			nil, []string{`t.yaml:3:28: arms[0].rule.thresholds_db[0]: want an integer, got a number (55.5)`}},
		{"gaen v2 preset takes no overrides", "arms:\n  - protocol: gaen\n    rule: {preset: gaen-v2-example, trigger_minutes: 20}\n",
			nil, []string{`t.yaml:3:37: arms[0].rule.trigger_minutes: does not apply: preset gaen-v2-example is a v2 rule`}},
		{"unknown gaen preset", "arms:\n  - protocol: gaen\n    rule: {preset: cwaa}\n",
			nil, []string{`t.yaml:3:12: arms[0].rule.preset: unknown preset "cwaa" (did you mean "cwa"?) (want cwa, gaen-v1-default, gaen-v2-example, immuni, nhs or swisscovid)`}},
		{"unknown protocol", "arms:\n  - protocol: gaem\n    rule: {preset: cwa}\n",
			nil, []string{`t.yaml:2:5: arms[0].protocol: unknown protocol "gaem" (did you mean "gaen"?) (want bluezone, bluezone-v1, gaen or dp3t)`}},
		{"bluezone f1 threshold", "arms:\n  - protocol: bluezone\n    rule: {mode: f1, rssi: {ios_ios: 5}}\n",
			nil, []string{`t.yaml:3:29: arms[0].rule.rssi.ios_ios: must be between -127 and 0, got 5`}},
		{"house width beyond agents", "population: {house_width_m: 50}\n",
			nil, []string{`t.yaml:1:14: population.house_width_m: must be between 2 and 30, got 50`}},
		{"infectious window beyond the engine", "diagnosis: {infectious_days: 20}\nengine: {retention_days: 21}\n",
			nil, []string{`t.yaml:1:13: diagnosis.infectious_days: must be between 0 and 14, got 20`}},
		{"nobody owns a phone", "population: {phones: {ownership_by_age: [0, 0, 0, 0, 0, 0, 0, 0, 0]}}\narms: [{protocol: gaen, adoption: 0}]\n",
			nil, []string{`t.yaml:1:23: population.phones.ownership_by_age: nobody would own a smartphone`}},
		{"epidemic without a target", "epidemic: {enabled: true, seed_day: 1, transmission: {target_r0: 0}}\n",
			nil, []string{`t.yaml:1:55: epidemic.transmission.target_r0: want x > 0 when transmission.beta is 0`}},
		{"preset and custom distance", "contact:\n  preset: cdc\n  distance_m: 3\n",
			nil, []string{`t.yaml:3:3: contact.distance_m: is only used with preset: custom`}},
		{"several errors sorted", "days: 0\nname: ''\nfoo: 1\n",
			nil, []string{`t.yaml:3:1: unknown key "foo"`}},
		{"duplicate key", "days: 3\ndays: 4\n",
			nil, []string{`t.yaml:2:1: days: given twice (first on line 1)`}},
		{"bad syntax", "days: 3\nname: [1, 2\nseed: 1\n",
			nil, []string{`t.yaml:2: invalid YAML: did not find expected ',' or ']'`}},
		{"bad syntax scanner", "days: 3\nname: a: b\n",
			nil, []string{`t.yaml:2: invalid YAML: mapping values are not allowed in this context`}},
		{"not a mapping", "- a\n- b\n",
			nil, []string{`t.yaml:1:1: a scenario file must be a mapping`}},
		{"unknown base", "base: towm\n",
			nil, []string{`t.yaml:1:7: base: unknown built-in scenario "towm"; did you mean "town"?`}},
		{"set unknown key", "", []string{"arms[2].rule.presett=cwa"},
			[]string{`--set arms[2].rule.presett=cwa: arms[2].rule: unknown key "presett"; did you mean "preset"?`}},
		{"set out of the agents' range", "", []string{"population.house_width_m=50"},
			[]string{`--set population.house_width_m=50: population.house_width_m: must be between 2 and 30, got 50`}},
		{"set index out of range", "", []string{"arms[9].adoption=0.1"},
			[]string{`--set arms[9].adoption=0.1: arms: has 4 entries, no [9]`}},
		{"set bad value", "", []string{"days=abc"},
			[]string{`--set days=abc: days: want an integer, got the text "abc"`}},
		{"set out of range", "", []string{"diagnosis.compliance=2"},
			[]string{`--set diagnosis.compliance=2: diagnosis.compliance: must be between 0 and 1, got 2`}},
		{"set without equals", "", []string{"days"},
			[]string{`--set days: want path.to.key=value`}},
		{"two documents", "days: 3\n---\ndays: 4\n",
			nil, []string{`more than one YAML document`}},
		{"merge key", "a: &a {size: 3}\n",
			nil, []string{`unknown key "a"`}},
		{"adoption above ownership", "arms:\n  - protocol: gaen\n    adoption: 0.9\n",
			nil, []string{`t.yaml:3:5: arms[0].adoption: is 0.9, but only 0.734 of the population own a smartphone`}},
		{"unknown among", "diagnosis: {among: app-users}\n",
			nil, []string{`t.yaml:1:13: diagnosis.among: unknown value "app-users" (did you mean "app_users"?)`}},
		{"range below contact distance", "engine: {range_m: 1.6}\n",
			nil, []string{`t.yaml:1:10: engine.range_m: is 1.6 m, less than the close-contact distance (2 m)`}},
		{"retention beyond the engine", "engine: {retention_days: 256}\n",
			nil, []string{`t.yaml:1:10: engine.retention_days: must be between 1 and 255, got 256`}},
		{"experiment in a census area", "base: experiment\npopulation: {area: nam-dinh}\n",
			nil, []string{`t.yaml:2:14: population.area: is nam-dinh, but an experiment has no census population: its people are the handsets`}},
		{"epidemic in an experiment", "base: experiment\nepidemic: {enabled: true}\n",
			nil, []string{`t.yaml:2:12: epidemic.enabled: must be false in an experiment`}},
		{"sweep bad axis", "sweep:\n  axes:\n    arms[*].adoptoin: [0.1]\n",
			nil, []string{`t.yaml:3:5: sweep.axes.arms[0]: unknown key "adoptoin"; did you mean "adoption"?`}},
		{"sweep value out of range", "sweep:\n  axes:\n    arms[*].adoption: {from: 0.5, to: 1.5, step: 0.5}\n",
			nil, []string{`t.yaml:3:5: arms[0].adoption: must be between 0 and 1, got 1.5 (sweep point arms[*].adoption=1.5)`}},
		{"sweep bad range", "sweep:\n  axes:\n    days: {from: 1, to: 5, step: -1}\n",
			nil, []string{`sweep.axes.days.step: step -1 never gets from 1 to 5`}},
		{"sweep wrong value type", "sweep:\n  axes:\n    days: [3, x]\n",
			nil, []string{`t.yaml:3:15: sweep.axes.days: want an integer, got the text "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrs(t, tt.src, tt.sets...)
			if len(got) == 0 {
				t.Fatalf("no error; want %q", tt.want)
			}
			all := strings.Join(got, "\n")
			rest := all
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("errors do not contain %q (in order):\n%s", w, all)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestErrorsSortedAndAllReported(t *testing.T) {
	got := loadErrs(t, "population:\n  sizee: 3\n  bus_sharee: 1\ndayss: 2\nseed: x\n")
	want := []string{
		`t.yaml:2:3: population: unknown key "sizee"; did you mean "size"?`,
		`t.yaml:3:3: population: unknown key "bus_sharee"; did you mean "bus_share"?`,
		`t.yaml:4:1: unknown key "dayss"; did you mean "days"?`,
		`t.yaml:5:7: seed: want a non-negative integer, got the text "x"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorLimit(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		b.WriteString("k" + strings.Repeat("x", i) + ": 1\n")
	}
	_, err := LoadBytes("t.yaml", []byte(b.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != MaxErrors+1 || !strings.HasPrefix(lines[MaxErrors], "... and 10 more errors") {
		t.Fatalf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

func TestFileOnTopOfDefaults(t *testing.T) {
	l, err := LoadBytes("t.yaml", []byte("days: 3\npopulation:\n  size: 500\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Days = 3
	want.Population.Size = 500
	if !reflect.DeepEqual(l.Scenario, want) {
		t.Fatalf("got %+v\nwant %+v", l.Scenario, want)
	}
	if Default().Population.Size != 10000 {
		t.Fatal("loading changed the defaults")
	}
	if p, ok := l.Positions.Lookup("population.size"); !ok || p.Line != 3 || p.Column != 3 {
		t.Fatalf("position %+v %v", p, ok)
	}
}

func TestSetOverrides(t *testing.T) {
	l, err := LoadBytes("t.yaml", []byte("days: 3\n"),
		"days=5", "arms[1].adoption=0.25", "arms[*].calibrated=true",
		"metrics.distance_bands_m=[1, 3]", "population.workplace_sizes[0]={size: 5, share: 0.35}")
	if err != nil {
		t.Fatal(err)
	}
	sc := l.Scenario
	if sc.Days != 5 || sc.Arms[1].Adoption != 0.25 || sc.Arms[0].Adoption != 0.2 {
		t.Fatalf("days %d arms %+v", sc.Days, sc.Arms)
	}
	for _, a := range sc.Arms {
		if !a.Calibrated {
			t.Fatalf("arm %s not calibrated", a.Name)
		}
	}
	if !reflect.DeepEqual(sc.Metrics.DistanceBandsM, []float64{1, 3}) || sc.Population.WorkplaceSizes[0].Size != 5 {
		t.Fatalf("%+v %+v", sc.Metrics, sc.Population.WorkplaceSizes)
	}
	if d := Default(); d.Arms[1].Adoption != 0.4 || d.Population.WorkplaceSizes[0].Size != 4 {
		t.Fatal("--set wrote through to the defaults")
	}
}

func TestSetSweep(t *testing.T) {
	l, err := LoadBuiltin("adoption-sweep", "sweep.replicates=2", "sweep.axes.arms[*].adoption=[0.3, 0.6]",
		"sweep.axes.days={from: 3, to: 5, step: 1}")
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if p.Points != 6 || p.Replicates != 2 || len(p.Tasks) != 12 || p.Tasks[11].Values[1] != "5" {
		t.Fatalf("points %d replicates %d tasks %+v", p.Points, p.Replicates, p.Tasks)
	}
	for _, bad := range []string{"sweep.replicates=0", "sweep.axes.days=3", "sweep.foo=1", "sweep.axes.dayz=[1]"} {
		if _, err := LoadBuiltin("town", bad); err == nil {
			t.Errorf("--set %s accepted", bad)
		}
	}
}

func TestArmCompletion(t *testing.T) {
	l, err := LoadBytes("t.yaml", []byte("arms:\n  - protocol: gaen\n    adoption: 0.3\n"+
		"  - rule: {mode: f1, min_minutes: 5}\n    protocol: bluezone\n    adoption: 0.3\n"+
		"  - {protocol: dp3t, adoption: 0.3, rule: {trigger_minutes: 20}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := l.Scenario.Arms
	if a[0].Name != "gaen-30" || !a[0].Calibrated || !reflect.DeepEqual(a[0].Rule, gaen.DefaultRuleParams()) {
		t.Fatalf("gaen arm %+v", a[0])
	}
	// A rule block changes the keys it gives and keeps the protocol's
	// deployed rule for the rest, wherever the file puts the protocol.
	want := bluezone.DefaultRuleParams()
	want.Mode, want.MinMinutes = bluezone.ModeF1, 5
	if a[1].Name != "bluezone-30" || a[1].Calibrated || !reflect.DeepEqual(a[1].Rule, want) {
		t.Fatalf("bluezone arm %+v", a[1])
	}
	wantDP := dp3t.DefaultRuleParams()
	wantDP.TriggerMinutes = 20
	if !reflect.DeepEqual(a[2].Rule, wantDP) {
		t.Fatalf("dp3t arm %+v", a[2])
	}
}

func TestProtocolChangeResetsRule(t *testing.T) {
	// --set changes town's first arm from Bluezone to DP-3T: its Bluezone
	// rule is replaced by DP-3T's deployed rule, which a later --set edits.
	l, err := LoadBuiltin("town", "arms[0].protocol=dp3t", "arms[0].rule.trigger_minutes=30")
	if err != nil {
		t.Fatal(err)
	}
	want := dp3t.DefaultRuleParams()
	want.TriggerMinutes = 30
	if !reflect.DeepEqual(l.Scenario.Arms[0].Rule, want) {
		t.Fatalf("rule %+v", l.Scenario.Arms[0].Rule)
	}
	// A sweep over the protocol does the same at each point.
	l, err = LoadBytes("t.yaml", []byte("sweep:\n  axes:\n    arms[0].protocol: [bluezone, gaen, dp3t]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	for i, task := range p.Tasks {
		sc, err := p.Scenario(task)
		if err != nil {
			t.Fatalf("point %d: %v", i, err)
		}
		proto, _ := protocols.Lookup(sc.Arms[0].Protocol)
		if !reflect.DeepEqual(sc.Arms[0].Rule, proto.DefaultRule()) {
			t.Errorf("point %d: %s arm with rule %#v", i, sc.Arms[0].Protocol, sc.Arms[0].Rule)
		}
	}
}

func TestBaseChain(t *testing.T) {
	l, err := LoadBytes("t.yaml", []byte("base: town\ndays: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	town, err := LoadBuiltin("town")
	if err != nil {
		t.Fatal(err)
	}
	want := town.Scenario
	want.Days = 3
	if !reflect.DeepEqual(l.Scenario, want) || l.Base != "town" {
		t.Fatalf("base town + days 2 differs")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			l, err := LoadBuiltin(name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Encode(l.Scenario, l.Sweep, true)
			if err != nil {
				t.Fatal(err)
			}
			back, err := LoadBytes("shown.yaml", b)
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			if !reflect.DeepEqual(back.Scenario, l.Scenario) {
				t.Fatalf("round trip changed the scenario:\n%s", b)
			}
			p1, err := l.Plan()
			if err != nil {
				t.Fatal(err)
			}
			p2, err := back.Plan()
			if err != nil {
				t.Fatal(err)
			}
			if p1.Hash != p2.Hash || !reflect.DeepEqual(p1.Tasks, p2.Tasks) {
				t.Fatalf("round trip changed the sweep plan")
			}
		})
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"", "days: 3\n", "arms:\n  - protocol: gaen\n", "base: town\n", "a: &a [1]\nb: *a\n",
		"sweep:\n  replicates: 2\n  axes:\n    days: {from: 1, to: 3, step: 1}\n",
		"population: {size: 1e3}\n", "start: 2020-01-01\n", "- x\n", "{",
		"base: experiment\nexperiment: {handsets: [{name: a, x: 1, y: 1, model: m}, {name: b, x: 9, y: 1, model: m}]}\n",
		"population: {venues: {homes: false}, bus_rides: 4}\n",
		"adversary: {enabled: true, sniffers: {markets: {count: 1}, bus_stops: {share: 0.5}, grid_spacing_m: 50}, scan: {window_s: 5, period_s: 30}}\n",
		"arms:\n  - {protocol: dp3t, sniffers: {venues: {count: 2}}}\nadversary: {enabled: true}\n",
	} {
		f.Add([]byte(s), "days=2")
	}
	for _, name := range BuiltinNames() {
		src, _ := BuiltinSource(name)
		f.Add(src, "arms[0].adoption=0.5")
	}
	f.Fuzz(func(t *testing.T, data []byte, set string) {
		l, err := LoadBytes("f.yaml", data, set)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			return
		}
		if _, err := l.Plan(); err != nil {
			t.Fatalf("valid scenario has no plan: %v", err)
		}
	})
}

// Every protocol's rule, with values away from its defaults, is written
// back by Encode and loads back equal (scenario.yaml reproduces a run).
func TestEncodeRoundTripRules(t *testing.T) {
	src := `arms:
  - {name: bz, protocol: bluezone, adoption: 0.3, rule: {mode: f1, min_minutes: 7, rssi: {ios_ios: -70}}}
  - {name: v1, protocol: bluezone-v1, adoption: 0.3}
  - {name: g, protocol: gaen, adoption: 0.3, rule: {preset: swisscovid, thresholds_db: [50, 60], weights: [1, 0.25, 0], trigger_minutes: 10}}
  - {name: n, protocol: gaen, adoption: 0.3, rule: {preset: nhs}}
  - {name: g2, protocol: gaen, adoption: 0.3, rule: {preset: gaen-v2-example}}
  - {name: d, protocol: dp3t, adoption: 0.3, calibrated: true, rule: {lower_threshold_db: 50.5, scan_period_minutes: 3}}
`
	l, err := LoadBytes("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, comments := range []bool{false, true} {
		b, err := Encode(l.Scenario, nil, comments)
		if err != nil {
			t.Fatal(err)
		}
		back, err := LoadBytes("back.yaml", b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if !reflect.DeepEqual(back.Scenario, l.Scenario) {
			t.Fatalf("round trip changed the scenario:\n%s", b)
		}
		h1, _ := Hash(l.Scenario)
		h2, _ := Hash(back.Scenario)
		if h1 != h2 {
			t.Fatal("round trip changed the hash")
		}
	}
	g := l.Scenario.Arms[2].Rule.(gaen.RuleParams)
	if cfg, err := g.Config(); err != nil || cfg.V1.DurationAtAttenuationThresholds != [2]int{50, 60} || cfg.NotifyWeightedMinutes != 10 {
		t.Fatalf("gaen rule %+v: %+v %v", g, cfg, err)
	}
}
