// Package reportcheck checks a report against its summary.json: every
// number the report's text gives must be a number of the summary, as the
// text writes it (rounded to the digits shown, a share as a percentage).
// The browser test and the report tests use it, so that a report never
// quotes a figure a script reading summary.json cannot find.
package reportcheck // import "github.com/bluesim/bluesim/internal/reportcheck"
