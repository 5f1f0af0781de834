package loadgen

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseMix parses the weights of the request kinds, written
// "publish=1,chaff=9,index=40,export=50" (a kind left out weighs 0).
func ParseMix(s string) (Mix, error) {
	var m Mix
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		k = strings.TrimSpace(k)
		if !ok || err != nil {
			return Mix{}, fmt.Errorf("mix %q: want kind=weight pairs such as publish=1,chaff=9,index=40,export=50", s)
		}
		if seen[k] {
			return Mix{}, fmt.Errorf("mix %q: %s given twice", s, k)
		}
		seen[k] = true
		switch k {
		case "publish":
			m.Publish = w
		case "chaff":
			m.Chaff = w
		case "index":
			m.Index = w
		case "export":
			m.Export = w
		default:
			return Mix{}, fmt.Errorf("mix: unknown kind %q (publish, chaff, index, export)", k)
		}
	}
	return m, m.Validate()
}
