package bluezone

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Values printed by a real JVM (java.util.Random) for these seeds.
func TestJavaRandom(t *testing.T) {
	if got := NewJavaRandom(0).NextInt(); got != -1155484576 {
		t.Errorf("new Random(0).nextInt() = %d", got)
	}
	if got := NewJavaRandom(42).NextInt(); got != -1170105035 {
		t.Errorf("new Random(42).nextInt() = %d", got)
	}
	if got, err := NewJavaRandom(42).NextIntn(10); got != 0 || err != nil {
		t.Errorf("new Random(42).nextInt(10) = %d %v", got, err)
	}
	r := NewJavaRandom(123456789)
	want := []int32{696294, 639209593, 479148, 547328344, 409475, 465137554, 936736, 913732807, 786056, 925572887}
	for i, w := range want {
		bound := int32(1 << 20)
		if i%2 == 1 {
			bound = 1000000007
		}
		if got, _ := r.NextIntn(bound); got != w {
			t.Errorf("draw %d: nextInt(%d) = %d, want %d", i, bound, got, w)
		}
	}
	if _, err := r.NextIntn(0); err == nil {
		t.Error("nextInt(0) gave no error")
	}
	for seed, id := range map[int64]string{0: "22pBD7", 42: "6fYs2x", 1587945600000: "R7PJf3", 1588000000123: "zo4DET", -1: "BtDVkE"} {
		got := JavaV1ID(seed)
		if string(got[:]) != id {
			t.Errorf("JavaV1ID(%d) = %s, want %s", seed, got, id)
		}
	}
}

