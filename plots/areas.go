package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
)

// FigCoverageByArea is the map-like figure of a census run's coverage by
// area.
const FigCoverageByArea = "coverage_by_area"

// areaFigure draws coverage by area: for districts with a place on the
// tile map of vietnam.md §2.3, one small map per arm, each district a tile
// coloured by its coverage and labelled with it, beside a key map naming
// the districts; for areas without tiles (provinces), coverage per area
// and arm as points along a line per area.
func areaFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigCoverageByArea, Title: "Coverage by area"}
	rows := output.Areas(r)
	tiled := len(rows) > 0
	for _, a := range rows {
		tiled = tiled && a.TileRow >= 0
	}
	if tiled {
		return tileFigure(f, r, rows)
	}
	return areaDotFigure(f, r, rows)
}

// shortName drops the administrative prefix of a census name: "Huyện Hải
// Hậu" is "Hải Hậu", "Thành phố Nam Định" is "TP Nam Định".
func shortName(name string) string {
	for _, p := range []string{"Huyện ", "Thị xã ", "Quận ", "Tỉnh "} {
		if s, ok := strings.CutPrefix(name, p); ok {
			return s
		}
	}
	if s, ok := strings.CutPrefix(name, "Thành phố "); ok {
		return "TP " + s
	}
	return name
}

// coverageScale is the colour scale of the tiles: light for low coverage,
// dark for high, from 0 to the highest coverage rounded up to a tenth.
func coverageScale(rows []output.AreaSummary) (palette.ColorMap, float64) {
	top := 0.0
	for _, a := range rows {
		if v := float64(a.Coverage); finite(v) {
			top = math.Max(top, v)
		}
	}
	top = math.Max(0.1, math.Ceil(top*10-1e-9)/10)
	cm := palette.Reverse(moreland.Kindlmann())
	cm.SetMin(0)
	cm.SetMax(top)
	return cm, top
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}

