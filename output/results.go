package output

import (
	"math"

	"github.com/bluesim/bluesim/sim"
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
//     notification, with the cumulative share;
//   - attenuation_samples: the engine's reservoir of (true distance,
//     observed attenuation) samples.
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
func ResultTables(r *sim.Result, o Options) []Table {
	ts := []Table{armsTable(r, o), dailyTable(r), bandsTable(r), detectionTable(r), delaysTable(r), attenuationTable(r)}
	if r.Epidemic != nil {
		ts = append(ts, epidemicArmsTable(r), epidemicDailyTable(r), epidemicRtTable(r))
	}
	return ts
}

func epidemicArmsTable(r *sim.Result) Table {
	t := Table{Name: TableEpidemicArms, Columns: cols(
		"arm", String, "adoption", Float, "infections", Int, "attack_rate", Float,
		"infections_averted", Int, "averted", Float, "r_eff", Float, "r_eff_cohorts", Int,
		"peak_infectious", Int, "peak_day", Int, "positives", Int, "uploads", Int,
		"app_notifications", Int, "manual_notifications", Int, "notifications_per_index", Float,
		"notified", Int, "notified_infected", Int, "secondary_attack_rate", Float,
		"quarantine_person_days", Int, "quarantine_uninfected_days", Int)}
	row := func(name string, adoption float64, e *sim.ArmEpidemic) []any {
		return []any{name, adoption, e.Infections, e.AttackRate, e.InfectionsAverted, e.Averted, e.REff, e.REffCohorts,
			e.PeakInfectious, e.PeakDay, e.Positives, e.Uploads, e.AppNotifications, e.ManualNotifications,
			e.NotificationsPerIndex, e.Notified, e.NotifiedInfected, e.SecondaryAttackRate,
			e.QuarantinePersonDays, e.QuarantineUninfectedDays}
	}
	for _, a := range r.Arms {
		if a.Epidemic != nil {
			t.Rows = append(t.Rows, row(a.Name, a.Adoption, a.Epidemic))
		}
	}
	t.Rows = append(t.Rows, row(sim.CounterfactualArm, 0, &r.Epidemic.Counterfactual))
	return t
}

func epidemicDailyTable(r *sim.Result) Table {
	t := Table{Name: TableEpidemicDaily, Columns: cols(
		"arm", String, "day", Int, "new_infections", Int, "infectious", Int, "recovered", Int,
		"positives", Int, "uploads", Int, "app_notifications", Int, "manual_notifications", Int, "quarantined", Int)}
	for _, d := range r.Epidemic.Daily {
		t.Rows = append(t.Rows, []any{d.Arm, d.Day, d.NewInfections, d.Infectious, d.Recovered,
			d.Positives, d.Uploads, d.AppNotifications, d.ManualNotifications, d.Quarantined})
	}
	return t
}

func epidemicRtTable(r *sim.Result) Table {
	t := Table{Name: TableEpidemicRt, Columns: cols(
		"arm", String, "day", Int, "cases", Int, "secondary", Int, "r", Float, "complete", Int)}
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

func cols(spec ...any) []Column {
	out := make([]Column, 0, len(spec)/2)
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, Column{spec[i].(string), spec[i+1].(Kind)})
	}
	return out
}

func armsTable(r *sim.Result, o Options) Table {
	t := Table{Name: TableArms, Columns: cols(
		"arm", String, "protocol", String, "adoption", Float,
		"index_cases", Int, "uploads", Int, "close_contacts", Int, "app_close_contacts", Int,
		"tp", Int, "fp", Int, "fn", Int, "tn", Int, "notifications", Int,
		"precision", Float, "precision_ci_low", Float, "precision_ci_high", Float,
		"recall", Float,
		"capture", Float, "capture_ci_low", Float, "capture_ci_high", Float,
		"coverage", Float, "coverage_ci_low", Float, "coverage_ci_high", Float,
		"pairwise_coverage", Float, "false_positive_rate", Float,
		"matched_sightings", Int, "sightings", Int)}
	for _, a := range r.Arms {
		s := Arm(r, a, o)
		t.Rows = append(t.Rows, []any{s.Name, s.Protocol, float64(s.Adoption),
			s.IndexCases, s.Uploads, s.CloseContacts, s.AppCloseContacts,
			s.TP, s.FP, s.FN, s.TN, s.Notifications,
			float64(s.Precision), float64(s.PrecisionCILow), float64(s.PrecisionCIHigh),
			float64(s.Recall),
			float64(s.Capture), float64(s.CaptureCILow), float64(s.CaptureCIHigh),
			float64(s.Coverage), float64(s.CoverageCILow), float64(s.CoverageCIHigh),
			float64(s.PairwiseCoverage), float64(s.FalsePositiveRate),
			s.MatchedSightings, s.Sightings})
	}
	return t
}

