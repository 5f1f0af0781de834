package sweeprun

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadFolder: a shard folder with any manifest and any runs table is
// read or refused with an error, never a panic, and what is read agrees
// with the bytes: every row is its manifest task's (checkRowsAgree).
func FuzzReadFolder(f *testing.F) {
	plan := testPlanF(f)
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 1, Shard: ShardID{2, 3}})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	if _, err := WriteShard(dir, plan, ShardID{2, 3}, res, true); err != nil {
		f.Fatal(err)
	}
	manifest, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	runs, _ := os.ReadFile(filepath.Join(dir, TablesDir, RunsTable+".csv"))
	f.Add(manifest, runs)
	// Rows that disagree with their manifest task (another point's axis
	// value, another seed): ReadFolder must refuse them.
	f.Add(manifest, editCell(f, runs, 4, "arms_adoption", "0.25"))
	f.Add(manifest, editCell(f, runs, 0, "seed", "7"))
	f.Add([]byte(`{"format":"bluesim-sweep/1","axes":[{"path":"x","column":"x"}],"tasks":[{"task":0,"values":[]}]}`),
		[]byte("task,point,replicate,seed,x,group\n0,0,0,0,1,a\n"))
	f.Add([]byte(`{}`), []byte(""))
	f.Fuzz(func(t *testing.T, manifest, runs []byte) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, TablesDir), 0o755)
		os.WriteFile(filepath.Join(dir, ManifestFile), manifest, 0o644)
		os.WriteFile(filepath.Join(dir, TablesDir, RunsTable+".csv"), runs, 0o644)
		// Merge is not run here: it writes Parquet, whose compressor is
		// far too slow under the fuzzer's coverage instrumentation. What
		// it trusts (task indexes, values per axis) ReadFolder checks.
		folder, err := ReadFolder(dir)
		if err != nil {
			return
		}
		m := folder.Manifest
		for _, tk := range m.Tasks {
			if tk.Index < 0 || tk.Index >= m.TotalTasks || len(tk.Values) != len(m.Axes) {
				t.Fatalf("ReadFolder accepted task %+v of a %d-task sweep with %d axes", tk, m.TotalTasks, len(m.Axes))
			}
		}
		for _, r := range folder.data.records {
			if len(r.values) != len(m.Metrics) {
				t.Fatalf("record with %d values for %d metrics", len(r.values), len(m.Metrics))
			}
		}
		if err := checkRowsAgree(folder, runs); err != nil {
			t.Fatalf("ReadFolder accepted a runs table that disagrees with its manifest: %v", err)
		}
	})
}