// tileFigure draws the tile maps: a key panel naming the districts, then
// one panel per arm, three panels to a row.
func tileFigure(f Figure, r *sim.Result, rows []output.AreaSummary) (Figure, error) {
	f.Caption = "Each small map is one arm; each tile a district, placed as on the map (north up; the tile layout " +
		"shipped with the census data, consistent with the districts' GADM centroids), coloured and labelled with the " +
		"share of its residents' close contacts who were notified (coverage). The first map names the districts. " +
		"Blank tiles (n/a) had too few index cases with close contacts there to estimate it. Intervals, and why a " +
		"tile is blank, are in tables/by_area.csv."
	p := &Plot{Plot: plot.New()}
	p.Title.Text = f.Title
	p.HideAxes()
	cm, top := coverageScale(rows)
	var arms []string
	for _, a := range rows {
		if !slices.Contains(arms, a.Arm) {
			arms = append(arms, a.Arm)
		}
	}
	maxRow, maxCol := 0, 0
	for _, a := range rows {
		maxRow, maxCol = max(maxRow, a.TileRow), max(maxCol, a.TileCol)
	}
	const perRow = 3
	pw, ph := float64(maxCol+2), float64(maxRow+3) // panel size with gaps and a title line
	var labels plotter.XYLabels
	var styles []labelStyle
	addLabel := func(x, y float64, s string, size vg.Length, c color.Color) {
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: y})
		labels.Labels = append(labels.Labels, s)
		styles = append(styles, labelStyle{size, c})
	}
	panel := func(i int) (x0, y0 float64) {
		return float64(i%perRow) * pw, -float64(i/perRow) * ph
	}
	tile := func(x0, y0 float64, row, col int, fill color.Color) error {
		x, y := x0+float64(col), y0-float64(row)
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x, Y: y}, {X: x + 0.94, Y: y}, {X: x + 0.94, Y: y - 0.94}, {X: x, Y: y - 0.94}})
		if err != nil {
			return err
		}
		poly.Color = fill
		poly.LineStyle.Width = vg.Points(0.5)
		poly.LineStyle.Color = color.Gray{Y: 120}
		p.Add(poly)
		return nil
	}
	// The key.
	x0, y0 := panel(0)
	addLabel(x0+float64(maxCol+1)/2, y0+0.6, "districts", vg.Points(8), color.Black)
	for _, a := range rows {
		if a.Arm != arms[0] {
			continue
		}
		if err := tile(x0, y0, a.TileRow, a.TileCol, color.Gray{Y: 235}); err != nil {
			return f, err
		}
		addLabel(x0+float64(a.TileCol)+0.47, y0-float64(a.TileRow)-0.47, shortName(a.Name), vg.Points(4.8), color.Black)
	}
	for ai, arm := range arms {
		x0, y0 := panel(ai + 1)
		addLabel(x0+float64(maxCol+1)/2, y0+0.6, arm, vg.Points(8), color.Black)
		for _, a := range rows {
			if a.Arm != arm {
				continue
			}
			fill := color.Color(color.White)
			text := "n/a"
			if v := float64(a.Coverage); finite(v) {
				c, err := cm.At(math.Min(v, top))
				if err != nil {
					return f, err
				}
				fill, text = c, fmt.Sprintf("%.0f %%", 100*v)
			}
			if err := tile(x0, y0, a.TileRow, a.TileCol, fill); err != nil {
				return f, err
			}
			ink := color.Color(color.Black)
			if luminance(fill) < 0.45 {
				ink = color.White
			}
			addLabel(x0+float64(a.TileCol)+0.47, y0-float64(a.TileRow)-0.47, text, vg.Points(7), ink)
		}
	}
	// The colour scale: ten swatches under the last row of panels.
	n := len(arms) + 1
	yk := -float64((n-1)/perRow)*ph - float64(maxRow+1) - 0.8
	for i := range 10 {
		v := (float64(i) + 0.5) / 10 * top
		c, err := cm.At(v)
		if err != nil {
			return f, err
		}
		x := float64(i) * 0.5
		poly, err := plotter.NewPolygon(plotter.XYs{{X: x, Y: yk}, {X: x + 0.5, Y: yk}, {X: x + 0.5, Y: yk - 0.35}, {X: x, Y: yk - 0.35}})
		if err != nil {
			return f, err
		}
		poly.Color = c
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	addLabel(0, yk-0.6, "0 %", vg.Points(6.5), color.Black)
	addLabel(5, yk-0.6, fmt.Sprintf("%.0f %%", 100*top), vg.Points(6.5), color.Black)
	addLabel(2.5, yk-0.6, "coverage", vg.Points(6.5), color.Black)
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return f, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = styles[i].size
		l.TextStyle[i].Color = styles[i].ink
		l.TextStyle[i].XAlign = draw.XCenter
		l.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(l)
	p.X.Min, p.X.Max = -0.2, float64(perRow)*pw-0.8
	p.Y.Max = 1.2
	p.Y.Min = yk - 1
	f.Plot = p
	f.Width = 7.5 * vg.Inch
	f.Height = vg.Length(math.Min(12, 1.4+float64((n+perRow-1)/perRow)*2.3)) * vg.Inch
	return f, nil
}

type labelStyle struct {
	size vg.Length
	ink  color.Color
}

