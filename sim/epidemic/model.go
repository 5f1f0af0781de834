package epidemic

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/bluesim/bluesim/radio"
	"gonum.org/v1/gonum/stat/distuv"
)

// Model is the epidemic model of one run: validated parameters, the run's
// seed and the constants derived from them. It is immutable and safe for
// concurrent use; per-person state lives in Population and Quarantines.
type Model struct {
	p    Params
	seed uint64

	env     [3]float64 // dose factor by radio.Environment
	near    float64
	expo    float64
	beta    float64
	km1     float64 // profile shape − 1
	rate    float64
	mode    float64 // profile mode, days after the start of the profile
	shift   float64
	logMed  float64
	delayBe float64 // testing delay gamma rate
}

// NewModel validates p and returns the model for a run with this seed.
func NewModel(p Params, seed uint64) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m := &Model{p: p, seed: seed}
	t := p.Transmission
	m.env[radio.Outdoor] = t.OutdoorFactor
	m.env[radio.Indoor] = t.IndoorFactor
	m.env[radio.Vehicle] = t.VehicleFactor
	m.near, m.expo, m.beta = t.NearFieldM, t.DistanceExponent, t.Beta
	h := p.History
	m.km1, m.rate, m.shift = h.ProfileShape-1, h.ProfileRate, h.ProfileShiftDays
	m.mode = m.km1 / m.rate
	m.logMed = math.Log(h.IncubationMedianDays)
	if p.Testing.DelayMeanDays > 0 {
		m.delayBe = p.Testing.DelayShape / p.Testing.DelayMeanDays
	}
	return m, nil
}

// Params returns the model's parameters.
func (m *Model) Params() Params { return m.p }

// Seed returns the run's seed.
func (m *Model) Seed() uint64 { return m.seed }

// Beta returns the infection hazard per dose-minute in use.
func (m *Model) Beta() float64 { return m.beta }

// WithBeta returns a copy of the model with transmission.beta set (for
// example to the value CalibrateBeta found).
func (m *Model) WithBeta(beta float64) (*Model, error) {
	p := m.p
	p.Transmission.Beta = beta
	return NewModel(p, m.seed)
}

// NotInfected is Course.Day for a person who has not been infected.
const NotInfected int32 = math.MinInt32

// Course is one person's course of infection, drawn once by DrawCourse.
// Times are in days since the moment of infection, taken to be the middle
// of day Day; the engine evaluates a course once per day, also at mid-day,
// so on calendar day d the time since infection is d − Day.
type Course struct {
	// Day is the day of infection, or NotInfected.
	Day int32
	// Start is when infectiousness begins.
	Start float32
	// Onset is symptom onset (for an asymptomatic person, the would-be
	// onset that times their infectiousness profile).
	Onset float32
	// End is when infectiousness ends and the person recovers.
	End float32
	// Asymptomatic is true for a person who never shows symptoms.
	Asymptomatic bool
	// Diagnosed is set by Population.Diagnose (the first positive test).
	Diagnosed bool
}

// Infected reports whether the course has started.
func (c Course) Infected() bool { return c.Day != NotInfected }

// DrawCourse draws person agent's course of infection (with Day left at
// NotInfected). The draw is keyed by (seed, "epidemic", agent) alone, so a
// person's course is the same whoever infects them, on whatever day, in
// whatever order: both arms of a paired run see the same course.
//
//   - asymptomatic with probability history.asymptomatic_fraction;
//   - incubation ~ LogNormal(ln median, log_sd) (Lauer et al. 2020);
//   - infectiousness from max(min_latent_days, onset − profile_shift_days)
//     to onset + infectious_days_after_onset (He et al. 2020; Wölfel et al.
//     2020).
func (m *Model) DrawCourse(agent int32) Course {
	var pcg rand.PCG
	seedPCG(&pcg, key(m.seed, subCourse, uint64(uint32(agent)), 0, 0))
	return m.drawCourse(&pcg)
}

func (m *Model) drawCourse(src rand.Source) Course {
	h := m.p.History
	// Draw order is fixed (asymptomatic, then incubation) so that changing
	// one parameter never shifts the other draw.
	asym := float64(src.Uint64()>>11)/(1<<53) < h.AsymptomaticFraction
	inc := distuv.LogNormal{Mu: m.logMed, Sigma: h.IncubationLogSD, Src: src}.Rand()
	start := math.Max(h.MinLatentDays, inc-h.ProfileShiftDays)
	end := math.Max(start, inc+h.InfectiousDaysAfterOnset)
	return Course{Day: NotInfected, Start: float32(start), Onset: float32(inc), End: float32(end), Asymptomatic: asym}
}

