package gaen

import (
	"fmt"
	"math"
	"slices"
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
	case ModelV2:
		if err := c.V2.Validate(); err != nil {
			return err
		}
		if !(c.NotifyScoreSum >= 0) {
			return fmt.Errorf("notify_score_sum = %v, want >= 0", c.NotifyScoreSum)
		}
	default:
		return fmt.Errorf("model %q: want %s, %s or %s", c.Model, ModelV1RiskScore, ModelWeightedMinutes, ModelV2)
	}
	return nil
}

// Decide applies the rule to a phone's exposure windows (ordered by key
// and time, as GroupWindows returns them) evaluated at nowMillis.
func (c Config) Decide(windows []ExposureWindow, nowMillis int64) (Decision, error) {
	if err := c.Validate(); err != nil {
		return Decision{}, fmt.Errorf("gaen rule %q: %w", c.Name, err)
	}
	if c.Model == ModelV2 {
		days, err := DailySummaries(windows, c.V2, nowMillis)
		if err != nil {
			return Decision{}, err
		}
		var d Decision
		for i, s := range days {
			if i == 0 || s.ScoreSum > d.ScoreSum {
				d.DateMillis, d.ScoreSum, d.WeightedMinutes = s.DateMillis, s.ScoreSum, s.WeightedDurationSum/60
			}
		}
		d.Notify = len(days) > 0 && d.ScoreSum >= c.NotifyScoreSum && d.ScoreSum > 0
		return d, nil
	}
	exps, err := V1Exposures(windows, c.V1, nowMillis)
	if err != nil {
		return Decision{}, err
	}
	type day struct {
		date    int64
		minutes float64
	}
	var days []day
	var d Decision
	for _, e := range exps {
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
		k, found := slices.BinarySearchFunc(days, e.DateMillis, func(x day, t int64) int { return cmpInt64(x.date, t) })
		if !found {
			days = slices.Insert(days, k, day{date: e.DateMillis})
		}
		days[k].minutes += m
	}
	for i, x := range days {
		if i == 0 || x.minutes > d.WeightedMinutes {
			d.DateMillis, d.WeightedMinutes = x.date, x.minutes
		}
	}
	switch c.Model {
	case ModelV1RiskScore:
		d.Notify = d.RiskScore > 0 && d.RiskScore >= c.V1.MinimumRiskScore
	case ModelWeightedMinutes:
		// A small tolerance so that 15 minutes made of 0.5-weighted
		// seconds is not lost to float rounding.
		d.Notify = len(days) > 0 && d.WeightedMinutes >= c.NotifyWeightedMinutes-1e-9 && !math.IsNaN(d.WeightedMinutes)
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
		// Immuni (Italy), June 2020: in effect >= ~15 min at any
		// attenuation <= 73 dB (radio.md 3.2, immuni_config_settings.txt).
		return weightedMinutes("immuni", 74, 74, 15)
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
