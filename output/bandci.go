package output

import "github.com/bluesim/bluesim/sim"

// BandCaptureCI returns, for every row of r.Bands, the 95 % interval of
// its capture as tables/detection_by_band writes it (clustered by index
// case; NaN where too few index cases to estimate it), for figures that
// draw those rows.
func BandCaptureCI(r *sim.Result) (lo, hi []float64) {
	_, capture := bandEstimates(r)
	lo, hi = make([]float64, len(capture)), make([]float64, len(capture))
	for i, e := range capture {
		lo[i], hi[i] = e.lo, e.hi
	}
	return lo, hi
}
