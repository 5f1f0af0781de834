package output

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

// TestByAreaTable checks the by_area table of a census result: present
// only with areas, last, one row per arm and area, rates with intervals
// clustered by index case, and shares too few index cases contribute to
// empty with the reason.
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
	// Mỹ Lộc has no close contact: coverage and its interval are empty,
	// with the reason in the last column.
	if !strings.Contains(lines[2], "my-loc") || !strings.Contains(lines[2], ",0,0,0,50,0,,,,") ||
		!strings.Contains(lines[2], "coverage: no index case with close contacts living in the area; need 10") {
		t.Errorf("Mỹ Lộc row %s", lines[2])
	}
	estimated, few := 0, 0
	for i, a := range Areas(r) {
		// The interval is the cluster interval over the index cases'
		// parts of the area.
		var cl []stats.Cluster
		for _, c := range r.IndexCaseAreas {
			if int(c.Row) == i && c.TP+c.FN > 0 {
				cl = append(cl, stats.Cluster{Num: int64(c.TP), Den: int64(c.TP + c.FN)})
			}
		}
		iv := stats.ClusterRatio(cl, 0.95)
		if iv.Clusters < stats.MinIndexCases {
			few++
			if !math.IsNaN(float64(a.Coverage)) || !math.IsNaN(float64(a.CoverageCILow)) || !strings.Contains(a.Unestimable["coverage"], "need 10") {
				t.Errorf("%s %s: %d index cases, coverage %v [%v, %v], reason %q", a.Arm, a.Area, iv.Clusters,
					a.Coverage, a.CoverageCILow, a.CoverageCIHigh, a.Unestimable["coverage"])
			}
			if !strings.Contains(lines[1+i], "coverage: ") {
				t.Errorf("row %s names no reason", lines[1+i])
			}
		} else {
			estimated++
			if float64(a.Coverage) != float64(a.TP)/float64(a.CloseContacts) || float64(a.CoverageCILow) != iv.Lo ||
				float64(a.CoverageCIHigh) != iv.Hi || a.Unestimable["coverage"] != "" {
				t.Errorf("%s %s: coverage %v [%v, %v], want %v [%v, %v]", a.Arm, a.Area, a.Coverage, a.CoverageCILow,
					a.CoverageCIHigh, iv.Estimate, iv.Lo, iv.Hi)
			}
			// Clustered, the interval is at least as wide as Wilson's
			// over independent pairs would be, give or take rounding.
			lo, hi := stats.Wilson(a.TP, a.CloseContacts, 0.95)
			if iv.Hi-iv.Lo < 0.8*(hi-lo) {
				t.Errorf("%s %s: clustered interval %v narrower than the pairs' %v", a.Arm, a.Area, iv.Hi-iv.Lo, hi-lo)
			}
		}
		if math.Abs(float64(a.InstalledShare)-float64(a.Installed)/float64(a.People)) > 1e-15 {
			t.Fatal("installed share")
		}
	}
	// bluesim calibrate checks the same intervals.
	n := 0
	rows := Areas(r)
	for _, e := range Estimates(r, Options{}) {
		if e.Table != TableByArea || e.Quantity != "coverage" {
			continue
		}
		a := rows[n]
		if e.Arm != a.Arm || e.Row != "area "+a.Area || !sameFloat(e.Value, float64(a.Coverage)) || !sameFloat(e.Lo, float64(a.CoverageCILow)) {
			t.Errorf("estimate %+v for row %s %s", e, a.Arm, a.Area)
		}
		n++
	}
	if n != len(rows) {
		t.Errorf("%d by_area coverage estimates for %d rows", n, len(rows))
	}
	if estimated == 0 || few < 2*len(r.Arms) {
		t.Errorf("%d rows estimated, %d unestimable: the fixture should have both (two districts per arm unestimable)", estimated, few)
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
	// A census run too small for an arm's share says to raise the
	// scale, not population.size (which follows the census).
	small := outputtest.AreaResult()
	small.IndexCases = append(small.IndexCases[:5:5], small.IndexCases[30:]...)
	why := NewSummary(small, Options{Census: &Census{Area: "nam-dinh"}}).Arms[0].Unestimable["coverage"]
	if !strings.Contains(why, "raise population.scale or days") {
		t.Errorf("census arm's reason %q", why)
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
