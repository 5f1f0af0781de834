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

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
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
func addIntervals(p *plot.Plot, name string, i int, x, y, lo, hi []float64) error {
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

// armSummaries recomputes each arm's numbers with intervals.
func armSummaries(r *sim.Result, o output.Options) []output.ArmSummary {
	out := make([]output.ArmSummary, len(r.Arms))
	for i, a := range r.Arms {
		out[i] = output.Arm(r, a, o)
	}
	return out
}

func coverageFigure(r *sim.Result, o output.Options) (Figure, error) {
	k := o.LawExponent()
	law, why := "capture × a²", "both people must have the app"
	if k == 1 {
		law, why = "capture × a", "every index case had the app, so only the contact needs it"
	}
	f := Figure{Name: FigCoverage, Title: "Coverage against adoption",
		Caption: "Share of all real close contacts of diagnosed people who were notified (coverage), for each arm, " +
			"with 95 % intervals (index cases resampled). Dashed lines: the pairwise law " + law + ", what coverage would be if " +
			"installs were independent of who meets whom (a is adoption; " + why + ")."}
	p := newPlot(f.Title, "adoption (share of the population with the app)", "coverage")
	arms := armSummaries(r, o)
	maxA := 0.0
	for pi, proto := range protocols(r) {
		x, y, lo, hi := adoptionSeries(arms, proto, func(a output.ArmSummary) (float64, float64, float64) {
			return float64(a.Coverage), float64(a.CoverageCILow), float64(a.CoverageCIHigh)
		})
		if err := addIntervals(p, proto, pi, x, y, lo, hi); err != nil {
			return f, err
		}
		maxA = math.Max(maxA, slices.Max(append(x, 0)))
		var appTP, appN int64
		for ai, a := range arms {
			if a.Protocol == proto {
				tp, n := appTotals(r, r.Arms[ai].Name)
				appTP += tp
				appN += n
			}
		}
		capture := output.Ratio(appTP, appN)
		if !finite(capture) {
			continue
		}
		ref := plotter.NewFunction(func(a float64) float64 { return capture * math.Pow(a, k) })
		ref.Color = col(pi)
		ref.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		ref.Samples = 60
		p.Add(ref)
		p.Legend.Add(fmt.Sprintf("%s pairwise law (%s, capture %.2f)", proto, law, capture), ref)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = math.Min(1, math.Max(0.1, maxA*1.2))
	if p.Y.Max < 0.05 {
		p.Y.Max = 0.05
	}
	f.Plot = p
	return f, nil
}

// adoptionSeries collects, for the arms of one protocol in arm order, their
// adoption and the value with its interval that pick reads from the arm.
func adoptionSeries(arms []output.ArmSummary, proto string, pick func(output.ArmSummary) (v, lo, hi float64)) (x, y, lo, hi []float64) {
	for _, a := range arms {
		if a.Protocol != proto {
			continue
		}
		v, l, h := pick(a)
		x, y, lo, hi = append(x, float64(a.Adoption)), append(y, v), append(lo, l), append(hi, h)
	}
	return x, y, lo, hi
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
		Caption: "Share of notified people who really were close contacts (precision), for each arm, " +
			"with 95 % intervals (index cases resampled). The rest of the notifications were false alarms."}
	p := newPlot(f.Title, "adoption (share of the population with the app)", "precision")
	arms := armSummaries(r, o)
	maxA := 0.0
	for pi, proto := range protocols(r) {
		x, y, lo, hi := adoptionSeries(arms, proto, func(a output.ArmSummary) (float64, float64, float64) {
			return float64(a.Precision), float64(a.PrecisionCILow), float64(a.PrecisionCIHigh)
		})
		if err := addIntervals(p, proto, pi, x, y, lo, hi); err != nil {
			return f, err
		}
		maxA = math.Max(maxA, slices.Max(append(x, 0)))
	}
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, 1
	p.X.Max = math.Min(1, math.Max(0.1, maxA*1.2))
	f.Plot = p
	return f, nil
}

// operatingPoints draws one labelled point per arm.
func operatingPoints(p *plot.Plot, r *sim.Result, o output.Options, xy func(output.ArmSummary) (float64, float64)) error {
	arms := armSummaries(r, o)
	protos := protocols(r)
	var all plotter.XYs
	var labels []string
	for pi, proto := range protos {
		var pts plotter.XYs
		for _, a := range arms {
			if a.Protocol != proto {
				continue
			}
			x, y := xy(a)
			if !finite(x, y) {
				continue
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
			all = append(all, plotter.XY{X: x, Y: y})
			labels = append(labels, " "+a.Name)
		}
		if len(pts) == 0 {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.Color = col(pi)
		s.Shape = glyph(pi)
		s.Radius = vg.Points(4)
		p.Add(s)
		p.Legend.Add(proto, s)
	}
	if len(all) > 0 {
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: all, Labels: labels})
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = vg.Points(8)
		}
		p.Add(l)
	}
	return nil
}

func rocFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigROC, Title: "True-positive rate against false-positive rate",
		Caption: "Each point is one arm, an operating point of its protocol's rule: the share of close contacts " +
			"notified (recall) against the share of non-contacts within radio range who were notified anyway " +
			"(false-positive rate). The result holds no per-pair scores, so the curve over a rule's threshold " +
			"is traced by arms with different rules, not by sweeping a score. Up and to the left is better."}
	p := newPlot(f.Title, "false-positive rate", "recall (true-positive rate)")
	if err := operatingPoints(p, r, o, func(a output.ArmSummary) (float64, float64) {
		return float64(a.FalsePositiveRate), float64(a.Recall)
	}); err != nil {
		return f, err
	}
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.Color = color2(0.6)
	diag.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(diag)
	p.Legend.Add("chance", diag)
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = math.Max(p.X.Max*1.25, 0.05)
	p.Y.Max = math.Max(p.Y.Max*1.15, 0.05)
	p.Legend.Left = false
	p.Legend.Top = false
	f.Plot = p
	return f, nil
}

func color2(gray float64) color.Color {
	g := uint8(255 * gray)
	return color.RGBA{g, g, g, 255}
}

func prFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigPR, Title: "Precision against recall",
		Caption: "Each point is one arm: how many notifications were right (precision) against how many close " +
			"contacts were found (recall). As for the ROC figure, arms stand for operating points of the rules. " +
			"Up and to the right is better."}
	p := newPlot(f.Title, "recall (share of close contacts notified)", "precision")
	if err := operatingPoints(p, r, o, func(a output.ArmSummary) (float64, float64) {
		return float64(a.Recall), float64(a.Precision)
	}); err != nil {
		return f, err
	}
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, 1
	p.X.Max = math.Max(p.X.Max*1.3, 0.05)
	p.Legend.Left = false
	f.Plot = p
	return f, nil
}

func distanceFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigDistance, Title: "Capture by distance",
		Caption: "Among close contacts where both people had the app, the share each arm notified, by the " +
			"closest distance the pair came that day. The radio cannot tell distance well, so capture falls " +
			"slowly with distance instead of stopping at the close-contact distance."}
	p := newPlot(f.Title, "closest distance of the pair", "capture")
	var bands []string
	for _, b := range r.Bands {
		if b.Dimension == "distance" && !slices.Contains(bands, b.Band) {
			bands = append(bands, b.Band)
		}
	}
	slices.SortStableFunc(bands, func(a, b string) int { return cmp.Compare(bandOrder(a), bandOrder(b)) })
	n := len(r.Arms)
	width := vg.Points(math.Max(4, 60/float64(max(n, 1))))
	for ai, a := range r.Arms {
		vals := make(plotter.Values, len(bands))
		for bi, band := range bands {
			for _, b := range r.Bands {
				if b.Arm == a.Name && b.Dimension == "distance" && b.Band == band {
					if v := output.Ratio(b.AppTP, b.AppTP+b.AppFN); finite(v) {
						vals[bi] = v
					}
				}
			}
		}
		if len(bands) == 0 {
			break
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return f, err
		}
		bc.Color = col(ai)
		bc.LineStyle.Width = 0
		bc.Offset = vg.Length(float64(ai)-float64(n-1)/2) * width
		p.Add(bc)
		p.Legend.Add(a.Name, bc)
	}
	if len(bands) > 0 {
		p.NominalX(bands...)
	}
	p.Y.Min, p.Y.Max = 0, 1.05
	p.Legend.Left = false
	f.Plot = p
	return f, nil
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
