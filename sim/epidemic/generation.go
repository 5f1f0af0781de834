package epidemic

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// MeanGenerationDays is the model's mean generation interval: the mean
// time from a person's infection to the infections they cause, weighting
// each moment of each course by its infectiousness (Infectiousness) and
// averaging over the incubation period's lognormal distribution. With the
// default history (Lauer et al. 2020 incubation, He et al. 2020 profile)
// it is about 6.4 days, near He et al.'s mean serial interval of 5.8
// days. Contacts are taken to be the same every day, so it is the
// model's own interval, before quarantine or depletion shorten it.
//
// It is computed by quadrature: 400 incubation quantiles (midpoints in
// probability) and a 0.01-day time step.
func (m *Model) MeanGenerationDays() float64 {
	h := m.p.History
	inc := distuv.LogNormal{Mu: m.logMed, Sigma: h.IncubationLogSD}
	const quantiles, step = 400, 0.01
	var num, den float64
	for i := range quantiles {
		onset := inc.Quantile((float64(i) + 0.5) / quantiles)
		start := math.Max(h.MinLatentDays, onset-h.ProfileShiftDays)
		end := math.Max(start, onset+h.InfectiousDaysAfterOnset)
		c := Course{Start: float32(start), Onset: float32(onset), End: float32(end)}
		for t := start + step/2; t < end; t += step {
			w := m.Infectiousness(c, t)
			num += w * t
			den += w
		}
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}
