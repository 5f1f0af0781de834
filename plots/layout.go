package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
)

// Plot is a gonum plot that remembers what was added to it, so that its
// figure can place the legend where it covers no data: in a corner of the
// data area that the data leaves empty, or else outside the data area.
// Everything else is gonum's *plot.Plot.
type Plot struct {
	*plot.Plot
	items []plot.Plotter
}

// Add adds plotters, as plot.Plot.Add does, and remembers them.
func (p *Plot) Add(ps ...plot.Plotter) {
	p.items = append(p.items, ps...)
	p.Plot.Add(ps...)
}

// Legend places, tried in this order: a corner of the data area that no
// plotted element touches, else outside the data area, right of it or,
// for a wide legend, below it.
const (
	PlaceTopLeft     = "top-left"
	PlaceTopRight    = "top-right"
	PlaceBottomRight = "bottom-right"
	PlaceBottomLeft  = "bottom-left"
	PlaceRight       = "right"
	PlaceBelow       = "below"
)

// Layout says where a figure's parts go on its canvas.
type Layout struct {
	// Plot is where the plot (title, axes and data area) is drawn: the
	// whole canvas, less a strip when the legend is outside.
	Plot vg.Rectangle
	// Data is the data area inside Plot.
	Data vg.Rectangle
	// Legend is the legend's box, background included; empty when the
	// plot has no legend.
	Legend vg.Rectangle
	// Place is one of the Place constants ("" without a legend).
	Place string
}

// Spacing of the legend box.
var (
	legendInset   = vg.Points(4) // from the data area's edges, inside
	legendPadding = vg.Points(4) // inside the box, around the entries
	legendGap     = vg.Points(8) // from the data area, outside
	// clearance is how near the legend box a plotted element may come.
	clearance = vg.Points(2)
)

// legendSize is the size of p's legend box, padding included; zero
// without entries.
func legendSize(p *plot.Plot) (w, h vg.Length) {
	leg := p.Legend
	r := leg.Rectangle(draw.Canvas{})
	s := r.Size()
	if s.X <= 0 || s.Y <= 0 {
		return 0, 0
	}
	return s.X + 2*legendPadding, s.Y + 2*legendPadding
}

// dataArea is the data area of p drawn in rectangle r.
func dataArea(p *plot.Plot, r vg.Rectangle) draw.Canvas {
	return p.DataCanvas(draw.Canvas{Canvas: new(recorder.Canvas), Rectangle: r})
}

// Layout works out where f's legend goes on a canvas of f's size: the
// first corner of the data area whose box no plotted element touches
// (top-left, top-right, bottom-right, bottom-left), or else outside the
// data area: to its right, or below it when the legend is wider than 30 %
// of the figure.
func (f *Figure) Layout() Layout {
	return f.layoutIn(vg.Rectangle{Max: vg.Point{X: f.Width, Y: f.Height}})
}

// DrawIn draws the figure in c's rectangle, whatever f's Width and Height,
// with its legend placed as Layout places it there: for figures composed
// of panels.
func (f *Figure) DrawIn(c draw.Canvas) {
	f.draw(c, f.layoutIn(c.Rectangle), true, true)
}

// layoutIn is Layout on the rectangle full.
func (f *Figure) layoutIn(full vg.Rectangle) Layout {
	p := f.Plot
	lay := Layout{Plot: full}
	w, h := legendSize(p.Plot)
	dc := dataArea(p.Plot, full)
	lay.Data = dc.Rectangle
	if w == 0 {
		return lay
	}
	fp := footprintOf(p, dc)
	in := dc.Rectangle
	corners := []struct {
		place string
		box   vg.Rectangle
	}{
		{PlaceTopLeft, rect(in.Min.X+legendInset, in.Max.Y-legendInset-h, w, h)},
		{PlaceTopRight, rect(in.Max.X-legendInset-w, in.Max.Y-legendInset-h, w, h)},
		{PlaceBottomRight, rect(in.Max.X-legendInset-w, in.Min.Y+legendInset, w, h)},
		{PlaceBottomLeft, rect(in.Min.X+legendInset, in.Min.Y+legendInset, w, h)},
	}
	for _, c := range corners {
		if fits(c.box, in) && !fp.touches(grow(c.box, clearance)) {
			lay.Place, lay.Legend = c.place, c.box
			return lay
		}
	}
	if w > 0.3*full.Size().X {
		lay.Place = PlaceBelow
		lay.Plot.Min.Y += h + legendGap
		lay.Data = dataArea(p.Plot, lay.Plot).Rectangle
		lay.Legend = rect(lay.Data.Min.X, full.Min.Y+legendGap/2, w, h)
		return lay
	}
	lay.Place = PlaceRight
	lay.Plot.Max.X -= w + legendGap
	lay.Data = dataArea(p.Plot, lay.Plot).Rectangle
	lay.Legend = rect(full.Max.X-w-legendGap/2, lay.Data.Max.Y-h, w, h)
	return lay
}

