package gaen

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/bluesim/bluesim/tracing"
)

// Exposure window constants (protocols.md 2.5).
const (
	// MaxWindowMillis is maxExposureWindowDurationMinutes: an
	// ExposureWindow spans at most 30 minutes.
	MaxWindowMillis = 30 * 60 * 1000
	// MaxSecondsSinceLastScan caps a ScanInstance's secondsSinceLastScan
	// at 5 minutes.
	MaxSecondsSinceLastScan = 300
	// UnknownSecondsSinceLastScan is used when the previous scan is unknown.
	UnknownSecondsSinceLastScan = 120
	// DefaultScanSpanMillis groups sightings into one scan: GAEN scans for
	// 4 s (17 s while BT audio is on) every 210-300 s and at least 60 s
	// apart (protocols.md 2.2), so sightings of one key less than 20 s
	// after a scan's first sighting belong to that scan.
	DefaultScanSpanMillis = 20_000
)

const dayMillis = 86400 * 1000

// ErrBadMetadata means a matched sighting's AEM did not decrypt to valid
// GAEN metadata (major version 1).
var ErrBadMetadata = errors.New("AEM does not decrypt to valid metadata")

// Attenuation is GAEN's attenuation in dB: TX power (from the decrypted
// metadata) minus calibrated RSSI, clamped at 0 (protocols.md 2.3). The
// calibrated RSSI is the measured RSSI plus the receiving phone model's
// rssiCorrection.
func Attenuation(txPower, rssi, rssiCorrection int) int {
	return max(txPower-(rssi+rssiCorrection), 0)
}

// Observation is one matched sighting with its attenuation: the input of
// exposure windows.
type Observation struct {
	// Key is the index of the matched published key.
	Key int
	// Time is when the sighting was received (Unix ms).
	Time int64
	// AttenuationDb is TX power minus calibrated RSSI, at least 0.
	AttenuationDb int
	// CalibrationConfidence is the advertiser's metadata bits 3:2 (v1.1).
	CalibrationConfidence uint8
}

// Observations turns matches (as Matcher.Match returns them, in key order)
// into observations: for each key it derives the AEMK once, decrypts each
// matched sighting's AEM with the sighting's RPI as IV, and computes the
// attenuation from the TX power and the calibrated RSSI (rssiCorrection is
// the receiving phone model's per-model offset, added to measured RSSI).
func Observations(keys []tracing.PublishedKey, store []tracing.Sighting, matches []tracing.Match, rssiCorrection int) ([]Observation, error) {
	return appendObservations(make([]Observation, 0, len(matches)), keys, store, matches, rssiCorrection, nil)
}

// appendObservations is Observations appending to dst; with a cache, each
// key's AEM cipher comes from it (derived once per key for as long as the
// cache holds it) instead of being made afresh.
func appendObservations(out []Observation, keys []tracing.PublishedKey, store []tracing.Sighting, matches []tracing.Match, rssiCorrection int, cache *aemCache) ([]Observation, error) {
	lastKey := -1
	var block cipher.Block
	for _, m := range matches {
		if m.Key < 0 || m.Key >= len(keys) || m.Sighting < 0 || m.Sighting >= len(store) {
			return nil, fmt.Errorf("gaen: match %+v refers outside %d keys / %d sightings", m, len(keys), len(store))
		}
		if m.Key != lastKey {
			tek, _, _, err := keyParams(&keys[m.Key])
			if err != nil {
				return nil, fmt.Errorf("key %d: %w", m.Key, err)
			}
			if block, err = cache.block(&tek); err != nil {
				return nil, err
			}
			lastKey = m.Key
		}
		s := &store[m.Sighting]
		md, err := ParseMetadata(cache.decrypt(block, &s.ID, s.Meta))
		if err != nil {
			return nil, fmt.Errorf("gaen: sighting %d of key %d: %w: %v", m.Sighting, m.Key, ErrBadMetadata, err)
		}
		out = append(out, Observation{
			Key:                   m.Key,
			Time:                  s.Time,
			AttenuationDb:         Attenuation(int(md.TxPower), int(s.RSSI), rssiCorrection),
			CalibrationConfidence: md.CalibrationConfidence,
		})
	}
	return out, nil
}

// aemCacheSize is how many keys' AEM ciphers an aemCache holds: an
// upload's keys (one a day of the infectious window) with room to spare,
// since a simulator scores one upload against many receivers in a row.
const aemCacheSize = 32

// aemCache holds the AES ciphers of the AEM keys of the last keys seen,
// so that scoring many exposures to one upload derives each key's AEMK
// once. A nil cache makes a new cipher per call.
type aemCache struct {
	teks   [aemCacheSize]TEK
	blocks [aemCacheSize]cipher.Block
	n      int // entries in use
	next   int // entry replaced next
	// ks is the keystream block: a slice passed through the cipher.Block
	// interface escapes, so it lives here rather than on the stack.
	ks [16]byte
}

