package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
)

// medianBinM is the width of the distance bins whose median attenuation
// the attenuation figure draws.
const medianBinM = 1.0

func attenuationFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigAttenuation, Title: "Observed attenuation against true distance",
		Caption: "Each dot is one scan the simulated phones heard (a random sample kept by the engine): the " +
			"attenuation the app sees (transmit power minus received signal strength, in dB) against the real " +
			"distance between the two people. The colour is where the two were (indoors, outdoors, in a vehicle); " +
			"the shape is the app, every app of the run (Bluezone advertises no transmit power, so its attenuation " +
			"is against the nominal level). Black lines join each app's median attenuation per 1 m band. The wide " +
			"spread at every distance is why a phone cannot measure distance well."}
	p := newPlot(f.Title, "true distance (m)", "attenuation (dB)")
	var groups, envs []string
	for _, s := range r.Attenuation {
		if !slices.Contains(groups, s.Arm) {
			groups = append(groups, s.Arm)
		}
		if !slices.Contains(envs, s.Environment) {
			envs = append(envs, s.Environment)
		}
	}
	// One colour per environment, the same in every run.
	slices.SortFunc(envs, func(a, b string) int { return cmp.Compare(envOrder(a), envOrder(b)) })
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}}
	for gi, g := range groups {
		for _, env := range envs {
			var pts plotter.XYs
			for _, s := range r.Attenuation {
				if s.Arm == g && s.Environment == env && finite(s.DistanceM, s.AttenuationDB) {
					pts = append(pts, plotter.XY{X: s.DistanceM, Y: s.AttenuationDB})
				}
			}
			if len(pts) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return f, err
			}
			sc.Color = faded(envOrder(env))
			sc.Shape = shapes[gi%len(shapes)]
			sc.Radius = vg.Points(1.8)
			p.Add(sc)
		}
	}
	// The legend: a solid swatch per environment, then per app its shape
	// with its median line, drawn large enough to read.
	for _, env := range envs {
		p.Legend.Add(env, swatch{col(envOrder(env))})
	}
	for gi, g := range groups {
		med := medians(r.Attenuation, g)
		key := draw.GlyphStyle{Color: color2(0.2), Shape: shapes[gi%len(shapes)], Radius: vg.Points(3.5)}
		line := draw.LineStyle{Color: color2(0.1), Width: vg.Points(2), Dashes: plotutilDashes(gi)}
		if len(med) > 0 {
			l, pts, err := plotter.NewLinePoints(med)
			if err != nil {
				return f, err
			}
			l.LineStyle, pts.GlyphStyle = line, key
			p.Add(l, pts)
			p.Legend.Add(g+", median per 1 m", l, pts)
			continue
		}
		p.Legend.Add(g, glyphKey{key})
	}
	p.X.Min = 0
	f.Plot = p
	return f, nil
}

// envOrder numbers the environments so that each keeps its colour from
// run to run.
func envOrder(env string) int {
	if i := slices.Index([]string{"indoor", "outdoor", "vehicle"}, env); i >= 0 {
		return i
	}
	return 3 + len(env)%4
}

// swatch is a legend entry drawn as a filled square of a solid colour: a
// scatter's own thumbnail, one faded dot, is too faint to read.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, c.ClipPolygonY([]vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}}))
}

// glyphKey is a legend entry drawn as one glyph.
type glyphKey struct{ g draw.GlyphStyle }

func (k glyphKey) Thumbnail(c *draw.Canvas) { c.DrawGlyph(k.g, c.Center()) }

