package dp3t

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestRuleEdges checks RuleParams.Score where its definition draws lines:
// an attenuation exactly at the lower threshold falls in the middle
// bucket and one exactly at the upper threshold in the upper bucket
// (buckets are [0, lower), [lower, upper), [upper, ∞)); a sighting one
// minute after midnight stands for a whole scan period, not for the
// minute since the same key's sighting the day before (an exposure starts
// afresh each UTC day); and infinite or NaN attenuations are refused.
func TestRuleEdges(t *testing.T) {
	r := DefaultRuleParams()
	at := func(m time.Duration) int64 { return day0.Add(m).UnixMilli() }
	for _, tc := range []struct {
		att    float64
		bucket int
	}{
		{r.LowerThresholdDB - 0.01, 0}, {r.LowerThresholdDB, 1}, {r.UpperThresholdDB - 0.01, 1}, {r.UpperThresholdDB, 2},
	} {
		days, err := r.Score([]Exposure{{Key: 0, Time: at(time.Hour), AttenuationDB: tc.att}})
		if err != nil {
			t.Fatal(err)
		}
		var want [3]float64
		want[tc.bucket] = r.ScanPeriodMinutes
		if len(days) != 1 || days[0].Minutes != want {
			t.Errorf("attenuation %v dB: %+v, want minutes %v", tc.att, days, want)
		}
	}
	midnight := []Exposure{
		{Key: 4, Time: at(24*time.Hour - time.Minute), AttenuationDB: 40},
		{Key: 4, Time: at(24*time.Hour + time.Minute), AttenuationDB: 40},
	}
	days, err := r.Score(midnight)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Minutes[0] != r.ScanPeriodMinutes || days[1].Minutes[0] != r.ScanPeriodMinutes {
		t.Errorf("23:59 and 00:01: %+v, want %v minutes on each day", days, r.ScanPeriodMinutes)
	}
	for _, bad := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		_, err := r.Score([]Exposure{{Key: 0, Time: at(time.Hour), AttenuationDB: 40}, {Key: 0, Time: at(2 * time.Hour), AttenuationDB: bad}})
		if err == nil || !strings.Contains(err.Error(), "exposure 1 has attenuation") {
			t.Errorf("attenuation %v: error %v, want exposure 1 refused", bad, err)
		}
	}
}
