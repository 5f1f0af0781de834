// Package agents synthesises a population for the simulator: people with
// ages, households living in houses or apartment blocks, schools and
// classes, workplaces, markets, cafés, buses, each person's weekday and
// weekend schedule of stays, and each person's phone (ownership by age, OS,
// model offsets, carriage, the app-install draw and per-day app activity).
//
// Everything is deterministic: every draw comes from a stream keyed by
// (seed, subsystem, entity, day) through Stream, so two builds with the same
// Params and seed are identical, and parameters that do not touch a draw do
// not shift any other draw (common random numbers).
//
// With Params.Area set the population is a census area instead of a
// synthetic town (Vietnam's 2019 census, package agents/geo): districts
// or provinces (Population.Areas), commune-sized clusters in each
// (Population.Clusters), urban and rural households with the census's
// sizes and ages, commuting between bordering districts, day trips between
// provinces, and every site placed in metres on its province's plane
// (Site.X, Site.Y). Installs are then scaled to each area's smartphone
// owners (Installed, InstalledByArea). Params.Scale samples a share of
// every area with its proportions kept.
//
// Hot state is kept as slices of small structs indexed by agent, venue or
// stay number; there are no per-agent maps or pointers, so a million agents
// fit in a few hundred bytes each.
package agents // import "github.com/bluesim/bluesim/agents"
