package epidemic

import (
	"fmt"
	"math"
	"slices"
)

// Population is the per-person epidemic state of one run: one Course per
// person (20 bytes each), the transmission chain and the pending test
// results. It is not safe for concurrent mutation; the engine mutates it
// at the end of each day, from one goroutine, and reads it from any number
// during the day.
type Population struct {
	m       *Model
	courses []Course
	chain   Chain
	tests   [][]int32 // tests[d]: people whose symptom-driven positive result falls on day d
}

// NewPopulation returns n susceptible people.
func NewPopulation(m *Model, n int) (*Population, error) {
	if m == nil {
		return nil, fmt.Errorf("epidemic: nil model")
	}
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("epidemic: population size %d: want 0 <= n <= %d", n, math.MaxInt32)
	}
	cs := make([]Course, n)
	for i := range cs {
		cs[i].Day = NotInfected
	}
	return &Population{m: m, courses: cs}, nil
}

// Len is the number of people.
func (p *Population) Len() int { return len(p.courses) }

// Model returns the population's model.
func (p *Population) Model() *Model { return p.m }

// Infect infects agent on day (infector −1 for an imported or seed case):
// it draws the agent's course (DrawCourse, keyed by the agent only),
// records the transmission in the chain, and schedules the agent's
// symptom-driven test (Model.TestResultDay). It fails for an agent out of
// range, one already infected, or a negative day.
func (p *Population) Infect(agent, day, infector int32) error {
	if agent < 0 || int(agent) >= len(p.courses) {
		return fmt.Errorf("epidemic: infect agent %d: want 0 <= agent < %d", agent, len(p.courses))
	}
	if infector < -1 || int(infector) >= len(p.courses) || infector == agent {
		return fmt.Errorf("epidemic: infect agent %d: infector %d out of range", agent, infector)
	}
	if day < 0 {
		return fmt.Errorf("epidemic: infect agent %d: day %d < 0", agent, day)
	}
	if p.courses[agent].Day != NotInfected {
		return fmt.Errorf("epidemic: agent %d already infected on day %d", agent, p.courses[agent].Day)
	}
	c := p.m.DrawCourse(agent)
	c.Day = day
	p.courses[agent] = c
	p.chain.RecordInfection(infector, agent, day)
	if d, ok := p.m.TestResultDay(agent, c); ok {
		p.scheduleTest(agent, d)
	}
	return nil
}

// scheduleTest makes agent's positive result come back on day d.
func (p *Population) scheduleTest(agent, d int32) {
	if d < 0 {
		return
	}
	for int(d) >= len(p.tests) {
		p.tests = append(p.tests, nil)
	}
	p.tests[d] = append(p.tests[d], agent)
}

// Course returns agent's course (Day is NotInfected if susceptible).
func (p *Population) Course(agent int32) Course { return p.courses[agent] }

// Susceptible reports whether agent has never been infected.
func (p *Population) Susceptible(agent int32) bool { return p.courses[agent].Day == NotInfected }

// State returns agent's compartment on day.
func (p *Population) State(agent, day int32) State { return p.courses[agent].StateOn(day) }

// Infectiousness returns agent's relative infectiousness on day (0 when
// not infectious), evaluated at mid-day.
func (p *Population) Infectiousness(agent, day int32) float64 {
	c := p.courses[agent]
	if c.Day == NotInfected || day <= c.Day {
		return 0
	}
	return p.m.Infectiousness(c, float64(day-c.Day))
}

// CanTransmit reports whether agent is infectious on day: the engine adds
// doses only for pairs where one side CanTransmit and the other is
// Susceptible.
func (p *Population) CanTransmit(agent, day int32) bool { return p.Infectiousness(agent, day) > 0 }

