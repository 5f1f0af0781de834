package gaen

import (
	"fmt"
	"math"
	"slices"
)

// ---- Risk scoring v1 (protocols.md 2.4) ----

// MaxInterpolationSeconds is maxInterpolationDurationSeconds: scans of one
// key more than 600 s apart belong to separate v1 exposures.
const MaxInterpolationSeconds = 600

// V1Config is the deprecated ExposureConfiguration.
type V1Config struct {
	// MinimumRiskScore: exposures scoring below it get risk score 0.
	MinimumRiskScore int `yaml:"minimum_risk_score"`
	// Scores per bucket (0-8). Bucket edges are fixed by the API:
	// attenuation >73 | >63 | >51 | >33 | >27 | >15 | >10 | <=10 dB;
	// days since exposure >=14, >=12, >=10, >=8, >=6, >=4, >=2, else;
	// duration <=0, <=5, <=10, <=15, <=20, <=25, <=30, >30 minutes;
	// transmission risk level 1..8.
	AttenuationScores       [8]int `yaml:"attenuation_scores"`
	DaysSinceExposureScores [8]int `yaml:"days_since_exposure_scores"`
	DurationScores          [8]int `yaml:"duration_scores"`
	TransmissionRiskScores  [8]int `yaml:"transmission_risk_scores"`
	// DurationAtAttenuationThresholds splits exposure time into
	// attenuation < t0, t0 <= a < t1 and a >= t1 (default {50, 74}).
	DurationAtAttenuationThresholds [2]int `yaml:"duration_at_attenuation_thresholds"`
}

// DefaultV1Config is the ExposureConfiguration builder's defaults: every
// score 4, minimum risk score 4, thresholds {50, 74} (protocols.md 2.4).
func DefaultV1Config() V1Config {
	four := [8]int{4, 4, 4, 4, 4, 4, 4, 4}
	return V1Config{
		MinimumRiskScore:                4,
		AttenuationScores:               four,
		DaysSinceExposureScores:         four,
		DurationScores:                  four,
		TransmissionRiskScores:          four,
		DurationAtAttenuationThresholds: [2]int{50, 74},
	}
}

// Validate checks scores in 0..8 and thresholds ordered in 0..255.
func (c V1Config) Validate() error {
	for _, f := range []struct {
		name   string
		scores [8]int
	}{
		{"attenuation_scores", c.AttenuationScores},
		{"days_since_exposure_scores", c.DaysSinceExposureScores},
		{"duration_scores", c.DurationScores},
		{"transmission_risk_scores", c.TransmissionRiskScores},
	} {
		for i, v := range f.scores {
			if v < 0 || v > 8 {
				return fmt.Errorf("v1.%s[%d] = %d, want 0..8", f.name, i, v)
			}
		}
	}
	if c.MinimumRiskScore < 0 || c.MinimumRiskScore > 4096 {
		return fmt.Errorf("v1.minimum_risk_score = %d, want 0..4096", c.MinimumRiskScore)
	}
	t := c.DurationAtAttenuationThresholds
	if t[0] < 0 || t[1] > 255 || t[0] > t[1] {
		return fmt.Errorf("v1.duration_at_attenuation_thresholds = %v, want 0 <= t0 <= t1 <= 255", t)
	}
	return nil
}

// V1Exposure is one v1 ExposureInformation: consecutive scans of one key
// on one UTC day, no more than 600 s apart.
type V1Exposure struct {
	Key        int   `json:"key"`
	DateMillis int64 `json:"date_millis"`
	// DurationSeconds is the sum of the scans' secondsSinceLastScan.
	DurationSeconds int `json:"duration_seconds"`
	// AttenuationValue is the duration-weighted mean of the scans'
	// typical attenuations, rounded.
	AttenuationValue int `json:"attenuation_value"`
	// AttenuationDurations are the seconds below, between and above the
	// thresholds.
	AttenuationDurations [3]int `json:"attenuation_durations"`
	TransmissionRisk     int    `json:"transmission_risk"`
	DaysSinceExposure    int    `json:"days_since_exposure"`
	// RiskScore is the product of the four bucket scores, 0 if below
	// MinimumRiskScore.
	RiskScore int `json:"risk_score"`
}

