package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCalibrateGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"calibrate_few_seeds", []string{"calibrate", "town", "--seeds", "5"}},
		{"calibrate_bad_min_share", []string{"calibrate", "town", "--min-share", "1.5"}},
		{"calibrate_bad_workers", []string{"calibrate", "town", "--workers", "-1"}},
		{"calibrate_unknown_scenario", []string{"calibrate", "no-such-town"}},
		{"calibrate_province_by_province", []string{"calibrate", "vietnam"}},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.args...) })
	}
}

// TestCalibrateEndToEnd runs the check on a tiny scenario over the
// fewest seeds allowed and reads what it prints and writes. --min-share 1
// is missed by some quantity over 20 seeds: exit 3, with the files
// written.
func TestCalibrateEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine over 20 seeds")
	}
	dir := t.TempDir()
	got := runCLI(t, "calibrate", "testdata/target_tiny.yaml", "--seeds", "20", "--workers", "2", "--out", dir,
		"--set", "diagnosis.daily_fraction=0.1", "--min-share", "1")
	if got.code != exitThreshold || !strings.Contains(got.stderr, "hold less often than --min-share 1") {
		t.Errorf("--min-share 1: exit %d\n%s", got.code, got.stderr)
	}
	row := regexp.MustCompile(`(?m)^bluezone-20 +coverage +([0-9]+) +([0-9]+) +([0-9.]+) % +[0-9]+–[0-9]+ % +[0-9.e-]+ +[0-9.]+ *$`)
	if m := row.FindStringSubmatch(got.stdout); m == nil {
		t.Errorf("no coverage row for bluezone-20:\n%s", got.stdout)
	}
	if !strings.Contains(got.stdout, "seeds 1 to 20") {
		t.Errorf("stdout does not name the seeds:\n%s", got.stdout)
	}
	rows := readCSV(t, filepath.Join(dir, "tables", "calibration.csv"))
	if len(rows) < 1+16 || strings.Join(rows[0][:7], ",") != "table,arm,row,quantity,runs,contained,share" {
		t.Fatalf("calibration table: %d rows, header %v", len(rows), rows[0])
	}
}
