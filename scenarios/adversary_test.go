package scenarios

import (
	"slices"
	"strings"
	"testing"
)

// TestAdversaryErrors: the adversary block's keys are checked through the
// one gate, each problem with its file position and key.
func TestAdversaryErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		sets []string
		want string
	}{
		{"misspelled kind", "adversary:\n  enabled: true\n  sniffers:\n    market: {count: 1}\n",
			nil, `t.yaml:4:5: adversary.sniffers: unknown key "market"; did you mean "markets"?`},
		{"count and share", "adversary:\n  enabled: true\n  sniffers:\n    bus_stops: {count: 2, share: 0.5}\n",
			nil, `t.yaml:4:5: adversary.sniffers.bus_stops: give count or share, not both (count 2, share 0.5)`},
		{"share above one", "adversary:\n  enabled: true\n  sniffers:\n    venues:\n      share: 1.5\n",
			nil, `t.yaml:5:7: adversary.sniffers.venues.share: must be between 0 and 1, got 1.5`},
		{"negative grid", "adversary:\n  sniffers:\n    grid_spacing_m: -5\n",
			nil, `t.yaml:3:5: adversary.sniffers.grid_spacing_m: want a spacing in metres >= 0 (0: no grid), got -5`},
		{"scan window", "adversary:\n  scan: {window_s: 0, period_s: 10}\n",
			nil, `adversary.scan.window_s: want 0.1 to`},
		{"attack threshold", "adversary:\n  attack:\n    link:\n      max_gap_s: 0\n",
			nil, `t.yaml:4:7: adversary.attack.link.max_gap_s: want a value above 0`},
		{"arm network without the adversary", "arms:\n  - protocol: gaen\n    sniffers: {markets: {count: 1}}\n",
			nil, `t.yaml:3:5: arms[0].sniffers: places sniffers (1 markets), but adversary.enabled is false`},
		{"set a bad count", "days: 2\n",
			[]string{"adversary.enabled=true", "adversary.sniffers.markets.count=-1"}, `adversary.sniffers.markets.count: must be between 0 and`},
		{"too long for the log", "days: 60\nadversary: {enabled: true}\n",
			nil, `adversary.enabled: a sniffer log spans at most 49 days`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := loadErrs(t, tc.src, tc.sets...)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Fatalf("errors %q\nwant one containing %q", errs, tc.want)
			}
		})
	}
}

// TestAdversaryOffKeepsHash: a scenario without an adversary block, or
// with one left off at its defaults, encodes and hashes as before the
// block existed; switching it on, or giving an arm sniffers, changes the
// hash.
func TestAdversaryOffKeepsHash(t *testing.T) {
	base, err := LoadBytes("t.yaml", []byte("days: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := Encode(base.Scenario, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), "adversary") || strings.Contains(string(enc), "sniffers") {
		t.Fatalf("the encoding of a scenario without an adversary mentions it:\n%s", enc)
	}
	h0, _ := Hash(base.Scenario)
	off, err := LoadBytes("t.yaml", []byte("days: 3\nadversary: {enabled: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := Hash(off.Scenario); h != h0 {
		t.Errorf("adversary off at its defaults changed the hash")
	}
	on, err := LoadBytes("t.yaml", []byte("days: 3\n"), "adversary.enabled=true", "adversary.sniffers.markets.count=1",
		"arms[0].sniffers.grid_spacing_m=250")
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := Hash(on.Scenario); h == h0 {
		t.Errorf("the adversary on left the hash unchanged")
	}
	if on.Scenario.Adversary.Sniffers.Markets.Count != 1 || on.Scenario.Arms[0].Sniffers.GridSpacingM != 250 {
		t.Errorf("--set did not reach the adversary: %+v, arm %+v", on.Scenario.Adversary.Sniffers, on.Scenario.Arms[0].Sniffers)
	}
	// Round trip.
	b, err := Encode(on.Scenario, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadBytes("back.yaml", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if h, _ := Hash(back.Scenario); h == h0 {
		t.Errorf("round trip lost the adversary")
	}
	if !strings.Contains(string(b), "# SeedStream") && !strings.Contains(string(b), "seed_stream") {
		t.Errorf("encoding lacks seed_stream:\n%s", b)
	}
}

// TestAdversarySweepAxis: a sweep can vary the number of sniffers.
func TestAdversarySweepAxis(t *testing.T) {
	l, err := LoadBytes("t.yaml", []byte("days: 3\nadversary: {enabled: true}\nsweep:\n  replicates: 1\n  axes:\n    adversary.sniffers.bus_stops.count: [1, 2, 4]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tasks) != 3 {
		t.Fatalf("%d tasks, want 3", len(p.Tasks))
	}
	var counts []int
	for _, task := range p.Tasks {
		sc, err := p.Scenario(task)
		if err != nil {
			t.Fatal(err)
		}
		counts = append(counts, sc.Adversary.Sniffers.BusStops.Count)
	}
	if !slices.Equal(counts, []int{1, 2, 4}) {
		t.Fatalf("bus stop counts %v", counts)
	}
}
