package agents

import "testing"

// TestMixStep: hashing a key's prefix once and its last words with
// MixStep gives Mix of the whole key, for keys of every length, and
// changing any word changes the result.
func TestMixStep(t *testing.T) {
	for _, tc := range []struct {
		name  string
		words []uint64
	}{
		{"one word", []uint64{7}},
		{"sampling key", []uint64{1, SubSampling, 0, 12345, 678, 86399}},
		{"zeros", []uint64{0, 0, 0, 0}},
		{"large words", []uint64{^uint64(0), 1 << 63, 0x9e3779b97f4a7c15}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := Mix(tc.words...)
			for cut := range len(tc.words) {
				h := Mix(tc.words[:cut]...)
				for _, w := range tc.words[cut:] {
					h = MixStep(h, w)
				}
				if h != want {
					t.Errorf("prefix of %d words then steps: %#x, Mix %#x", cut, h, want)
				}
			}
			for i := range tc.words {
				alt := append([]uint64(nil), tc.words...)
				alt[i]++
				if Mix(alt...) == want {
					t.Errorf("word %d changed, same hash", i)
				}
			}
		})
	}
}
