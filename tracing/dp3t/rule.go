package dp3t

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/tracing"
)

// RuleParams is the attenuation-duration notification rule of DP-3T apps
// (SwissCovid; the white paper's §4 leaves thresholds to the health
// authority), and a scenario arm's rule block for protocol dp3t: per UTC day, the minutes of exposure to diagnosed users are
// split into three attenuation buckets, weighted, summed, and the user is
// notified when a day's weighted minutes reach TriggerMinutes.
//
// Minutes are counted from sightings as a scanning phone measures them:
// within one exposure (one published key on one UTC day) the sightings are
// taken in time order, and each stands for the time since the previous one,
// capped at ScanPeriodMinutes; the first stands for ScanPeriodMinutes.
// That is GAEN's ScanInstance secondsSinceLastScan, which field data show at
// 180 or 300 s (radio.md §2.2), so a sighting never stands for more than
// one scan period and a continuous encounter is counted in full.
type RuleParams struct {
	// LowerThresholdDB and UpperThresholdDB split attenuations (the
	// advertiser's TX power minus the RSSI, dB) into buckets: below the
	// lower, from the lower up to (not including) the upper, and the upper
	// or more, as GAEN's attenuationDurations do. SwissCovid: 55 and 63.
	LowerThresholdDB float64 `yaml:"lower_threshold_db"`
	// UpperThresholdDB is the upper attenuation threshold in dB (see
	// LowerThresholdDB); at least the lower one.
	UpperThresholdDB float64 `yaml:"upper_threshold_db"`
	// LowerWeight weights the minutes below LowerThresholdDB (SwissCovid 1).
	LowerWeight float64 `yaml:"lower_weight"`
	// MiddleWeight weights the minutes between the thresholds (SwissCovid
	// 0.5); at most LowerWeight.
	MiddleWeight float64 `yaml:"middle_weight"`
	// UpperWeight weights the minutes at or above UpperThresholdDB
	// (SwissCovid 0); at most MiddleWeight.
	UpperWeight float64 `yaml:"upper_weight"`
	// TriggerMinutes is the weighted minutes in one UTC day that notify
	// (SwissCovid 15).
	TriggerMinutes float64 `yaml:"trigger_minutes"`
	// ScanPeriodMinutes is the most one sighting stands for: GAEN's 5
	// minutes between scans (radio.md §2.2).
	ScanPeriodMinutes float64 `yaml:"scan_period_minutes"`
}

// DefaultRuleParams is SwissCovid's last published rule: thresholds 55/63
// dB, weights 1.0/0.5/0, notify at 15 weighted minutes in a day (radio.md
// §3.2, SwissCovid config of 10 Sep 2020), with a 5-minute scan period (the
// GAEN spec's "within 5 minutes", radio.md §2.2).
func DefaultRuleParams() RuleParams {
	return RuleParams{
		LowerThresholdDB:  55,
		UpperThresholdDB:  63,
		LowerWeight:       1.0,
		MiddleWeight:      0.5,
		UpperWeight:       0,
		TriggerMinutes:    15,
		ScanPeriodMinutes: 5,
	}
}

// Validate reports every problem with r (check.Errors by YAML key).
func (r RuleParams) Validate() error {
	l := check.New("")
	lo := l.Between("lower_threshold_db", r.LowerThresholdDB, 0, 150)
	hi := l.Between("upper_threshold_db", r.UpperThresholdDB, 0, 150)
	if lo && hi && r.LowerThresholdDB > r.UpperThresholdDB {
		l.Add("upper_threshold_db", "must be at least lower_threshold_db (%v), got %v", r.LowerThresholdDB, r.UpperThresholdDB)
	}
	ws := []struct {
		name string
		w    float64
	}{{"lower_weight", r.LowerWeight}, {"middle_weight", r.MiddleWeight}, {"upper_weight", r.UpperWeight}}
	for i, w := range ws {
		if l.Between(w.name, w.w, 0, 10) && i > 0 && check.Finite(ws[i-1].w) && w.w > ws[i-1].w {
			l.Add(w.name, "must not be above %s (%v): a farther bucket cannot count more, got %v", ws[i-1].name, ws[i-1].w, w.w)
		}
	}
	if l.Positive("trigger_minutes", r.TriggerMinutes) {
		l.Between("trigger_minutes", r.TriggerMinutes, 0, 1440)
	}
	if l.Positive("scan_period_minutes", r.ScanPeriodMinutes) {
		l.Between("scan_period_minutes", r.ScanPeriodMinutes, 0, 60)
	}
	return l.Err()
}

// NewRule returns r's decision code (tracing.RuleParams): the exposure's
// matched sightings scored with the advertiser's TX power (Exposures,
// Notify).
func (r RuleParams) NewRule() (tracing.Rule, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &rule{p: r}, nil
}

// rule is RuleParams as a tracing.Rule and tracing.Scorer, with arrays
// kept from call to call (a Rule is used by one goroutine at a time) so
// that it allocates nothing in steady state.
type rule struct {
	p      RuleParams
	exps   []Exposure
	sorted []Exposure
	days   []DayScore
}

func (r *rule) Decide(x *tracing.Exposure) (bool, error) { return r.Score(x, nil) }

