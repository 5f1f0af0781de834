package radio

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// TracePoint is one sample of a distance trace: at time T (seconds) the
// two phones are DistanceM metres apart.
type TracePoint struct {
	T, DistanceM float64
}

// TraceScan is what one scan window of one phone reported about the other.
type TraceScan struct {
	// Scanner is 0 when phone A (the link's Tx) scanned phone B, 1 when B
	// scanned A.
	Scanner int
	Window  ScanWindow
	// DistanceM is the distance at the window's midpoint (linear
	// interpolation of the trace).
	DistanceM float64
	Report    ScanReport
}

// Trace runs both phones of l (A = l.Tx, B = l.Rx, each with a schedule)
// along a distance trace and returns every scan window of either phone
// that starts inside the trace, in time order, with what it reported. The
// environment, people, walls, carriage and app state come from l; the
// distance from the trace. Poses last pose_epoch_s. Draws are keyed by
// seed, so the same inputs give the same scans.
func (m *Model) Trace(l Link, trace []TracePoint, seed uint64) ([]TraceScan, error) {
	if l.Tx.Sched == nil || l.Rx.Sched == nil {
		return nil, errors.New("radio: Trace needs a schedule on both phones (Model.NewSchedule)")
	}
	if len(trace) == 0 {
		return nil, errors.New("radio: empty distance trace")
	}
	for i, p := range trace {
		if math.IsNaN(p.T) || math.IsInf(p.T, 0) || !(p.DistanceM >= 0) || math.IsInf(p.DistanceM, 0) {
			return nil, fmt.Errorf("radio: trace point %d (t=%v, d=%v): want finite time and distance >= 0", i, p.T, p.DistanceM)
		}
		if i > 0 && !(p.T > trace[i-1].T) {
			return nil, fmt.Errorf("radio: trace point %d: time %v not after %v", i, p.T, trace[i-1].T)
		}
	}
	from, to := trace[0].T, trace[len(trace)-1].T
	if len(trace) == 1 {
		to = from + l.Rx.Sched.ScanPeriod
	}
	phones := [2]Phone{l.Tx, l.Rx}
	pair := PairKey(0, 1)
	var out []TraceScan
	var wins []ScanWindow
	for s := range 2 {
		scanner, adv := phones[s], phones[1-s]
		wins = scanner.Sched.AppendWindows(wins[:0], from, to, scanner.Foreground)
		for _, w := range wins {
			mid := (w.Start + w.End) / 2
			d := interpolate(trace, mid)
			link := Link{DistanceM: d, Env: l.Env, People: l.People, Walls: l.Walls, Tx: adv, Rx: scanner}
			key := StreamKey{Seed: seed, Pair: pair, Pose: uint64(int64(math.Floor(mid / m.p.PoseEpochS))),
				Window: WindowKey(uint64(s), w.Index)}
			out = append(out, TraceScan{Scanner: s, Window: w, DistanceM: d, Report: m.Scan(link, w, key)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Window.Start != out[j].Window.Start {
			return out[i].Window.Start < out[j].Window.Start
		}
		return out[i].Scanner < out[j].Scanner
	})
	return out, nil
}

// interpolate returns the trace's distance at time t (clamped to the ends).
func interpolate(trace []TracePoint, t float64) float64 {
	i := sort.Search(len(trace), func(i int) bool { return trace[i].T >= t })
	switch {
	case i == 0:
		return trace[0].DistanceM
	case i == len(trace):
		return trace[len(trace)-1].DistanceM
	}
	a, b := trace[i-1], trace[i]
	f := (t - a.T) / (b.T - a.T)
	return a.DistanceM + f*(b.DistanceM-a.DistanceM)
}
