package output

import (
	"math"
	"slices"

	"github.com/bluesim/bluesim/sim"
)

// FalseAlarms is summary.json's breakdown of an arm's false alarms (the
// rows of tables/false_positives.csv summed), the numbers the report's
// paragraph on precision quotes.
type FalseAlarms struct {
	// FP is the arm's false alarms.
	FP int64 `json:"fp"`
	// ByDistance and ByDuration sum them over the other dimension, in
	// numeric band order; pairs never within radio range are left out of
	// both and counted in NeverInRange.
	ByDistance []BandShare `json:"by_distance"`
	ByDuration []BandShare `json:"by_duration"`
	// Largest is the cell with the most false alarms.
	Largest FalseAlarmCell `json:"largest"`
	// NeverInRange are people notified who were never within radio range
	// of the index case (an ID heard from another phone).
	NeverInRange BandShare `json:"never_in_range"`
}

// BandShare is a band's false alarms and their share of the arm's.
type BandShare struct {
	Band  string `json:"band"`
	FP    int64  `json:"fp"`
	Share Num    `json:"share"`
}

// FalseAlarmCell is one cell of the breakdown.
type FalseAlarmCell struct {
	DistanceBand string `json:"distance_band"`
	DurationBand string `json:"duration_band"`
	FP           int64  `json:"fp"`
	Share        Num    `json:"share"`
}

// falseAlarms sums arm's rows of r.FalsePositives; nil when it has none.
func falseAlarms(r *sim.Result, arm string) *FalseAlarms {
	fa := &FalseAlarms{ByDistance: []BandShare{}, ByDuration: []BandShare{}, NeverInRange: BandShare{Band: "none"}}
	add := func(list []BandShare, band string, n int64) []BandShare {
		i := slices.IndexFunc(list, func(b BandShare) bool { return b.Band == band })
		if i < 0 {
			return append(list, BandShare{Band: band, FP: n})
		}
		list[i].FP += n
		return list
	}
	for _, f := range r.FalsePositives {
		if f.Arm != arm {
			continue
		}
		fa.FP += f.FP
		if f.DistanceBand == "none" {
			fa.NeverInRange.FP += f.FP
			continue
		}
		// Rows come in numeric band order, so first appearances are too,
		// for distance; durations are ordered after.
		fa.ByDistance = add(fa.ByDistance, f.DistanceBand, f.FP)
		fa.ByDuration = add(fa.ByDuration, f.DurationBand, f.FP)
		if f.FP > fa.Largest.FP {
			fa.Largest = FalseAlarmCell{DistanceBand: f.DistanceBand, DurationBand: f.DurationBand, FP: f.FP}
		}
	}
	if fa.FP == 0 {
		return nil
	}
	slices.SortStableFunc(fa.ByDuration, func(a, b BandShare) int { return compareBands(a.Band, b.Band) })
	for _, list := range [][]BandShare{fa.ByDistance, fa.ByDuration} {
		for i := range list {
			list[i].Share = Num(Ratio(list[i].FP, fa.FP))
		}
	}
	fa.Largest.Share = Num(Ratio(fa.Largest.FP, fa.FP))
	fa.NeverInRange.Share = Num(Ratio(fa.NeverInRange.FP, fa.FP))
	return fa
}

// compareBands orders band labels such as "<5min", "5-15min", ">=60min"
// by their lower edge.
func compareBands(a, b string) int {
	la, lb := bandLow(a), bandLow(b)
	switch {
	case la < lb:
		return -1
	case la > lb:
		return 1
	}
	return 0
}

func bandLow(label string) float64 {
	if len(label) > 0 && label[0] == '<' {
		return -1
	}
	s := label
	if len(s) > 2 && s[:2] == ">=" {
		s = s[2:]
	}
	v, n := 0.0, 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		v = 10*v + float64(c-'0')
		n++
	}
	if n == 0 {
		return 1e18
	}
	return v
}

