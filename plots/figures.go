package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
)

// Figure names, the file stems under plots/.
const (
	FigCoverage    = "coverage_vs_adoption"
	FigPrecision   = "precision_vs_adoption"
	FigROC         = "roc"
	FigPR          = "precision_recall"
	FigAttenuation = "attenuation_vs_distance"
	FigDelay       = "notification_delay"
	FigDaily       = "daily_notifications"
	FigDistance    = "capture_by_distance"
)

// Figures draws every figure of a run, in the order the report shows
// them. o says which pairwise law the coverage figure draws.
func Figures(r *sim.Result, o output.Options) ([]Figure, error) {
	builders := []func(*sim.Result, output.Options) (Figure, error){
		coverageFigure, precisionFigure, rocFigure, prFigure,
		distanceFigure, attenuationFigure, delayFigure, dailyFigure,
	}
	if r.Epidemic != nil {
		builders = append(builders, infectionsFigure, rEffFigure)
	}
	if r.Areas != nil {
		builders = append(builders, areaFigure)
	}
	if r.Privacy != nil {
		builders = append(builders, privacyFigure)
	}
	figs := make([]Figure, 0, len(builders))
	for _, b := range builders {
		f, err := b(r, o)
		if err != nil {
			return nil, fmt.Errorf("figure %s: %w", f.Name, err)
		}
		if f.Width == 0 {
			f.Width, f.Height = defaultWidth, defaultHeight
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// NewPlot starts a figure's plot as bluesim draws them: title with room
// above the data, axis labels, a grid, plain tick labels. Where the legend
// goes is decided when the figure is drawn (Figure.Layout), from where the
// data lie.
func NewPlot(title, x, y string) *Plot { return newPlot(title, x, y) }

func newPlot(title, x, y string) *Plot {
	p := &Plot{Plot: plot.New()}
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	// Room between the title and the data area, so that the top series
	// never touches it.
	p.Title.Padding = vg.Points(12)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	p.Add(plotter.NewGrid())
	p.X.Tick.Marker = plainTicks{}
	p.Y.Tick.Marker = plainTicks{}
	return p
}

// plainTicks are gonum's default ticks with labels in their shortest form
// ("2500", "0.25") instead of a shared fixed precision ("2500.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 6, 64)
		}
	}
	return ticks
}

// protocols returns the arms' protocols in order of first appearance.
func protocols(r *sim.Result) []string {
	var ps []string
	for _, a := range r.Arms {
		if !slices.Contains(ps, a.Protocol) {
			ps = append(ps, a.Protocol)
		}
	}
	return ps
}

func col(i int) color.Color { return plotutil.Color(i) }

func glyph(i int) draw.GlyphDrawer { return plotutil.Shape(i) }

// errPoints are points with asymmetric vertical intervals.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// finite reports whether all xs are finite numbers.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// addIntervals adds a line through (x, y) points with 95 % error bars,
// skipping undefined points, in colour i with a legend entry.
func addIntervals(p *Plot, name string, i int, x, y, lo, hi []float64) error {
	var pts errPoints
	order := make([]int, len(x))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	for _, k := range order {
		if !finite(x[k], y[k], lo[k], hi[k]) {
			continue
		}
		pts.XYs = append(pts.XYs, plotter.XY{X: x[k], Y: y[k]})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{y[k] - lo[k], hi[k] - y[k]})
	}
	if len(pts.XYs) == 0 {
		return nil
	}
	line, points, err := plotter.NewLinePoints(pts.XYs)
	if err != nil {
		return err
	}
	line.Color = col(i)
	line.Width = vg.Points(1.5)
	points.Color = col(i)
	points.Shape = glyph(i)
	points.Radius = vg.Points(3.5)
	bars, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return err
	}
	bars.Color = col(i)
	bars.Width = vg.Points(1.2)
	p.Add(line, points, bars)
	p.Legend.Add(name, line, points)
	return nil
}

// armSummaries is each arm's numbers with intervals (computed once by
// output.WriteRun and passed in o.Arms).
func armSummaries(r *sim.Result, o output.Options) []output.ArmSummary {
	return output.ArmSummaries(r, o)
}

