package epidemic

import (
	"math"
	"strings"
	"testing"
)

func TestDefaultParamsValid(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Params)
		key  string
	}{
		{"incubation", func(p *Params) { p.History.IncubationMedianDays = 0 }, "epidemic.history.incubation_median_days = 0"},
		{"log sd NaN", func(p *Params) { p.History.IncubationLogSD = math.NaN() }, "epidemic.history.incubation_log_sd"},
		{"latent", func(p *Params) { p.History.MinLatentDays = 0.5 }, "epidemic.history.min_latent_days"},
		{"shape", func(p *Params) { p.History.ProfileShape = 0.5 }, "epidemic.history.profile_shape"},
		{"asym", func(p *Params) { p.History.AsymptomaticFraction = 1.5 }, "epidemic.history.asymptomatic_fraction"},
		{"beta", func(p *Params) { p.Transmission.Beta = -1 }, "epidemic.transmission.beta"},
		{"near", func(p *Params) { p.Transmission.NearFieldM = 0 }, "epidemic.transmission.near_field_m"},
		{"outdoor", func(p *Params) { p.Transmission.OutdoorFactor = math.Inf(1) }, "epidemic.transmission.outdoor_factor"},
		{"test prob", func(p *Params) { p.Testing.Probability = -0.1 }, "epidemic.testing.probability"},
		{"delay shape", func(p *Params) { p.Testing.DelayShape = 0 }, "epidemic.testing.delay_shape"},
		{"compliance", func(p *Params) { p.Quarantine.Compliance = 2 }, "epidemic.quarantine.compliance"},
		{"days", func(p *Params) { p.Quarantine.Days = -1 }, "epidemic.quarantine.days"},
		{"capacity", func(p *Params) { p.ManualTracing.CapacityPerDay = -3 }, "epidemic.manual_tracing.capacity_per_day"},
		{"seeds", func(p *Params) { p.InitialInfections = -1 }, "epidemic.initial_infections"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.edit(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.key)
			}
			if _, err := NewModel(p, 1); err == nil {
				t.Fatal("NewModel accepted invalid params")
			}
		})
	}
}

// TestMeanGenerationDays pins the default model's generation interval
// near the published serial interval (He et al. 2020: mean 5.8 days) and
// checks that a longer incubation lengthens it.
func TestMeanGenerationDays(t *testing.T) {
	m, err := NewModel(DefaultParams(), 1)
	if err != nil {
		t.Fatal(err)
	}
	g := m.MeanGenerationDays()
	if !(g > 4 && g < 7) {
		t.Fatalf("mean generation interval %v days, want 4 to 7", g)
	}
	p := DefaultParams()
	p.History.IncubationMedianDays = 8
	m2, err := NewModel(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g2 := m2.MeanGenerationDays(); !(g2 > g+2) {
		t.Errorf("incubation 8 days: generation interval %v, want well above %v", g2, g)
	}
	t.Logf("default mean generation interval %.3f days", g)
}