// areaDotFigure draws coverage per area (one line per area, census order
// from the top) with a point per arm and its 95 % interval.
func areaDotFigure(f Figure, r *sim.Result, rows []output.AreaSummary) (Figure, error) {
	f.Caption = "Share of each area's residents' close contacts who were notified (coverage), one point per arm " +
		"with its 95 % interval (each index case a cluster of its contacts living in the area); areas in census order " +
		"from the top. An area with too few index cases with contacts there has no point (tables/by_area.csv says why)."
	p := newPlot(f.Title, "coverage", "")
	var areas []string
	var arms []string
	for _, a := range rows {
		if !slices.Contains(areas, a.Area) {
			areas = append(areas, a.Area)
		}
		if !slices.Contains(arms, a.Arm) {
			arms = append(arms, a.Arm)
		}
	}
	for ai, arm := range arms {
		var pts errXPoints
		for _, a := range rows {
			if a.Arm != arm || !finite(float64(a.Coverage), float64(a.CoverageCILow), float64(a.CoverageCIHigh)) {
				continue
			}
			y := float64(len(areas)-1-slices.Index(areas, a.Area)) + (float64(ai)-float64(len(arms)-1)/2)*0.6/float64(len(arms))
			pts.XYs = append(pts.XYs, plotter.XY{X: float64(a.Coverage), Y: y})
			pts.XErrors = append(pts.XErrors, struct{ Low, High float64 }{float64(a.Coverage - a.CoverageCILow), float64(a.CoverageCIHigh - a.Coverage)})
		}
		if len(pts.XYs) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts.XYs)
		if err != nil {
			return f, err
		}
		s.Color, s.Shape, s.Radius = col(ai), glyph(ai), vg.Points(2.5)
		bars, err := plotter.NewXErrorBars(pts)
		if err != nil {
			return f, err
		}
		bars.Color = col(ai)
		p.Add(bars, s)
		p.Legend.Add(arm, s)
	}
	// An area no arm could estimate says so, instead of an empty line.
	var emptyPts plotter.XYs
	var emptyLabels []string
	for i, area := range areas {
		any := false
		for _, a := range rows {
			any = any || (a.Area == area && finite(float64(a.Coverage), float64(a.CoverageCILow), float64(a.CoverageCIHigh)))
		}
		if !any {
			emptyPts = append(emptyPts, plotter.XY{X: 0.002, Y: float64(len(areas) - 1 - i)})
			emptyLabels = append(emptyLabels, "too few index cases")
		}
	}
	if len(emptyPts) > 0 {
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: emptyPts, Labels: emptyLabels})
		if err != nil {
			return f, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = vg.Points(8)
			l.TextStyle[i].Color = color.Gray{Y: 100}
			l.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(l)
	}
	ticks := make([]plot.Tick, len(areas))
	for i, a := range areas {
		ticks[i] = plot.Tick{Value: float64(len(areas) - 1 - i), Label: a}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = -0.7, float64(len(areas))-0.3
	// Room on the right for the legend.
	top := 0.05
	for _, a := range rows {
		if v := float64(a.CoverageCIHigh); finite(v) {
			top = math.Max(top, v)
		}
	}
	p.X.Min, p.X.Max = 0, math.Min(1.45, top*1.45)
	f.Plot = p
	f.Width = 7 * vg.Inch
	f.Height = vg.Length(math.Max(4.5, 1.2+0.18*float64(len(areas)))) * vg.Inch
	return f, nil
}

// errXPoints are points with horizontal intervals.
type errXPoints struct {
	plotter.XYs
	plotter.XErrors
}

// areaReading says how a census run's coverage varied between its areas
// (summary.json's census.coverage_spread), for the arm with the most
// close contacts notified.
func areaReading(s *output.Summary) string {
	c := s.Census
	if c == nil || c.CoverageSpread == nil {
		return ""
	}
	sp := c.CoverageSpread
	return fmt.Sprintf("Coverage differed between the %d areas of %s: with %s it ranged from %s in %s to %s in %s, "+
		"counting each close contact where the contact lives, over the %d areas where at least %d index cases had close "+
		"contacts (see the coverage-by-area figure and tables/by_area.csv, which also has each area's interval).",
		c.Areas, c.Area, sp.Arm, pct(sp.LowCoverage), shortName(sp.LowName), pct(sp.HighCoverage), shortName(sp.HighName),
		sp.Estimated, s.MinIndexCases)
}

// AreaTarget is one area's answer of a per-area install-target search.
type AreaTarget struct {
	Area, Name string
	// Found says whether the goal was met at some adoption up to Max.
	Found bool
	// Answer is the smallest adoption found to meet the goal, BracketLo
	// the largest found to fail it (NaN when met at 0); Max the area's
	// limit (its smartphone ownership).
	Answer, BracketLo, Max float64
	// Crossing is where the area's mean curve meets the goal (NaN when
	// it does not), with its interval [CrossingLo, CrossingHi] (NaN ends
	// where there is none, or no upper end below Max).
	Crossing, CrossingLo, CrossingHi float64
}

