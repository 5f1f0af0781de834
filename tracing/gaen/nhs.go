package gaen

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// NHSRiskScore is the risk score of the NHS COVID-19 app (England and
// Wales) on the GAEN v2 API: each exposure window's scan instances
// (minimum attenuation and seconds since the last scan) become one
// observation per sample of SampleResolution seconds, missing between
// scans; an unscented Kalman smoother over the distance (transition: the
// distance moves by ExpectedDistance per sample; observation: the log of
// the attenuation is RSSIWeight·ln(distance) + RSSIIntercept with variance
// RSSICovariance) gives each sample a distance distribution, read as a
// gamma distribution with the smoothed mean and variance and summarised
// by its median; each sample counts SampleResolution/60 minutes scaled by
// min(1, MinimumDistance²/distance²). The app multiplies the window's sum
// by 60 and by the window's infectiousness weight, and notifies when a
// window of the last days reaches the v2 risk threshold.
//
// Source: the app's published configuration
// (ukhsa-collaboration/covid19-app-system-public,
// src/static/exposure-configuration.json, commit 621f1c8: riskScore and
// v2RiskCalculation) and the scoring library the apps call
// (ukhsa-collaboration/riskscore-swift-public: RiskScoreCalculator,
// BLEDistanceUnscentedKalmanSmoother, the one-dimensional augmented
// unscented Kalman smoother, QuadraticRiskScore), with the window rule of
// the Android app's ExposureWindowRiskCalculator
// (covid-19-app-android-ag-public). This is bluesim's own implementation of
// that published algorithm; only the configuration's "log" observation
// type is supported (the one the configuration sets).
type NHSRiskScore struct {
	// SampleResolution is the seconds per sample (configuration
	// sampleResolution 1.0: the library divides secondsSinceLastScan by it
	// and counts each sample as SampleResolution/60 minutes).
	SampleResolution float64 `yaml:"sample_resolution"`
	// ExpectedDistance is the SD of the distance's change per sample in
	// metres (expectedDistance 0.1).
	ExpectedDistance float64 `yaml:"expected_distance"`
	// MinimumDistance is the distance in metres at and below which a
	// sample counts in full (minimumDistance 1.0).
	MinimumDistance float64 `yaml:"minimum_distance"`
	// RSSIWeight, RSSIIntercept and RSSICovariance are the observation
	// model: ln(attenuation) = RSSIWeight·ln(distance) + RSSIIntercept,
	// with noise variance RSSICovariance (rssiParameters).
	RSSIWeight     float64 `yaml:"rssi_weight"`
	RSSIIntercept  float64 `yaml:"rssi_intercept"`
	RSSICovariance float64 `yaml:"rssi_covariance"`
	// InitialMean and InitialCovariance are the distance's prior
	// (initialData: mean 2.0 m, covariance 10.0).
	InitialMean       float64 `yaml:"initial_mean"`
	InitialCovariance float64 `yaml:"initial_covariance"`
	// Alpha, Beta and Kappa place the sigma points (smootherParameters).
	Alpha float64 `yaml:"alpha"`
	Beta  float64 `yaml:"beta"`
	Kappa float64 `yaml:"kappa"`
	// RiskThreshold is v2RiskCalculation.riskThreshold: a window whose
	// risk (60 × score × infectiousness weight) reaches it notifies.
	RiskThreshold float64 `yaml:"risk_threshold"`
}

// DefaultNHSRiskScore is the app's published configuration (commit 621f1c8
// of covid19-app-system-public, src/static/exposure-configuration.json).
func DefaultNHSRiskScore() NHSRiskScore {
	return NHSRiskScore{
		SampleResolution:  1.0,
		ExpectedDistance:  0.1,
		MinimumDistance:   1.0,
		RSSIWeight:        0.1270547531082051,
		RSSIIntercept:     4.2309333657856945,
		RSSICovariance:    0.4947614361027773,
		InitialMean:       2.0,
		InitialCovariance: 10.0,
		Alpha:             1.0,
		Beta:              0.0,
		Kappa:             0.0,
		RiskThreshold:     120,
	}
}

