// Package dp3t is the low-cost design of DP-3T (Decentralized
// Privacy-Preserving Proximity Tracing) as a tracing.Protocol named "dp3t",
// with the real cryptography of the DP-3T reference implementation
// (protocols.md §4.1):
//
//   - a day seed SK_t of 32 bytes, ratcheted at each UTC midnight with
//     SK_t = SHA-256(SK_{t-1});
//   - the day's EphIDs EphID_1 || ... || EphID_n = AES-256-CTR keyed with
//     HMAC-SHA256(key = SK_t, msg = "broadcast key"), counter block starting
//     at 0, encrypting zeros, cut into 16-byte EphIDs; n = 1440 / L for an
//     epoch of L minutes (15 by default, so 96 a day);
//   - a per-day shuffle of the broadcast order (see Generator for how it is
//     made deterministic);
//   - on diagnosis the phone uploads (SK_t, t) for its first contagious day
//     and starts again from a fresh random seed (Device.Rekey); other phones
//     regenerate the EphIDs day by day from t and match only sightings made
//     on the same UTC day and no later than publication.
//
// ExposedOverview is the JSON list of published keys the pre-GAEN DP-3T
// backend served to phones, with a strict decoder.
//
// RuleParams is the attenuation-duration notification rule DP-3T apps
// (SwissCovid) used, and Unlinkable* are the EphID and hashed-observation
// functions of DP-3T's unlinkable design (§4.2), kept for comparison.
package dp3t // import "github.com/bluesim/bluesim/tracing/dp3t"
