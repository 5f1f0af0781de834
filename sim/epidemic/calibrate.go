package epidemic

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// ContactSource supplies, for a sample of index cases, the doses they
// would give their contacts over a would-be infectious course in a fully
// susceptible population with no interventions. The engine implements it
// from its ground-truth contacts (typically: pick a sample of people, and
// for day offset k return the summed Model.Dose to each person they meet
// on day (start + k) of a representative week).
type ContactSource interface {
	// Indexes is the number of index cases in the sample.
	Indexes() int
	// Doses appends to dst the summed dose from index case i to each of
	// its contacts on day k of its course (k = 0 is the day of infection).
	Doses(i, k int, dst []float64) ([]float64, error)
}

// CoursesPerIndex is how many courses of infection R0 averages over for
// each index case of a ContactSource.
const CoursesPerIndex = 16

// R0 returns the expected number of secondary infections of an index case
// in a fully susceptible population at the given beta:
//
//	R0(β) = 1/(N·M) Σ_i Σ_m Σ_k Σ_c [1 − exp(−β · inf_m(k) · dose_ikc)]
//
// over the N index cases of src, M = CoursesPerIndex courses drawn for each
// (keyed by (seed, "calibration", i, m), so it is deterministic), the days
// k of the course, and the contacts c of day k. inf_m(k) is the course's
// Infectiousness at mid-day k. Each contact is counted on each day
// independently (a contact met on several days can be "infected" more than
// once); with per-contact daily risks of a few per cent the overcount is
// small, and it is what the engine's daily transmission draws do to a
// susceptible contact too.
func (m *Model) R0(src ContactSource, beta float64) (float64, error) {
	t, err := m.newR0Table(src)
	if err != nil {
		return 0, err
	}
	return t.r0(beta), nil
}

// CalibrateBeta finds the beta at which R0 (see Model.R0) equals targetR0.
// Method: the doses and courses are gathered once; R0(β) is a sum of
// terms 1 − exp(−β·a), continuous and strictly increasing in β from 0
// (as long as some dose meets some infectiousness) up to the number of
// contact-days it can reach; the root is bracketed by doubling an upper
// bound from 1e-6 and then found by bisection to a relative width of 1e-9.
// It fails if the target cannot be reached (not enough contacts) or is not
// positive.
func (m *Model) CalibrateBeta(src ContactSource, targetR0 float64) (float64, error) {
	if !(targetR0 > 0) || math.IsInf(targetR0, 0) {
		return 0, fmt.Errorf("epidemic: calibrate: target R0 %v: want a finite number > 0", targetR0)
	}
	t, err := m.newR0Table(src)
	if err != nil {
		return 0, err
	}
	if sup := t.supremum(); targetR0 >= sup {
		return 0, fmt.Errorf("epidemic: calibrate: target R0 %g unreachable: at most %g infectious contact-days per index case", targetR0, sup)
	}
	lo, hi := 0.0, 1e-6
	for t.r0(hi) < targetR0 {
		lo, hi = hi, hi*2
		if hi > 1e12 {
			return 0, errors.New("epidemic: calibrate: no beta up to 1e12 reaches the target")
		}
	}
	for hi-lo > 1e-9*hi {
		mid := 0.5 * (lo + hi)
		if t.r0(mid) < targetR0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return 0.5 * (lo + hi), nil
}

// r0Table holds, per index case, its contacts' doses by day and the
// infectiousness of its sampled courses by day.
type r0Table struct {
	n     int
	days  int
	inf   [][]float64   // inf[i][m*days+k]
	doses [][][]float64 // doses[i][k]: nil when no course is infectious on day k
}

func (m *Model) newR0Table(src ContactSource) (*r0Table, error) {
	if src == nil {
		return nil, errors.New("epidemic: calibrate: nil contact source")
	}
	n := src.Indexes()
	if n <= 0 {
		return nil, fmt.Errorf("epidemic: calibrate: %d index cases: want at least 1", n)
	}
	t := &r0Table{n: n}
	courses := make([][]Course, n)
	var pcg rand.PCG
	for i := range courses {
		courses[i] = make([]Course, CoursesPerIndex)
		for j := range courses[i] {
			seedPCG(&pcg, key(m.seed, subCalibrate, uint64(i), uint64(j), 0))
			c := m.drawCourse(&pcg)
			c.Day = 0
			courses[i][j] = c
			t.days = max(t.days, int(math.Ceil(float64(c.End)))+1)
		}
	}
	t.inf = make([][]float64, n)
	t.doses = make([][][]float64, n)
	for i := range n {
		t.inf[i] = make([]float64, CoursesPerIndex*t.days)
		t.doses[i] = make([][]float64, t.days)
		for k := range t.days {
			any := false
			for j, c := range courses[i] {
				v := m.Infectiousness(c, float64(k))
				t.inf[i][j*t.days+k] = v
				any = any || v > 0
			}
			if !any {
				continue
			}
			d, err := src.Doses(i, k, nil)
			if err != nil {
				return nil, fmt.Errorf("epidemic: calibrate: doses of index %d on day %d: %w", i, k, err)
			}
			for _, x := range d {
				if !(x >= 0) || math.IsInf(x, 0) {
					return nil, fmt.Errorf("epidemic: calibrate: index %d day %d: dose %v: want a finite number >= 0", i, k, x)
				}
			}
			t.doses[i][k] = d
		}
	}
	return t, nil
}

func (t *r0Table) r0(beta float64) float64 {
	sum := 0.0
	for i := range t.n {
		for k, ds := range t.doses[i] {
			if len(ds) == 0 {
				continue
			}
			for j := range CoursesPerIndex {
				a := beta * t.inf[i][j*t.days+k]
				if a == 0 {
					continue
				}
				for _, d := range ds {
					sum -= math.Expm1(-a * d)
				}
			}
		}
	}
	return sum / float64(t.n*CoursesPerIndex)
}

// supremum is lim R0(β) as β → ∞: the mean number of (contact, day,
// course) terms with positive dose and infectiousness.
func (t *r0Table) supremum() float64 {
	cnt := 0
	for i := range t.n {
		for k, ds := range t.doses[i] {
			pos := 0
			for _, d := range ds {
				if d > 0 {
					pos++
				}
			}
			for j := range CoursesPerIndex {
				if t.inf[i][j*t.days+k] > 0 {
					cnt += pos
				}
			}
		}
	}
	return float64(cnt) / float64(t.n*CoursesPerIndex)
}
