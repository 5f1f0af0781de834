package bluezone

import (
	"cmp"
	"math"
	"slices"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/tracing"
)

// RSSIThresholds are the "close contact" thresholds of the apps' history
// screens, RssiThreshold_<self>_<peer>: a sighting counts when the
// receiving phone (self) recorded rssi >= the threshold for the pair of
// receiver and sender OS (protocols.md §1.5 step 5, dBm).
type RSSIThresholds struct {
	AndroidAndroid int `yaml:"android_android"` // receiver Android, sender Android
	AndroidIOS     int `yaml:"android_ios"`     // receiver Android, sender iOS
	IOSAndroid     int `yaml:"ios_android"`     // receiver iOS, sender Android
	IOSIOS         int `yaml:"ios_ios"`         // receiver iOS, sender iOS
}

// DefaultRSSIThresholds are the apps' values (protocols.md §1.5 step 5):
// Android->Android -86, Android->iOS -69, iOS->Android -88, iOS->iOS -74 dBm.
func DefaultRSSIThresholds() RSSIThresholds {
	return RSSIThresholds{AndroidAndroid: -86, AndroidIOS: -69, IOSAndroid: -88, IOSIOS: -74}
}

// OSPair says which OS the receiving phone (the one that stored the
// sightings) and the sending phone (the F0 whose IDs matched) run.
type OSPair struct {
	ReceiverIOS bool
	SenderIOS   bool
}

// For returns the threshold for pair.
func (th RSSIThresholds) For(pair OSPair) int {
	switch {
	case !pair.ReceiverIOS && !pair.SenderIOS:
		return th.AndroidAndroid
	case !pair.ReceiverIOS:
		return th.AndroidIOS
	case !pair.SenderIOS:
		return th.IOSAndroid
	}
	return th.IOSIOS
}

// Rule modes.
const (
	// ModeAny notifies on any matched sighting: the phone's own test, as
	// the deployed app did (protocols.md §1.5 step 3).
	ModeAny = "any"
	// ModeF1 keeps only sightings at or above the OS pair's RSSI threshold
	// and needs MinMinutes distinct minutes of them: a server-side F1
	// classification (protocols.md §1.5 steps 4 and 5).
	ModeF1 = "f1"
)

// RuleParams configure who is notified: which phones whose sightings
// matched an F0 are treated as close contacts. The real F1 rule ran on the
// closed server and was never published (protocols.md §1.5 step 4, "rules
// unconfirmed"); the default is the phone's own test, any matched
// sighting. It is a scenario arm's rule block for protocols bluezone and
// bluezone-v1.
type RuleParams struct {
	// Mode is "any" (notify on any matched sighting, as the deployed app
	// did, protocols.md §1.5 step 3) or "f1" (also need MinMinutes of
	// sightings at or above the RSSI threshold of the OS pair).
	Mode string `yaml:"mode"`
	// RSSI (f1) are the per-OS-pair RSSI thresholds in dBm, the app's
	// "close" thresholds (protocols.md §1.5 step 5).
	RSSI RSSIThresholds `yaml:"rssi"`
	// MinMinutes (f1) is the minimum exposure: distinct UTC wall-clock
	// minutes (floor(time / 60 s)) holding a sighting at or above the
	// threshold. Distinct minutes rather than a sum of 5-second records,
	// because the record rate depends on the scanner, not on the contact:
	// an Android phone in the background scans 40 s of every 300 s while
	// iOS scans continuously (protocols.md §1.3, §1.4), so the same 10
	// minutes together yield about 16 records on one phone and 120 on
	// another. A minute with any sighting is the unit both agree on.
	MinMinutes int `yaml:"min_minutes"`
}

// DefaultRuleParams: any matched sighting is a close contact (the app's
// thresholds and 15 minutes are kept for mode f1).
func DefaultRuleParams() RuleParams {
	return RuleParams{Mode: ModeAny, RSSI: DefaultRSSIThresholds(), MinMinutes: 15}
}

// Validate reports every problem with p (check.Errors by YAML key).
func (p RuleParams) Validate() error {
	l := check.New("")
	if !l.OneOf("mode", "mode", p.Mode, []string{ModeAny, ModeF1}) || p.Mode != ModeF1 {
		return l.Err()
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"android_android", p.RSSI.AndroidAndroid}, {"android_ios", p.RSSI.AndroidIOS},
		{"ios_android", p.RSSI.IOSAndroid}, {"ios_ios", p.RSSI.IOSIOS},
	} {
		// A stored RSSI is a signed byte and BLE receivers report negative
		// dBm.
		l.IntBetween("rssi."+f.name, f.v, -127, 0)
	}
	l.IntBetween("min_minutes", p.MinMinutes, 0, TraceDays*24*60)
	return l.Err()
}

// NewRule returns p's decision code (tracing.RuleParams).
func (p RuleParams) NewRule() (tracing.Rule, error) { return NewRule(p) }

