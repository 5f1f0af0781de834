// Package scenarios is the scenario a run starts from: the Scenario type
// that composes every package's parameters (schema.go), strict YAML loading
// with file:line:column errors, validation of ranges and contradictions,
// the built-in scenarios, and sweep expansion.
//
// Loading is layered. The defaults in code (Default, the "town") come
// first; a file's `base: NAME` puts a built-in on top of them; the file's
// own keys go on top of that; `--set path.to.key=value` overrides go last.
// Each layer only changes the keys it names, except lists, which a layer
// replaces whole.
//
// Loading is strict, because a scenario that silently ignores a misspelled
// key gives wrong answers that look right. The YAML is parsed into a
// yaml.Node tree and walked against the Go structs by reflection over their
// yaml tags (the module's internal/strictyaml), so every problem is
// reported with its position and dotted field path (arms[1].rule.preset),
// an unknown key with the closest valid one, and all problems at once (up
// to MaxErrors), sorted by line.
//
// An arm's rule block is its protocol's own parameter struct, from the
// protocol's package via the table in tracing/protocols (gaen.RuleParams,
// bluezone.RuleParams, dp3t.RuleParams): the arm's protocol is read first,
// the block starts from that protocol's deployed rule, and only that
// struct's keys are valid in it.
//
// Validate is the only place a scenario is judged. It applies each owning
// package's own Validate (agents, radio, epidemic, each arm's rule) and
// the engine's limits (sim/limits), so that what loads runs: sim.Run
// calls it too.
//
// A sweep block turns one file into many runs: axes over any key path,
// replicates per point, with seeds that depend on the replicate and not on
// the point, so all points share their random numbers.
package scenarios // import "github.com/bluesim/bluesim/scenarios"
