package radio

import (
	"math"
	"math/rand/v2"
)

// Random streams.
//
// Every draw of the link model is a pure function of a stream key, so the
// same inputs give the same report whatever order calls happen in and
// whichever goroutine makes them. The hot path uses counter-based
// splitmix64 streams: draw j of stream s is mix(s + (j+1)·γ), which is
// exactly the splitmix64 sequence seeded with s, but can also be read at any
// index without stepping through the ones before (Records skips packets).
// math/rand/v2 is used where a caller hands in a *rand.Rand
// (DrawDeviceOffsets) and by NewRand, which seeds a PCG from a key hash.

const golden64 = 0x9E3779B97F4A7C15

// Subsystem tags separate the streams of different kinds of draws made
// with the same entity keys.
const (
	subPose     = 0x706f7365 // "pose": slow shadowing and channel offsets
	subFade     = 0x66616465 // "fade": per-packet fading in one window
	subSchedule = 0x73636864 // "schd": per-phone schedule phases and periods
	subDevice   = 0x64657663 // "devc": per-model device offsets
	subIOS      = 0x696f7362 // "iosb": iOS background-to-background gate
)

// mix64 is the splitmix64 finaliser (Steele, Lea, Flood 2014).
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// Hash combines words into one well-mixed 64-bit key. It is the key
// derivation used for every stream in this package; callers can use it to
// build pair, window or phone keys of their own.
func Hash(words ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc908)
	for _, w := range words {
		h = mix64(h ^ mix64(w+golden64))
	}
	return h
}

// hash4 is Hash for four words without the variadic slice.
func hash4(a, b, c, d uint64) uint64 {
	return hash2(hash2(a, b), hash2(c, d))
}

// subKey derives the key of entity e of subsystem sub under an already
// mixed base key: one round of the finaliser, as splitmix64 derives its
// outputs from a well-mixed state.
func subKey(base, sub, e uint64) uint64 {
	return mix64(base ^ (sub << 32) ^ (e+1)*golden64)
}

// hash2 combines two words with two rounds of the splitmix64 finaliser.
func hash2(a, b uint64) uint64 {
	return mix64(mix64(a+golden64) ^ (b + 0x2545F4914F6CDD1D))
}

// PairKey is the key of an unordered pair of phones: PairKey(a, b) ==
// PairKey(b, a), because the slow propagation (shadowing, channel offsets)
// is reciprocal.
func PairKey(a, b uint64) uint64 {
	if a > b {
		a, b = b, a
	}
	return hash4(a, b, 0x70616972, 0)
}

// WindowKey is the key of one scan window of one scanner. Fading is drawn
// per (pair, window key), so the two directions of a pair fade
// independently.
func WindowKey(scanner uint64, window int64) uint64 {
	return hash4(scanner, uint64(window), 0x77696e64, 0)
}

// WindowKeys derives one scanner's window keys with the scanner's part of
// the hash done once: Key(window) == WindowKey(scanner, window), in half
// the hashing. Make one with NewWindowKeys.
type WindowKeys struct {
	scanner uint64 // mix64(scanner + golden64): hash2's first round
}

// windowTag is hash4's second half in WindowKey, hash2(0x77696e64, 0),
// with hash2's constant added.
var windowTag = hash2(0x77696e64, 0) + 0x2545F4914F6CDD1D

// NewWindowKeys returns the window keys of scanner.
func NewWindowKeys(scanner uint64) WindowKeys { return WindowKeys{scanner: mix64(scanner + golden64)} }

// Key returns WindowKey(scanner, window).
func (k WindowKeys) Key(window int64) uint64 {
	h := mix64(k.scanner ^ (uint64(window) + 0x2545F4914F6CDD1D)) // hash2(scanner, window)
	return mix64(mix64(h+golden64) ^ windowTag)
}

// NewRand returns a math/rand/v2 PCG stream seeded from a hash of words,
// for callers that want a keyed *rand.Rand (e.g. for DrawDeviceOffsets).
func NewRand(words ...uint64) *rand.Rand {
	h := Hash(words...)
	return rand.New(rand.NewPCG(h, mix64(h^golden64)))
}

// stream is a counter-based splitmix64 stream.
type stream uint64

// at returns draw j of the stream.
func (s stream) at(j uint64) uint64 { return mix64(uint64(s) + (j+1)*golden64) }

// unit maps 64 random bits to a float64 in (0, 1).
func unit(x uint64) float64 { return (float64(x>>11) + 0.5) * (1.0 / (1 << 53)) }

