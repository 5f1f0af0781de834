package output

import (
	"math"

	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
)

// CILevel is the level of every interval in a run's outputs.
const CILevel = 0.95

// CIMethod names how a run's intervals are computed (summary.json's
// ci_method): from the spread between index cases, each with all its
// contacts, through an effective sample size (stats.ClusterRatio).
const CIMethod = stats.MethodClusterWilson

// share is one of an arm's shares with what to say when a run is too
// small for it.
type share struct {
	key string
	sh  sim.Share
	// with says which index cases count; enlarge what a user raises to
	// get more of them.
	with, enlarge string
}

const enlargeRun = "population.size or days"
const enlargeApp = "population.size, days or the arm's adoption"

// The arm-level shares with intervals.
var (
	shareCoverage  = share{"coverage", sim.ShareCoverage, "with close contacts", enlargeRun}
	shareCapture   = share{"capture", sim.ShareCapture, "with close contacts where both had the app", enlargeApp}
	sharePrecision = share{"precision", sim.SharePrecision, "whose upload notified anyone", enlargeApp}
	shareFPR       = share{"false_positive_rate", sim.ShareFalsePositiveRate,
		"with people in radio range who were not close contacts", enlargeRun}
)

// estimate is a share with its interval, or the reason it has none.
type estimate struct {
	value, lo, hi float64
	// why is "" when the share is estimated, else what is missing.
	why string
}

// estimateShare computes sh over the arm's index cases. A share with
// fewer contributing index cases than stats.MinIndexCases is undefined
// (NaN) with a reason; so is one whose result holds no index cases while
// the counts say there were trials.
func estimateShare(cases []sim.IndexCase, sh share) estimate {
	cl := make([]stats.Cluster, 0, len(cases))
	for i := range cases {
		if num, den := cases[i].Share(sh.sh); den > 0 {
			cl = append(cl, stats.Cluster{Num: num, Den: den})
		}
	}
	return clusterEstimate(cl, sh)
}

// clusterEstimate is the share of clusters cl (each with Den > 0) with
// its interval, or NaN with the reason when fewer than
// stats.MinIndexCases contribute.
func clusterEstimate(cl []stats.Cluster, sh share) estimate {
	iv := stats.ClusterRatio(cl, CILevel)
	if why := stats.Shortfall(iv.Clusters, sh.with, sh.enlarge); why != "" {
		return estimate{value: math.NaN(), lo: math.NaN(), hi: math.NaN(), why: why}
	}
	return estimate{value: iv.Estimate, lo: iv.Lo, hi: iv.Hi}
}

// rowIntervals computes a breakdown table's share for every row at once:
// entries yields, per index case and row, its counts (each index case
// once per row). It returns, per row, the share and its interval (NaN
// below stats.MinIndexCases contributing index cases).
func rowIntervals(rows int, entries func(yield func(row int, num, den int64))) []estimate {
	byRow := make([][]stats.Cluster, rows)
	entries(func(row int, num, den int64) {
		if den > 0 && row >= 0 && row < rows {
			byRow[row] = append(byRow[row], stats.Cluster{Num: num, Den: den})
		}
	})
	out := make([]estimate, rows)
	for i, cl := range byRow {
		iv := stats.ClusterRatio(cl, CILevel)
		if iv.Clusters < stats.MinIndexCases {
			out[i] = estimate{value: math.NaN(), lo: math.NaN(), hi: math.NaN(), why: "too few index cases"}
			continue
		}
		out[i] = estimate{value: iv.Estimate, lo: iv.Lo, hi: iv.Hi}
	}
	return out
}

// bandEstimates returns the recall and capture of every row of r.Bands.
func bandEstimates(r *sim.Result) (recall, capture []estimate) {
	recall = rowIntervals(len(r.Bands), func(yield func(int, int64, int64)) {
		for _, b := range r.IndexCaseBands {
			yield(int(b.Row), int64(b.TP), int64(b.TP)+int64(b.FN))
		}
	})
	capture = rowIntervals(len(r.Bands), func(yield func(int, int64, int64)) {
		for _, b := range r.IndexCaseBands {
			yield(int(b.Row), int64(b.AppTP), int64(b.AppTP)+int64(b.AppFN))
		}
	})
	return recall, capture
}

// detectionEstimates returns the detected share of every row of
// r.Detection.
func detectionEstimates(r *sim.Result) []estimate {
	return rowIntervals(len(r.Detection), func(yield func(int, int64, int64)) {
		for _, d := range r.IndexCaseDetection {
			yield(int(d.Row), int64(d.Detected), int64(d.Pairs))
		}
	})
}
