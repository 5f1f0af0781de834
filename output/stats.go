package output

import "math"

// Ratio returns k/n, or NaN when n is zero (undefined, written as null in
// JSON and as an empty cell in CSV).
func Ratio(k, n int64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}
