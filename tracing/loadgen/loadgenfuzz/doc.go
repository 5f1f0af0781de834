// Package loadgenfuzz holds the load generator's fuzz targets: --threshold,
// --shard, --mix and report JSON. They live apart from loadgen's own tests,
// which link a whole key server and its SQLite driver, so that the fuzzer's
// coverage instrumentation covers the parsers and little else (see
// tracing/keyserver/keyserverfuzz). Run them with scripts/fuzz.
package loadgenfuzz
