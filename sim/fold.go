package sim

import "github.com/bluesim/bluesim/radio"

// foldStrongest keeps, of one link's records (its scan windows' strongest
// records of each bucket, windows in time order), the strongest of each
// bucket of bucketS seconds of clock time: the record with the highest
// Reported RSSI, the first of equals, as radio.KeepStrongest keeps within
// one window. A phone that stores only the strongest record of a peer per
// bucket (tracing.RecordStrongest) stores one per bucket whatever its scan
// windows: an iPhone's Bluezone scans run in back-to-back chunks
// (bluezone_ios_scan_chunk_s) that start anywhere in a minute, so most
// minutes span two windows, each of which keeps a record of the minute. Records of a bucket
// are folded only where they are adjacent; windows that overlap (a
// background window running into an hour the app is on screen) can leave
// a bucket's records apart, and both are kept, which rules that read
// distinct minutes count once. It folds recs in place and returns the
// shortened slice.
func foldStrongest(recs []radio.Record, bucketS float64) []radio.Record {
	out := recs[:0]
	var cur int64
	var best int8
	for _, r := range recs {
		b := int64(r.T / bucketS)
		if len(out) > 0 && b == cur {
			// Reported is non-decreasing: only a stronger record can
			// report more.
			if last := &out[len(out)-1]; r.RSSI > last.RSSI {
				if v := radio.Reported(r.RSSI); v > best {
					best = v
					*last = r
				}
			}
			continue
		}
		cur, best = b, radio.Reported(r.RSSI)
		out = append(out, r)
	}
	return out
}
