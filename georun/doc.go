// Package georun runs a census area simulated one province per run (a
// scenario whose population.area holds several provinces, with
// population.travel.mixing: separate; the built-in vietnam) on one
// machine or split across many, and combines the provinces' results into
// the results of the whole area.
//
// A Plan lists the area's provinces as parts, each an ordinary
// single-province scenario with its own seed (scenarios.SplitProvinces).
// Plan.Shard gives shard i of n (a sweeprun.ShardID, counted from 1 as
// bluesim sweep's shards are) a deterministic subset of the provinces,
// balanced by population (largest first, each to the least-loaded shard).
// WriteShard stores a shard's finished results (one JSON file per
// province, the scenario and a manifest, written last); Merge reads shard
// folders back, checks that they come from the same scenario and hold
// every province exactly once, and combines the parts with sim.Combine in
// census order. Since every part depends only on the scenario and its own
// province, the combined result of shards is byte for byte the result of
// running every province in one place: the tables and output hash agree
// exactly, whatever the number of shards.
//
// What the run function does is injected (RunFunc), so tests can run tiny
// scenarios and the command line runs the simulator with progress bars.
package georun // import "github.com/bluesim/bluesim/georun"
