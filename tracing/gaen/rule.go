package gaen

import (
	"fmt"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/tracing"
)

// RuleParams is a GAEN arm's notification rule as a scenario gives it: a
// deployed rule from the preset table, with its v1 attenuation thresholds,
// bucket weights and trigger optionally replaced. Config turns it into the
// rule itself.
type RuleParams struct {
	// Preset names a deployed rule of tracing/gaen's preset table
	// (radio.md §3.2): cwa, gaen-v1-default, gaen-v2-example, immuni (its
	// exact configuration of 22 June 2020), nhs (the NHS COVID-19 app's
	// v2 risk score) or swisscovid. ThresholdsDB, Weights and
	// TriggerMinutes, when set, override it (weighted-minutes rules only:
	// cwa and swisscovid).
	Preset string `yaml:"preset"`
	// ThresholdsDB are the two attenuation thresholds in whole dB
	// splitting the immediate/near/medium buckets (e.g. CWA 55, 63);
	// empty keeps the preset's.
	ThresholdsDB []int `yaml:"thresholds_db"`
	// Weights are the weights of the three buckets below the first
	// threshold, between them and above the second (e.g. 1, 0.5, 0);
	// empty keeps the preset's.
	Weights []float64 `yaml:"weights"`
	// TriggerMinutes is the weighted exposure in minutes in one day that
	// triggers a notification (e.g. 15); 0 keeps the preset's.
	TriggerMinutes float64 `yaml:"trigger_minutes"`
}

// DefaultRuleParams is the Corona-Warn-App rule as deployed: preset cwa.
func DefaultRuleParams() RuleParams { return RuleParams{Preset: "cwa"} }

// Validate reports every problem with p (check.Errors by YAML key).
func (p RuleParams) Validate() error {
	l := check.New("")
	if !l.OneOf("preset", "preset", p.Preset, PresetNames()) {
		return l.Err()
	}
	base, err := PresetByName(p.Preset)
	if err != nil {
		l.Add("preset", "%v", err)
		return l.Err()
	}
	if base.Model != ModelWeightedMinutes {
		for _, f := range []struct {
			name string
			set  bool
		}{{"thresholds_db", len(p.ThresholdsDB) > 0}, {"weights", len(p.Weights) > 0}, {"trigger_minutes", p.TriggerMinutes != 0}} {
			if f.set {
				l.Add(f.name, "does not apply: preset %s is a %s rule (thresholds_db, weights and trigger_minutes override the weighted-minutes rules cwa and swisscovid only)", p.Preset, base.Model)
			}
		}
		return l.Err()
	}
	if len(p.ThresholdsDB) > 0 {
		if len(p.ThresholdsDB) != 2 {
			l.Add("thresholds_db", "want 2 attenuation thresholds (dB), got %d", len(p.ThresholdsDB))
		}
		for i, t := range p.ThresholdsDB {
			f := check.Index("thresholds_db", i)
			l.IntBetween(f, t, 1, 150)
			if i > 0 && t <= p.ThresholdsDB[i-1] {
				l.Add(f, "thresholds must increase: %d is not above %d", t, p.ThresholdsDB[i-1])
			}
		}
	}
	if len(p.Weights) > 0 {
		if len(p.Weights) != 3 {
			l.Add("weights", "want 3 bucket weights, got %d", len(p.Weights))
		}
		for i, w := range p.Weights {
			f := check.Index("weights", i)
			l.Between(f, w, 0, 10)
			if i > 0 && w > p.Weights[i-1] {
				l.Add(f, "weights must not increase with attenuation: %v is above %v (a farther bucket cannot count more)", w, p.Weights[i-1])
			}
		}
	}
	if p.TriggerMinutes != 0 {
		l.Between("trigger_minutes", p.TriggerMinutes, 0, 1440)
	}
	if l.Len() > 0 {
		return l.Err()
	}
	if _, err := p.Config(); err != nil {
		l.Add("", "%v", err)
	}
	return l.Err()
}

// Config returns the rule: the preset with p's overrides applied.
func (p RuleParams) Config() (Config, error) {
	cfg, err := PresetByName(p.Preset)
	if err != nil {
		return Config{}, err
	}
	if len(p.ThresholdsDB) == 2 {
		copy(cfg.V1.DurationAtAttenuationThresholds[:], p.ThresholdsDB)
	}
	if len(p.Weights) == 3 {
		copy(cfg.AttenuationWeights[:], p.Weights)
	}
	if p.TriggerMinutes > 0 {
		cfg.NotifyWeightedMinutes = p.TriggerMinutes
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("gaen rule %q: %w", cfg.Name, err)
	}
	return cfg, nil
}

// NewRule returns p's decision code (tracing.RuleParams): the exposure's
// matched sightings grouped into exposure windows, decided by Config.
func (p RuleParams) NewRule() (tracing.Rule, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cfg, err := p.Config()
	if err != nil {
		return nil, err
	}
	return &configRule{cfg: cfg}, nil
}

// configRule is a Config as a tracing.Rule and tracing.Scorer: the
// exposure's matched sightings grouped into exposure windows, decided by
// the Config, on arrays kept from call to call (a Rule is used by one
// goroutine at a time), so that it allocates nothing in steady state.
type configRule struct {
	cfg Config
	sc  windowScratch
	dec decideScratch
}

func (r *configRule) Decide(x *tracing.Exposure) (bool, error) { return r.Score(x, nil) }

// Score decides as Decide and fills s (when not nil) with the rule's
// exposure summary (tracing.Score): the deciding day's minutes by the
// rule's attenuation buckets, its weighted minutes and the decision
// statistic (weighted minutes, risk score, score sum or window risk).
func (r *configRule) Score(x *tracing.Exposure, s *tracing.Score) (bool, error) {
	ws, err := r.sc.exposureWindows(x.Keys, x.Sightings, x.Matches, x.RSSICorrectionDB, WindowOptions{})
	if err != nil {
		return false, err
	}
	d, err := r.cfg.decide(ws, x.NowMillis, &r.dec, s)
	if s != nil {
		s.Sightings = len(x.Matches)
	}
	return d.Notify, err
}
