package gaen_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
)

// A phone hears another for 20 minutes; the other user is diagnosed and
// uploads keys; the phone matches them, builds exposure windows and applies
// the CWA rule.
func Example() {
	start := time.Date(2020, 10, 1, 8, 0, 0, 0, time.UTC)
	sick, _ := gaen.NewDevice(rand.NewChaCha8([32]byte{1}), start)
	md, _ := gaen.NewMetadata(gaen.VersionV10, -10)

	// The listener scans every 4 minutes and hears the advert at -62 dBm.
	var store []tracing.Sighting
	for i := range 6 {
		at := start.Add(time.Duration(i) * 4 * time.Minute)
		rpi, aem, _ := sick.AdvertAt(at, md)
		store = append(store, tracing.Sighting{ID: rpi, Time: at.UnixMilli(), RSSI: -62, Meta: aem})
	}

	keys, _ := sick.Upload(start, start.Add(24*time.Hour))
	matches, _ := gaen.MatchKeys(nil, keys, store)
	// The listener's phone model reads 2 dB low: calibrated RSSI = -60,
	// attenuation = -10 - (-60) = 50 dB.
	windows, _ := gaen.ExposureWindows(keys, store, matches, 2, gaen.WindowOptions{})
	rule, _ := gaen.PresetByName("cwa")
	d, _ := rule.Decide(windows, start.Add(24*time.Hour).UnixMilli())

	fmt.Printf("%d keys, %d matches, %d window(s)\n", len(keys), len(matches), len(windows))
	for i, si := range windows[0].ScanInstances {
		if i > 0 {
			fmt.Print(", ")
		}
		fmt.Printf("%d dB/%d s", si.TypicalAttenuationDb, si.SecondsSinceLastScan)
	}
	fmt.Printf("\nnotify=%v after %.0f weighted minutes\n", d.Notify, d.WeightedMinutes)
	// Output:
	// 2 keys, 6 matches, 1 window(s)
	// 50 dB/120 s, 50 dB/240 s, 50 dB/240 s, 50 dB/240 s, 50 dB/240 s, 50 dB/240 s
	// notify=true after 22 weighted minutes
}
