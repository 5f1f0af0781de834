package georun

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/sweeprun"
)

// twoProvinces is the vietnam built-in cut to Nam Định and Thái Bình at a
// small scale, over a few days, with day trips between them.
func twoProvinces(t testing.TB, sets ...string) scenarios.Scenario {
	t.Helper()
	l, err := scenarios.LoadBuiltin("vietnam", append([]string{"population.area=nam-dinh,thai-binh",
		"population.scale=0.0008", "days=4", "diagnosis.daily_fraction=0.02", "diagnosis.first_day=1",
		"population.travel.daily=0.02", "metrics.attenuation_samples=300"}, sets...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l.Scenario
}

func simRun(ctx context.Context, p scenarios.ProvincePart) (*sim.Result, error) {
	return sim.Run(ctx, p.Scenario, sim.WithWorkers(2))
}

// TestShardsEqualWhole is the design's promise: two shards of a
// two-province run, written, read back and merged, give exactly the
// result of running both provinces in one place (same hash, same tables),
// and the merged result holds both provinces' areas.
func TestShardsEqualWhole(t *testing.T) {
	plan, err := NewPlan(twoProvinces(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Parts) != 2 || plan.Parts[0].Province != "thai-binh" || plan.Parts[1].Province != "nam-dinh" {
		t.Fatalf("parts %v", plan.Parts)
	}
	whole, err := Run(context.Background(), plan.Parts, simRun)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plan.Combine(whole)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var dirs []string
	for i := 1; i <= 2; i++ {
		parts, err := plan.Shard(sweeprun.ShardID{Index: i, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 1 {
			t.Fatalf("shard %d holds %d provinces", i, len(parts))
		}
		rs, err := Run(context.Background(), parts, simRun)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, "shard-"+parts[0].Province)
		if _, err := WriteShard(d, plan, sweeprun.ShardID{Index: i, Count: 2}, parts, rs); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	// The shards may come in any order.
	slices.Reverse(dirs)
	sc, got, err := Merge(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash != want.Hash || !reflect.DeepEqual(got.Arms, want.Arms) || !reflect.DeepEqual(got.Areas, want.Areas) {
		t.Fatalf("merged shards differ from the whole run: hash %s vs %s", got.Hash, want.Hash)
	}
	if sc.Name != "vietnam" || sc.Population.Area != "nam-dinh,thai-binh" {
		t.Errorf("merged scenario %s, area %s", sc.Name, sc.Population.Area)
	}
	if got.Agents != plan.Parts[0].People+plan.Parts[1].People || len(got.Areas) != 2*len(got.Arms) {
		t.Errorf("%d agents, %d area rows", got.Agents, len(got.Areas))
	}
	for _, a := range got.Arms {
		if a.TP == 0 || a.CloseContacts != a.TP+a.FN {
			t.Errorf("arm %s: %+v", a.Name, a)
		}
	}
}

// TestAssign: every province goes to exactly one shard, shards are
// balanced by people, and the assignment is the same every time.
func TestAssign(t *testing.T) {
	l, err := scenarios.LoadBuiltin("vietnam")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(l.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Parts) != 63 {
		t.Fatalf("%d parts", len(plan.Parts))
	}
	for _, n := range []int{1, 2, 8, 63} {
		as, err := plan.Assign(n)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := plan.Assign(n)
		if !slices.Equal(as, again) {
			t.Fatal("assignment differs between calls")
		}
		load := make([]int, n)
		seen := 0
		for i := range n {
			parts, _ := plan.Shard(sweeprun.ShardID{Index: i + 1, Count: n})
			seen += len(parts)
			for _, p := range parts {
				load[i] += p.People
				if as[p.Index] != i+1 {
					t.Fatalf("%d shards: %s is assigned shard %d but shard %d runs it", n, p.Province, as[p.Index], i+1)
				}
			}
		}
		if seen != 63 {
			t.Fatalf("%d shards hold %d provinces", n, seen)
		}
		// Greedy largest-first: no shard exceeds the mean by more than
		// the largest province (Hồ Chí Minh City, 8,993,082).
		mean := 96_208_984 / n
		if n < 63 && slices.Max(load) > mean+8_993_082 {
			t.Errorf("%d shards: loads %v", n, load)
		}
	}
	if _, err := plan.Assign(64); err == nil || !strings.Contains(err.Error(), "want 1 to 63") {
		t.Errorf("64 shards: %v", err)
	}
	// Shards count from 1, as sweeprun.ShardID does.
	for _, id := range []sweeprun.ShardID{{Index: 0, Count: 2}, {Index: 3, Count: 2}} {
		if _, err := plan.Shard(id); err == nil || !strings.Contains(err.Error(), "want i/n with 1 <= i <= n") {
			t.Errorf("shard %s: %v", id, err)
		}
	}
	// Seeds differ between provinces and are stable.
	if plan.Parts[0].Scenario.Seed == plan.Parts[1].Scenario.Seed || plan.Parts[0].Scenario.Population.Part != "ha-noi" {
		t.Error("provinces share a seed, or the first part is not Hà Nội")
	}
}

// TestMergeRefuses checks the merge's refusals: a missing province (naming
// the shard that should have run it), a shard given twice, shards of
// different scenarios, and a scenario file changed after the run.
func TestMergeRefuses(t *testing.T) {
	plan, err := NewPlan(twoProvinces(t, "days=2"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewPlan(twoProvinces(t, "days=3"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(p *Plan, i int, name string) string {
		parts, err := p.Shard(sweeprun.ShardID{Index: i, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Run(context.Background(), parts, simRun)
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(dir, name)
		if _, err := WriteShard(d, p, sweeprun.ShardID{Index: i, Count: 2}, parts, rs); err != nil {
			t.Fatal(err)
		}
		return d
	}
	s0, s1, o1 := write(plan, 1, "s0"), write(plan, 2, "s1"), write(other, 2, "o1")
	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"missing", []string{s0}, "1 of 2 provinces are missing"},
		{"missing hint", []string{s0}, "belongs to shard 2/2"},
		{"twice", []string{s0, s0, s1}, "is in both"},
		{"different runs", []string{s0, o1}, "are shards of different runs"},
		{"not a shard", []string{dir}, "no manifest.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Merge(tc.dirs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	// A changed scenario file is refused.
	p := filepath.Join(s0, ScenarioFile)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), "compliance: 0.8", "compliance: 0.7", 1)), 0o644)
	if _, _, err := Merge([]string{s0, s1}); err == nil || !strings.Contains(err.Error(), "does not match its manifest") {
		t.Errorf("changed scenario: %v", err)
	}
}
