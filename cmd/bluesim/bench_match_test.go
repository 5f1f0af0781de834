package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// benchMatchSmall is a workload small enough for a unit test: the
// timings it prints mean nothing, the match counts and the shape do.
var benchMatchSmall = []string{"--keys", "30", "--sightings", "400", "--hit-fraction", "0.1", "--rounds", "1"}

// benchMatchClock is the clock the report should name: process CPU time
// on Linux, where getrusage gives it.
var benchMatchClock = func() string {
	if runtime.GOOS == "linux" {
		return "cpu"
	}
	return "wall"
}()

func benchMatchArgs(extra ...string) []string {
	return append([]string{"bench", "match"}, extra...)
}

func TestBenchMatchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		flag string
	}{
		{"no protocol", nil, "--protocol"},
		{"unknown protocol", []string{"--protocol", "bluezone-v1"}, "--protocol"},
		{"zero keys", []string{"--protocol", "gaen", "--keys", "0"}, "--keys"},
		{"negative sightings", []string{"--protocol", "gaen", "--sightings", "-1"}, "--sightings"},
		{"hit fraction above 1", []string{"--protocol", "dp3t", "--hit-fraction", "1.01"}, "--hit-fraction"},
		{"hit fraction below 0", []string{"--protocol", "dp3t", "--hit-fraction", "-0.5"}, "--hit-fraction"},
		{"hit fraction NaN", []string{"--protocol", "dp3t", "--hit-fraction", "NaN"}, "--hit-fraction"},
		{"zero rounds", []string{"--protocol", "bluezone", "--rounds", "0"}, "--rounds"},
		{"bad format", []string{"--protocol", "bluezone", "--format", "csv"}, "--format"},
		{"zero max ratio", []string{"--protocol", "gaen", "--max-ratio", "0"}, "--max-ratio"},
		{"not a number", []string{"--protocol", "gaen", "--keys", "many"}, "--keys"},
		{"argument", []string{"--protocol", "gaen", "extra"}, "no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := runCLI(t, benchMatchArgs(tc.args...)...)
			if got.code != exitUsage {
				t.Fatalf("exit code %d, want %d (stderr %q)", got.code, exitUsage, got.stderr)
			}
			if !strings.Contains(got.stderr, tc.flag) {
				t.Errorf("stderr %q does not name %s", got.stderr, tc.flag)
			}
			if got.stdout != "" {
				t.Errorf("stdout %q, want nothing", got.stdout)
			}
		})
	}
}

// TestBenchMatchEnvironment checks that BLUESIM_* variables are validated
// like the flags they stand for.
func TestBenchMatchEnvironment(t *testing.T) {
	t.Setenv("BLUESIM_KEYS", "lots")
	got := runCLI(t, benchMatchArgs("--protocol", "gaen")...)
	if got.code != exitUsage || !strings.Contains(got.stderr, "--keys") {
		t.Fatalf("exit %d, stderr %q; want exit 2 naming --keys", got.code, got.stderr)
	}
}

func TestBenchMatchUsageGolden(t *testing.T) {
	golden(t, "bench_match_no_protocol", "bench", "match")
	golden(t, "bench_match_bad_protocol", "bench", "match", "--protocol", "gaen2")
	golden(t, "bench_match_bad_hit_fraction", "bench", "match", "--protocol", "gaen", "--hit-fraction", "2")
}

// TestBenchMatchText checks the text report's shape for each protocol and
// that the matcher found exactly the planted sightings (40 = 10% of 400).
func TestBenchMatchText(t *testing.T) {
	num := `[0-9.]+`
	for _, proto := range benchMatchProtocols {
		t.Run(proto, func(t *testing.T) {
			got := runCLI(t, benchMatchArgs(append([]string{"--protocol", proto}, benchMatchSmall...)...)...)
			if got.code != exitOK {
				t.Fatalf("exit code %d, stderr %q", got.code, got.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
			want := []string{
				`^protocol +` + proto + `$`,
				`^keys +30 +\(one-day keys of 3 diagnosed devices, days 2021-05-18\.\.2021-05-31\)$`,
				`^sightings +400 +\(40 planted from published keys, 360 of 18 devices never published\)$`,
				`^threads +1 +\(one goroutine, GOMAXPROCS 1\)$`,
				`^clock +(cpu +\(process CPU time; wall time in brackets\)|wall +\(no CPU clock on this system\))$`,
				`^rounds +1 +\(medians; match/floor by round: ` + num + `\)$`,
				`^matches +40 +\(expected 40\)$`,
				`^match +` + num + ` s +\(` + num + ` s\) +` + num + ` keys/s +` + num + `e[0-9]+ sightings/s +` + num + ` µs/key$`,
				`^floor +` + num + ` s +\(` + num + ` s\) +` + num + ` keys/s +` + num + ` µs/key +\S.*$`,
				`^ratio +` + num + ` +\(match / floor\)$`,
			}
			if len(lines) != len(want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), got.stdout)
			}
			for i, re := range want {
				if !regexp.MustCompile(re).MatchString(lines[i]) {
					t.Errorf("line %d %q does not match %s", i+1, lines[i], re)
				}
			}
		})
	}
}

