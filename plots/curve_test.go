package plots

import (
	"bytes"
	"image/png"
	"math"
	"testing"
)

func TestCurveFigure(t *testing.T) {
	var pts []CurvePoint
	for i := 1; i <= 9; i++ {
		a := float64(i) / 10
		pts = append(pts, CurvePoint{Series: "bluezone", X: a, Y: 0.7 * a * a, Lo: 0.65 * a * a, Hi: 0.75 * a * a},
			CurvePoint{Series: "gaen", X: a, Y: 0.45 * a * a, Lo: math.NaN(), Hi: math.NaN()})
	}
	f, err := CurveFigure(Curve{Name: "sweep_coverage", Title: "Coverage against adoption", XLabel: "adoption",
		YLabel: "coverage", Points: pts, PairwiseCapture: map[string]float64{"bluezone": 0.7}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	s1, _ := f.SVG()
	s2, _ := f.SVG()
	wellFormedXML(t, f.Name, s1)
	if !bytes.Equal(s1, s2) {
		t.Error("SVG not deterministic")
	}
	if _, err := CurveFigure(Curve{}); err == nil {
		t.Error("no error for a curve without a name")
	}
	// Undefined points are left out, not drawn at 0 or rejected.
	if _, err := CurveFigure(Curve{Name: "x", Points: []CurvePoint{{Series: "a", X: math.NaN(), Y: 1}}}); err != nil {
		t.Error(err)
	}
}
