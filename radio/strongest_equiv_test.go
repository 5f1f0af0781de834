package radio_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
)

// The statistical equivalence check of a kept-record sampler against the
// reference (every record, radio.Model.Records, folded by
// radio.KeepStrongest). Model.Strongest is exact, so it must pass with no
// difference at all; the check is written for any sampler that keeps
// each minute's strongest record, and TestEquivalenceCatchesBias shows it
// has the power to catch a 1 dB bias and a lost minute in ten.
//
// Tolerances, each at a significance of about 0.001:
//   - kept RSSIs (whole dBm), per environment: two-sample Kolmogorov–
//     Smirnov D at most 1.95·√((n+m)/(n·m));
//   - kept RSSIs pooled: the 5, 25, 50, 75 and 95 % quantiles within
//     0.5 dB (RSSIs are whole dBm, so any shift of one step fails);
//   - kept records: the counts within 3·√(n+m) of each other;
//   - verdicts of the Bluezone rule with its deployed parameters, any
//     sighting and F1 (the apps' per-OS-pair RSSI thresholds, 15
//     distinct minutes), paired by contact: McNemar's χ² =
//     (b−c)²/(b+c) at most 10.83 over the b and c discordant contacts.
const (
	ksC         = 1.949
	quantileTol = 0.5
	mcNemarMax  = 10.83
)

// contact is one simulated encounter: what the receiver (rx) stores of the
// sender (tx) over minutes minutes.
type contact struct {
	env            radio.Environment
	d              float64
	rxIOS, txIOS   bool
	rxCarr, txCarr radio.Carriage
	fg             bool
	minutes        int
	seed           uint64
}

// contacts is the fixed seed set: eight seeds of environments × distances
// × OS pairs × carriages, foreground and background, contacts of 5 to 40
// minutes.
func contacts() []contact {
	var cs []contact
	carr := []radio.Carriage{radio.Hand, radio.FrontPocket, radio.BackPocket, radio.Bag}
	i := uint64(0)
	for range 8 {
		for _, env := range radio.Environments() {
			for _, d := range []float64{0.5, 1, 2, 3, 5, 8} {
				for osPair := range 4 {
					for _, c := range carr {
						i++
						cs = append(cs, contact{env: env, d: d, rxIOS: osPair&1 != 0, txIOS: osPair&2 != 0,
							rxCarr: c, txCarr: carr[(i/4)%4], fg: i%3 == 0, minutes: 5 + int(i*7)%36, seed: i})
					}
				}
			}
		}
	}
	return cs
}

// sampler returns the kept records of one receiver window.
type sampler func(m *radio.Model, l radio.Link, w radio.ScanWindow, key radio.StreamKey, bucketS, until float64, out []radio.Record) []radio.Record

func reference(m *radio.Model, l radio.Link, w radio.ScanWindow, key radio.StreamKey, bucketS, until float64, out []radio.Record) []radio.Record {
	return radio.KeepStrongest(m.Records(l, w, key, nil), bucketS, until, out)
}

func direct(m *radio.Model, l radio.Link, w radio.ScanWindow, key radio.StreamKey, bucketS, until float64, out []radio.Record) []radio.Record {
	return m.Strongest(l, w, key, bucketS, until, out)
}

// outcome is what one sampler made of the contact set.
type outcome struct {
	rssi  [3][]int8 // kept RSSIs per environment
	count int
	any   []bool // per contact: the any-sighting verdict
	f1    []bool // per contact: the F1 verdict
}

