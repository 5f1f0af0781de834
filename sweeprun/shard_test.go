package sweeprun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseShardID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ShardID
		err  string
	}{
		{"1/2", ShardID{1, 2}, ""},
		{"2/2", ShardID{2, 2}, ""},
		{" 3 / 8 ", ShardID{3, 8}, ""},
		{"1/1", Whole, ""},
		{"0/2", ShardID{}, "shards count from 1"},
		{"3/2", ShardID{}, "want i/n with 1 <= i <= n"},
		{"1/0", ShardID{}, "between 1 and"},
		{"-1/2", ShardID{}, "want i/n"},
		{"two", ShardID{}, "want i/n, shard i of n counted from 1"},
		{"1/2/3", ShardID{}, "want i/n"},
		{"", ShardID{}, "want i/n"},
	} {
		got, err := ParseShardID(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseShardID(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseShardID(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	// The message for 0/2 shows the right form.
	if _, err := ParseShardID("0/2"); err == nil || !strings.Contains(err.Error(), "e.g. 1/2 to 2/2") {
		t.Errorf("0/2: %v", err)
	}
}

// TestShardsCoverEveryTaskOnce: the shards 1/n..n/n split the tasks
// between them, each task in exactly one, and ShardOf names its shard.
func TestShardsCoverEveryTaskOnce(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	for n := 1; n <= 5; n++ {
		seen := map[int]ShardID{}
		for i := 1; i <= n; i++ {
			tasks, err := plan.Shard(i, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range tasks {
				if s, dup := seen[tk.Index]; dup {
					t.Fatalf("task %d in shards %s and %d/%d", tk.Index, s, i, n)
				}
				seen[tk.Index] = ShardID{i, n}
				if got := ShardOf(tk.Index, n); got != (ShardID{i, n}) {
					t.Fatalf("ShardOf(%d, %d) = %s, ran in %d/%d", tk.Index, n, got, i, n)
				}
			}
		}
		if len(seen) != len(plan.Tasks) {
			t.Fatalf("%d shards hold %d of %d tasks", n, len(seen), len(plan.Tasks))
		}
	}
	if _, err := plan.Shard(0, 2); err == nil {
		t.Fatal("plan.Shard(0, 2) accepted")
	}
}

// TestReadV1Folder: a shard folder written before shards counted from 1
// (format bluesim-sweep/1, index 0-based) still merges, to the same bytes.
func TestReadV1Folder(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	ctx := context.Background()
	whole := t.TempDir()
	res, err := Run(ctx, plan, fakeRun, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteShard(whole, plan, Whole, res, true); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	for i := 1; i <= 2; i++ {
		id := ShardID{i, 2}
		res, err := Run(ctx, plan, fakeRun, Options{Workers: 2, Shard: id})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(parent, id.Dir())
		if err := WriteShard(dir, plan, id, res, true); err != nil {
			t.Fatal(err)
		}
		// Rewrite the manifest as the old layout wrote it.
		mp := filepath.Join(dir, ManifestFile)
		b, _ := os.ReadFile(mp)
		old := strings.Replace(string(b), `"format": "`+Format+`"`, `"format": "`+FormatV1+`"`, 1)
		old = strings.Replace(old, `"index": `+string(rune('0'+i)), `"index": `+string(rune('0'+i-1)), 1)
		if old == string(b) {
			t.Fatal("manifest not rewritten")
		}
		os.WriteFile(mp, []byte(old), 0o644)
		f, err := ReadFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		if f.Manifest.Shard != id || f.Manifest.Format != Format {
			t.Fatalf("read %s as shard %s format %s", id, f.Manifest.Shard, f.Manifest.Format)
		}
	}
	merged := t.TempDir()
	dirs, err := FindFolders([]string{parent})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(dirs, merged); err != nil {
		t.Fatal(err)
	}
	want, got := readAll(t, whole), readAll(t, merged)
	for name := range want {
		if !bytes.Equal(want[name], got[name]) {
			t.Errorf("%s differs", name)
		}
	}
}

// FuzzParseShardID: an accepted shard has 1 <= i <= n and prints back to
// itself; nothing panics.
func FuzzParseShardID(f *testing.F) {
	for _, s := range []string{"1/2", "2/2", "0/2", "3/2", "x", "1/", "/1", " 7/9", "9999999999999999999/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseShardID(s)
		if err != nil {
			return
		}
		if id.Index < 1 || id.Index > id.Count {
			t.Fatalf("ParseShardID(%q) accepted %v", s, id)
		}
		back, err := ParseShardID(id.String())
		if err != nil || back != id {
			t.Fatalf("%v prints as %q, which reads back as %v, %v", id, id.String(), back, err)
		}
	})
}
