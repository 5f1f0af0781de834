package plots

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bluesim/bluesim/output"
)

// sweepMetrics are the metrics a sweep report draws against adoption, in
// order, with their titles, axis labels and captions.
var sweepMetrics = []struct {
	name, title, ylabel, caption string
	share                        bool
}{
	{"coverage", "Coverage", "coverage (share of close contacts notified)",
		"Share of all real close contacts of diagnosed people who were notified, per arm, against the share of " +
			"people with the app: the mean over the replicates (line) with its 95 % interval (band). Dashed: the " +
			"pairwise law, capture × a² (both people need the app; capture × a when index cases are app users), " +
			"with the arm's mean capture. The goals are drawn as grey lines, and the adoption each arm needs as " +
			"a dotted line down to the axis, with its 95 % interval as a bar at the goal.", true},
	{"capture", "Capture", "capture (share notified among app-to-app close contacts)",
		"Among close contacts where both people had the app, the share notified: how good the app itself " +
			"is, adoption aside. It should not depend much on adoption; a trend means the contacts between app " +
			"users change as more people install.", true},
	{"precision", "Precision", "precision (share of notifications that were right)",
		"Share of notified people who really were close contacts, with its 95 % interval; the rest were false " +
			"alarms (the run reports say where they come from).", true},
	{"notifications_per_index", "Notifications per index case", "people notified per index case",
		"People notified per diagnosed person: the load each diagnosis puts on the people warned and on those " +
			"who answer their calls. It grows with adoption, since more contacts have the app.", false},
}

// xLabel names a sweep's x axis.
func xLabel(s *output.SweepSummary) string {
	if s.X == output.XAdoption {
		return "adoption (share of the population with the app)"
	}
	return s.X
}

// SweepFigures draws a whole sweep's figures: coverage, capture, precision
// and notifications per index case against adoption (those the sweep has),
// one line per series with its interval band; the pairwise law on
// coverage; each goal with the adoption each series needs.
func SweepFigures(s *output.SweepSummary) ([]Figure, error) {
	var figs []Figure
	for _, m := range sweepMetrics {
		has := false
		for _, name := range s.Metrics {
			has = has || name == m.name
		}
		if !has {
			continue
		}
		xname := s.X
		f := Figure{Name: m.name + "_vs_" + xname, Title: m.title + " against " + strings.ReplaceAll(xname, "_", " "),
			Caption: m.caption, Width: defaultWidth, Height: defaultHeight}
		p := newPlot(f.Title, xLabel(s), m.ylabel)
		maxX, maxY := 0.0, 0.0
		// Bands first, then every line over them.
		for si, sr := range s.Series {
			var upper, lower plotter.XYs
			for _, pt := range sr.Points {
				e := pt.Estimates[m.name]
				if x, lo, hi := float64(pt.X), float64(e.CILow), float64(e.CIHigh); finite(x, lo, hi) {
					upper = append(upper, plotter.XY{X: x, Y: hi})
					lower = append(lower, plotter.XY{X: x, Y: lo})
					maxY = math.Max(maxY, hi)
				}
			}
			if len(upper) < 2 {
				continue
			}
			ring := append(plotter.XYs{}, upper...)
			for i := len(lower) - 1; i >= 0; i-- {
				ring = append(ring, lower[i])
			}
			band, err := plotter.NewPolygon(ring)
			if err != nil {
				return nil, err
			}
			band.Color = lighter(si)
			band.LineStyle.Width = 0
			p.Add(band)
		}
		for si, sr := range s.Series {
			var line plotter.XYs
			for _, pt := range sr.Points {
				x, y := float64(pt.X), float64(pt.Estimates[m.name].Mean)
				if !finite(x, y) {
					continue
				}
				line = append(line, plotter.XY{X: x, Y: y})
				maxX, maxY = math.Max(maxX, x), math.Max(maxY, y)
			}
			if len(line) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(line)
			if err != nil {
				return nil, err
			}
			l.Color, pts.Color, pts.Shape = col(si), col(si), glyph(si)
			l.Width = vg.Points(1.8)
			p.Add(l, pts)
			p.Legend.Add(sr.Name, l, pts)
			if m.name == "coverage" && s.X == output.XAdoption && finite(float64(sr.PairwiseCapture)) {
				c, k := float64(sr.PairwiseCapture), s.LawExponent
				law := plotter.NewFunction(func(a float64) float64 { return c * math.Pow(a, k) })
				law.Color = col(si)
				law.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				law.Samples = 60
				p.Add(law)
				p.Legend.Add(fmt.Sprintf("%s pairwise law, %.2f × a%s", sr.Name, c, superscript(k)), law)
			}
		}
		for gi, g := range s.Goals {
			if g.Metric != m.name {
				continue
			}
			maxY = math.Max(maxY, g.Value)
			if err := addGoal(p, s, g, gi, &maxX); err != nil {
				return nil, err
			}
		}
		p.X.Min, p.Y.Min = 0, 0
		if maxX > 0 {
			p.X.Max = maxX * 1.05
		}
		if m.share {
			p.Y.Max = math.Min(1, math.Max(0.05, maxY*1.1))
		} else if maxY > 0 {
			p.Y.Max = maxY * 1.1
		}
		f.Plot = p
		figs = append(figs, f)
	}
	return figs, nil
}

