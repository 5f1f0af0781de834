// Package output turns a simulation result into the files a user keeps:
// summary.json, tables in CSV and Parquet, and the output hash that says
// two runs produced the same thing.
//
// Every file is written with package internal/atomicfile (a temporary
// file beside the target, synced, renamed, mode 0644), so an interrupted run leaves each file complete
// or absent, never half written. The hash covers only deterministic
// content (the tables' CSV bytes and the summary without its timing and
// memory fields), so the same seed gives the same hash for any number of
// workers.
//
// The package knows nothing about figures; package plots draws them from
// the same result and tables. The sweep command can reuse Table, WriteTables
// and Wilson for its own rows.
package output // import "github.com/bluesim/bluesim/output"
