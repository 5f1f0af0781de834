package geo

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Error is a problem in a data file: the file, the line (1-based, 0 when
// it concerns the whole file), the column when one is at fault, and what
// was wrong.
type Error struct {
	File   string
	Line   int
	Column string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString(e.Column + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// maxCount bounds every count in the files: more people than the world
// holds is a typo, and the bound keeps sums far from overflow.
const maxCount = 10_000_000_000

var (
	slugRE    = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	decimalRE = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,9})?$`)
	digitsRE  = regexp.MustCompile(`^[0-9]{1,11}$`)
)

// table reads a CSV data file: lines starting with # are comments, the
// first other line is the header, which must be exactly the columns
// wanted, in order; every row must have as many fields.
type table struct {
	file string
	r    *csv.Reader
	cols []string
	// rec and line are the current row and its line number.
	rec  []string
	line int
	err  error
}

func newTable(file string, data []byte, cols []string) (*table, error) {
	if len(data) == 0 {
		return nil, &Error{File: file, Msg: "empty file: want a header line " + strings.Join(cols, ",")}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	t := &table{file: file, r: r, cols: cols}
	hdr, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: file, Msg: "no header line: want " + strings.Join(cols, ",")}
	}
	if err != nil {
		return nil, t.csvError(err)
	}
	line, _ := r.FieldPos(0)
	if !slices.Equal(hdr, cols) {
		return nil, &Error{File: file, Line: line, Msg: fmt.Sprintf("header is %q, want %q",
			strings.Join(hdr, ","), strings.Join(cols, ","))}
	}
	return t, nil
}

func (t *table) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{File: t.file, Line: pe.Line, Msg: pe.Err.Error()}
	}
	return &Error{File: t.file, Msg: err.Error()}
}

// next reads the next row; false at the end or on an error (see t.err).
func (t *table) next() bool {
	if t.err != nil {
		return false
	}
	rec, err := t.r.Read()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		t.err = t.csvError(err)
		return false
	}
	t.rec = rec
	t.line, _ = t.r.FieldPos(0)
	if len(rec) != len(t.cols) {
		t.err = &Error{File: t.file, Line: t.line, Msg: fmt.Sprintf("%d fields, want %d (%s)",
			len(rec), len(t.cols), strings.Join(t.cols, ","))}
		return false
	}
	return true
}

// fail records a problem with column col of the current row (the first
// problem of a file is the one reported).
func (t *table) fail(col, format string, args ...any) {
	if t.err == nil {
		t.err = &Error{File: t.file, Line: t.line, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
}

func (t *table) raw(col string) string {
	i := slices.Index(t.cols, col)
	if i < 0 {
		panic("geo: no column " + col) // a programming error, not input
	}
	return t.rec[i]
}

// text is a non-empty field without surrounding spaces.
func (t *table) text(col string) string {
	s := t.raw(col)
	if s == "" || strings.TrimSpace(s) != s {
		t.fail(col, "want a non-empty value without surrounding spaces, got %q", s)
	}
	return s
}

// slug is a lowercase identifier: letters, digits and single hyphens.
func (t *table) slug(col string) string {
	s := t.raw(col)
	if !slugRE.MatchString(s) {
		t.fail(col, "want a slug (lowercase letters, digits, single hyphens), got %q", s)
	}
	return s
}

// count is a whole number of people or households.
func (t *table) count(col string) int {
	s := t.raw(col)
	if !digitsRE.MatchString(s) {
		t.fail(col, "want a whole number (digits only), got %q", s)
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxCount {
		t.fail(col, "want a whole number up to %d, got %q", int64(maxCount), s)
		return 0
	}
	return int(n)
}

// decimal is a non-negative decimal number (digits, an optional fraction).
func (t *table) decimal(col string) float64 {
	s := t.raw(col)
	if !decimalRE.MatchString(s) {
		t.fail(col, "want a non-negative decimal number such as 12.5, got %q", s)
		return 0
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.fail(col, "want a decimal number, got %q", s)
	}
	return x
}

// slugs is a list of slugs separated by ';' (empty: none), without
// repeats.
func (t *table) slugs(col string) []string {
	s := t.raw(col)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	for i, p := range parts {
		if !slugRE.MatchString(p) {
			t.fail(col, "want slugs separated by ';', got %q", s)
			return nil
		}
		if slices.Contains(parts[:i], p) {
			t.fail(col, "%q is listed twice", p)
			return nil
		}
	}
	return parts
}

// yesNo is "yes" or "no".
func (t *table) yesNo(col string) bool {
	switch s := t.raw(col); s {
	case "yes":
		return true
	case "no":
		return false
	default:
		t.fail(col, "want yes or no, got %q", s)
	}
	return false
}

// oneOf is one of the given values.
func (t *table) oneOf(col string, valid ...string) string {
	s := t.raw(col)
	if !slices.Contains(valid, s) {
		t.fail(col, "want one of %s, got %q", strings.Join(valid, ", "), s)
	}
	return s
}