// addGoal draws a goal: a grey dashed line at its value, and for each
// series that meets it, a dotted drop line at the adoption needed and a
// bar over the adoption's 95 % interval.
func addGoal(p *Plot, s *output.SweepSummary, g output.SweepGoal, gi int, maxX *float64) error {
	lo, hi := 0.0, *maxX
	for _, r := range g.Results {
		for _, x := range []output.Num{r.X, r.XLow, r.XHigh} {
			if finite(float64(x)) {
				hi = math.Max(hi, float64(x))
			}
		}
	}
	*maxX = hi
	gl, err := plotter.NewLine(plotter.XYs{{X: lo, Y: g.Value}, {X: hi * 1.05, Y: g.Value}})
	if err != nil {
		return err
	}
	gl.Color = color2(0.45)
	gl.Dashes = []vg.Length{vg.Points(2 + float64(gi)), vg.Points(3)}
	gl.Width = vg.Points(1)
	p.Add(gl)
	// Named on the plot, at its left end, above the line.
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: lo, Y: g.Value}}, Labels: []string{"goal: " + goalText(g)}})
	if err != nil {
		return err
	}
	lab.TextStyle[0].Font.Size = vg.Points(8)
	lab.TextStyle[0].Color = color2(0.3)
	lab.Offset = vg.Point{X: vg.Points(3), Y: vg.Points(2)}
	p.Add(lab)
	for si, r := range g.Results {
		if !r.Met || !finite(float64(r.X)) {
			continue
		}
		x := float64(r.X)
		drop, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: g.Value}})
		if err != nil {
			return err
		}
		drop.Color = col(si)
		drop.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		drop.Width = vg.Points(1.2)
		p.Add(drop)
		if xl, xh := float64(r.XLow), float64(r.XHigh); finite(xl, xh) {
			bar, err := plotter.NewXErrorBars(xErr{plotter.XYs{{X: x, Y: g.Value}}, plotter.XErrors{{Low: x - xl, High: xh - x}}})
			if err != nil {
				return err
			}
			bar.Color = col(si)
			bar.Width = vg.Points(2)
			bar.CapWidth = vg.Points(6)
			p.Add(bar)
		}
	}
	return nil
}

// xErr is points with horizontal intervals.
type xErr struct {
	plotter.XYs
	plotter.XErrors
}

// superscript writes the pairwise law's exponent: ² or nothing for 1.
func superscript(k float64) string {
	switch k {
	case 1:
		return ""
	case 2:
		return "²"
	}
	return "^" + strconv.FormatFloat(k, 'g', -1, 64)
}

