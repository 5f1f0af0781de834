package plots

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/sim"
)

// TestAreaFigure draws the coverage-by-area figure of a district run (tile
// maps) and of a province run (points per area), checks that it comes
// last among the figures, renders, and matches its golden SVG.
func TestAreaFigure(t *testing.T) {
	for _, tc := range []struct {
		golden string
		r      *sim.Result
	}{{"coverage_by_area_tiles", outputtest.AreaResult()}, {"coverage_by_area_provinces", outputtest.ProvinceResult()}} {
		t.Run(tc.golden, func(t *testing.T) {
			figs, err := Figures(tc.r, output.Options{})
			if err != nil {
				t.Fatal(err)
			}
			f := figs[len(figs)-1]
			if len(figs) != 9 || f.Name != FigCoverageByArea || f.Caption == "" {
				t.Fatalf("%d figures, the last %q", len(figs), f.Name)
			}
			checkLegend(t, &f)
			pb, err := f.PNG()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(pb)); err != nil {
				t.Fatal(err)
			}
			sb, err := f.SVG()
			if err != nil {
				t.Fatal(err)
			}
			wellFormedXML(t, f.Name, sb)
			path := filepath.Join("testdata", tc.golden+".svg")
			if *update {
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
			// Every district's name is on the key map of the tiles.
			if tc.golden == "coverage_by_area_tiles" && !bytes.Contains(sb, []byte("Xuân Trường")) {
				t.Error("the key map does not name Xuân Trường")
			}
			// Vụ Bản's contacts come from 4 index cases: no estimate,
			// said as such (Mỹ Lộc has no close contact at all).
			if tc.golden == "coverage_by_area_provinces" && bytes.Count(sb, []byte("too few index cases")) != 2 {
				t.Errorf("%d areas marked as too few index cases, want 2", bytes.Count(sb, []byte("too few index cases")))
			}
		})
	}
}

func TestShortName(t *testing.T) {
	for in, want := range map[string]string{"Huyện Hải Hậu": "Hải Hậu", "Thành phố Nam Định": "TP Nam Định", "Tỉnh Nam Định": "Nam Định", "Hà Nội": "Hà Nội"} {
		if got := shortName(in); got != want {
			t.Errorf("shortName(%q) = %q, want %q", in, got, want)
		}
	}
}
