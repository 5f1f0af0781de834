// Package output assembles a run's output folder: WriteRun decides which
// files it holds and in which order they are written (scenario.yaml,
// tables/, summary.json, plots/, report.html), and summary.json lists them
// and carries the output hash that says two runs produced the same thing.
//
// The tables are package table's (CSV and Parquet); the figures and the
// report page come from a Renderer (package plots has bluesim's), as bytes
// that output writes. Every file is written with package
// internal/atomicfile (a temporary file beside the target, synced,
// renamed, mode 0644), so an interrupted run leaves each file complete or
// absent, never half written. The hash covers only deterministic content
// (the tables' CSV bytes and the summary without its timing and memory
// fields), so the same seed gives the same hash for any number of workers.
//
// WriteSweep adds a whole sweep's report to the folder sweeprun wrote:
// summary.json (SweepSummary: sweeprun's means and intervals per point and
// arm, and the adoption each goal of the sweep needs), the figures and the
// page of a SweepRenderer, computed from the folder's own files so that a
// sweep run whole and its merged shards write the same bytes.
//
// Every interval in the outputs comes from the run's index cases (the
// engine's Result.IndexCases and their breakdowns) through
// stats.ClusterRatio, never from counting pairs as independent trials (a
// census run's by_area rows too: each index case a cluster of its
// verdicts about the area's residents, Result.IndexCaseAreas); a
// share with fewer contributing index cases than stats.MinIndexCases, and
// an epidemic outcome the run is too short to show, is null with its
// reason (ArmSummary.Unestimable). Estimates lists every quantity with an
// interval, for bluesim calibrate.
package output // import "github.com/bluesim/bluesim/output"
