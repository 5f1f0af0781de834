package radio

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestDefaultParamsValid(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestValidateNamesKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		mod func(*Params)
	}{
		{"n_indoor", func(p *Params) { p.NIndoor = -1 }},
		{"sigma_pose_db", func(p *Params) { p.SigmaPoseDB = -0.5 }},
		{"body_loss_db.bag", func(p *Params) { p.BodyLossDB.Bag = -3 }},
		{"adv_interval_max_ms", func(p *Params) { p.AdvIntervalMaxMs = 100 }},
		{"gaen_scan_period_max_s", func(p *Params) { p.GAENScanPeriodMaxS = 200 }},
		{"bluezone_scan_mode", func(p *Params) { p.BluezoneScanMode = "turbo" }},
		{"ios_bg_bg_detect_prob", func(p *Params) { p.IOSBgBgDetectProb = 1.5 }},
		{"rx_sensitivity_dbm", func(p *Params) { p.RxSensitivityDBm = 5 }},
	} {
		t.Run(tc.key, func(t *testing.T) {
			p := DefaultParams()
			tc.mod(&p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), "radio."+tc.key) {
				t.Fatalf("Validate() = %v, want an error naming radio.%s", err, tc.key)
			}
		})
	}
}

// TestParamsYAML checks the snake_case keys round-trip and that a partial
// block overrides only what it names.
func TestParamsYAML(t *testing.T) {
	p := DefaultParams()
	if err := yaml.Unmarshal([]byte("n_indoor: 2.2\nbody_loss_db:\n  back_pocket: 20\nios_bg_bg_detect_prob: 0.25\n"), &p); err != nil {
		t.Fatal(err)
	}
	want := DefaultParams()
	want.NIndoor, want.BodyLossDB.BackPocket, want.IOSBgBgDetectProb = 2.2, 20, 0.25
	if p != want {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	out, err := yaml.Marshal(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"p1m_dbm:", "sigma_channel_db:", "front_pocket:", "gaen_residual_calib_sd_db:", "bluezone_bg_scan_on_s:"} {
		if !strings.Contains(string(out), key) {
			t.Errorf("marshalled params lack %s\n%s", key, out)
		}
	}
	var back Params
	if err := yaml.Unmarshal(out, &back); err != nil || back != DefaultParams() {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}
