package output

import "math"

// z95 is the standard normal quantile for a two-sided 95 % interval.
const z95 = 1.959963984540054

// Wilson returns the 95 % Wilson score interval for k successes in n
// trials. Unlike the normal ("Wald") interval it stays inside [0, 1] and
// behaves at k = 0 or k = n, which matter here: small arms often have no
// notified contact in a band. With n = 0 the proportion is undefined and
// both bounds are NaN.
func Wilson(k, n int64) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n {
		return math.NaN(), math.NaN()
	}
	p := float64(k) / float64(n)
	nf := float64(n)
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, center-half), math.Min(1, center+half)
}

// Ratio returns k/n, or NaN when n is zero (undefined, written as null in
// JSON and as an empty cell in CSV).
func Ratio(k, n int64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}
