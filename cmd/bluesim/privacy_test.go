package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/privacy"
)

// TestRunPrivacy: `bluesim run privacy` writes the privacy table (CSV and
// Parquet), every arm's summary.json privacy object with every documented
// key, the reasons for the keys it could not estimate, the figure and the
// report's paragraph. In -short mode the built-in runs on a smaller town.
func TestRunPrivacy(t *testing.T) {
	out := t.TempDir()
	// Not in the module's root, where a folder named privacy would be
	// taken for the scenario.
	t.Chdir(t.TempDir())
	args := []string{"run", "privacy", "--out", out, "--workers", "2"}
	if testing.Short() {
		args = append(args, "--set", "population.size=400", "--set", "population.people_per_market=400")
	}
	got := runCLI(t, args...)
	if got.code != 0 {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	for _, f := range []string{"tables/privacy.csv", "tables/privacy.parquet", "plots/privacy_vs_sniffers.png", "plots/privacy_vs_sniffers.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "tables", "privacy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 13 || rows[0][0] != "arm" || !strings.Contains(string(b), "home_share_ci_low") {
		t.Errorf("privacy.csv: %d rows, header %v", len(rows), rows[0])
	}
	var s struct {
		Arms []struct {
			Name        string            `json:"name"`
			Privacy     map[string]any    `json:"privacy"`
			Unestimable map[string]string `json:"unestimable"`
		} `json:"arms"`
	}
	b, err = os.ReadFile(filepath.Join(out, output.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Arms) != 12 {
		t.Fatalf("%d arms", len(s.Arms))
	}
	for _, a := range s.Arms {
		for _, k := range privacy.Keys() {
			name := strings.TrimPrefix(k.Key, "privacy.")
			v, ok := a.Privacy[name]
			if !ok {
				t.Errorf("arm %s: summary.json has no %s", a.Name, k.Key)
				continue
			}
			if v == nil && !strings.HasSuffix(name, "_ci_low") && !strings.HasSuffix(name, "_ci_high") && a.Unestimable[k.Key] == "" {
				t.Errorf("arm %s: %s is null without a reason under unestimable", a.Name, k.Key)
			}
		}
		if strings.HasPrefix(a.Name, "v1-") && a.Unestimable["privacy.link_precision"] == "" {
			t.Errorf("arm %s: a static ID has no rotation to bridge, yet link_precision has no reason: %v", a.Name, a.Unestimable)
		}
	}
	report, err := os.ReadFile(filepath.Join(out, output.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(report, []byte("Bluetooth sniffers around town")) || !bytes.Contains(report, []byte(`id="privacy_vs_sniffers"`)) {
		t.Error("report.html lacks the privacy paragraph or figure")
	}
}

// TestREADMEDocumentsPrivacyKeys: every arms[].privacy key is explained in
// the README.
func TestREADMEDocumentsPrivacyKeys(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range privacy.Keys() {
		if !bytes.Contains(readme, []byte("`"+k.Key+"`")) {
			t.Errorf("README.md does not document the summary.json key `%s`", k.Key)
		}
	}
}
