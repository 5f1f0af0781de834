package main

import "testing"

// A national-load file goes through the strict loader scenario files use:
// its errors name the file, line, column and key, and exit with code 2.
func TestLoadtestNationalLoadFile(t *testing.T) {
	golden(t, "loadtest_bad_national_load", "loadtest", "--scenario", "testdata/loadtest_bad_national_load.yaml")
}