func rect(x, y, w, h vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x + w, Y: y + h}}
}

func grow(r vg.Rectangle, d vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: r.Min.X - d, Y: r.Min.Y - d}, Max: vg.Point{X: r.Max.X + d, Y: r.Max.Y + d}}
}

// fits says whether r lies inside outer.
func fits(r, outer vg.Rectangle) bool {
	return r.Min.X >= outer.Min.X && r.Min.Y >= outer.Min.Y && r.Max.X <= outer.Max.X && r.Max.Y <= outer.Max.Y
}

// draw draws the figure on c with the legend where Layout puts it. With
// legend false it leaves the legend out, and with grid false the grid, so
// that a test can see what the legend would cover.
func (f *Figure) draw(c draw.Canvas, lay Layout, legend, grid bool) {
	p := f.Plot
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	saved := p.Plot.Legend
	// The plot is drawn without its legend (gonum would draw it inside
	// the data area, over the data), which is drawn after, in its box.
	p.Plot.Legend = plot.NewLegend()
	var drawn *plot.Plot
	if grid {
		drawn = p.Plot
	} else {
		drawn = p.withoutGrid()
	}
	drawn.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: lay.Plot})
	p.Plot.Legend = saved
	if !legend || lay.Place == "" {
		return
	}
	box := draw.Canvas{Canvas: c.Canvas, Rectangle: lay.Legend}
	box.SetColor(color.White)
	box.Fill(lay.Legend.Path())
	edge := draw.LineStyle{Color: color.Gray{Y: 200}, Width: vg.Points(0.5)}
	box.StrokeLines(edge, []vg.Point{lay.Legend.Min, {X: lay.Legend.Max.X, Y: lay.Legend.Min.Y},
		lay.Legend.Max, {X: lay.Legend.Min.X, Y: lay.Legend.Max.Y}, lay.Legend.Min})
	leg := saved
	leg.Top, leg.Left = true, true
	leg.XOffs, leg.YOffs = 0, 0
	inner := draw.Crop(box, legendPadding, -legendPadding, legendPadding, -legendPadding)
	leg.Draw(inner)
}

// withoutGrid is a copy of the plot with the same axes and title and
// every plotter but the grid.
func (p *Plot) withoutGrid() *plot.Plot {
	q := plot.New()
	q.Title, q.X, q.Y = p.Plot.Title, p.Plot.X, p.Plot.Y
	q.BackgroundColor = p.Plot.BackgroundColor
	for _, it := range p.items {
		if _, ok := it.(*plotter.Grid); ok {
			continue
		}
		q.Add(it)
	}
	// Add widens the axes to the data; keep the original's.
	q.X.Min, q.X.Max, q.Y.Min, q.Y.Max = p.Plot.X.Min, p.Plot.X.Max, p.Plot.Y.Min, p.Plot.Y.Max
	return q
}

// footprint is what a plot's data occupies on the canvas: rectangles
// (glyphs, bars, labels), line segments and filled polygons.
type footprint struct {
	rects    []vg.Rectangle
	segs     [][2]vg.Point
	polygons [][]vg.Point
}

