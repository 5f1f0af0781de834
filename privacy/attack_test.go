package privacy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

// The test worlds: 30 people over one local day, a third of them upload
// their keys at the end, under a dense network (a sniffer at every public
// place and on a 150-m grid, 99 sniffers) and a sparse one (the two
// markets).
var (
	protocols = []string{"bluezone-v1", "bluezone", "gaen", "dp3t"}
	dense     = Policy{Kinds: []KindRule{{Kind: Market, Share: 1}, {Kind: BusStop, Share: 1}, {Kind: SchoolGate, Share: 1},
		{Kind: Venue, Share: 1}}, GridSpacingM: 150, Scan: DefaultScanSchedule()}
	sparse = Policy{Kinds: []KindRule{{Kind: Market, Count: 2}}, Scan: DefaultScanSchedule()}
)

func testWorld(t testing.TB, proto string, policy Policy) *world {
	return getWorld(t, worldSpec{proto: proto, people: 30, days: 1, uploaders: 10, policy: policy, seed: 1})
}

// TestStaticIDsLinkBest: Bluezone v1's static IDs put at least as much of
// the sniffed time in long tracks as any rotating scheme, whatever the
// network.
func TestStaticIDsLinkBest(t *testing.T) {
	for _, pol := range []struct {
		name   string
		policy Policy
	}{{"dense", dense}, {"sparse", sparse}} {
		t.Run(pol.name, func(t *testing.T) {
			v1 := testWorld(t, "bluezone-v1", pol.policy).analyze(t).Result
			for _, p := range protocols[1:] {
				r := testWorld(t, p, pol.policy).analyze(t).Result
				if r.LinkedTime.Value > v1.LinkedTime.Value || r.MeanTrackMinutes > v1.MeanTrackMinutes {
					t.Errorf("%s: linked share %.3f, mean track %.0f min; bluezone-v1 %.3f, %.0f min",
						p, r.LinkedTime.Value, r.MeanTrackMinutes, v1.LinkedTime.Value, v1.MeanTrackMinutes)
				}
				if r.Bridges == 0 {
					t.Errorf("%s: the linking attack bridged no rotation", p)
				}
			}
			if v1.Bridges != 0 || v1.Tracks != v1.IDsHeard {
				t.Errorf("bluezone-v1: %d bridges, %d tracks of %d IDs; want no bridge, a track per ID", v1.Bridges, v1.Tracks, v1.IDsHeard)
			}
		})
	}
}

// TestLinkingWorks: in the dense network the bridges mostly join two IDs of
// one phone, and linking rotating IDs puts far more of the sniffed time
// in long tracks than taking each ID alone.
func TestLinkingWorks(t *testing.T) {
	for _, p := range protocols[1:] {
		t.Run(p, func(t *testing.T) {
			w := testWorld(t, p, dense)
			r := w.analyze(t).Result
			if r.LinkPrecision.Value < 0.8 {
				t.Errorf("link precision %.3f (%d of %d bridges right), want at least 0.8", r.LinkPrecision.Value, r.LinkPrecision.K, r.LinkPrecision.N)
			}
			alone := DefaultParams()
			alone.Link.MaxGapS = 1e-3 // nothing bridges
			ln, err := Link(w.log, w.sniffers, w.proto.Info(), alone)
			if err != nil {
				t.Fatal(err)
			}
			if len(ln.Bridges) != 0 || float64(ln.LongRecords) > 0.5*float64(r.LinkedSightings) {
				t.Errorf("without bridges %d of %d sightings are in long tracks; with them %d", ln.LongRecords, ln.Records, r.LinkedSightings)
			}
		})
	}
}