// V1Exposures forms v1 exposures from windows (ordered by key and time,
// as GroupWindows returns them) and scores them. nowMillis is the time of
// the evaluation (Unix ms), for days since exposure.
func V1Exposures(windows []ExposureWindow, c V1Config, nowMillis int64) ([]V1Exposure, error) {
	return appendV1Exposures(nil, windows, c, nowMillis)
}

// appendV1Exposures is V1Exposures appending to out.
func appendV1Exposures(out []V1Exposure, windows []ExposureWindow, c V1Config, nowMillis int64) ([]V1Exposure, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	cur := -1 // index of the exposure being built
	var last int64
	var attSum float64
	flush := func() {
		if cur < 0 {
			return
		}
		e := &out[cur]
		if e.DurationSeconds > 0 {
			e.AttenuationValue = int(math.Round(attSum / float64(e.DurationSeconds)))
		}
		e.RiskScore = c.riskScore(e)
		cur = -1
	}
	for wi := range windows {
		w := &windows[wi]
		for _, si := range w.ScanInstances {
			if cur < 0 || out[cur].Key != w.Key || out[cur].DateMillis != w.DateMillis || si.Time-last > MaxInterpolationSeconds*1000 {
				flush()
				out = append(out, V1Exposure{
					Key:               w.Key,
					DateMillis:        w.DateMillis,
					TransmissionRisk:  w.TransmissionRisk,
					DaysSinceExposure: int(floorDiv(nowMillis, dayMillis) - w.DateMillis/dayMillis),
				})
				cur = len(out) - 1
				attSum = 0
			}
			e := &out[cur]
			d := si.SecondsSinceLastScan
			e.DurationSeconds += d
			attSum += float64(d * si.TypicalAttenuationDb)
			switch a, t := si.TypicalAttenuationDb, c.DurationAtAttenuationThresholds; {
			case a < t[0]:
				e.AttenuationDurations[0] += d
			case a < t[1]:
				e.AttenuationDurations[1] += d
			default:
				e.AttenuationDurations[2] += d
			}
			last = si.Time
		}
	}
	flush()
	return out, nil
}

func (c V1Config) riskScore(e *V1Exposure) int {
	att := v1AttenuationBucket(e.AttenuationValue)
	days := v1DaysBucket(e.DaysSinceExposure)
	dur := v1DurationBucket(e.DurationSeconds)
	tr := 1
	if e.TransmissionRisk >= 1 && e.TransmissionRisk <= 8 {
		tr = c.TransmissionRiskScores[e.TransmissionRisk-1]
	}
	s := c.AttenuationScores[att] * c.DaysSinceExposureScores[days] * c.DurationScores[dur] * tr
	if s < c.MinimumRiskScore {
		return 0
	}
	return s
}

func v1AttenuationBucket(a int) int {
	for i, edge := range [...]int{73, 63, 51, 33, 27, 15, 10} {
		if a > edge {
			return i
		}
	}
	return 7
}

func v1DaysBucket(d int) int {
	for i, edge := range [...]int{14, 12, 10, 8, 6, 4, 2} {
		if d >= edge {
			return i
		}
	}
	return 7
}

// v1DurationBucket rounds the duration to 5-minute steps, as the API
// reports it, then buckets <=0, <=5, ..., <=30, >30 minutes.
func v1DurationBucket(seconds int) int {
	m := int(math.Round(float64(seconds)/300)) * 5
	for i, edge := range [...]int{0, 5, 10, 15, 20, 25, 30} {
		if m <= edge {
			return i
		}
	}
	return 7
}

// ---- Risk scoring v2 (protocols.md 2.5) ----

// Infectiousness is a window's infectiousness from days since onset.
type Infectiousness int

// Infectiousness values of DiagnosisKeysDataMapping.
const (
	InfectiousnessNone     Infectiousness = 0
	InfectiousnessStandard Infectiousness = 1
	InfectiousnessHigh     Infectiousness = 2
)

