package epidemic

import (
	"fmt"
	"math"
	"slices"
)

// DayStats is one day of a run's epidemic outcomes. Population.Tally fills
// the compartments, new infections and quarantine person-days; the engine
// fills the event counters as it acts.
type DayStats struct {
	Day int32 `json:"day"`
	// NewInfections is the number of people infected on the day.
	NewInfections int `json:"new_infections"`
	// Prevalence by compartment at mid-day.
	Susceptible    int `json:"susceptible"`
	Exposed        int `json:"exposed"`
	Presymptomatic int `json:"presymptomatic"`
	Symptomatic    int `json:"symptomatic"`
	Asymptomatic   int `json:"asymptomatic"`
	Recovered      int `json:"recovered"`
	// Tests and Positives count tests taken and positive results.
	Tests     int `json:"tests"`
	Positives int `json:"positives"`
	// Uploads counts positive app users who uploaded their keys.
	Uploads int `json:"uploads"`
	// AppNotifications and ManualNotifications count people told of a
	// contact by the app and by manual tracing.
	AppNotifications    int `json:"app_notifications"`
	ManualNotifications int `json:"manual_notifications"`
	// NewQuarantines counts people entering quarantine or isolation.
	NewQuarantines int `json:"new_quarantines"`
	// QuarantinePersonDays counts people confined on the day;
	// QuarantineUninfectedDays those of them who were susceptible on the
	// day (never infected by then): the cost of quarantine borne by people
	// it did not need to protect anyone from.
	QuarantinePersonDays     int `json:"quarantine_person_days"`
	QuarantineUninfectedDays int `json:"quarantine_uninfected_days"`
}

// Infectious is the number of people in an infectious-capable compartment.
func (d DayStats) Infectious() int { return d.Presymptomatic + d.Symptomatic + d.Asymptomatic }

// Tally returns the compartments, new infections and quarantine
// person-days of day (q may be nil). It walks every person once.
func (p *Population) Tally(day int32, q *Quarantines) DayStats {
	s := DayStats{Day: day}
	var counts [numStates]int
	for i := range p.courses {
		c := &p.courses[i]
		st := c.StateOn(day)
		counts[st]++
		if c.Day == day {
			s.NewInfections++
		}
		if q != nil && i < len(q.s) && q.InQuarantine(int32(i), day) {
			s.QuarantinePersonDays++
			if st == Susceptible {
				s.QuarantineUninfectedDays++
			}
		}
	}
	s.Susceptible, s.Exposed, s.Presymptomatic = counts[Susceptible], counts[Exposed], counts[Presymptomatic]
	s.Symptomatic, s.Asymptomatic, s.Recovered = counts[Symptomatic], counts[Asymptomatic], counts[Recovered]
	return s
}

// Series is a run's daily outcomes, one entry per simulated day in order.
type Series []DayStats

// Summary is a run's outcomes over all its days.
type Summary struct {
	Population int `json:"population"`
	// Infections counts every infection, seeds included.
	Infections int `json:"infections"`
	// AttackRate is Infections / Population.
	AttackRate float64 `json:"attack_rate"`
	// PeakInfectious and PeakDay are the highest number of infectious
	// people and its first day.
	PeakInfectious int   `json:"peak_infectious"`
	PeakDay        int32 `json:"peak_day"`
	Tests          int   `json:"tests"`
	Positives      int   `json:"positives"`
	// Uploads counts index cases that uploaded (the app's index cases).
	Uploads             int `json:"uploads"`
	AppNotifications    int `json:"app_notifications"`
	ManualNotifications int `json:"manual_notifications"`
	// NotificationsPerIndex is app notifications per uploading index case
	// (NaN with no uploads).
	NotificationsPerIndex float64 `json:"notifications_per_index"`
	NewQuarantines        int     `json:"new_quarantines"`
	QuarantinePersonDays  int     `json:"quarantine_person_days"`
	// QuarantineUninfectedDays and UninfectedShare: person-days spent in
	// quarantine by people not infected at the time, and their share.
	QuarantineUninfectedDays int     `json:"quarantine_uninfected_days"`
	UninfectedShare          float64 `json:"quarantine_uninfected_share"`
}