// Infectiousness is the course's relative infectiousness t days after
// infection: 0 outside [Start, End), otherwise the He et al. (2020)
// shifted-gamma profile around symptom onset scaled so that its peak is 1,
// times history.asymptomatic_infectiousness for an asymptomatic course.
// Its integral over the course, times beta and the dose rate, is the
// expected number of infections of a contact exposed throughout.
func (m *Model) Infectiousness(c Course, t float64) float64 {
	if !(t >= float64(c.Start) && t < float64(c.End)) {
		return 0
	}
	x := t - float64(c.Onset) + m.shift // time since the profile starts
	if x <= 0 {
		return 0
	}
	var v float64
	if m.km1 == 0 {
		v = math.Exp(-m.rate * x)
	} else {
		// Gamma density divided by its value at the mode.
		v = math.Exp(m.km1*math.Log(x/m.mode) - m.rate*(x-m.mode))
	}
	if c.Asymptomatic {
		v *= m.p.History.AsymptomaticInfectiousness
	}
	return v
}

// State is the compartment of a person on a day.
type State uint8

// States of the natural history.
const (
	Susceptible State = iota
	Exposed
	Presymptomatic
	Symptomatic
	Asymptomatic
	Recovered
	numStates
)

var stateNames = [...]string{"susceptible", "exposed", "presymptomatic", "symptomatic", "asymptomatic", "recovered"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// StateOn returns the course's compartment on calendar day d.
func (c Course) StateOn(d int32) State {
	if c.Day == NotInfected || d < c.Day {
		return Susceptible
	}
	t := float32(d - c.Day)
	switch {
	case t < c.Start:
		return Exposed
	case t >= c.End:
		return Recovered
	case c.Asymptomatic:
		return Asymptomatic
	case t < c.Onset:
		return Presymptomatic
	}
	return Symptomatic
}

// Dose is the dose of a contact of minutes at distanceM metres in env:
// minutes · f(d) · factor(env), with f(d) = 1 within
// transmission.near_field_m and (near_field_m/d)^distance_exponent beyond.
// Doses add: the engine sums them per (source, target) pair over a day's
// epochs (Exposures.Add). Bad input (negative or NaN minutes or distance,
// an unknown environment) gives 0.
func (m *Model) Dose(minutes, distanceM float64, env radio.Environment) float64 {
	if !(minutes > 0) || !(distanceM >= 0) || int(env) >= len(m.env) {
		return 0
	}
	f := 1.0
	if distanceM > m.near {
		r := m.near / distanceM
		if m.expo == 2 {
			f = r * r
		} else {
			f = math.Pow(r, m.expo)
		}
	}
	return minutes * f * m.env[env]
}

// PInfect is the probability that a dose from a source of the given
// relative infectiousness infects a susceptible person:
// 1 − exp(−beta · infectiousness · dose), a single-hit dose-response
// (Haas, Rose & Gerba, Quantitative Microbial Risk Assessment, 1999, ch. 7;
// the exponential model of Wells-Riley).
func (m *Model) PInfect(dose, infectiousness float64) float64 {
	x := m.beta * infectiousness * dose
	if !(x > 0) {
		return 0
	}
	return -math.Expm1(-x)
}

// Transmits draws whether source infects target on day with probability
// p, from the counter-based stream (seed, "transmission", source, target,
// day): the same pair on the same day gets the same draw in both arms.
func (m *Model) Transmits(source, target, day int32, p float64) bool {
	return m.transmitU(source, target, day) < p
}

func (m *Model) transmitU(source, target, day int32) float64 {
	return uniform(key(m.seed, subTransmit, uint64(uint32(source)), uint64(uint32(target)), uint64(uint32(day))))
}

// SeedCases returns the initial_infections people (of n) infected on
// seed_day, in ascending order: the ones with the smallest keyed uniform
// (seed, "seeding", agent), so every arm seeds the same people and a
// larger count only adds people.
func (m *Model) SeedCases(n int) []int32 {
	return m.smallestKeyed(n, m.p.InitialInfections, subSeeding)
}

// CalibrationSample returns size people (of n), in ascending order, to
// serve as the index cases of a ContactSource: a keyed draw (seed,
// "calibration", agent), the same for every arm.
func (m *Model) CalibrationSample(n, size int) []int32 {
	return m.smallestKeyed(n, size, subCalibrate)
}

// smallestKeyed returns the k agents of n with the smallest keyed
// uniforms, in ascending agent order.
func (m *Model) smallestKeyed(n, k int, sub uint64) []int32 {
	k = min(k, n)
	if k <= 0 {
		return nil
	}
	type cand struct {
		u float64
		a int32
	}
	// A bounded max-heap of the k smallest draws: O(n log k), no n-sized
	// allocation.
	h := make([]cand, 0, k)
	less := func(i, j int) bool { return h[i].u > h[j].u || (h[i].u == h[j].u && h[i].a > h[j].a) }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && less(r, l) {
				l = r
			}
			if !less(l, i) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for a := 0; a < n; a++ {
		c := cand{uniform(key(m.seed, sub, uint64(a), 1, 0)), int32(a)}
		if len(h) < k {
			h = append(h, c)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if !less(i, p) {
					break
				}
				h[i], h[p] = h[p], h[i]
				i = p
			}
			continue
		}
		if c.u < h[0].u {
			h[0] = c
			down(0)
		}
	}
	out := make([]int32, len(h))
	for i, c := range h {
		out[i] = c.a
	}
	sortInt32(out)
	return out
}
