// Package epidemic is bluesim's model of SARS-CoV-2 as it stood in 2020:
// natural history per agent, transmission from the simulator's
// ground-truth contacts, testing, tracing and quarantine policy, and the
// outcome accounting that turns a run into infections over time, an
// effective reproduction number, attack rates and infections averted.
//
// The package knows nothing about the engine: it imports only radio (for
// the Environment enum), so sim and scenarios can import it.
//
// # Model
//
// A person's course (Model.DrawCourse) is exposed → pre-symptomatic →
// symptomatic, or exposed → asymptomatic, then recovered, with a lognormal
// incubation period (Lauer et al. 2020) and the He et al. (2020)
// infectiousness profile around symptom onset; params.go cites every
// default. A contact's dose is minutes · f(distance) · environment factor
// (Model.Dose); a pair's daily doses add, and the day's infection
// probability is 1 − exp(−beta · infectiousness · dose) (Model.PInfect).
// Beta is calibrated to R0 (Model.CalibrateBeta) over the engine's own
// contacts.
//
// # Day recipe for the engine
//
// Before day 0: m := NewModel(params, seed). If params.Transmission.Beta
// is 0, calibrate: pick idx := m.CalibrationSample(n, 500), walk one
// ordinary week of contacts with no epidemic, log.Add(i, k, contact,
// m.Dose(...)) for every contact of idx[i] on day k into
// log := NewDoseLog(len(idx), 7), then
// beta := m.CalibrateBeta(log, params.Transmission.TargetR0) and
// m = m.WithBeta(beta). Then one Run per arm: run := NewRun(m, n); the arm
// without the app uses the same m (same seed), which makes the pair share
// every draw.
//
// Quarantine only removes contacts (people confined at home keep their
// household contacts, isolated people have none); it does not move
// anyone. So the engine can walk the day's contacts once, for all arms,
// and filter per arm: a contact of (a, b) counts for an arm, both for
// doses and for the app's sightings, unless run.Excluded(a, b, d,
// sameHousehold).
//
// Each day d, for each arm:
//
//  1. run.Seed(d) (infects the seed cases on seed_day).
//  2. inf := run.Pop.InfectiousOn(d, nil), as a bitset: who can transmit
//     today.
//  3. While walking the day's epochs, for every pair (a, b) in contact and
//     not run.Excluded(a, b, d, sameHousehold), with a infectious and
//     run.Pop.Susceptible(b) (and the other way round), call
//     e.Add(a, b, m.Dose(minutes, distance, env)) on the worker's own
//     Exposures e. Only one slot per pair is stored; doses are
//     fixed-point, so the sum does not depend on the order.
//  4. End of day: merge the workers' Exposures (Merge, any order) and call
//     run.Transmit(&e, d): infections are drawn per pair from streams keyed
//     by (seed, "transmission", source, target, d) and applied.
//  5. uploaders := run.Diagnose(d, hasApp, household): the day's positive
//     results are isolated from d+1, queued for manual tracing, and the app
//     users among them who comply are returned, for the protocol upload.
//  6. The engine publishes, matches and notifies as usual, then calls
//     run.Notify(d, notices, ReasonApp, household): compliant people (a
//     draw keyed by person and day) are confined from d+1 for
//     quarantine.days, with their household if quarantine.household.
//  7. run.TraceManually(d, contacts, household): up to capacity_per_day
//     queued index cases are traced, FIFO; contacts returns the
//     ground-truth close contacts of an index case in a day range.
//  8. run.EndDay(d) appends the day's DayStats to run.Series.
//
// At the end: run.Series.Summarize(n), run.Pop.Rt(lastDay) (cohort Rt),
// Averted(appRun.Series, noAppRun.Series), and
// run.Pop.NotifiedOutcomes(run.Notices, 14) for the secondary attack rate
// among the notified.
//
// # Common random numbers
//
// Every draw is keyed by (seed, subsystem, entity..., day), never by the
// order events happen in: a person's course by the person, a pair's
// transmission by the pair and day, a test by the person, compliance by
// the person and the day of notification. The same world simulated with
// and without the app (same seed) therefore shares every draw both make,
// and with the app off the two runs are identical; infections averted are
// differences of paired runs, not of noise.
package epidemic // import "github.com/bluesim/bluesim/sim/epidemic"
