// Package bluezone is Vietnam's Bluezone contact-tracing protocol as the
// deployed apps ran it (protocols.md §1, the shared reference fact sheet).
//
// Version 2 and later (protocol name "bluezone") broadcast rolling 12-byte
// IDs from a SHA-256 hash chain: a 32-byte base key made at first run is
// ratcheted once per UTC day (DailyKey_d = SHA256(DailyKey_{d-1})); each
// day's first sub-key is SHA256(DailyKey_d || "bluzonesubkey") and each
// later slot's sub-key is the SHA-256 of the previous one; an ID is 12 of
// the sub-key's 32 bytes. A diagnosed user (F0) uploads one daily key and
// its day; every phone that receives it regenerates the IDs and looks for
// a stored sighting in the matching slot, with no RSSI or duration filter
// (protocols.md §1.5 step 3). Whom the server then classifies as a close
// contact (F1) was never published; Rule makes that a configurable choice.
//
// Version 1 (protocol name "bluezone-v1", see V1) broadcast one static
// 6-character ID for the phone's whole life, so at national scale distinct
// phones share IDs; the package keeps it to study those collisions.
//
// The API in brief:
//
//	p, err := bluezone.New(bluezone.DefaultParams())   // v2, 96 slots a day
//	dev, err := p.NewBaseDevice(entropy, firstRun)     // or DeviceFromDailyKey
//	id, err := dev.IDAt(t)                             // or dev.SlotID(day, slot)
//	keys, err := dev.Upload(now.AddDate(0, 0, -14), now)
//	matches, err := p.Match(nil, keys, store)          // phone-side check
//	notify, ev := rule.Classify(matchedSightings, bluezone.OSPair{...})
//	v1 := bluezone.NewV1()                              // static 6-char IDs
package bluezone // import "github.com/bluesim/bluesim/tracing/bluezone"
