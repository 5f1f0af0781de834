package privacy_test

import (
	"fmt"
	"time"

	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// A phone running GAEN sleeps near one sniffer and walks past another; its
// user then uploads the day's key. The sniffers' log and the key are all
// the adversary needs to follow the phone through its rotations and to
// find where it spends the night.
func Example() {
	day := time.Date(2020, 8, 3, 0, 0, 0, 0, time.UTC)
	sniffers, _ := privacy.Place(privacy.Policy{GridSpacingM: 500, Scan: privacy.DefaultScanSchedule()},
		privacy.Rect{Max: privacy.Point{X: 1000, Y: 500}}, nil, 1)
	phone, _ := gaen.DeviceFromTEK([]byte("0123456789abcdef"), day)

	log, _ := privacy.NewBuilder(len(sniffers), 16, privacy.MetaLen, day.UnixMilli())
	hear := func(sniffer uint32, from, to time.Time, rssi int8) {
		for t := from; t.Before(to); t = t.Add(10 * time.Second) {
			id, aem, _ := phone.AdvertAt(t, phone.Metadata)
			log.Add(privacy.Record{Sniffer: sniffer, Time: t.UnixMilli(), ID: id, RSSI: rssi, Meta: aem})
		}
	}
	hear(0, day.Add(15*time.Hour), day.Add(17*time.Hour), -88)             // 22:00-00:00 in Hanoi (UTC+7)
	hear(1, day.Add(2*time.Hour), day.Add(2*time.Hour+5*time.Minute), -70) // 09:00 in Hanoi
	l := log.Build()

	p := privacy.DefaultParams()
	ln, _ := privacy.Link(l, sniffers, gaen.Protocol{}.Info(), p)
	fmt.Printf("%d sightings of %d RPIs: %d bridges, %d tracks\n", ln.Records, l.Entries(), len(ln.Bridges), len(ln.Tracks))

	keys, _ := phone.Upload(day, day.Add(23*time.Hour))
	tr, _ := privacy.Trace(l, sniffers, gaen.Protocol{}, keys, p)
	k := tr.Keys[0]
	fmt.Printf("the key matches %d sightings at %d stops; home by sniffer %d at %v\n",
		k.Sightings, len(k.Path), k.Home, sniffers[k.Home].Pos)
	// Output:
	// 750 sightings of 13 RPIs: 11 bridges, 2 tracks
	// the key matches 750 sightings at 2 stops; home by sniffer 0 at {250 250}
}
