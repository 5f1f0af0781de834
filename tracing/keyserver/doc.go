// Package keyserver is bluesim's reference key server: the HTTP service that
// diagnosed phones upload their keys to and that every phone polls for the
// keys of others.
//
// It behaves like the deployed GAEN reference server (shared/reference
// loadtest.md §1.1): a JSON POST /v1/publish of 1–14 temporary exposure keys
// authorised by a health authority's ES256 verification token, chaff
// requests answered and discarded, signed export batches (zip with
// export.bin and export.sig, written by tracing/gaen) listed in index.txt
// and served with strong ETags, revision tokens, and 14-day retention. Next
// to it sits a Bluezone-style F0 list (protocols.md §1.5) that Bluezone
// phones poll.
//
// The privacy protections of the reference servers (§1.1, §1.2) are on by
// default: keys still valid at upload are embargoed until their rolling
// period ends and every key waits a minimum window age (2 h) before export;
// export files are padded with random keys; chaff is answered with the
// status, size and timing of real uploads; metrics are served only by
// AdminHandler; retention counts from each key's own interval. The public
// Handler is bounded against hostile clients and overload (Limits): header
// size, connections per listener, timeouts, a per-client publish rate, and
// load shedding that refuses downloads before publishes.
//
// Storage sits behind the Store interface, with one implementation per
// sub-package (keyserver/sqlite, keyserver/postgres) and one shared test
// suite (keyserver/storetest) that every implementation must pass;
// keyserver/soak checks crash safety by killing a server process, and
// keyserver/keyserverfuzz holds the fuzz targets.
package keyserver
