package plots

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/sim"
)

// checkLegend checks one figure's legend (Figure.LegendClear) and
// returns where it went.
func checkLegend(t *testing.T, f *Figure) Layout {
	t.Helper()
	if _, err := f.LegendClear(); err != nil {
		t.Error(err)
		if dir := os.Getenv("BLUESIM_LEGEND_DEBUG"); dir != "" {
			b, _ := f.PNG()
			os.WriteFile(filepath.Join(dir, f.Name+".png"), b, 0o644)
		}
	}
	return f.Layout()
}

// crowded is a result whose data fill the figures, so that no corner is
// free: the legend must go outside.
func crowded() *sim.Result {
	r := outputtest.Result()
	rng := rand.New(rand.NewPCG(3, 4))
	var samples []sim.AttenuationSample
	for i := range 4000 {
		d := 0.3 + 9.7*rng.Float64()
		env := []string{"indoor", "outdoor", "vehicle"}[i%3]
		samples = append(samples, sim.AttenuationSample{Arm: []string{"gaen", "bluezone"}[i%2], Environment: env,
			DistanceM: d, AttenuationDB: 40 + 30*math.Log10(1+d) + 40*rng.Float64()})
	}
	r.Attenuation = samples
	return r
}

// TestLegendsCoverNoData renders every figure of several results and
// checks the legend of each, by its pixels.
func TestLegendsCoverNoData(t *testing.T) {
	empty := outputtest.Result()
	for i := range empty.Arms {
		empty.Arms[i].Counts = sim.Counts{}
		empty.Arms[i].Notifications = 0
	}
	empty.Bands, empty.Delays, empty.Attenuation = nil, nil, nil
	places := map[string]bool{}
	for name, r := range map[string]*sim.Result{"synthetic": outputtest.Result(), "crowded": crowded(), "empty": empty} {
		figs, err := Figures(r, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range figs {
			t.Run(fmt.Sprintf("%s/%s", name, figs[i].Name), func(t *testing.T) {
				places[checkLegend(t, &figs[i]).Place] = true
			})
		}
	}
	// The fixtures exercise the corners and the way out.
	if !places[PlaceTopLeft] || !(places[PlaceRight] || places[PlaceBelow]) {
		t.Errorf("want a legend in a corner and one outside; places used: %v", places)
	}
}

// TestLegendWayOut: a plot whose data cover the whole area gets its
// legend outside, right of the data or below it when wide.
func TestLegendWayOut(t *testing.T) {
	for _, tc := range []struct {
		name  string
		entry string
		want  string
	}{
		{"narrow", "a", PlaceRight},
		{"wide", "a legend entry far too long to sit beside the data area of a figure of seven inches", PlaceBelow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPlot("full", "x", "y")
			var pts plotter.XYs
			for x := 0.0; x <= 1; x += 0.02 {
				for y := 0.0; y <= 1; y += 0.02 {
					pts = append(pts, plotter.XY{X: x, Y: y})
				}
			}
			s, err := plotter.NewScatter(pts)
			if err != nil {
				t.Fatal(err)
			}
			p.Add(s)
			p.Legend.Add(tc.entry, s)
			f := Figure{Name: tc.name, Plot: p, Width: defaultWidth, Height: defaultHeight}
			if lay := checkLegend(t, &f); lay.Place != tc.want {
				t.Errorf("legend %s, want %s", lay.Place, tc.want)
			}
		})
	}
}

func TestSegmentMeetsRect(t *testing.T) {
	r := vg.Rectangle{Min: vg.Point{X: 10, Y: 10}, Max: vg.Point{X: 20, Y: 20}}
	for _, tc := range []struct {
		a, b vg.Point
		want bool
	}{
		{vg.Point{X: 0, Y: 0}, vg.Point{X: 30, Y: 30}, true},   // through
		{vg.Point{X: 0, Y: 15}, vg.Point{X: 5, Y: 15}, false},  // short of it
		{vg.Point{X: 12, Y: 12}, vg.Point{X: 13, Y: 13}, true}, // inside
		{vg.Point{X: 0, Y: 25}, vg.Point{X: 30, Y: 25}, false}, // above
		{vg.Point{X: 0, Y: 30}, vg.Point{X: 30, Y: 0}, true},   // diagonal across
		{vg.Point{X: 0, Y: 21}, vg.Point{X: 9, Y: 30}, false},  // past the corner
	} {
		if got := segmentMeetsRect(tc.a, tc.b, r); got != tc.want {
			t.Errorf("segment %v-%v: %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
