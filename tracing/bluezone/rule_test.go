package bluezone

import (
	"fmt"
	"math/rand/v2"
	"slices"
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
	rssi.Mode, rssi.MinMinutes = ModeF1, 0
	// Mode f1 with the lowest thresholds: minutes count, RSSI does not.
	low := RSSIThresholds{-127, -127, -127, -127}
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
		{"3 minutes needed, 3 distinct", RuleParams{Mode: ModeF1, RSSI: low, MinMinutes: 3}, seen, aa, true, 5, 3, -127, m0, m0 + 7*60_000 + 59_999},
		{"4 minutes needed, 3 distinct", RuleParams{Mode: ModeF1, RSSI: low, MinMinutes: 4}, seen, aa, false, 5, 3, -127, m0, m0 + 7*60_000 + 59_999},
		{"mode any ignores minutes", RuleParams{Mode: ModeAny, RSSI: low, MinMinutes: 4}, seen, aa, true, 5, 3, 0, m0, m0 + 7*60_000 + 59_999},
		{"2 minutes after RSSI", RuleParams{Mode: ModeF1, RSSI: DefaultRSSIThresholds(), MinMinutes: 2}, seen, ii, false, 2, 1, -74, m0, m0 + 5_000},
	} {
		r, err := NewRule(tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		notify, ev := r.Classify(tc.seen, tc.pair)
		if got, err := r.Decide(&tracing.Exposure{Sightings: tc.seen, ReceiverIOS: tc.pair.ReceiverIOS, SenderIOS: tc.pair.SenderIOS}); err != nil || got != notify {
			t.Errorf("%s: Decide = %v, %v; Classify %v", tc.name, got, err, notify)
		}
		if notify != tc.notify || ev.Kept != tc.kept || ev.Minutes != tc.mins || ev.Threshold != tc.threshold ||
			ev.First != tc.first || ev.Last != tc.last || ev.Matched != len(tc.seen) {
			t.Errorf("%s: notify %v %+v, want notify %v kept %d minutes %d threshold %d first %d last %d",
				tc.name, notify, ev, tc.notify, tc.kept, tc.mins, tc.threshold, tc.first, tc.last)
		}
	}
}

func TestRuleParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*RuleParams)
		want string // "" for valid
	}{
		{"default", func(*RuleParams) {}, ""},
		{"f1", func(p *RuleParams) { p.Mode = ModeF1 }, ""},
		{"threshold -200", func(p *RuleParams) { p.Mode, p.RSSI.IOSIOS = ModeF1, -200 }, "rssi.ios_ios: must be between -127 and 0, got -200"},
		{"positive threshold", func(p *RuleParams) { p.Mode, p.RSSI.AndroidIOS = ModeF1, 5 }, "rssi.android_ios: must be between -127 and 0, got 5"},
		{"min_minutes -1", func(p *RuleParams) { p.Mode, p.MinMinutes = ModeF1, -1 }, "min_minutes: must be between 0 and 20160, got -1"},
		{"mode any ignores the f1 fields", func(p *RuleParams) { p.MinMinutes, p.RSSI.IOSIOS = -1, -200 }, ""},
		{"unknown mode", func(p *RuleParams) { p.Mode = "f2" }, `mode: unknown mode "f2" (did you mean "f1"?) (want any or f1)`},
	} {
		p := DefaultRuleParams()
		tc.edit(&p)
		err := p.Validate()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.want)
		}
		if _, err2 := p.NewRule(); (err2 == nil) != (err == nil) {
			t.Errorf("%s: NewRule error %v, Validate %v", tc.name, err2, err)
		}
	}
	if th := DefaultRSSIThresholds(); th != (RSSIThresholds{-86, -69, -88, -74}) {
		t.Errorf("defaults %+v", th)
	}
}

// TestScoreOrderFree: Score counts distinct minutes in one pass for
// sightings in time order and by sorting otherwise; both give the same
// verdict and summary, and the verdict is Classify's.
func TestScoreOrderFree(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, p := range []RuleParams{DefaultRuleParams(), {Mode: ModeF1, RSSI: DefaultRSSIThresholds(), MinMinutes: 5}} {
		rule, err := NewRule(p)
		if err != nil {
			t.Fatal(err)
		}
		for trial := range 200 {
			n := r.IntN(200)
			seen := make([]tracing.Sighting, n)
			tm := int64(1_600_000_000_000)
			for i := range seen {
				tm += int64(r.IntN(3)) * int64(r.IntN(40_000))
				seen[i] = tracing.Sighting{Time: tm, RSSI: int8(-50 - r.IntN(50))}
			}
			for _, pair := range []OSPair{{}, {ReceiverIOS: true, SenderIOS: true}} {
				x := &tracing.Exposure{Sightings: seen, ReceiverIOS: pair.ReceiverIOS, SenderIOS: pair.SenderIOS}
				var sIn, sOut tracing.Score
				okIn, _ := rule.Score(x, &sIn)
				shuffled := slices.Clone(seen)
				r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				okOut, _ := rule.Score(&tracing.Exposure{Sightings: shuffled, ReceiverIOS: pair.ReceiverIOS, SenderIOS: pair.SenderIOS}, &sOut)
				okC, ev := rule.Classify(seen, pair)
				if okIn != okOut || sIn != sOut || okIn != okC || sIn.Value != float64(ev.Minutes) {
					t.Fatalf("trial %d: in order %v %+v, shuffled %v %+v, Classify %v %+v", trial, okIn, sIn, okOut, sOut, okC, ev)
				}
			}
		}
	}
}
