package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// MaxErrors is how many errors a load reports before it summarises the rest:
// enough to fix a file in one pass, few enough to read.
const MaxErrors = 20

// Error is one problem with a scenario, located as precisely as the loader
// can: the file (or the --set flag) it came from, the line and column of
// the key or value at fault (zero when unknown, for example a default that
// a later layer made contradictory), and the dotted field path
// ("arms[1].rule.preset").
type Error struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

// Error formats the error as "file:line:col: field: message", leaving out
// the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in one load, sorted by file and line.
// It is an error itself; use errors.As to get at the entries.
type ErrorList []*Error

// Error prints one error per line, at most MaxErrors of them.
func (l ErrorList) Error() string {
	var lines []string
	for i, e := range l {
		if i == MaxErrors {
			lines = append(lines, fmt.Sprintf("... and %d more errors", len(l)-MaxErrors))
			break
		}
		lines = append(lines, e.Error())
	}
	return strings.Join(lines, "\n")
}

// Err returns nil for an empty list and the sorted list otherwise, so that
// callers can write `return errs.Err()`.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Sort orders the list by file, then line and column (errors without a line
// last within their file), then field, then message: a stable order makes
// the output diffable and golden-testable.
func (l ErrorList) Sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		la, lb := a.Line, b.Line
		if la == 0 {
			la = 1 << 30
		}
		if lb == 0 {
			lb = 1 << 30
		}
		return cmp.Or(cmp.Compare(la, lb), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Field, b.Field), cmp.Compare(a.Msg, b.Msg))
	})
}

// Pos is where a key was given: the file, line and column of the key (or
// of the list element).
type Pos struct {
	File         string
	Line, Column int
}

// Positions maps the dotted path of every field a layer set to where it was
// set. Later layers overwrite earlier ones, so the map says who set the
// value that is in force.
type Positions map[string]Pos

// Lookup returns the position of path, or of its nearest ancestor that has
// one (a field inside a list that was given as a whole).
func (p Positions) Lookup(path string) (Pos, bool) {
	for path != "" {
		if pos, ok := p[path]; ok {
			return pos, true
		}
		path = parentPath(path)
	}
	return Pos{}, false
}

// Has reports whether path itself was set by some layer.
func (p Positions) Has(path string) bool {
	_, ok := p[path]
	return ok
}

// parentPath strips the last segment of a dotted path: "a.b[2]" -> "a.b",
// "a.b" -> "a", "a" -> "".
func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// joinPath appends a field name to a path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// indexPath appends a list index to a path.
func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// closest returns the candidate nearest to key by edit distance, if it is
// near enough to be a plausible misspelling.
func closest(key string, candidates []string) (string, bool) {
	best, bestD := "", -1
	lk := strings.ToLower(key)
	for _, c := range candidates {
		d := levenshtein(lk, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	// One edit in three characters, and at least one, is a typo; more is
	// probably a different word.
	limit := max(1, len(key)/3)
	if bestD < 0 || bestD > limit {
		return "", false
	}
	return best, true
}

// levenshtein is the edit distance between a and b (insertions, deletions,
// substitutions and swaps of neighbours, each costing one: the optimal
// string alignment distance), over bytes: keys are ASCII. Swaps count as
// one edit because "twon" for "town" is the commonest typo of all.
func levenshtein(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
