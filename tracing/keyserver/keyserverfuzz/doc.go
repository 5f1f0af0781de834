// Package keyserverfuzz holds the key server's fuzz targets: the publish
// and F0 bodies, the ?since= cursor and If-None-Match, the verification
// token on its own, revision tokens and key files.
//
// They live in a package of their own, against an in-memory store, for
// speed: go test -fuzz instruments every package linked into the test
// binary for coverage, and the keyserver package's own tests link the
// SQLite driver (modernc.org/sqlite and its C-to-Go runtime), whose
// counters the fuzzer would scan after every input. Run them all with
// scripts/fuzz.
package keyserverfuzz
