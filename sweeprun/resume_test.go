package sweeprun

import (
	"bytes"
	"context"
	"encoding/json"
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
		{"whole, one worker, after 1", Whole, 1, 1},
		{"whole, one worker, after 7", Whole, 1, 7},
		{"whole, three workers, after 5", Whole, 3, 5},
		{"whole, nothing finished", Whole, 1, 0},
		{"shard 2/3, after 2", ShardID{2, 3}, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			want := t.TempDir()
			res, err := Run(ctx, plan, fakeRun, Options{Workers: tc.workers, Shard: tc.shard})
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
			opts := Options{Workers: tc.workers, Shard: tc.shard,
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
			res, err = Run(ctx, plan, counting, Options{Workers: tc.workers, Shard: tc.shard, Done: done})
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

// TestResumeRefuses: nothing to resume is not an error; another sweep,
// another shard, or a folder whose manifest has no metric scales (an
// older bluesim's) is.
func TestResumeRefuses(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	if done, err := Resume(t.TempDir(), plan, Whole); err != nil || done != nil {
		t.Fatalf("empty folder: %v, %v", done, err)
	}
	dir := t.TempDir()
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 1, Shard: ShardID{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteShard(dir, plan, ShardID{1, 2}, res[:2], false); err != nil {
		t.Fatal(err)
	}
	other := testPlan(t, strings.Replace(sweepYAML, "days: 3", "days: 4", 1))
	old := t.TempDir()
	if err := os.CopyFS(old, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(old, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "metric_scales")
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		dir   string
		plan  *scenarios.Plan
		shard ShardID
		want  string
	}{
		{"another sweep", dir, other, ShardID{1, 2}, "holds another sweep (scenario hash"},
		{"another shard", dir, plan, ShardID{2, 2}, "holds shard 1/2, not 2/2"},
		{"no metric scales", old, plan, ShardID{1, 2}, "written by an older bluesim"},
	} {
		if _, err := Resume(tc.dir, tc.plan, tc.shard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if done, err := Resume(dir, plan, ShardID{1, 2}); err != nil || len(done) != 2 {
		t.Errorf("the shard's own folder: %d tasks, %v; want 2", len(done), err)
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
