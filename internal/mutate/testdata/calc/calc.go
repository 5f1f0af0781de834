// Package calc is the mutate package's test subject.
package calc

import "math"

// Clamp limits x to [lo, hi].
func Clamp(x, lo, hi int) int { return min(max(x, lo), hi) }

// Mean is the mean of xs (0 for none).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for i := 0; i < len(xs); i++ {
		s += xs[i]
	}
	return s / float64(len(xs))
}

// Acc accumulates.
type Acc struct{ n int }

// Add adds k.
func (a *Acc) Add(k int) { a.n++; a.n += k - 1 }

// Big reports whether x exceeds the limit.
func (a Acc) Big(x float64) bool {
	var buf [2 + 1]byte
	_ = buf
	return x > math.Max(float64(a.n), 1) && a.n != 0 || x == -1
}