// TestNoUploadsNoTracing: with no published key the adversary traces no
// one, under any protocol and network; with the world's uploads it does.
func TestNoUploadsNoTracing(t *testing.T) {
	for _, p := range protocols {
		for _, pol := range []Policy{dense, sparse} {
			w := testWorld(t, p, pol)
			a, err := Analyze(Input{Protocol: w.proto, Sniffers: w.sniffers, Log: w.log, Truth: Truth{AppUsers: 30, AppUsersInRange: 30}, Params: w.params})
			if err != nil {
				t.Fatal(err)
			}
			r := a.Result
			if r.PublishedKeys != 0 || r.IDsRecomputed != 0 || r.Uploaders != 0 || r.UploadersTraced != 0 || r.HomesIdentified != 0 || !isNaN(r.Traced.Value) {
				t.Errorf("%s, %d sniffers, no uploads: %+v", p, len(w.sniffers), r)
			}
			// The same world with its uploads traces people.
			if got := w.analyze(t).Result; got.UploadersTraced == 0 {
				t.Errorf("%s, %d sniffers: nobody traced from %d published keys", p, len(w.sniffers), got.PublishedKeys)
			}
		}
	}
}

// TestDensityFindsHomes: with sniffers everywhere the homes of uploaders
// are found far more often than with sniffers at two markets.
func TestDensityFindsHomes(t *testing.T) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) {
			d := testWorld(t, p, dense).analyze(t).Result
			s := testWorld(t, p, sparse).analyze(t).Result
			if d.Uploaders != 10 || s.Uploaders != 10 {
				t.Fatalf("%d and %d uploaders scored, want 10", d.Uploaders, s.Uploaders)
			}
			if d.Homes.Value < 0.8 || d.Homes.Low <= s.Homes.Value || d.HomesIdentified < 3*s.HomesIdentified {
				t.Errorf("homes found: dense %d of 10 (95 %% %.2f-%.2f), sparse %d of 10", d.HomesIdentified, d.Homes.Low, d.Homes.High, s.HomesIdentified)
			}
			if d.InRange.Value < s.InRange.Value {
				t.Errorf("in range: dense %.2f < sparse %.2f", d.InRange.Value, s.InRange.Value)
			}
		})
	}
}

// TestBluezoneDailyKey: one published F0 daily key reveals its holder's
// whole day, 96 IDs; published one slot at a time, the same IDs joined
// only by the linking attack reveal far less. A GAEN TEK reveals one day
// too; a Bluezone v1 ID was static anyway.
func TestBluezoneDailyKey(t *testing.T) {
	w := testWorld(t, "bluezone", dense)
	a := w.analyze(t)
	r := a.Result
	// Each key is the daily key of the UTC day the local day starts in,
	// ratcheted on to the next, slot by slot up to the upload.
	var slots int64
	for _, k := range w.keys {
		slots += (k.End-k.Start)/900 + 1
	}
	if r.IDsRecomputed != slots || slots < 96*r.PublishedKeys {
		t.Errorf("%d IDs recomputed from %d keys, want their %d slots", r.IDsRecomputed, r.PublishedKeys, slots)
	}
	if r.KeyRevealedMinutes < 0.9*1440 {
		t.Errorf("a daily key reveals %.0f minutes of a person heard all day", r.KeyRevealedMinutes)
	}
	if r.SlotRevealedMinutes >= 0.8*r.KeyRevealedMinutes {
		t.Errorf("per-slot publication reveals %.0f minutes, the daily key %.0f", r.SlotRevealedMinutes, r.KeyRevealedMinutes)
	}
	// Without linking, one slot's ID reveals at most its 15 minutes (and
	// the window straddling its end).
	for _, kt := range a.Tracing.Keys {
		for _, rec := range kt.recs {
			k := w.log.Key(int(rec))
			if tr := a.Linking.Tracks[a.Linking.TrackOf(k)]; tr.IDs == 1 && tr.Minutes() > 15+1.0/6 {
				t.Fatalf("a lone slot ID spans %.1f minutes", tr.Minutes())
			}
		}
	}
	v1 := testWorld(t, "bluezone-v1", dense).analyze(t).Result
	if v1.SlotRevealedMinutes != v1.KeyRevealedMinutes {
		t.Errorf("bluezone-v1: a static ID reveals %.0f minutes published or not, got %.0f", v1.KeyRevealedMinutes, v1.SlotRevealedMinutes)
	}
}

