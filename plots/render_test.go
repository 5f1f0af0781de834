package plots

import (
	"bytes"
	"encoding/xml"
	"flag"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/sim"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func wellFormedXML(t *testing.T, name string, b []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: not well-formed XML: %v", name, err)
		}
	}
}

// fixtureSeries groups the fixture's arms as output.ArmSeries does for a
// scenario whose arms differ only in adoption within each protocol.
var fixtureSeries = map[string]string{"bluezone-20": "bluezone", "bluezone-40": "bluezone", "gaen-20": "gaen", "gaen-40": "gaen"}

func TestFiguresRender(t *testing.T) {
	figs, err := Figures(outputtest.Result(), output.Options{ArmSeries: fixtureSeries})
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 8 {
		t.Fatalf("%d figures", len(figs))
	}
	for _, f := range figs {
		t.Run(f.Name, func(t *testing.T) {
			pb, err := f.PNG()
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(pb))
			if err != nil {
				t.Fatalf("PNG does not decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 840 || b.Dy() != 540 {
				t.Errorf("PNG is %v, want 840x540", b)
			}
			sb, err := f.SVG()
			if err != nil {
				t.Fatal(err)
			}
			wellFormedXML(t, f.Name, sb)
			again, _ := f.SVG()
			if !bytes.Equal(sb, again) {
				t.Error("SVG bytes differ between two renderings")
			}
			if f.Caption == "" || f.Title == "" {
				t.Error("no title or caption")
			}
			// The golden SVG pins the drawing: a change of figure code
			// shows up as a diff to review (go test -update rewrites it).
			path := filepath.Join("testdata", f.Name+".svg")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, sb, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sb, want) {
				t.Errorf("%s differs from golden file (run with -update after checking the figure)", path)
			}
		})
	}
}

// TestFiguresEmptyResult checks that a run with nothing to show (no arms
// notified anyone, no samples) still draws every figure.
func TestFiguresEmptyResult(t *testing.T) {
	r := &sim.Result{Scenario: "empty", Days: 1}
	r2 := outputtest.Result()
	for i := range r2.Arms {
		r2.Arms[i].Counts = sim.Counts{}
		r2.Arms[i].Notifications = 0
	}
	r2.Bands, r2.Delays, r2.Attenuation = nil, nil, nil
	for _, res := range []*sim.Result{r, r2} {
		figs, err := Figures(res, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			if _, err := f.PNG(); err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
			sb, err := f.SVG()
			if err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
			wellFormedXML(t, f.Name, sb)
		}
	}
}

// TestRenderer: the renderer's figures are Figures, in order, with the
// bytes of PNG and SVG, for the run folder that output.WriteRun writes.
func TestRenderer(t *testing.T) {
	r := outputtest.Result()
	figs, err := Figures(r, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Renderer{}.Figures(r, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(figs) {
		t.Fatalf("%d figures, want %d", len(got), len(figs))
	}
	for i, f := range figs {
		g := got[i]
		if g.Name != f.Name || g.Title != f.Title || g.Caption != f.Caption {
			t.Errorf("figure %d: %q %q, want %q %q", i, g.Name, g.Title, f.Name, f.Title)
		}
		pb, _ := f.PNG()
		sb, _ := f.SVG()
		if !bytes.Equal(g.PNG, pb) || !bytes.Equal(g.SVG, sb) {
			t.Errorf("%s: rendered bytes differ from PNG() and SVG()", f.Name)
		}
	}
}

// TestFiguresTellArmsApart: the figures against adoption draw a curve per
// family of arms (output.Options.ArmSeries) and label every point with its
// arm, so two arms of one protocol with different rules are never
// unlabelled twins; the attenuation figure keys every app and environment.
func TestFiguresTellArmsApart(t *testing.T) {
	svgOf := func(o output.Options, name string) string {
		t.Helper()
		figs, err := Figures(outputtest.Result(), o)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range figs {
			if f.Name == name {
				b, err := f.SVG()
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}
		t.Fatalf("no figure %s", name)
		return ""
	}
	twoRules := map[string]string{"bluezone-20": "bluezone-20", "bluezone-40": "bluezone-40", "gaen-20": "gaen", "gaen-40": "gaen"}
	for _, tc := range []struct {
		name    string
		series  map[string]string
		fig     string
		want    []string
		notWant []string
	}{
		{"one rule per protocol", fixtureSeries, FigCoverage,
			[]string{">bluezone pairwise law", ">gaen pairwise law", "> bluezone-20<", "> bluezone-40<", "> gaen-40<"},
			[]string{">bluezone-20 pairwise law"}},
		{"two bluezone rules", twoRules, FigCoverage,
			[]string{">bluezone-20 pairwise law", ">bluezone-40 pairwise law", ">gaen pairwise law", "> bluezone-20<"},
			[]string{">bluezone pairwise law"}},
		{"precision, two bluezone rules", twoRules, FigPrecision,
			[]string{">bluezone-20<", ">bluezone-40<", ">gaen<", "> bluezone-40<"}, nil},
		{"attenuation keys", nil, FigAttenuation,
			[]string{">indoor<", ">outdoor<", ">vehicle<", ">bluezone, median per 1 m<", ">gaen, median per 1 m<"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg := svgOf(output.Options{ArmSeries: tc.series}, tc.fig)
			for _, w := range tc.want {
				if !strings.Contains(svg, w) {
					t.Errorf("%s lacks %q", tc.fig, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(svg, w) {
					t.Errorf("%s has %q", tc.fig, w)
				}
			}
		})
	}
}
