package plots

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
)

// protocolNames are the names a non-specialist knows the protocols by.
var protocolNames = map[string]string{
	"bluezone":    "Bluezone",
	"bluezone-v1": "Bluezone (version 1 IDs)",
	"gaen":        "Google/Apple (GAEN)",
	"dp3t":        "DP-3T",
}

func protocolName(p string) string {
	if n, ok := protocolNames[p]; ok {
		return n
	}
	return p
}

// pct formats a share as a whole percentage, "n/a" when undefined.
func pct(x output.Num) string {
	if !finite(float64(x)) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f %%", 100*float64(x))
}

// pctFine formats a share in percent with one decimal below 10 %.
func pctFine(x output.Num) string {
	if !finite(float64(x)) {
		return "n/a"
	}
	return hundredths(x) + " %"
}

// per100 formats a share as "N of every 100", with one decimal below 10
// so that small shares do not all read "3".
func per100(x output.Num) string {
	return hundredths(x) + " of every 100"
}

// hundredths formats a share in percent without the sign: one decimal
// below 10, none above.
func hundredths(x output.Num) string {
	v := 100 * float64(x)
	if math.Abs(v) < 9.95 && v != 0 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// interval formats a 95 % interval in percent.
func interval(lo, hi output.Num) string {
	if !finite(float64(lo), float64(hi)) {
		return ""
	}
	return fmt.Sprintf(" (95 %% interval: %s to %s of every 100)", hundredths(lo), hundredths(hi))
}

// Reading returns the plain-language reading of a run: short paragraphs
// generated from the numbers, for someone who is not a specialist.
func Reading(s *output.Summary, r *sim.Result) []string {
	var out []string
	who := "some people were diagnosed (the index cases); those with the app could share their keys"
	if s.DiagnosedAmong == output.AmongAppUsers {
		who = "some people with the app were diagnosed (the index cases) and could share their keys"
	}
	out = append(out, fmt.Sprintf("This run simulated %s people in the %q scenario for %d days%s. "+
		"Each day %s, and the apps then warned the people whose phones had recorded them. The simulator "+
		"knows who really was a close contact, so it can say how many the apps found and how many warnings "+
		"were wrong.", thousands(s.Agents), s.Scenario, s.Days, startText(s.Start), who))
	for _, a := range s.Arms {
		out = append(out, armReading(a))
	}
	if p := pairwiseReading(s); p != "" {
		out = append(out, p)
	}
	out = append(out, compareReadings(s)...)
	if p := precisionReading(s); p != "" {
		out = append(out, p)
	}
	if p := epidemicReading(s); p != "" {
		out = append(out, p)
	}
	if p := areaReading(s); p != "" {
		out = append(out, p)
	}
	out = append(out, privacyReadings(r)...)
	if p := unestimableReading(s); p != "" {
		out = append(out, p)
	}
	if p := delayReading(s); p != "" {
		out = append(out, p)
	}
	if p := attenuationReading(s); p != "" {
		out = append(out, p)
	}
	return out
}

// quantityNames are the words the report uses for summary keys.
var quantityNames = map[string]string{
	"coverage": "coverage", "recall": "recall", "capture": "capture", "precision": "precision",
	"false_positive_rate": "false-positive rate", "pairwise_coverage": "the pairwise law's coverage",
	"epidemic.r_eff": "the effective reproduction number", "epidemic.averted": "the share of infections averted",
}

// unestimableReading says which numbers the run was too small or too
// short to estimate, why, and what to enlarge; "" when there are none.
// Numbers left out for the same reason are named together.
func unestimableReading(s *output.Summary) string {
	type group struct {
		why   string
		names []string
	}
	var groups []*group
	for _, a := range s.Arms {
		keys := make([]string, 0, len(a.Unestimable))
		for k := range a.Unestimable {
			if k != "recall" && k != "pairwise_coverage" { // they follow coverage and capture
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			name := quantityNames[k]
			if name == "" {
				name = k
			}
			name += " of " + a.Name
			why := a.Unestimable[k]
			i := slices.IndexFunc(groups, func(g *group) bool { return g.why == why })
			if i < 0 {
				groups = append(groups, &group{why: why})
				i = len(groups) - 1
			}
			groups[i].names = append(groups[i].names, name)
		}
	}
	if len(groups) == 0 {
		return ""
	}
	var parts []string
	for _, g := range groups {
		parts = append(parts, strings.Join(g.names, ", ")+" ("+g.why+")")
	}
	size := "population.size"
	if s.Census != nil {
		size = "population.scale, the share of the census simulated"
	}
	return "This run was too small or too short to estimate some numbers, so they are left blank (n/a) rather than " +
		"shown with a misleading value: " + strings.Join(parts, "; ") + ". A larger population (" + size + ") " +
		"or a longer run (days) gives more index cases, close contacts and infections to count."
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	t := strconv.Itoa(n)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	for i := len(t) - 3; i > 0; i -= 3 {
		t = t[:i] + "," + t[i:]
	}
	if neg {
		t = "-" + t
	}
	return t
}

func startText(start string) string {
	if start == "" {
		return ""
	}
	return " from " + start
}

func armReading(a output.ArmSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "At %s adoption, the %s arm (%s) ", pct(a.Adoption), protocolName(a.Protocol), a.Name)
	if a.CloseContacts == 0 {
		b.WriteString("had no close contacts of index cases to find, so its coverage is not defined.")
		return b.String()
	}
	if !finite(float64(a.Coverage)) {
		fmt.Fprintf(&b, "notified %d of %d close contacts of diagnosed people, too few index cases to estimate its coverage.",
			a.TP, a.CloseContacts)
		return b.String()
	}
	fmt.Fprintf(&b, "notified %s real close contacts of diagnosed people%s.",
		per100(a.Coverage), interval(a.CoverageCILow, a.CoverageCIHigh))
	if finite(float64(a.Capture)) {
		fmt.Fprintf(&b, " Among close contacts where both people had the app, it found %s.", per100(a.Capture))
	}
	if a.Notifications == 0 {
		b.WriteString(" It sent no notifications.")
	} else if finite(float64(a.Precision)) {
		fmt.Fprintf(&b, " %s of every 100 people it notified really were close contacts; the rest were false alarms.",
			hundredths(a.Precision))
	}
	return b.String()
}

func pairwiseReading(s *output.Summary) string {
	best := -1
	for i, a := range s.Arms {
		if a.CloseContacts > 0 && finite(float64(a.Capture), float64(a.Coverage)) &&
			(best < 0 || a.Adoption > s.Arms[best].Adoption) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	a := s.Arms[best]
	ad := float64(a.Adoption)
	if s.DiagnosedAmong == output.AmongAppUsers {
		return fmt.Sprintf("Why coverage stays below capture: every index case here had the app, but a contact "+
			"can only be warned if they have it too. If %s of people have it, only about %.0f in 100 close "+
			"contacts can be reached at all. %s caught %s in 100 of the contacts between two app users, so "+
			"this law predicts a coverage of about %s; the run gave %s.",
			pct(a.Adoption), 100*ad, a.Name, hundredths(a.Capture), pctFine(a.PairwiseCoverage), pctFine(a.Coverage))
	}
	return fmt.Sprintf("Why coverage stays low: a contact can only be found when both people run the app. "+
		"If %s of people have it, only a share of %.2f × %.2f of pairs of people have it on both phones, "+
		"so even an app that caught every contact between two users would reach no more than that share of close contacts. "+
		"%s caught %s in 100 of the contacts between two app users, so this pairwise law predicts a coverage of about "+
		"%s; the run gave %s. A higher number means app users met each other more often than chance "+
		"(families and friends tend to install together).",
		pct(a.Adoption), ad, ad, a.Name, hundredths(a.Capture), pctFine(a.PairwiseCoverage), pctFine(a.Coverage))
}

// compareReadings compares arms at the same adoption level.
func compareReadings(s *output.Summary) []string {
	var levels []float64
	for _, a := range s.Arms {
		if !slices.Contains(levels, float64(a.Adoption)) {
			levels = append(levels, float64(a.Adoption))
		}
	}
	var out []string
	for _, lv := range levels {
		var arms []output.ArmSummary
		for _, a := range s.Arms {
			if float64(a.Adoption) == lv && a.CloseContacts > 0 {
				arms = append(arms, a)
			}
		}
		if len(arms) < 2 {
			continue
		}
		cov := slices.MaxFunc(arms, func(x, y output.ArmSummary) int { return cmpNum(x.Coverage, y.Coverage) })
		prec := slices.MaxFunc(arms, func(x, y output.ArmSummary) int { return cmpNum(x.Precision, y.Precision) })
		text := fmt.Sprintf("At %s adoption, %s found the most close contacts (%s)", pct(output.Num(lv)),
			cov.Name, per100(cov.Coverage))
		if prec.Name == cov.Name {
			text += fmt.Sprintf(" and also had the most accurate notifications (%s right).", per100(prec.Precision))
		} else {
			text += fmt.Sprintf(", while %s had the most accurate notifications (%s right): "+
				"a rule that warns more people finds more contacts but raises more false alarms.",
				prec.Name, per100(prec.Precision))
		}
		out = append(out, text)
	}
	return out
}

func cmpNum(a, b output.Num) int {
	x, y := float64(a), float64(b)
	switch {
	case !finite(x) && !finite(y):
		return 0
	case !finite(x):
		return -1
	case !finite(y):
		return 1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// delayReading gives each arm's median delay over every notification and,
// apart, of true positives and of false alarms, and the share of censored
// delays (summary.json's arms[].median_delay_hours and its siblings, and
// delay_censored_hours).
func delayReading(s *output.Summary) string {
	var parts, censored []string
	for _, a := range s.Arms {
		all := medianDelay(a.MedianDelayHours, a.MedianDelayCensored)
		if all == "" {
			continue
		}
		part := "for " + a.Name + " " + all
		var apart []string
		if tp := medianDelay(a.TruePositiveMedianDelayHours, a.TruePositiveMedianDelayCensored); tp != "" {
			apart = append(apart, "true positives "+tp)
		}
		if fa := medianDelay(a.FalseAlarmMedianDelayHours, a.FalseAlarmMedianDelayCensored); fa != "" {
			apart = append(apart, "false alarms "+fa)
		}
		if len(apart) > 0 {
			part += " (" + strings.Join(apart, ", ") + ")"
		}
		parts = append(parts, part)
		if sh := float64(a.CensoredDelayShare); finite(sh) && sh > 0 {
			censored = append(censored, fmt.Sprintf("%s %s", a.Name, pctFine(a.CensoredDelayShare)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	text := "Counted from the first exposure the phone recorded, half of all the notifications, right and wrong " +
		"alike, came " + strings.Join(parts, "; ") + ". Most of that wait is the time until the index " +
		"case is diagnosed and shares keys, not the app."
	if h := float64(s.DelayCensoredHours); len(censored) > 0 && finite(h) {
		text += fmt.Sprintf(" No key is published for the days before an index case's infectious window, so an "+
			"exposure that began earlier is dated at the window's start and its delay is known only to be at least "+
			"%.0f hours (censored): %s of the notifications.", h, strings.Join(censored, ", "))
	}
	return text
}

// medianDelay words a median delay of summary.json: "within N hours", or
// "after N hours or more (censored)" when it fell in the censored bin; ""
// when there is none.
func medianDelay(h output.Num, censored bool) string {
	if !finite(float64(h)) {
		return ""
	}
	if censored {
		return fmt.Sprintf("after %.0f hours or more (censored)", float64(h))
	}
	return fmt.Sprintf("within %.0f hours", float64(h))
}

// attenuationReading contrasts attenuation near and far (summary.json's
// attenuation).
func attenuationReading(s *output.Summary) string {
	at := s.Attenuation
	if at == nil {
		return ""
	}
	return fmt.Sprintf("Phones cannot measure distance well. For people less than 1 m apart the median "+
		"attenuation the phones saw was %.0f dB, and for people 2 to 4 m apart %.0f dB; but single readings "+
		"spread widely (the middle 80 %% of near readings ran from %.0f to %.0f dB), so a near contact often "+
		"looks far and a far one near. That is why the apps miss some close contacts and warn some people "+
		"who were not close.",
		float64(at.NearMedianDB), float64(at.FarMedianDB), float64(at.NearP10DB), float64(at.NearP90DB))
}

// glossary explains the terms the report uses.
var glossary = []struct{ Term, Text string }{
	{"Close contact", "Two people who spent at least the scenario's set time (for example 15 minutes in a day) within its set distance (for example 2 m) of each other. The simulator knows every close contact, with or without an app."},
	{"Index case", "A person who was diagnosed. If they had the app and agreed, they shared their keys so that others could be warned."},
	{"Adoption", "The share of the whole population with the app installed."},
	{"Coverage", "Of all real close contacts of index cases, the share who were notified. This is the number that matters for stopping an outbreak."},
	{"Capture", "Of the close contacts where both people had the app, the share who were notified: how good the app itself is, leaving adoption aside."},
	{"Precision", "Of the people notified, the share who really were close contacts. The rest were false alarms."},
	{"Recall", "Another name for the share of close contacts found; here it equals coverage."},
	{"False-positive rate", "Of the people within radio range of an index case who were not close contacts, the share notified anyway."},
	{"Pairwise law (a²)", "If a share a of people install the app at random, about a × a of pairs have it on both phones, so coverage is roughly capture × a²."},
	{"AUC", "Area under the ROC curve: the chance that the app's own score for a real close contact (for example the weighted minutes of the German rule) is higher than for someone in radio range who was not one. 0.5 is no better than picking people at random, 1 a perfect separation, whatever threshold the app sets."},
	{"Attenuation", "How much weaker the Bluetooth signal arrived than it was sent, in decibels (dB). Apps use it to guess distance: more attenuation, farther away."},
	{"95 % interval", "If the same kind of town were simulated again (a new seed: new people, phones, installs and diagnoses), the value would fall in this range about 95 times in 100. It is worked out from how much the index cases differ from one another, each counted with all of its contacts, since the contacts of one person share that person's phone, household and places and are not independent; index cases who share a household, a class or workplace, or a bus are allowed to be alike too. A run with few index cases gets a wide range, and below 10 index cases a number is not given at all."},
	{"Not estimated (n/a)", "A number the run was too small or too short to estimate: too few index cases with the contacts it needs, or, for the epidemic, too few days for infections to run their course. summary.json gives the reason under unestimable."},
}

type reportFigure struct {
	Name, Title, Caption string
	Src                  template.URL
}

type reportData struct {
	S        *output.Summary
	Reading  []string
	Figures  []reportFigure
	Glossary any
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": pct,
	"num": func(x output.Num, prec int) string {
		if !finite(float64(x)) {
			return "n/a"
		}
		return fmt.Sprintf("%.*f", prec, float64(x))
	},
	"proto":     protocolName,
	"thousands": thousands,
}).Parse(reportHTML))

// Report writes report.html: the run's facts, the plain-language reading,
// a table of the arms, every figure (its SVG as a data URI, so the page
// needs nothing else) with its caption, and a glossary.
func Report(w io.Writer, s *output.Summary, r *sim.Result, figs []output.Figure) error {
	d := reportData{S: s, Reading: Reading(s, r), Glossary: glossary}
	for i := range figs {
		if len(figs[i].SVG) == 0 {
			return fmt.Errorf("figure %s: no SVG to embed", figs[i].Name)
		}
		d.Figures = append(d.Figures, reportFigure{Name: figs[i].Name, Title: figs[i].Title, Caption: figs[i].Caption,
			Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(figs[i].SVG))})
	}
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bluesim report: {{.S.Scenario}}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; } th, td { padding: 0.3em 0.6em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, td.l { text-align: left; }
figure { margin: 1.5em 0; } figure img { width: 100%; max-width: 840px; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; }
dt { font-weight: bold; margin-top: 0.6em; } .facts { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>Contact-tracing apps in the “{{.S.Scenario}}” scenario</h1>
<p class="facts">{{thousands .S.Agents}} people, {{.S.Days}} days{{if .S.Start}} from {{.S.Start}}{{end}}, seed {{.S.Seed}}.
Output hash <code>{{.S.OutputHash}}</code>.</p>

<h2>What the run says</h2>
{{range .Reading}}<p>{{.}}</p>
{{end}}
<h2>The numbers</h2>
<table>
<tr><th>Arm</th><th>App</th><th>Adoption</th><th>Close contacts</th><th>Notified</th><th>Coverage</th><th>Capture</th><th>Precision</th><th>False-positive rate</th><th>AUC</th></tr>
{{range .S.Arms}}<tr><td>{{.Name}}</td><td class="l">{{proto .Protocol}}</td><td>{{pct .Adoption}}</td><td>{{.CloseContacts}}</td><td>{{.Notifications}}</td><td>{{pct .Coverage}}</td><td>{{pct .Capture}}</td><td>{{pct .Precision}}</td><td>{{num .FalsePositiveRate 3}}</td><td>{{num .AUC 2}}</td></tr>
{{end}}</table>
<p class="facts">Close contacts are pairs (index case, contact) in the index case's infectious window.
The tables behind every figure are in <code>tables/</code> (CSV and Parquet); the figures alone in <code>plots/</code>.</p>

<h2>Figures</h2>
{{range .Figures}}<figure id="{{.Name}}">
<h3>{{.Title}}</h3>
<img src="{{.Src}}" alt="{{.Title}}">
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}
<h2>Glossary</h2>
<dl>
{{range .Glossary}}<dt>{{.Term}}</dt><dd>{{.Text}}</dd>
{{end}}</dl>
<p class="facts">Made by bluesim in {{num .S.WallSeconds 1}} s on {{.S.Workers}} workers ({{num .S.AgentDaysPerSecond 0}} agent-days per second).</p>
</body>
</html>
`
