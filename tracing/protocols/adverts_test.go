package protocols

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
)

// plain hides a phone's DayAdvertiser, to test the fallback.
type plain struct{ tracing.Phone }

func newPhone(tb testing.TB, name string, seed uint64, start time.Time) (tracing.Phone, tracing.Info) {
	tb.Helper()
	p, ok := Lookup(name)
	if !ok {
		tb.Fatalf("no protocol %q", name)
	}
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	ph, err := p.NewPhone(rand.NewChaCha8(s), start, tracing.PhoneSetup{TXPowerDBm: -7})
	if err != nil {
		tb.Fatal(err)
	}
	return ph, p.Protocol().Info()
}

// TestAppendDayAdverts checks, for every built-in protocol, that a day's
// adverts equal Advert at the start and the last millisecond of each slot,
// with days asked in jumbled order, through the phone's DayAdvertiser and
// through the fallback; and that a day before the phone's key material is
// an error that leaves dst as it was.
func TestAppendDayAdverts(t *testing.T) {
	start := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	day0 := start.Unix() / 86400
	for _, name := range []string{"bluezone", "bluezone-v1", "gaen", "dp3t"} {
		t.Run(name, func(t *testing.T) {
			ph, info := newPhone(t, name, 1, start)
			if _, ok := ph.(tracing.DayAdvertiser); !ok {
				t.Fatalf("%s phones do not implement tracing.DayAdvertiser", name)
			}
			ref, _ := newPhone(t, name, 1, start) // the same keys, asked only through Advert
			n, step := tracing.DaySlots(info)
			head := []tracing.Advert{{Meta: [4]byte{9}}}
			for _, d := range []int64{2, 0, 3, 1, 0, 5} {
				for _, p := range []tracing.Phone{ph, plain{ph}} {
					got, err := tracing.AppendDayAdverts(head, p, info, day0+d)
					if err != nil {
						t.Fatalf("day %d: %v", d, err)
					}
					if len(got) != 1+n || got[0] != head[0] {
						t.Fatalf("day %d: %d adverts after the head, want %d", d, len(got)-1, n)
					}
					for s := range n {
						for _, off := range []int64{0, step - 1} {
							id, meta, err := ref.Advert(time.UnixMilli((day0+d)*86_400_000 + int64(s)*step + off))
							if err != nil {
								t.Fatal(err)
							}
							if a := got[1+s]; a.ID != id || a.Meta != meta {
								t.Fatalf("day %d slot %d (+%d ms): %x/%x, Advert says %x/%x", d, s, off, a.ID, a.Meta, id, meta)
							}
						}
					}
				}
			}
			for _, p := range []tracing.Phone{ph, plain{ph}} {
				got, err := tracing.AppendDayAdverts(head, p, info, day0-1)
				if !errors.Is(err, tracing.ErrOutOfRange) || len(got) != 1 {
					t.Errorf("the day before the first key: %d adverts, error %v; want none and ErrOutOfRange", len(got)-1, err)
				}
			}
		})
	}
}

// BenchmarkMaterialise gives 500 sightings of each of 20 phones their
// adverts, the sightings of a phone alternating between 3 days as they do
// when a simulator walks the stores receiver by receiver: "advert" calls
// Phone.Advert per sighting (the device re-derives its day whenever it
// changes), "day_adverts" derives each (phone, day) once with
// AppendDayAdverts and reads the slot. Reported per sighting.
func BenchmarkMaterialise(b *testing.B) {
	start := time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC)
	day0 := start.Unix() / 86400
	const phones, perPhone, days = 20, 500, 3
	for _, name := range []string{"bluezone", "gaen", "dp3t"} {
		var ps []tracing.Phone
		var info tracing.Info
		for i := range phones {
			var p tracing.Phone
			p, info = newPhone(b, name, uint64(i), start)
			ps = append(ps, p)
		}
		n, step := tracing.DaySlots(info)
		for _, path := range []string{"advert", "day_adverts"} {
			b.Run(fmt.Sprintf("%s/%s", name, path), func(b *testing.B) {
				var table [days][]tracing.Advert
				var sink byte
				b.ReportAllocs()
				for b.Loop() {
					for _, p := range ps {
						if path == "day_adverts" {
							for d := range days {
								var err error
								if table[d], err = tracing.AppendDayAdverts(table[d][:0], p, info, day0+int64(d)); err != nil {
									b.Fatal(err)
								}
							}
						}
						for i := range perPhone {
							d, s := i%days, (i*7)%n
							if path == "day_adverts" {
								sink ^= table[d][s].ID[0]
								continue
							}
							id, _, err := p.Advert(time.UnixMilli((day0+int64(d))*86_400_000 + int64(s)*step))
							if err != nil {
								b.Fatal(err)
							}
							sink ^= id[0]
						}
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*phones*perPhone), "ns/sighting")
				_ = sink
			})
		}
	}
}
