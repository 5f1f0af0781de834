package plots

import (
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
			"distance between the two people. Lines join the median attenuation of each 1 m band. The wide " +
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
	slices.Sort(envs)
	for gi, g := range groups {
		for ei, env := range envs {
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
			sc.Color = faded(gi)
			sc.Shape = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}}[ei%4]
			sc.Radius = vg.Points(1.8)
			p.Add(sc)
			p.Legend.Add(g+", "+env, sc)
		}
		med := medians(r.Attenuation, g)
		if len(med) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(med)
		if err != nil {
			return f, err
		}
		line.Color, points.Color = col(gi), col(gi)
		line.Width = vg.Points(2.5)
		points.Radius = vg.Points(3)
		p.Add(line, points)
		p.Legend.Add(g+" median", line, points)
	}
	p.X.Min = 0
	f.Plot = p
	return f, nil
}

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
	f := Figure{Name: FigDelay, Title: "Delay from exposure to notification",
		Caption: "For each arm, the share of notifications that arrived within a given number of hours of the " +
			"first exposure the phone recorded (a cumulative distribution). The delay is mostly the time until " +
			"the index case is diagnosed and uploads, and the daily matching."}
	p := newPlot(f.Title, "hours from first matched exposure to notification", "share of notifications (cumulative)")
	for ai, a := range r.Arms {
		var total int64
		var rows []sim.DelayRow
		for _, d := range r.Delays {
			if d.Arm == a.Name {
				rows = append(rows, d)
				total += d.Count
			}
		}
		if total == 0 {
			continue
		}
		slices.SortFunc(rows, func(x, y sim.DelayRow) int { return x.Hours - y.Hours })
		pts := plotter.XYs{{X: 0, Y: 0}}
		var run int64
		for _, d := range rows {
			// A step: flat until the bin, then up.
			pts = append(pts, plotter.XY{X: float64(d.Hours), Y: pts[len(pts)-1].Y})
			run += d.Count
			pts = append(pts, plotter.XY{X: float64(d.Hours), Y: float64(run) / float64(total)})
		}
		pts = append(pts, plotter.XY{X: pts[len(pts)-1].X + 1, Y: 1})
		l, err := plotter.NewLine(pts)
		if err != nil {
			return f, err
		}
		l.Color = col(ai)
		l.Width = vg.Points(1.5)
		l.Dashes = plotutilDashes(ai / 4)
		p.Add(l)
		p.Legend.Add(a.Name, l)
	}
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, 1.02
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
