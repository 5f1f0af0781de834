// Package loadgen is bluesim's load generator for key servers: an
// open-model attacker that sends a fixed arrival rate of publishes, chaff,
// index polls and export downloads at a server that speaks the GAEN
// reference server's API (bluesim serve, or any compatible server), and
// reports latencies from mergeable HDR histograms.
//
// Open model: requests are scheduled at fixed intervals (1/rate) and each
// request's latency is measured from its scheduled send time, not from when
// a worker got round to sending it. A server that stalls therefore shows its
// stall in the latencies of every request that should have been sent
// meanwhile, instead of slowing the generator down and hiding it
// (coordinated omission; loadtest.md §3.2, §3.4).
//
// Reports follow vegeta's definitions (loadtest.md §3.1): rate is requests
// per second sent, throughput successful requests per second including the
// wait for the last responses, success the ratio of 2xx and 3xx answers.
// Each report carries its HDR histograms (V2 compressed, base64), so the
// reports of shards that ran at the same time add up exactly with
// MergeReports.
//
// Every request kind the mix has is sent at least MinKindRate times a
// second (Mix.Plan), the kinds interleaved in their proportions, so a rare
// kind is tested at any rate. Before the timed phase a set-up reads the
// export index and, when the mix downloads exports, waits for the server
// to list one and checks it downloads, so that downloads target files that
// exist. Evaluate checks thresholds, reporting each with its measured
// value; a threshold on a kind with no requests fails.
//
// With Phones set, simulated phones poll the server's index, download new
// export files, verify them and run tracing/gaen's matcher over their own
// sightings, which include sightings of the devices whose uploads the
// generator publishes.
package loadgen
