package tracingbench

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/dp3t"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// Subject is one protocol under test: its real phone-side matcher and its
// crypto floor.
type Subject struct {
	// Protocol is the protocol whose Match is measured.
	Protocol tracing.Protocol
	// Floor says in words what the crypto floor computes per key.
	Floor string
	// prepare turns the published keys into the floor's input (outside
	// the timing) and returns the timed work; its result is folded into a
	// byte so the compiler cannot drop the work.
	prepare func(keys []tracing.PublishedKey) (func() byte, error)
}

// Names lists the protocols New accepts, sorted.
func Names() []string { return []string{"bluezone", "dp3t", "gaen"} }

// New returns the subject for a protocol name from Names, with the
// protocol's default parameters (Bluezone and DP-3T: 96 IDs a day).
func New(name string) (*Subject, error) {
	switch name {
	case "gaen":
		return &Subject{
			Protocol: gaen.Protocol{},
			Floor:    "HKDF-SHA256 + AES-128 key schedule + 144 AES-128 blocks per key (gaen.CryptoFloor)",
			prepare:  gaenFloor,
		}, nil
	case "bluezone":
		p, err := bluezone.New(bluezone.DefaultParams())
		if err != nil {
			return nil, err
		}
		return &Subject{
			Protocol: p,
			Floor:    "96 SHA-256 sub-keys (the first over daily key || salt) and their IDs per key (bluezone.AppendDayIDs)",
			prepare:  bluezoneFloor,
		}, nil
	case "dp3t":
		return &Subject{
			Protocol: dp3t.Default(),
			Floor:    "HMAC-SHA256 + AES-256 key schedule + 96 AES-256-CTR blocks per key",
			prepare:  dp3tFloor,
		}, nil
	}
	return nil, fmt.Errorf("tracingbench: unknown protocol %q, want one of %v", name, Names())
}

// gaenFloor is per key what no GAEN matcher can skip: the RPIK by HKDF,
// its AES key schedule and the 144 RPIs (loadtest.md §2.1).
func gaenFloor(keys []tracing.PublishedKey) (func() byte, error) {
	raw := make([][gaen.KeyLen]byte, len(keys))
	for i := range keys {
		if len(keys[i].Key) != gaen.KeyLen || keys[i].Slots != gaen.TEKRollingPeriod {
			return nil, fmt.Errorf("tracingbench: gaen key %d is not a whole-day TEK", i)
		}
		copy(raw[i][:], keys[i].Key)
	}
	return func() byte {
		x := gaen.CryptoFloor(raw)
		return x[0]
	}, nil
}

// bluezoneFloor is per one-day key the day's sub-key chain: the first
// sub-key SHA256(daily || "bluzonesubkey"), one SHA-256 per later slot, and
// the 12 ID bytes of each (protocols.md §1.2).
func bluezoneFloor(keys []tracing.PublishedKey) (func() byte, error) {
	daily := make([]bluezone.Key, len(keys))
	slots := 0
	for i := range keys {
		k, err := bluezone.KeyFromBytes(keys[i].Key)
		if err != nil {
			return nil, fmt.Errorf("tracingbench: bluezone key %d: %w", i, err)
		}
		if keys[i].End-keys[i].Start >= 86_400 {
			return nil, fmt.Errorf("tracingbench: bluezone key %d covers more than one day", i)
		}
		daily[i] = k
		slots = max(slots, keys[i].Slots)
	}
	ids := make([]tracing.ID, 0, slots)
	return func() byte {
		var x byte
		for i := range daily {
			ids = bluezone.AppendDayIDs(ids[:0], daily[i], keys[i].Slots)
			x ^= ids[len(ids)-1][0]
		}
		return x
	}, nil
}

// dp3tBroadcastKey is the PRF message of DP-3T's low-cost design
// (protocols.md §4.1: ASCII "broadcast key", lowercase).
var dp3tBroadcastKey = []byte("broadcast key")

// dp3tFloor is per one-day key the EphIDs' cryptography and nothing more:
// HMAC-SHA256(SK_t, "broadcast key"), the AES-256 key schedule and n blocks
// of AES-256-CTR keystream (protocols.md §4.1). It leaves out the two extra
// blocks bluesim's matcher draws, on days with a match, to seed its
// deterministic shuffle. It computes the HMAC with a new crypto/hmac per
// key, where dp3t.Generator reuses one SHA-256 state (see the README's
// bench match section).
func dp3tFloor(keys []tracing.PublishedKey) (func() byte, error) {
	sks := make([]dp3t.Key, len(keys))
	slots := 0
	for i := range keys {
		sk, err := dp3t.ParseKey(keys[i].Key)
		if err != nil {
			return nil, fmt.Errorf("tracingbench: dp3t key %d: %w", i, err)
		}
		if keys[i].End-keys[i].Start >= 86_400 {
			return nil, fmt.Errorf("tracingbench: dp3t key %d covers more than one day", i)
		}
		sks[i] = sk
		slots = max(slots, keys[i].Slots)
	}
	buf := make([]byte, slots*dp3t.IDLen)
	var prk [sha256.Size]byte
	var iv [aes.BlockSize]byte
	return func() byte {
		var x byte
		for i := range sks {
			mac := hmac.New(sha256.New, sks[i][:])
			mac.Write(dp3tBroadcastKey)
			mac.Sum(prk[:0])
			block, err := aes.NewCipher(prk[:])
			if err != nil {
				panic("tracingbench: AES-256 rejected a 32-byte key: " + err.Error())
			}
			out := buf[:keys[i].Slots*dp3t.IDLen]
			clear(out)
			cipher.NewCTR(block, iv[:]).XORKeyStream(out, out)
			x ^= out[len(out)-1]
		}
		return x
	}, nil
}

