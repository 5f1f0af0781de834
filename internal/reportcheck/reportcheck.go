package reportcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Number is a number as a text writes it.
type Number struct {
	// Text is the number as written ("1,234", "0.62", "71").
	Text string
	// Value is its value, Decimals the digits after the point.
	Value    float64
	Decimals int
	// Percent says the text writes it as a percentage: followed by %, or
	// the first of a range "66–77 %".
	Percent bool
}

// groupedDigits is a number with commas between groups of three digits.
var groupedDigits = regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d+)?$`)

// ids are long runs of hexadecimal digits (hashes), which are not numbers.
var ids = regexp.MustCompile(`\b[0-9a-f]{12,}\b`)

// num is a number as texts write them: a minus sign only where a word
// does not run into it ("n-1" is not minus one), digits grouped by commas.
const num = `(?:(?:^|[^\w.])(-))?(\d[\d,]*(?:\.\d+)?)`

// number finds a number and what makes it a percentage: a % after it; a
// range to a percentage, "66–77 %"; "of every 100" or "in 100" after it;
// a range "1.2 to 7.5 of every 100".
var number = regexp.MustCompile(num + `((?:\s*%)|(?:\s+(?:of every|in) 100\b)|(?:(?:–|\s+to\s+)-?\d[\d,]*(?:\.\d+)?(?:\s*%|\s+(?:of every|in) 100\b)))?`)

// second is the second number of a range.
var second = regexp.MustCompile(`(?:–|\s+to\s+)(-?)(\d[\d,]*(?:\.\d+)?)`)

// Numbers returns the numbers of text, hashes left out.
func Numbers(text string) []Number {
	text = ids.ReplaceAllString(text, " ")
	var out []Number
	for _, m := range number.FindAllStringSubmatch(text, -1) {
		n, ok := parse(m[1] + m[2])
		if !ok {
			continue
		}
		n.Percent = m[3] != ""
		out = append(out, n)
		if r := second.FindStringSubmatch(m[3]); r != nil {
			if n2, ok := parse(r[1] + r[2]); ok {
				n2.Percent = true
				out = append(out, n2)
			}
		}
	}
	return out
}

func parse(s string) (Number, bool) {
	s = strings.TrimRight(s, ",")
	if strings.Count(s, ",") > 0 && !groupedDigits.MatchString(s) {
		// "3,4" is two numbers of a list, not three thousand and four.
		return Number{}, false
	}
	plain := strings.ReplaceAll(s, ",", "")
	v, err := strconv.ParseFloat(plain, 64)
	if err != nil {
		return Number{}, false
	}
	d := 0
	if i := strings.IndexByte(plain, '.'); i >= 0 {
		d = len(plain) - i - 1
	}
	return Number{Text: s, Value: v, Decimals: d}, true
}

// Values returns every number of a JSON document: its numbers, and the
// numbers written inside its strings (an axis value "0.1", a goal
// "coverage>=0.5"), hashes left out.
func Values(doc []byte) ([]float64, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("summary.json: %w", err)
	}
	var out []float64
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case json.Number:
			if f, err := x.Float64(); err == nil {
				out = append(out, f)
			}
		case string:
			for _, n := range Numbers(x) {
				out = append(out, n.Value)
				if n.Percent {
					out = append(out, n.Value/100)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out, nil
}

// Matches says whether value x is written as n: x (or 100x, for a
// percentage) rounded to n's decimals gives n's value.
func Matches(n Number, x float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return false
	}
	if n.Percent {
		x *= 100
	}
	// Within half a unit of the last digit shown, either way: formatting
	// rounds halves to even, people round them up.
	scale := math.Pow(10, float64(n.Decimals))
	return math.Abs(x*scale-n.Value*scale) <= 0.5+1e-9
}

// Missing returns the numbers of text that are not numbers of the JSON
// document doc, as Matches reads them; allowed lists numbers the text
// may give without them (constants of the prose).
func Missing(text string, doc []byte, allowed ...string) ([]string, error) {
	vals, err := Values(doc)
	if err != nil {
		return nil, err
	}
	var missing []string
outer:
	for _, n := range Numbers(text) {
		for _, a := range allowed {
			if n.Text == a {
				continue outer
			}
		}
		for _, x := range vals {
			if Matches(n, x) {
				continue outer
			}
		}
		w := n.Text
		if n.Percent {
			w += " %"
		}
		missing = append(missing, w)
	}
	return missing, nil
}