// delayMedian is the median of arm's delays in r.Delays (the
// notification_delays histogram), counting per bin what count gives: the
// hours within which half of them had come, counted from the first matched
// exposure (the bin's whole hours + 1, as the report says "within N
// hours"). When the median falls in the censored last bin it is that
// bin's hours and censored is true: the delay is known only to be at
// least that long. NaN without any.
func delayMedian(r *sim.Result, arm string, count func(sim.DelayRow) int64) (hours Num, censored bool) {
	var rows []sim.DelayRow
	var total int64
	for _, d := range r.Delays {
		if d.Arm == arm {
			rows = append(rows, d)
			total += count(d)
		}
	}
	if total == 0 {
		return Num(math.NaN()), false
	}
	slices.SortStableFunc(rows, func(a, b sim.DelayRow) int { return a.Hours - b.Hours })
	var run int64
	for _, d := range rows {
		run += count(d)
		if 2*run >= total {
			if d.Censored {
				return Num(d.Hours), true
			}
			return Num(d.Hours + 1), false
		}
	}
	return Num(math.NaN()), false
}

// setDelays fills s's delay medians (every notification, true positives,
// false alarms) and its censored share from r.Delays.
func setDelays(s *ArmSummary, r *sim.Result) {
	all := func(d sim.DelayRow) int64 { return d.TruePositives + d.FalseAlarms }
	s.MedianDelayHours, s.MedianDelayCensored = delayMedian(r, s.Name, all)
	s.TruePositiveMedianDelayHours, s.TruePositiveMedianDelayCensored = delayMedian(r, s.Name,
		func(d sim.DelayRow) int64 { return d.TruePositives })
	s.FalseAlarmMedianDelayHours, s.FalseAlarmMedianDelayCensored = delayMedian(r, s.Name,
		func(d sim.DelayRow) int64 { return d.FalseAlarms })
	var total, late int64
	for _, d := range r.Delays {
		if d.Arm == s.Name {
			total += all(d)
			if d.Censored {
				late += all(d)
			}
		}
	}
	s.CensoredDelayShare = Num(Ratio(late, total))
}

// delayCensoredHours is the hours of the delay histograms' censored last
// bin; NaN when no notification fell in it.
func delayCensoredHours(r *sim.Result) Num {
	for _, d := range r.Delays {
		if d.Censored {
			return Num(d.Hours)
		}
	}
	return Num(math.NaN())
}

// AttenuationReading is summary.json's contrast of the attenuation the
// phones saw near and far (from the engine's sample of scans): what the
// report's paragraph on distance quotes.
type AttenuationReading struct {
	// NearMedianDB is the median attenuation of pairs under 1 m apart,
	// NearP10DB and NearP90DB its 10th and 90th percentiles; FarMedianDB
	// the median of pairs 2 to 4 m apart. NearSamples and FarSamples
	// count the scans behind them.
	NearMedianDB Num `json:"near_median_db"`
	NearP10DB    Num `json:"near_p10_db"`
	NearP90DB    Num `json:"near_p90_db"`
	FarMedianDB  Num `json:"far_median_db"`
	NearSamples  int `json:"near_samples"`
	FarSamples   int `json:"far_samples"`
}

// attenuationReading contrasts near and far scans; nil with fewer than 5
// of either.
func attenuationReading(r *sim.Result) *AttenuationReading {
	var near, far []float64
	for _, s := range r.Attenuation {
		switch {
		case s.DistanceM < 1:
			near = append(near, s.AttenuationDB)
		case s.DistanceM >= 2 && s.DistanceM < 4:
			far = append(far, s.AttenuationDB)
		}
	}
	if len(near) < 5 || len(far) < 5 {
		return nil
	}
	slices.Sort(near)
	slices.Sort(far)
	q := func(v []float64, p float64) float64 { return v[int(p*float64(len(v)-1))] }
	med := func(v []float64) float64 {
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	return &AttenuationReading{NearMedianDB: Num(med(near)), NearP10DB: Num(q(near, 0.1)), NearP90DB: Num(q(near, 0.9)),
		FarMedianDB: Num(med(far)), NearSamples: len(near), FarSamples: len(far)}
}
