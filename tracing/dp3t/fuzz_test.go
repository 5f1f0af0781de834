package dp3t

import (
	"errors"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

func FuzzParseKeyHex(f *testing.F) {
	for _, s := range []string{vecSK1, vecSK2, "", "zz", vecSK1[:63], " " + vecSK1 + "\t", vecSK1 + vecSK1} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKeyHex(s)
		if err != nil {
			return
		}
		again, err := ParseKeyHex(k.String())
		if err != nil || again != k {
			t.Fatalf("%q parsed to %s, which reparses to %s, %v", s, k, again, err)
		}
	})
}

// FuzzPublishedKey feeds arbitrary published keys to Expand, Match and
// DeviceFromKey: they must return an error or a consistent result, never
// panic.
func FuzzPublishedKey(f *testing.F) {
	sk1 := mustKey(f, vecSK1)
	f.Add(sk1[:], day0.Unix(), day0.Unix()+3600, 96)
	f.Add(sk1[:16], day0.Unix(), day0.Unix(), 96)
	f.Add([]byte{}, int64(-1), int64(1)<<62, 0)
	f.Add(sk1[:], day0.Unix()+1, day0.Unix(), 144)
	p := Default()
	f.Fuzz(func(t *testing.T, key []byte, start, end int64, slots int) {
		pk := tracing.PublishedKey{Key: key, Start: start, End: end, Slots: slots}
		bs, err := p.Expand(nil, pk)
		if err != nil {
			if !errors.Is(err, tracing.ErrKeyLength) && !errors.Is(err, tracing.ErrBadKey) {
				t.Fatalf("Expand error %v is neither ErrKeyLength nor ErrBadKey", err)
			}
		} else if len(bs)%96 != 0 || len(bs) == 0 || len(bs) > RetentionDays*96 {
			t.Fatalf("Expand gave %d broadcasts", len(bs))
		}
		store := []tracing.Sighting{{Time: start * 1000}}
		if len(bs) > 0 {
			store = append(store, tracing.Sighting{ID: bs[0].ID, Time: bs[0].From})
		}
		m, merr := p.Match(nil, []tracing.PublishedKey{pk}, store)
		if (merr == nil) != (err == nil) {
			t.Fatalf("Expand error %v but Match error %v", err, merr)
		}
		if err == nil && len(m) == 0 {
			t.Fatal("Match missed a sighting of the key's first broadcast")
		}
		if dev, err := p.DeviceFromKey(key, time.Unix(start, 0)); err == nil {
			_, _ = dev.IDAt(time.Unix(end, 0))
			_, _ = dev.Upload(time.Unix(start, 0), time.Unix(end, 0))
		}
	})
}