// TestStaticIDLinksDays: over two days, Bluezone v1's static ID ties a
// person's sightings on both days together without any upload; rotating
// IDs are tied across midnight only through a night of bridges.
func TestStaticIDLinksDays(t *testing.T) {
	mid := Policy{Kinds: []KindRule{{Kind: Market, Share: 1}, {Kind: BusStop, Count: 3}}, Scan: DefaultScanSchedule()}
	res := map[string]Result{}
	for _, p := range protocols {
		w := getWorld(t, worldSpec{proto: p, people: 20, days: 2, policy: mid, seed: 3})
		res[p] = w.analyze(t).Result
	}
	v1 := res["bluezone-v1"]
	if v1.MultiDay.Value < 0.9 {
		t.Errorf("bluezone-v1: %.2f of sightings in multi-day tracks, want nearly all", v1.MultiDay.Value)
	}
	for _, p := range protocols[1:] {
		if r := res[p]; r.MultiDay.Value > v1.MultiDay.Value/2 {
			t.Errorf("%s: %.2f of sightings in multi-day tracks, bluezone-v1 %.2f", p, r.MultiDay.Value, v1.MultiDay.Value)
		}
	}
}

// TestAttacksSeeOnlyAdversaryData: relabelling every person and walking
// them in another order (so the log is built in another order, and the
// ground truth uses other labels) changes nothing the attacks compute.
func TestAttacksSeeOnlyAdversaryData(t *testing.T) {
	for _, p := range []string{"gaen", "bluezone"} {
		t.Run(p, func(t *testing.T) {
			if p == "bluezone" && testing.Short() {
				t.Skip("one protocol is enough with -short")
			}
			spec := worldSpec{proto: p, people: 30, days: 1, uploaders: 10, policy: dense, seed: 1}
			plain := getWorld(t, spec)
			spec.scramble = true
			scr := getWorld(t, spec)
			if plain.people[0].label == scr.people[0].label {
				t.Fatal("the scrambled world kept the labels")
			}
			if !bytes.Equal(marshal(t, plain.log), marshal(t, scr.log)) {
				t.Fatal("the sniffer logs differ")
			}
			// The truth lists keys in another order, with other labels.
			slices.Reverse(scr.truth.Keys)
			a, b := plain.analyze(t), scr.analyze(t)
			ja, _ := json.Marshal(a.Result)
			jb, _ := json.Marshal(b.Result)
			if !bytes.Equal(ja, jb) {
				t.Errorf("results differ:\n%s\n%s", ja, jb)
			}
			// The keys may be published in another order (uploads arrive
			// in the order the engine walks people): compare by key.
			traces := func(w *world, a *Analysis) []string {
				var out []string
				for _, kt := range a.Tracing.Keys {
					key := w.keys[kt.Key].Key
					kt.Key, kt.recs = 0, nil
					out = append(out, fmt.Sprintf("%x %+v", key, kt))
				}
				return slices.Sorted(slices.Values(out))
			}
			if !slices.Equal(traces(plain, a), traces(scr, b)) || !slices.Equal(a.Linking.Bridges, b.Linking.Bridges) ||
				!slices.Equal(a.Linking.Tracks, b.Linking.Tracks) {
				t.Error("the attacks' details differ")
			}
			outcome := func(us []UploaderScore) []string {
				var out []string
				for _, u := range us {
					out = append(out, fmt.Sprint(len(u.Keys), u.Traced, u.Home, u.TrueHome, u.HomeFound, u.Minutes, u.SlotMinutes))
				}
				return slices.SortedFunc(slices.Values(out), cmp.Compare[string])
			}
			if !slices.Equal(outcome(a.Uploaders), outcome(b.Uploaders)) {
				t.Error("the uploaders' outcomes differ")
			}
		})
	}
}
