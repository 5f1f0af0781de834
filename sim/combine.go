package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"

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
	delays := map[delayKey]int64{}
	type sample struct {
		prio uint64
		part int
		i    int
	}
	var samples []sample
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
			k := dayKey{d.Arm, d.Day}
			if row := days[k]; row != nil {
				row.IndexCases += d.IndexCases
				row.Uploads += d.Uploads
				row.CloseContacts += d.CloseContacts
				row.Counts.add(d.Counts)
				row.Notifications += d.Notifications
				row.Sightings += d.Sightings
			} else {
				d := d
				days[k] = &d
			}
		}
		for _, b := range r.Bands {
			k := bandKey{b.Arm, b.Dimension, b.Band}
			if row := bands[k]; row != nil {
				row.Counts.add(b.Counts)
				row.AppTP += b.AppTP
				row.AppFN += b.AppFN
			} else {
				b := b
				bands[k] = &b
			}
		}
		for _, d := range r.Detection {
			k := detKey{d.Arm, d.Band}
			if row := dets[k]; row != nil {
				row.Pairs += d.Pairs
				row.Detected += d.Detected
			} else {
				d := d
				dets[k] = &d
			}
		}
		for _, d := range r.Delays {
			delays[delayKey{d.Arm, d.Hours}] += d.Count
		}
		for i := range r.Attenuation {
			samples = append(samples, sample{agents.Mix(seed, uint64(pi), uint64(i)), pi, i})
		}
		out.Areas = append(out.Areas, r.Areas...)
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
	for k, n := range delays {
		out.Delays = append(out.Delays, DelayRow{Arm: k.arm, Hours: k.hours, Count: n})
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
