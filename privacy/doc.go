// Package privacy is the adversary of bluesim's privacy study: a network
// of passive BLE sniffers and the attacks it runs on what they log and on
// the keys the key server publishes (issue 15: what a city-wide network of
// sniffers learns from each protocol). It reads only sniffer logs and
// key-server exports, never the simulator's agent numbers: the ground
// truth that scores the attacks comes in separately (Truth), under opaque
// labels, and a test relabels and reorders everything on that side
// without changing a result.
//
// # The adversary's data
//
// A Sniffer stands at a Point of the town plane, at a kind of place
// (market, bus stop, school gate, venue, or a grid point) and listens on a
// ScanSchedule (by default all the time, logging at most one Record per ID
// per 10-s window with the strongest packet's RSSI). Place applies a
// documented Policy (counts or shares per kind of place, an optional grid)
// to the town's candidate places with a seeded draw that nests: a denser
// policy keeps every sniffer of a sparser one.
//
// A Log holds every record of a run, sorted by (sniffer, time), in 9 bytes
// a record plus a dictionary of the distinct IDs heard; a Builder collects
// records in any order (one per worker, merged) and builds the same Log
// whatever the order. WriteTo and DecodeLog are its checked file format.
//
// # The attacks
//
// Link chains IDs into tracks: identical bytes are one identity (Bluezone
// v1's static ID links a person across sniffers and days), and rotating
// IDs are bridged by timing and RSSI continuity across the sniffers that
// heard the switch. Trace takes the keys published on the key server,
// read from the real export files (ReadGAENExport, ReadBluezoneF0List,
// ReadDP3TExposed), recomputes every ID with the protocol's own Expand,
// joins them with the log on ID bytes and matching window, reconstructs
// each key holder's movements and names their home sniffer (the
// strongest signal in the local night: sightings weighted by RSSI). Tracing.SlotMinutes is the Bluezone
// counterfactual: what the same IDs would reveal published one slot at a
// time.
//
// # Outputs
//
// Analyze runs both attacks on one protocol arm and scores them against
// the Truth into a Result: counts, shares with 95 % Wilson intervals, and
// spans, whose JSON is the object for summary.json's arms[].privacy (keys
// documented by Keys, e.g. privacy.linked_time_share). Paragraph turns the
// arms' results into a short reading for a non-specialist.
//
// # What the engine feeds in
//
//  1. Sniffers: Place(policy, townExtent, candidates, seed), candidates
//     being the town's markets, bus stops, school gates and venues with
//     their positions on the town plane.
//  2. Records: for every scan window of every sniffer
//     (Sniffer.Scan.AppendWindows, on the simulation clock) and every app
//     phone in radio range, radio.Model.Scan with the phone as Tx and
//     Sniffer.Receiver as Rx; if heard, Builder.Add a Record with the
//     window's start (Unix ms), the ID and metadata on air (GAEN's
//     Device.AdvertAt gives the AEM; a window straddling a rotation
//     hears both IDs: one record each) and RSSI(report.MaxRSSI). One
//     Builder per arm: NewBuilder(len(sniffers), info.IDLen, 4 for GAEN
//     else 0, run start in Unix ms), Merge the workers' builders, Build.
//  3. Keys: the arm's published keys read back from the key server's
//     export files with the Read* functions (bluezone-v1 has no published
//     format: its Device.Upload keys as they are).
//  4. Truth: app users and how many came within range of a sniffer; per
//     published key the uploader's label and home position; optionally
//     the owner of each ID heard, to score the linking.
//  5. Params: DefaultParams, with UTCOffsetMinutes set to 0 if the
//     simulation lays its daily schedules on the UTC clock.
package privacy // import "github.com/bluesim/bluesim/privacy"
