package epidemic

import (
	"fmt"
	"math"
	"slices"
)

// HouseholdFunc appends to dst the other members of agent's household.
type HouseholdFunc func(agent int32, dst []int32) []int32

// Run is one arm's epidemic: the population, who is confined, the manual
// tracer, the daily series and every notice given. It strings the
// package's pieces together in the order the engine needs them each day;
// see the package documentation for the recipe. Two Runs built from the
// same Model (same seed) over the same contacts are a paired run: every
// draw they both make is the same.
type Run struct {
	Model   *Model
	Pop     *Population
	Q       *Quarantines
	Tracer  *Tracer
	Series  Series
	Notices []Notice // app and manual notices, in the order given

	today DayStats
	open  bool
	buf   []int32
}

// NewRun returns the run of a population of n people, all susceptible.
func NewRun(m *Model, n int) (*Run, error) {
	pop, err := NewPopulation(m, n)
	if err != nil {
		return nil, err
	}
	q, err := NewQuarantines(n)
	if err != nil {
		return nil, err
	}
	return &Run{Model: m, Pop: pop, Q: q, Tracer: NewTracer(m)}, nil
}

func (r *Run) begin(day int32) {
	if !r.open || r.today.Day != day {
		r.today = DayStats{Day: day}
		r.open = true
	}
}

// Seed infects the initial cases (Model.SeedCases) if day is seed_day,
// and returns them.
func (r *Run) Seed(day int32) ([]int32, error) {
	r.begin(day)
	if int(day) != r.Model.p.SeedDay {
		return nil, nil
	}
	seeds := r.Model.SeedCases(r.Pop.Len())
	for _, a := range seeds {
		if r.Pop.Susceptible(a) {
			if err := r.Pop.Infect(a, day, -1); err != nil {
				return nil, err
			}
		}
	}
	return seeds, nil
}

// Excluded reports whether a contact of a and b on day is removed by
// quarantine or isolation (household: they share a household).
func (r *Run) Excluded(a, b, day int32, household bool) bool {
	return r.Q.Excludes(a, day, household) || r.Q.Excludes(b, day, household)
}

// Transmit draws the day's infections from e (Exposures.Resolve).
func (r *Run) Transmit(e *Exposures, day int32) ([]Link, error) {
	r.begin(day)
	return e.Resolve(r.Pop, day)
}

// Diagnose handles the day's positive results: symptom-driven tests due
// today, and notified people tested the day before (testing.test_notified).
// Each newly positive person is isolated from tomorrow to the end of their
// infectiousness (quarantine.isolate_cases), their household quarantined
// (quarantine.household), and queued for manual tracing; it returns the
// positive app users (hasApp) who upload (Model.Uploads), in ascending
// order, for the engine to publish their keys.
func (r *Run) Diagnose(day int32, hasApp func(int32) bool, household HouseholdFunc) ([]int32, error) {
	r.begin(day)
	p := r.Model.p
	var uploaders []int32
	for _, a := range r.Pop.PositivesOn(day) {
		if !r.Pop.Diagnose(a) {
			continue
		}
		r.today.Tests++
		r.today.Positives++
		c := r.Pop.Course(a)
		if p.Quarantine.IsolateCases {
			end := int32(math.Ceil(float64(c.Day) + float64(c.End)))
			days := max(int(end-day), 1)
			days = min(days, math.MaxUint16)
			isNew, err := r.Q.Start(a, day+1, days, ReasonIsolation)
			if err != nil {
				return nil, err
			}
			if isNew {
				r.today.NewQuarantines++
			}
		}
		if p.Quarantine.Household && household != nil && p.Quarantine.Days > 0 {
			r.buf = household(a, r.buf[:0])
			for _, h := range r.buf {
				if err := r.confine(h, day, ReasonHousehold); err != nil {
					return nil, err
				}
			}
		}
		r.Tracer.Enqueue(a, day, r.Model.TraceWindowStart(c, day))
		if hasApp != nil && hasApp(a) && r.Model.Uploads(a) {
			uploaders = append(uploaders, a)
			r.today.Uploads++
		}
	}
	return uploaders, nil
}

func (r *Run) confine(a, day int32, reason Reason) error {
	isNew, err := r.Q.Start(a, day+1, r.Model.p.Quarantine.Days, reason)
	if err == nil && isNew {
		r.today.NewQuarantines++
	}
	return err
}

// Notify applies notices given on day (reason ReasonApp for the app's,
// ReasonManual for manual tracing's): each person complies with
// probability quarantine.compliance (Model.Complies) and is confined from
// tomorrow for quarantine.days, with their household if
// quarantine.household; with testing.test_notified they are tested today
// and, if positive, diagnosed tomorrow. Notices are counted by reason.
func (r *Run) Notify(day int32, notices []Notice, reason Reason, household HouseholdFunc) error {
	r.begin(day)
	if reason != ReasonApp && reason != ReasonManual {
		return fmt.Errorf("epidemic: notify: reason %v: want app or manual", reason)
	}
	p := r.Model.p
	ns := slices.Clone(notices)
	slices.SortFunc(ns, func(a, b Notice) int {
		if a.Person != b.Person {
			return int(a.Person) - int(b.Person)
		}
		return int(a.Index) - int(b.Index)
	})
	for i, n := range ns {
		if n.Person < 0 || int(n.Person) >= r.Pop.Len() {
			return fmt.Errorf("epidemic: notify: person %d out of range", n.Person)
		}
		n.Day = day
		r.Notices = append(r.Notices, n)
		if i > 0 && ns[i-1].Person == n.Person {
			continue // one decision per person per day
		}
		if reason == ReasonApp {
			r.today.AppNotifications++
		} else {
			r.today.ManualNotifications++
		}
		if p.Testing.TestNotified && !r.Pop.Course(n.Person).Diagnosed {
			r.today.Tests++
			if r.Pop.TestPositive(n.Person, day) {
				r.Pop.scheduleTest(n.Person, day+1)
			}
		}
		if p.Quarantine.Days <= 0 || !r.Model.Complies(n.Person, day) {
			continue
		}
		if err := r.confine(n.Person, day, reason); err != nil {
			return err
		}
		if p.Quarantine.Household && household != nil {
			r.buf = household(n.Person, r.buf[:0])
			for _, h := range r.buf {
				if err := r.confine(h, day, ReasonHousehold); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// TraceManually runs the day's manual tracing (Tracer.Process) and
// applies its notices (Notify with ReasonManual).
func (r *Run) TraceManually(day int32, contacts ContactsFunc, household HouseholdFunc) ([]Notice, error) {
	r.begin(day)
	if !r.Model.p.ManualTracing.Enabled || contacts == nil {
		return nil, nil
	}
	ns := r.Tracer.Process(day, contacts)
	return ns, r.Notify(day, ns, ReasonManual, household)
}

// EndDay tallies the day (Population.Tally) into the series with the
// day's counters and returns it.
func (r *Run) EndDay(day int32) DayStats {
	r.begin(day)
	s := r.Pop.Tally(day, r.Q)
	t := r.today
	s.Tests, s.Positives, s.Uploads = t.Tests, t.Positives, t.Uploads
	s.AppNotifications, s.ManualNotifications, s.NewQuarantines = t.AppNotifications, t.ManualNotifications, t.NewQuarantines
	r.Series = append(r.Series, s)
	r.open = false
	return s
}
