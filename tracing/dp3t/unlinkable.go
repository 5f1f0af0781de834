package dp3t

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// The unlinkable design (protocols.md §4.2) draws a fresh 32-byte seed per
// epoch and never links epochs; receivers store a hash of each EphID with
// its epoch number, and the server publishes a Cuckoo filter of those
// hashes. Only its derivations are here, so that bluesim can compare the
// designs' costs; the low-cost design is the Protocol.

// UnlinkableEphID is the EphID of one epoch's seed: the first 16 bytes of
// SHA-256(seed).
func UnlinkableEphID(seed []byte) (tracing.ID, error) {
	var id tracing.ID
	if len(seed) != KeyLen {
		return id, fmt.Errorf("dp3t: unlinkable seed is %d bytes, want %d: %w", len(seed), KeyLen, tracing.ErrKeyLength)
	}
	sum := sha256.Sum256(seed)
	copy(id[:], sum[:IDLen])
	return id, nil
}

// UnlinkableEpoch is the epoch number i = floor(Unix seconds / (L*60)) with
// L = epochMinutes (15 in the reference implementation).
func UnlinkableEpoch(t time.Time, epochMinutes int) (uint32, error) {
	s := t.Unix()
	if epochMinutes < 1 || s < 0 || s/int64(epochMinutes*60) > 1<<32-1 {
		return 0, fmt.Errorf("dp3t: no 32-bit epoch of %d minutes for %s: %w", epochMinutes, t.UTC().Format(time.RFC3339), tracing.ErrOutOfRange)
	}
	return uint32(s / int64(epochMinutes*60)), nil
}

// UnlinkableHash is what a receiver stores for EphID id heard in epoch i:
// SHA-256(EphID || i), i as 4 bytes big-endian.
func UnlinkableHash(id tracing.ID, epoch uint32) [sha256.Size]byte {
	var msg [IDLen + 4]byte
	copy(msg[:], id[:IDLen])
	binary.BigEndian.PutUint32(msg[IDLen:], epoch)
	return sha256.Sum256(msg[:])
}