// Round is one round's timings: matching all keys, and the floor over the
// same keys. Match and Floor are process CPU time where the system gives
// it (see Result.CPUClock), else wall time; MatchWall and FloorWall are
// always wall time.
type Round struct {
	Match, Floor         time.Duration
	MatchWall, FloorWall time.Duration
}

// Ratio is Match / Floor. A floor too fast for the clock counts as 1 ns.
func (r Round) Ratio() float64 { return r.Match.Seconds() / max(r.Floor, time.Nanosecond).Seconds() }

// Result is a measurement over several rounds.
type Result struct {
	// Rounds are the rounds in the order they ran.
	Rounds []Round
	// Matches is the number of matches each round found (Run fails if it
	// is not the workload's planted count).
	Matches int
	// CPUClock says that Match and Floor are process CPU time. On a
	// shared machine wall time also counts the moments other processes
	// held the core, which come and go within a round and make wall-time
	// ratios swing; CPU time counts only the work done.
	CPUClock bool
	// Match and Floor are the median round times; MatchWall and FloorWall
	// the median wall times.
	Match, Floor         time.Duration
	MatchWall, FloorWall time.Duration
	// Ratio is the median of the rounds' Match/Floor ratios. Each round
	// times both back to back, so a slower spell of the machine tends to
	// hit both of a round's timings; the median of the paired ratios is
	// steadier than the ratio of the medians.
	Ratio float64
	// Sink is the floor's folded output, kept so the work is not dropped.
	Sink byte
}

// clock reads wall time and, where it can, process CPU time.
type clock struct {
	wall time.Time // with its monotonic reading
	cpu  time.Duration
}

func now() (clock, bool) {
	cpu, ok := processCPU()
	return clock{wall: time.Now(), cpu: cpu}, ok
}

// since returns the CPU (or, without a CPU clock, wall) and wall time since c.
func (c clock) since(useCPU bool) (time.Duration, time.Duration) {
	cpu, _ := processCPU()
	wall := time.Since(c.wall)
	if useCPU {
		return cpu - c.cpu, wall
	}
	return wall, wall
}

// Run times rounds rounds of s.Protocol.Match over the whole workload (the
// phone's complete check: indexing the store and matching every key) and of
// the crypto floor over the same keys, in the calling goroutine, on process
// CPU time where the system reports it (run with GOMAXPROCS 1 for that to
// be one core's time, garbage collection included). Rounds alternate which of the two runs first, and collect garbage before each
// timing so that one does not pay for the other's allocations. Every round's
// matches are checked with w.Verify; a wrong match, a missed planted
// sighting or a matcher error ends the run with an error.
func (s *Subject) Run(ctx context.Context, w *Workload, rounds int) (Result, error) {
	if rounds < 1 {
		return Result{}, fmt.Errorf("tracingbench: %d rounds, want at least 1", rounds)
	}
	floor, err := s.prepare(w.Keys)
	if err != nil {
		return Result{}, err
	}
	var res Result
	_, res.CPUClock = now()
	dst := make([]tracing.Match, 0, w.Planted)
	for i := range rounds {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var r Round
		timeMatch := func() error {
			runtime.GC()
			t0, _ := now()
			dst, err = s.Protocol.Match(dst[:0], w.Keys, w.Store)
			r.Match, r.MatchWall = t0.since(res.CPUClock)
			if err != nil {
				return fmt.Errorf("tracingbench: %s match: %w", s.Protocol.Info().Name, err)
			}
			return w.Verify(dst)
		}
		timeFloor := func() {
			runtime.GC()
			t0, _ := now()
			res.Sink ^= floor()
			r.Floor, r.FloorWall = t0.since(res.CPUClock)
		}
		if i%2 == 0 {
			if err := timeMatch(); err != nil {
				return res, err
			}
			timeFloor()
		} else {
			timeFloor()
			if err := timeMatch(); err != nil {
				return res, err
			}
		}
		res.Rounds = append(res.Rounds, r)
		res.Matches = len(dst)
	}
	res.Match = median(res.Rounds, func(r Round) float64 { return float64(r.Match) })
	res.Floor = median(res.Rounds, func(r Round) float64 { return float64(r.Floor) })
	res.MatchWall = median(res.Rounds, func(r Round) float64 { return float64(r.MatchWall) })
	res.FloorWall = median(res.Rounds, func(r Round) float64 { return float64(r.FloorWall) })
	res.Ratio = medianFloat(res.Rounds, Round.Ratio)
	return res, nil
}

func median(rs []Round, f func(Round) float64) time.Duration {
	return time.Duration(medianFloat(rs, f))
}

// medianFloat is the median of f over rs (the mean of the middle two for
// an even count).
func medianFloat(rs []Round, f func(Round) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