// V2Config is DailySummariesConfig with the DiagnosisKeysDataMapping.
type V2Config struct {
	// AttenuationBucketThresholdDb: IMMEDIATE if typical <= t0, NEAR if
	// <= t1, MEDIUM if <= t2, else OTHER. Increasing, in 0..255.
	AttenuationBucketThresholdDb [3]int `yaml:"attenuation_bucket_threshold_db"`
	// AttenuationBucketWeights for IMMEDIATE, NEAR, MEDIUM, OTHER (0-2.5).
	AttenuationBucketWeights [4]float64 `yaml:"attenuation_bucket_weights"`
	// ReportTypeWeights indexed by report type 0..5 (0-2.5).
	ReportTypeWeights [6]float64 `yaml:"report_type_weights"`
	// InfectiousnessWeights for NONE, STANDARD, HIGH (0-2.5). GAEN drops
	// NONE windows, so its weight is ignored.
	InfectiousnessWeights [3]float64 `yaml:"infectiousness_weights"`
	// DaysSinceOnsetToInfectiousness maps days since onset -14..+14 (index
	// day+14); keys outside that range are NONE.
	DaysSinceOnsetToInfectiousness [29]Infectiousness `yaml:"days_since_onset_to_infectiousness"`
	// InfectiousnessWhenOnsetMissing applies to keys without onset.
	InfectiousnessWhenOnsetMissing Infectiousness `yaml:"infectiousness_when_onset_missing"`
	// ReportTypeWhenMissing replaces report type 0 (UNKNOWN).
	ReportTypeWhenMissing int `yaml:"report_type_when_missing"`
	// DaysSinceExposureThreshold drops windows older than this many days
	// (0 keeps all).
	DaysSinceExposureThreshold int `yaml:"days_since_exposure_threshold"`
	// MinimumWindowScore drops windows scoring below it.
	MinimumWindowScore float64 `yaml:"minimum_window_score"`
}

// Validate checks ranges as the API does.
func (c V2Config) Validate() error {
	t := c.AttenuationBucketThresholdDb
	if t[0] < 0 || t[2] > 255 || t[0] > t[1] || t[1] > t[2] {
		return fmt.Errorf("v2.attenuation_bucket_threshold_db = %v, want increasing values in 0..255", t)
	}
	check := func(name string, ws []float64) error {
		for i, w := range ws {
			if !(w >= 0 && w <= 2.5) {
				return fmt.Errorf("v2.%s[%d] = %v, want 0..2.5", name, i, w)
			}
		}
		return nil
	}
	if err := check("attenuation_bucket_weights", c.AttenuationBucketWeights[:]); err != nil {
		return err
	}
	if err := check("report_type_weights", c.ReportTypeWeights[:]); err != nil {
		return err
	}
	if err := check("infectiousness_weights", c.InfectiousnessWeights[:]); err != nil {
		return err
	}
	for i, v := range c.DaysSinceOnsetToInfectiousness {
		if v < InfectiousnessNone || v > InfectiousnessHigh {
			return fmt.Errorf("v2.days_since_onset_to_infectiousness[%d] = %d, want 0..2", i, v)
		}
	}
	if v := c.InfectiousnessWhenOnsetMissing; v < InfectiousnessNone || v > InfectiousnessHigh {
		return fmt.Errorf("v2.infectiousness_when_onset_missing = %d, want 0..2", v)
	}
	if c.ReportTypeWhenMissing < 0 || c.ReportTypeWhenMissing > ReportRevoked {
		return fmt.Errorf("v2.report_type_when_missing = %d, want 0..5", c.ReportTypeWhenMissing)
	}
	if c.DaysSinceExposureThreshold < 0 || !(c.MinimumWindowScore >= 0) {
		return fmt.Errorf("v2: days_since_exposure_threshold and minimum_window_score must be >= 0")
	}
	return nil
}

// Infectiousness returns a window's infectiousness under c's mapping.
func (c V2Config) Infectiousness(w *ExposureWindow) Infectiousness {
	if !w.HasOnset {
		return c.InfectiousnessWhenOnsetMissing
	}
	if w.DaysSinceOnset < -14 || w.DaysSinceOnset > 14 {
		return InfectiousnessNone
	}
	return c.DaysSinceOnsetToInfectiousness[w.DaysSinceOnset+14]
}

// WeightedDurationSeconds is Σ secondsSinceLastScan × bucket weight of the
// scan's typical attenuation.
func (c V2Config) WeightedDurationSeconds(w *ExposureWindow) float64 {
	t := c.AttenuationBucketThresholdDb
	var sum float64
	for _, si := range w.ScanInstances {
		b := 3
		switch a := si.TypicalAttenuationDb; {
		case a <= t[0]:
			b = 0
		case a <= t[1]:
			b = 1
		case a <= t[2]:
			b = 2
		}
		sum += float64(si.SecondsSinceLastScan) * c.AttenuationBucketWeights[b]
	}
	return sum
}

