package dp3t

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math/bits"
	"math/rand/v2"
	"strings"

	"github.com/bluesim/bluesim/tracing"
)

// Protocol constants (protocols.md §4.1).
const (
	// Name is the protocol's stable name.
	Name = "dp3t"
	// KeyLen is the length of a day seed SK_t.
	KeyLen = 32
	// IDLen is the length of an EphID.
	IDLen = 16
	// DefaultEpochMinutes is the epoch length L of the reference
	// implementation (EPOCH_LENGTH = 15) and the pre-GAEN SDK (24*4 epochs).
	DefaultEpochMinutes = 15
	// RetentionDays is how many days of keys and sightings a phone keeps:
	// 21 in the reference implementation and SDK (the white paper says 14).
	// An upload never reaches further back, and a published key covering
	// more days is rejected as malformed.
	RetentionDays = 21
	// MaxDeviceDays bounds how far past its first day a device ratchets its
	// seed (about ten years), so that an absurd instant costs an error, not
	// millions of hashes.
	MaxDeviceDays = 3660

	dayMillis = 86_400_000
	daySecs   = 86_400
	// maxUnix is 9999-12-31T23:59:59Z: published keys beyond it are
	// malformed (and would overflow millisecond arithmetic).
	maxUnix = 253402300799
)

// broadcastKey is the PRF message of the reference implementation
// (BROADCAST_KEY = "broadcast key", lowercase; the older "Broadcast key"
// vectors differ).
var broadcastKey = []byte("broadcast key")

// Params are the protocol's system parameters.
type Params struct {
	// EpochMinutes is the epoch length L: each EphID is broadcast for L
	// minutes and a day has 1440/L of them. It must divide 1440.
	EpochMinutes int `yaml:"epoch_minutes"`
}

// DefaultParams returns the reference implementation's parameters (L = 15).
func DefaultParams() Params { return Params{EpochMinutes: DefaultEpochMinutes} }

// Validate reports whether p describes a whole number of epochs per day.
func (p Params) Validate() error {
	if p.EpochMinutes < 1 || p.EpochMinutes > 1440 || 1440%p.EpochMinutes != 0 {
		return fmt.Errorf("dp3t: epoch_minutes %d must divide 1440 (15 gives 96 EphIDs a day)", p.EpochMinutes)
	}
	return nil
}

// IDsPerDay is n = 1440 / L.
func (p Params) IDsPerDay() int { return 1440 / p.EpochMinutes }

// Key is a day seed SK_t.
type Key [KeyLen]byte

// ParseKey checks that b is a 32-byte seed and copies it.
func ParseKey(b []byte) (Key, error) {
	var k Key
	if len(b) != KeyLen {
		return k, fmt.Errorf("dp3t: seed SK_t is %d bytes, want %d: %w", len(b), KeyLen, tracing.ErrKeyLength)
	}
	copy(k[:], b)
	return k, nil
}

// ParseKeyHex parses a seed written as 64 hex digits (either case).
func ParseKeyHex(s string) (Key, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return Key{}, fmt.Errorf("dp3t: seed SK_t is not hex: %v", err)
	}
	return ParseKey(b)
}

// String formats k as lowercase hex.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// Next returns the next day's seed, SHA-256(SK_t).
func (k Key) Next() Key { return sha256.Sum256(k[:]) }

// Ratchet returns the seed days days later (days >= 0; negative days
// return k unchanged, since the chain cannot run backwards).
func (k Key) Ratchet(days int) Key {
	for range max(days, 0) {
		k = k.Next()
	}
	return k
}

