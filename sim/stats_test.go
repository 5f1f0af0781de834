package sim

import (
	"context"
	"testing"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/scenarios"
)

func TestStatsDebug(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	sc := scenarios.Default()
	sc.Days = 1
	sc.Population = agents.Default(5000)
	sc.Arms = []scenarios.Arm{scenarios.GAENArm("g", 0.3)}
	cfg := config{workers: 2, chunkTarget: 64}
	e, err := newEngine(sc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.simulateDay(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	g := e.groups[0]
	byKind := map[agents.Kind]int{}
	// count obs by the kind of site? we don't have site; count per rx-tx pair
	pairs := map[uint64]int{}
	for _, o := range g.obs[0] {
		pairs[uint64(o.rx)<<32|uint64(o.tx)]++
	}
	t.Logf("phones %d obs %d pairs %d per-phone %.1f", len(g.person), len(g.obs[0]), len(pairs), float64(len(g.obs[0]))/float64(len(g.person)))
	_ = byKind
	st := e.pop.Stays(nil, 0, false)
	t.Logf("stays %d sites %d", len(st), len(e.pop.Sites))
}
