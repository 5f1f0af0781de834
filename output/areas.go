package output

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/bluesim/bluesim/agents/geo"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

// TableByArea is the table of a census run's verdicts per area and arm.
const TableByArea = "by_area"

// Census is what a run's summary says about a census population
// (scenario key population.area); see Options.Census.
type Census struct {
	// Area is the scenario's population.area, AreaLevel its
	// population.area_level and Scale its population.scale.
	Area      string `json:"area"`
	AreaLevel string `json:"area_level"`
	Scale     Num    `json:"scale"`
	// CensusPopulation is the 2019 census population of the areas
	// simulated; Areas how many there are.
	CensusPopulation int64 `json:"census_population"`
	Areas            int   `json:"areas"`
	// Source names the census.
	Source string `json:"source"`
	// CoverageSpread is how coverage differed between the areas for the
	// arm that notified the most close contacts; absent when fewer than
	// two areas have an estimate.
	CoverageSpread *CoverageSpread `json:"coverage_spread,omitempty"`
}

// CoverageSpread is summary.json's census.coverage_spread: the lowest
// and the highest coverage among one arm's areas that have an estimate
// (tables/by_area).
type CoverageSpread struct {
	// Arm is the arm, the one with the most true positives.
	Arm string `json:"arm"`
	// Estimated is how many of its areas have a coverage (enough index
	// cases with close contacts there).
	Estimated int `json:"estimated"`
	// Low and High are the areas with the lowest and highest coverage.
	LowArea      string `json:"low_area"`
	LowName      string `json:"low_name"`
	LowCoverage  Num    `json:"low_coverage"`
	HighArea     string `json:"high_area"`
	HighName     string `json:"high_name"`
	HighCoverage Num    `json:"high_coverage"`
}

// censusSummary fills summary.json's "census" object from the result's
// area rows and the scenario's keys (nil without a census population).
func censusSummary(r *sim.Result, o Options) *Census {
	if r.Areas == nil || o.Census == nil {
		return nil
	}
	c := *o.Census
	c.Source = geo.Sources
	c.CensusPopulation, c.Areas = 0, 0
	first := r.Areas[0].Arm
	for _, a := range r.Areas {
		if a.Arm == first {
			c.CensusPopulation += a.Census
			c.Areas++
		}
	}
	c.CoverageSpread = coverageSpread(r)
	return &c
}

// coverageSpread finds the lowest and highest estimated coverage among
// the areas of the arm with the most true positives (the first such
// arm); nil when fewer than two of its areas have an estimate.
func coverageSpread(r *sim.Result) *CoverageSpread {
	if len(r.Arms) == 0 {
		return nil
	}
	best := 0
	for i, a := range r.Arms {
		if a.TP > r.Arms[best].TP {
			best = i
		}
	}
	out := &CoverageSpread{Arm: r.Arms[best].Name}
	var lo, hi *AreaSummary
	rows := Areas(r)
	for i := range rows {
		a := &rows[i]
		if a.Arm != out.Arm || math.IsNaN(float64(a.Coverage)) {
			continue
		}
		out.Estimated++
		if lo == nil || a.Coverage < lo.Coverage {
			lo = a
		}
		if hi == nil || a.Coverage > hi.Coverage {
			hi = a
		}
	}
	if out.Estimated < 2 {
		return nil
	}
	out.LowArea, out.LowName, out.LowCoverage = lo.Area, lo.Name, lo.Coverage
	out.HighArea, out.HighName, out.HighCoverage = hi.Area, hi.Name, hi.Coverage
	return out
}

// AreaSummary is one row of the by_area table: an arm's numbers among the
// people of one area, with the run's interval method (CIMethod): each
// index case is a cluster holding its contacts, and the people notified
// for it, who live in the area.
type AreaSummary struct {
	sim.AreaRow
	InstalledShare                             Num
	Coverage, CoverageCILow, CoverageCIHigh    Num
	Capture, CaptureCILow, CaptureCIHigh       Num
	Precision, PrecisionCILow, PrecisionCIHigh Num
	// Unestimable names each of coverage, capture and precision that is
	// null because fewer than stats.MinIndexCases index cases have
	// contacts (or, for precision, notifications) among the area's
	// people, with the reason and what to enlarge; empty when all three
	// were estimated.
	Unestimable map[string]string
}

// What to raise for more index cases in a census area: the sample is
// population.scale of the census, not population.size.
const (
	enlargeArea    = "population.scale or days"
	enlargeAreaApp = "population.scale, days or the arm's adoption"
)

