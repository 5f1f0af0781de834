package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/scenarios"
)

// advScenario is a small town under two sniffer networks per protocol.
func advScenario(t testing.TB, people int, protos []string, extra ...string) scenarios.Scenario {
	t.Helper()
	src := fmt.Sprintf(`base: town
name: adv
days: 2
population: {size: %d, people_per_market: %d}
diagnosis: {daily_fraction: 0.08, first_day: 1, infectious_days: 1}
metrics: {attenuation_samples: 100}
adversary:
  enabled: true
  scan: {window_s: 10, period_s: 60}
  attack: {link: {visit_gap_s: 180, max_gap_s: 75}}
arms:
`, people, people)
	for _, p := range protos {
		src += fmt.Sprintf("  - {name: %s-sparse, protocol: %s, adoption: 0.3, sniffers: {school_gates: {count: 1}}}\n", p, p)
		src += fmt.Sprintf("  - {name: %s-grid, protocol: %s, adoption: 0.3, sniffers: {grid_spacing_m: 80}}\n", p, p)
	}
	l, err := scenarios.LoadBytes("adv.yaml", []byte(src), extra...)
	if err != nil {
		t.Fatal(err)
	}
	return l.Scenario
}

func runAdv(t testing.TB, sc scenarios.Scenario, opts ...Option) *Result {
	t.Helper()
	r, err := Run(context.Background(), sc, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAdversaryLeavesTheRunAlone: switching the adversary on adds the
// privacy rows and changes nothing else of the result; off, there are
// none (and the run's hash is what it was before the adversary existed,
// which the golden hashes of cmd/bluesim pin).
func TestAdversaryLeavesTheRunAlone(t *testing.T) {
	on := advScenario(t, 400, []string{"bluezone"})
	off := on
	off.Adversary = privacy.DefaultAdversary()
	off.Arms = slices.Clone(on.Arms)
	for i := range off.Arms {
		off.Arms[i].Sniffers = privacy.Network{}
	}
	rOn, rOff := runAdv(t, on, WithWorkers(2)), runAdv(t, off, WithWorkers(2))
	if rOff.Privacy != nil {
		t.Fatalf("adversary off, privacy rows %+v", rOff.Privacy)
	}
	if len(rOn.Privacy) != len(on.Arms) {
		t.Fatalf("%d privacy rows for %d arms", len(rOn.Privacy), len(on.Arms))
	}
	rOn.Privacy = nil
	if err := rOn.computeHash(); err != nil {
		t.Fatal(err)
	}
	if rOn.Hash != rOff.Hash {
		t.Errorf("the adversary changed the contact-tracing results: hash %s, without it %s", rOn.Hash, rOff.Hash)
	}
}

// TestAdversaryWorkers: the same bytes (privacy rows included) whatever
// the number of workers.
func TestAdversaryWorkers(t *testing.T) {
	sc := advScenario(t, 400, []string{"gaen", "bluezone-v1"})
	r1, r3 := runAdv(t, sc, WithWorkers(1)), runAdv(t, sc, WithWorkers(3))
	if r1.Hash != r3.Hash {
		t.Fatalf("hash %s with 1 worker, %s with 3", r1.Hash, r3.Hash)
	}
	if len(r1.Privacy) == 0 || r1.Privacy[1].Result.Sightings == 0 {
		t.Fatalf("the sniffers heard nothing: %+v", r1.Privacy)
	}
}

// TestAdversaryScrambled: the attacks see only the sniffer log and the
// exports. Relabelling every person in the ground truth (a random
// permutation of the agent numbers) and publishing the uploads in
// another order gives the same results.
func TestAdversaryScrambled(t *testing.T) {
	sc := advScenario(t, 400, []string{"dp3t", "bluezone"})
	plain := runAdv(t, sc, WithWorkers(2))
	for _, seed := range []uint64{1, 99} {
		scr := runAdv(t, sc, WithWorkers(2), func(c *config) { c.scramble = seed })
		if !reflect.DeepEqual(jsonOf(t, plain.Privacy), jsonOf(t, scr.Privacy)) {
			t.Errorf("scramble %d changed the attacks' results:\n%s\n%s", seed, jsonOf(t, plain.Privacy), jsonOf(t, scr.Privacy))
		}
		if scr.Hash != plain.Hash {
			t.Errorf("scramble %d changed the hash", seed)
		}
	}
	var uploaders int64
	for _, p := range plain.Privacy {
		uploaders += p.Result.Uploaders
	}
	if uploaders == 0 {
		t.Fatal("no uploaders: the test would not see a relabelling")
	}
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	orderOnce sync.Once
	orderRes  *Result
)

// TestAdversaryOrderings: on the engine's own output, the orderings the
// protocols' designs imply hold: Bluezone v1's static ID links at least as
// much of the sniffed time as any rotating scheme under the same network;
// without uploads nobody is traced; and with sniffers on a dense grid the
// homes of uploaders are found far more often than with one sniffer.
func TestAdversaryOrderings(t *testing.T) {
	if testing.Short() {
		t.Skip("four protocols under two networks: about 15 s")
	}
	protos := []string{"bluezone-v1", "bluezone", "gaen", "dp3t"}
	orderOnce.Do(func() { orderRes = runAdv(t, advScenario(t, 600, protos), WithWorkers(2)) })
	rows := map[string]*PrivacyRow{}
	for i := range orderRes.Privacy {
		rows[orderRes.Privacy[i].Arm] = &orderRes.Privacy[i]
	}
	for _, net := range []string{"sparse", "grid"} {
		v1 := rows["bluezone-v1-"+net].Result.LinkedTime.Value
		for _, p := range protos[1:] {
			if o := rows[p+"-"+net].Result.LinkedTime.Value; !(v1 >= o) {
				t.Errorf("%s: bluezone-v1 linked %.3f of the sniffed time, %s more (%.3f)", net, v1, p, o)
			}
		}
	}
	for _, p := range protos {
		sparse, grid := rows[p+"-sparse"].Result, rows[p+"-grid"].Result
		if grid.Uploaders < 10 {
			t.Fatalf("%s: only %d uploaders", p, grid.Uploaders)
		}
		if !(grid.Homes.Value >= sparse.Homes.Value+0.3) || !(grid.Homes.Low > sparse.Homes.Value) {
			t.Errorf("%s: homes found %.2f [%.2f, %.2f] on the grid, %.2f with one sniffer: want far more on the grid",
				p, grid.Homes.Value, grid.Homes.Low, grid.Homes.High, sparse.Homes.Value)
		}
	}

	// No uploads: compliance 0.
	noUp := runAdv(t, advScenario(t, 600, []string{"bluezone", "gaen"}, "diagnosis.compliance=0"), WithWorkers(2))
	for _, p := range noUp.Privacy {
		r := p.Result
		if r.PublishedKeys != 0 || r.Uploaders != 0 || r.UploadersTraced != 0 || r.HomesIdentified != 0 || r.IDsRecomputed != 0 {
			t.Errorf("%s without uploads: %d keys, %d uploaders, %d traced, %d homes", p.Arm, r.PublishedKeys, r.Uploaders, r.UploadersTraced, r.HomesIdentified)
		}
		if !math.IsNaN(r.Traced.Value) || !math.IsNaN(r.Homes.Value) {
			t.Errorf("%s without uploads: traced share %v, home share %v: want undefined (null), not 0", p.Arm, r.Traced.Value, r.Homes.Value)
		}
		if r.Sightings == 0 {
			t.Errorf("%s: the sniffers heard nothing", p.Arm)
		}
	}
}

// BenchmarkAdversary times a small town's run with the adversary (GAEN
// under one school-gate sniffer and an 80 m grid) against the same run
// without it (the sub-benchmark off), for the cost of the sniffer phase
// as a ratio; it reports the sniffer log's records and bytes per record.
func BenchmarkAdversary(b *testing.B) {
	on := advScenario(b, 400, []string{"gaen"})
	off := on
	off.Adversary = privacy.DefaultAdversary()
	off.Arms = slices.Clone(on.Arms)
	for i := range off.Arms {
		off.Arms[i].Sniffers = privacy.Network{}
	}
	for _, bc := range []struct {
		name string
		sc   scenarios.Scenario
	}{{"off", off}, {"on", on}} {
		b.Run(bc.name, func(b *testing.B) {
			var r *Result
			for b.Loop() {
				r = runAdv(b, bc.sc, WithWorkers(2))
			}
			var recs, bytes int64
			for _, p := range r.Privacy {
				recs += p.Result.Sightings
				bytes += p.LogBytes
			}
			if recs > 0 {
				b.ReportMetric(float64(recs), "records")
				b.ReportMetric(float64(bytes)/float64(recs), "log-B/record")
			}
		})
	}
}