// lighter is colour i, translucent, for interval bands: where two bands
// overlap, both show.
func lighter(i int) color.Color {
	r, g, b, _ := col(i).RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 64}
}

// goalText writes a goal with its value as people read it: a share in
// percent (coverage ≥ 50 %), a count as is.
func goalText(g output.SweepGoal) string {
	op := map[string]string{">=": "≥", ">": ">", "<=": "≤", "<": "<"}[g.Op]
	if g.Metric == "notifications_per_index" {
		return fmt.Sprintf("%s %s %s", strings.ReplaceAll(g.Metric, "_", " "), op, strconv.FormatFloat(g.Value, 'g', -1, 64))
	}
	return fmt.Sprintf("%s %s %s", strings.ReplaceAll(g.Metric, "_", " "), op, pct(output.Num(g.Value)))
}

// goalPurpose says what a goal asks for, in words.
func goalPurpose(g output.SweepGoal) string {
	v := pct(output.Num(g.Value))
	up := g.Op == ">=" || g.Op == ">"
	switch {
	case (g.Metric == "coverage" || g.Metric == "recall") && up:
		return fmt.Sprintf("To notify %s of all close contacts (%s)", v, goalText(g))
	case g.Metric == "capture" && up:
		return fmt.Sprintf("For the app to find %s of the close contacts between two app users (%s)", v, goalText(g))
	case g.Metric == "precision" && up:
		return fmt.Sprintf("For %s of notifications to go to real close contacts (%s)", v, goalText(g))
	case g.Metric == "false_positive_rate" && !up:
		return fmt.Sprintf("To warn at most %s of the people in radio range who were not close contacts (%s)", v, goalText(g))
	case g.Metric == "notifications_per_index" && !up:
		return fmt.Sprintf("To notify at most %s people per index case (%s)", strconv.FormatFloat(g.Value, 'g', -1, 64), goalText(g))
	}
	return "To meet " + goalText(g)
}

// xText writes an x value: adoption in percent, anything else as a number.
func xText(s *output.SweepSummary, x output.Num) string {
	if s.X == output.XAdoption {
		return pct(x)
	}
	return strconv.FormatFloat(float64(x), 'g', 4, 64)
}

