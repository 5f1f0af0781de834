package plots

import (
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
)

func TestEpidemicFiguresAndReading(t *testing.T) {
	r := outputtest.EpidemicResult()
	figs, err := Figures(r, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range figs {
		got[f.Name] = true
		if _, err := f.SVG(); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	if !got[FigInfections] || !got[FigREff] {
		t.Fatalf("figures %v: want %s and %s", got, FigInfections, FigREff)
	}
	s := output.NewSummary(r, output.Options{})
	text := strings.Join(Reading(s, r), "\n")
	if !strings.Contains(text, "infections averted") || !strings.Contains(text, "Without any app") {
		t.Errorf("reading lacks the epidemic paragraph:\n%s", text)
	}
	plain := outputtest.Result()
	if strings.Contains(strings.Join(Reading(output.NewSummary(plain, output.Options{}), plain), "\n"), "epidemic") {
		t.Error("a detection-only reading mentions the epidemic")
	}
}
