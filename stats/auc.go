package stats

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// Scored is one (index case, contact) pair's score under a detection rule:
// the rule's decision statistic (higher means more likely a contact),
// whether the pair really was a close contact, and its index case, the
// independent unit the bootstrap resamples.
type Scored struct {
	// Cluster identifies the index case (any number, equal for the pairs
	// of one index case).
	Cluster int32
	Score   float64
	// Positive says the pair was a close contact.
	Positive bool
}

// ROCPoint is one threshold of a sweep over a score: notifying the pairs
// whose score is at least Threshold gives TP and FP, and the rates below.
type ROCPoint struct {
	Threshold float64
	TP, FP    int64
	// TPR is TP over the positives (recall), FPR FP over the negatives,
	// Precision TP over the notified (NaN when nobody is notified).
	TPR, FPR, Precision float64
}

// ROC sweeps a threshold down through every distinct score of pairs: one
// point per distinct score, highest first, each notifying every pair
// scoring at or above it. The curve starts at (0, 0) with a threshold of
// +Inf. Positives or negatives missing make the rates over them NaN.
func ROC(pairs []Scored) []ROCPoint {
	var pos, neg int64
	for _, p := range pairs {
		if p.Positive {
			pos++
		} else {
			neg++
		}
	}
	sorted := slices.Clone(pairs)
	slices.SortFunc(sorted, func(a, b Scored) int { return cmp.Compare(b.Score, a.Score) })
	rate := func(n, d int64) float64 {
		if d == 0 {
			return math.NaN()
		}
		return float64(n) / float64(d)
	}
	out := []ROCPoint{{Threshold: math.Inf(1), TPR: rate(0, pos), FPR: rate(0, neg), Precision: math.NaN()}}
	var tp, fp int64
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Score == sorted[i].Score {
			if sorted[j].Positive {
				tp++
			} else {
				fp++
			}
			j++
		}
		out = append(out, ROCPoint{Threshold: sorted[i].Score, TP: tp, FP: fp,
			TPR: rate(tp, pos), FPR: rate(fp, neg), Precision: rate(tp, tp+fp)})
		i = j
	}
	return out
}

// aucWeighted is the area under the ROC curve of the pairs in order (sorted
// by score ascending), each counted w[i] times: the probability that a
// positive scores above a negative, ties counting a half (the
// Mann–Whitney statistic). NaN without positives or negatives.
func aucWeighted(order []Scored, w []float64) float64 {
	var negBelow, sum, wp, wn float64
	for i := 0; i < len(order); {
		j := i
		var p, n float64
		for j < len(order) && order[j].Score == order[i].Score {
			if order[j].Positive {
				p += w[j]
			} else {
				n += w[j]
			}
			j++
		}
		sum += p * (negBelow + n/2)
		negBelow += n
		wp += p
		wn += n
		i = j
	}
	if wp == 0 || wn == 0 {
		return math.NaN()
	}
	return sum / (wp * wn)
}

// AUC is the area under the ROC curve of pairs: the probability that a
// close contact scores above a pair that was not, ties counting a half.
// NaN when there are no positives or no negatives.
func AUC(pairs []Scored) float64 {
	order := slices.Clone(pairs)
	slices.SortStableFunc(order, func(a, b Scored) int { return cmp.Compare(a.Score, b.Score) })
	w := make([]float64, len(order))
	for i := range w {
		w[i] = 1
	}
	return aucWeighted(order, w)
}

// MethodAUCClusterBootstrap names AUCInterval's method in the outputs.
const MethodAUCClusterBootstrap = "index_case_cluster_bootstrap_percentile"

// AUCInterval is the AUC of pairs with a percentile bootstrap interval at
// level conf that resamples index cases (Cluster), not pairs, with
// replacement, resamples times: the pairs of one index case share its
// phone, its pocket and its venues, so they are not independent. The
// resampling is drawn from seed alone, so the interval is the same for the
// same pairs and seed whatever the order they come in. Lo and Hi are NaN
// when fewer than two index cases contribute or a resample cannot have
// both positives and negatives often enough to say (more than a tenth of
// the resamples undefined).
func AUCInterval(pairs []Scored, resamples int, conf float64, seed uint64) (est, lo, hi float64) {
	order := slices.Clone(pairs)
	slices.SortStableFunc(order, func(a, b Scored) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Cluster, b.Cluster), boolCmp(a.Positive, b.Positive))
	})
	clusters := make([]int32, 0, len(order))
	for _, p := range order {
		clusters = append(clusters, p.Cluster)
	}
	slices.Sort(clusters)
	clusters = slices.Compact(clusters)
	idx := make([]int, len(order)) // pair -> its cluster's position
	for i, p := range order {
		idx[i], _ = slices.BinarySearch(clusters, p.Cluster)
	}
	w := make([]float64, len(order))
	for i := range w {
		w[i] = 1
	}
	est = aucWeighted(order, w)
	lo, hi = math.NaN(), math.NaN()
	if len(clusters) < 2 || resamples < 1 || math.IsNaN(est) {
		return est, lo, hi
	}
	r := rand.New(rand.NewPCG(seed, seed^0x6175635f626f6f74)) // "auc_boot"
	mult := make([]float64, len(clusters))
	vals := make([]float64, 0, resamples)
	undefined := 0
	for range resamples {
		clear(mult)
		for range clusters {
			mult[r.IntN(len(clusters))]++
		}
		for i := range w {
			w[i] = mult[idx[i]]
		}
		if a := aucWeighted(order, w); math.IsNaN(a) {
			undefined++
		} else {
			vals = append(vals, a)
		}
	}
	if undefined*10 > resamples || len(vals) == 0 {
		return est, lo, hi
	}
	slices.Sort(vals)
	alpha := (1 - conf) / 2
	return est, quantileSorted(vals, alpha), quantileSorted(vals, 1-alpha)
}

// quantileSorted is the q-quantile of sorted xs by linear interpolation
// between order statistics.
func quantileSorted(xs []float64, q float64) float64 {
	h := q * float64(len(xs)-1)
	i := int(math.Floor(h))
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-float64(i))*(xs[i+1]-xs[i])
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