// FigTargetByArea is the per-area install-target figure.
const FigTargetByArea = "target_by_area"

// TargetByAreaFigure draws, for each area, where its mean curve meets
// the goal with that adoption's interval (a triangle with a bar), and the
// conservative answer, the smallest adoption found to meet the goal on
// the one-sided bound (a point and a line over its bracket, from the
// largest adoption found to fail); an area whose goal is not met even at
// its smartphone ownership is a cross at that limit.
func TargetByAreaFigure(title, goal string, rows []AreaTarget) (Figure, error) {
	f := Figure{Name: FigTargetByArea, Title: title,
		Caption: "For each area, the adoption of that area (the others as the scenario has them) at which " +
			goal + " holds for its residents. The triangle is where the mean over replicates meets the goal, its bar " +
			"the interval of that adoption at the search's confidence (index cases resampled within each replicate, each with its contacts " +
			"living in the area). The circle is the conservative answer, judged on the one-sided confidence bound, " +
			"and the line below it the bracket the search narrowed it to. A cross marks an area whose goal is not " +
			"met even when every smartphone owner there has the app."}
	p := newPlot(title, "adoption of the area (share of its people with the app)", "")
	var found, missed plotter.XYs
	var cross errXPoints
	n := len(rows)
	ticks := make([]plot.Tick, n)
	for i, r := range rows {
		y := float64(n - 1 - i)
		ticks[i] = plot.Tick{Value: y, Label: shortName(r.Name)}
		if finite(r.Crossing) {
			lo, hi := r.CrossingLo, r.CrossingHi
			if !finite(lo) {
				lo = r.Crossing
			}
			if !finite(hi) {
				hi = r.Max
				if !finite(r.CrossingLo) {
					hi = r.Crossing
				}
			}
			cross.XYs = append(cross.XYs, plotter.XY{X: r.Crossing, Y: y + 0.2})
			cross.XErrors = append(cross.XErrors, struct{ Low, High float64 }{r.Crossing - lo, hi - r.Crossing})
		}
		if !r.Found {
			missed = append(missed, plotter.XY{X: r.Max, Y: y})
			continue
		}
		found = append(found, plotter.XY{X: r.Answer, Y: y})
		lo := r.BracketLo
		if math.IsNaN(lo) {
			lo = 0
		}
		l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: y}, {X: r.Answer, Y: y}})
		if err != nil {
			return f, err
		}
		l.Color = col(0)
		l.Width = vg.Points(2)
		p.Add(l)
	}
	if len(found) > 0 {
		s, err := plotter.NewScatter(found)
		if err != nil {
			return f, err
		}
		s.Color, s.Shape, s.Radius = col(0), draw.CircleGlyph{}, vg.Points(3.5)
		p.Add(s)
		p.Legend.Add("conservative answer (one-sided bound)", s)
	}
	if len(cross.XYs) > 0 {
		bars, err := plotter.NewXErrorBars(cross)
		if err != nil {
			return f, err
		}
		bars.Color = col(2)
		s, err := plotter.NewScatter(cross.XYs)
		if err != nil {
			return f, err
		}
		s.Color, s.Shape, s.Radius = col(2), draw.TriangleGlyph{}, vg.Points(3.5)
		p.Add(bars, s)
		p.Legend.Add("mean curve meets the goal (interval)", s)
	}
	if len(missed) > 0 {
		s, err := plotter.NewScatter(missed)
		if err != nil {
			return f, err
		}
		s.Color, s.Shape, s.Radius = col(1), draw.CrossGlyph{}, vg.Points(4)
		p.Add(s)
		p.Legend.Add("not met up to the area's smartphone ownership", s)
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = -0.7, float64(n)+0.3
	p.X.Min, p.X.Max = 0, 1
	f.Plot = p
	f.Width = 7 * vg.Inch
	f.Height = vg.Length(math.Max(3.5, 1.4+0.3*float64(n))) * vg.Inch
	return f, nil
}
