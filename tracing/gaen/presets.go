package gaen

import (
	"fmt"
	"math"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// Rule models of a Config.
const (
	// ModelV1RiskScore notifies when a v1 exposure's risk score reaches
	// the minimum risk score (the ExposureConfiguration default behaviour).
	ModelV1RiskScore = "v1-risk-score"
	// ModelWeightedMinutes notifies when a day's attenuation durations
	// (v1 buckets at DurationAtAttenuationThresholds), weighted by
	// AttenuationWeights, reach NotifyWeightedMinutes: the rule CWA and
	// SwissCovid deployed on the v1 API (radio.md 3.2).
	ModelWeightedMinutes = "weighted-minutes"
	// ModelV2 notifies when a day's v2 summary reaches NotifyScoreSum
	// (weighted seconds).
	ModelV2 = "v2"
	// ModelNHS notifies when one exposure window's NHS risk score (NHS)
	// reaches NHS.RiskThreshold: the NHS COVID-19 app's rule on the v2
	// API, with V2's infectiousness mapping.
	ModelNHS = "nhs-risk-score"
)

// Config is a health authority's exposure decision rule: the API
// configuration it set plus how it turned the API's output into a
// notification. Presets give the deployed ones; scenarios may load their
// own from YAML.
type Config struct {
	Name  string `yaml:"name"`
	Model string `yaml:"model"`
	// V1 is the ExposureConfiguration (models v1-risk-score and
	// weighted-minutes).
	V1 V1Config `yaml:"v1"`
	// AttenuationWeights weight the seconds below, between and above
	// V1.DurationAtAttenuationThresholds into weighted minutes.
	AttenuationWeights [3]float64 `yaml:"attenuation_weights"`
	// MinExposureMinutes drops v1 exposures shorter than this (CWA: 10).
	MinExposureMinutes float64 `yaml:"min_exposure_minutes"`
	// MaxMeanAttenuationDb drops v1 exposures whose mean attenuation is
	// above it (CWA: 73); 0 disables the filter.
	MaxMeanAttenuationDb int `yaml:"max_mean_attenuation_db"`
	// NotifyWeightedMinutes is the weighted-minutes trigger per UTC day.
	NotifyWeightedMinutes float64 `yaml:"notify_weighted_minutes"`
	// V2 is the DailySummariesConfig (model v2).
	V2 V2Config `yaml:"v2"`
	// NotifyScoreSum is the v2 trigger: a day's scoreSum (weighted
	// seconds) at or above it notifies.
	NotifyScoreSum float64 `yaml:"notify_score_sum"`
	// NotifyRiskScore (model v1-risk-score) is the app's own threshold on
	// the highest exposure's risk score, on top of the API's
	// V1.MinimumRiskScore (Immuni's exposure_info_minimum_risk_score);
	// 0 leaves the API's alone.
	NotifyRiskScore int `yaml:"notify_risk_score"`
	// NHS is the NHS risk score (model nhs-risk-score).
	NHS NHSRiskScore `yaml:"nhs"`
}

// Decision is a rule's verdict over a phone's exposure windows.
type Decision struct {
	Notify bool `json:"notify"`
	// DateMillis is the UTC day that decided (the highest-scoring day,
	// the earliest of equals); 0 when there was no exposure.
	DateMillis int64 `json:"date_millis"`
	// WeightedMinutes is that day's weighted minutes (weighted-minutes and
	// v1 models) or weighted duration in minutes (v2).
	WeightedMinutes float64 `json:"weighted_minutes"`
	// RiskScore is the highest v1 risk score (v1 models).
	RiskScore int `json:"risk_score"`
	// ScoreSum is that day's v2 scoreSum in weighted seconds (v2 model).
	ScoreSum float64 `json:"score_sum"`
	// WindowRisk is the riskiest window's risk (nhs-risk-score model: 60
	// × the NHS risk score × the window's infectiousness weight), and
	// DateMillis that window's day.
	WindowRisk float64 `json:"window_risk"`
}

// Validate checks the rule.
func (c Config) Validate() error {
	switch c.Model {
	case ModelV1RiskScore, ModelWeightedMinutes:
		if err := c.V1.Validate(); err != nil {
			return err
		}
		for i, w := range c.AttenuationWeights {
			if !(w >= 0 && w <= 10) {
				return fmt.Errorf("attenuation_weights[%d] = %v, want 0..10", i, w)
			}
		}
		if !(c.MinExposureMinutes >= 0) || !(c.NotifyWeightedMinutes >= 0) || c.MaxMeanAttenuationDb < 0 || c.MaxMeanAttenuationDb > 255 {
			return fmt.Errorf("min_exposure_minutes, notify_weighted_minutes must be >= 0 and max_mean_attenuation_db in 0..255")
		}
		if c.NotifyRiskScore < 0 || c.NotifyRiskScore > 4096 {
			return fmt.Errorf("notify_risk_score = %d, want 0..4096", c.NotifyRiskScore)
		}
	case ModelV2:
		if err := c.V2.Validate(); err != nil {
			return err
		}
		if !(c.NotifyScoreSum >= 0) {
			return fmt.Errorf("notify_score_sum = %v, want >= 0", c.NotifyScoreSum)
		}
	case ModelNHS:
		if err := c.V2.Validate(); err != nil {
			return err
		}
		if err := c.NHS.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("model %q: want %s, %s, %s or %s", c.Model, ModelV1RiskScore, ModelWeightedMinutes, ModelV2, ModelNHS)
	}
	return nil
}

// Decide applies the rule to a phone's exposure windows (ordered by key
// and time, as GroupWindows returns them) evaluated at nowMillis.
func (c Config) Decide(windows []ExposureWindow, nowMillis int64) (Decision, error) {
	var s decideScratch
	return c.decide(windows, nowMillis, &s, nil)
}

// decideScratch is what Config.decide needs, reused from call to call.
type decideScratch struct {
	exps []V1Exposure
	days []v1Day
	sums []DailySummary
	secs [][4]float64
	nhs  nhsScratch
}

// v1Day is one UTC day of v1 exposures that passed the rule's filters.
type v1Day struct {
	date    int64
	minutes float64 // weighted minutes
	secs    [3]int  // seconds below, between and above the thresholds
}

// decide is Decide on s's arrays; when sc is not nil it also fills the
// rule's exposure summary (tracing.Score) for the decision.
func (c Config) decide(windows []ExposureWindow, nowMillis int64, s *decideScratch, sc *tracing.Score) (Decision, error) {
	if err := c.Validate(); err != nil {
		return Decision{}, fmt.Errorf("gaen rule %q: %w", c.Name, err)
	}
	if sc != nil {
		*sc = tracing.Score{}
		for i := range windows {
			sc.Sightings += len(windows[i].ScanInstances)
		}
	}
	switch c.Model {
	case ModelV2:
		return c.decideV2(windows, nowMillis, s, sc)
	case ModelNHS:
		return c.decideNHS(windows, nowMillis, s, sc)
	}
	exps, err := appendV1Exposures(s.exps[:0], windows, c.V1, nowMillis)
	if err != nil {
		return Decision{}, err
	}
	s.exps = exps
	days := s.days[:0]
	var d Decision
	for i := range exps {
		e := &exps[i]
		if float64(e.DurationSeconds) < c.MinExposureMinutes*60 {
			continue
		}
		if c.MaxMeanAttenuationDb > 0 && e.AttenuationValue > c.MaxMeanAttenuationDb {
			continue
		}
		d.RiskScore = max(d.RiskScore, e.RiskScore)
		var m float64
		for i, s := range e.AttenuationDurations {
			m += float64(s) * c.AttenuationWeights[i] / 60
		}
		k, found := slices.BinarySearchFunc(days, e.DateMillis, func(x v1Day, t int64) int { return cmpInt64(x.date, t) })
		if !found {
			days = slices.Insert(days, k, v1Day{date: e.DateMillis})
		}
		days[k].minutes += m
		for b, sec := range e.AttenuationDurations {
			days[k].secs[b] += sec
		}
	}
	s.days = days
	best := -1
	for i, x := range days {
		if i == 0 || x.minutes > d.WeightedMinutes {
			d.DateMillis, d.WeightedMinutes = x.date, x.minutes
			best = i
		}
	}
	switch c.Model {
	case ModelV1RiskScore:
		d.Notify = d.RiskScore > 0 && d.RiskScore >= c.V1.MinimumRiskScore && d.RiskScore >= c.NotifyRiskScore
	case ModelWeightedMinutes:
		// A small tolerance so that 15 minutes made of 0.5-weighted
		// seconds is not lost to float rounding.
		d.Notify = len(days) > 0 && d.WeightedMinutes >= c.NotifyWeightedMinutes-1e-9 && !math.IsNaN(d.WeightedMinutes)
	}
	if sc != nil {
		if best >= 0 {
			for b, sec := range days[best].secs {
				sc.Minutes[b] = float64(sec) / 60
			}
			sc.WeightedMinutes, sc.DayMillis = d.WeightedMinutes, d.DateMillis
		}
		if c.Model == ModelV1RiskScore {
			sc.Value, sc.Threshold = float64(d.RiskScore), float64(max(c.V1.MinimumRiskScore, c.NotifyRiskScore, 1))
		} else {
			sc.Value, sc.Threshold = d.WeightedMinutes, c.NotifyWeightedMinutes
		}
	}
	return d, nil
}

// decideV2 is decide for the v2 model: the day with the highest score sum.
func (c Config) decideV2(windows []ExposureWindow, nowMillis int64, s *decideScratch, sc *tracing.Score) (Decision, error) {
	days, secs, err := appendDailySummaries(s.sums[:0], s.secs[:0], sc != nil, windows, c.V2, nowMillis)
	if err != nil {
		return Decision{}, err
	}
	s.sums, s.secs = days, secs
	var d Decision
	best := -1
	for i, x := range days {
		if i == 0 || x.ScoreSum > d.ScoreSum {
			d.DateMillis, d.ScoreSum, d.WeightedMinutes = x.DateMillis, x.ScoreSum, x.WeightedDurationSum/60
			best = i
		}
	}
	d.Notify = len(days) > 0 && d.ScoreSum >= c.NotifyScoreSum && d.ScoreSum > 0
	if sc != nil {
		if best >= 0 {
			for b, sec := range secs[best] {
				sc.Minutes[b] = sec / 60
			}
			sc.WeightedMinutes, sc.DayMillis = d.WeightedMinutes, d.DateMillis
		}
		sc.Value, sc.Threshold = d.ScoreSum, c.NotifyScoreSum
	}
	return d, nil
}

// decideNHS is decide for the NHS COVID-19 app's rule
// (ExposureWindowRiskCalculator): each window of the last
// V2.DaysSinceExposureThreshold days that the API returns (infectiousness
// not NONE, key not revoked) scores 60 × its NHS risk score × its
// infectiousness weight; a window at or above NHS.RiskThreshold notifies.
// The decision's day and risk are the riskiest window's.
func (c Config) decideNHS(windows []ExposureWindow, nowMillis int64, s *decideScratch, sc *tracing.Score) (Decision, error) {
	today := floorDiv(nowMillis, dayMillis)
	var d Decision
	best := -1
	for i := range windows {
		w := &windows[i]
		if c.V2.DaysSinceExposureThreshold > 0 && today-w.DateMillis/dayMillis > int64(c.V2.DaysSinceExposureThreshold) {
			continue
		}
		inf := c.V2.Infectiousness(w)
		if inf == InfectiousnessNone || c.V2.reportType(w) == ReportRevoked {
			continue
		}
		score, err := c.NHS.WindowScore(w.ScanInstances, &s.nhs)
		if err != nil {
			return Decision{}, err
		}
		risk := 60 * score * c.V2.InfectiousnessWeights[inf]
		if best < 0 || risk > d.WindowRisk {
			d.WindowRisk, d.DateMillis, best = risk, w.DateMillis, i
		}
		if risk >= c.NHS.RiskThreshold && risk > 0 {
			d.Notify = true
		}
	}
	if sc != nil {
		if best >= 0 {
			for _, si := range windows[best].ScanInstances {
				sc.Minutes[0] += float64(si.SecondsSinceLastScan) / 60
			}
			sc.DayMillis = d.DateMillis
		}
		sc.Value, sc.Threshold = d.WindowRisk, c.NHS.RiskThreshold
	}
	return d, nil
}

// presets are the deployed decision rules of radio.md 3.2, plus the API
// defaults. Each is built fresh so callers may modify what they get.
var presets = []struct {
	name string
	make func() Config
}{
	{"cwa", func() Config {
		// CWA (Germany), June 2020: thresholds 55/63 dB, weights
		// 1.0/0.5/0; encounters shorter than 10 min or averaging more
		// than 73 dB are discarded; notify at >= 15 weighted minutes
		// (radio.md 3.2, cwa-documentation cwa-risk-assessment.md).
		c := weightedMinutes("cwa", 55, 63, 15)
		c.MinExposureMinutes = 10
		c.MaxMeanAttenuationDb = 73
		return c
	}},
	{"gaen-v1-default", func() Config {
		// The ExposureConfiguration builder defaults (protocols.md 2.4):
		// every score 4, minimum risk score 4, thresholds {50, 74}.
		return Config{Name: "gaen-v1-default", Model: ModelV1RiskScore, V1: DefaultV1Config(),
			AttenuationWeights: [3]float64{1, 0.5, 0}}
	}},
	{"gaen-v2-example", func() Config {
		// Illustrative v2 rule from protocols.md 2.5 (thresholds
		// [46, 55, 63], weights [1.0, 1.0, 0.5, 0.0]; "source repo not
		// identified") with a 15-minute (900 weighted s) daily trigger.
		v2 := V2Config{
			AttenuationBucketThresholdDb: [3]int{46, 55, 63},
			AttenuationBucketWeights:     [4]float64{1, 1, 0.5, 0},
			ReportTypeWeights:            [6]float64{0, 1, 1, 1, 1, 0},
			InfectiousnessWeights:        [3]float64{0, 1, 1},
			ReportTypeWhenMissing:        ReportConfirmedTest,
			DaysSinceExposureThreshold:   14,
		}
		for i := range v2.DaysSinceOnsetToInfectiousness {
			v2.DaysSinceOnsetToInfectiousness[i] = InfectiousnessStandard
		}
		v2.InfectiousnessWhenOnsetMissing = InfectiousnessStandard
		return Config{Name: "gaen-v2-example", Model: ModelV2, V2: v2, NotifyScoreSum: 900}
	}},
	{"immuni", func() Config {
		// Immuni (Italy) as fetched from its server on 22 June 2020
		// (radio.md 3.2; doug-leith/dublintram_gaen_dataset
		// immuni_config_settings.txt): the v1 ExposureConfiguration with
		// attenuation thresholds [50, 70], attenuation bucket scores
		// [0,5,5,5,5,5,5,5] (any mean attenuation <= 73 dB scores 5),
		// duration bucket scores [0,0,0,0,5,5,5,5] (over 15 minutes, as
		// the API rounds to 5-minute steps), day and transmission-risk
		// scores 1, minimum risk score 1; the app notifies when an
		// exposure's risk score reaches exposure_info_minimum_risk_score
		// 20, so 5 × 1 × 5 × 1 = 25 does.
		v1 := V1Config{
			MinimumRiskScore:                1,
			AttenuationScores:               [8]int{0, 5, 5, 5, 5, 5, 5, 5},
			DaysSinceExposureScores:         [8]int{1, 1, 1, 1, 1, 1, 1, 1},
			DurationScores:                  [8]int{0, 0, 0, 0, 5, 5, 5, 5},
			TransmissionRiskScores:          [8]int{1, 1, 1, 1, 1, 1, 1, 1},
			DurationAtAttenuationThresholds: [2]int{50, 70},
		}
		// Immuni weighted no minutes; the weights only make the reported
		// weighted minutes those below 70 dB.
		return Config{Name: "immuni", Model: ModelV1RiskScore, V1: v1, AttenuationWeights: [3]float64{1, 1, 0},
			NotifyRiskScore: 20}
	}},
	{"nhs", func() Config {
		// The NHS COVID-19 app (England and Wales) on the GAEN v2 API: its
		// published exposure configuration (ukhsa-collaboration/
		// covid19-app-system-public src/static/exposure-configuration.json,
		// commit 621f1c8): v2RiskCalculation daysSinceOnsetToInfectiousness
		// [0×9, 1×3, 2×6, 1×6, 0×5] (days since onset -14..+14),
		// infectiousnessWeights [0, 0.4, 1], reportTypeWhenMissing 1,
		// riskThreshold 120, and the riskScore block (NHSRiskScore). The app
		// keeps windows of its contact-case isolation period; 14 days here.
		v2 := V2Config{
			// The buckets and their weights play no part in the NHS
			// rule; they only sort its minutes for reports (the app's v1
			// attenuationDurationThresholds were 55 and 63 dB).
			AttenuationBucketThresholdDb: [3]int{55, 63, 73},
			AttenuationBucketWeights:     [4]float64{1, 1, 1, 1},
			ReportTypeWeights:            [6]float64{0, 1, 1, 1, 1, 0},
			InfectiousnessWeights:        [3]float64{0, 0.4, 1},
			ReportTypeWhenMissing:        ReportConfirmedTest,
			DaysSinceExposureThreshold:   14,
		}
		for i, v := range []Infectiousness{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0} {
			v2.DaysSinceOnsetToInfectiousness[i] = v
		}
		// A key without onset: the v2 API's default mapping is STANDARD.
		v2.InfectiousnessWhenOnsetMissing = InfectiousnessStandard
		return Config{Name: "nhs", Model: ModelNHS, V2: v2, NHS: DefaultNHSRiskScore()}
	}},
	{"swisscovid", func() Config {
		// SwissCovid as of 10 Sep 2020: 55/63 dB, weights 1.0/0.5/0,
		// 15-minute trigger (radio.md 3.2, GAENSDKConfig.java history).
		return weightedMinutes("swisscovid", 55, 63, 15)
	}},
}

func weightedMinutes(name string, low, high int, trigger float64) Config {
	v1 := DefaultV1Config()
	v1.DurationAtAttenuationThresholds = [2]int{low, high}
	return Config{
		Name:                  name,
		Model:                 ModelWeightedMinutes,
		V1:                    v1,
		AttenuationWeights:    [3]float64{1, 0.5, 0},
		NotifyWeightedMinutes: trigger,
	}
}

// PresetNames lists the named rules, sorted.
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.name
	}
	return names
}

// PresetByName returns a named rule.
func PresetByName(name string) (Config, error) {
	for _, p := range presets {
		if p.name == name {
			return p.make(), nil
		}
	}
	return Config{}, fmt.Errorf("gaen: no rule preset %q (have %v)", name, PresetNames())
}