// decrypt is cryptAEM with the cache's keystream buffer (a nil cache
// allocates one).
func (c *aemCache) decrypt(b cipher.Block, rpi *tracing.ID, in [MetadataLen]byte) [MetadataLen]byte {
	if c == nil {
		return cryptAEM(b, rpi, in)
	}
	b.Encrypt(c.ks[:], rpi[:KeyLen])
	var out [MetadataLen]byte
	for i := range out {
		out[i] = in[i] ^ c.ks[i]
	}
	return out
}

// block returns the AEM cipher of tek.
func (c *aemCache) block(tek *TEK) (cipher.Block, error) {
	if c != nil {
		for i := range c.n {
			if c.teks[i] == *tek {
				return c.blocks[i], nil
			}
		}
	}
	aemk := hkdf16((*[KeyLen]byte)(tek), "EN-AEMK")
	b, err := aes.NewCipher(aemk[:])
	if err != nil || c == nil {
		return b, err
	}
	c.teks[c.next], c.blocks[c.next] = *tek, b
	c.next = (c.next + 1) % aemCacheSize
	c.n = min(c.n+1, aemCacheSize)
	return b, nil
}

// ScanInstance is one scan's sightings of one key (protocols.md 2.5).
type ScanInstance struct {
	// MinAttenuationDb is the lowest attenuation heard in the scan.
	MinAttenuationDb int `json:"min_attenuation_db"`
	// TypicalAttenuationDb is the mean attenuation, rounded.
	TypicalAttenuationDb int `json:"typical_attenuation_db"`
	// SecondsSinceLastScan is min(5, minutes since the previous scan)*60,
	// or 120 if the previous scan is unknown.
	SecondsSinceLastScan int `json:"seconds_since_last_scan"`
	// Time is the scan's first sighting (Unix ms). Not part of the GAEN
	// API; bluesim keeps it for v1 exposures and for tracing results back.
	Time int64 `json:"time"`
}

// ExposureWindow is up to 30 minutes of scans that heard one key.
type ExposureWindow struct {
	// Key is the index of the published key.
	Key int `json:"key"`
	// DateMillis is UTC midnight of the window's day (Unix ms).
	DateMillis int64 `json:"date_millis"`
	// ReportType, DaysSinceOnset/HasOnset and TransmissionRisk come from
	// the published key.
	ReportType       int  `json:"report_type"`
	DaysSinceOnset   int  `json:"days_since_onset"`
	HasOnset         bool `json:"has_onset"`
	TransmissionRisk int  `json:"transmission_risk"`
	// CalibrationConfidence is the advertiser's, from the first sighting.
	CalibrationConfidence uint8          `json:"calibration_confidence"`
	ScanInstances         []ScanInstance `json:"scan_instances"`
}

// WindowOptions says how sightings are grouped into scans and windows.
type WindowOptions struct {
	// ScanSpanMillis: sightings of one key within this span after a scan's
	// first sighting are one scan (default DefaultScanSpanMillis).
	ScanSpanMillis int64
	// ScanTimes, if given, are the receiving phone's scan start times
	// (Unix ms, ascending): the previous scan of a ScanInstance is then
	// the phone's scan before the one that heard it, as GAEN records it.
	// Without them it is the previous scan that heard the same key.
	ScanTimes []int64
}

// ExposureWindows builds exposure windows from matches: Observations, then
// GroupWindows, with each window's key data filled in.
func ExposureWindows(keys []tracing.PublishedKey, store []tracing.Sighting, matches []tracing.Match, rssiCorrection int, opt WindowOptions) ([]ExposureWindow, error) {
	var w windowScratch
	return w.exposureWindows(keys, store, matches, rssiCorrection, opt)
}

// windowScratch holds the arrays that building exposure windows needs,
// reused from call to call: what ExposureWindows returns points into it
// until the next call.
type windowScratch struct {
	obs     []Observation
	windows []ExposureWindow
	inst    []ScanInstance // every window's scan instances, back to back
	starts  []int          // where each window's instances start in inst
	aem     aemCache       // the AEM ciphers of the last keys seen
}

// exposureWindows is ExposureWindows with the arrays and the AEM ciphers
// of w.
func (w *windowScratch) exposureWindows(keys []tracing.PublishedKey, store []tracing.Sighting, matches []tracing.Match, rssiCorrection int, opt WindowOptions) ([]ExposureWindow, error) {
	obs, err := appendObservations(w.obs[:0], keys, store, matches, rssiCorrection, &w.aem)
	if err != nil {
		return nil, err
	}
	w.obs = obs
	ws, err := w.group(obs, opt)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		k := &keys[ws[i].Key]
		ws[i].ReportType = k.ReportType
		ws[i].DaysSinceOnset, ws[i].HasOnset = k.DaysSinceOnset, k.HasOnset
		ws[i].TransmissionRisk = k.TransmissionRisk
	}
	return ws, nil
}

