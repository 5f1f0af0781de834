package main

import "testing"

func TestValidateGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"validate_good", []string{"validate", "testdata/validate_good.yaml"}},
		{"validate_builtins", []string{"validate", "town", "city", "adoption-sweep", "testdata/validate_sweep.yaml"}},
		{"validate_misspelled", []string{"validate", "testdata/validate_misspelled.yaml"}},
		{"validate_wrong_type", []string{"validate", "testdata/validate_wrong_type.yaml"}},
		{"validate_out_of_range", []string{"validate", "testdata/validate_out_of_range.yaml"}},
		{"validate_contradiction", []string{"validate", "testdata/validate_contradiction.yaml"}},
		{"validate_foreign_rule", []string{"validate", "testdata/validate_foreign_rule.yaml"}},
		{"validate_bad_syntax", []string{"validate", "testdata/validate_bad_syntax.yaml"}},
		{"validate_unknown_base", []string{"validate", "testdata/validate_unknown_base.yaml"}},
		{"validate_missing_file", []string{"validate", "testdata/no-such-file.yaml"}},
		{"validate_set", []string{"validate", "testdata/validate_good.yaml",
			"--set", "arms[0].adoption=2", "--set", "population.sise=3"}},
		{"validate_mixed", []string{"validate", "testdata/validate_good.yaml", "testdata/validate_unknown_base.yaml"}},
		{"validate_no_args", []string{"validate"}},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.args...) })
	}
}