// medians returns the median attenuation of group g's samples per distance
// bin, at the bin's centre.
func medians(samples []sim.AttenuationSample, g string) plotter.XYs {
	bins := map[int][]float64{}
	for _, s := range samples {
		if s.Arm == g && finite(s.DistanceM, s.AttenuationDB) && s.DistanceM >= 0 {
			b := int(s.DistanceM / medianBinM)
			bins[b] = append(bins[b], s.AttenuationDB)
		}
	}
	keys := make([]int, 0, len(bins))
	for b := range bins {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	var out plotter.XYs
	for _, b := range keys {
		v := bins[b]
		if len(v) < 3 {
			continue // too few for a median worth drawing
		}
		out = append(out, plotter.XY{X: (float64(b) + 0.5) * medianBinM, Y: median(v)})
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// faded is colour i made semi-transparent, for dense scatters.
func faded(i int) colorRGBA {
	r, g, b, _ := col(i).RGBA()
	const a = 0.35
	return colorRGBA{R: uint8(float64(r>>8) * a), G: uint8(float64(g>>8) * a), B: uint8(float64(b>>8) * a), A: uint8(math.Round(255 * a))}
}

func delayFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigDelay, Title: "Delay from exposure to notification, every notification",
		Caption: "For each arm, the share of all its notifications, true and false alike, that arrived within a " +
			"given number of hours of the first exposure the phone recorded (solid: a cumulative distribution); " +
			"dotted, the same for the false alarms alone. The delay is mostly the time until the index case is " +
			"diagnosed and uploads, and the daily matching. No key is published for the days before the index " +
			"case's infectious window, so an exposure that began before the window opened is dated at its start: " +
			"the shaded last step holds those delays, known only to be at least that long (censored)."}
	p := newPlot(f.Title, "hours from first matched exposure to notification", "share of notifications (cumulative)")
	type series struct {
		ai      int
		all, fa plotter.XYs
	}
	var all []series
	cens, maxH := -1, 0
	for ai, a := range r.Arms {
		var rows []sim.DelayRow
		var total, totalFA int64
		for _, d := range r.Delays {
			if d.Arm == a.Name {
				rows = append(rows, d)
				total += d.TruePositives + d.FalseAlarms
				totalFA += d.FalseAlarms
			}
		}
		if total == 0 {
			continue
		}
		slices.SortFunc(rows, func(x, y sim.DelayRow) int { return x.Hours - y.Hours })
		s := series{ai: ai}
		step := func(pts plotter.XYs, x, y float64) plotter.XYs {
			// A step: flat until the bin, then up.
			return append(pts, plotter.XY{X: x, Y: pts[len(pts)-1].Y}, plotter.XY{X: x, Y: y})
		}
		s.all, s.fa = plotter.XYs{{X: 0, Y: 0}}, plotter.XYs{{X: 0, Y: 0}}
		var run, runFA int64
		for _, d := range rows {
			run += d.TruePositives + d.FalseAlarms
			runFA += d.FalseAlarms
			s.all = step(s.all, float64(d.Hours), float64(run)/float64(total))
			if totalFA > 0 && d.FalseAlarms > 0 {
				s.fa = step(s.fa, float64(d.Hours), float64(runFA)/float64(totalFA))
			}
			if d.Censored {
				cens = d.Hours
			}
			maxH = max(maxH, d.Hours)
		}
		if totalFA == 0 {
			s.fa = nil
		}
		all = append(all, s)
	}
	xMax := float64(maxH + 1)
	if cens >= 0 {
		xMax = float64(cens) + math.Max(4, float64(cens)/12)
		shade, err := plotter.NewPolygon(plotter.XYs{{X: float64(cens), Y: 0}, {X: xMax, Y: 0}, {X: xMax, Y: 1.02}, {X: float64(cens), Y: 1.02}})
		if err != nil {
			return f, err
		}
		shade.Color = color2(0.82)
		shade.LineStyle.Width = 0
		p.Add(shade)
		p.Legend.Add(fmt.Sprintf("%d h or more: censored (exposure began before the window)", cens), shade)
	}
	for _, s := range all {
		for k, pts := range []plotter.XYs{s.all, s.fa} {
			if pts == nil {
				continue
			}
			// The last step reaches the right edge.
			pts = append(pts, plotter.XY{X: xMax, Y: pts[len(pts)-1].Y})
			l, err := plotter.NewLine(pts)
			if err != nil {
				return f, err
			}
			l.Color = col(s.ai)
			l.Width = vg.Points(1.5)
			if k == 0 { // every notification
				l.Dashes = plotutilDashes(s.ai / 4)
				p.Add(l)
				p.Legend.Add(r.Arms[s.ai].Name, l)
				continue
			}
			l.Width = vg.Points(1.2)
			l.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
			p.Add(l)
		}
	}
	if len(all) > 0 {
		key, err := plotter.NewLine(plotter.XYs{})
		if err != nil {
			return f, err
		}
		key.Color = color2(0.4)
		key.Width = vg.Points(1.2)
		key.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
		p.Legend.Add("dotted: false alarms alone", key)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, xMax, 0, 1.02
	f.Plot = p
	return f, nil
}

func plotutilDashes(i int) []vg.Length {
	if i%2 == 0 {
		return nil
	}
	return []vg.Length{vg.Points(6), vg.Points(3)}
}

func dailyFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigDaily, Title: "Notifications per day",
		Caption: "Solid lines: people notified each day by each arm. Dashed lines: those of them who really were " +
			"close contacts (true positives). Diagnoses start after the first days, once index cases have a " +
			"full infectious window behind them."}
	p := newPlot(f.Title, "day of the simulation", "people notified")
	maxDay := 0
	for ai, a := range r.Arms {
		var all, tp plotter.XYs
		for _, d := range r.Daily {
			if d.Arm != a.Name {
				continue
			}
			all = append(all, plotter.XY{X: float64(d.Day), Y: float64(d.Notifications)})
			tp = append(tp, plotter.XY{X: float64(d.Day), Y: float64(d.TP)})
			maxDay = max(maxDay, d.Day)
		}
		if len(all) == 0 {
			continue
		}
		l1, pts, err := plotter.NewLinePoints(all)
		if err != nil {
			return f, err
		}
		l1.Color, pts.Color, pts.Shape = col(ai), col(ai), glyph(ai)
		l1.Width = vg.Points(1.5)
		l2, err := plotter.NewLine(tp)
		if err != nil {
			return f, err
		}
		l2.Color = col(ai)
		l2.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(l1, pts, l2)
		p.Legend.Add(a.Name, l1, pts)
	}
	if maxDay > 0 || len(r.Daily) > 0 {
		key, err := plotter.NewLine(plotter.XYs{})
		if err != nil {
			return f, err
		}
		key.Color = color2(0.4)
		key.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Legend.Add("dashed: of them close contacts", key)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = math.Max(1, float64(maxDay))
	f.Plot = p
	return f, nil
}
