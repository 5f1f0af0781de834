package dp3t

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// Vectors of the reference implementation's tests/test_unlinkable.py
// (protocols.md §4.2).
func TestUnlinkableVectors(t *testing.T) {
	seed1, _ := hex.DecodeString("eaa2054637009757b9988b28998209d253eede69345f835bb91b3b333108d229")
	for _, tc := range []struct {
		seed []byte
		want string
	}{
		{make([]byte, 32), "66687aadf862bd776c8fc18b8e9f8e20"},
		{seed1, "b7b1d06cd81686669aeea51e9f4723b5"},
	} {
		id, err := UnlinkableEphID(tc.seed)
		if err != nil || id.Hex(IDLen) != tc.want {
			t.Errorf("UnlinkableEphID(%x) = %s, %v, want %s", tc.seed, id.Hex(IDLen), err, tc.want)
		}
	}
	id1, _ := UnlinkableEphID(seed1)
	for _, tc := range []struct {
		at    time.Time
		epoch uint32
		hash  string
	}{
		{time.Date(2020, 4, 10, 7, 15, 0, 0, time.UTC), 1762781, "93e8cffb4f828baf9e36b658ab8988b9afd39bec9f95b24930768157148adcc9"},
		{time.Date(2020, 4, 15, 14, 32, 0, 0, time.UTC), 1763290, "bc2667e5bc9d3ea33c0193f19884aefcb4879968f65250145c3c9bcb703ccb10"},
	} {
		epoch, err := UnlinkableEpoch(tc.at, 15)
		if err != nil || epoch != tc.epoch {
			t.Errorf("UnlinkableEpoch(%s) = %d, %v, want %d", tc.at, epoch, err, tc.epoch)
		}
		if h := UnlinkableHash(id1, tc.epoch); hex.EncodeToString(h[:]) != tc.hash {
			t.Errorf("UnlinkableHash(EphID1, %d) = %x, want %s", tc.epoch, h, tc.hash)
		}
	}
	if _, err := UnlinkableEphID(make([]byte, 31)); !errors.Is(err, tracing.ErrKeyLength) {
		t.Errorf("31-byte seed: error %v", err)
	}
	for _, tc := range []struct {
		at      time.Time
		minutes int
	}{
		{time.Unix(-1, 0), 15}, {time.Unix(0, 0), 0}, {time.Unix(1<<40, 0), 1},
	} {
		if _, err := UnlinkableEpoch(tc.at, tc.minutes); !errors.Is(err, tracing.ErrOutOfRange) {
			t.Errorf("UnlinkableEpoch(%d, %d) error %v, want ErrOutOfRange", tc.at.Unix(), tc.minutes, err)
		}
	}
}
