package protocols_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// toy is a fifth protocol, written against the public interface only: a
// phone draws a 32-byte seed, each UTC day's key is HMAC-SHA256(seed,
// day), and the 16-byte ID of each 15-minute slot is HMAC-SHA256(day key,
// slot). A diagnosed phone uploads its day keys; a sighting matches when
// its ID is one the key implies and it was made in that slot.
type toy struct{}

const (
	toySlots  = 96
	toySlotMs = 86_400_000 / toySlots
)

func (toy) Name() string               { return "toy" }
func (toy) Protocol() tracing.Protocol { return toyProtocol{} }

// Radio: an app on Bluezone's schedules (so a battery saver can kill it)
// that keeps the strongest record of every two minutes.
func (toy) Radio() tracing.Radio {
	return tracing.Radio{Schedules: radio.Bluezone, InApp: true,
		Record: tracing.Recording{Mode: tracing.RecordStrongest, Bucket: 2 * time.Minute}}
}

func (toy) NewPhone(entropy io.Reader, start time.Time, _ tracing.PhoneSetup) (tracing.Phone, error) {
	d := &toyDevice{startMs: start.UnixMilli()}
	if _, err := io.ReadFull(entropy, d.seed[:]); err != nil {
		return nil, err
	}
	return d, nil
}

func (toy) DefaultRule() tracing.RuleParams { return toyRule{MinSightings: 1} }

// toyRule is the toy protocol's rule block.
type toyRule struct {
	// MinSightings is how many matched sightings notify.
	MinSightings int `yaml:"min_sightings"`
}

func (r toyRule) Validate() error {
	l := check.New("")
	l.IntBetween("min_sightings", r.MinSightings, 1, 1000)
	return l.Err()
}

func (r toyRule) NewRule() (tracing.Rule, error) { return r, r.Validate() }

func (r toyRule) Decide(x *tracing.Exposure) (bool, error) {
	return len(x.Matches) >= r.MinSightings, nil
}

func mac(key []byte, n int64) []byte {
	h := hmac.New(sha256.New, key)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
	return h.Sum(nil)
}

type toyDevice struct {
	seed    [32]byte
	startMs int64
}

func (d *toyDevice) IDAt(t time.Time) (tracing.ID, error) {
	ms := t.UnixMilli()
	if ms < d.startMs {
		return tracing.ID{}, tracing.ErrOutOfRange
	}
	var id tracing.ID
	copy(id[:], mac(mac(d.seed[:], ms/86_400_000), ms%86_400_000/toySlotMs))
	return id, nil
}

func (d *toyDevice) Advert(t time.Time) (tracing.ID, [4]byte, error) {
	id, err := d.IDAt(t)
	return id, [4]byte{}, err
}

func (d *toyDevice) Upload(from, to time.Time) ([]tracing.PublishedKey, error) {
	var keys []tracing.PublishedKey
	for day := max(from.UnixMilli(), d.startMs) / 86_400_000; day <= to.UnixMilli()/86_400_000; day++ {
		keys = append(keys, tracing.PublishedKey{Key: mac(d.seed[:], day), Start: day * 86_400,
			End: day*86_400 + 86_399, Slots: toySlots})
	}
	return keys, nil
}

type toyProtocol struct{}

func (toyProtocol) Info() tracing.Info {
	return tracing.Info{Name: "toy", IDLen: 16, Rotation: toySlotMs * time.Millisecond, IDsPerDay: toySlots}
}

func (toyProtocol) NewDevice(entropy io.Reader, start time.Time) (tracing.Device, error) {
	return toy{}.NewPhone(entropy, start, tracing.PhoneSetup{})
}

func (toyProtocol) DeviceFromKey([]byte, time.Time) (tracing.Device, error) {
	return nil, errors.New("toy: no devices from keys")
}

func (toyProtocol) Expand(dst []tracing.Broadcast, k tracing.PublishedKey) ([]tracing.Broadcast, error) {
	if len(k.Key) != 32 || k.Slots != toySlots {
		return dst, tracing.ErrBadKey
	}
	for s := range int64(toySlots) {
		b := tracing.Broadcast{From: k.Start*1000 + s*toySlotMs, Slot: s}
		b.To = b.From + toySlotMs - 1
		copy(b.ID[:], mac(k.Key, s))
		dst = append(dst, b)
	}
	return dst, nil
}

func (p toyProtocol) Match(dst []tracing.Match, keys []tracing.PublishedKey, store []tracing.Sighting) ([]tracing.Match, error) {
	for ki, k := range keys {
		bs, err := p.Expand(nil, k)
		if err != nil {
			return dst, err
		}
		for si, s := range store {
			for _, b := range bs {
				if b.ID == s.ID && s.Time >= b.From && s.Time <= b.To {
					dst = append(dst, tracing.Match{Key: ki, Sighting: si, Slot: b.Slot})
				}
			}
		}
	}
	return dst, nil
}

// Example adds a fifth protocol through the public interface alone and
// runs a tiny scenario with it: the protocol's package and one Register
// call are all it takes. The scenario's rule block is the toy's own
// struct, checked by its own Validate.
func Example() {
	if err := protocols.Register(toy{}); err != nil {
		fmt.Println(err)
		return
	}
	const src = `
name: toy-town
days: 3
population: {size: 400}
diagnosis: {daily_fraction: 0.05, first_day: 1}
arms:
  - {name: toy-50, protocol: toy, adoption: 0.5, rule: {min_sightings: 2}}
  - {name: gaen-50, protocol: gaen, adoption: 0.5}
`
	l, err := scenarios.LoadBytes("toy.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := sim.Run(context.Background(), l.Scenario, sim.WithWorkers(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	a := r.Arms[0]
	fmt.Println(a.Name, a.Protocol, a.Sightings > 0, a.MatchedSightings > 0, a.Notifications > 0)

	// The rule block holds the toy's own keys, and its Validate applies.
	_, err = scenarios.LoadBytes("toy.yaml", []byte(src), "arms[0].rule.min_sightings=0")
	fmt.Println(err)
	_, err = scenarios.LoadBytes("toy.yaml", []byte(src), "arms[0].rule.min_sighting=2")
	fmt.Println(err)
	// Output:
	// toy-50 toy true true true
	// --set arms[0].rule.min_sightings=0: arms[0].rule.min_sightings: must be between 1 and 1000, got 0
	// --set arms[0].rule.min_sighting=2: arms[0].rule: unknown key "min_sighting"; did you mean "min_sightings"?
}
