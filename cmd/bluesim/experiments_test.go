package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestBuiltinExperiments runs every built-in experiment in process and
// checks what it is for: tables/pair_scores is written, the ROC figure is
// drawn, and every arm has an AUC with its interval in summary.json.
func TestBuiltinExperiments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every built-in experiment")
	}
	n := 0
	for _, name := range scenarios.BuiltinNames() {
		l, err := scenarios.LoadBuiltin(name)
		if err != nil {
			t.Fatal(err)
		}
		if l.Scenario.Experiment == nil {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if r := runCLI(t, "run", name, "--out", dir, "--workers", "2"); r.code != exitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			var s struct {
				Tables    []string `json:"tables"`
				Plots     []string `json:"plots"`
				AUCMethod string   `json:"auc_method"`
				Arms      []struct {
					Name    string   `json:"name"`
					RawAUC  *float64 `json:"auc"`
					RawLow  *float64 `json:"auc_ci_low"`
					RawHigh *float64 `json:"auc_ci_high"`
				} `json:"arms"`
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(s.Tables, "tables/pair_scores.csv") || !slices.Contains(s.Plots, "plots/roc.svg") || s.AUCMethod == "" {
				t.Fatalf("tables %v, plots %v, auc_method %q", s.Tables, s.Plots, s.AUCMethod)
			}
			csv, err := os.ReadFile(filepath.Join(dir, "tables", "pair_scores.csv"))
			if err != nil || strings.Count(string(csv), "\n") < 10 {
				t.Fatalf("pair_scores.csv: %d lines, %v", strings.Count(string(csv), "\n"), err)
			}
			for _, a := range s.Arms {
				if a.RawAUC == nil || a.RawLow == nil || a.RawHigh == nil || !(*a.RawLow <= *a.RawAUC && *a.RawAUC <= *a.RawHigh) {
					t.Errorf("arm %s: auc %v [%v, %v]", a.Name, a.RawAUC, a.RawLow, a.RawHigh)
				}
			}
		})
	}
	if n < 5 {
		t.Fatalf("%d built-in experiments, want experiment, tram, queue, restaurant and room", n)
	}
}
