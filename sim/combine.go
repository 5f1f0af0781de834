package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/agents"
)

// Combine adds up the results of separate runs of one scenario's parts
// (the provinces of an area simulated one per run) into the result of the
// whole: counts add per arm, day, band and area, rates are recomputed from
// the sums, the area rows are concatenated, and attenuationSamples of the
// parts' attenuation samples are kept, chosen by a hash of (part, sample)
// so that the choice is a uniform, deterministic sample of the union. The
// parts must be given in a fixed order (the census order of their
// provinces): the result, and its hash, depend only on the parts and that
// order, never on where or when each part ran. Runs with the epidemic
// layer cannot be combined (each part's epidemic would have run alone).
//
// The index cases of the parts (the clusters every interval resamples)
// are kept, each with its verdicts in the breakdown cells, detection
// bands and areas re-pointed at the combined tables, and so are the pairs
// the arms' rules scored (for the ROC curves and the AUC); a part's people
// are numbered after those of the parts before it, so that a combined
// IndexCase.Person or PairScore.Index names one person of the whole area.
// The false alarms' breakdown and the delay histograms add up cell by
// cell.
func Combine(name string, seed uint64, attenuationSamples int, parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("combine: no results")
	}
	first := parts[0]
	out := &Result{Scenario: name, Seed: seed, Days: first.Days}
	arms := make([]ArmSummary, len(first.Arms))
	var owners float64
	type dayKey struct {
		arm string
		day int
	}
	days := map[dayKey]*DayRow{}
	type bandKey struct{ arm, dim, band string }
	bands := map[bandKey]*BandRow{}
	type detKey struct{ arm, band string }
	dets := map[detKey]*DetectionRow{}
	type delayKey struct {
		arm   string
		hours int
	}
	delays := map[delayKey]*DelayRow{}
	type sample struct {
		prio uint64
		part int
		i    int
	}
	var samples []sample
	type fpKey struct{ arm, dist, dur string }
	fps := map[fpKey]int64{}
	for pi, r := range parts {
		if r.Epidemic != nil {
			return nil, fmt.Errorf("combine: part %d ran the epidemic layer; separate parts' epidemics cannot be added up", pi)
		}
		if r.Days != first.Days || len(r.Arms) != len(first.Arms) {
			return nil, fmt.Errorf("combine: part %d has %d days and %d arms, part 0 %d and %d", pi, r.Days, len(r.Arms), first.Days, len(first.Arms))
		}
		out.Agents += r.Agents
		// Ownership is owners / agents: recover each part's whole number
		// of owners, so that one part combines to exactly its own share.
		owners += math.Round(r.Ownership * float64(r.Agents))
		for ai, a := range r.Arms {
			s := &arms[ai]
			if pi == 0 {
				*s = ArmSummary{Name: a.Name, Protocol: a.Protocol, Adoption: a.Adoption}
			} else if a.Name != s.Name || a.Protocol != s.Protocol || a.Adoption != s.Adoption {
				return nil, fmt.Errorf("combine: part %d's arm %d is %s (%s, %v), part 0's %s (%s, %v)", pi, ai,
					a.Name, a.Protocol, a.Adoption, s.Name, s.Protocol, s.Adoption)
			}
			s.IndexCases += a.IndexCases
			s.Uploads += a.Uploads
			s.CloseContacts += a.CloseContacts
			s.AppCloseContacts += a.AppCloseContacts
			s.Counts.add(a.Counts)
			s.Notifications += a.Notifications
			s.MatchedSightings += a.MatchedSightings
			s.Sightings += a.Sightings
		}
		for _, d := range r.Daily {
			addInto(days, dayKey{d.Arm, d.Day}, d, func(row, d *DayRow) {
				row.IndexCases += d.IndexCases
				row.Uploads += d.Uploads
				row.CloseContacts += d.CloseContacts
				row.Counts.add(d.Counts)
				row.Notifications += d.Notifications
				row.Sightings += d.Sightings
			})
		}
		for _, b := range r.Bands {
			addInto(bands, bandKey{b.Arm, b.Dimension, b.Band}, b, func(row, b *BandRow) {
				row.Counts.add(b.Counts)
				row.AppTP += b.AppTP
				row.AppFN += b.AppFN
			})
		}
		for _, d := range r.Detection {
			addInto(dets, detKey{d.Arm, d.Band}, d, func(row, d *DetectionRow) {
				row.Pairs += d.Pairs
				row.Detected += d.Detected
			})
		}
		for _, d := range r.Delays {
			k := delayKey{d.Arm, d.Hours}
			if row := delays[k]; row != nil && row.Censored != d.Censored {
				return nil, fmt.Errorf("combine: part %d's delay bin of %d hours (arm %s) is censored in one part and not in another", pi, d.Hours, d.Arm)
			}
			addInto(delays, k, d, func(row, d *DelayRow) {
				row.TruePositives += d.TruePositives
				row.FalseAlarms += d.FalseAlarms
			})
		}
		for _, f := range r.FalsePositives {
			fps[fpKey{f.Arm, f.DistanceBand, f.DurationBand}] += f.FP
		}
		for i := range r.Attenuation {
			samples = append(samples, sample{agents.Mix(seed, uint64(pi), uint64(i)), pi, i})
		}
		out.Workers = max(out.Workers, r.Workers)
		out.WallSeconds += r.WallSeconds
	}
	if out.Agents > 0 {
		out.Ownership = owners / float64(out.Agents)
	}
	armIndex := func(name string) int {
		return slices.IndexFunc(arms, func(a ArmSummary) bool { return a.Name == name })
	}
	for _, d := range days {
		out.Daily = append(out.Daily, *d)
	}
	slices.SortFunc(out.Daily, func(a, b DayRow) int {
		return cmp.Or(cmp.Compare(armIndex(a.Arm), armIndex(b.Arm)), cmp.Compare(a.Day, b.Day))
	})
	for _, b := range bands {
		out.Bands = append(out.Bands, *b)
	}
	dimIndex := func(d string) int { return slices.Index(dimNames[:], d) }
	slices.SortFunc(out.Bands, func(a, b BandRow) int {
		return cmp.Or(cmp.Compare(armIndex(a.Arm), armIndex(b.Arm)), cmp.Compare(dimIndex(a.Dimension), dimIndex(b.Dimension)),
			cmp.Compare(a.Band, b.Band))
	})
	// Detection bands keep the order of part 0 (the distance bands).
	for _, d := range first.Detection {
		out.Detection = append(out.Detection, *dets[detKey{d.Arm, d.Band}])
	}
	if len(dets) != len(first.Detection) {
		return nil, fmt.Errorf("combine: the parts' detection tables have different bands")
	}
	out.FalsePositives = []FalsePositiveRow{}
	for k, n := range fps {
		out.FalsePositives = append(out.FalsePositives, FalsePositiveRow{Arm: k.arm, DistanceBand: k.dist, DurationBand: k.dur, FP: n})
	}
	slices.SortFunc(out.FalsePositives, func(a, b FalsePositiveRow) int {
		return cmp.Or(cmp.Compare(armIndex(a.Arm), armIndex(b.Arm)), compareBands(a.DistanceBand, b.DistanceBand),
			compareBands(a.DurationBand, b.DurationBand))
	})
	areaPos, err := combineAreas(out, parts, armIndex)
	if err != nil {
		return nil, err
	}
	combineCases(out, parts, areaPos)
	for _, d := range delays {
		out.Delays = append(out.Delays, *d)
	}
	slices.SortFunc(out.Delays, func(a, b DelayRow) int {
		return cmp.Or(cmp.Compare(armIndex(a.Arm), armIndex(b.Arm)), cmp.Compare(a.Hours, b.Hours))
	})
	if len(samples) > attenuationSamples {
		slices.SortFunc(samples, func(a, b sample) int { return cmp.Compare(a.prio, b.prio) })
		samples = samples[:max(0, attenuationSamples)]
		slices.SortFunc(samples, func(a, b sample) int { return cmp.Or(cmp.Compare(a.part, b.part), cmp.Compare(a.i, b.i)) })
	}
	for _, s := range samples {
		out.Attenuation = append(out.Attenuation, parts[s.part].Attenuation[s.i])
	}
	for ai := range arms {
		s := &arms[ai]
		s.Precision = s.Counts.Precision()
		s.Recall = s.Counts.Recall()
		s.Coverage = s.Recall
		var atp, afn int64
		for _, b := range out.Bands {
			if b.Arm == s.Name && b.Dimension == "venue" {
				atp += b.AppTP
				afn += b.AppFN
			}
		}
		s.Capture = ratio(atp, atp+afn)
		s.FalsePositiveRate = s.Counts.FPR()
	}
	out.Arms = arms
	out.AgentDaysPerSecond = float64(out.Agents) * float64(out.Days) / math.Max(out.WallSeconds, 1e-9)
	if err := out.computeHash(); err != nil {
		return nil, err
	}
	return out, nil
}

