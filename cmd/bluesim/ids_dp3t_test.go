package main

import (
	"strings"
	"testing"
)

const dp3tVecSK1 = "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"

func TestIDsDP3TGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ids_dp3t_vectors", []string{"ids", "dp3t", "--sk", dp3tVecSK1, "--unshuffled"}},
		{"ids_dp3t_shuffled", []string{"ids", "dp3t", "--sk", dp3tVecSK1, "--count", "4"}},
		{"ids_dp3t_five_minutes", []string{"ids", "dp3t", "--sk", strings.ToUpper(dp3tVecSK1), "--epoch-minutes", "5", "--count", "2", "--unshuffled"}},
		{"ids_dp3t_bad_hex", []string{"ids", "dp3t", "--sk", "zz" + dp3tVecSK1[2:]}},
		{"ids_dp3t_short_sk", []string{"ids", "dp3t", "--sk", dp3tVecSK1[:62]}},
		{"ids_dp3t_no_sk", []string{"ids", "dp3t"}},
		{"ids_dp3t_count_zero", []string{"ids", "dp3t", "--sk", dp3tVecSK1, "--count", "0"}},
		{"ids_dp3t_count_97", []string{"ids", "dp3t", "--sk", dp3tVecSK1, "--count", "97"}},
		{"ids_dp3t_bad_epoch", []string{"ids", "dp3t", "--sk", dp3tVecSK1, "--epoch-minutes", "7"}},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.args...) })
	}
}

// TestIDsDP3TVectors checks the CLI's output against the reference
// implementation's EphIDs of SK1 (protocols.md 4.1) directly, independent of
// the golden files, and that the shuffled day broadcasts the same EphIDs.
func TestIDsDP3TVectors(t *testing.T) {
	lines := func(args ...string) []string {
		t.Helper()
		res := runCLI(t, args...)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		return strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	}
	plain := lines("ids", "dp3t", "--sk", dp3tVecSK1, "--unshuffled")
	if len(plain) != 96 {
		t.Fatalf("%d lines, want 96", len(plain))
	}
	for i, want := range map[int]string{
		0:  "0\t04cab76af57ca373de1d52689fae06c1",
		1:  "1\tab7747084efb743a6aa1b19bab2f0ca3",
		2:  "2\tf417c16279d7f718465f958e17466550",
		95: "95\tef29522dfc8a12a302777bc669793fba",
	} {
		if plain[i] != want {
			t.Errorf("line %d = %q, want %q", i, plain[i], want)
		}
	}
	shuffled := lines("ids", "dp3t", "--sk", dp3tVecSK1)
	set := map[string]bool{}
	for _, l := range plain {
		set[strings.Split(l, "\t")[1]] = true
	}
	moved := 0
	for i, l := range shuffled {
		f := strings.Split(l, "\t")
		if !set[f[1]] {
			t.Errorf("shuffled slot %s broadcasts %s, not an EphID of SK1", f[0], f[1])
		}
		if l != plain[i] {
			moved++
		}
	}
	if len(shuffled) != 96 || moved < 80 {
		t.Errorf("%d shuffled lines, %d differ from generation order", len(shuffled), moved)
	}
}

// TestIDsDP3TErrorsNameFlag checks that each usage error exits 2 and names
// the offending flag.
func TestIDsDP3TErrorsNameFlag(t *testing.T) {
	base := []string{"ids", "dp3t", "--sk", dp3tVecSK1}
	for _, tc := range []struct {
		flag string
		args []string
	}{
		{"--sk", []string{"ids", "dp3t"}},
		{"--sk", []string{"ids", "dp3t", "--sk", "abc"}},
		{"--sk", []string{"ids", "dp3t", "--sk", dp3tVecSK1 + "00"}},
		{"--count", append(base, "--count", "0")},
		{"--count", append(base, "--count", "97")},
		{"--count", append(base, "--count", "-3")},
		{"--count", append(base, "--count", "many")},
		{"--count", append(base, "--epoch-minutes", "5", "--count", "289")},
		{"--epoch-minutes", append(base, "--epoch-minutes", "0")},
		{"--epoch-minutes", append(base, "--epoch-minutes", "2880")},
	} {
		res := runCLI(t, tc.args...)
		if res.code != exitUsage || !strings.Contains(res.stderr, tc.flag) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %s", tc.args, res.code, res.stderr, tc.flag)
		}
	}
	// 288 five-minute EphIDs are fine.
	if res := runCLI(t, append(base, "--epoch-minutes", "5", "--count", "288")...); res.code != 0 {
		t.Errorf("--epoch-minutes 5 --count 288: exit %d, %s", res.code, res.stderr)
	}
}