// Summarize totals the series for a population of n people. Infections
// counts the infections of the days in the series plus those already
// infected (not susceptible, not newly infected) on its first day.
func (s Series) Summarize(n int) Summary {
	sum := Summary{Population: n, PeakDay: -1}
	if len(s) > 0 {
		first := s[0]
		sum.Infections = n - first.Susceptible - first.NewInfections
		if first.Susceptible+first.Exposed+first.Infectious()+first.Recovered == 0 {
			sum.Infections = 0 // compartments not tallied
		}
	}
	for _, d := range s {
		sum.Infections += d.NewInfections
		if inf := d.Infectious(); inf > sum.PeakInfectious {
			sum.PeakInfectious, sum.PeakDay = inf, d.Day
		}
		sum.Tests += d.Tests
		sum.Positives += d.Positives
		sum.Uploads += d.Uploads
		sum.AppNotifications += d.AppNotifications
		sum.ManualNotifications += d.ManualNotifications
		sum.NewQuarantines += d.NewQuarantines
		sum.QuarantinePersonDays += d.QuarantinePersonDays
		sum.QuarantineUninfectedDays += d.QuarantineUninfectedDays
	}
	sum.AttackRate = ratio(sum.Infections, n)
	sum.NotificationsPerIndex = ratio(sum.AppNotifications, sum.Uploads)
	sum.UninfectedShare = ratio(sum.QuarantineUninfectedDays, sum.QuarantinePersonDays)
	return sum
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// NewInfections is the total of new infections over the series.
func (s Series) NewInfections() int {
	t := 0
	for _, d := range s {
		t += d.NewInfections
	}
	return t
}

// Aversion is the paired difference of a run and its counterfactual.
type Aversion struct {
	// Base and Counterfactual are the new infections of each run.
	Base           int `json:"infections"`
	Counterfactual int `json:"infections_counterfactual"`
	// Averted is Counterfactual − Base (negative if the base did worse).
	Averted int `json:"infections_averted"`
	// Fraction is Averted / Counterfactual (NaN when the counterfactual
	// had none).
	Fraction float64 `json:"averted_fraction"`
}

// Averted compares a run (base, with the app) with its paired
// counterfactual (the same world and seed without the app). Both series
// must cover the same days.
func Averted(base, counterfactual Series) (Aversion, error) {
	if len(base) != len(counterfactual) {
		return Aversion{}, fmt.Errorf("epidemic: averted: base has %d days, counterfactual %d", len(base), len(counterfactual))
	}
	for i := range base {
		if base[i].Day != counterfactual[i].Day {
			return Aversion{}, fmt.Errorf("epidemic: averted: day %d of base is %d, of counterfactual %d", i, base[i].Day, counterfactual[i].Day)
		}
	}
	a := Aversion{Base: base.NewInfections(), Counterfactual: counterfactual.NewInfections()}
	a.Averted = a.Counterfactual - a.Base
	a.Fraction = ratio(a.Averted, a.Counterfactual)
	return a, nil
}

// NotifiedOutcome is what became of the people notified in a run.
type NotifiedOutcome struct {
	// Notified counts distinct people notified at least once.
	Notified int `json:"notified"`
	// Infected counts those infected within WindowDays before or after
	// their first notification.
	Infected int `json:"infected"`
	// ByIndex counts those infected by (one of) the index case(s) they
	// were notified about: the secondary attack rate in its strict sense.
	ByIndex int `json:"infected_by_index"`
	// SAR is Infected/Notified and SARByIndex ByIndex/Notified.
	SAR        float64 `json:"secondary_attack_rate"`
	SARByIndex float64 `json:"secondary_attack_rate_by_index"`
}

// NotifiedOutcomes computes the secondary attack rate among notified
// people: of the distinct people in notices (app or manual), how many were
// infected from windowDays before their first notification to windowDays
// after it, and how many by an index case they were notified about.
func (p *Population) NotifiedOutcomes(notices []Notice, windowDays int32) NotifiedOutcome {
	ns := slices.Clone(notices)
	slices.SortFunc(ns, func(a, b Notice) int {
		if a.Person != b.Person {
			return int(a.Person) - int(b.Person)
		}
		if a.Day != b.Day {
			return int(a.Day) - int(b.Day)
		}
		return int(a.Index) - int(b.Index)
	})
	infector := make(map[int32]int32, p.chain.Len()) // lookups only
	for _, r := range p.chain.recs {
		infector[r.Infectee] = r.Infector
	}
	var out NotifiedOutcome
	for i := 0; i < len(ns); {
		j := i
		for j < len(ns) && ns[j].Person == ns[i].Person {
			j++
		}
		person, first := ns[i].Person, ns[i].Day
		i, j = j, i
		if person < 0 || int(person) >= len(p.courses) {
			continue
		}
		out.Notified++
		c := p.courses[person]
		if c.Day == NotInfected || c.Day < first-windowDays || c.Day > first+windowDays {
			continue
		}
		out.Infected++
		if src, ok := infector[person]; ok {
			for _, n := range ns[j:i] {
				if n.Index == src {
					out.ByIndex++
					break
				}
			}
		}
	}
	out.SAR = ratio(out.Infected, out.Notified)
	out.SARByIndex = ratio(out.ByIndex, out.Notified)
	return out
}