// footprintOf collects where p's plotters draw on the data area dc. A
// plotter of a type it does not know counts as covering its whole data
// range.
func footprintOf(p *Plot, dc draw.Canvas) *footprint {
	fp := &footprint{}
	trX, trY := p.Plot.Transforms(&dc)
	pt := func(x, y float64) (vg.Point, bool) {
		if !finite(x, y) {
			return vg.Point{}, false
		}
		return vg.Point{X: trX(x), Y: trY(y)}, true
	}
	line := func(xys plotter.XYs, width vg.Length) {
		var prev vg.Point
		have := false
		for _, xy := range xys {
			q, ok := pt(xy.X, xy.Y)
			if !ok {
				have = false
				continue
			}
			if have {
				fp.segs = append(fp.segs, [2]vg.Point{prev, q})
			} else {
				fp.rects = append(fp.rects, grow(vg.Rectangle{Min: q, Max: q}, width/2))
			}
			prev, have = q, true
		}
	}
	glyphs := func(gb plot.GlyphBoxer) {
		for _, b := range gb.GlyphBoxes(p.Plot) {
			if !finite(b.X, b.Y) {
				continue
			}
			at := vg.Point{X: dc.X(b.X), Y: dc.Y(b.Y)}
			fp.rects = append(fp.rects, b.Rectangle.Add(at))
		}
	}
	for _, it := range p.items {
		switch v := it.(type) {
		case *plotter.Grid:
		case *plotter.Line:
			line(v.XYs, v.Width)
			if v.FillColor != nil {
				fp.polygon(v.XYs, pt, p.Plot.Y.Min)
			}
		case *plotter.Scatter:
			glyphs(v)
		case *plotter.Function:
			lo, hi := p.Plot.X.Min, p.Plot.X.Max
			if v.XMin != 0 || v.XMax != 0 {
				lo, hi = v.XMin, v.XMax
			}
			n := max(v.Samples, 2) * 2
			xys := make(plotter.XYs, n)
			for i := range xys {
				x := lo + (hi-lo)*float64(i)/float64(n-1)
				y := v.F(x)
				// The function is drawn clipped to the data area.
				if finite(y) {
					y = math.Max(math.Min(y, p.Plot.Y.Max), p.Plot.Y.Min)
				}
				xys[i] = plotter.XY{X: x, Y: y}
			}
			line(xys, v.Width)
		case *plotter.YErrorBars:
			for i, xy := range v.XYs {
				lo, ok1 := pt(xy.X, xy.Y-math.Abs(v.YErrors[i].Low))
				hi, ok2 := pt(xy.X, xy.Y+math.Abs(v.YErrors[i].High))
				if ok1 && ok2 {
					fp.segs = append(fp.segs, [2]vg.Point{lo, hi})
					fp.rects = append(fp.rects, rect(hi.X-v.CapWidth/2, hi.Y-v.Width, v.CapWidth, 2*v.Width),
						rect(lo.X-v.CapWidth/2, lo.Y-v.Width, v.CapWidth, 2*v.Width))
				}
			}
		case *plotter.XErrorBars:
			for i, xy := range v.XYs {
				lo, ok1 := pt(xy.X-math.Abs(v.XErrors[i].Low), xy.Y)
				hi, ok2 := pt(xy.X+math.Abs(v.XErrors[i].High), xy.Y)
				if ok1 && ok2 {
					fp.segs = append(fp.segs, [2]vg.Point{lo, hi})
					fp.rects = append(fp.rects, rect(lo.X-v.Width, lo.Y-v.CapWidth/2, 2*v.Width, v.CapWidth),
						rect(hi.X-v.Width, hi.Y-v.CapWidth/2, 2*v.Width, v.CapWidth))
				}
			}
		case *plotter.BarChart:
			for i, h := range v.Values {
				x := trX(v.XMin+float64(i)) - v.Width/2 + v.Offset
				bottom := v.BarHeight(i) - h
				y0, y1 := trY(bottom), trY(bottom+h)
				if !finite(float64(y0), float64(y1)) {
					continue
				}
				fp.rects = append(fp.rects, vg.Rectangle{Min: vg.Point{X: x, Y: min(y0, y1)}, Max: vg.Point{X: x + v.Width, Y: max(y0, y1)}})
			}
		case *plotter.Polygon:
			for _, ring := range v.XYs {
				var poly []vg.Point
				for _, xy := range ring {
					if q, ok := pt(xy.X, xy.Y); ok {
						poly = append(poly, q)
					}
				}
				fp.polygons = append(fp.polygons, poly)
			}
		default:
			if gb, ok := it.(plot.GlyphBoxer); ok {
				glyphs(gb)
			}
			if dr, ok := it.(plot.DataRanger); ok {
				x0, x1, y0, y1 := dr.DataRange()
				a, ok1 := pt(x0, y0)
				b, ok2 := pt(x1, y1)
				if ok1 && ok2 {
					fp.rects = append(fp.rects, vg.Rectangle{Min: vg.Point{X: min(a.X, b.X), Y: min(a.Y, b.Y)},
						Max: vg.Point{X: max(a.X, b.X), Y: max(a.Y, b.Y)}})
				}
			}
		}
	}
	return fp
}

// polygon adds the area under a filled line.
func (fp *footprint) polygon(xys plotter.XYs, pt func(x, y float64) (vg.Point, bool), base float64) {
	var poly []vg.Point
	for _, xy := range xys {
		if q, ok := pt(xy.X, xy.Y); ok {
			poly = append(poly, q)
		}
	}
	if len(poly) == 0 {
		return
	}
	b0, _ := pt(xys[0].X, base)
	b1, _ := pt(xys[len(xys)-1].X, base)
	fp.polygons = append(fp.polygons, append(poly, b1, b0))
}