// Score decides as Decide and fills s (when not nil) with the exposure
// summary (tracing.Score): the day with the most weighted minutes, its
// minutes below, between and above the thresholds, and its weighted
// minutes as the decision statistic against TriggerMinutes.
func (r *rule) Score(x *tracing.Exposure, s *tracing.Score) (bool, error) {
	exps, err := Exposures(r.exps[:0], x.Matches, x.Sightings, x.TXPowerDBm)
	r.exps = exps
	if err != nil {
		return false, err
	}
	r.sorted = append(r.sorted[:0], exps...)
	days := r.p.score(r.sorted, r.days[:0])
	r.days = days
	notify, best := false, -1
	for i := range days {
		notify = notify || days[i].Notify
		if best < 0 || days[i].WeightedMinutes > days[best].WeightedMinutes {
			best = i
		}
	}
	if s != nil {
		*s = tracing.Score{Threshold: r.p.TriggerMinutes, Sightings: len(x.Matches)}
		if best >= 0 {
			d := &days[best]
			copy(s.Minutes[:], d.Minutes[:])
			s.WeightedMinutes, s.Value, s.DayMillis = d.WeightedMinutes, d.WeightedMinutes, d.Day*1000
		}
	}
	return notify, nil
}

// Exposure is one matched sighting as the rule sees it.
type Exposure struct {
	// Key identifies the exposure the sighting belongs to: the index of the
	// published key it matched (tracing.Match.Key).
	Key int
	// Time is when the sighting was made (Unix milliseconds).
	Time int64
	// AttenuationDB is the advertiser's TX power minus the RSSI (dB).
	AttenuationDB float64
}

// Attenuation is TX power minus RSSI, clamped at 0 as GAEN does: the
// pre-GAEN DP-3T SDK advertised its TX power level (protocols.md §4.3).
func Attenuation(txPowerDBm, rssiDBm int) float64 {
	return float64(max(0, txPowerDBm-rssiDBm))
}

// Exposures appends the rule's view of matches (as Match returns them)
// against store, with attenuation computed from each sighting's RSSI and the
// advertisers' TX power.
func Exposures(dst []Exposure, matches []tracing.Match, store []tracing.Sighting, txPowerDBm int) ([]Exposure, error) {
	for i, m := range matches {
		if m.Sighting < 0 || m.Sighting >= len(store) {
			return dst, fmt.Errorf("dp3t: match %d refers to sighting %d of %d", i, m.Sighting, len(store))
		}
		s := &store[m.Sighting]
		dst = append(dst, Exposure{Key: m.Key, Time: s.Time, AttenuationDB: Attenuation(txPowerDBm, int(s.RSSI))})
	}
	return dst, nil
}

// DayScore is one UTC day's exposure.
type DayScore struct {
	// Day is the day's UTC midnight (Unix seconds).
	Day int64
	// Minutes are the minutes in the lower, middle and upper attenuation
	// buckets.
	Minutes [3]float64
	// WeightedMinutes is the weighted sum of Minutes.
	WeightedMinutes float64
	// Notify says whether WeightedMinutes reached the trigger.
	Notify bool
}

// Score returns the per-day scores of exps, one per UTC day with any
// exposure, in day order. exps is not modified.
func (r RuleParams) Score(exps []Exposure) ([]DayScore, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	for i, e := range exps {
		if math.IsNaN(e.AttenuationDB) || math.IsInf(e.AttenuationDB, 0) {
			return nil, fmt.Errorf("dp3t rule: exposure %d has attenuation %g", i, e.AttenuationDB)
		}
	}
	return r.score(slices.Clone(exps), nil), nil
}

// score is Score on sorted (a copy of the exposures, with finite
// attenuations, that it sorts in place), appending the days to out.
func (r RuleParams) score(sorted []Exposure, out []DayScore) []DayScore {
	slices.SortStableFunc(sorted, func(a, b Exposure) int {
		return cmp.Or(cmp.Compare(floorDiv(a.Time, dayMillis), floorDiv(b.Time, dayMillis)),
			cmp.Compare(a.Key, b.Key), cmp.Compare(a.Time, b.Time))
	})
	capMs := r.ScanPeriodMinutes * 60_000
	n0 := len(out)
	for i, e := range sorted {
		day := floorDiv(e.Time, dayMillis)
		if len(out) == n0 || out[len(out)-1].Day != day*daySecs {
			out = append(out, DayScore{Day: day * daySecs})
		}
		ms := capMs
		if i > 0 && sorted[i-1].Key == e.Key && floorDiv(sorted[i-1].Time, dayMillis) == day {
			ms = min(capMs, float64(e.Time-sorted[i-1].Time))
		}
		out[len(out)-1].Minutes[r.bucket(e.AttenuationDB)] += ms / 60_000
	}
	for i := n0; i < len(out); i++ {
		d := &out[i]
		d.WeightedMinutes = r.LowerWeight*d.Minutes[0] + r.MiddleWeight*d.Minutes[1] + r.UpperWeight*d.Minutes[2]
		d.Notify = d.WeightedMinutes >= r.TriggerMinutes
	}
	return out
}

func (r RuleParams) bucket(att float64) int {
	switch {
	case att < r.LowerThresholdDB:
		return 0
	case att < r.UpperThresholdDB:
		return 1
	}
	return 2
}

// Notify reports whether any day of exps reaches the trigger, and the first
// such day's score.
func (r RuleParams) Notify(exps []Exposure) (bool, DayScore, error) {
	days, err := r.Score(exps)
	if err != nil {
		return false, DayScore{}, err
	}
	for _, d := range days {
		if d.Notify {
			return true, d, nil
		}
	}
	return false, DayScore{}, nil
}
