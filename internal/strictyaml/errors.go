package strictyaml

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// MaxErrors is how many errors ErrorList.Error prints before it summarises
// the rest: enough to fix a file in one pass, few enough to read.
const MaxErrors = 20

// Error is one problem with a file, located as precisely as the loader
// can: the file (or the command-line flag) it came from, the line and
// column of the key or value at fault (zero when unknown, for example a
// default that a later layer made contradictory), and the dotted field
// path ("arms[1].rule.preset").
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
		path = ParentPath(path)
	}
	return Pos{}, false
}

// Has reports whether path itself was set by some layer.
func (p Positions) Has(path string) bool {
	_, ok := p[path]
	return ok
}

// Overlay records a later layer's positions: a path it set replaces what
// earlier layers said about that path and everything under it (a list given
// again replaces the old list entirely).
func (p Positions) Overlay(layer Positions) {
	paths := make([]string, 0, len(layer))
	for k := range layer {
		paths = append(paths, k)
	}
	slices.Sort(paths)
	for _, lp := range paths {
		for old := range p {
			if strings.HasPrefix(old, lp+".") || strings.HasPrefix(old, lp+"[") {
				delete(p, old)
			}
		}
	}
	for _, lp := range paths {
		p[lp] = layer[lp]
	}
}

// Locate fills in, for each error that has no file yet, where its field
// was set (or, when no layer set it, the file fallback).
func (p Positions) Locate(errs ErrorList, fallback string) ErrorList {
	for _, e := range errs {
		if e.File != "" {
			continue
		}
		if pos, ok := p.Lookup(e.Field); ok {
			e.File, e.Line, e.Column = pos.File, pos.Line, pos.Column
		} else {
			e.File = fallback
		}
	}
	return errs
}

// ParentPath strips the last segment of a dotted path: "a.b[2]" -> "a.b",
// "a.b" -> "a", "a" -> "".
func ParentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// JoinPath appends a field name to a path.
func JoinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// IndexPath appends a list index to a path.
func IndexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
