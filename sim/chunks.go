package sim

// chunks is an append-only list that grows by adding arrays, never by
// copying: each new array is as long as the list so far (at least
// minChunk, at most maxChunk elements), so a list of n elements holds at
// most about 2n and, unlike a regrown slice, leaves no garbage of its old
// arrays and never has an old and a new array alive at once while it
// grows (which, for the run's largest tables, would raise the peak).
type chunks[T any] struct {
	b [][]T
	n int
}

const (
	minChunk = 64
	maxChunk = 1 << 14
)

// push appends x.
func (c *chunks[T]) push(x T) {
	if k := len(c.b); k == 0 || len(c.b[k-1]) == cap(c.b[k-1]) {
		c.b = append(c.b, make([]T, 0, min(maxChunk, max(minChunk, c.n))))
	}
	last := &c.b[len(c.b)-1]
	*last = append(*last, x)
	c.n++
}

// len is the number of elements.
func (c *chunks[T]) len() int { return c.n }

// appendTo appends the elements to dst in order.
func (c *chunks[T]) appendTo(dst []T) []T {
	for _, b := range c.b {
		dst = append(dst, b...)
	}
	return dst
}
