// Package epidemic is bluesim's model of SARS-CoV-2 as it stood in 2020:
// natural history per agent, transmission from the simulator's
// ground-truth contacts, testing, tracing and quarantine policy, and the
// outcome accounting that turns a run into infections over time, an
// effective reproduction number, attack rates and infections averted.
//
// The package knows nothing about the engine: it imports only radio (for
// the Environment enum). The engine (package sim) drives it once per
// simulated day:
//
//   - while it walks the day's epochs it adds Model.Dose for every pair in
//     which one person can transmit and the other can be infected
//     (Population.CanTransmit, Population.Susceptible) into an Exposures
//     accumulator, one per worker;
//   - at the end of the day it merges the workers' accumulators and calls
//     Exposures.Resolve, which turns each pair's summed dose into an
//     infection probability (Model.PInfect) and draws it from a stream keyed
//     by (seed, "transmission", source, target, day), so the result does not
//     depend on worker count or the order contacts were seen;
//   - testing, uploads and quarantine compliance are per-person draws keyed
//     the same way (Model.TestResultDay, Model.Uploads, Model.Complies),
//     Quarantines says who is confined tomorrow, and Tracer runs manual
//     tracing with a daily capacity.
//
// Every draw is keyed by (seed, subsystem, entity, day) and never by the
// order events happen in, so the same world simulated with and without the
// app (same seed) shares every draw — common random numbers — and
// infections averted are differences of paired runs, not of noise. A
// person's course of infection (Model.DrawCourse) is keyed by the person
// alone: whoever infects them, on whatever day, they incubate, shed and
// recover the same way in both arms.
//
// The sources of every default are cited next to it in params.go.
package epidemic // import "github.com/bluesim/bluesim/sim/epidemic"
