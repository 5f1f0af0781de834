package radio

import "math"

// Reported is an RSSI as a phone reports it to an app: whole dBm, rounded
// half away from zero, saturating at ±127 (a BLE HCI advertising report
// carries the RSSI in one signed byte). Kept records are compared in this
// unit, as the app compares them.
func Reported(rssi float32) int8 {
	// math.Round(x) without its bit fiddling, which was a tenth of the
	// record walk: x ± 0.5 is exact in float64 for every float32 x of
	// magnitude at least 2⁻²² (and rounds to ±0.5 below it), and the
	// conversion truncates toward zero, so this rounds half away from
	// zero exactly as math.Round does (TestReportedMatchesRound runs
	// every float32 of the range through both).
	x := float64(rssi)
	switch {
	case x >= 126.5:
		return 127
	case x <= -126.5:
		return -127
	case x >= 0:
		return int8(x + 0.5)
	case x < 0:
		return int8(x - 0.5)
	}
	return -127 // NaN: no packet has one, but never panic or wrap
}

// KeepStrongest appends to out what an app that keeps only the strongest
// of its records per bucket of clock time keeps of recs, records in time
// order (one scan window's, Records, or a link's windows' one after
// another): for each bucket of bucketS seconds (record time T falls in
// bucket int64(T/bucketS)) that holds a record made before until, the
// record with the highest Reported RSSI, the first of equals. Records from
// until on are dropped (the peer has left); a bucket's records are folded
// where they stand together, so records out of order can leave a bucket
// twice. It is the reference that Strongest is checked against; it does
// not allocate when out has room, and out may be recs[:0]: the fold is
// then done in place.
func KeepStrongest(recs []Record, bucketS, until float64, out []Record) []Record {
	n0 := len(out)
	var cur int64
	var best int8
	for _, r := range recs {
		if !(r.T < until) {
			break
		}
		b := int64(r.T / bucketS)
		if len(out) == n0 || b != cur {
			cur, best = b, Reported(r.RSSI)
			out = append(out, r)
			continue
		}
		// Reported is non-decreasing: only a stronger record can report
		// more.
		if last := &out[len(out)-1]; r.RSSI > last.RSSI {
			if v := Reported(r.RSSI); v > best {
				best = v
				*last = r
			}
		}
	}
	return out
}

// Strongest appends to out the records an app that stores only the
// strongest record per bucket of bucketS seconds of clock time keeps from
// scan window w: exactly KeepStrongest(Records(l, w, key, nil), bucketS,
// until, nil) (TestStrongestMatchesRecords, FuzzStrongest), the same
// packets with the same draws, but without materialising the records the
// bucket's maximum makes redundant. A bucket's kept record carries the
// time and unrounded RSSI of the record that won it. It does not allocate
// when out has room.
//
// Its walk is cheaper than Records followed by KeepStrongest in three
// ways, none of which changes a record: the jump from a record to the
// first event bluezone_record_s later starts from the advertiser's step
// (events per record interval) instead of a division, and is corrected
// with the same float comparison; records are folded into their bucket as
// they are made; a bucket's running best is compared in Reported dBm.
func (m *Model) Strongest(l Link, w ScanWindow, key StreamKey, bucketS, until float64, out []Record) []Record {
	if !(bucketS > 0) || math.IsInf(bucketS, 0) {
		return out
	}
	ks := keepScan{out: out, n0: len(out), bucketS: bucketS, until: until}
	tx, rx, ok := m.recordWindow(&l, &w, &key, &ks.recState, math.Inf(-1))
	if !ok || !(until > w.Start) {
		return out
	}
	ks.step = recordStep(ks.recS, tx.AdvInterval)
	walkRuns(tx, rx, w, ks.run)
	return ks.out
}

// recordStep is the number of advertising events per record interval
// recS at interval iv: the estimate Strongest's jump from one record to
// the next starts from.
func recordStep(recS, iv float64) float64 {
	step := math.Max(1, math.Ceil(recS/iv))
	if math.IsNaN(step) || step > 1<<40 {
		step = 1
	}
	return step
}

// keepScan is Strongest's walk: records' packet walk with the bucket fold.
type keepScan struct {
	recState
	out            []Record
	n0             int
	bucketS, until float64
	step           float64
	cur            int64
	best           int8
}

// run walks the events first + k·iv, k in [k0, k1), as recScan.run does.
func (s *keepScan) run(first, obase, iv, k0, k1 float64) bool {
	sens := s.m.sens
	for k := k0; k < k1; k++ {
		t := first + k*iv
		if t < s.nextRec {
			// The run starts before the next record time: the first k
			// with first + k·iv >= nextRec, as recScan.run finds it.
			kj := math.Min(math.Max(math.Ceil((s.nextRec-first)/iv), k+1), k1)
			for kj > k+1 && first+(kj-1)*iv >= s.nextRec {
				kj--
			}
			for kj < k1 && first+kj*iv < s.nextRec {
				kj++
			}
			if kj >= k1 {
				return true
			}
			k = kj
			t = first + k*iv
		}
		o := ordinal(obase + k)
		r := s.mu + s.ch[(s.c0+o)%3] + s.fadeOf(o)
		if !(r > sens) {
			continue
		}
		if !(t < s.until) {
			return false
		}
		r32 := float32(r)
		if b := int64(t / s.bucketS); len(s.out) == s.n0 || b != s.cur {
			s.cur, s.best = b, Reported(r32)
			s.out = append(s.out, Record{T: t, RSSI: r32})
		} else if last := &s.out[len(s.out)-1]; r32 > last.RSSI {
			// Reported is non-decreasing: only a stronger record can
			// report more.
			if v := Reported(r32); v > s.best {
				s.best = v
				*last = Record{T: t, RSSI: r32}
			}
		}
		// The next record is made by the first event at or after
		// nextRec: start from this event plus the step and correct with
		// the packet loop's comparison (event times are non-decreasing
		// in k), so the jump lands where recScan.run's division does.
		s.nextRec = t + s.recS
		kj := k + s.step
		if kj > k1 {
			kj = k1
		}
		for kj > k+1 && first+(kj-1)*iv >= s.nextRec {
			kj--
		}
		for kj < k1 && first+kj*iv < s.nextRec {
			kj++
		}
		k = kj - 1 // the loop's k++ lands on kj
	}
	return true
}
