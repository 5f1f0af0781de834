package output

import (
	"maps"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestArmSeries: arms that differ only in adoption form one curve,
// labelled with the protocol when it has one family in the run; arms of a
// protocol with different rules or calibration are curves of their own,
// labelled with their names, never unlabelled twins.
func TestArmSeries(t *testing.T) {
	for _, tc := range []struct {
		name string
		sets []string
		want map[string]string
	}{
		{"town", nil, map[string]string{
			"bluezone-20": "bluezone", "bluezone-40": "bluezone", "gaen-20": "gaen", "gaen-40": "gaen"}},
		{"two bluezone rules", []string{"arms[1].rule.mode=f1", "arms[1].name=bluezone-f1-40"}, map[string]string{
			"bluezone-20": "bluezone-20", "bluezone-f1-40": "bluezone-f1-40", "gaen-20": "gaen", "gaen-40": "gaen"}},
		{"three arms, two rules", []string{"arms[3].protocol=bluezone", "arms[3].name=bz-f1", "arms[3].rule.mode=f1"}, map[string]string{
			"bluezone-20": "bluezone-20, bluezone-40", "bluezone-40": "bluezone-20, bluezone-40", "gaen-20": "gaen", "bz-f1": "bz-f1"}},
		{"calibration apart", []string{"arms[0].calibrated=true"}, map[string]string{
			"bluezone-20": "bluezone-20", "bluezone-40": "bluezone-40", "gaen-20": "gaen", "gaen-40": "gaen"}},
		{"a ramp is adoption", []string{"arms[0].ramp={from: 0.05, days: 5}"}, map[string]string{
			"bluezone-20": "bluezone", "bluezone-40": "bluezone", "gaen-20": "gaen", "gaen-40": "gaen"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := scenarios.LoadBuiltin("town", tc.sets...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ArmSeries(l.Scenario)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("series %v, want %v", got, tc.want)
			}
			o := Options{ArmSeries: got}
			for arm, s := range tc.want {
				if o.Series(arm) != s {
					t.Errorf("Series(%s) = %s, want %s", arm, o.Series(arm), s)
				}
			}
			if (Options{}).Series("x") != "x" {
				t.Errorf("without the scenario an arm is its own curve")
			}
		})
	}
}