// Generator derives one day's EphIDs and broadcast order from SK_t into
// buffers it owns, so a phone or a matcher can reuse it day after day: after
// the first Derive, Derive allocates only the AES-256 cipher and its CTR
// stream that crypto/aes allocates per key (the HMAC reuses one SHA-256
// state), and nothing per EphID.
//
// The broadcast order. The reference implementation and the pre-GAEN SDK
// shuffle each day's EphIDs with a cryptographically secure random shuffle
// that nobody else can reproduce. bluesim needs a simulated phone and the
// simulator's ground truth to agree on which EphID was on air in which
// epoch, so the shuffle here is a deterministic function of SK_t that is as
// unpredictable to an observer: the AES-256-CTR stream that produces the n
// EphIDs (blocks 0..n-1) is run for two more blocks (n and n+1), whose 32
// bytes seed a ChaCha8 generator (math/rand/v2, the C2SP chacha8rand
// stream); a Fisher–Yates shuffle (for i = n-1 down to 1, swap positions i
// and j with j uniform in [0, i]) then permutes the generation order, each j
// drawn from the 64-bit ChaCha8 outputs by Lemire's multiply-and-reject
// method (see uniform). Slot s (the epoch index in the UTC day) broadcasts
// the EphID of generation index perm[s]. The EphIDs themselves are exactly
// the reference ones; only their order is bluesim's choice.
type Generator struct {
	n      int
	sk     Key // copy of the seed, so that callers' seeds stay on the stack
	prk    [sha256.Size]byte
	mac    prf
	block  cipher.Block // AES-256 under prk, for the shuffle's two blocks
	buf    []byte       // n*16 bytes of AES-256-CTR output: the EphIDs
	perm   []uint16     // slot -> generation index
	inv    []uint16     // generation index -> slot
	rng    rand.ChaCha8
	permOK bool
	// seed holds CTR blocks n and n+1, the shuffle's seed; ctr is the
	// counter block behind each (cipher.Block arguments escape, so both
	// live here rather than on the stack).
	seed [2 * aes.BlockSize]byte
	ctr  [aes.BlockSize]byte
}

// NewGenerator returns a generator for n EphIDs a day (1..1440).
func NewGenerator(n int) (*Generator, error) {
	if n < 1 || n > 1440 {
		return nil, fmt.Errorf("dp3t: %d EphIDs a day, want 1..1440", n)
	}
	return &Generator{
		n:    n,
		buf:  make([]byte, n*IDLen),
		perm: make([]uint16, n),
		inv:  make([]uint16, n),
	}, nil
}

// N is the number of EphIDs a day.
func (g *Generator) N() int { return g.n }

var zeroIV [aes.BlockSize]byte

// Derive computes the EphIDs of the day whose seed is sk: the n blocks of
// AES-256-CTR keystream, and nothing else. The broadcast order is computed
// lazily, on the first call of Slot or InSlot, from CTR blocks n and n+1,
// so a matcher pays for it only on days with a match.
func (g *Generator) Derive(sk *Key) {
	g.sk = *sk
	g.mac.sum(&g.sk, broadcastKey, &g.prk)
	block, err := aes.NewCipher(g.prk[:])
	if err != nil {
		// A 32-byte key is always a valid AES-256 key.
		panic("dp3t: AES-256 rejected a 32-byte key: " + err.Error())
	}
	g.block = block
	clear(g.buf)
	cipher.NewCTR(block, zeroIV[:]).XORKeyStream(g.buf, g.buf)
	g.permOK = false
}

// shuffleSeed fills g.seed with CTR blocks n and n+1 of the day's stream:
// AES-256 of the counter blocks n and n+1 (the IV is zero, so counter
// block i is i as a 128-bit big-endian number), exactly the keystream
// XORKeyStream would continue with.
func (g *Generator) shuffleSeed() {
	for j := range 2 {
		g.ctr = [aes.BlockSize]byte{}
		binary.BigEndian.PutUint64(g.ctr[8:], uint64(g.n+j))
		g.block.Encrypt(g.seed[j*aes.BlockSize:], g.ctr[:])
	}
}

