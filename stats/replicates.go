package stats

import (
	"fmt"
	"math"
)

// Scale says what kind of number a metric is, and so on which scale its
// interval across replicates is built.
type Scale string

// Scales of metrics.
const (
	// ScaleValue is any real number: Student's t interval of the mean.
	ScaleValue Scale = "value"
	// ScaleShare is a share in [0, 1]: the t interval is built on the
	// logit scale, so it stays inside (0, 1).
	ScaleShare Scale = "share"
	// ScaleCount is a count or rate that cannot be negative: the t
	// interval is built on the log scale, so it stays above 0.
	ScaleCount Scale = "count"
)

// ParseScale reads a scale name; "" is ScaleValue (files written before
// scales were recorded).
func ParseScale(s string) (Scale, error) {
	switch Scale(s) {
	case ScaleValue, "":
		return ScaleValue, nil
	case ScaleShare, ScaleCount:
		return Scale(s), nil
	}
	return "", fmt.Errorf("unknown scale %q (want %s, %s or %s)", s, ScaleValue, ScaleShare, ScaleCount)
}

// ReplicateMean returns the mean of the replicates' values xs (NaN ones,
// undefined in that replicate, are left out) and its two-sided interval at
// level conf: Student's t with n−1 degrees of freedom on the scale sc,
// by the delta method. For a share the interval is
// logit⁻¹(logit(m) ± t·se/(m(1−m))), for a count exp(log(m) ± t·se/m),
// with se = sd/√n; so a share's interval stays in [0, 1] and a count's
// above 0 however few the replicates. Where every replicate has the same
// value (a share of 0 in every run) the interval is that value. With one
// defined replicate the bounds are NaN: one run says nothing about how
// runs vary. n is the number of defined replicates.
func ReplicateMean(xs []float64, conf float64, sc Scale) (mean, lo, hi float64, n int) {
	var sum float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN(), 0
	}
	mean = sum / float64(n)
	if n == 1 {
		return mean, math.NaN(), math.NaN(), 1
	}
	if same(xs) {
		// Every replicate agrees (a fixed adoption, a share of 0 in every
		// run): that value exactly, not one rounded by the sum.
		for _, x := range xs {
			if !math.IsNaN(x) {
				return x, x, x, n
			}
		}
	}
	var ss float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			ss += (x - mean) * (x - mean)
		}
	}
	se := math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
	half := tq(conf, n-1) * se
	if se == 0 {
		return mean, mean, mean, n
	}
	switch sc {
	case ScaleShare:
		if mean <= 0 || mean >= 1 {
			return mean, mean, mean, n
		}
		l := math.Log(mean / (1 - mean))
		d := half / (mean * (1 - mean))
		return mean, logistic(l - d), logistic(l + d), n
	case ScaleCount:
		if mean <= 0 {
			return mean, mean, mean, n
		}
		d := half / mean
		return mean, mean * math.Exp(-d), mean * math.Exp(d), n
	}
	return mean, mean - half, mean + half, n
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// same reports whether every defined value of xs is the same.
func same(xs []float64) bool {
	first := math.NaN()
	for _, x := range xs {
		switch {
		case math.IsNaN(x):
		case math.IsNaN(first):
			first = x
		case x != first:
			return false
		}
	}
	return true
}
