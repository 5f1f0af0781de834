package scenarios

import "github.com/bluesim/bluesim/internal/strictyaml"

// MaxErrors is how many errors a load reports before it summarises the rest:
// enough to fix a file in one pass, few enough to read.
const MaxErrors = strictyaml.MaxErrors

// Error is one problem with a scenario, located as precisely as the loader
// can: the file (or the --set flag) it came from, the line and column of
// the key or value at fault (zero when unknown, for example a default that
// a later layer made contradictory), and the dotted field path
// ("arms[1].rule.preset"). It prints as "file:line:col: field: message".
type Error = strictyaml.Error

// ErrorList is every problem found in one load, sorted by file and line.
// It is an error itself; use errors.As to get at the entries.
type ErrorList = strictyaml.ErrorList

// Pos is where a key was given: the file, line and column of the key (or
// of the list element).
type Pos = strictyaml.Pos

// Positions maps the dotted path of every field a layer set to where it was
// set. Later layers overwrite earlier ones, so the map says who set the
// value that is in force.
type Positions = strictyaml.Positions

// ListDefaulter is implemented (on the pointer) by list element types whose
// new elements start from defaults rather than from zero values. A list in a
// scenario file replaces the list below it as a whole; each element is then
// built as ApplyDefaults() followed by the keys the file gives.
type ListDefaulter = strictyaml.ListDefaulter

func indexPath(path string, i int) string { return strictyaml.IndexPath(path, i) }