// combineAreas puts the parts' area rows into out arm by arm (the order
// a single run has), each arm's areas in part order, and returns where
// each part's rows went.
func combineAreas(out *Result, parts []*Result, armIndex func(string) int) ([][]int32, error) {
	type ref struct{ part, row, arm int }
	var all []ref
	for pi, r := range parts {
		for i, a := range r.Areas {
			ai := armIndex(a.Arm)
			if ai < 0 {
				return nil, fmt.Errorf("combine: part %d has an area row of arm %q, which no part has", pi, a.Arm)
			}
			all = append(all, ref{pi, i, ai})
		}
	}
	slices.SortStableFunc(all, func(x, y ref) int { return cmp.Compare(x.arm, y.arm) })
	pos := make([][]int32, len(parts))
	for pi, r := range parts {
		pos[pi] = make([]int32, len(r.Areas))
	}
	for to, x := range all {
		out.Areas = append(out.Areas, parts[x.part].Areas[x.row])
		pos[x.part][x.row] = int32(to)
	}
	return pos, nil
}

// combineCases puts the parts' index cases into out in (arm, day, person)
// order, people numbered after the earlier parts' agents, with their
// breakdown cells, detection bands and areas pointing at out's rows
// (which must be final; areaPos says where each part's area rows went).
func combineCases(out *Result, parts []*Result, areaPos [][]int32) {
	type bandKey struct{ arm, dim, band string }
	type detKey struct{ arm, band string }
	bandRow := map[bandKey]int32{}
	for i, b := range out.Bands {
		bandRow[bandKey{b.Arm, b.Dimension, b.Band}] = int32(i)
	}
	detRow := map[detKey]int32{}
	for i, d := range out.Detection {
		detRow[detKey{d.Arm, d.Band}] = int32(i)
	}
	type ref struct{ part, i int }
	var all []ref
	offset := make([]int32, len(parts))
	var people int32
	for pi, r := range parts {
		offset[pi] = people
		people += int32(r.Agents)
		for i := range r.IndexCases {
			all = append(all, ref{pi, i})
		}
	}
	caseOf := func(x ref) IndexCase {
		c := parts[x.part].IndexCases[x.i]
		c.Person += offset[x.part]
		return c
	}
	slices.SortStableFunc(all, func(x, y ref) int {
		p, q := caseOf(x), caseOf(y)
		return cmp.Or(cmp.Compare(p.Arm, q.Arm), cmp.Compare(p.Day, q.Day), cmp.Compare(p.Person, q.Person))
	})
	newPos := make([][]int32, len(parts))
	for pi, r := range parts {
		newPos[pi] = make([]int32, len(r.IndexCases))
	}
	// The pairs scored, arm by arm, then by day, index case and contact,
	// with the people renumbered as the index cases are.
	out.Pairs = []PairScore{}
	for pi, r := range parts {
		for _, p := range r.Pairs {
			p.Index += offset[pi]
			p.Contact += offset[pi]
			out.Pairs = append(out.Pairs, p)
		}
	}
	slices.SortStableFunc(out.Pairs, func(a, b PairScore) int {
		return cmp.Or(cmp.Compare(a.Arm, b.Arm), cmp.Compare(a.Day, b.Day), cmp.Compare(a.Index, b.Index), cmp.Compare(a.Contact, b.Contact))
	})
	out.IndexCases = make([]IndexCase, len(all))
	for to, x := range all {
		out.IndexCases[to] = caseOf(x)
		newPos[x.part][x.i] = int32(to)
	}
	out.IndexCaseBands, out.IndexCaseDetection, out.IndexCaseAreas = []IndexCaseBand{}, []IndexCaseDetection{}, nil
	for pi, r := range parts {
		for _, c := range r.IndexCaseBands {
			b := r.Bands[c.Row]
			c.Case, c.Row = newPos[pi][c.Case], bandRow[bandKey{b.Arm, b.Dimension, b.Band}]
			out.IndexCaseBands = append(out.IndexCaseBands, c)
		}
		for _, c := range r.IndexCaseDetection {
			d := r.Detection[c.Row]
			c.Case, c.Row = newPos[pi][c.Case], detRow[detKey{d.Arm, d.Band}]
			out.IndexCaseDetection = append(out.IndexCaseDetection, c)
		}
		for _, c := range r.IndexCaseAreas {
			c.Case, c.Row = newPos[pi][c.Case], areaPos[pi][c.Row]
			out.IndexCaseAreas = append(out.IndexCaseAreas, c)
		}
	}
	slices.SortFunc(out.IndexCaseBands, func(x, y IndexCaseBand) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
	slices.SortFunc(out.IndexCaseDetection, func(x, y IndexCaseDetection) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
	slices.SortFunc(out.IndexCaseAreas, func(x, y IndexCaseArea) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
}

// compareBands orders band labels as bandLabel writes them ("<1m",
// "1-2m", ..., ">=5m") by their edges, "none" last.
func compareBands(a, b string) int {
	ka, xa := bandRank(a)
	kb, xb := bandRank(b)
	return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(xa, xb), cmp.Compare(a, b))
}

// bandRank is a band label's place: 0 for "<x", 1 for "x-y" (and "all"),
// 2 for ">=x", 3 for "none", with x its lower (or only) edge.
func bandRank(l string) (kind int, x float64) {
	num := func(s string) float64 {
		s = strings.TrimRightFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return math.Inf(1)
		}
		return v
	}
	switch {
	case l == "none":
		return 3, 0
	case strings.HasPrefix(l, ">="):
		return 2, num(l[2:])
	case strings.HasPrefix(l, "<"):
		return 0, num(l[1:])
	}
	lo, _, _ := strings.Cut(l, "-")
	return 1, num(lo)
}

// addInto adds row v to the row of key k in m with add, or, the first
// time k comes, stores a copy of v there.
func addInto[K comparable, T any](m map[K]*T, k K, v T, add func(into, v *T)) {
	if row := m[k]; row != nil {
		add(row, &v)
		return
	}
	m[k] = &v
}