// ID returns the EphID of generation index k (0..n-1): bytes 16k..16k+15
// of the PRG output. This is the unshuffled order of the test vectors.
func (g *Generator) ID(k int) tracing.ID {
	return tracing.ID(g.buf[k*IDLen : (k+1)*IDLen])
}

// Slot returns the epoch index in the day at which generation index k is
// broadcast.
func (g *Generator) Slot(k int) int {
	g.shuffle()
	return int(g.inv[k])
}

// InSlot returns the EphID broadcast in slot s (the epoch index in the UTC
// day, 0..n-1).
func (g *Generator) InSlot(s int) tracing.ID {
	g.shuffle()
	return g.ID(int(g.perm[s]))
}

func (g *Generator) shuffle() {
	if g.permOK {
		return
	}
	g.shuffleSeed()
	g.rng.Seed(g.seed)
	for i := range g.perm {
		g.perm[i] = uint16(i)
	}
	for i := g.n - 1; i > 0; i-- {
		j := uniform(&g.rng, uint64(i+1))
		g.perm[i], g.perm[j] = g.perm[j], g.perm[i]
	}
	for s, k := range g.perm {
		g.inv[k] = uint16(s)
	}
	g.permOK = true
}

// prf is HMAC-SHA256 (RFC 2104) for a 32-byte key with one SHA-256 state
// reused from call to call: crypto/hmac cannot be given a new key, and a
// new crypto/hmac per seed allocates two SHA-256 states and its pads,
// which cost a matcher more than the two compressions of each pad.
// TestPRFMatchesHMAC checks it against crypto/hmac.
type prf struct {
	h     hash.Hash
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
}

// sum writes HMAC-SHA256(key, msg) to out: SHA256((key ⊕ opad) ||
// SHA256((key ⊕ ipad) || msg)), the key zero-padded to the block size.
func (p *prf) sum(key *Key, msg []byte, out *[sha256.Size]byte) {
	if p.h == nil {
		p.h = sha256.New()
	}
	const ipad, opad = 0x36, 0x5c
	for i := range p.pad {
		p.pad[i] = ipad
	}
	for i, b := range key {
		p.pad[i] ^= b
	}
	p.h.Reset()
	p.h.Write(p.pad[:])
	p.h.Write(msg)
	p.h.Sum(p.inner[:0])
	for i := range p.pad {
		p.pad[i] ^= ipad ^ opad
	}
	p.h.Reset()
	p.h.Write(p.pad[:])
	p.h.Write(p.inner[:])
	p.h.Sum(out[:0])
}

// uniform returns a uniform draw from [0, bound) (bound > 0) by Lemire's
// method ("Fast random integer generation in an interval", 2019): take the
// high 64 bits of x*bound for a 64-bit draw x, rejecting x whose low half
// falls below 2^64 mod bound. It is spelled out here, rather than left to
// rand.Rand, so that any implementation can reproduce the shuffle.
func uniform(r *rand.ChaCha8, bound uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), bound)
	if lo < bound {
		thresh := -bound % bound
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), bound)
		}
	}
	return hi
}

// EphIDs returns the n EphIDs of seed sk in generation (unshuffled) order,
// as the reference test vectors list them.
func EphIDs(sk Key, n int) ([]tracing.ID, error) {
	g, err := NewGenerator(n)
	if err != nil {
		return nil, err
	}
	g.Derive(&sk)
	ids := make([]tracing.ID, n)
	for k := range ids {
		ids[k] = g.ID(k)
	}
	return ids, nil
}

// BroadcastOrder returns, for each slot s of the day (epoch index 0..n-1),
// the generation index of the EphID broadcast in it.
func BroadcastOrder(sk Key, n int) ([]int, error) {
	g, err := NewGenerator(n)
	if err != nil {
		return nil, err
	}
	g.Derive(&sk)
	g.shuffle()
	order := make([]int, n)
	for s, k := range g.perm {
		order[s] = int(k)
	}
	return order, nil
}
