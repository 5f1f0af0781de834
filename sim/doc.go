// Package sim is bluesim's engine: it runs a scenarios.Scenario over a
// synthesised population, day by day. Run refuses a scenario that
// scenarios.Validate refuses, with the same messages: that is the one gate
// a scenario passes, and the engine's own limits (package sim/limits) are
// among its checks.
//
// The engine knows no protocol by name. Each arm's protocol is looked up in
// the table of package tracing/protocols, and its tracing.Simulated entry
// says what the engine does: which radio schedules the phones follow on
// each OS, whether a battery saver can kill the app, how a scan's packets
// become stored sightings (one per scan, or the strongest record of each
// wall-clock bucket), how a phone is made (its key material and the
// metadata it sends, such as GAEN's AEM), and the rule that decides from
// an exposure.
//
// A day is an ordered list of phases, each timed on its own
// (Result.Phases): the layout (who is tracked, whose phones are on, every
// person's stays grouped by site, the chunks of sites), the sites, the
// ordered merge, the epidemic's transmission, the diagnoses, the matching
// and the scoring. Workers read the day through a read-only view and
// write only their own chunk's output.
//
// Inside a site, seated people keep their seat for the whole stay, so a
// grid of the site's seats, built once, finds each pair of seated stays in
// radio range once, for their whole overlap; people moving freely (homes,
// market aisles) take a new position each epoch, and each epoch a grid of
// the free positions finds their pairs with each other and, through the
// seats' grid, with the seated (never all pairs of a large venue). Whether
// an app is on screen is drawn per hour, so a pair's scan windows follow
// the hour each starts in. Every pair gets
// ground truth (minutes within the close-contact distance, minutes in
// range, minimum distance, venue type, environment), app or not. Only where
// both phones run an arm's app and are active does the engine walk the
// scanner's scan windows (radio.Schedule) inside the overlap and ask the
// radio model (radio.Model.Scan for a protocol that records scans, or
// Strongest for an app that keeps the strongest of its own records per
// bucket; engine.exact_radio makes every record, Records, and folds them,
// radio.KeepStrongest, with the same result) what it hears. What is heard
// is stored compactly: one 16-byte record per (receiver, advertiser, ID
// rotation slot) and a 4-byte entry (time and RSSI) per sighting, in one
// segment per chunk; the ID bytes are materialised through the protocol's
// real Device code (a 4-byte prefix once per record for the join's probe,
// the full ID and its metadata, tracing.Phone.Advert, once per record that
// a probe finds). By default only advertisers who upload (diagnosed, with
// the app, and agreeing to upload, all known ahead) while a phone still
// holds the sighting are sampled, since no other sighting can match a
// published key; engine.all_sightings samples every app pair and gives the
// same verdicts (tested).
//
// At the end of each day the diagnosed app users upload their keys through
// the real Device.Upload (with a compliance draw); each published key is
// expanded once (Protocol.Expand) and joined on ID bytes against the
// observations of the infectious window (in parallel parts by advertiser,
// so that no device is used by two goroutines); the protocol's own rule
// code decides who is notified (in parallel parts by upload); and the
// verdicts are scored against the ground truth of the index cases'
// contacts (the arms in parallel). Who is diagnosed and uploads comes from
// one interface with two implementations: diagnoses fixed ahead, and the
// epidemic layer. Besides the tables, the result keeps every index case's
// own verdicts, and its part of each breakdown cell, distance band and
// census area (Result.IndexCases and the tables beside it): an index
// case's contacts are not independent of one another, so the index case
// is the unit the outputs' intervals resample. Combine adds up separately
// run provinces of a census area, index cases included.
//
// With the scenario's epidemic layer on (package sim/epidemic), the index
// cases are not drawn from diagnosis.daily_fraction but are each arm's
// diagnosed positives. Every arm runs its own epidemic.Run, driven by its
// own notifications, and one more run has no app at all (the paired
// counterfactual); all share one Model, so they share every random draw
// and infections averted are differences of paired runs. Beta is
// calibrated first, unless given, over a week of ordinary contacts walked
// without the radio. Quarantine only removes contacts, so the day's
// contacts are walked once: each run adds the doses of the pairs its
// quarantines do not exclude, and an arm's matching ignores sightings made
// while its quarantines kept the pair apart. Diagnoses are not known
// ahead, but a person's course, test delay and upload compliance are
// keyed by the person, so the radio is still sampled only for advertisers
// who can upload within the window in some run (tested equal to sampling
// every pair).
//
// Every random draw is keyed by (seed, subsystem, entity, day), and the
// per-day work is split into chunks fixed independently of the worker
// count and merged in chunk order (or into totals and sorted lists that
// do not depend on the order), so results are byte-identical for any
// number of workers (Result.Hash).
package sim // import "github.com/bluesim/bluesim/sim"
