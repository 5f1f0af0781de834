package epidemic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestResultDay returns the day a symptomatic person's test comes back
// positive, and false for an asymptomatic person or one who is not tested
// (testing.probability). The delay from onset is gamma distributed with
// testing.delay_mean_days and testing.delay_shape. The draw is keyed by
// (seed, "testing", agent), so it is the same in both arms of a paired run.
func (m *Model) TestResultDay(agent int32, c Course) (int32, bool) {
	if c.Day == NotInfected || c.Asymptomatic {
		return 0, false
	}
	var pcg rand.PCG
	seedPCG(&pcg, key(m.seed, subTesting, uint64(uint32(agent)), 0, 0))
	tested := float64(pcg.Uint64()>>11)/(1<<53) < m.p.Testing.Probability
	delay := 0.0
	if m.delayBe > 0 {
		delay = distuv.Gamma{Alpha: m.p.Testing.DelayShape, Beta: m.delayBe, Src: &pcg}.Rand()
	}
	if !tested {
		return 0, false
	}
	// Infection is at mid-day of c.Day; the result day is the calendar day
	// of onset + delay, and never the day of infection itself.
	d := int64(c.Day) + int64(math.Floor(0.5+float64(c.Onset)+delay))
	d = max(d, int64(c.Day)+1)
	if d > math.MaxInt32 {
		return 0, false
	}
	return int32(d), true
}

// Uploads reports whether agent, an app user with a positive test,
// uploads their keys (testing.upload_compliance; keyed by (seed, "upload",
// agent)).
func (m *Model) Uploads(agent int32) bool {
	return uniform(key(m.seed, subUpload, uint64(uint32(agent)), 0, 0)) < m.p.Testing.UploadCompliance
}

// Complies reports whether agent, notified on day, quarantines
// (quarantine.compliance; keyed by (seed, "quarantine", agent, day), so the
// same notification gets the same answer in both arms, and a later one a
// fresh draw).
func (m *Model) Complies(agent, day int32) bool {
	return uniform(key(m.seed, subComply, uint64(uint32(agent)), uint64(uint32(day)), 0)) < m.p.Quarantine.Compliance
}

// Reason is why someone is confined.
type Reason uint8

// Reasons, in increasing precedence: a later confinement for a reason of
// higher precedence replaces the recorded reason.
const (
	ReasonNone Reason = iota
	// ReasonHousehold: a household member was notified.
	ReasonHousehold
	// ReasonApp: notified by the app.
	ReasonApp
	// ReasonManual: found by manual tracing.
	ReasonManual
	// ReasonIsolation: tested positive; no contacts at all.
	ReasonIsolation
)

var reasonNames = [...]string{"none", "household", "app", "manual", "isolation"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", r)
}

// QuarantineState is one person's confinement: days [Until−Days, Until),
// for Reason. 8 bytes.
type QuarantineState struct {
	Until  int32
	Days   uint16
	Reason Reason
}

// From is the first day of the confinement.
func (s QuarantineState) From() int32 { return s.Until - int32(s.Days) }

// Quarantines is the confinement state of every person.
type Quarantines struct {
	s []QuarantineState
}

// NewQuarantines returns n people, none confined.
func NewQuarantines(n int) (*Quarantines, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("epidemic: population size %d: want 0 <= n <= %d", n, math.MaxInt32)
	}
	return &Quarantines{s: make([]QuarantineState, n)}, nil
}

// Len is the number of people.
func (q *Quarantines) Len() int { return len(q.s) }

// Start confines agent on days [from, from+days) for reason. A
// confinement that overlaps or touches one in force is extended (never
// shortened), and the reason of higher precedence is kept. It reports
// whether the agent was not already confined on day from (a new
// quarantine, for the daily count).
func (q *Quarantines) Start(agent, from int32, days int, reason Reason) (bool, error) {
	if agent < 0 || int(agent) >= len(q.s) {
		return false, fmt.Errorf("epidemic: quarantine agent %d: want 0 <= agent < %d", agent, len(q.s))
	}
	if days <= 0 || days > math.MaxUint16 || from < 0 || int64(from)+int64(days) > math.MaxInt32 {
		return false, fmt.Errorf("epidemic: quarantine agent %d from day %d for %d days: out of range", agent, from, days)
	}
	if reason == ReasonNone || reason > ReasonIsolation {
		return false, fmt.Errorf("epidemic: quarantine agent %d: invalid reason %v", agent, reason)
	}
	s := q.s[agent]
	until := from + int32(days)
	if s.Reason == ReasonNone || s.Until < from || s.From() > until {
		q.s[agent] = QuarantineState{Until: until, Days: uint16(days), Reason: reason}
		return true, nil
	}
	isNew := !(s.From() <= from && from < s.Until)
	start := min(s.From(), from)
	end := max(s.Until, until)
	if end-start > math.MaxUint16 {
		start = end - math.MaxUint16
	}
	r := max(s.Reason, reason)
	q.s[agent] = QuarantineState{Until: end, Days: uint16(end - start), Reason: r}
	return isNew, nil
}

