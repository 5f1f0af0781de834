// Package stats holds bluesim's interval estimators: how sure a number is,
// measured on the unit that is actually sampled.
//
// A run's shares (coverage, capture, precision, false-positive rate, the
// breakdown tables' recall, capture and detection share) are ratios of
// counts over (index case, person) pairs. Pairs of one index case are not
// independent trials: they share that person's app, phone, pocket,
// household and venues. Index cases are the independent units, so
// ClusterRatio estimates a share's uncertainty from the spread between
// index cases (a ratio estimator with a cluster-robust variance) and turns
// it into a Wilson-type interval through the effective sample size (Korn
// and Graubard 1998), which stays inside [0, 1] and behaves at 0 and 1.
//
// Across replicates (independent runs of the same kind of world),
// ReplicateMean gives Student's t interval of the mean built on the logit
// scale for shares and on the log scale for counts, so a share's interval
// stays in [0, 1] and a count's never goes below 0.
//
// Minimums says when a run is too small for a quantity to be estimated at
// all; the outputs then write null with the reason.
package stats // import "github.com/bluesim/bluesim/stats"
