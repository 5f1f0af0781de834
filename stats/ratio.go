package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Cluster is one independently drawn unit's contribution to a share: Num
// successes among Den trials (for coverage: an index case's notified close
// contacts among its close contacts).
type Cluster struct {
	Num, Den int64
}

// Interval is a share's estimate with its interval. Lo and Hi are NaN
// when the share is undefined (no trials) or too few clusters contribute
// to say anything about its spread (fewer than two).
type Interval struct {
	// Estimate is ΣNum / ΣDen, NaN with no trials.
	Estimate float64
	// Lo and Hi bound the interval at the level asked for.
	Lo, Hi float64
	// Clusters is how many clusters have at least one trial; Trials is
	// ΣDen.
	Clusters int
	Trials   int64
	// EffectiveN is the number of independent trials the clustered sample
	// is worth (at most Trials), after the small-sample correction; NaN
	// when there is no interval.
	EffectiveN float64
}

// MethodClusterWilson names ClusterRatio's method in the outputs
// (summary.json's ci_method).
const MethodClusterWilson = "index_case_cluster_wilson"

// z returns the two-sided standard normal quantile for level conf.
func z(conf float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-conf)/2)
}

// tq returns the two-sided Student's t quantile with df degrees of freedom.
func tq(conf float64, df int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(1 - (1-conf)/2)
}

// ClusterRatio returns the share ΣNum/ΣDen of clusters cs with a two-sided
// interval at level conf (0.95 for 95 %) that treats each cluster, not
// each trial, as the independent unit:
//
//  1. the ratio estimator's variance from the spread between clusters,
//     v = m/(m−1) · Σ (Num_i − p·Den_i)² / (ΣDen)², over the m clusters
//     with at least one trial (the linearised, cluster-robust variance);
//  2. the effective sample size n = p(1−p)/v, the number of independent
//     trials that would give the same variance, at most ΣDen; where p is
//     0 or 1 the spread says nothing and n is m, as if every trial of a
//     cluster had the same outcome;
//  3. the small-sample correction of Korn and Graubard (1998), n·(z/t)²
//     with t Student's quantile on m−1 degrees of freedom, since the
//     spread is measured on m clusters;
//  4. the Wilson score interval of p with that many trials, which stays
//     inside [0, 1].
//
// With one trial per cluster and many clusters this is the Wilson
// interval. Clusters with Den == 0 are ignored; Num must lie in [0, Den].
func ClusterRatio(cs []Cluster, conf float64) Interval {
	var num, den int64
	m := 0
	for _, c := range cs {
		if c.Den > 0 {
			num += c.Num
			den += c.Den
			m++
		}
	}
	out := Interval{Estimate: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), EffectiveN: math.NaN(), Clusters: m, Trials: den}
	if den == 0 {
		return out
	}
	p := float64(num) / float64(den)
	out.Estimate = p
	if m < 2 {
		return out
	}
	var ss float64
	for _, c := range cs {
		if c.Den > 0 {
			r := float64(c.Num) - p*float64(c.Den)
			ss += r * r
		}
	}
	D := float64(den)
	v := float64(m) / float64(m-1) * ss / (D * D)
	n := float64(m)
	if p > 0 && p < 1 && v > 0 {
		n = math.Min(p*(1-p)/v, D)
	}
	zz := z(conf)
	k := zz / tq(conf, m-1)
	n *= k * k
	out.EffectiveN = n
	out.Lo, out.Hi = wilson(p, n, zz)
	return out
}

// wilson is the Wilson score interval of share p from n trials (n may be
// fractional) with normal quantile z.
func wilson(p, n, z float64) (lo, hi float64) {
	z2 := z * z
	den := 1 + z2/n
	center := (p + z2/(2*n)) / den
	half := z / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	lo, hi = math.Max(0, center-half), math.Min(1, center+half)
	// At p = 0 (p = 1) the bound is 0 (1) exactly; rounding would leave
	// a trace above (below) it that excludes the estimate itself.
	if p == 0 {
		lo = 0
	}
	if p == 1 {
		hi = 1
	}
	return lo, hi
}

// Wilson returns the Wilson score interval at level conf for k successes
// in n independent trials (NaN bounds when n is 0). Use it only where
// trials really are independent, such as runs with different seeds.
func Wilson(k, n int64, conf float64) (lo, hi float64) {
	if n <= 0 || k < 0 || k > n {
		return math.NaN(), math.NaN()
	}
	return wilson(float64(k)/float64(n), float64(n), z(conf))
}