// tableBits sets the resolution of the inverse-CDF tables: 4096 cells,
// linearly interpolated; the two outermost cells are computed exactly.
const (
	tableBits = 12
	tableSize = 1 << tableBits
)

// normTable holds Φ⁻¹(i/tableSize) for i in 1..tableSize-1.
var normTable = func() (t [tableSize + 1]float64) {
	for i := 1; i < tableSize; i++ {
		t[i] = math.Sqrt2 * math.Erfinv(2*float64(i)/tableSize-1)
	}
	return t
}()

// normal maps 64 random bits to a standard normal variate by table lookup
// with linear interpolation (error below 1e-4 in the bulk); the outer cells
// (|z| > 3.5) use the exact inverse.
func normal(x uint64) float64 {
	i := x >> (64 - tableBits)
	if i == 0 || i == tableSize-1 {
		return math.Sqrt2 * math.Erfinv(2*unit(x)-1)
	}
	f := float64((x>>(64-tableBits-32))&0xffffffff) * (1.0 / (1 << 32))
	a := normTable[i]
	return a + f*(normTable[i+1]-a)
}

// normal32 maps 32 random bits to a standard normal variate: 12 bits pick
// the table cell, 20 interpolate inside it; the outer cells use the exact
// inverse at 2⁻³² resolution (|z| up to 6.2).
func normal32(v uint32) float64 {
	i := v >> (32 - tableBits)
	f := (float64(v&(1<<(32-tableBits)-1)) + 0.5) * (1.0 / (1 << (32 - tableBits)))
	if i == 0 || i == tableSize-1 {
		u := (float64(i) + f) / tableSize
		return math.Sqrt2 * math.Erfinv(2*u-1)
	}
	a := normTable[i]
	return a + f*(normTable[i+1]-a)
}

// fadeTable is the inverse CDF of per-packet Rician fading in dB, centred
// so that its mean in dB is zero: P1m is then the mean per-packet RSSI in
// dB, which is what the fits of radio.md §1.3 measure. A packet's fading
// is mid[i] for a uniform 12-bit cell index i (the quantile at the cell's
// centre, within 0.01 dB of exact in the bulk); cell 0, the deep fades,
// is drawn by tail from a uniform u inside the cell.
//
// Cell 0 used to come only from the power CDF's linear foot F(p) ≈
// (k+1)·e^{−k}·p. That holds only while the foot covers the cell: at large
// K the foot lies far below probability 1/4096, so the foot put cell-0
// packets far above the mean (+58 dB at K = 14 dB) and, once e^{−k}
// underflowed (K ≥ 28.7 dB), at +Inf. The foot is now kept only where it
// agrees with the numerical CDF at the cell's edge (small K, which keeps
// the default tables' draws unchanged); elsewhere cell 0 has its own
// quantile table, deep, with the foot used only below its first entry.
type fadeTable struct {
	mid   [tableSize]float64
	mean  float64 // mean of 10·log10(power) before centring (≤ 0 dB)
	sd    float64 // SD in dB
	tailC float64 // F(p) ≈ tailC·p for small unit-mean power p
	// foot is true when the linear foot is used for all of cell 0.
	foot bool
	// zero is true for the ideal table: no fading at all.
	zero bool
	// deep[j] is the centred quantile at probability j/tableSize² (so
	// deep[tableSize] is cell 0's upper edge); deep[0] is unused.
	deep [tableSize + 1]float64
}

// footTolDB is how far the linear foot's cell-0 edge may lie from the
// numerical CDF's before deep replaces it.
const footTolDB = 0.05

// tail returns a deep fade for a uniform u in (0, 1) inside cell 0. The
// result is finite and at most mid[1].
func (t *fadeTable) tail(u float64) float64 {
	if t.zero {
		return 0
	}
	if t.foot {
		return 10*math.Log10(u/tableSize/t.tailC) - t.mean
	}
	x := u * tableSize
	j := int(x)
	if j < 1 {
		// Below the first entry the power CDF is linear: F ∝ p.
		return t.deep[1] + 10*math.Log10(math.Max(x, 1e-300))
	}
	if j >= tableSize {
		return t.deep[tableSize]
	}
	a := t.deep[j]
	return a + (x-float64(j))*(t.deep[j+1]-a)
}

// sample maps 64 random bits to a fading value in dB.
func (t *fadeTable) sample(x uint64) float64 {
	if i := x >> (64 - tableBits); i != 0 {
		return t.mid[i]
	}
	return t.tail(unit(x << tableBits))
}

