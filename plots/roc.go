package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
)

// armCurve is one arm's threshold sweep over the pairs its rule scored,
// and the point of the deployed rule on it.
type armCurve struct {
	name   string
	points []stats.ROCPoint
	rule   stats.ROCPoint // the sweep at the rule's own threshold
	auc    float64
}

// armCurves sweeps a threshold over each arm's scores (sim.PairScore:
// the rule's decision statistic). Arms without both close contacts and
// other pairs among their scored pairs have no curve and are left out.
func armCurves(r *sim.Result) []armCurve {
	var out []armCurve
	for ai, a := range r.Arms {
		ps := output.ArmPairs(r, ai)
		pts := stats.ROC(ps)
		last := pts[len(pts)-1]
		if last.TP == 0 || last.FP == 0 {
			continue
		}
		// The rule notifies a pair when its score reaches the threshold
		// and is above zero: the sweep's point at that threshold.
		th := math.Inf(1)
		for i := range r.Pairs {
			if int(r.Pairs[i].Arm) == ai {
				th = math.Max(r.Pairs[i].Score.Threshold, math.SmallestNonzeroFloat64)
				break
			}
		}
		rule := pts[0]
		for _, p := range pts[1:] {
			if p.Threshold >= th && p.Threshold > 0 {
				rule = p
			}
		}
		out = append(out, armCurve{name: a.Name, points: pts, rule: rule, auc: stats.AUC(ps)})
	}
	return out
}

// curveFigure draws each arm's sweep as a line of xy over its points and
// the deployed rule as a marked point, colour by arm.
func curveFigure(p *Plot, curves []armCurve, xy func(stats.ROCPoint) (float64, float64)) error {
	for i, c := range curves {
		var line plotter.XYs
		for _, pt := range c.points {
			if x, y := xy(pt); finite(x, y) {
				line = append(line, plotter.XY{X: x, Y: y})
			}
		}
		if len(line) == 0 {
			continue
		}
		l, err := plotter.NewLine(line)
		if err != nil {
			return err
		}
		l.Color = col(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (AUC %.2f)", c.name, c.auc), l)
		if x, y := xy(c.rule); finite(x, y) {
			s, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
			if err != nil {
				return err
			}
			s.Color, s.Shape, s.Radius = col(i), glyph(i), vg.Points(4)
			p.Add(s)
		}
	}
	return nil
}

func rocFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigROC, Title: "True-positive rate against false-positive rate",
		Caption: "For each arm, the curve sweeps a threshold over its rule's own score (the number the rule compares " +
			"with its threshold: weighted minutes, risk score, minutes at or above the RSSI threshold) across the pairs " +
			"the rule could judge: the contact had the app and the index case's upload reached the arm. Its recall is " +
			"therefore the arm's capture, not its coverage. The marker is the deployed rule's own threshold; the legend " +
			"gives the area under each curve (AUC: 0.5 is chance, 1 a perfect separation of close contacts from the " +
			"others). Up and to the left is better."}
	p := newPlot(f.Title, "false-positive rate", "recall (true-positive rate)")
	if err := curveFigure(p, armCurves(r), func(pt stats.ROCPoint) (float64, float64) { return pt.FPR, pt.TPR }); err != nil {
		return f, err
	}
	diag := plotter.NewFunction(func(x float64) float64 { return x })
	diag.Color = color2(0.6)
	diag.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(diag)
	p.Legend.Add("chance", diag)
	p.X.Min, p.Y.Min, p.X.Max, p.Y.Max = 0, 0, 1, 1
	f.Plot = p
	return f, nil
}

func prFigure(r *sim.Result, o output.Options) (Figure, error) {
	f := Figure{Name: FigPR, Title: "Precision against recall",
		Caption: "For each arm, the same threshold sweep as the ROC figure, over the pairs its rule could judge: the share " +
			"of notifications that were right (precision) against the share of close contacts found (recall, the arm's " +
			"capture). The marker is the deployed rule. Up and to the right is better."}
	p := newPlot(f.Title, "recall (share of close contacts notified)", "precision")
	if err := curveFigure(p, armCurves(r), func(pt stats.ROCPoint) (float64, float64) { return pt.TPR, pt.Precision }); err != nil {
		return f, err
	}
	p.X.Min, p.Y.Min, p.X.Max, p.Y.Max = 0, 0, 1, 1
	f.Plot = p
	return f, nil
}
