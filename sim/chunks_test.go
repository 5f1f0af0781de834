package sim

import (
	"slices"
	"testing"
)

// TestChunks: the list keeps every element in order, its arrays never
// exceed maxChunk nor hold more than about twice the elements, across the
// sizes where a new array starts.
func TestChunks(t *testing.T) {
	for _, n := range []int{0, 1, minChunk - 1, minChunk, minChunk + 1, 1000, maxChunk, 3*maxChunk + 5} {
		var c chunks[int]
		want := make([]int, n)
		for i := range n {
			c.push(i * 7)
			want[i] = i * 7
		}
		if c.len() != n {
			t.Errorf("n=%d: len %d", n, c.len())
		}
		if got := c.appendTo([]int{-1}); !slices.Equal(got[1:], want) || got[0] != -1 {
			t.Errorf("n=%d: elements differ", n)
		}
		held := 0
		for _, b := range c.b {
			if cap(b) > maxChunk {
				t.Errorf("n=%d: an array of %d", n, cap(b))
			}
			held += cap(b)
		}
		if n > 0 && held > 2*n+minChunk {
			t.Errorf("n=%d: %d held", n, held)
		}
	}
}
