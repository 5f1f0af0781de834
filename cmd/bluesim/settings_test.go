package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsGate: environment variables and config files are parsed as
// strictly as the command line. Every bad input exits 2 with a message
// that names where it came from (the variable, or the file, line and
// column) and says what was wanted, and no Go parse message reaches the
// user. None of these cases gets as far as a simulation.
func TestSettingsGate(t *testing.T) {
	dir := t.TempDir()
	config := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	seeed := config("seeed.yaml", "out: somewhere\nseeed: 3\n")
	two := config("two.yaml", "workers: two\n")
	list := config("list.yaml", "workers: [1, 2]\n")
	nested := config("nested.yaml", "seed:\n  value: 3\n")
	toml := config("settings.toml", "workers = 2\n")
	broken := config("broken.yaml", "workers: 2\n  seed: 3\n")
	self := config("self.yaml", "config: other.yaml\n")
	resume := config("resume.yaml", "resume: true\n")
	negative := config("negative.json", `{"seed": -5}`)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of stderr
	}{
		{"env bad integer", map[string]string{"BLUESIM_WORKERS": "abc"}, []string{"run"},
			[]string{"BLUESIM_WORKERS=abc: want a whole number (it sets --workers)"}},
		{"env negative seed", map[string]string{"BLUESIM_SEED": "-3"}, []string{"run"},
			[]string{"BLUESIM_SEED=-3: want a whole number, 0 or more (it sets --seed)"}},
		{"env bad float", map[string]string{"BLUESIM_CONFIDENCE": "high"}, []string{"target", "--goal", "coverage>=0.1"},
			[]string{"BLUESIM_CONFIDENCE=high: want a number (it sets --confidence)"}},
		{"env unknown", map[string]string{"BLUESIM_WORKRS": "2"}, []string{"run"},
			[]string{"BLUESIM_WORKRS is set, but no bluesim command has that setting", "did you mean BLUESIM_WORKERS?"}},
		{"flag negative seed", nil, []string{"run", "--seed", "-1"},
			[]string{"--seed -1: want a whole number, 0 or more"}},
		{"flag huge seed", nil, []string{"sweep", "town", "--seed", "99999999999999999999999"},
			[]string{"--seed 99999999999999999999999: want a whole number from 0 to 18446744073709551615"}},
		{"flag bad integer", nil, []string{"run", "--workers", "2.5"},
			[]string{"--workers 2.5: want a whole number"}},
		{"config unknown key", nil, []string{"run", "--config", seeed},
			[]string{seeed + ":2:1: unknown setting \"seeed\" for bluesim run; did you mean \"seed\"?", "settings: force, out, seed, set, shard, shard-count, workers"}},
		{"config bad value", nil, []string{"run", "--config", two},
			[]string{two + ":1:10: workers: want a whole number, got \"two\""}},
		{"config list for one value", nil, []string{"run", "--config", list},
			[]string{list + ":1:10: workers: want one value, got a list (--workers is not repeatable)"}},
		{"config mapping", nil, []string{"run", "--config", nested},
			[]string{nested + ":2:3: seed: want a value, got a mapping"}},
		{"config toml", nil, []string{"run", "--config", toml},
			[]string{"--config " + toml + ": want a YAML file (.yaml or .yml; JSON is YAML too), not .toml"}},
		{"config syntax", nil, []string{"run", "--config", broken},
			[]string{broken + ":2: invalid YAML"}},
		{"config names a config", nil, []string{"run", "--config", self},
			[]string{self + ":1:1: config: a config file cannot name another config file"}},
		{"config key of another command", nil, []string{"run", "--config", resume},
			[]string{resume + ":1:1: unknown setting \"resume\" for bluesim run"}},
		{"config json", nil, []string{"run", "--config", negative},
			[]string{negative + ":1:10: seed: want a whole number, 0 or more, got \"-5\""}},
		{"config missing", nil, []string{"run", "--config", filepath.Join(dir, "nope.yaml")},
			[]string{"--config " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"}},
		{"config from the environment", map[string]string{"BLUESIM_CONFIG": two}, []string{"run"},
			[]string{two + ":1:10: workers: want a whole number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			got := runCLI(t, tc.args...)
			if got.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr: %s", got.code, exitUsage, got.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, got.stderr)
				}
			}
			for _, leak := range []string{"strconv", "parsing \"", "invalid syntax", "--set seed"} {
				if strings.Contains(got.stderr, leak) {
					t.Errorf("stderr shows %q:\n%s", leak, got.stderr)
				}
			}
			if strings.Count(got.stderr, "\n") > 2 {
				t.Errorf("want a short message, got:\n%s", got.stderr)
			}
		})
	}
}

// TestSettingsLayersAccepted: good values from the config file (a list for
// a repeatable flag) and the environment reach the command, the command
// line wins over the environment, which wins over the file, and the test
// suite's own BLUESIM_TEST_ variables are let be.
func TestSettingsLayersAccepted(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bluesim.yml")
	if err := os.WriteFile(cfg, []byte("set:\n  - days=3\n  - seed=11\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BLUESIM_TEST_SOMETHING", "1")
	got := runCLI(t, "scenarios", "--show", "town", "--config", cfg)
	if got.code != 0 || !strings.Contains(got.stdout, "\ndays: 3\n") || !strings.Contains(got.stdout, "\nseed: 11\n") {
		t.Fatalf("config set list: exit %d, stderr %s", got.code, got.stderr)
	}
	// The environment wins over the file.
	t.Setenv("BLUESIM_SET", "days=4")
	got = runCLI(t, "scenarios", "--show", "town", "--config", cfg)
	if got.code != 0 || !strings.Contains(got.stdout, "\ndays: 4\n") || strings.Contains(got.stdout, "\nseed: 11\n") {
		t.Fatalf("BLUESIM_SET over the file: exit %d, stderr %s", got.code, got.stderr)
	}
	// The command line wins over both.
	got = runCLI(t, "scenarios", "--show", "town", "--config", cfg, "--set", "days=5")
	if got.code != 0 || !strings.Contains(got.stdout, "\ndays: 5\n") {
		t.Fatalf("--set over the environment: exit %d, stderr %s", got.code, got.stderr)
	}
}
