package epidemic

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// ContactDose is the summed dose an index case gives one contact on one
// day.
type ContactDose struct {
	// Contact identifies the contact (an agent number): doses to the same
	// contact on different days combine, since a person can be infected
	// only once.
	Contact int32
	Dose    float64
}

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
	Doses(i, k int, dst []ContactDose) ([]ContactDose, error)
}

// CoursesPerIndex is how many courses of infection R0 averages over for
// each index case of a ContactSource.
const CoursesPerIndex = 16

// R0 returns the expected number of secondary infections of an index case
// in a fully susceptible population at the given beta:
//
//	R0(β) = 1/(N·M) Σ_i Σ_m Σ_c [1 − exp(−β · Σ_k inf_m(k) · dose_ikc)]
//
// over the N index cases of src, M = CoursesPerIndex courses drawn for each
// (keyed by (seed, "calibration", i, m), so it is deterministic), the
// distinct contacts c of index i, and the days k of the course.
// inf_m(k) is the course's Infectiousness at mid-day k. The inner sum
// over days is the exponential model's way of combining a contact's daily
// risks, 1 − Π_k (1 − p_k): the probability that the contact is infected
// at all, which is what the engine's daily draws give a susceptible
// contact (a household member met every day counts once, not once a day).
func (m *Model) R0(src ContactSource, beta float64) (float64, error) {
	t, err := m.newR0Table(src)
	if err != nil {
		return 0, err
	}
	return t.r0(beta), nil
}