// The shares of an area with intervals, with which index cases count.
var (
	areaCoverage  = share{"coverage", sim.ShareCoverage, "with close contacts living in the area", enlargeArea}
	areaCapture   = share{"capture", sim.ShareCapture, "with close contacts living in the area where both had the app", enlargeAreaApp}
	areaPrecision = share{"precision", sim.SharePrecision, "that notified anyone living in the area", enlargeAreaApp}
)

// Areas returns the by-area rows of a result with their rates and
// intervals, in the result's order (arm by arm, areas in census order).
//
// An area's share is computed as an arm's is (estimateShare), over the
// index cases of the arm, each restricted to the verdicts about people
// who live in the area (sim.Result.IndexCaseAreas): an index case is one
// cluster of a district's coverage however many of its contacts live
// there, and index cases with no contact there do not count. A share to
// which fewer than stats.MinIndexCases index cases contribute is NaN,
// interval included, with the reason in Unestimable.
func Areas(r *sim.Result) []AreaSummary {
	byRow := make([][]sim.IndexCaseArea, len(r.Areas))
	for _, c := range r.IndexCaseAreas {
		if c.Row >= 0 && int(c.Row) < len(r.Areas) {
			byRow[c.Row] = append(byRow[c.Row], c)
		}
	}
	out := make([]AreaSummary, 0, len(r.Areas))
	for i, a := range r.Areas {
		s := AreaSummary{AreaRow: a, Unestimable: map[string]string{}}
		s.InstalledShare = Num(Ratio(a.Installed, a.People))
		for _, q := range []struct {
			sh            share
			value, lo, hi *Num
		}{
			{areaCoverage, &s.Coverage, &s.CoverageCILow, &s.CoverageCIHigh},
			{areaCapture, &s.Capture, &s.CaptureCILow, &s.CaptureCIHigh},
			{areaPrecision, &s.Precision, &s.PrecisionCILow, &s.PrecisionCIHigh},
		} {
			e := estimateAreaShare(byRow[i], q.sh)
			*q.value, *q.lo, *q.hi = Num(e.value), Num(e.lo), Num(e.hi)
			if e.why != "" {
				s.Unestimable[q.sh.key] = e.why
			}
		}
		out = append(out, s)
	}
	return out
}

// estimateAreaShare is estimateShare over one area's part of each index
// case.
func estimateAreaShare(cases []sim.IndexCaseArea, sh share) estimate {
	cl := make([]stats.Cluster, 0, len(cases))
	for i := range cases {
		if num, den := cases[i].Share(sh.sh); den > 0 {
			cl = append(cl, stats.Cluster{Num: num, Den: den})
		}
	}
	return clusterEstimate(cl, sh)
}

// unestimableText joins a row's reasons, "capture: only 3 index cases
// ...; precision: ...", keys in order; "" when there are none.
func unestimableText(why map[string]string) string {
	keys := slices.Sorted(maps.Keys(why))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + why[k]
	}
	return strings.Join(parts, "; ")
}

// byAreaTable is tables/by_area: one row per arm and area.
func byAreaTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableByArea, Columns: cols(
		"arm", table.String, "area", table.String, "name", table.String, "province", table.String, "level", table.String,
		"tile_row", table.Int, "tile_col", table.Int, "census", table.Int, "people", table.Int,
		"adoption", table.Float, "installed", table.Int, "installed_share", table.Float,
		"index_cases", table.Int, "close_contacts", table.Int, "app_close_contacts", table.Int,
		"tp", table.Int, "fp", table.Int, "fn", table.Int, "tn", table.Int, "notifications", table.Int,
		"coverage", table.Float, "coverage_ci_low", table.Float, "coverage_ci_high", table.Float,
		"capture", table.Float, "capture_ci_low", table.Float, "capture_ci_high", table.Float,
		"precision", table.Float, "precision_ci_low", table.Float, "precision_ci_high", table.Float,
		"unestimable", table.String)}
	for _, a := range Areas(r) {
		t.Rows = append(t.Rows, []any{a.Arm, a.Area, a.Name, a.Province, a.Level, a.TileRow, a.TileCol, a.Census, a.People,
			a.Adoption, a.Installed, float64(a.InstalledShare),
			a.IndexCases, a.CloseContacts, a.AppCloseContacts, a.TP, a.FP, a.FN, a.TN, a.Notifications,
			float64(a.Coverage), float64(a.CoverageCILow), float64(a.CoverageCIHigh),
			float64(a.Capture), float64(a.CaptureCILow), float64(a.CaptureCIHigh),
			float64(a.Precision), float64(a.PrecisionCILow), float64(a.PrecisionCIHigh),
			unestimableText(a.Unestimable)})
	}
	return t
}