func coverageFigure(r *sim.Result, o output.Options) (Figure, error) {
	k := o.LawExponent()
	law, why := "capture × a²", "both people must have the app"
	if k == 1 {
		law, why = "capture × a", "every index case had the app, so only the contact needs it"
	}
	f := Figure{Name: FigCoverage, Title: "Coverage against adoption",
		Caption: "Share of all real close contacts of diagnosed people who were notified (coverage), for each arm " +
			"(labelled by name), with 95 % intervals (index cases resampled). A line joins arms that differ only in " +
			"adoption (the same app with the same rule). Dashed lines: the pairwise law " + law + ", what coverage would be if " +
			"installs were independent of who meets whom (a is adoption; " + why + "), with the capture of the " +
			"line's own arms."}
	p := newPlot(f.Title, "adoption (share of the population with the app)", "coverage")
	arms := armSummaries(r, o)
	labels, members := armSeries(r, o)
	maxA := 0.0
	for si, label := range labels {
		x, y, lo, hi := adoptionSeries(arms, members[si], func(a output.ArmSummary) (float64, float64, float64) {
			return float64(a.Coverage), float64(a.CoverageCILow), float64(a.CoverageCIHigh)
		})
		if err := addIntervals(p, label, si, x, y, lo, hi); err != nil {
			return f, err
		}
		maxA = math.Max(maxA, slices.Max(append(x, 0)))
		var appTP, appN int64
		for _, ai := range members[si] {
			tp, n := appTotals(r, r.Arms[ai].Name)
			appTP += tp
			appN += n
		}
		capture := output.Ratio(appTP, appN)
		if !finite(capture) {
			continue
		}
		ref := plotter.NewFunction(func(a float64) float64 { return capture * math.Pow(a, k) })
		ref.Color = col(si)
		ref.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		ref.Samples = 60
		p.Add(ref)
		p.Legend.Add(fmt.Sprintf("%s pairwise law (%s, capture %.2f)", label, law, capture), ref)
	}
	if err := armLabels(p, arms, func(a output.ArmSummary) (float64, float64) {
		return float64(a.Adoption), float64(a.Coverage)
	}); err != nil {
		return f, err
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = math.Min(1, math.Max(0.1, maxA*1.2))
	if p.Y.Max < 0.05 {
		p.Y.Max = 0.05
	}
	f.Plot = p
	return f, nil
}

// armSeries groups the run's arms into the curves of the figures against
// adoption (output.Options.Series): the curves' labels in order of first
// appearance, and each curve's arms (indices into r.Arms).
func armSeries(r *sim.Result, o output.Options) (labels []string, members [][]int) {
	for ai, a := range r.Arms {
		label := o.Series(a.Name)
		i := slices.Index(labels, label)
		if i < 0 {
			labels = append(labels, label)
			members = append(members, nil)
			i = len(labels) - 1
		}
		members[i] = append(members[i], ai)
	}
	return labels, members
}

// adoptionSeries collects, for the arms of one curve, their adoption and
// the value with its interval that pick reads from the arm.
func adoptionSeries(arms []output.ArmSummary, members []int, pick func(output.ArmSummary) (v, lo, hi float64)) (x, y, lo, hi []float64) {
	for _, ai := range members {
		a := arms[ai]
		v, l, h := pick(a)
		x, y, lo, hi = append(x, float64(a.Adoption)), append(y, v), append(lo, l), append(hi, h)
	}
	return x, y, lo, hi
}

// armLabels writes each arm's name beside its point, so that arms are told
// apart even where curves meet.
func armLabels(p *Plot, arms []output.ArmSummary, xy func(output.ArmSummary) (float64, float64)) error {
	var pts plotter.XYs
	var names []string
	for _, a := range arms {
		x, y := xy(a)
		if !finite(x, y) {
			continue
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
		names = append(names, " "+a.Name)
	}
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: names})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(8)
	}
	p.Add(l)
	return nil
}

