package output

import (
	"math"

	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

// TablePairs is the per-pair scores table, written when the scenario asks
// for it (metrics.pair_scores).
const TablePairs = "pair_scores"

// AUCResamples is how many index-case resamples the AUC's bootstrap
// interval draws.
const AUCResamples = 1000

// AUCMethod names how the AUC's interval is computed (summary.json's
// auc_method).
const AUCMethod = stats.MethodAUCClusterBootstrap

// ArmPairs returns arm ai's scored pairs as the ROC and the AUC read them:
// the rule's decision statistic, whether the pair was a close contact,
// and the index case as the resampled unit.
func ArmPairs(r *sim.Result, ai int) []stats.Scored {
	var out []stats.Scored
	for i := range r.Pairs {
		p := &r.Pairs[i]
		if int(p.Arm) == ai {
			out = append(out, stats.Scored{Cluster: p.Index, Score: p.Score.Value, Positive: p.Close})
		}
	}
	return out
}

// aucEstimate is an arm's AUC with its bootstrap interval, or NaNs and the
// reason when the run cannot estimate it.
func aucEstimate(r *sim.Result, ai int) estimate {
	ps := ArmPairs(r, ai)
	seen := map[int32]bool{}
	pos, neg := 0, 0
	for _, p := range ps {
		seen[p.Cluster] = true
		if p.Positive {
			pos++
		} else {
			neg++
		}
	}
	nan := math.NaN()
	if why := stats.Shortfall(len(seen), "with pairs the arm's rule could score (the contact had the app, the upload reached the arm)",
		"population.size or days (or an experiment's sessions)"); why != "" {
		return estimate{value: nan, lo: nan, hi: nan, why: why}
	}
	if pos == 0 || neg == 0 {
		return estimate{value: nan, lo: nan, hi: nan,
			why: "the scored pairs hold no close contact or no pair that was not one: an ROC curve needs both"}
	}
	est, lo, hi := stats.AUCInterval(ps, AUCResamples, CILevel, r.Seed)
	return estimate{value: est, lo: lo, hi: hi}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// pairsTable is tables/pair_scores: per arm and (index case, contact)
// pair the rule could score, the ground truth, the verdict and the
// protocol's exposure summary (sim.PairScore).
func pairsTable(r *sim.Result) table.Table {
	t := table.Table{Name: TablePairs, Columns: cols(
		"arm", table.String, "index_case", table.Int, "contact", table.Int, "day", table.Int,
		"in_range", table.Int, "close_contact", table.Int, "close_minutes", table.Float, "min_distance_m", table.Float,
		"venue", table.String, "environment", table.String,
		"notified", table.Int, "verdict", table.String,
		"score", table.Float, "score_threshold", table.Float,
		"bucket_1_minutes", table.Float, "bucket_2_minutes", table.Float, "bucket_3_minutes", table.Float, "bucket_4_minutes", table.Float,
		"weighted_minutes", table.Float, "matched_sightings", table.Int)}
	for i := range r.Pairs {
		p := &r.Pairs[i]
		arm := ""
		if int(p.Arm) < len(r.Arms) {
			arm = r.Arms[p.Arm].Name
		}
		dist, mins, venue, env := float64(p.MinDistanceM), float64(p.CloseMinutes), p.Venue.String(), p.Environment.String()
		if !p.InRange {
			dist, mins, venue, env = math.NaN(), math.NaN(), "none", "none"
		}
		s := &p.Score
		t.Rows = append(t.Rows, []any{arm, int64(p.Index), int64(p.Contact), int64(p.Day),
			boolInt(p.InRange), boolInt(p.Close), mins, dist, venue, env,
			boolInt(p.Notified), p.Verdict(),
			s.Value, s.Threshold, s.Minutes[0], s.Minutes[1], s.Minutes[2], s.Minutes[3],
			s.WeightedMinutes, int64(s.Sightings)})
	}
	return t
}
