package plots

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// CurvePoint is one point of a metric against a swept value (adoption,
// usually), with its 95 % interval; Lo and Hi may be NaN (one replicate).
type CurvePoint struct {
	// Series groups points into one line (a protocol, an arm).
	Series       string
	X, Y, Lo, Hi float64
}

// Curve describes a figure of a metric against a swept value, for sweeps:
// the sweep command can draw coverage against adoption from its summary
// rows with it.
type Curve struct {
	Name, Title, Caption string
	XLabel, YLabel       string
	Points               []CurvePoint
	// PairwiseCapture, when set for a series, adds the dashed reference
	// capture × x² (the pairwise law, for coverage against adoption).
	PairwiseCapture map[string]float64
}

// CurveFigure draws c: one line per series in order of first appearance,
// points sorted by X, with error bars where the interval is known.
func CurveFigure(c Curve) (Figure, error) {
	f := Figure{Name: c.Name, Title: c.Title, Caption: c.Caption, Width: defaultWidth, Height: defaultHeight}
	if f.Name == "" {
		return f, fmt.Errorf("curve without a name")
	}
	p := newPlot(c.Title, c.XLabel, c.YLabel)
	var series []string
	for _, pt := range c.Points {
		if !slices.Contains(series, pt.Series) {
			series = append(series, pt.Series)
		}
	}
	maxX := 0.0
	for si, name := range series {
		var x, y, lo, hi []float64
		for _, pt := range c.Points {
			if pt.Series != name {
				continue
			}
			x = append(x, pt.X)
			y = append(y, pt.Y)
			l, h := pt.Lo, pt.Hi
			if !finite(l, h) {
				l, h = pt.Y, pt.Y // no interval: a bar of zero height
			}
			lo = append(lo, l)
			hi = append(hi, h)
			if finite(pt.X) {
				maxX = math.Max(maxX, pt.X)
			}
		}
		if err := addIntervals(p, name, si, x, y, lo, hi); err != nil {
			return f, err
		}
		if capture, ok := c.PairwiseCapture[name]; ok && finite(capture) {
			ref := plotter.NewFunction(func(a float64) float64 { return capture * a * a })
			ref.Color = col(si)
			ref.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			ref.Samples = 60
			p.Add(ref)
			p.Legend.Add(fmt.Sprintf("%s pairwise law (capture %.2f × a²)", name, capture), ref)
		}
	}
	p.X.Min, p.Y.Min = 0, 0
	if maxX > 0 {
		p.X.Max = maxX * 1.05
	}
	f.Plot = p
	return f, nil
}
