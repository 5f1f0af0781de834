package plots

import (
	"fmt"
	"strings"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
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

// falseAlarms sums one arm's false alarms of the breakdown by distance
// band and by duration band, and finds its largest cell.
type falseAlarms struct {
	total      int64
	byDist     map[string]int64
	byDur      map[string]int64
	distOrder  []string
	durOrder   []string
	top        sim.FalsePositiveRow
	neverClose int64 // never within radio range
}

func falseAlarmsOf(r *sim.Result, arm string) falseAlarms {
	fa := falseAlarms{byDist: map[string]int64{}, byDur: map[string]int64{}}
	for _, f := range r.FalsePositives {
		if f.Arm != arm {
			continue
		}
		fa.total += f.FP
		if f.DistanceBand == "none" {
			fa.neverClose += f.FP
			continue
		}
		if _, ok := fa.byDist[f.DistanceBand]; !ok {
			fa.distOrder = append(fa.distOrder, f.DistanceBand)
		}
		if _, ok := fa.byDur[f.DurationBand]; !ok {
			fa.durOrder = append(fa.durOrder, f.DurationBand)
		}
		fa.byDist[f.DistanceBand] += f.FP
		fa.byDur[f.DurationBand] += f.FP
		if f.FP > fa.top.FP {
			fa.top = f
		}
	}
	return fa
}

// modal is the key of m with the most, first in order on ties.
func modal(m map[string]int64, order []string) string {
	best := ""
	for _, k := range order {
		if best == "" || m[k] > m[best] {
			best = k
		}
	}
	return best
}

// precisionReading explains each arm's precision from the breakdown of its
// false alarms by true distance and exposure (tables/false_positives.csv),
// and says in one sentence what drives them.
func precisionReading(s *output.Summary, r *sim.Result) string {
	var parts []string
	var drivers []string
	for _, a := range s.Arms {
		fa := falseAlarmsOf(r, a.Name)
		if fa.total == 0 || fa.top.FP == 0 {
			continue
		}
		d, u := modal(fa.byDist, fa.distOrder), modal(fa.byDur, fa.durOrder)
		share := func(n int64) string { return pct(output.Num(float64(n) / float64(fa.total))) }
		txt := fmt.Sprintf("%s's %s false alarms (precision %s): %s came from pairs whose closest approach was %s, "+
			"and %s from pairs that spent %s within radio range on one day; the largest group, %s, is pairs %s apart "+
			"for %s.", a.Name, thousands(int(fa.total)), pct(a.Precision), share(fa.byDist[d]), bandWords(d),
			share(fa.byDur[u]), bandWords(u), share(fa.top.FP), bandWords(fa.top.DistanceBand), bandWords(fa.top.DurationBand))
		if fa.neverClose > 0 {
			txt += fmt.Sprintf(" %s were never within radio range of the index case (a matched ID from another phone).",
				share(fa.neverClose))
		}
		parts = append(parts, txt)
		drivers = append(drivers, d+"|"+u)
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