// simulate runs every contact through s: the receiver's scan windows over
// the contact, kept per minute, stored as the app stores them (whole dBm,
// millisecond times), then the rules.
func simulate(t *testing.T, m *radio.Model, cs []contact, s sampler) outcome {
	t.Helper()
	anyRule, err := bluezone.NewRule(bluezone.DefaultRuleParams())
	if err != nil {
		t.Fatal(err)
	}
	f1p := bluezone.DefaultRuleParams()
	f1p.Mode = bluezone.ModeF1
	f1Rule, err := bluezone.NewRule(f1p)
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	var kept []radio.Record
	var sights []tracing.Sighting
	for _, c := range cs {
		osOf := func(ios bool) radio.OS {
			if ios {
				return radio.IOS
			}
			return radio.Android
		}
		rxOS, txOS := osOf(c.rxIOS), osOf(c.txIOS)
		rs := m.NewSchedule(radio.KindFor(radio.Bluezone, rxOS), radio.Hash(c.seed, 1))
		ts := m.NewSchedule(radio.KindFor(radio.Bluezone, txOS), radio.Hash(c.seed, 2))
		l := radio.Link{DistanceM: c.d, Env: c.env, People: int(c.seed % 2),
			Rx: radio.Phone{Sched: &rs, OS: rxOS, Carriage: c.rxCarr, Foreground: c.fg, Offsets: m.ModelOffsets(c.seed, 1)},
			Tx: radio.Phone{Sched: &ts, OS: txOS, Carriage: c.txCarr, Foreground: c.fg, Offsets: m.ModelOffsets(c.seed, 2)}}
		from := 3600 * float64(c.seed%24)
		to := from + 60*float64(c.minutes)
		sights = sights[:0]
		for _, w := range rs.AppendWindows(nil, from, to, c.fg) {
			key := radio.StreamKey{Seed: 1, Pair: radio.PairKey(2*c.seed, 2*c.seed+1), Pose: uint64(w.Start / 60),
				Window: radio.WindowKey(2*c.seed, w.Index)}
			kept = s(m, l, w, key, 60, to, kept[:0])
			for _, r := range kept {
				v := radio.Reported(r.RSSI)
				o.rssi[c.env] = append(o.rssi[c.env], v)
				sights = append(sights, tracing.Sighting{Time: int64(math.Floor(r.T * 1000)), RSSI: v})
			}
			o.count += len(kept)
		}
		pair := bluezone.OSPair{ReceiverIOS: c.rxIOS, SenderIOS: c.txIOS}
		a, _ := anyRule.Classify(sights, pair)
		f, _ := f1Rule.Classify(sights, pair)
		o.any, o.f1 = append(o.any, a), append(o.f1, f)
	}
	return o
}

