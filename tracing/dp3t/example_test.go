package dp3t_test

import (
	"fmt"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/dp3t"
)

// A diagnosed phone uploads (SK_t, t); another phone that heard it that day
// finds the match by regenerating the EphIDs.
func Example() {
	p := dp3t.Default()
	sk, _ := dp3t.ParseKeyHex("66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
	day := time.Date(2020, 4, 10, 0, 0, 0, 0, time.UTC)
	alice, _ := p.DeviceFromKey(sk[:], day)

	heard := day.Add(9*time.Hour + 20*time.Minute)
	id, _ := alice.IDAt(heard)
	store := []tracing.Sighting{{ID: id, Time: heard.UnixMilli(), RSSI: -65}}

	keys, _ := alice.Upload(day, day.Add(30*time.Hour))
	matches, _ := p.Match(nil, keys, store)
	fmt.Printf("key %x... from %s: %d match, slot %d\n", keys[0].Key[:4],
		time.Unix(keys[0].Start, 0).UTC().Format(time.DateOnly), len(matches), matches[0].Slot)
	// Output: key 66687aad... from 2020-04-10: 1 match, slot 37
}
