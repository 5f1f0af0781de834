package output

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/table"
)

// With the epidemic layer on, the tables gain the epidemic ones and the
// summary its keys; with it off, neither appears (detection-only outputs
// and their hashes do not change).
func TestEpidemicOutputs(t *testing.T) {
	off := ResultTables(outputtest.Result(), Options{})
	r := outputtest.EpidemicResult()
	on := ResultTables(r, Options{})
	if len(on) != len(off)+3 {
		t.Fatalf("%d tables with the epidemic, %d without", len(on), len(off))
	}
	names := map[string]*table.Table{}
	for i := range on {
		if _, err := on[i].CSV(); err != nil {
			t.Fatal(err)
		}
		names[on[i].Name] = &on[i]
	}
	ea := names[TableEpidemicArms]
	if ea == nil || len(ea.Rows) != len(r.Arms)+1 || ea.Rows[len(ea.Rows)-1][0] != "no-app" {
		t.Fatalf("epidemic_arms: %+v", ea)
	}
	if d := names[TableEpidemicDaily]; d == nil || len(d.Rows) != len(r.Epidemic.Daily) {
		t.Fatal("epidemic_daily rows")
	}
	b, err := NewSummary(r, Options{}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Arms []struct {
			Epidemic map[string]any `json:"epidemic"`
		} `json:"arms"`
		Epidemic map[string]any `json:"epidemic"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"infections", "attack_rate", "infections_averted", "averted", "r_eff",
		"secondary_attack_rate", "notifications_per_index", "quarantine_person_days", "quarantine_uninfected_days"} {
		if _, ok := v.Arms[0].Epidemic[k]; !ok {
			t.Errorf("arms[].epidemic.%s missing", k)
		}
	}
	for _, k := range []string{"beta", "target_r0", "no_app"} {
		if _, ok := v.Epidemic[k]; !ok {
			t.Errorf("epidemic.%s missing", k)
		}
	}
	b0, err := NewSummary(outputtest.Result(), Options{}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b0), "epidemic") {
		t.Error("a detection-only summary mentions the epidemic")
	}
}
