package main

import (
	"strings"
	"testing"
)

const gaenVecTEK = "75c734c6dd1a782de7a965da5eb93125"

func TestIDsGAENGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ids_gaen_vectors", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976", "--count", "3"}},
		{"ids_gaen_day", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976"}},
		{"ids_gaen_last", []string{"ids", "gaen", "--tek", strings.ToUpper(gaenVecTEK), "--interval", "2643119", "--count", "1"}},
		{"ids_gaen_v11", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976", "--count", "2", "--tx-power", "-20", "--version", "0x58"}},
		{"ids_gaen_bad_hex", []string{"ids", "gaen", "--tek", "zz" + gaenVecTEK[2:], "--interval", "2642976"}},
		{"ids_gaen_short_tek", []string{"ids", "gaen", "--tek", gaenVecTEK[:30], "--interval", "2642976"}},
		{"ids_gaen_no_tek", []string{"ids", "gaen", "--interval", "2642976"}},
		{"ids_gaen_no_interval", []string{"ids", "gaen", "--tek", gaenVecTEK}},
		{"ids_gaen_count_zero", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976", "--count", "0"}},
		{"ids_gaen_count_145", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976", "--count", "145"}},
		{"ids_gaen_past_period", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2643100", "--count", "30"}},
		{"ids_gaen_tx_power", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976", "--tx-power", "128"}},
		{"ids_gaen_bad_version", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976", "--version", "0x80"}},
		{"ids_gaen_negative_interval", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.args...) })
	}
}

// TestIDsGAENVectors checks the CLI's output against the published test
// vectors (protocols.md 2.1) directly, independent of the golden files.
func TestIDsGAENVectors(t *testing.T) {
	res := runCLI(t, "ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976")
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != 144 {
		t.Fatalf("%d lines, want 144", len(lines))
	}
	for i, want := range map[int]string{
		0:   "2642976\t8be6cd371c5c891604bfbe49df845096\t72033874",
		1:   "2642977\t3c9a1de5dd6b02afa7fded7b570b3e56\tc29211b1",
		2:   "2642978\t243ffe9a3b08bded3094bac8630bb8ad\t6adfad03",
		143: "2643119\tf431b62ecf443102ce4ed0407de54bd4\t1215e57e",
	} {
		if lines[i] != want {
			t.Errorf("line %d = %q, want %q", i, lines[i], want)
		}
	}
}

// TestIDsGAENErrorsNameFlag checks that each usage error exits 2 and names
// the offending flag.
func TestIDsGAENErrorsNameFlag(t *testing.T) {
	base := []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "2642976"}
	for _, tc := range []struct {
		flag string
		args []string
	}{
		{"--tek", []string{"ids", "gaen", "--tek", "abc", "--interval", "1"}},
		{"--count", append(base, "--count", "0")},
		{"--count", append(base, "--count", "200")},
		{"--tx-power", append(base, "--tx-power", "-128")},
		{"--version", append(base, "--version", "zz")},
		{"--version", append(base, "--version", "0x100")},
		{"--interval", []string{"ids", "gaen", "--tek", gaenVecTEK, "--interval", "4294967296"}},
	} {
		res := runCLI(t, tc.args...)
		if res.code != exitUsage || !strings.Contains(res.stderr, tc.flag) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %s", tc.args, res.code, res.stderr, tc.flag)
		}
	}
}
