package check

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Error is one problem with one parameter.
type Error struct {
	// Field is the YAML key path of the field at fault: "house_width_m",
	// "thresholds_db[1]", "rssi.ios_ios", or "" for the whole struct.
	Field string
	// Msg says what is wrong: "must be between 2 and 30, got 50".
	Msg string
}

// Error formats the problem as "field: message".
func (e *Error) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

// List collects the problems of one Validate call. The zero value is ready
// to use; New sets a prefix for every field.
type List struct {
	prefix string
	errs   []error
}

// New returns an empty list whose fields are under prefix (a key path such
// as "population"; "" for none).
func New(prefix string) *List { return &List{prefix: prefix} }

// Field returns the full key path of field: the list's prefix joined with
// field.
func (l *List) Field(field string) string { return Join(l.prefix, field) }

// Join appends a key path to another: Join("a", "b") is "a.b",
// Join("a", "[1]") is "a[1]"; an empty part is left out.
func Join(path, field string) string {
	switch {
	case path == "":
		return field
	case field == "":
		return path
	case strings.HasPrefix(field, "["):
		return path + field
	}
	return path + "." + field
}

// Index returns the key path of entry i of the list at field: "field[i]".
func Index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

// Add records a problem with field.
func (l *List) Add(field, format string, args ...any) {
	l.errs = append(l.errs, &Error{Field: l.Field(field), Msg: fmt.Sprintf(format, args...)})
}

// Merge records the problems of err (as Errors splits them), each field
// under field: a nested struct's own Validate.
func (l *List) Merge(field string, err error) {
	for _, e := range Errors(err) {
		l.errs = append(l.errs, &Error{Field: l.Field(Join(field, e.Field)), Msg: e.Msg})
	}
}

// Err returns every recorded problem joined (errors.Join), or nil.
func (l *List) Err() error { return errors.Join(l.errs...) }

// Len is the number of problems recorded so far.
func (l *List) Len() int { return len(l.errs) }

// Finite reports whether x is neither NaN nor infinite.
func Finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Between checks lo <= x <= hi, x finite.
func (l *List) Between(field string, x, lo, hi float64) bool {
	if !Finite(x) || x < lo || x > hi {
		l.Add(field, "must be between %v and %v, got %v", lo, hi, x)
		return false
	}
	return true
}

// IntBetween checks lo <= x <= hi.
func (l *List) IntBetween(field string, x, lo, hi int) bool {
	if x < lo || x > hi {
		l.Add(field, "must be between %d and %d, got %d", lo, hi, x)
		return false
	}
	return true
}

// Fraction checks that x is a share or a probability: 0 <= x <= 1.
func (l *List) Fraction(field string, x float64) bool {
	if !Finite(x) || x < 0 || x > 1 {
		l.Add(field, "must be between 0 and 1, got %v", x)
		return false
	}
	return true
}

// Positive checks x > 0, x finite.
func (l *List) Positive(field string, x float64) bool {
	if !Finite(x) || x <= 0 {
		l.Add(field, "must be greater than 0, got %v", x)
		return false
	}
	return true
}

// NonNegative checks x >= 0, x finite.
func (l *List) NonNegative(field string, x float64) bool {
	if !Finite(x) || x < 0 {
		l.Add(field, "must not be negative, got %v", x)
		return false
	}
	return true
}

// OneOf checks that value is one of valid, suggesting the closest on a
// misspelling: `unknown mode "f2" (did you mean "f1"?) (want any or f1)`.
func (l *List) OneOf(field, what, value string, valid []string) bool {
	for _, v := range valid {
		if v == value {
			return true
		}
	}
	l.Add(field, "unknown %s %q%s (want %s)", what, value, Suggest(value, valid), Alternatives(valid))
	return false
}

// Shares checks a list of n fractions (any length when n is 0) that sum to
// 1 within 1e-3.
func (l *List) Shares(field string, xs []float64, n int) {
	if n > 0 && len(xs) != n {
		l.Add(field, "want %d values, got %d", n, len(xs))
		return
	}
	sum := 0.0
	for i, x := range xs {
		l.Fraction(Index(field, i), x)
		sum += x
	}
	if len(xs) > 0 && math.Abs(sum-1) > 1e-3 {
		l.Add(field, "shares must sum to 1, got %v", RoundSig(sum, 6))
	}
}

// Errors splits an error from a Validate method into its problems: the
// parts of a joined error, each an *Error (a part of another type becomes
// an *Error without a field). A nil error gives none.
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, e := range j.Unwrap() {
			out = append(out, Errors(e)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) && e.Error() == err.Error() {
		return []*Error{e}
	}
	return []*Error{{Msg: err.Error()}}
}

// Alternatives formats valid values for a message: "a", "a or b",
// "a, b or c".
func Alternatives(valid []string) string {
	switch len(valid) {
	case 0:
		return "nothing"
	case 1:
		return valid[0]
	}
	return strings.Join(valid[:len(valid)-1], ", ") + " or " + valid[len(valid)-1]
}

// Suggest formats ` (did you mean "x"?)` when a candidate is close enough
// to s to be a plausible misspelling, and "" otherwise.
func Suggest(s string, candidates []string) string {
	if c, ok := Closest(s, candidates); ok && c != s {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// Closest returns the candidate nearest to key by edit distance, if it is
// near enough to be a plausible misspelling.
func Closest(key string, candidates []string) (string, bool) {
	best, bestD := "", -1
	lk := strings.ToLower(key)
	for _, c := range candidates {
		d := Levenshtein(lk, strings.ToLower(c))
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

// Levenshtein is the edit distance between a and b (insertions, deletions,
// substitutions and swaps of neighbours, each costing one: the optimal
// string alignment distance), over bytes: keys are ASCII. Swaps count as
// one edit because "twon" for "town" is the commonest typo of all.
func Levenshtein(a, b string) int {
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

// RoundSig rounds x to sig significant digits, for messages that print a
// computed sum without binary noise.
func RoundSig(x float64, sig int) float64 {
	if x == 0 || !Finite(x) {
		return x
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', sig, 64), 64)
	return v
}
