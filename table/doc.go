// Package table writes bluesim's result tables: CSV with a header line
// and every float in the shortest form that reads back exactly, and
// Parquet with ZSTD-compressed columns, both from one column schema
// (Int, Uint, Float, String). An undefined value (a Float NaN, such as a
// ratio over zero cases) is an empty CSV cell and a Parquet null.
//
// It imports nothing of the simulator, so the run outputs (package
// output), the sweep runner (package sweeprun), the install-target search
// and any other caller write the same formats. Files are written with
// package internal/atomicfile: mode 0644, complete or not at all.
package table // import "github.com/bluesim/bluesim/table"
