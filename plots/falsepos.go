package plots

import (
	"fmt"
	"strings"

	"github.com/bluesim/bluesim/output"
)

// bandWords writes a band label of the breakdowns in words: "2-3m" as
// "2 to 3 m", "<1m" as "under 1 m", ">=60min" as "60 min or more".
func bandWords(label string) string {
	unit := ""
	for _, u := range []string{"min", "m"} {
		if s, ok := strings.CutSuffix(label, u); ok {
			label, unit = s, " "+u
			break
		}
	}
	switch {
	case strings.HasPrefix(label, "<"):
		return "under " + label[1:] + unit
	case strings.HasPrefix(label, ">="):
		return label[2:] + unit + " or more"
	case strings.Contains(label, "-"):
		lo, hi, _ := strings.Cut(label, "-")
		return lo + " to " + hi + unit
	}
	return label + unit
}

// modalBand is the band with the most false alarms, first on ties.
func modalBand(bs []output.BandShare) output.BandShare {
	var best output.BandShare
	for _, b := range bs {
		if b.FP > best.FP {
			best = b
		}
	}
	return best
}

// precisionReading explains each arm's precision from the breakdown of its
// false alarms by true distance and exposure (summary.json's
// arms[].false_alarms, from tables/false_positives.csv), and says in one
// sentence what drives them.
func precisionReading(s *output.Summary) string {
	var parts []string
	var drivers []string
	for _, a := range s.Arms {
		fa := a.FalseAlarms
		if fa == nil || fa.Largest.FP == 0 {
			continue
		}
		d, u := modalBand(fa.ByDistance), modalBand(fa.ByDuration)
		txt := fmt.Sprintf("%s's %s false alarms (precision %s): %s came from pairs whose closest approach was %s, "+
			"and %s from pairs that spent %s within radio range on one day; the largest group, %s, is pairs %s apart "+
			"for %s.", a.Name, thousands(int(fa.FP)), pct(a.Precision), pct(d.Share), bandWords(d.Band),
			pct(u.Share), bandWords(u.Band), pct(fa.Largest.Share), bandWords(fa.Largest.DistanceBand), bandWords(fa.Largest.DurationBand))
		if fa.NeverInRange.FP > 0 {
			txt += fmt.Sprintf(" %s were never within radio range of the index case (a matched ID from another phone).",
				pct(fa.NeverInRange.Share))
		}
		parts = append(parts, txt)
		drivers = append(drivers, d.Band+"|"+u.Band)
	}
	if len(parts) == 0 {
		return ""
	}
	// One sentence on what drives them, from the commonest pattern.
	counts := map[string]int{}
	top := ""
	for _, k := range drivers {
		counts[k]++
		if top == "" || counts[k] > counts[top] {
			top = k
		}
	}
	d, u, _ := strings.Cut(top, "|")
	lead := fmt.Sprintf("Why precision is low (the breakdown is in tables/false_positives.csv): most false alarms "+
		"are people who never came close enough for long enough to be a close contact but stayed %s within "+
		"radio range of the index case, typically %s away (the same room, shop or bus): their phones heard "+
		"each other long enough for the rule to fire, and signal strength cannot tell them from a close "+
		"contact, because walls, bodies and pockets change it by more than the distance does.", bandWords(u), bandWords(d))
	return lead + " " + strings.Join(parts, " ")
}