// ks is the two-sample Kolmogorov–Smirnov statistic of integer samples.
func ks(a, b []int8) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	i, j, d := 0, 0, 0.0
	for i < len(a) && j < len(b) {
		v := min(a[i], b[j])
		for i < len(a) && a[i] == v {
			i++
		}
		for j < len(b) && b[j] == v {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// quantile is the q-quantile of sorted (nearest rank).
func quantile(sorted []int8, q float64) float64 {
	return float64(sorted[min(len(sorted)-1, int(q*float64(len(sorted))))])
}

// mcNemar is the paired χ² statistic of two verdict lists (0 without
// discordant pairs).
func mcNemar(x, y []bool) (float64, int, int) {
	b, c := 0, 0
	for i := range x {
		switch {
		case x[i] && !y[i]:
			b++
		case !x[i] && y[i]:
			c++
		}
	}
	if b+c == 0 {
		return 0, 0, 0
	}
	return float64((b-c)*(b-c)) / float64(b+c), b, c
}

// equivalent reports every check alt fails against ref (nil: all pass).
func equivalent(ref, alt outcome) error {
	var errs []error
	var pr, pa []int8
	for e := range 3 {
		r, a := ref.rssi[e], alt.rssi[e]
		pr, pa = append(pr, r...), append(pa, a...)
		if len(r) == 0 || len(a) == 0 {
			errs = append(errs, fmt.Errorf("%v: %d and %d kept records", radio.Environment(e), len(r), len(a)))
			continue
		}
		n, m := float64(len(r)), float64(len(a))
		if d, crit := ks(r, a), ksC*math.Sqrt((n+m)/(n*m)); d > crit {
			errs = append(errs, fmt.Errorf("%v: kept RSSI KS D = %.4f above %.4f", radio.Environment(e), d, crit))
		}
	}
	slices.Sort(pr)
	slices.Sort(pa)
	for _, q := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		if d := quantile(pa, q) - quantile(pr, q); math.Abs(d) > quantileTol {
			errs = append(errs, fmt.Errorf("kept RSSI %g quantile differs by %+g dB", q, d))
		}
	}
	if d := float64(alt.count - ref.count); math.Abs(d) > 3*math.Sqrt(float64(alt.count+ref.count)) {
		errs = append(errs, fmt.Errorf("%d kept records, reference %d", alt.count, ref.count))
	}
	for _, v := range []struct {
		name   string
		rf, al []bool
	}{{"any-sighting", ref.any, alt.any}, {"f1", ref.f1, alt.f1}} {
		if x, b, c := mcNemar(v.rf, v.al); x > mcNemarMax {
			errs = append(errs, fmt.Errorf("%s verdicts: %d contacts only the reference notifies, %d only the sampler (McNemar %.1f)", v.name, b, c, x))
		}
	}
	return errors.Join(errs...)
}

func model(t *testing.T) *radio.Model {
	t.Helper()
	p := radio.DefaultParams()
	// The contact set was built for 30 s iOS windows: twice as many
	// windows, whose verdicts a planted +1 dB bias flips often enough for
	// the f1 check to see it.
	p.BluezoneIOSScanChunkS = 30
	m, err := radio.NewModel(p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStrongestEquivalent: the direct per-minute maximum passes every
// check against the reference, on a contact set whose verdicts are mixed.
func TestStrongestEquivalent(t *testing.T) {
	m := model(t)
	cs := contacts()
	ref := simulate(t, m, cs, reference)
	alt := simulate(t, m, cs, direct)
	if err := equivalent(ref, alt); err != nil {
		t.Fatal(err)
	}
	nAny, nF1 := 0, 0
	for i := range ref.any {
		if ref.any[i] {
			nAny++
		}
		if ref.f1[i] {
			nF1++
		}
	}
	t.Logf("%d contacts, %d kept records; any-sighting notifies %d, f1 %d", len(cs), ref.count, nAny, nF1)
	if ref.count < 20000 || nF1 == 0 || nF1 == nAny || nAny == len(cs) {
		t.Fatalf("the contact set does not exercise the checks: %d records, %d of %d notified (any), %d (f1)", ref.count, nAny, len(cs), nF1)
	}
	if ref.count != alt.count || !slices.Equal(ref.any, alt.any) || !slices.Equal(ref.f1, alt.f1) {
		t.Fatal("the direct path is exact but its outcome differs from the reference")
	}
}

// TestEquivalenceCatchesBias plants faults in the direct path and checks
// that the equivalence check fails: every kept RSSI 1 dB high, and one
// kept minute in ten lost.
func TestEquivalenceCatchesBias(t *testing.T) {
	m := model(t)
	cs := contacts()
	ref := simulate(t, m, cs, reference)
	for _, c := range []struct {
		name string
		want []string // checks that must fail
		s    sampler
	}{
		{"+1 dB", []string{"KS D", "quantile", "f1 verdicts"}, func(m *radio.Model, l radio.Link, w radio.ScanWindow, key radio.StreamKey, b, u float64, out []radio.Record) []radio.Record {
			n := len(out)
			out = m.Strongest(l, w, key, b, u, out)
			for i := n; i < len(out); i++ {
				out[i].RSSI++
			}
			return out
		}},
		{"a minute in ten lost", []string{"kept records", "f1 verdicts"}, func(m *radio.Model, l radio.Link, w radio.ScanWindow, key radio.StreamKey, b, u float64, out []radio.Record) []radio.Record {
			n := len(out)
			out = m.Strongest(l, w, key, b, u, out)
			left := slices.DeleteFunc(out[n:], func(r radio.Record) bool { return radio.Hash(math.Float64bits(r.T))%10 == 0 })
			return out[:n+len(left)]
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := equivalent(ref, simulate(t, m, cs, c.s))
			if err == nil {
				t.Fatal("the check passed a biased sampler")
			}
			t.Logf("caught: %v", err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("no %q check failed", w)
				}
			}
		})
	}
}
