package output

import (
	"math"

	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/table"
)

// Table names of a run's tables/ folder.
const (
	TableArms        = "arms"
	TableDaily       = "daily"
	TableBands       = "detection_by_band"
	TableDetection   = "app_detection_by_distance"
	TableDelays      = "notification_delays"
	TableAttenuation = "attenuation_samples"
	// The epidemic layer's tables, written only when it is on.
	TableEpidemicArms  = "epidemic_arms"
	TableEpidemicDaily = "epidemic_daily"
	TableEpidemicRt    = "epidemic_rt"
)

// ResultTables returns the tables of a run, in a fixed order:
//
//   - arms: one row per arm, the summary numbers with 95 % intervals;
//   - daily: per arm and day, index cases, uploads, verdicts, notifications;
//   - detection_by_band: verdicts of index cases' contacts by distance,
//     duration, venue type, environment and OS pair, with recall and its
//     interval, and capture among pairs where both had the app;
//   - app_detection_by_distance: share of app-to-app pairs in range of an
//     index case whose phones matched a sighting, by distance band;
//   - notification_delays: hours from first matched exposure to
//     notification, of every notification and of true positives and false
//     alarms apart, with the cumulative shares; the last bin is censored;
//   - attenuation_samples: the engine's reservoir of (true distance,
//     observed attenuation) samples;
//   - false_positives: each arm's false alarms by the true distance band
//     of the pair's closest approach and the band of the most minutes
//     they spent within radio range on one day, with each cell's share.
//
// With the epidemic layer on, three more follow:
//
//   - epidemic_arms: one row per arm and one for the paired run without
//     the app ("no-app"): infections, attack rate, infections averted,
//     R_eff, notifications, secondary attack rate, quarantine days;
//   - epidemic_daily: per run and day, new infections, infectious people,
//     positives, uploads, notifications and people confined;
//   - epidemic_rt: per run and infection day, the cohort reproduction
//     number (complete = the cohort has finished being infectious).
//
// With a census population (scenario key population.area), one more:
//
//   - by_area: per arm and area (district or province), the people and
//     their installs, index cases, close contacts, verdicts and
//     notifications counted where the person concerned lives, with
//     coverage, capture and precision and their 95 % intervals (each
//     index case a cluster of its verdicts about the area's residents).
//
// With the adversary on (scenario key adversary), one more:
//
//   - privacy: per arm, its sniffer network and every privacy.* summary
//     key (sniffers, app users in range, linked-time share, mean track
//     minutes, uploaders traced, homes identified, each share with its
//     95 % Wilson interval), the sniffer log's size and the export read.
//
// With Options.PairScores, pair_scores comes last (after by_area and
// privacy): per arm and pair the arm's rule could score, the protocol's
// exposure summary, the ground truth and the verdict.
func ResultTables(r *sim.Result, o Options) []table.Table {
	ts := []table.Table{armsTable(r, o), dailyTable(r), bandsTable(r), detectionTable(r), delaysTable(r), attenuationTable(r),
		falsePositivesTable(r)}
	if r.Epidemic != nil {
		ts = append(ts, epidemicArmsTable(r), epidemicDailyTable(r), epidemicRtTable(r))
	}
	if r.Areas != nil {
		ts = append(ts, byAreaTable(r))
	}
	if r.Privacy != nil {
		ts = append(ts, privacyTable(r))
	}
	if o.PairScores {
		ts = append(ts, pairsTable(r))
	}
	return ts
}

func epidemicArmsTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableEpidemicArms, Columns: cols(
		"arm", table.String, "adoption", table.Float, "infections", table.Int, "attack_rate", table.Float,
		"infections_averted", table.Int, "averted", table.Float, "r_eff", table.Float, "r_eff_cohorts", table.Int,
		"peak_infectious", table.Int, "peak_day", table.Int, "positives", table.Int, "uploads", table.Int,
		"app_notifications", table.Int, "manual_notifications", table.Int, "notifications_per_index", table.Float,
		"notified", table.Int, "notified_infected", table.Int, "secondary_attack_rate", table.Float,
		"quarantine_person_days", table.Int, "quarantine_uninfected_days", table.Int)}
	row := func(name string, adoption float64, se *sim.ArmEpidemic, counterfactual bool) []any {
		// The outcomes the run is too short or small to show are empty
		// cells, as in summary.json.
		e, _ := armEpidemic(r, se, counterfactual)
		return []any{name, adoption, e.Infections, e.AttackRate, e.InfectionsAverted, float64(e.Averted), float64(e.REff), e.REffCohorts,
			e.PeakInfectious, e.PeakDay, e.Positives, e.Uploads, e.AppNotifications, e.ManualNotifications,
			e.NotificationsPerIndex, e.Notified, e.NotifiedInfected, e.SecondaryAttackRate,
			e.QuarantinePersonDays, e.QuarantineUninfectedDays}
	}
	for _, a := range r.Arms {
		if a.Epidemic != nil {
			t.Rows = append(t.Rows, row(a.Name, a.Adoption, a.Epidemic, false))
		}
	}
	t.Rows = append(t.Rows, row(sim.CounterfactualArm, 0, &r.Epidemic.Counterfactual, true))
	return t
}

func epidemicDailyTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableEpidemicDaily, Columns: cols(
		"arm", table.String, "day", table.Int, "new_infections", table.Int, "infectious", table.Int, "recovered", table.Int,
		"positives", table.Int, "uploads", table.Int, "app_notifications", table.Int, "manual_notifications", table.Int, "quarantined", table.Int)}
	for _, d := range r.Epidemic.Daily {
		t.Rows = append(t.Rows, []any{d.Arm, d.Day, d.NewInfections, d.Infectious, d.Recovered,
			d.Positives, d.Uploads, d.AppNotifications, d.ManualNotifications, d.Quarantined})
	}
	return t
}

func epidemicRtTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableEpidemicRt, Columns: cols(
		"arm", table.String, "day", table.Int, "cases", table.Int, "secondary", table.Int, "r", table.Float, "complete", table.Int)}
	for _, p := range r.Epidemic.Rt {
		rr := p.R
		if p.Cases == 0 {
			rr = math.NaN()
		}
		c := 0
		if p.Complete {
			c = 1
		}
		t.Rows = append(t.Rows, []any{p.Arm, p.Day, p.Cases, p.Secondary, rr, c})
	}
	return t
}

func cols(spec ...any) []table.Column {
	out := make([]table.Column, 0, len(spec)/2)
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, table.Column{Name: spec[i].(string), Kind: spec[i+1].(table.Kind)})
	}
	return out
}

func armsTable(r *sim.Result, o Options) table.Table {
	t := table.Table{Name: TableArms, Columns: cols(
		"arm", table.String, "protocol", table.String, "adoption", table.Float,
		"index_cases", table.Int, "uploads", table.Int, "close_contacts", table.Int, "app_close_contacts", table.Int,
		"tp", table.Int, "fp", table.Int, "fn", table.Int, "tn", table.Int, "notifications", table.Int,
		"precision", table.Float, "precision_ci_low", table.Float, "precision_ci_high", table.Float,
		"recall", table.Float,
		"capture", table.Float, "capture_ci_low", table.Float, "capture_ci_high", table.Float,
		"coverage", table.Float, "coverage_ci_low", table.Float, "coverage_ci_high", table.Float,
		"pairwise_coverage", table.Float, "false_positive_rate", table.Float,
		"false_positive_rate_ci_low", table.Float, "false_positive_rate_ci_high", table.Float,
		"matched_sightings", table.Int, "sightings", table.Int,
		"auc", table.Float, "auc_ci_low", table.Float, "auc_ci_high", table.Float)}
	for _, s := range ArmSummaries(r, o) {
		t.Rows = append(t.Rows, []any{s.Name, s.Protocol, float64(s.Adoption),
			s.IndexCases, s.Uploads, s.CloseContacts, s.AppCloseContacts,
			s.TP, s.FP, s.FN, s.TN, s.Notifications,
			float64(s.Precision), float64(s.PrecisionCILow), float64(s.PrecisionCIHigh),
			float64(s.Recall),
			float64(s.Capture), float64(s.CaptureCILow), float64(s.CaptureCIHigh),
			float64(s.Coverage), float64(s.CoverageCILow), float64(s.CoverageCIHigh),
			float64(s.PairwiseCoverage), float64(s.FalsePositiveRate),
			float64(s.FalsePositiveRateCILow), float64(s.FalsePositiveRateCIHigh),
			s.MatchedSightings, s.Sightings,
			float64(s.AUC), float64(s.AUCCILow), float64(s.AUCCIHigh)})
	}
	return t
}

func dailyTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableDaily, Columns: cols(
		"arm", table.String, "day", table.Int, "date", table.String, "adoption", table.Float,
		"index_cases", table.Int, "uploads", table.Int, "close_contacts", table.Int,
		"tp", table.Int, "fp", table.Int, "fn", table.Int, "tn", table.Int, "notifications", table.Int, "sightings", table.Int,
		"precision", table.Float, "recall", table.Float)}
	for _, d := range r.Daily {
		t.Rows = append(t.Rows, []any{d.Arm, d.Day, d.Date, d.Adoption,
			d.IndexCases, d.Uploads, d.CloseContacts,
			d.TP, d.FP, d.FN, d.TN, d.Notifications, d.Sightings,
			Ratio(d.TP, d.TP+d.FP), Ratio(d.TP, d.TP+d.FN)})
	}
	return t
}

func bandsTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableBands, Columns: cols(
		"arm", table.String, "dimension", table.String, "band", table.String,
		"tp", table.Int, "fp", table.Int, "fn", table.Int, "tn", table.Int, "app_tp", table.Int, "app_fn", table.Int,
		"recall", table.Float, "recall_ci_low", table.Float, "recall_ci_high", table.Float,
		"capture", table.Float, "capture_ci_low", table.Float, "capture_ci_high", table.Float,
		"precision", table.Float, "false_positive_rate", table.Float)}
	recall, capture := bandEstimates(r)
	for i, b := range r.Bands {
		rc, cp := recall[i], capture[i]
		t.Rows = append(t.Rows, []any{b.Arm, b.Dimension, b.Band,
			b.TP, b.FP, b.FN, b.TN, b.AppTP, b.AppFN,
			rc.value, rc.lo, rc.hi,
			cp.value, cp.lo, cp.hi,
			Ratio(b.TP, b.TP+b.FP), Ratio(b.FP, b.FP+b.TN)})
	}
	return t
}

func detectionTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableDetection, Columns: cols(
		"arm", table.String, "band", table.String, "pairs", table.Int, "detected", table.Int,
		"share", table.Float, "share_ci_low", table.Float, "share_ci_high", table.Float)}
	share := detectionEstimates(r)
	for i, d := range r.Detection {
		e := share[i]
		t.Rows = append(t.Rows, []any{d.Arm, d.Band, d.Pairs, d.Detected, e.value, e.lo, e.hi})
	}
	return t
}

// delaysTable is the delay histogram of every notification: per arm and
// hour, the notifications, of them true positives and false alarms, and
// the cumulative share of each; censored marks the last bin, which holds
// every delay of that many hours or more.
func delaysTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableDelays, Columns: cols(
		"arm", table.String, "hours", table.Int, "censored", table.Int,
		"notifications", table.Int, "true_positives", table.Int, "false_alarms", table.Int,
		"cumulative_share", table.Float, "true_positive_cumulative_share", table.Float,
		"false_alarm_cumulative_share", table.Float)}
	type sums struct{ all, tp, fp int64 }
	totals := map[string]sums{}
	for _, d := range r.Delays {
		s := totals[d.Arm]
		totals[d.Arm] = sums{s.all + d.TruePositives + d.FalseAlarms, s.tp + d.TruePositives, s.fp + d.FalseAlarms}
	}
	var run sums
	prev := ""
	for _, d := range r.Delays {
		if d.Arm != prev {
			run, prev = sums{}, d.Arm
		}
		run = sums{run.all + d.TruePositives + d.FalseAlarms, run.tp + d.TruePositives, run.fp + d.FalseAlarms}
		tot := totals[d.Arm]
		censored := 0
		if d.Censored {
			censored = 1
		}
		t.Rows = append(t.Rows, []any{d.Arm, d.Hours, censored, d.TruePositives + d.FalseAlarms, d.TruePositives, d.FalseAlarms,
			Ratio(run.all, tot.all), Ratio(run.tp, tot.tp), Ratio(run.fp, tot.fp)})
	}
	return t
}

func attenuationTable(r *sim.Result) table.Table {
	t := table.Table{Name: TableAttenuation, Columns: cols(
		"arm_group", table.String, "environment", table.String, "distance_m", table.Float, "attenuation_db", table.Float)}
	for _, a := range r.Attenuation {
		t.Rows = append(t.Rows, []any{a.Arm, a.Environment, a.DistanceM, a.AttenuationDB})
	}
	return t
}
