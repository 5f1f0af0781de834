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

// ids are long runs of hexadecimal digits (hashes), which are not numbers.
var ids = regexp.MustCompile(`\b[0-9a-f]{12,}\b`)

// number finds numbers, with a % after them or a range "66–77 %".
var number = regexp.MustCompile(`(\d[\d,]*(?:\.\d+)?)(\s*%|–\d[\d,]*(?:\.\d+)?\s*%)?`)

// Numbers returns the numbers of text, hashes left out.
func Numbers(text string) []Number {
	text = ids.ReplaceAllString(text, " ")
	var out []Number
	for _, m := range number.FindAllStringSubmatch(text, -1) {
		n, ok := parse(m[1])
		if !ok {
			continue
		}
		n.Percent = m[2] != ""
		out = append(out, n)
		// The second number of a range "66–77 %".
		if rest, ok := strings.CutPrefix(m[2], "–"); ok {
			if n2, ok := parse(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "%"))); ok {
				n2.Percent = true
				out = append(out, n2)
			}
		}
	}
	return out
}

func parse(s string) (Number, bool) {
	s = strings.TrimRight(s, ",")
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