// appTotals sums true positives and close contacts among pairs where both
// had the app, from the venue breakdown.
func appTotals(r *sim.Result, arm string) (tp, n int64) {
	for _, b := range r.Bands {
		if b.Arm == arm && b.Dimension == "venue" {
			tp += b.AppTP
			n += b.AppTP + b.AppFN
		}
	}
	return tp, n
}

func precisionFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigPrecision, Title: "Precision against adoption",
		Caption: "Share of notified people who really were close contacts (precision), for each arm (labelled by " +
			"name), with 95 % intervals (index cases resampled); a line joins arms that differ only in adoption. The rest " +
			"of the notifications were false alarms."}
	p := newPlot(f.Title, "adoption (share of the population with the app)", "precision")
	arms := armSummaries(r, o)
	labels, members := armSeries(r, o)
	maxA := 0.0
	for si, label := range labels {
		x, y, lo, hi := adoptionSeries(arms, members[si], func(a output.ArmSummary) (float64, float64, float64) {
			return float64(a.Precision), float64(a.PrecisionCILow), float64(a.PrecisionCIHigh)
		})
		if err := addIntervals(p, label, si, x, y, lo, hi); err != nil {
			return f, err
		}
		maxA = math.Max(maxA, slices.Max(append(x, 0)))
	}
	if err := armLabels(p, arms, func(a output.ArmSummary) (float64, float64) {
		return float64(a.Adoption), float64(a.Precision)
	}); err != nil {
		return f, err
	}
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, 1
	p.X.Max = math.Min(1, math.Max(0.1, maxA*1.2))
	f.Plot = p
	return f, nil
}

func color2(gray float64) color.Color {
	g := uint8(255 * gray)
	return color.RGBA{g, g, g, 255}
}

func distanceFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigDistance, Title: "Capture by distance",
		Caption: "Among close contacts where both people had the app, the share each arm notified, by the " +
			"closest distance the pair came that day, with 95 % intervals (clustered by index case, as in " +
			"tables/detection_by_band; none where too few index cases); the number above each bar is " +
			"n, the app close contacts in that band. The radio cannot tell distance well, so capture falls " +
			"slowly with distance instead of stopping at the close-contact distance. \"no pairs\" marks a band " +
			"with no app close contact (beyond the close-contact distance there are none by definition): " +
			"capture is unknown there, not zero."}
	p := newPlot(f.Title, "closest distance of the pair", "capture")
	var bands []string
	for _, b := range r.Bands {
		if b.Dimension == "distance" && !slices.Contains(bands, b.Band) {
			bands = append(bands, b.Band)
		}
	}
	slices.SortStableFunc(bands, func(a, b string) int { return cmp.Compare(bandOrder(a), bandOrder(b)) })
	type cell struct {
		tp, n  int64
		lo, hi float64
	}
	// The intervals of tables/detection_by_band (clustered by index case).
	ciLo, ciHi := output.BandCaptureCI(r)
	cells := map[[2]string]cell{}
	for i, b := range r.Bands {
		if b.Dimension == "distance" {
			cells[[2]string{b.Arm, b.Band}] = cell{tp: b.AppTP, n: b.AppTP + b.AppFN, lo: ciLo[i], hi: ciHi[i]}
		}
	}
	n := max(len(r.Arms), 1)
	// Bands sit at x = 0, 1, 2, ... (NominalX); the arms' bars share 0.8
	// of each band's width.
	w := 0.8 / float64(n)
	var nPts, nonePts, emptyPts plotter.XYs
	var nLabels, noneLabels, emptyLabels []string
	for bi, band := range bands {
		any := false
		for _, a := range r.Arms {
			any = any || cells[[2]string{a.Name, band}].n > 0
		}
		if !any {
			emptyPts = append(emptyPts, plotter.XY{X: float64(bi), Y: 0.02})
			emptyLabels = append(emptyLabels, "no pairs")
		}
	}
	for ai, a := range r.Arms {
		var bars []plotter.XYer
		var eb errPoints
		for bi, band := range bands {
			c := cells[[2]string{a.Name, band}]
			x0 := float64(bi) - 0.4 + float64(ai)*w
			xc := x0 + w/2
			if c.n == 0 {
				// Only where another arm has pairs in the band: a band
				// without any gets one label for all.
				for _, other := range r.Arms {
					if cells[[2]string{other.Name, band}].n > 0 {
						nonePts = append(nonePts, plotter.XY{X: xc, Y: 0})
						noneLabels = append(noneLabels, "no pairs")
						break
					}
				}
				continue
			}
			v := output.Ratio(c.tp, c.n)
			lo, hi := c.lo, c.hi
			// A measured zero gets a sliver of a bar, so that it shows
			// apart from "no pairs".
			top := math.Max(v, 0.006)
			bars = append(bars, plotter.XYs{{X: x0, Y: 0}, {X: x0, Y: top}, {X: x0 + w, Y: top}, {X: x0 + w, Y: 0}})
			top = v
			if finite(lo, hi) {
				eb.XYs = append(eb.XYs, plotter.XY{X: xc, Y: v})
				eb.YErrors = append(eb.YErrors, struct{ Low, High float64 }{v - lo, hi - v})
				top = hi
			}
			nPts = append(nPts, plotter.XY{X: xc, Y: top})
			nLabels = append(nLabels, "n="+strconv.FormatInt(c.n, 10))
		}
		if len(bars) == 0 {
			continue
		}
		poly, err := plotter.NewPolygon(bars...)
		if err != nil {
			return f, err
		}
		poly.Color = col(ai)
		poly.LineStyle.Width = 0
		p.Add(poly)
		if len(eb.XYs) > 0 {
			bars2, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return f, err
			}
			bars2.Width = vg.Points(1)
			bars2.CapWidth = vg.Points(4)
			p.Add(bars2)
		}
		p.Legend.Add(a.Name, poly)
	}
	label := func(pts plotter.XYs, texts []string, rotate bool, offset vg.Length, gray float64) error {
		if len(pts) == 0 {
			return nil
		}
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: texts})
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = vg.Points(8)
			l.TextStyle[i].Color = color2(gray)
			if rotate {
				// Reading upwards from the point.
				l.TextStyle[i].Rotation = math.Pi / 2
				l.TextStyle[i].XAlign = draw.XLeft
				l.TextStyle[i].YAlign = draw.YCenter
			} else {
				l.TextStyle[i].XAlign = draw.XCenter
			}
		}
		l.Offset = vg.Point{Y: offset}
		p.Add(l)
		return nil
	}
	if err := label(nPts, nLabels, true, vg.Points(3), 0.2); err != nil {
		return f, err
	}
	if err := label(nonePts, noneLabels, true, vg.Points(2), 0.45); err != nil {
		return f, err
	}
	if err := label(emptyPts, emptyLabels, false, 0, 0.4); err != nil {
		return f, err
	}
	if len(bands) > 0 {
		p.NominalX(bands...)
		p.X.Min, p.X.Max = -0.5, float64(len(bands))-0.5
	}
	// Room above 1 for the n labels; ticks stop at 1.
	p.Y.Min, p.Y.Max = 0, 1.22
	p.Y.Tick.Marker = clampedTicks{lo: 0, hi: 1}
	f.Plot = p
	return f, nil
}

// clampedTicks are plainTicks that stop at [lo, hi]: an axis stretched for
// labels above the data keeps ticks where the quantity lives.
type clampedTicks struct{ lo, hi float64 }

func (c clampedTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plainTicks{}).Ticks(math.Max(lo, c.lo), math.Min(hi, c.hi)) {
		if t.Value >= c.lo-1e-12 && t.Value <= c.hi+1e-12 {
			out = append(out, t)
		}
	}
	return out
}

// bandOrder sorts band labels like "<1m", "1-2m", ">=5m" by their lower
// edge.
func bandOrder(label string) float64 {
	if len(label) > 0 && label[0] == '<' {
		return math.Inf(-1)
	}
	var x float64
	s := label
	if len(s) > 2 && s[:2] == ">=" {
		s = s[2:]
	}
	if _, err := fmt.Sscanf(s, "%g", &x); err != nil {
		return math.Inf(1)
	}
	return x
}