// Rule is a validated F1 classification rule. Decide and Score keep
// arrays from call to call, so a Rule is used by one goroutine at a time
// (tracing.Rule); Classify keeps nothing and is safe for concurrent use.
type Rule struct {
	p    RuleParams
	kept []int64 // Score's scratch: minutes of kept sightings
	all  []int64 // minutes of every sighting
}

// NewRule checks p and returns the rule.
func NewRule(p RuleParams) (*Rule, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &Rule{p: p}, nil
}

// Decide classifies the exposure's sightings for its OS pair
// (tracing.Rule).
func (r *Rule) Decide(x *tracing.Exposure) (bool, error) { return r.Score(x, nil) }

// Score classifies as Decide and fills s (when not nil) with the
// exposure summary (tracing.Score): Minutes[0] counts the distinct
// minutes holding a sighting at or above the OS pair's RSSI threshold
// (every minute with a sighting in mode any), Minutes[1] the minutes with
// sightings only below it; the decision statistic is Minutes[0] against
// MinMinutes (at least one minute).
func (r *Rule) Score(x *tracing.Exposure, s *tracing.Score) (bool, error) {
	pair := OSPair{ReceiverIOS: x.ReceiverIOS, SenderIOS: x.SenderIOS}
	f1 := r.p.Mode == ModeF1
	th, minMinutes := 0, 0
	if f1 {
		th, minMinutes = r.p.RSSI.For(pair), r.p.MinMinutes
	}
	// Distinct minutes of the kept sightings and of all of them: counted
	// in one pass when the sightings come in time order (as a simulator
	// gives them), else collected, sorted and counted.
	inOrder := slices.IsSortedFunc(x.Sightings, func(a, b tracing.Sighting) int { return cmp.Compare(a.Time, b.Time) })
	var nKept, nAll int
	first := int64(0)
	lastKept, lastAll := int64(math.MinInt64), int64(math.MinInt64)
	kept, all := r.kept[:0], r.all[:0]
	for i := range x.Sightings {
		sg := &x.Sightings[i]
		m := floorDiv(sg.Time, 60_000)
		keep := !f1 || int(sg.RSSI) >= th
		if keep && (nKept == 0 || m < first) {
			first = m
		}
		switch {
		case !inOrder:
			all = append(all, m)
			if keep {
				kept = append(kept, m)
			}
			nKept += b2i(keep)
		default:
			if m != lastAll {
				nAll, lastAll = nAll+1, m
			}
			if keep && m != lastKept {
				nKept, lastKept = nKept+1, m
			}
		}
	}
	if !inOrder {
		slices.Sort(kept)
		slices.Sort(all)
		kept, all = slices.Compact(kept), slices.Compact(all)
		nKept, nAll = len(kept), len(all)
	}
	r.kept, r.all = kept, all
	notify := nKept > 0 && nKept >= minMinutes
	if s != nil {
		*s = tracing.Score{Value: float64(nKept), Threshold: float64(max(1, minMinutes)), Sightings: len(x.Sightings)}
		s.Minutes[0], s.Minutes[1] = float64(nKept), float64(nAll-nKept)
		if nKept > 0 {
			s.DayMillis = floorDiv(first*60_000, 86_400_000) * 86_400_000
		}
	}
	return notify, nil
}

// Evidence is why a rule decided as it did.
type Evidence struct {
	Matched   int   // matched sightings given
	Kept      int   // sightings that passed the RSSI filter (all, without one)
	Minutes   int   // distinct minutes holding a kept sighting
	Threshold int   // the RSSI threshold applied (dBm); 0 in mode any
	MaxRSSI   int8  // strongest kept sighting; 0 when none kept
	First     int64 // first kept sighting (Unix ms); 0 when none kept
	Last      int64 // last kept sighting (Unix ms); 0 when none kept
}

// Classify decides whether the phone that stored the matched sightings of
// one F0 is a close contact (notify) and says why.
func (r *Rule) Classify(matched []tracing.Sighting, pair OSPair) (bool, Evidence) {
	ev := Evidence{Matched: len(matched)}
	f1 := r.p.Mode == ModeF1
	minMinutes := 0
	if f1 {
		ev.Threshold = r.p.RSSI.For(pair)
		minMinutes = r.p.MinMinutes
	}
	// Distinct minutes: collect, sort, count; a small stack buffer covers
	// the usual handful of matches without allocating.
	var buf [64]int64
	minutes := buf[:0]
	for i := range matched {
		s := &matched[i]
		if f1 && int(s.RSSI) < ev.Threshold {
			continue
		}
		if ev.Kept == 0 || s.RSSI > ev.MaxRSSI {
			ev.MaxRSSI = s.RSSI
		}
		if ev.Kept == 0 || s.Time < ev.First {
			ev.First = s.Time
		}
		if ev.Kept == 0 || s.Time > ev.Last {
			ev.Last = s.Time
		}
		ev.Kept++
		minutes = append(minutes, floorDiv(s.Time, 60_000))
	}
	slices.Sort(minutes)
	ev.Minutes = len(slices.Compact(minutes))
	return ev.Kept > 0 && ev.Minutes >= minMinutes, ev
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