// touches says whether anything of the footprint reaches into r.
func (fp *footprint) touches(r vg.Rectangle) bool {
	for _, q := range fp.rects {
		if q.Min.X <= r.Max.X && q.Max.X >= r.Min.X && q.Min.Y <= r.Max.Y && q.Max.Y >= r.Min.Y {
			return true
		}
	}
	for _, s := range fp.segs {
		if segmentMeetsRect(s[0], s[1], r) {
			return true
		}
	}
	for _, poly := range fp.polygons {
		for i := range poly {
			if segmentMeetsRect(poly[i], poly[(i+1)%len(poly)], r) {
				return true
			}
		}
		if len(poly) > 2 && insidePolygon(r.Min, poly) {
			return true
		}
	}
	return false
}

// segmentMeetsRect says whether segment ab has a point in r (Liang-Barsky
// clipping).
func segmentMeetsRect(a, b vg.Point, r vg.Rectangle) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	clip := func(p, q float64) bool {
		switch {
		case p == 0:
			return q >= 0
		case p < 0:
			t := q / p
			if t > t1 {
				return false
			}
			t0 = math.Max(t0, t)
		default:
			t := q / p
			if t < t0 {
				return false
			}
			t1 = math.Min(t1, t)
		}
		return true
	}
	return clip(-dx, float64(a.X-r.Min.X)) && clip(dx, float64(r.Max.X-a.X)) &&
		clip(-dy, float64(a.Y-r.Min.Y)) && clip(dy, float64(r.Max.Y-a.Y)) && t0 <= t1
}

// insidePolygon is the even-odd rule.
func insidePolygon(p vg.Point, poly []vg.Point) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// LegendClear checks, by its pixels, that f's legend covers none of its
// data: drawn without the legend and the grid, the figure must leave the
// legend's box blank (no point, line, bar, error bar or label in it), and
// drawn with it, the legend must be there. A legend inside the data area
// must lie within it; one outside must not overlap it. It returns where
// the legend went.
func (f *Figure) LegendClear() (string, error) {
	lay := f.Layout()
	if lay.Place == "" {
		return "", nil
	}
	box := pixelRect(lay.Legend, f.Height)
	if n, at := inkIn(f.renderLayout(lay, false, false), box); n > 0 {
		return lay.Place, fmt.Errorf("figure %s: the legend (%s) covers %d drawn pixels of the data, the first at %v", f.Name, lay.Place, n, at)
	}
	if n, _ := inkIn(f.renderLayout(lay, true, true), box); n == 0 {
		return lay.Place, fmt.Errorf("figure %s: nothing drawn in the legend box %v", f.Name, lay.Legend)
	}
	switch lay.Place {
	case PlaceRight, PlaceBelow:
		if lay.Legend.Min.X < lay.Data.Max.X && lay.Legend.Max.X > lay.Data.Min.X &&
			lay.Legend.Min.Y < lay.Data.Max.Y && lay.Legend.Max.Y > lay.Data.Min.Y {
			return lay.Place, fmt.Errorf("figure %s: the legend outside (%s) overlaps the data area", f.Name, lay.Place)
		}
	default:
		if !fits(lay.Legend, lay.Data) {
			return lay.Place, fmt.Errorf("figure %s: the legend %v in corner %s is not inside the data area %v", f.Name, lay.Legend, lay.Place, lay.Data)
		}
	}
	return lay.Place, nil
}

// renderLayout draws f with layout lay, with or without its legend and
// grid, at the PNG resolution.
func (f *Figure) renderLayout(lay Layout, legend, grid bool) *image.RGBA {
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(pngDPI))
	f.draw(draw.New(c), lay, legend, grid)
	return c.Image().(*image.RGBA)
}

// pixelRect converts a rectangle in points to the pixels it covers, less
// one pixel all round (the anti-aliasing of what borders it).
func pixelRect(r vg.Rectangle, height vg.Length) image.Rectangle {
	px := func(l vg.Length) float64 { return float64(l) / 72 * pngDPI }
	return image.Rect(int(math.Ceil(px(r.Min.X)))+1, int(math.Ceil(px(height-r.Max.Y)))+1,
		int(math.Floor(px(r.Max.X)))-1, int(math.Floor(px(height-r.Min.Y)))-1)
}

// inkIn counts the pixels of img in r that are not white.
func inkIn(img *image.RGBA, r image.Rectangle) (n int, first image.Point) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if c.R < 250 || c.G < 250 || c.B < 250 {
				if n == 0 {
					first = image.Pt(x, y)
				}
				n++
			}
		}
	}
	return n, first
}