func dailyTable(r *sim.Result) Table {
	t := Table{Name: TableDaily, Columns: cols(
		"arm", String, "day", Int, "date", String, "adoption", Float,
		"index_cases", Int, "uploads", Int, "close_contacts", Int,
		"tp", Int, "fp", Int, "fn", Int, "tn", Int, "notifications", Int, "sightings", Int,
		"precision", Float, "recall", Float)}
	for _, d := range r.Daily {
		t.Rows = append(t.Rows, []any{d.Arm, d.Day, d.Date, d.Adoption,
			d.IndexCases, d.Uploads, d.CloseContacts,
			d.TP, d.FP, d.FN, d.TN, d.Notifications, d.Sightings,
			Ratio(d.TP, d.TP+d.FP), Ratio(d.TP, d.TP+d.FN)})
	}
	return t
}

func bandsTable(r *sim.Result) Table {
	t := Table{Name: TableBands, Columns: cols(
		"arm", String, "dimension", String, "band", String,
		"tp", Int, "fp", Int, "fn", Int, "tn", Int, "app_tp", Int, "app_fn", Int,
		"recall", Float, "recall_ci_low", Float, "recall_ci_high", Float,
		"capture", Float, "capture_ci_low", Float, "capture_ci_high", Float,
		"precision", Float, "false_positive_rate", Float)}
	for _, b := range r.Bands {
		rl, rh := Wilson(b.TP, b.TP+b.FN)
		cl, ch := Wilson(b.AppTP, b.AppTP+b.AppFN)
		t.Rows = append(t.Rows, []any{b.Arm, b.Dimension, b.Band,
			b.TP, b.FP, b.FN, b.TN, b.AppTP, b.AppFN,
			Ratio(b.TP, b.TP+b.FN), rl, rh,
			Ratio(b.AppTP, b.AppTP+b.AppFN), cl, ch,
			Ratio(b.TP, b.TP+b.FP), Ratio(b.FP, b.FP+b.TN)})
	}
	return t
}

func detectionTable(r *sim.Result) Table {
	t := Table{Name: TableDetection, Columns: cols(
		"arm", String, "band", String, "pairs", Int, "detected", Int,
		"share", Float, "share_ci_low", Float, "share_ci_high", Float)}
	for _, d := range r.Detection {
		lo, hi := Wilson(d.Detected, d.Pairs)
		t.Rows = append(t.Rows, []any{d.Arm, d.Band, d.Pairs, d.Detected, Ratio(d.Detected, d.Pairs), lo, hi})
	}
	return t
}

func delaysTable(r *sim.Result) Table {
	t := Table{Name: TableDelays, Columns: cols(
		"arm", String, "hours", Int, "count", Int, "cumulative_share", Float)}
	totals := map[string]int64{}
	for _, d := range r.Delays {
		totals[d.Arm] += d.Count
	}
	var run int64
	prev := ""
	for _, d := range r.Delays {
		if d.Arm != prev {
			run, prev = 0, d.Arm
		}
		run += d.Count
		t.Rows = append(t.Rows, []any{d.Arm, d.Hours, d.Count, Ratio(run, totals[d.Arm])})
	}
	return t
}

func attenuationTable(r *sim.Result) Table {
	t := Table{Name: TableAttenuation, Columns: cols(
		"arm_group", String, "environment", String, "distance_m", Float, "attenuation_db", Float)}
	for _, a := range r.Attenuation {
		t.Rows = append(t.Rows, []any{a.Arm, a.Environment, a.DistanceM, a.AttenuationDB})
	}
	return t
}
