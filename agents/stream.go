package agents

import (
	"math"
	"math/rand/v2"
)

// Subsystems name the independent random streams. Adding a subsystem never
// shifts the draws of another, so parameters stay common random numbers.
const (
	SubHouseholds uint64 = iota + 1
	SubAges
	SubSchools
	SubWork
	SubPhones
	SubInstall
	SubSchedule
	SubActivity
	SubPositions
	SubRadio
	SubDiagnosis
	SubUpload
	SubKeys
	SubSampling
	// SubCarriage draws where a phone is during each stay
	// (Phones.CarriageByActivity).
	SubCarriage
	// SubGeo keys a census population's placement of clusters and sites.
	SubGeo
	// SubTravel keys inter-province day trips.
	SubTravel
	// SubAdversary keys the privacy adversary: where its sniffers stand
	// and their radio draws.
	SubAdversary
)

// Mix hashes words into one 64-bit value with splitmix64 steps; it is the
// key derivation behind every stream.
func Mix(words ...uint64) uint64 {
	var h uint64 = 0x9e3779b97f4a7c15
	for _, w := range words {
		h = MixStep(h, w)
	}
	return h
}

// MixStep hashes one more word into h: MixStep(Mix(a...), w) equals
// Mix(a..., w), so that keys sharing a prefix hash the prefix once.
func MixStep(h, w uint64) uint64 { return splitmix(h ^ splitmix(w+0x632be59bd9b4e019)) }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream returns the random stream for (seed, subsystem, entity, day).
func Stream(seed, subsystem, entity, day uint64) *rand.Rand {
	k := Mix(seed, subsystem, entity, day)
	return rand.New(rand.NewPCG(k, splitmix(k)))
}

// PCG returns the source behind Stream so that hot loops can re-seed one
// generator in place instead of allocating a new one.
func SeedPCG(p *rand.PCG, seed, subsystem, entity, day uint64) {
	k := Mix(seed, subsystem, entity, day)
	p.Seed(k, splitmix(k))
}

// Uniform returns a uniform number in [0, 1) that depends only on the key:
// a counter-based draw for places where a stream would have to be created
// for a single number (a person's install draw, a pair's shadowing).
func Uniform(words ...uint64) float64 {
	return float64(Mix(words...)>>11) / (1 << 53)
}

// Normal returns a standard normal draw that depends only on the key
// (Box-Muller over two counter-based uniforms).
func Normal(key uint64) float64 {
	u1 := float64(splitmix(key)>>11)/(1<<53) + 0x1p-54
	u2 := float64(splitmix(key^0x5851f42d4c957f2d)>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
