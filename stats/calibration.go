package stats

import (
	"math"
)

// Estimate is one run's value of a quantity with its interval; Key names
// the quantity, the same in every run.
type Estimate struct {
	Key           string
	Value, Lo, Hi float64
}

// Check is how well one quantity's intervals held over many runs.
type Check struct {
	Key string
	// Runs is how many runs estimated the quantity (value and interval
	// defined); Contained how many of their intervals hold Mean.
	Runs, Contained int
	// Share is Contained/Runs, with ShareLo and ShareHi its Wilson
	// interval at the level asked for (runs with different seeds are
	// independent, so here Wilson is right).
	Share, ShareLo, ShareHi float64
	// Mean and SD are the across-run mean and standard deviation of the
	// values: Mean is what a run's interval should hold.
	Mean, SD float64
	// HalfWidth is the mean half-width of the runs' intervals; Spread is
	// z·SD over it: about 1 when the intervals are as wide as the values
	// really vary, above 1 when they are too narrow.
	HalfWidth, Spread float64
}

// Calibrate checks, for every quantity in runs (one slice of estimates
// per run, with different seeds), the share of runs whose interval holds
// the across-run mean of the values. Quantities come out in the order
// they first appear. Runs where a quantity is undefined are left out of
// its check.
func Calibrate(runs [][]Estimate, conf float64) []Check {
	var order []string
	vals := map[string][]Estimate{}
	for _, run := range runs {
		for _, e := range run {
			if _, ok := vals[e.Key]; !ok {
				order = append(order, e.Key)
				vals[e.Key] = nil
			}
			if finite(e.Value) && finite(e.Lo) && finite(e.Hi) {
				vals[e.Key] = append(vals[e.Key], e)
			}
		}
	}
	zz := z(conf)
	out := make([]Check, 0, len(order))
	for _, k := range order {
		es := vals[k]
		c := Check{Key: k, Runs: len(es)}
		if len(es) == 0 {
			c.Share, c.ShareLo, c.ShareHi = math.NaN(), math.NaN(), math.NaN()
			c.Mean, c.SD, c.HalfWidth, c.Spread = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			out = append(out, c)
			continue
		}
		var sum, half float64
		for _, e := range es {
			sum += e.Value
			half += (e.Hi - e.Lo) / 2
		}
		c.Mean = sum / float64(len(es))
		c.HalfWidth = half / float64(len(es))
		var ss float64
		for _, e := range es {
			ss += (e.Value - c.Mean) * (e.Value - c.Mean)
			if e.Lo <= c.Mean && c.Mean <= e.Hi {
				c.Contained++
			}
		}
		c.SD = math.NaN()
		c.Spread = math.NaN()
		if len(es) > 1 {
			c.SD = math.Sqrt(ss / float64(len(es)-1))
			if c.HalfWidth > 0 {
				c.Spread = zz * c.SD / c.HalfWidth
			}
		}
		c.Share = float64(c.Contained) / float64(c.Runs)
		c.ShareLo, c.ShareHi = Wilson(int64(c.Contained), int64(c.Runs), conf)
		out = append(out, c)
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
