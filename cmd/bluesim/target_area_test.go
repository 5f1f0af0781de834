package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTargetByArea runs a tiny per-district search and checks its files
// and its refusals.
func TestTargetByArea(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, "target", "nam-dinh", "--area", "nam-dinh-city", "--goal", "coverage>=0.05", "--arm", "bluezone-40",
		"--replicates", "1", "--precision", "0", "--tolerance", "0.2", "--set", "population.scale=0.002", "--set", "days=3",
		"--set", "diagnosis.daily_fraction=0.02", "--set", "diagnosis.first_day=1", "--out", dir, "--workers", "2")
	if r.code != 0 && r.code != exitThreshold {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "target.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Goal   string `json:"goal"`
		ByArea []struct {
			Area        string  `json:"area"`
			Found       bool    `json:"found"`
			MaxAdoption float64 `json:"max_adoption"`
			Probes      int     `json:"probes"`
			Replicates  int     `json:"replicates"`
			Crossing    struct {
				Found    bool     `json:"found"`
				Adoption *float64 `json:"adoption"`
				CIMethod string   `json:"ci_method"`
			} `json:"mean_crossing"`
		} `json:"by_area"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.ByArea) != 1 || s.ByArea[0].Area != "nam-dinh-city" || s.ByArea[0].Probes == 0 || s.ByArea[0].MaxAdoption < 0.6 {
		t.Fatalf("target.json %s", b)
	}
	if s.ByArea[0].Found != (r.code == 0) {
		t.Errorf("found %v but exit %d", s.ByArea[0].Found, r.code)
	}
	// The mean crossing is reported beside the conservative answer, its
	// interval resampling the index cases (each with its contacts in the
	// district) when it has one.
	if x := s.ByArea[0].Crossing; x.Found && (x.Adoption == nil || (x.CIMethod != "" && x.CIMethod != "index_case_bootstrap")) {
		t.Errorf("mean crossing %+v", x)
	}
	if s.ByArea[0].Replicates < 1 || !strings.Contains(r.stdout, "mean crossing") {
		t.Errorf("%d replicates; stdout %s", s.ByArea[0].Replicates, r.stdout)
	}
	for _, f := range []string{"tables/target_by_area.csv", "tables/target_area_points.parquet", "plots/target_by_area.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"town", "--by-area", "--goal", "coverage>=0.1"}, "--by-area needs a census population"},
		{[]string{"nam-dinh", "--area", "hai-hua", "--goal", "coverage>=0.1"}, `--area hai-hua: unknown area (did you mean "hai-hau"?)`},
		{[]string{"nam-dinh", "--by-area", "--goal", "attack_rate<0.1", "--set", "epidemic.enabled=true"}, "is not kept per area"},
		{[]string{"vietnam", "--goal", "coverage>=0.1"}, "vietnam is simulated province by province"},
	} {
		r := runCLI(t, append([]string{"target"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, r.code, r.stderr)
		}
	}
}