// xRange is the swept range of x over every series.
func xRange(s *output.SweepSummary) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, sr := range s.Series {
		for _, p := range sr.Points {
			if x := float64(p.X); finite(x) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	return lo, hi
}

// goalSentence says, for one series, at which adoption it meets a goal.
func goalSentence(s *output.SweepSummary, g output.SweepGoal, r output.GoalResult) string {
	_, top := xRange(s)
	who := "people must run the app"
	if s.X != output.XAdoption {
		who = "is needed (" + s.X + ")"
	}
	purpose := goalPurpose(g)
	if !r.Met {
		txt := fmt.Sprintf("%s with %s, more than the highest adoption swept, %s, is needed", purpose, r.Series, xText(s, output.Num(top)))
		if finite(float64(r.Best.X), float64(r.Best.Mean)) {
			best := metricText(g.Metric, r.Best.Mean)
			if best == metricText(g.Metric, output.Num(g.Value)) {
				// Rounded, it would read as the goal it misses.
				best = fineText(g.Metric, r.Best.Mean)
			}
			txt += fmt.Sprintf(": at %s, %s is %s%s", xText(s, r.Best.X), strings.ReplaceAll(g.Metric, "_", " "),
				best, ciText(g.Metric, r.Best.CILow, r.Best.CIHigh))
		}
		txt += "."
		if finite(float64(r.XLow)) {
			txt += fmt.Sprintf(" The upper end of its 95 %% interval reaches the goal at %s, so the goal is not out of reach "+
				"just above the swept range.", xText(s, r.XLow))
		}
		return txt
	}
	txt := fmt.Sprintf("%s with %s, %s of people %s", purpose, r.Series, xText(s, r.X), strings.TrimPrefix(who, "people "))
	if s.X != output.XAdoption {
		txt = fmt.Sprintf("%s with %s, %s = %s is needed", purpose, r.Series, s.X, xText(s, r.X))
	}
	switch xl, xh := float64(r.XLow), float64(r.XHigh); {
	case finite(xl, xh):
		txt += fmt.Sprintf(" (95 %% CI %s–%s)", strings.TrimSuffix(xText(s, r.XLow), " %"), xText(s, r.XHigh))
	case finite(xl):
		txt += fmt.Sprintf(" (95 %% CI from %s to beyond the highest adoption swept, %s)", xText(s, r.XLow), xText(s, output.Num(top)))
	default:
		txt += " (no interval: one replicate per point)"
	}
	txt += "."
	if r.AtFirst {
		txt += fmt.Sprintf(" It is met already at %s, the lowest adoption swept, so less may do.", xText(s, r.X))
	}
	return txt
}

// metricText writes a metric's value: a share in percent, a count with
// one decimal.
func metricText(metric string, x output.Num) string {
	if metric == "notifications_per_index" {
		return strconv.FormatFloat(float64(x), 'f', 1, 64)
	}
	return pct(x)
}

// fineText writes a metric's value with one more digit than metricText.
func fineText(metric string, x output.Num) string {
	if metric == "notifications_per_index" {
		return strconv.FormatFloat(float64(x), 'f', 2, 64)
	}
	return strconv.FormatFloat(100*float64(x), 'f', 1, 64) + " %"
}

// ciText writes a 95 % interval, or nothing when undefined.
func ciText(metric string, lo, hi output.Num) string {
	if !finite(float64(lo), float64(hi)) {
		return ""
	}
	return fmt.Sprintf(" (95 %% CI %s–%s)", strings.TrimSuffix(metricText(metric, lo), " %"), metricText(metric, hi))
}

// SweepReading is the plain-language reading of a sweep, for someone who
// is not a specialist: what the sweep ran, each goal per series, and the
// pairwise law.
func SweepReading(s *output.SweepSummary) []string {
	lo, hi := xRange(s)
	var out []string
	levels := "points"
	if s.X == output.XAdoption {
		levels = "adoption levels"
	}
	out = append(out, fmt.Sprintf("This sweep ran the %q scenario %d times: %d %s from %s to %s, %d replicates each. "+
		"Every replicate draws the same people, contacts and random numbers at every level (a person who has the app "+
		"at a lower adoption also has it at a higher one), so the differences between levels are the app's, not "+
		"chance. The lines are the means over the replicates, the bands their 95 %% intervals: %s.",
		s.Scenario, s.Tasks, s.Points, levels, xText(s, output.Num(lo)), xText(s, output.Num(hi)), s.Replicates, s.IntervalMethod))
	for _, g := range s.Goals {
		var parts []string
		for _, r := range g.Results {
			parts = append(parts, goalSentence(s, g, r))
		}
		out = append(out, strings.Join(parts, " "))
	}
	if len(s.Goals) == 0 {
		out = append(out, "The scenario names no goal (sweep.goals, such as coverage>=0.5): the figures show the "+
			"curves, and bluesim target finds the adoption a single goal needs.")
	}
	if s.X == output.XAdoption {
		for _, sr := range s.Series {
			if !finite(float64(sr.PairwiseCapture)) || len(sr.Points) == 0 {
				continue
			}
			last := sr.Points[len(sr.Points)-1]
			cov, ok := last.Estimates["coverage"]
			if !ok || !finite(float64(cov.Mean), float64(last.X)) {
				continue
			}
			law := float64(last.PairwiseCoverage)
			out = append(out, fmt.Sprintf("Why coverage grows slowly at first: a contact is found only when both people "+
				"have the app, so coverage follows roughly capture × a%s (the pairwise law). %s found %s of the close "+
				"contacts between two app users on average, so at %s adoption the law predicts %s; the sweep measured %s%s.",
				superscript(s.LawExponent), sr.Name, pct(sr.PairwiseCapture), pct(last.X),
				pct(output.Num(law)), pct(cov.Mean), ciText("coverage", cov.CILow, cov.CIHigh)))
		}
	}
	return out
}

type sweepTableRow struct {
	Series, X string
	N         int
	Cells     []string
}

type sweepReportData struct {
	S       *output.SweepSummary
	Reading []string
	Figures []reportFigure
	Columns []string
	Rows    []sweepTableRow
}

// SweepReport returns a sweep's report.html: the reading, a table of the
// means and intervals per series and point, every figure (its SVG as a
// data URI) with its caption. It needs nothing else to display.
func SweepReport(s *output.SweepSummary, figs []output.Figure) ([]byte, error) {
	d := sweepReportData{S: s, Reading: SweepReading(s)}
	for i := range figs {
		if len(figs[i].SVG) == 0 {
			return nil, fmt.Errorf("figure %s: no SVG to embed", figs[i].Name)
		}
		d.Figures = append(d.Figures, reportFigure{Name: figs[i].Name, Title: figs[i].Title, Caption: figs[i].Caption,
			Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(figs[i].SVG))})
	}
	var shown []string
	for _, m := range sweepMetrics {
		for _, name := range s.Metrics {
			if name == m.name {
				shown = append(shown, m.name)
				d.Columns = append(d.Columns, m.title)
			}
		}
	}
	for _, sr := range s.Series {
		for _, p := range sr.Points {
			row := sweepTableRow{Series: sr.Name, X: xText(s, p.X), N: p.N}
			for _, name := range shown {
				e := p.Estimates[name]
				row.Cells = append(row.Cells, metricText(name, e.Mean)+ciText(name, e.CILow, e.CIHigh))
			}
			d.Rows = append(d.Rows, row)
		}
	}
	var buf bytes.Buffer
	if err := sweepTmpl.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var sweepTmpl = template.Must(template.New("sweep").Parse(sweepHTML))

const sweepHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bluesim sweep report: {{.S.Scenario}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, td.l { text-align: left; }
figure { margin: 1.5em 0; } figure img { width: 100%; max-width: 840px; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; }
.facts { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>What install rate is needed: the “{{.S.Scenario}}” sweep</h1>
<p class="facts">{{.S.Points}} points × {{.S.Replicates}} replicates = {{.S.Tasks}} runs.
Output hash <code>{{.S.OutputHash}}</code>.</p>

<h2>What the sweep says</h2>
{{range .Reading}}<p>{{.}}</p>
{{end}}
<h2>Figures</h2>
{{range .Figures}}<figure id="{{.Name}}">
<h3>{{.Title}}</h3>
<img src="{{.Src}}" alt="{{.Title}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
<h2>The numbers</h2>
<table>
<tr><th>Series</th><th>{{.S.X}}</th><th>Replicates</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Series}}</td><td>{{.X}}</td><td>{{.N}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p class="facts">Each cell is the mean over the replicates with its 95 % interval. Every run's numbers are in
<code>tables/sweep_runs.csv</code>, the means and intervals in <code>tables/sweep_summary.csv</code> and
<code>summary.json</code>, the figures alone in <code>plots/</code>.</p>
</body>
</html>
`

// SweepRenderer is bluesim's output.SweepRenderer.
type SweepRenderer struct{}

// SweepFigures draws and renders the figures of SweepFigures.
func (SweepRenderer) SweepFigures(s *output.SweepSummary) ([]output.Figure, error) {
	figs, err := SweepFigures(s)
	if err != nil {
		return nil, err
	}
	out := make([]output.Figure, 0, len(figs))
	for i := range figs {
		rf, err := figs[i].Render()
		if err != nil {
			return nil, err
		}
		out = append(out, rf)
	}
	return out, nil
}

// SweepReport returns report.html (see SweepReport).
func (SweepRenderer) SweepReport(s *output.SweepSummary, figs []output.Figure) ([]byte, error) {
	return SweepReport(s, figs)
}