// Validate checks the parameters the smoother needs.
func (c NHSRiskScore) Validate() error {
	pos := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("nhs.%s = %v, want a finite number > 0", name, v)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"sample_resolution", c.SampleResolution}, {"expected_distance", c.ExpectedDistance},
		{"minimum_distance", c.MinimumDistance}, {"rssi_covariance", c.RSSICovariance},
		{"initial_covariance", c.InitialCovariance}, {"alpha", c.Alpha}} {
		if err := pos(f.name, f.v); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"rssi_weight", c.RSSIWeight}, {"rssi_intercept", c.RSSIIntercept}, {"initial_mean", c.InitialMean},
		{"beta", c.Beta}, {"kappa", c.Kappa}, {"risk_threshold", c.RiskThreshold}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fmt.Errorf("nhs.%s = %v, want a finite number", f.name, f.v)
		}
	}
	if c.SampleResolution < 0.1 {
		return fmt.Errorf("nhs.sample_resolution = %v, want at least 0.1 s", c.SampleResolution)
	}
	if c.RiskThreshold < 0 {
		return fmt.Errorf("nhs.risk_threshold = %v, want >= 0", c.RiskThreshold)
	}
	// The sigma points' spread is sqrt(3 + λ) with λ = α²(3 + κ) − 3.
	if s := c.Alpha * c.Alpha * (3 + c.Kappa); !(s > 0) {
		return fmt.Errorf("nhs: alpha² × (3 + kappa) = %v, want > 0", s)
	}
	return nil
}

// maxNHSSamples bounds one window's samples: a window spans at most 30
// minutes of scans, each at most 5 minutes after the previous one, so
// this is only reached by a resolution far below a second.
const maxNHSSamples = 1 << 20

// nhsScratch holds the smoother's per-sample arrays, reused from call to
// call.
type nhsScratch struct {
	val, sec []float64 // the scans: attenuation (dB), seconds since the last
	obs      []float64 // observation per sample, NaN where missing
	mean     []float64 // filtered, then smoothed, distance mean
	cov      []float64 // filtered, then smoothed, distance variance
}

// WindowScore is the library's RiskScoreCalculator.calculate for one
// window's scan instances: the sum over samples of SampleResolution/60
// minutes × min(1, MinimumDistance² / distance²). The app's window risk is
// 60 × this × the window's infectiousness weight. s may be nil; passing
// the same scratch across calls avoids allocating.
func (c NHSRiskScore) WindowScore(instances []ScanInstance, s *nhsScratch) (float64, error) {
	if s == nil {
		s = &nhsScratch{}
	}
	s.val, s.sec = s.val[:0], s.sec[:0]
	for _, si := range instances {
		s.val = append(s.val, float64(si.MinAttenuationDb))
		// The API reports 0..300 s; anything else is clamped into it.
		s.sec = append(s.sec, float64(min(max(si.SecondsSinceLastScan, 0), MaxSecondsSinceLastScan)))
	}
	return c.score(s)
}