func TestV1Device(t *testing.T) {
	p := NewV1()
	if info := p.Info(); info.Name != "bluezone-v1" || info.IDLen != 6 || info.Rotation != 0 || info.IDsPerDay != 1 {
		t.Errorf("Info %+v", info)
	}
	start := time.Date(2020, 4, 27, 8, 0, 0, 0, time.UTC)
	dev, err := p.NewDevice(rand.NewChaCha8([32]byte{9}), start)
	if err != nil {
		t.Fatal(err)
	}
	id, err := dev.IDAt(start.Add(30 * 24 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkV1ID(id[:V1IDLen]); err != nil || id[V1IDLen] != 0 {
		t.Fatalf("ID %q: %v", id[:], err)
	}
	if _, err := dev.IDAt(start.Add(-time.Second)); !errors.Is(err, tracing.ErrOutOfRange) {
		t.Errorf("before first run: %v", err)
	}
	again, err := p.DeviceFromKey(id[:V1IDLen], start)
	if err != nil {
		t.Fatal(err)
	}
	if id2, _ := again.IDAt(start); id2 != id {
		t.Errorf("DeviceFromKey gives %q, want %q", id2[:], id[:])
	}
	for _, bad := range []string{"", "abc", "abcdefg", "abc-ef", "ábcde"} {
		if _, err := p.DeviceFromKey([]byte(bad), start); err == nil {
			t.Errorf("DeviceFromKey(%q) accepted", bad)
		}
	}
	// Upload, Expand, Match: the ID matches between the first run and to,
	// whoever's phone it was seen from.
	now := start.Add(20 * 24 * time.Hour)
	keys, err := dev.Upload(now.Add(-14*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if string(keys[0].Key) != string(id[:V1IDLen]) || keys[0].Start != now.Add(-14*24*time.Hour).Unix() || keys[0].End != now.Unix() {
		t.Errorf("upload %+v", keys[0])
	}
	store := []tracing.Sighting{
		{ID: id, Time: now.UnixMilli()},                           // 0: at the end second
		{ID: id, Time: now.UnixMilli() + 999},                     // 1: within the end second
		{ID: id, Time: now.UnixMilli() + 1000},                    // 2: after
		{ID: id, Time: now.Add(-15 * 24 * time.Hour).UnixMilli()}, // 3: before the window
		{ID: tracing.ID{'a', 'b', 'c', 'd', 'e', 'f'}, Time: now.UnixMilli() - 5},
		{ID: id, Time: now.Add(-time.Hour).UnixMilli()}, // 5
	}
	got, err := p.Match(nil, keys, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Sighting != 0 || got[1].Sighting != 1 || got[2].Sighting != 5 {
		t.Errorf("matches %+v, want sightings 0, 1, 5", got)
	}
	if _, err := p.Match(nil, []tracing.PublishedKey{{Key: []byte("abc"), Start: 0, End: 1}}, store); !errors.Is(err, tracing.ErrKeyLength) {
		t.Errorf("short key: %v", err)
	}
	if _, err := p.Expand(nil, tracing.PublishedKey{Key: []byte("abcdef"), Start: 5, End: 4}); !errors.Is(err, tracing.ErrBadKey) {
		t.Errorf("reversed times: %v", err)
	}
}

// TestV1Uniform checks that every character of the alphabet is equally
// likely in drawn IDs (a chi-squared test with 61 degrees of freedom; a
// modulo bias such as b%62 on raw bytes gives chi-squared near 800 here).
func TestV1Uniform(t *testing.T) {
	r := rand.NewChaCha8([32]byte{62})
	var count [256]int
	const n = 20_000
	for range n {
		d, err := NewV1Device(r, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.String() {
			count[c]++
		}
	}
	exp := float64(n*V1IDLen) / 62
	chi := 0.0
	for _, c := range []byte(V1Alphabet) {
		chi += math.Pow(float64(count[c])-exp, 2) / exp
	}
	// The 99.9th percentile of chi-squared with 61 degrees of freedom is 100.9.
	if chi > 100.9 {
		t.Errorf("chi-squared %.1f over 62 characters: not uniform", chi)
	}
}

// TestV1Collisions compares collisions among simulated phones with the
// birthday-problem expectation: on the first 3 characters (62^3 values),
// where 20 000 phones collide often, and, unless -short, on full IDs for a
// million phones.
func TestV1Collisions(t *testing.T) {
	pairs, phones := ExpectedV1Collisions(97_000_000, V1Space)
	if math.Abs(pairs-82_825) > 100 || math.Abs(phones-165_640) > 200 {
		t.Errorf("national scale: %.0f pairs, %.0f phones", pairs, phones)
	}
	for _, tc := range []struct {
		n, idLen int
		space    float64
		long     bool
	}{
		{20_000, 3, 62 * 62 * 62, false},
		{1_000_000, 6, V1Space, true},
	} {
		if tc.long && testing.Short() {
			continue
		}
		r := rand.NewChaCha8([32]byte{byte(tc.idLen)})
		ids := make([]tracing.ID, tc.n)
		for i := range ids {
			d, err := NewV1Device(r, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = d.ID()
		}
		gotPairs, gotPhones := CountCollisions(ids, tc.idLen)
		wantPairs, wantPhones := ExpectedV1Collisions(tc.n, tc.space)
		// The pair count is close to Poisson: allow 4.5 standard deviations.
		if tol := 4.5 * math.Sqrt(wantPairs); math.Abs(float64(gotPairs)-wantPairs) > tol ||
			math.Abs(float64(gotPhones)-wantPhones) > 2*tol+2 {
			t.Errorf("n %d, %d chars: %d pairs, %d phones; expected %.1f, %.1f", tc.n, tc.idLen, gotPairs, gotPhones, wantPairs, wantPhones)
		}
		t.Logf("n %d, %d chars: %d pairs, %d phones colliding; expected %.1f, %.1f", tc.n, tc.idLen, gotPairs, gotPhones, wantPairs, wantPhones)
	}
	if p, q := CountCollisions([]tracing.ID{{1}, {2}, {1}, {1}, {3}, {3}}, 6); p != 4 || q != 5 {
		t.Errorf("CountCollisions: %d pairs, %d phones; want 4, 5", p, q)
	}
	if !strings.ContainsRune(V1Alphabet, 'z') || len(V1Alphabet) != 62 {
		t.Error("alphabet")
	}
}

// FuzzV1DeviceFromID checks that the v1 ID parser never panics and accepts
// exactly 6 characters of 0-9A-Za-z, which then round-trip.
func FuzzV1DeviceFromID(f *testing.F) {
	f.Add([]byte("22pBD7"))
	f.Add([]byte("abc"))
	f.Add([]byte("ab\xffdef"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := V1DeviceFromID(b, time.Time{})
		valid := len(b) == V1IDLen
		for _, c := range b {
			valid = valid && strings.IndexByte(V1Alphabet, c) >= 0
		}
		if (err == nil) != valid {
			t.Fatalf("V1DeviceFromID(%q): err %v, valid %v", b, err, valid)
		}
		if err == nil && d.String() != string(b) {
			t.Fatalf("V1DeviceFromID(%q) = %q", b, d.String())
		}
	})
}
