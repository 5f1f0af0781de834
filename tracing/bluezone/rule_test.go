package bluezone

import (
	"testing"

	"github.com/bluesim/bluesim/tracing"
)

func TestRule(t *testing.T) {
	const m0 = int64(vecStart) * 1000
	// Three records in minute 0 (5 s apart), one in minute 1 and one in
	// minute 7; RSSI from strong to weak.
	seen := []tracing.Sighting{
		{Time: m0, RSSI: -60},
		{Time: m0 + 5_000, RSSI: -70},
		{Time: m0 + 10_000, RSSI: -80},
		{Time: m0 + 65_000, RSSI: -87},
		{Time: m0 + 7*60_000 + 59_999, RSSI: -75},
	}
	aa := OSPair{}
	ai := OSPair{SenderIOS: true}
	ia := OSPair{ReceiverIOS: true}
	ii := OSPair{ReceiverIOS: true, SenderIOS: true}
	rssi := DefaultRuleParams()
	rssi.UseRSSI = true
	for _, tc := range []struct {
		name        string
		p           RuleParams
		seen        []tracing.Sighting
		pair        OSPair
		notify      bool
		kept, mins  int
		threshold   int
		first, last int64
	}{
		{"default: one sighting is enough", DefaultRuleParams(), seen[4:], aa, true, 1, 1, 0, m0 + 7*60_000 + 59_999, m0 + 7*60_000 + 59_999},
		{"default: nothing matched", DefaultRuleParams(), nil, aa, false, 0, 0, 0, 0, 0},
		{"default: all kept", DefaultRuleParams(), seen, ii, true, 5, 3, 0, m0, m0 + 7*60_000 + 59_999},
		{"android<-android -86", rssi, seen, aa, true, 4, 2, -86, m0, m0 + 7*60_000 + 59_999},
		{"android<-ios -69", rssi, seen, ai, true, 1, 1, -69, m0, m0},
		{"ios<-android -88", rssi, seen, ia, true, 5, 3, -88, m0, m0 + 7*60_000 + 59_999},
		{"ios<-ios -74", rssi, seen, ii, true, 2, 1, -74, m0, m0 + 5_000},
		{"ios<-ios, all too weak", rssi, seen[2:4], ii, false, 0, 0, -74, 0, 0},
		{"3 minutes needed, 3 distinct", RuleParams{MinMinutes: 3}, seen, aa, true, 5, 3, 0, m0, m0 + 7*60_000 + 59_999},
		{"4 minutes needed, 3 distinct", RuleParams{MinMinutes: 4}, seen, aa, false, 5, 3, 0, m0, m0 + 7*60_000 + 59_999},
		{"2 minutes after RSSI", RuleParams{UseRSSI: true, RSSI: DefaultRSSIThresholds(), MinMinutes: 2}, seen, ii, false, 2, 1, -74, m0, m0 + 5_000},
	} {
		r, err := NewRule(tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		notify, ev := r.Classify(tc.seen, tc.pair)
		if notify != tc.notify || ev.Kept != tc.kept || ev.Minutes != tc.mins || ev.Threshold != tc.threshold ||
			ev.First != tc.first || ev.Last != tc.last || ev.Matched != len(tc.seen) {
			t.Errorf("%s: notify %v %+v, want notify %v kept %d minutes %d threshold %d first %d last %d",
				tc.name, notify, ev, tc.notify, tc.kept, tc.mins, tc.threshold, tc.first, tc.last)
		}
	}
}

func TestRuleParamsValidate(t *testing.T) {
	bad := DefaultRuleParams()
	bad.UseRSSI = true
	bad.RSSI.IOSIOS = -200
	if _, err := NewRule(bad); err == nil {
		t.Error("threshold -200 accepted")
	}
	bad = DefaultRuleParams()
	bad.MinMinutes = -1
	if _, err := NewRule(bad); err == nil {
		t.Error("min_minutes -1 accepted")
	}
	if th := DefaultRSSIThresholds(); th != (RSSIThresholds{-86, -69, -88, -74}) {
		t.Errorf("defaults %+v", th)
	}
}
