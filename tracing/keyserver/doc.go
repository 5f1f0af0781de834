// Package keyserver is bluesim's reference key server: the HTTP service that
// diagnosed phones upload their keys to and that every phone polls for the
// keys of others.
//
// It behaves like the deployed GAEN reference server (shared/reference
// loadtest.md §1.1): a JSON POST /v1/publish of 1–14 temporary exposure keys
// authorised by a health authority's ES256 verification token, chaff
// requests answered and discarded, signed export batches (zip with
// export.bin and export.sig, written by tracing/gaen) listed in index.txt
// and served with strong ETags, and 14-day retention. Next to it sits a
// Bluezone-style F0 list (protocols.md §1.5) that Bluezone phones poll.
//
// Storage sits behind the Store interface, with one implementation per
// sub-package (keyserver/sqlite, keyserver/postgres) and one shared test
// suite (keyserver/storetest) that every implementation must pass.
package keyserver