// WindowScore is weightedDuration × reportTypeWeight × infectiousnessWeight
// (0 for NONE infectiousness and for revoked keys), and the weighted
// duration itself.
func (c V2Config) WindowScore(w *ExposureWindow) (score, weightedDuration float64) {
	wd := c.WeightedDurationSeconds(w)
	inf := c.Infectiousness(w)
	rt := c.reportType(w)
	if inf == InfectiousnessNone || rt == ReportRevoked {
		return 0, wd
	}
	return wd * c.ReportTypeWeights[rt] * c.InfectiousnessWeights[inf], wd
}

func (c V2Config) reportType(w *ExposureWindow) int {
	rt := w.ReportType
	if rt == ReportUnknown {
		rt = c.ReportTypeWhenMissing
	}
	if rt < 0 || rt > ReportRevoked {
		return ReportUnknown
	}
	return rt
}

// DailySummary is one UTC day's DailySummary (scores are in weighted
// seconds, as the API gives them).
type DailySummary struct {
	DateMillis          int64   `json:"date_millis"`
	ScoreSum            float64 `json:"score_sum"`
	MaximumScore        float64 `json:"maximum_score"`
	WeightedDurationSum float64 `json:"weighted_duration_sum"`
	// ByReportType holds the same three figures per report type 0..5.
	ByReportType [6]ReportTypeSummary `json:"by_report_type"`
}

// ReportTypeSummary is a DailySummary restricted to one report type.
type ReportTypeSummary struct {
	ScoreSum            float64 `json:"score_sum"`
	MaximumScore        float64 `json:"maximum_score"`
	WeightedDurationSum float64 `json:"weighted_duration_sum"`
}

// DailySummaries scores windows and sums them per UTC day, oldest first,
// dropping windows older than DaysSinceExposureThreshold days before
// nowMillis (when set), windows with NONE infectiousness or revoked keys,
// and windows scoring below MinimumWindowScore.
func DailySummaries(windows []ExposureWindow, c V2Config, nowMillis int64) ([]DailySummary, error) {
	out, _, err := appendDailySummaries(nil, nil, false, windows, c, nowMillis)
	return out, err
}

// v2Bucket is the IMMEDIATE (0), NEAR, MEDIUM or OTHER (3) bucket of a
// typical attenuation.
func (c V2Config) v2Bucket(a int) int {
	switch t := c.AttenuationBucketThresholdDb; {
	case a <= t[0]:
		return 0
	case a <= t[1]:
		return 1
	case a <= t[2]:
		return 2
	}
	return 3
}

// appendDailySummaries is DailySummaries appending to out; with keep it
// also appends to secs, per summary (same index from the first appended),
// the seconds of the day's kept windows in each attenuation bucket.
func appendDailySummaries(out []DailySummary, secs [][4]float64, keep bool, windows []ExposureWindow, c V2Config, nowMillis int64) ([]DailySummary, [][4]float64, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	n0, s0 := len(out), len(secs)
	today := floorDiv(nowMillis, dayMillis)
	for i := range windows {
		w := &windows[i]
		if c.DaysSinceExposureThreshold > 0 && today-w.DateMillis/dayMillis > int64(c.DaysSinceExposureThreshold) {
			continue
		}
		if c.Infectiousness(w) == InfectiousnessNone || c.reportType(w) == ReportRevoked {
			continue
		}
		score, wd := c.WindowScore(w)
		if score < c.MinimumWindowScore {
			continue
		}
		k, found := slices.BinarySearchFunc(out[n0:], w.DateMillis, func(d DailySummary, t int64) int { return cmpInt64(d.DateMillis, t) })
		k += n0
		if !found {
			out = slices.Insert(out, k, DailySummary{DateMillis: w.DateMillis})
			if keep {
				secs = slices.Insert(secs, s0+k-n0, [4]float64{})
			}
		}
		d := &out[k]
		d.ScoreSum += score
		d.MaximumScore = max(d.MaximumScore, score)
		d.WeightedDurationSum += wd
		r := &d.ByReportType[c.reportType(w)]
		r.ScoreSum += score
		r.MaximumScore = max(r.MaximumScore, score)
		r.WeightedDurationSum += wd
		if keep {
			for _, si := range w.ScanInstances {
				secs[s0+k-n0][c.v2Bucket(si.TypicalAttenuationDb)] += float64(si.SecondsSinceLastScan)
			}
		}
	}
	return out, secs, nil
}
