// Package check is the vocabulary of parameter validation that every
// package owning parameters shares (agents, the tracing protocols' rules,
// the load generator's national load, ...).
//
// Each problem is an *Error that names the YAML key path of the field at
// fault and says what is wrong with it, in the same words everywhere
// ("must be between 2 and 30, got 50"). A Validate method collects its
// problems in a List and returns List.Err, all of them joined; callers take
// them apart again with Errors. The scenario loader uses the field paths to
// place each problem at the file, line and column that set the field, so a
// package's own Validate is the only place a limit is written down.
//
//	func (p Params) Validate() error {
//		l := check.New("population")
//		l.IntBetween("size", p.Size, 2, 50_000_000)
//		l.Fraction("ios_share", p.IOSShare)
//		return l.Err()
//	}
package check // import "github.com/bluesim/bluesim/check"
