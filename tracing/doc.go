// Package tracing is the contract shared by bluesim's contact-tracing
// protocols, its simulator and its key server.
//
// A protocol (see the sub-packages bluezone, gaen and dp3t) turns a device's
// key material into the broadcast IDs the phone advertises over BLE, says
// what a diagnosed user uploads, and matches published keys against the
// sightings a phone stored. Matching always compares ID bytes, never
// simulator agent numbers, so truncated IDs collide exactly as they would in
// reality.
//
// What the simulator needs beyond that (radio schedules, how scans are
// recorded, the phones' metadata, the notification rule with its own
// parameter struct) is a Simulated, one per protocol package, listed in
// the table of package tracing/protocols. The protocol packages import
// neither the simulator nor the table: each can be used on its own. A
// simulator that turns many stored sightings of one phone into real bytes
// calls AppendDayAdverts once per (phone, day) and reads each sighting's
// slot from the result (every built-in phone is a DayAdvertiser), rather
// than Phone.Advert per sighting.
//
// Instants in hot paths (sightings, broadcast windows, matches) are int64
// Unix milliseconds; cold APIs (creating devices, uploads) take time.Time.
package tracing // import "github.com/bluesim/bluesim/tracing"
