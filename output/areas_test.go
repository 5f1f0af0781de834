package output

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/table"
)

// TestByAreaTable checks the by_area table of a census result: present
// only with areas, last, one row per arm and area, rates with Wilson
// intervals and undefined ones empty.
func TestByAreaTable(t *testing.T) {
	if ts := ResultTables(outputtest.Result(), Options{}); slices.ContainsFunc(ts, func(t table.Table) bool { return t.Name == TableByArea }) {
		t.Fatal("a town has a by_area table")
	}
	r := outputtest.AreaResult()
	ts := ResultTables(r, Options{})
	bt := ts[len(ts)-1]
	if bt.Name != TableByArea || len(bt.Rows) != len(r.Areas) {
		t.Fatalf("last table %s with %d rows, want by_area with %d", bt.Name, len(bt.Rows), len(r.Areas))
	}
	csv, err := bt.CSV()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if !strings.HasPrefix(lines[0], "arm,area,name,province,level,tile_row,tile_col,census,people,adoption,installed,installed_share,") {
		t.Errorf("header %s", lines[0])
	}
	// Mỹ Lộc has no close contact: coverage and its interval are empty.
	if !strings.Contains(lines[2], "my-loc") || !strings.Contains(lines[2], ",0,0,0,50,0,,,,") {
		t.Errorf("Mỹ Lộc row %s", lines[2])
	}
	for _, a := range Areas(r) {
		if a.CloseContacts == 0 {
			continue
		}
		lo, hi := Wilson(a.TP, a.TP+a.FN)
		if float64(a.Coverage) != float64(a.TP)/float64(a.CloseContacts) || float64(a.CoverageCILow) != lo || float64(a.CoverageCIHigh) != hi {
			t.Fatalf("%s %s: coverage %v [%v, %v]", a.Arm, a.Area, a.Coverage, a.CoverageCILow, a.CoverageCIHigh)
		}
		if math.Abs(float64(a.InstalledShare)-float64(a.Installed)/float64(a.People)) > 1e-15 {
			t.Fatal("installed share")
		}
	}
}

// TestCensusSummary checks summary.json's census object, and that the
// README documents its keys.
func TestCensusSummary(t *testing.T) {
	r := outputtest.AreaResult()
	s := NewSummary(r, Options{Census: &Census{Area: "nam-dinh", AreaLevel: "district", Scale: 0.01}})
	if s.Census == nil || s.Census.CensusPopulation != 1780393 || s.Census.Areas != 10 || s.Census.Scale != 0.01 {
		t.Fatalf("census %+v", s.Census)
	}
	if NewSummary(outputtest.Result(), Options{}).Census != nil {
		t.Fatal("a town has a census object")
	}
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for k := range v["census"].(map[string]any) {
		if !strings.Contains(string(readme), "`census."+k+"`") {
			t.Errorf("README.md does not document summary key census.%s", k)
		}
	}
}
