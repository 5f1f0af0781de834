package output

import (
	"github.com/bluesim/bluesim/agents/geo"
	"github.com/bluesim/bluesim/sim"
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
	return &c
}

// AreaSummary is one row of the by_area table: an arm's numbers among the
// people of one area, with the run's interval method (95 % Wilson).
type AreaSummary struct {
	sim.AreaRow
	InstalledShare                             Num
	Coverage, CoverageCILow, CoverageCIHigh    Num
	Capture, CaptureCILow, CaptureCIHigh       Num
	Precision, PrecisionCILow, PrecisionCIHigh Num
}

// Areas returns the by-area rows of a result with their rates and
// intervals, in the result's order (arm by arm, areas in census order).
func Areas(r *sim.Result) []AreaSummary {
	out := make([]AreaSummary, 0, len(r.Areas))
	for _, a := range r.Areas {
		s := AreaSummary{AreaRow: a}
		s.InstalledShare = Num(Ratio(a.Installed, a.People))
		s.Coverage = Num(Ratio(a.TP, a.TP+a.FN))
		lo, hi := Wilson(a.TP, a.TP+a.FN)
		s.CoverageCILow, s.CoverageCIHigh = Num(lo), Num(hi)
		s.Capture = Num(Ratio(a.AppTP, a.AppCloseContacts))
		lo, hi = Wilson(a.AppTP, a.AppCloseContacts)
		s.CaptureCILow, s.CaptureCIHigh = Num(lo), Num(hi)
		s.Precision = Num(Ratio(a.TP, a.TP+a.FP))
		lo, hi = Wilson(a.TP, a.TP+a.FP)
		s.PrecisionCILow, s.PrecisionCIHigh = Num(lo), Num(hi)
		out = append(out, s)
	}
	return out
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
		"precision", table.Float, "precision_ci_low", table.Float, "precision_ci_high", table.Float)}
	for _, a := range Areas(r) {
		t.Rows = append(t.Rows, []any{a.Arm, a.Area, a.Name, a.Province, a.Level, a.TileRow, a.TileCol, a.Census, a.People,
			a.Adoption, a.Installed, float64(a.InstalledShare),
			a.IndexCases, a.CloseContacts, a.AppCloseContacts, a.TP, a.FP, a.FN, a.TN, a.Notifications,
			float64(a.Coverage), float64(a.CoverageCILow), float64(a.CoverageCIHigh),
			float64(a.Capture), float64(a.CaptureCILow), float64(a.CaptureCIHigh),
			float64(a.Precision), float64(a.PrecisionCILow), float64(a.PrecisionCIHigh)})
	}
	return t
}
