package bluezone

import (
	"testing"

	"github.com/bluesim/bluesim/tracing"
)

// TestRuleBoundaries checks Classify at the edges its definition draws
// (protocols.md §1.5 step 5; RuleParams): a sighting counts when the
// receiver recorded rssi >= the OS pair's threshold, so one exactly at the
// threshold is kept and one a dB below is not; minutes are UTC wall-clock
// minutes, floor(time / 60 s), so 59.999 s and 60 s are different minutes;
// MinMinutes is met at exactly that many; and the evidence (strongest kept
// RSSI, first and last kept sighting) does not depend on the order the
// sightings come in.
func TestRuleBoundaries(t *testing.T) {
	const m0 = int64(vecStart) * 1000 // a UTC midnight
	th := DefaultRSSIThresholds()
	pairs := []struct {
		pair OSPair
		th   int
	}{
		{OSPair{}, th.AndroidAndroid}, {OSPair{SenderIOS: true}, th.AndroidIOS},
		{OSPair{ReceiverIOS: true}, th.IOSAndroid}, {OSPair{ReceiverIOS: true, SenderIOS: true}, th.IOSIOS},
	}
	for _, p := range pairs {
		r, err := NewRule(RuleParams{Mode: ModeF1, RSSI: th})
		if err != nil {
			t.Fatal(err)
		}
		at := []tracing.Sighting{{Time: m0, RSSI: int8(p.th)}}
		if ok, ev := r.Classify(at, p.pair); !ok || ev.Kept != 1 || ev.MaxRSSI != int8(p.th) || ev.Threshold != p.th {
			t.Errorf("%+v: a sighting at the threshold %d dBm: notify %v %+v, want it kept", p.pair, p.th, ok, ev)
		}
		below := []tracing.Sighting{{Time: m0, RSSI: int8(p.th - 1)}}
		if ok, ev := r.Classify(below, p.pair); ok || ev.Kept != 0 || ev.MaxRSSI != 0 || ev.First != 0 {
			t.Errorf("%+v: a sighting 1 dB under the threshold %d: notify %v %+v, want it dropped", p.pair, p.th, ok, ev)
		}
	}
	// Out of time order, the strongest in the middle and the earliest under
	// the Android->Android threshold (dropped): the evidence is that of the
	// kept sightings.
	mixed := []tracing.Sighting{
		{Time: m0 + 3*60_000, RSSI: -80},
		{Time: m0 + 59_999, RSSI: -60},
		{Time: m0 + 9*60_000, RSSI: -85},
		{Time: m0, RSSI: -90}, // under -86: dropped
		{Time: m0 + 60_000, RSSI: -70},
	}
	r, err := NewRule(RuleParams{Mode: ModeF1, RSSI: th, MinMinutes: 4})
	if err != nil {
		t.Fatal(err)
	}
	ok, ev := r.Classify(mixed, OSPair{})
	want := Evidence{Matched: 5, Kept: 4, Minutes: 4, Threshold: th.AndroidAndroid, MaxRSSI: -60, First: m0 + 59_999, Last: m0 + 9*60_000}
	if !ok || ev != want {
		t.Errorf("mixed order: notify %v %+v, want true %+v", ok, ev, want)
	}
	// Minute edges: 0 and 59.999 s share minute 0; 60 s starts minute 1;
	// 119.999 s is still minute 1.
	for _, tc := range []struct {
		offsets []int64
		minutes int
	}{
		{[]int64{0, 59_999}, 1},
		{[]int64{59_999, 60_000}, 2},
		{[]int64{60_000, 119_999}, 1},
		{[]int64{0, 60_000, 120_000, 179_999}, 3},
	} {
		var s []tracing.Sighting
		for _, o := range tc.offsets {
			s = append(s, tracing.Sighting{Time: m0 + o, RSSI: -50})
		}
		for _, need := range []int{tc.minutes, tc.minutes + 1} {
			r, err := NewRule(RuleParams{Mode: ModeF1, RSSI: RSSIThresholds{AndroidAndroid: -127, AndroidIOS: -127, IOSAndroid: -127, IOSIOS: -127}, MinMinutes: need})
			if err != nil {
				t.Fatal(err)
			}
			ok, ev := r.Classify(s, OSPair{})
			if ev.Minutes != tc.minutes || ok != (need <= tc.minutes) {
				t.Errorf("offsets %v ms, %d minutes needed: notify %v, %d minutes; want %d minutes", tc.offsets, need, ok, ev.Minutes, tc.minutes)
			}
		}
	}
}
