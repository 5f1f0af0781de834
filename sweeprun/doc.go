// Package sweeprun runs a sweep plan (scenarios.Plan) on local workers,
// one shard of it or all of it, and writes what each task produced as
// tables (package table, the format of a run's tables): CSV and Parquet
// files of one row per task and group (protocol arm), a summary of
// per-point means with 95 % confidence intervals across replicates, and a
// manifest that says which tasks of which sweep the folder holds. Merge combines shard folders into exactly the tables the
// whole sweep run in one place would have written, byte for byte.
//
// What a task computes is a RunFunc, so the runner does not depend on the
// simulator: the command line passes one that calls sim.Run, tests pass a
// small deterministic function.
package sweeprun // import "github.com/bluesim/bluesim/sweeprun"
