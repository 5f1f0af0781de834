package plots

import (
	"html"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/internal/reportcheck"
	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sweeprun"
)

// adoptionSweep is the summary of a sweep of two arms over adoption
// 0.1..0.7 whose coverage follows capture × a² with intervals that widen
// with adoption, with three goals, one out of reach.
func adoptionSweep(t *testing.T) *output.SweepSummary {
	t.Helper()
	values := []string{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}
	s := &sweeprun.Summary{
		Manifest: sweeprun.Manifest{Scenario: "adoption-sweep", ScenarioHash: strings.Repeat("ab", 32), Points: 7, Replicates: 5,
			TotalTasks: 35, Axes: []sweeprun.AxisInfo{{Path: "arms[*].adoption", Column: "arms_adoption", Numeric: true, Values: values}}},
		Metrics: []string{"adoption", "notifications_per_index", "precision", "capture", "coverage"},
		Method:  sweeprun.IntervalMethod,
	}
	for _, g := range []string{"coverage>=0.1", "coverage>=0.25", "coverage>=0.5"} {
		gg, _ := scenarios.ParseGoal(g)
		s.Goals = append(s.Goals, gg)
	}
	for pi := range values {
		a := 0.1 * float64(pi+1)
		for _, arm := range []struct {
			name      string
			capture   float64
			precision float64
		}{{"bluezone", 0.75, 0.12}, {"gaen", 0.5, 0.2}} {
			cov := arm.capture * a * a
			w := 0.2 * cov
			s.Rows = append(s.Rows, sweeprun.SummaryRow{Point: pi, Values: []string{values[pi]}, Group: arm.name, N: 5,
				Metrics: []sweeprun.Estimate{{Mean: a, Low: a, High: a}, {Mean: 60 * a * a * arm.capture, Low: 40 * a * a * arm.capture, High: 80 * a * a * arm.capture},
					{Mean: arm.precision, Low: arm.precision - 0.04, High: arm.precision + 0.04},
					{Mean: arm.capture, Low: arm.capture - 0.1, High: arm.capture + 0.1}, {Mean: cov, Low: cov - w, High: cov + w}}})
		}
	}
	out, err := output.NewSweepSummary(s)
	if err != nil {
		t.Fatal(err)
	}
	out.OutputHash = strings.Repeat("cd", 32)
	return out
}

func TestSweepFigures(t *testing.T) {
	s := adoptionSweep(t)
	figs, err := SweepFigures(s)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i := range figs {
		names = append(names, figs[i].Name)
		if _, err := figs[i].LegendClear(); err != nil {
			t.Error(err)
		}
		if _, err := figs[i].PNG(); err != nil {
			t.Fatal(err)
		}
	}
	want := "coverage_vs_adoption capture_vs_adoption precision_vs_adoption notifications_per_index_vs_adoption"
	if strings.Join(names, " ") != want {
		t.Errorf("figures %v, want %s", names, want)
	}
}

var tags = regexp.MustCompile(`<[^>]+>`)

// pageText is the text a browser shows of an HTML page, roughly.
func pageText(page []byte) string {
	s := string(page)
	s = s[strings.Index(s, "<body>"):]
	return html.UnescapeString(tags.ReplaceAllString(s, " "))
}

func TestSweepReport(t *testing.T) {
	s := adoptionSweep(t)
	figs, err := SweepRenderer{}.SweepFigures(s)
	if err != nil {
		t.Fatal(err)
	}
	page, err := SweepReport(s, figs)
	if err != nil {
		t.Fatal(err)
	}
	text := pageText(page)
	// Coverage 0.75 a² meets 0.1 at a = 0.362 (interpolated between the
	// points 0.3 and 0.4); gaen's 0.5 a² is 24.5 % at 0.7, short of 25 %.
	for _, want := range []string{
		"To notify 10 % of all close contacts (coverage ≥ 10 %) with bluezone, 36 % of people must run the app (95 % CI 33–41 %).",
		"To notify 25 % of all close contacts (coverage ≥ 25 %) with gaen, more than the highest adoption swept, 70 %, is needed: at 70 %, coverage is 24.5 % (95 % CI 20–29 %).",
		"capture × a² (the pairwise law)", "35 times: 7 adoption levels from 10 % to 70 %, 5 replicates each",
		"Student's t",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	for _, f := range figs {
		if !strings.Contains(string(page), `id="`+f.Name+`"`) {
			t.Errorf("figure %s not in the page", f.Name)
		}
	}
	// Every number of the text is a number of summary.json.
	js, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	missing, err := reportcheck.Missing(text, js)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("numbers of the report not in summary.json: %v", missing)
	}
	if math.IsNaN(float64(s.Goals[0].Results[0].X)) {
		t.Error("the first goal is not met")
	}
}
