// Package tracingbench is the workload and the measurement behind
// `bluesim bench match`: one phone holding M stored sightings matches N
// published keys with a protocol's real phone-side matcher
// (tracing.Protocol.Match), timed against the bare cryptography that
// matching cannot avoid (the "crypto floor"), measured in the same run.
//
// The workload is made of real devices of the protocol, built from seeded
// ChaCha8 streams: diagnosed devices upload one-day keys for the last 14
// days, and the phone's store holds sightings of those devices' broadcast
// IDs at the instants they were on air (a chosen fraction of the store) and
// of other devices that were never published. Each planted sighting records
// the key it came from, so a run checks that the matcher found exactly the
// planted sightings, no more and no fewer: a bench that matched nothing
// quickly would fail rather than look fast.
//
// A published key is always one day of key material (a GAEN TEK, a
// Bluezone daily key over its 96 slots, a DP-3T day seed SK_t), the unit the
// issue's targets are stated in. A Bluezone F0 entry or a DP-3T upload that
// covers several days costs the same as that many one-day keys plus one
// SHA-256 ratchet a day.
package tracingbench // import "github.com/bluesim/bluesim/tracing/tracingbench"