// newIdealFadeTable is the table of the ideal radio: every packet has
// zero fading.
func newIdealFadeTable() *fadeTable { return &fadeTable{zero: true} }

// i0e is the exponentially scaled modified Bessel function e^{-x}·I0(x),
// x ≥ 0 (Abramowitz & Stegun 9.8.1 and 9.8.2, |error| < 2e-7 relative).
func i0e(x float64) float64 {
	if x <= 3.75 {
		t := x / 3.75
		t *= t
		return math.Exp(-x) * (1 + t*(3.5156229+t*(3.0899424+t*(1.2067492+t*(0.2659732+t*(0.0360768+t*0.0045813))))))
	}
	t := 3.75 / x
	return (0.39894228 + t*(0.01328592+t*(0.00225319+t*(-0.00157565+t*(0.00916281+
		t*(-0.02057706+t*(0.02635537+t*(-0.01647633+t*0.00392377)))))))) / math.Sqrt(x)
}

// newFadeTable builds the dB-domain inverse CDF of a unit-mean Rician
// power with factor kdB by integrating the amplitude density on a fine dB
// grid. Deterministic and about a millisecond.
func newFadeTable(kdB float64) *fadeTable {
	k := math.Pow(10, kdB/10)
	if kdB <= -30 {
		k = 0
	}
	const (
		lo, hi = -80.0, 20.0
		step   = 0.005
		n      = int((hi-lo)/step) + 1
	)
	ln10over20 := math.Ln10 / 20
	pdf := func(y float64) float64 {
		x := math.Pow(10, y/20)
		z := 2 * x * math.Sqrt(k*(k+1))
		// Amplitude density (Ω = 1) times dx/dy.
		return 2 * (k + 1) * x * math.Exp(-k-(k+1)*x*x+z) * i0e(z) * x * ln10over20
	}
	cdf := make([]float64, n)
	var mean, m2, prev float64
	prev = pdf(lo)
	for i := 1; i < n; i++ {
		y := lo + float64(i)*step
		p := pdf(y)
		w := 0.5 * (p + prev) * step
		cdf[i] = cdf[i-1] + w
		ym := y - step/2
		mean += w * ym
		m2 += w * ym * ym
		prev = p
	}
	total := cdf[n-1]
	mean /= total
	t := &fadeTable{mean: mean, sd: math.Sqrt(m2/total - mean*mean)}
	// (k+1)·e^{−k} underflows to 0 beyond k ≈ 745 (K ≈ 28.7 dB); the foot
	// is then never used.
	t.tailC = (k + 1) * math.Exp(-k)
	// quantile inverts the numerical CDF at probability q (of total),
	// centred, searching forward from grid cell *j.
	quantile := func(q float64, j *int) float64 {
		u := q * total
		for *j < n-2 && cdf[*j+1] < u {
			*j++
		}
		// Linear interpolation inside grid cell j.
		c0, c1 := cdf[*j], cdf[*j+1]
		f := 0.0
		if c1 > c0 {
			f = (u - c0) / (c1 - c0)
		}
		return lo + (float64(*j)+f)*step - mean
	}
	j := 0
	for i := 1; i <= tableSize; i++ {
		t.deep[i] = quantile(float64(i)/(tableSize*tableSize), &j)
	}
	j = 0
	for i := 1; i < tableSize; i++ {
		t.mid[i] = quantile((float64(i)+0.5)/tableSize, &j)
	}
	edge := 10*math.Log10(1.0/tableSize/t.tailC) - mean
	t.foot = t.tailC > 0 && math.Abs(edge-t.deep[tableSize]) <= footTolDB
	return t
}

// fastLog10 is log10(x) for finite x > 0 to within 2e-7 (a tenth of a
// millidecibel at 10·n ≤ 40), about four times cheaper than math.Log10:
// the exponent comes from the bits and ln of the mantissa m ∈ [√½, √2)
// from the series of atanh((m−1)/(m+1)).
func fastLog10(x float64) float64 {
	b := math.Float64bits(x)
	e := int64(b>>52&0x7ff) - 1023
	m := math.Float64frombits(b&(1<<52-1) | 1023<<52) // [1, 2)
	if m > math.Sqrt2 {
		m *= 0.5
		e++
	}
	s := (m - 1) / (m + 1)
	s2 := s * s
	ln := 2 * s * (1 + s2*(1.0/3+s2*(1.0/5+s2*(1.0/7+s2*(1.0/9+s2*(1.0/11))))))
	return (float64(e)*math.Ln2 + ln) * (1 / math.Ln10)
}
