package plots

import (
	"bytes"
	"encoding/base64"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/internal/reportcheck"
	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/sim"
)

func TestReport(t *testing.T) {
	r := outputtest.Result()
	s := output.NewSummary(r, output.Options{})
	s.OutputHash = "abc123"
	figs, err := Renderer{}.Figures(r, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Report(&buf, s, r, figs); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.HasPrefix(page, "<!DOCTYPE html>") {
		t.Error("not an HTML5 page")
	}
	// Self-contained: no external scripts, styles, links or images.
	for _, bad := range []string{`src="http`, `href=`, `<link`, `<script`, `url(`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q: not self-contained", bad)
		}
	}
	// html/template writes '+' in attributes as a character reference.
	imgs := regexp.MustCompile(`<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(html.UnescapeString(page), -1)
	if len(imgs) != len(figs) {
		t.Fatalf("%d embedded images, want %d", len(imgs), len(figs))
	}
	for i, m := range imgs {
		svg, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		wellFormedXML(t, figs[i].Name, svg)
		if !bytes.Equal(svg, figs[i].SVG) {
			t.Errorf("image %d is not figure %s's SVG", i, figs[i].Name)
		}
	}
	// The renderer returns the same page.
	if b, err := (Renderer{}).Report(s, r, figs); err != nil || string(b) != page {
		t.Errorf("Renderer.Report differs from Report (error %v)", err)
	}
	// A figure without its SVG is an error, not an empty image.
	figs[0].SVG = nil
	if err := Report(&buf, s, r, figs); err == nil || !strings.Contains(err.Error(), figs[0].Name) {
		t.Errorf("error %v, want one naming figure %s", err, figs[0].Name)
	}
	// The reading is generated from the numbers.
	a := s.Arms[1]
	want := "At 40 % adoption, the Bluezone arm (bluezone-40) notified " + per100(a.Coverage) + " real close contacts"
	for _, w := range []string{want, "Among close contacts where both people had the app", "false alarms",
		"pairwise law", "abc123", "<dt>Capture</dt>", "<dt>Coverage</dt>", "<dt>Precision</dt>", "<dt>Recall</dt>",
		"half of all the notifications, right and wrong alike, came for bluezone-20 within 13 hours (true positives within 10 hours, false alarms within 22 hours)",
		"its delay is known only to be at least 71 hours (censored): bluezone-20 7.1 %"} {
		if !strings.Contains(page, w) {
			t.Errorf("report lacks %q", w)
		}
	}
}

func TestReadingUndefined(t *testing.T) {
	r := outputtest.Result()
	for i := range r.Arms {
		r.Arms[i].CloseContacts = 0
	}
	s := output.NewSummary(r, output.Options{})
	for _, p := range Reading(s, r) {
		if strings.Contains(p, "NaN") || strings.Contains(p, "n/a of every") {
			t.Errorf("reading shows an undefined number: %q", p)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestDelayReading: the sentence covers every notification, gives true
// positives and false alarms apart, and says when the median is censored.
func TestDelayReading(t *testing.T) {
	row := func(h int, tp, fa int64, censored bool) sim.DelayRow {
		return sim.DelayRow{Arm: "a", Hours: h, TruePositives: tp, FalseAlarms: fa, Censored: censored}
	}
	for _, tc := range []struct {
		name string
		rows []sim.DelayRow
		want []string // substrings; none when the reading is empty
	}{
		{"no notifications", nil, nil},
		{"true positives only", []sim.DelayRow{row(4, 3, 0, false), row(30, 2, 0, false)},
			[]string{"came for a within 5 hours (true positives within 5 hours)."}},
		{"false alarms only", []sim.DelayRow{row(4, 0, 1, false), row(8, 0, 3, false)},
			[]string{"came for a within 9 hours (false alarms within 9 hours)."}},
		{"the false alarms decide the median", []sim.DelayRow{row(2, 3, 0, false), row(40, 0, 5, false)},
			[]string{"came for a within 41 hours (true positives within 3 hours, false alarms within 41 hours)"}},
		{"censored median", []sim.DelayRow{row(10, 1, 0, false), row(71, 2, 1, true)},
			[]string{"came for a after 71 hours or more (censored) (true positives after 71 hours or more (censored), " +
				"false alarms after 71 hours or more (censored))", "at least 71 hours (censored): a 75 % of the notifications."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &sim.Result{Arms: []sim.ArmSummary{{Name: "a"}, {Name: "silent"}}, Delays: tc.rows}
			got := delayReading(output.NewSummary(r, output.Options{}))
			if len(tc.want) == 0 && got != "" {
				t.Errorf("got %q, want nothing", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("reading %q lacks %q", got, w)
				}
			}
			if strings.Contains(got, "silent") {
				t.Errorf("reading names an arm without notifications: %q", got)
			}
		})
	}
}

// TestPrecisionReading: the report explains each arm's false alarms from
// the breakdown by true distance and exposure, with one sentence on what
// drives them.
func TestPrecisionReading(t *testing.T) {
	r := outputtest.Result()
	s := output.NewSummary(r, output.Options{})
	txt := precisionReading(s)
	for _, want := range []string{
		"Why precision is low", "tables/false_positives.csv", "60 min or more", "2 to 3 m away",
		"gaen-40's", "the largest group, 40 %, is pairs 2 to 3 m apart for 60 min or more",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("reading lacks %q:\n%s", want, txt)
		}
	}
	if !slices.Contains(Reading(s, r), txt) {
		t.Error("the report's reading does not include the precision paragraph")
	}
	r.FalsePositives = nil
	if got := precisionReading(output.NewSummary(r, output.Options{})); got != "" {
		t.Errorf("without a breakdown: %q", got)
	}
	for label, want := range map[string]string{"2-3m": "2 to 3 m", "<1m": "under 1 m", ">=60min": "60 min or more",
		"15-30min": "15 to 30 min", "none": "none"} {
		if got := bandWords(label); got != want {
			t.Errorf("bandWords(%q) = %q, want %q", label, got, want)
		}
	}
}

// TestReportNumbersInSummary: every number of the run report's text is a
// number of its summary.json (the browser test checks the same in
// Chromium), with and without the epidemic layer.
func TestReportNumbersInSummary(t *testing.T) {
	census := output.Options{Census: &output.Census{Area: "nam-dinh", AreaLevel: "district", Scale: 0.01}}
	for name, c := range map[string]struct {
		r *sim.Result
		o output.Options
	}{"detection": {outputtest.Result(), output.Options{}}, "epidemic": {outputtest.EpidemicResult(), output.Options{}},
		"census": {outputtest.AreaResult(), census}} {
		t.Run(name, func(t *testing.T) {
			r := c.r
			s := output.NewSummary(r, c.o)
			if name == "census" && !slices.ContainsFunc(Reading(s, r), func(p string) bool { return strings.HasPrefix(p, "Coverage differed between the 10 areas") }) {
				t.Error("no paragraph on coverage by area")
			}
			figs, err := Renderer{}.Figures(r, c.o)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Report(&buf, s, r, figs); err != nil {
				t.Fatal(err)
			}
			js, err := s.JSON()
			if err != nil {
				t.Fatal(err)
			}
			missing, err := reportcheck.Missing(pageText(buf.Bytes()), js, "95", "100", "15", "2", "1", "4", "0.5")
			if err != nil {
				t.Fatal(err)
			}
			if len(missing) > 0 {
				t.Errorf("numbers of the report not in summary.json: %v", missing)
			}
		})
	}
}