// GroupWindows groups observations into scans and windows. Observations
// are sorted by (key, time) first (a copy; obs is not modified). For each
// key: a scan starts at an observation more than ScanSpanMillis after the
// current scan's first one; a window starts at a scan 30 minutes or more
// after the current window's first scan, or on a new UTC day. Windows come
// out ordered by key, then time. Key data (report type, onset) is left
// zero; ExposureWindows fills it.
func GroupWindows(obs []Observation, opt WindowOptions) ([]ExposureWindow, error) {
	var w windowScratch
	return w.group(slices.Clone(obs), opt)
}

// group is GroupWindows on w's arrays; it sorts obs in place.
func (w *windowScratch) group(obs []Observation, opt WindowOptions) ([]ExposureWindow, error) {
	span := opt.ScanSpanMillis
	if span == 0 {
		span = DefaultScanSpanMillis
	}
	if span < 0 || span >= MaxWindowMillis {
		return nil, fmt.Errorf("gaen: scan span %d ms outside 0..%d", span, MaxWindowMillis)
	}
	if !slices.IsSorted(opt.ScanTimes) {
		return nil, fmt.Errorf("gaen: scan times are not in ascending order")
	}
	slices.SortStableFunc(obs, func(a, b Observation) int {
		if a.Key != b.Key {
			return a.Key - b.Key
		}
		return cmpInt64(a.Time, b.Time)
	})
	w.windows, w.inst, w.starts = w.windows[:0], w.inst[:0], w.starts[:0]
	for i := 0; i < len(obs); {
		// One key's observations: obs[i:j].
		j := i
		for j < len(obs) && obs[j].Key == obs[i].Key {
			j++
		}
		w.appendKeyWindows(obs[i:j], span, opt.ScanTimes)
		i = j
	}
	// The instances are in place: give each window its run of them.
	for k := range w.windows {
		end := len(w.inst)
		if k+1 < len(w.starts) {
			end = w.starts[k+1]
		}
		w.windows[k].ScanInstances = w.inst[w.starts[k]:end:end]
	}
	return w.windows, nil
}

func (w *windowScratch) appendKeyWindows(obs []Observation, span int64, scanTimes []int64) {
	var cur *ExposureWindow
	var winStart int64
	prevScan := int64(math.MinInt64) // unknown
	for i := 0; i < len(obs); {
		t0 := obs[i].Time
		j := i
		minA, sum := math.MaxInt, 0
		for j < len(obs) && obs[j].Time-t0 <= span {
			minA = min(minA, obs[j].AttenuationDb)
			sum += obs[j].AttenuationDb
			j++
		}
		prev := prevScan
		if scanTimes != nil {
			prev = phonePrevScan(scanTimes, t0)
		}
		si := ScanInstance{
			MinAttenuationDb:     minA,
			TypicalAttenuationDb: int(math.Round(float64(sum) / float64(j-i))),
			SecondsSinceLastScan: secondsSince(prev, t0),
			Time:                 t0,
		}
		day := floorDiv(t0, dayMillis) * dayMillis
		if cur == nil || t0-winStart >= MaxWindowMillis || day != cur.DateMillis {
			w.windows = append(w.windows, ExposureWindow{
				Key:                   obs[i].Key,
				DateMillis:            day,
				CalibrationConfidence: obs[i].CalibrationConfidence,
			})
			w.starts = append(w.starts, len(w.inst))
			cur = &w.windows[len(w.windows)-1]
			winStart = t0
		}
		w.inst = append(w.inst, si)
		prevScan = t0
		i = j
	}
}

// phonePrevScan returns the phone's scan before the one in progress at t
// (the last scan time <= t), or MinInt64 if none is known.
func phonePrevScan(scanTimes []int64, t int64) int64 {
	n, _ := slices.BinarySearch(scanTimes, t+1) // first index with time > t
	if n < 2 {
		return math.MinInt64
	}
	return scanTimes[n-2]
}

// secondsSince is min(5 min, whole minutes between prev and t, rounded) *
// 60, or 120 s if prev is unknown.
func secondsSince(prev, t int64) int {
	if prev == math.MinInt64 || prev > t {
		return UnknownSecondsSinceLastScan
	}
	minutes := (t - prev + 30_000) / 60_000
	return int(min(minutes*60, MaxSecondsSinceLastScan))
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
