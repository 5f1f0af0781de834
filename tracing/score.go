package tracing

// Score is a rule's own summary of one exposure (one receiving phone's
// sightings matched to one upload): the numbers the protocol's rule
// computed on the way to its verdict. It is fixed-size data, so that a
// rule can fill it for every evaluation without allocating.
//
// Value is the rule's decision statistic: the rule notifies when Value
// reaches Threshold (and Value is above zero), so sweeping a threshold
// over Value traces the rule's ROC curve, and the deployed rule is the
// point at Threshold. Each protocol documents what its fields hold:
//
//   - GAEN (tracing/gaen): Minutes are the deciding UTC day's minutes in
//     the rule's attenuation buckets, nearest first (v1 rules: below,
//     between and above the two duration thresholds; v2: immediate, near,
//     medium, other; the NHS risk score: its riskiest window's minutes in
//     Minutes[0]); WeightedMinutes weighs them as the rule does; Value is
//     the weighted minutes (CWA, SwissCovid), the v1 risk score (Immuni),
//     the v2 score sum in weighted seconds, or the NHS window risk.
//   - Bluezone (tracing/bluezone): Minutes[0] counts the distinct minutes
//     holding a sighting at or above the OS pair's RSSI threshold (every
//     minute with a sighting in mode any), Minutes[1] those with sightings
//     only below it; Value is Minutes[0].
//   - DP-3T (tracing/dp3t): Minutes are the deciding day's minutes below,
//     between and above the attenuation thresholds; Value is their
//     weighted sum.
type Score struct {
	// Value is the decision statistic and Threshold what the rule
	// compares it with.
	Value, Threshold float64
	// Minutes are minutes of exposure by the rule's own buckets, nearest
	// first; unused buckets are zero.
	Minutes [4]float64
	// WeightedMinutes is Minutes weighted as the rule weighs them (zero
	// where the rule has no weights).
	WeightedMinutes float64
	// Sightings is how many matched sightings the rule read.
	Sightings int
	// DayMillis is UTC midnight (Unix ms) of the day the summary comes
	// from; 0 when the rule kept nothing.
	DayMillis int64
}

// Scorer is a Rule that says why: Score returns the same verdict as
// Decide for the same exposure and fills s with the protocol's exposure
// summary. Like Decide it is called by one goroutine at a time, and it
// must not allocate in steady state (a rule keeps its scratch space), so
// that a simulator can score every exposure. Every built-in protocol's
// rule implements it.
type Scorer interface {
	Rule
	Score(x *Exposure, s *Score) (bool, error)
}
