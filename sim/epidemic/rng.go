package epidemic

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Random streams. Every draw of this package is a pure function of a key
// (seed, subsystem, entity..., day), never of the order events happen in,
// so that two runs of the same world that differ in one policy (app on or
// off) share every draw they both make: common random numbers.

// Subsystem words, hashed from their names so that adding one never moves
// another's draws.
var (
	subCourse    = subsystem("epidemic")
	subTransmit  = subsystem("transmission")
	subTesting   = subsystem("testing")
	subUpload    = subsystem("upload")
	subComply    = subsystem("quarantine")
	subManual    = subsystem("manual-tracing")
	subSeeding   = subsystem("seeding")
	subCalibrate = subsystem("calibration")
)

func subsystem(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// splitmix is the splitmix64 finaliser (Steele, Lea, Flood 2014).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// key hashes up to five words (unused ones are zero, which is distinct
// from any hashed subsystem word, so different arities never collide in
// practice).
func key(seed, sub, a, b, c uint64) uint64 {
	h := uint64(0x6a09e667f3bcc908)
	h = splitmix(h ^ splitmix(seed))
	h = splitmix(h ^ splitmix(sub))
	h = splitmix(h ^ splitmix(a))
	h = splitmix(h ^ splitmix(b))
	return splitmix(h ^ splitmix(c))
}

// uniform turns a key into a uniform number in [0, 1): a counter-based
// draw for places that need one number per key.
func uniform(k uint64) float64 { return float64(k>>11) / (1 << 53) }

// seedPCG seeds p from a key, as a stream for places that need several
// draws per key (a course of infection).
func seedPCG(p *rand.PCG, k uint64) { p.Seed(k, splitmix(k^0xda942042e4dd58b5)) }

func sortInt32(s []int32) {
	slices.Sort(s)
}
