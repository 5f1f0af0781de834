package sweeprun

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestResume is the resume contract: a sweep interrupted (context
// cancelled) after k tasks writes the finished ones; Resume reads them
// back and Run computes only the rest; the folder then holds the same
// bytes as a sweep never interrupted, for every k, whole and sharded, on
// one or several workers. A NaN value survives the round trip.
func TestResume(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	for _, tc := range []struct {
		name    string
		shard   ShardID
		workers int
		k       int // tasks finished before the interruption
	}{
		{"whole, one worker, after 1", ShardID{0, 1}, 1, 1},
		{"whole, one worker, after 7", ShardID{0, 1}, 1, 7},
		{"whole, three workers, after 5", ShardID{0, 1}, 3, 5},
		{"whole, nothing finished", ShardID{0, 1}, 1, 0},
		{"shard 1/3, after 2", ShardID{1, 3}, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			want := t.TempDir()
			res, err := Run(ctx, plan, fakeRun, Options{Workers: tc.workers, Shard: tc.shard.Index, Shards: tc.shard.Count})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := WriteShard(want, plan, tc.shard, res, true); err != nil {
				t.Fatal(err)
			}

			// Interrupted: the context is cancelled once k tasks are done.
			dir := t.TempDir()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var ran atomic.Int32
			opts := Options{Workers: tc.workers, Shard: tc.shard.Index, Shards: tc.shard.Count,
				Progress: func(done, _ int, _ scenarios.Task) {
					if done >= tc.k {
						cancel()
					}
				}}
			if tc.k == 0 {
				cancel()
			}
			counting := func(ctx context.Context, sc scenarios.Scenario) ([]Row, error) {
				ran.Add(1)
				return fakeRun(ctx, sc)
			}
			partial, err := Run(cctx, plan, counting, opts)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v, want context.Canceled", err)
			}
			if len(partial) < tc.k {
				t.Fatalf("%d tasks finished, want at least %d", len(partial), tc.k)
			}
			m, err := WriteShard(dir, plan, tc.shard, partial, false)
			if err != nil {
				t.Fatal(err)
			}
			if m.Complete {
				t.Fatal("an interrupted shard's manifest says complete")
			}

			// Resumed.
			done, err := Resume(dir, plan, tc.shard)
			if err != nil {
				t.Fatal(err)
			}
			if len(done) != len(partial) {
				t.Fatalf("Resume found %d tasks, the interrupted run wrote %d", len(done), len(partial))
			}
			before := ran.Load()
			res, err = Run(ctx, plan, counting, Options{Workers: tc.workers, Shard: tc.shard.Index, Shards: tc.shard.Count, Done: done})
			if err != nil {
				t.Fatal(err)
			}
			mine, _ := plan.Shard(tc.shard.Index, tc.shard.Count)
			if got, wantRuns := int(ran.Load()-before), len(mine)-len(done); got != wantRuns {
				t.Errorf("the resumed run ran %d tasks, want %d", got, wantRuns)
			}
			if _, err := WriteShard(dir, plan, tc.shard, res, true); err != nil {
				t.Fatal(err)
			}
			got, wantFiles := readShard(t, dir), readShard(t, want)
			for name, b := range wantFiles {
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s differs from the uninterrupted sweep's", name)
				}
			}
		})
	}
}

// TestResumeRefuses: nothing to resume is not an error; another sweep or
// another shard is.
func TestResumeRefuses(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	if done, err := Resume(t.TempDir(), plan, ShardID{0, 1}); err != nil || done != nil {
		t.Fatalf("empty folder: %v, %v", done, err)
	}
	dir := t.TempDir()
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 1, Shard: 0, Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteShard(dir, plan, ShardID{0, 2}, res[:2], false); err != nil {
		t.Fatal(err)
	}
	other := testPlan(t, strings.Replace(sweepYAML, "days: 3", "days: 4", 1))
	for _, tc := range []struct {
		name  string
		plan  *scenarios.Plan
		shard ShardID
		want  string
	}{
		{"another sweep", other, ShardID{0, 2}, "holds another sweep (scenario hash"},
		{"another shard", plan, ShardID{1, 2}, "holds shard 0/2, not 1/2"},
	} {
		if _, err := Resume(dir, tc.plan, tc.shard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// readShard reads a shard folder's manifest and tables (the summary table
// only where there is one).
func readShard(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m, err := ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, name := range m.Manifest.Files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}