// CalibrateBeta finds the beta at which R0 (see Model.R0) equals targetR0.
// Method: the doses and courses are gathered once, reduced to one
// exposure a = Σ_k inf_m(k)·dose_ikc per (index, course, contact); R0(β)
// = mean Σ [1 − exp(−β·a)] is continuous, concave and strictly
// increasing in β from 0 up to the number of exposed contacts; the root is
// bracketed below by the linearised β (R0 ≤ β·mean Σ a), above by doubling
// it, and found by bisection to a relative width of 1e-9. It fails if the target cannot be reached (too
// few contacts) or is not positive.
func (m *Model) CalibrateBeta(src ContactSource, targetR0 float64) (float64, error) {
	if !(targetR0 > 0) || math.IsInf(targetR0, 0) {
		return 0, fmt.Errorf("epidemic: calibrate: target R0 %v: want a finite number > 0", targetR0)
	}
	t, err := m.newR0Table(src)
	if err != nil {
		return 0, err
	}
	if sup := t.supremum(); targetR0 >= sup {
		return 0, fmt.Errorf("epidemic: calibrate: target R0 %g unreachable: at most %g exposed contacts per index case", targetR0, sup)
	}
	// Since 1 − e^−x ≤ x, R0(β) ≤ β·Σa/(N·M): the β where that line meets
	// the target is a lower bound, and doubling it brackets the root.
	sumA := 0.0
	for _, a := range t.exposures {
		sumA += a
	}
	lo := targetR0 * float64(t.n*CoursesPerIndex) / sumA
	hi := 2 * lo
	for t.r0(hi) < targetR0 {
		lo, hi = hi, hi*2
		if hi > 1e300 {
			return 0, errors.New("epidemic: calibrate: no finite beta reaches the target")
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

// r0Table holds the exposures a = Σ_k inf_m(k)·dose of every (index,
// course, contact) with a > 0.
type r0Table struct {
	n         int
	exposures []float64
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
	var pcg rand.PCG
	courses := make([]Course, CoursesPerIndex)
	type dayDose struct {
		contact int32
		day     int
		dose    float64
	}
	var all []dayDose
	var buf []ContactDose
	var acc [CoursesPerIndex]float64
	for i := range n {
		days := 0
		for j := range courses {
			seedPCG(&pcg, key(m.seed, subCalibrate, uint64(i), uint64(j), 0))
			c := m.drawCourse(&pcg)
			c.Day = 0
			courses[j] = c
			days = max(days, int(math.Ceil(float64(c.End)))+1)
		}
		all = all[:0]
		for k := range days {
			any := false
			for _, c := range courses {
				any = any || m.Infectiousness(c, float64(k)) > 0
			}
			if !any {
				continue
			}
			var err error
			buf, err = src.Doses(i, k, buf[:0])
			if err != nil {
				return nil, fmt.Errorf("epidemic: calibrate: doses of index %d on day %d: %w", i, k, err)
			}
			for _, d := range buf {
				if !(d.Dose >= 0) || math.IsInf(d.Dose, 0) {
					return nil, fmt.Errorf("epidemic: calibrate: index %d day %d contact %d: dose %v: want a finite number >= 0", i, k, d.Contact, d.Dose)
				}
				if d.Dose > 0 {
					all = append(all, dayDose{d.Contact, k, d.Dose})
				}
			}
		}
		slices.SortFunc(all, func(a, b dayDose) int { return cmp.Compare(a.contact, b.contact) })
		for s := 0; s < len(all); {
			e := s
			acc = [CoursesPerIndex]float64{}
			for e < len(all) && all[e].contact == all[s].contact {
				for j, c := range courses {
					acc[j] += m.Infectiousness(c, float64(all[e].day)) * all[e].dose
				}
				e++
			}
			for _, a := range acc {
				if a > 0 {
					t.exposures = append(t.exposures, a)
				}
			}
			s = e
		}
	}
	return t, nil
}

func (t *r0Table) r0(beta float64) float64 {
	sum := 0.0
	for _, a := range t.exposures {
		sum -= math.Expm1(-beta * a)
	}
	return sum / float64(t.n*CoursesPerIndex)
}

// supremum is lim R0(β) as β → ∞: the mean number of exposed contacts.
func (t *r0Table) supremum() float64 {
	return float64(len(t.exposures)) / float64(t.n*CoursesPerIndex)
}

// DoseLog is a ContactSource filled by the engine: for each index case of
// a sample (Model.CalibrationSample), the doses it gave each contact on
// each of the recorded days, with no epidemic and no interventions. Day k
// of index case i's course reads recorded day (i + k) mod days: a week of
// contacts stands for the weekly routine repeated over a course, and the
// index cases' infections are spread evenly over the days of the week.
type DoseLog struct {
	days    int
	entries [][]ContactDose // [i*days+k]
}

// NewDoseLog returns an empty log of indexes index cases over days days.
func NewDoseLog(indexes, days int) (*DoseLog, error) {
	if indexes <= 0 || days <= 0 || indexes > math.MaxInt32/days {
		return nil, fmt.Errorf("epidemic: dose log of %d index cases over %d days: want both >= 1", indexes, days)
	}
	return &DoseLog{days: days, entries: make([][]ContactDose, indexes*days)}, nil
}

// Add records dose (a Model.Dose) from index case i to contact on
// recorded day k; doses to the same contact on the same day add.
func (l *DoseLog) Add(i, k int, contact int32, dose float64) error {
	if i < 0 || k < 0 || k >= l.days || i*l.days+k >= len(l.entries) {
		return fmt.Errorf("epidemic: dose log: index %d day %d out of range", i, k)
	}
	if !(dose >= 0) || math.IsInf(dose, 0) {
		return fmt.Errorf("epidemic: dose log: dose %v: want a finite number >= 0", dose)
	}
	e := &l.entries[i*l.days+k]
	for j := range *e {
		if (*e)[j].Contact == contact {
			(*e)[j].Dose += dose
			return nil
		}
	}
	*e = append(*e, ContactDose{contact, dose})
	return nil
}

// Indexes implements ContactSource.
func (l *DoseLog) Indexes() int { return len(l.entries) / l.days }

// Doses implements ContactSource.
func (l *DoseLog) Doses(i, k int, dst []ContactDose) ([]ContactDose, error) {
	if i < 0 || k < 0 || i >= l.Indexes() {
		return dst, fmt.Errorf("epidemic: dose log: index %d day %d out of range", i, k)
	}
	return append(dst, l.entries[i*l.days+(i+k)%l.days]...), nil
}
