package output

import (
	"math"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
)

func TestPairScoresTableAndAUC(t *testing.T) {
	r := outputtest.Result()
	ts := ResultTables(r, Options{PairScores: true})
	pt := ts[len(ts)-1]
	if pt.Name != TablePairs || len(pt.Rows) != len(r.Pairs) {
		t.Fatalf("last table %s with %d rows, want %s with %d", pt.Name, len(pt.Rows), TablePairs, len(r.Pairs))
	}
	col := map[string]int{}
	for i, c := range pt.Columns {
		col[c.Name] = i
	}
	for i, row := range pt.Rows {
		p := &r.Pairs[i]
		if row[col["verdict"]] != p.Verdict() || row[col["score"]] != p.Score.Value || row[col["arm"]] != r.Arms[p.Arm].Name {
			t.Fatalf("row %d: %v for %+v", i, row, p)
		}
	}
	if _, err := pt.CSV(); err != nil {
		t.Fatal(err)
	}
	if _, err := pt.Parquet(); err != nil {
		t.Fatal(err)
	}
	if ts := ResultTables(r, Options{}); ts[len(ts)-1].Name == TablePairs {
		t.Fatal("pair_scores written without being asked for")
	}
	// Every synthetic arm separates its close contacts, GAEN better.
	s := NewSummary(r, Options{})
	for _, a := range s.Arms {
		if !(a.AUC > 0.6 && a.AUCCILow < a.AUC && a.AUC < a.AUCCIHigh) {
			t.Errorf("%s: AUC %v [%v, %v]", a.Name, a.AUC, a.AUCCILow, a.AUCCIHigh)
		}
	}
	if !(s.Arms[2].AUC > s.Arms[0].AUC) {
		t.Errorf("GAEN's AUC %v not above Bluezone's %v", s.Arms[2].AUC, s.Arms[0].AUC)
	}
	// Too few index cases: null, with the reason.
	r.Pairs = r.Pairs[:20]
	a := Arm(r, r.Arms[0], Options{})
	if !math.IsNaN(float64(a.AUC)) || a.Unestimable["auc"] == "" {
		t.Errorf("2 index cases: AUC %v, unestimable %q", a.AUC, a.Unestimable["auc"])
	}
}
