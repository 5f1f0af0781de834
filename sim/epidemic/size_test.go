package epidemic

import (
	"testing"
	"unsafe"
)

// TestPerAgentBytes keeps the per-person state small: the simulator's
// budget is 8 KB per agent in all, and this package's share is a Course
// and a QuarantineState (everything else grows with infections, not with
// the population).
func TestPerAgentBytes(t *testing.T) {
	c, q := unsafe.Sizeof(Course{}), unsafe.Sizeof(QuarantineState{})
	if c+q > 32 {
		t.Errorf("per-agent state %d + %d bytes, want at most 32", c, q)
	}
	t.Logf("Course %d bytes, QuarantineState %d bytes", c, q)
}
