package sweeprun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/table"
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
	if _, err := WriteShard(whole, plan, Whole, res, true); err != nil {
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
		if _, err := WriteShard(dir, plan, id, res, true); err != nil {
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

// TestSummary: a whole sweep's summary as data is the summary table's
// rows, and a shard has none.
func TestSummary(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	ctx := context.Background()
	res, err := Run(ctx, plan, fakeRun, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := WriteShard(dir, plan, Whole, res, true); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != plan.Points*len(plan.Base.Arms) || s.Metric("coverage") != 0 || s.Metric("nope") != -1 || s.Method == "" {
		t.Fatalf("summary: %d rows, metrics %v", len(s.Rows), s.Metrics)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, TablesDir, SummaryTable+".csv"))
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")[1:]
	for i, r := range s.Rows {
		cells := strings.Split(lines[i], ",")
		if cells[0] != strconv.Itoa(r.Point) || cells[3] != r.Group || cells[4] != strconv.Itoa(r.N) ||
			r.Values[0] != cells[1] || len(r.Metrics) != 3 {
			t.Fatalf("row %d: %+v against %s", i, r, lines[i])
		}
		if got := table.FormatFloat(r.Metrics[0].Mean); got != cells[5] {
			t.Errorf("row %d: coverage mean %s, table %s", i, got, cells[5])
		}
	}
	shard := filepath.Join(t.TempDir(), "s")
	part, _ := Run(ctx, plan, fakeRun, Options{Workers: 2, Shard: ShardID{1, 2}})
	if _, err := WriteShard(shard, plan, ShardID{1, 2}, part, true); err != nil {
		t.Fatal(err)
	}
	sf, err := ReadFolder(shard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Summary(); err == nil || !strings.Contains(err.Error(), "merge the shards first") {
		t.Fatalf("a shard's summary: %v", err)
	}
}

// TestGoalsTravel: the goals of the plan go into every shard's manifest
// and into the merged one; shards with different goals are refused.
func TestGoalsTravel(t *testing.T) {
	withGoals := strings.Replace(sweepYAML, "    contact.preset: [cdc, ecdc]\n", "    contact.preset: [cdc, ecdc]\n  goals: [coverage>=0.1]\n", 1)
	plan := testPlan(t, withGoals)
	other := testPlan(t, strings.Replace(withGoals, "coverage>=0.1", "coverage>=0.2", 1))
	ctx := context.Background()
	parent := t.TempDir()
	var dirs []string
	for i, p := range []*scenarios.Plan{plan, plan, other} {
		id := ShardID{i%2 + 1, 2}
		res, err := Run(ctx, p, fakeRun, Options{Workers: 2, Shard: id})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(parent, strconv.Itoa(i))
		if _, err := WriteShard(dir, p, id, res, true); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	out := t.TempDir()
	m, err := Merge(dirs[:2], out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Goals) != 1 || m.Goals[0] != "coverage>=0.1" {
		t.Fatalf("merged goals %v", m.Goals)
	}
	f, err := ReadFolder(out)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Summary()
	if err != nil || len(s.Goals) != 1 || s.Goals[0].Value != 0.1 {
		t.Fatalf("summary goals %+v, %v", s, err)
	}
	if _, err := Merge([]string{dirs[0], dirs[2]}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "different goals") {
		t.Fatalf("different goals: %v", err)
	}
}