// TestBenchMatchJSON checks the JSON keys, which scripts rely on, and the
// match counts across workload sizes.
func TestBenchMatchJSON(t *testing.T) {
	keys := []string{
		"protocol", "keys", "sightings", "hit_fraction", "seed", "rounds", "goroutines", "gomaxprocs", "clock",
		"window_start", "window_end", "published_devices", "other_devices", "matches", "expected_matches",
		"match_seconds", "match_keys_per_second", "match_sightings_per_second", "match_us_per_key", "match_wall_seconds",
		"floor_seconds", "floor_keys_per_second", "floor_us_per_key", "floor_wall_seconds", "floor", "ratio",
		"round_match_seconds", "round_floor_seconds", "round_ratios", "workload_seconds",
	}
	for _, proto := range benchMatchProtocols {
		for _, tc := range []struct{ keys, sightings, hit, planted string }{
			{"1", "0", "0.5", "0"},
			{"15", "100", "1", "100"},
			{"29", "333", "0.03", "10"},
		} {
			t.Run(fmt.Sprintf("%s/%s-%s", proto, tc.keys, tc.sightings), func(t *testing.T) {
				got := runCLI(t, "bench", "match", "--protocol", proto, "--keys", tc.keys, "--sightings", tc.sightings,
					"--hit-fraction", tc.hit, "--rounds", "2", "--seed", "77", "--format", "json")
				if got.code != exitOK {
					t.Fatalf("exit code %d, stderr %q", got.code, got.stderr)
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(got.stdout), &m); err != nil {
					t.Fatal(err)
				}
				var have []string
				for k := range m {
					have = append(have, k)
				}
				slices.Sort(have)
				wantKeys := slices.Sorted(slices.Values(keys))
				if !slices.Equal(have, wantKeys) {
					t.Fatalf("keys %v, want %v", have, wantKeys)
				}
				check := map[string]string{
					"protocol": proto, "keys": tc.keys, "sightings": tc.sightings, "seed": "77", "rounds": "2",
					"goroutines": "1", "gomaxprocs": "1", "clock": benchMatchClock, "matches": tc.planted, "expected_matches": tc.planted,
				}
				for k, want := range check {
					if s := fmt.Sprint(m[k]); s != want {
						t.Errorf("%s = %s, want %s", k, s, want)
					}
				}
				if r := m["round_ratios"].([]any); len(r) != 2 {
					t.Errorf("round_ratios %v, want 2", r)
				}
			})
		}
	}
}

// TestBenchMatchThreshold checks exit code 3 when the ratio is above
// --max-ratio (no matcher is a billion times faster than its own
// cryptography), with the report still printed, and 0 under a loose one.
func TestBenchMatchThreshold(t *testing.T) {
	args := benchMatchArgs(append([]string{"--protocol", "gaen", "--max-ratio", "1e-9"}, benchMatchSmall...)...)
	got := runCLI(t, args...)
	if got.code != exitThreshold || !strings.Contains(got.stderr, "--max-ratio") {
		t.Fatalf("exit %d, stderr %q; want exit 3 naming --max-ratio", got.code, got.stderr)
	}
	if !strings.Contains(got.stdout, "matches     40 ") {
		t.Errorf("report missing on a threshold failure:\n%s", got.stdout)
	}
	args = benchMatchArgs(append([]string{"--protocol", "gaen", "--max-ratio", "1e9", "--format", "json"}, benchMatchSmall...)...)
	if got := runCLI(t, args...); got.code != exitOK || !strings.Contains(got.stdout, `"max_ratio": 1000000000`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
	}
}