// PositivesOn returns the people whose symptom-driven test comes back
// positive on day and who were not diagnosed before, in ascending order.
// It does not mark them; call Diagnose for each one acted on.
func (p *Population) PositivesOn(day int32) []int32 {
	if day < 0 || int(day) >= len(p.tests) {
		return nil
	}
	var out []int32
	for _, a := range p.tests[day] {
		if !p.courses[a].Diagnosed {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPositive reports whether a test of agent on day would be positive:
// the person is infected and past the minimum latent period, and not yet
// recovered (a PCR test, taken as perfectly sensitive in that window).
func (p *Population) TestPositive(agent, day int32) bool {
	c := p.courses[agent]
	if c.Day == NotInfected {
		return false
	}
	t := float64(day - c.Day)
	return t >= p.m.p.History.MinLatentDays && t < float64(c.End)
}

// Diagnose marks agent as diagnosed and reports whether this is their
// first diagnosis.
func (p *Population) Diagnose(agent int32) bool {
	if p.courses[agent].Diagnosed {
		return false
	}
	p.courses[agent].Diagnosed = true
	return true
}

// Chain returns the transmission chain recorded by Infect.
func (p *Population) Chain() *Chain { return &p.chain }

// Infections returns the number of people infected so far.
func (p *Population) Infections() int { return p.chain.Len() }

// Rt returns the cohort reproduction number for each day up to
// throughDay, with Complete set on cohorts whose members have all
// finished their infectious period by throughDay (later cohorts are
// right-censored: their Rt can only grow).
func (p *Population) Rt(throughDay int32) []RtPoint {
	pts := p.chain.Rt()
	for i := range pts {
		pts[i].Complete = true
	}
	for _, r := range p.chain.recs {
		c := p.courses[r.Infectee]
		last := float64(c.Day) + float64(c.End)
		if last > float64(throughDay) {
			i := int(r.Day - p.chain.first)
			if i >= 0 && i < len(pts) {
				pts[i].Complete = false
			}
		}
	}
	out := pts[:0]
	for _, pt := range pts {
		if pt.Day <= throughDay {
			out = append(out, pt)
		}
	}
	return out
}

// Link is one infection: Infector (−1 for a seed case) infected
// Infectee on Day.
type Link struct {
	Infector, Infectee, Day int32
}

// Chain is the record of who infected whom and when: 12 bytes per
// infection, nothing per susceptible person.
type Chain struct {
	recs  []Link
	first int32
}

// RecordInfection records that infector (−1: seed or imported case)
// infected infectee on day. Each infectee is recorded once.
func (c *Chain) RecordInfection(infector, infectee, day int32) {
	if len(c.recs) == 0 || day < c.first {
		c.first = day
	}
	c.recs = append(c.recs, Link{infector, infectee, day})
}

// Len is the number of infections recorded.
func (c *Chain) Len() int { return len(c.recs) }

// Links returns the records in the order they were made.
func (c *Chain) Links() []Link { return c.recs }

// RtPoint is the cohort reproduction number of the people infected on
// Day: Secondary infections caused by the Cases infected that day, and
// R = Secondary/Cases (NaN with no cases).
type RtPoint struct {
	Day       int32   `json:"day"`
	Cases     int     `json:"cases"`
	Secondary int     `json:"secondary"`
	R         float64 `json:"r"`
	// Complete is false while some of the cohort may still infect others
	// (Population.Rt sets it; Chain.Rt leaves it false).
	Complete bool `json:"complete"`
}

// Rt returns the cohort (case) reproduction number for every day from the
// first recorded infection to the last: for the people infected on day t,
// the mean number of people they went on to infect (Fraser, Am J
// Epidemiol 2007;165:1442 — the cohort, or case, reproduction number,
// which with a full transmission tree needs no model).
func (c *Chain) Rt() []RtPoint {
	if len(c.recs) == 0 {
		return nil
	}
	last := c.first
	day := make(map[int32]int32, len(c.recs)) // infectee → infection day (lookups only)
	for _, r := range c.recs {
		day[r.Infectee] = r.Day
		last = max(last, r.Day)
	}
	pts := make([]RtPoint, last-c.first+1)
	for i := range pts {
		pts[i].Day = c.first + int32(i)
	}
	for _, r := range c.recs {
		pts[r.Day-c.first].Cases++
		if r.Infector >= 0 {
			if d, ok := day[r.Infector]; ok {
				pts[d-c.first].Secondary++
			}
		}
	}
	for i := range pts {
		if pts[i].Cases > 0 {
			pts[i].R = float64(pts[i].Secondary) / float64(pts[i].Cases)
		} else {
			pts[i].R = math.NaN()
		}
	}
	return pts
}

// InfectiousOn appends to dst, in ascending order, the people who can
// transmit on day: the engine calls it once a day and checks pairs
// against that list (or a bitset made from it) instead of evaluating
// infectiousness per contact.
func (p *Population) InfectiousOn(day int32, dst []int32) []int32 {
	for _, r := range p.chain.recs {
		if p.CanTransmit(r.Infectee, day) {
			dst = append(dst, r.Infectee)
		}
	}
	slices.Sort(dst)
	return dst
}
