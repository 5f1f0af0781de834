package plots

import (
	"cmp"
	"image/color"
	"slices"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/sim"
)

// FigPrivacy is the figure of the adversary's re-identification against
// the number of sniffers.
const FigPrivacy = "privacy_vs_sniffers"

// privacyQuantities are the figure's three readings of re-identification,
// each drawn in its own line style.
var privacyQuantities = []struct {
	label  string
	dashes []vg.Length
	get    func(*privacy.Result) privacy.Share
}{
	{"homes identified", nil, func(r *privacy.Result) privacy.Share { return r.Homes }},
	{"uploaders traced", []vg.Length{vg.Points(6), vg.Points(3)}, func(r *privacy.Result) privacy.Share { return r.Traced }},
	{"linked-time share", []vg.Length{vg.Points(1.5), vg.Points(2.5)}, func(r *privacy.Result) privacy.Share { return r.LinkedTime }},
}

// privacyFigure draws, for each protocol, the share of uploaders whose
// home the adversary found, the share it traced and the share of sniffed
// time it linked into hour-long tracks, against the number of sniffers of
// the arms (a run comparing densities as arms, or one point per arm).
func privacyFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigPrivacy, Title: "Re-identification against the number of sniffers",
		Caption: "What a network of passive Bluetooth sniffers learns, for each protocol (colour) and each arm's " +
			"number of sniffers. Solid: share of the people who uploaded keys whose home the sniffers identified " +
			"(the sniffer that heard them most at night is the one nearest their home), with 95 % Wilson intervals. " +
			"Dashed: share of uploaders whose movements the published keys let the adversary reconstruct. " +
			"Dotted: share of everything the sniffers heard that the linking attack chained into tracks of an hour " +
			"or more, without any upload. A point is missing where the run could not estimate it (no uploaders)."}
	p := newPlot(f.Title, "number of sniffers", "share")
	var protos []string
	for _, row := range r.Privacy {
		if !slices.Contains(protos, row.Protocol) {
			protos = append(protos, row.Protocol)
		}
	}
	// Protocols at the same number of sniffers are dodged sideways by a
	// little, so that equal values do not hide each other.
	maxSn := 1.0
	for _, row := range r.Privacy {
		maxSn = max(maxSn, float64(row.Result.Sniffers))
	}
	dodge := func(pi int) float64 { return (float64(pi) - float64(len(protos)-1)/2) * maxSn * 0.008 }
	for pi, proto := range protos {
		var rows []sim.PrivacyRow
		for _, row := range r.Privacy {
			if row.Protocol == proto {
				rows = append(rows, row)
			}
		}
		slices.SortStableFunc(rows, func(a, b sim.PrivacyRow) int { return cmp.Compare(a.Result.Sniffers, b.Result.Sniffers) })
		for qi, q := range privacyQuantities {
			var pts plotter.XYs
			var errs plotter.YErrors
			for _, row := range rows {
				s := q.get(&row.Result)
				if !finite(s.Value, s.Low, s.High) {
					continue
				}
				pts = append(pts, plotter.XY{X: float64(row.Result.Sniffers) + dodge(pi), Y: s.Value})
				errs = append(errs, struct{ Low, High float64 }{s.Value - s.Low, s.High - s.Value})
			}
			if len(pts) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(pts)
			if err != nil {
				return f, err
			}
			line.Color, line.Width, line.Dashes = col(pi), vg.Points(1.5), q.dashes
			points.Color, points.Shape, points.Radius = col(pi), glyph(pi), vg.Points(3)
			p.Add(line, points)
			if qi == 0 {
				bars, err := plotter.NewYErrorBars(errPoints{pts, errs})
				if err != nil {
					return f, err
				}
				bars.Color, bars.Width = col(pi), vg.Points(1.2)
				p.Add(bars)
				p.Legend.Add(proto, line, points)
			}
		}
	}
	// The line styles' key, in grey.
	for _, q := range privacyQuantities {
		l := &plotter.Line{LineStyle: plotter.DefaultLineStyle}
		l.Color, l.Width, l.Dashes = color.Gray{Y: 90}, vg.Points(1.5), q.dashes
		p.Legend.Add(q.label, l)
	}
	p.X.Min, p.Y.Min, p.Y.Max = -maxSn*0.03, 0, 1.05
	p.Y.Tick.Marker = clampedTicks{lo: 0, hi: 1}
	f.Plot = p
	return f, nil
}

// privacyReadings are the report's paragraphs on the adversary
// (privacy.Paragraph), one per sniffer network: the arms that share a
// network are read together, so that the protocols are compared under the
// same sniffers. Nil without an adversary.
func privacyReadings(r *sim.Result) []string {
	var nets []string
	by := map[string][]privacy.Result{}
	for _, row := range r.Privacy {
		if _, ok := by[row.Network]; !ok {
			nets = append(nets, row.Network)
		}
		by[row.Network] = append(by[row.Network], row.Result)
	}
	var out []string
	for _, n := range nets {
		if p := privacy.Paragraph(by[n]...); p != "" {
			out = append(out, p)
		}
	}
	return out
}