// State returns agent's latest confinement (Reason none if never).
func (q *Quarantines) State(agent int32) QuarantineState { return q.s[agent] }

// InQuarantine reports whether agent is confined on day.
func (q *Quarantines) InQuarantine(agent, day int32) bool {
	s := q.s[agent]
	return s.Reason != ReasonNone && day < s.Until && day >= s.From()
}

// Excludes reports whether a contact of agent on day must be removed:
// confined people keep only their household contacts, and isolated
// (positive) people none.
func (q *Quarantines) Excludes(agent, day int32, household bool) bool {
	if !q.InQuarantine(agent, day) {
		return false
	}
	return !household || q.s[agent].Reason == ReasonIsolation
}

// Notice is a tracing result: Person is to be told on Day that they were
// in contact with Index.
type Notice struct {
	Index, Person, Day int32
}

// ContactsFunc returns, appended to dst, the close contacts of index on
// days [from, to] that a tracer could learn of (the engine's ground truth:
// household and close contacts). Order does not matter; duplicates are
// removed.
type ContactsFunc func(index, from, to int32, dst []int32) []int32

// Tracer is manual contact tracing with a daily capacity: index cases join
// a FIFO queue on their positive result; each day, up to
// manual_tracing.capacity_per_day of those whose interview is due
// (delay_days after the result) are traced in queue order, the rest wait
// (a backlog grows when cases outrun capacity, and delays with it). Each
// close contact is found with probability manual_tracing.fraction, a draw
// keyed by (seed, "manual-tracing", index, contact).
type Tracer struct {
	m     *Model
	queue []queued
	head  int
	buf   []int32
}

type queued struct {
	index, due, from, result int32
}

// NewTracer returns an empty tracer.
func NewTracer(m *Model) *Tracer { return &Tracer{m: m} }

// Enqueue adds index, positive on resultDay, whose contacts are traced
// from windowStart (e.g. symptom onset or the result, minus
// lookback_days: use Model.TraceWindowStart). Call it in a deterministic
// order (ascending agent within a day): that order is the queue's.
func (t *Tracer) Enqueue(index, resultDay, windowStart int32) {
	if !t.m.p.ManualTracing.Enabled {
		return
	}
	t.queue = append(t.queue, queued{index, resultDay + int32(t.m.p.ManualTracing.DelayDays), windowStart, resultDay})
}

// Backlog is the number of index cases waiting (due or not).
func (t *Tracer) Backlog() int { return len(t.queue) - t.head }

// Process traces the day's index cases and returns their notices dated
// day, in queue order and then ascending contact.
func (t *Tracer) Process(day int32, contacts ContactsFunc) []Notice {
	var out []Notice
	capacity := t.m.p.ManualTracing.CapacityPerDay
	for done := 0; done < capacity && t.head < len(t.queue); done++ {
		q := t.queue[t.head]
		if q.due > day {
			break // FIFO with a constant delay: nobody behind is due either
		}
		t.head++
		t.buf = contacts(q.index, q.from, q.result, t.buf[:0])
		slices.Sort(t.buf)
		t.buf = slices.Compact(t.buf)
		for _, c := range t.buf {
			if c == q.index {
				continue
			}
			u := uniform(key(t.m.seed, subManual, uint64(uint32(q.index)), uint64(uint32(c)), 0))
			if u < t.m.p.ManualTracing.Fraction {
				out = append(out, Notice{Index: q.index, Person: c, Day: day})
			}
		}
	}
	// Drop the consumed head once it dominates the buffer.
	if t.head > 1024 && t.head*2 > len(t.queue) {
		t.queue = append(t.queue[:0], t.queue[t.head:]...)
		t.head = 0
	}
	return out
}

// TraceWindowStart is the first day of an index case's contacts worth
// tracing: lookback_days before symptom onset (or before the result for a
// case found without symptoms).
func (m *Model) TraceWindowStart(c Course, resultDay int32) int32 {
	start := resultDay
	if c.Day != NotInfected && !c.Asymptomatic {
		onsetDay := c.Day + int32(math.Floor(0.5+float64(c.Onset)))
		start = min(start, onsetDay)
	}
	return start - int32(m.p.ManualTracing.LookbackDays)
}

// Clone returns a copy of the confinement state, so that a day's
// exclusions can be read back after later confinements have extended or
// replaced it (the engine filters stored sightings by the day they were
// made).
func (q *Quarantines) Clone() *Quarantines { return &Quarantines{s: slices.Clone(q.s)} }
