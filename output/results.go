package output

import (
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
func ResultTables(r *sim.Result, o Options) []Table {
	return []Table{armsTable(r, o), dailyTable(r), bandsTable(r), detectionTable(r), delaysTable(r), attenuationTable(r)}
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