// score runs the smoother over the scans in s.val (attenuation, dB) and
// s.sec (seconds since the previous scan).
func (c NHSRiskScore) score(s *nhsScratch) (float64, error) {
	if len(s.val) == 0 {
		return 0, nil
	}
	// Observations: the first scan at sample 0 (its own time since the
	// last scan is dropped), each later one its seconds since the last
	// scan later; samples between scans are missing. The library pads
	// only forward, so a scan landing on or before the last sample is
	// appended next.
	obs := s.obs[:0]
	seq := 0.0
	for i, v := range s.val {
		if i > 0 {
			seq += s.sec[i] / c.SampleResolution
		}
		if !(seq <= maxNHSSamples) {
			return 0, fmt.Errorf("gaen: nhs risk score: window of more than %d samples", maxNHSSamples)
		}
		for at := int(seq); len(obs) < at; {
			obs = append(obs, math.NaN())
		}
		z := math.Log(v)
		if math.IsInf(z, 0) {
			z = math.NaN() // no logarithm (0 dB): the library masks it
		}
		obs = append(obs, z)
	}
	s.obs = obs
	n := len(obs)
	if cap(s.mean) < n {
		s.mean, s.cov = make([]float64, n), make([]float64, n)
	}
	mean, cov := s.mean[:n], s.cov[:n]

	// Sigma points of the augmented state (distance, transition noise,
	// observation noise): the centre, then ± sqrt(scale·variance) along
	// each axis, in the library's order (distance +, transition +,
	// observation +, distance −, transition −, observation −).
	const dim = 3.0
	lambda := c.Alpha*c.Alpha*(dim+c.Kappa) - dim
	scale := dim + lambda
	wm0, wc0, wi := lambda/scale, lambda/scale+(1-c.Alpha*c.Alpha+c.Beta), 1/(2*scale)
	q := c.ExpectedDistance * c.ExpectedDistance
	tq, tr := math.Sqrt(scale*q), math.Sqrt(scale*c.RSSICovariance)
	weightM := func(i int) float64 {
		if i == 0 {
			return wm0
		}
		return wi
	}
	weightC := func(i int) float64 {
		if i == 0 {
			return wc0
		}
		return wi
	}
	observe := func(d, noise float64) float64 { return c.RSSIWeight*math.Log(math.Abs(d)) + c.RSSIIntercept + noise }

	// Filter.
	m, p := c.InitialMean, c.InitialCovariance
	for t := range n {
		sp := math.Sqrt(scale * p)
		x := [7]float64{m, m + sp, m, m, m - sp, m, m}
		if t > 0 {
			tn := [7]float64{0, 0, tq, 0, 0, -tq, 0}
			for i := range x {
				x[i] = math.Abs(x[i] + tn[i])
			}
		}
		var pm float64
		for i := range x {
			pm += weightM(i) * x[i]
		}
		var pp float64
		for i := range x {
			pp += weightC(i) * (x[i] - pm) * (x[i] - pm)
		}
		m, p = pm, pp
		if z := obs[t]; !math.IsNaN(z) {
			on := [7]float64{0, 0, 0, tr, 0, 0, -tr}
			var y [7]float64
			var zm float64
			for i := range x {
				y[i] = observe(x[i], on[i])
				zm += weightM(i) * y[i]
			}
			var zz, xz float64
			for i := range x {
				zz += weightC(i) * (y[i] - zm) * (y[i] - zm)
				xz += weightC(i) * (x[i] - pm) * (y[i] - zm)
			}
			k := xz / zz
			m, p = pm+k*(z-zm), pp-k*xz
		}
		mean[t], cov[t] = m, p
	}
	// Smoother, backwards: the same seven points, without observation noise.
	for t := n - 2; t >= 0; t-- {
		fm, fp := mean[t], cov[t]
		sp := math.Sqrt(scale * fp)
		x := [7]float64{fm, fm + sp, fm, fm, fm - sp, fm, fm}
		tn := [7]float64{0, 0, tq, 0, 0, -tq, 0}
		var y [7]float64
		var pm float64
		for i := range x {
			y[i] = math.Abs(x[i] + tn[i])
			pm += weightM(i) * y[i]
		}
		var pp, cross float64
		for i := range x {
			pp += weightC(i) * (y[i] - pm) * (y[i] - pm)
			cross += weightC(i) * (y[i] - pm) * (x[i] - fm)
		}
		g := cross / pp
		mean[t] = fm + g*(mean[t+1]-pm)
		cov[t] = fp + g*g*(cov[t+1]-pp)
	}
	// Risk: each sample's median distance under a gamma with the smoothed
	// mean and variance.
	minutes := c.SampleResolution / 60
	md2 := c.MinimumDistance * c.MinimumDistance
	var sum float64
	for t := range n {
		d := gammaMedian(mean[t]*mean[t]/cov[t], cov[t]/mean[t])
		w := md2 / (d * d)
		if !(w >= 0) { // NaN: clip as the library's clip does (comparisons fail)
			w = 0
		}
		sum += minutes * min(w, 1)
	}
	return sum, nil
}

// gammaMedian is the median of a gamma distribution of that shape and
// scale, with the library's replacements for values it cannot compute:
// NaN becomes 1e-3 m, infinities the extreme finite values.
func gammaMedian(shape, scale float64) float64 {
	var v float64
	switch {
	case !(shape > 0) || math.IsInf(shape, 0) || math.IsNaN(scale):
		v = math.NaN()
	default:
		v = mathext.GammaIncRegInv(shape, 0.5) * scale
	}
	switch {
	case math.IsNaN(v):
		return 1e-3
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return math.SmallestNonzeroFloat64
	}
	return v
}
