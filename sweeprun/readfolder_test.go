package sweeprun

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/table"
)

// writeTestShard writes shard 2/3 of the test sweep to a new folder and
// returns it.
func writeTestShard(tb testing.TB, dir string) string {
	tb.Helper()
	plan := testPlan(tb, sweepYAML)
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 1, Shard: ShardID{2, 3}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := WriteShard(dir, plan, ShardID{2, 3}, res, true); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// editCell returns the runs table with the cell of data row `row` (0 is
// the first row after the header) in column `col` replaced by value.
func editCell(tb testing.TB, runs []byte, row int, col, value string) []byte {
	tb.Helper()
	rows, err := csv.NewReader(bytes.NewReader(runs)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	c := slices.Index(rows[0], col)
	if c < 0 || row+1 >= len(rows) {
		tb.Fatalf("no column %q or row %d in the runs table", col, row)
	}
	if rows[row+1][c] == value {
		tb.Fatalf("row %d's %s is already %q: the edit would change nothing", row, col, value)
	}
	rows[row+1][c] = value
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestReadFolderRefusesRowsThatDisagreeWithManifest: a runs table row
// names its task, and its point, replicate, seed and axis values must be
// that task's in the manifest; a shard whose table says otherwise (a
// hand-edited or mixed-up folder) is refused, naming the file and line,
// instead of being merged under the manifest's values.
func TestReadFolderRefusesRowsThatDisagreeWithManifest(t *testing.T) {
	dir := writeTestShard(t, t.TempDir())
	runsPath := filepath.Join(dir, TablesDir, RunsTable+".csv")
	good, err := os.ReadFile(runsPath)
	if err != nil {
		t.Fatal(err)
	}
	// The untouched folder reads, and each record is its row.
	f, err := ReadFolder(dir)
	if err != nil {
		t.Fatalf("the shard as written: %v", err)
	}
	rows, _ := csv.NewReader(bytes.NewReader(good)).ReadAll()
	if len(f.data.records) != len(rows)-1 || len(rows) < 6 {
		t.Fatalf("%d records from %d rows", len(f.data.records), len(rows)-1)
	}
	// Data row 4 (line 6) is task 4: point 1, replicate 1, adoption 0.1,
	// preset ecdc.
	if rows[5][0] != "4" || rows[5][4] != "0.1" || rows[5][5] != "ecdc" {
		t.Fatalf("row 4 is %v: the test sweep changed", rows[5])
	}
	for _, tc := range []struct{ col, value string }{
		{"arms_adoption", "0.25"},   // another point's value of the axis
		{"arms_adoption", "0.1000"}, // the same number, written otherwise
		{"contact_preset", "cdc"},
		{"point", "3"},
		{"replicate", "2"},
		{"seed", "1"},
	} {
		t.Run(tc.col+"="+tc.value, func(t *testing.T) {
			if err := os.WriteFile(runsPath, editCell(t, good, 4, tc.col, tc.value), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadFolder(dir)
			if err == nil {
				t.Fatalf("a runs table whose task 4 row has %s %s (the manifest's task 4 does not) was accepted", tc.col, tc.value)
			}
			for _, want := range []string{runsPath + ":6:", "task 4", "differ from the manifest"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
	// Rows of a task the manifest holds, all consistent, still read after
	// the edits are undone.
	if err := os.WriteFile(runsPath, good, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFolder(dir); err != nil {
		t.Fatalf("restored folder: %v", err)
	}
}

// checkRowsAgree is the fuzz test's oracle: when ReadFolder accepts a
// folder, every row of its runs table (as encoding/csv reads it) names a
// task of the manifest and carries exactly that task's point, replicate,
// seed and axis values, every manifest task has rows, and the records are
// the rows in order with their groups and metric values.
func checkRowsAgree(f *Folder, runs []byte) error {
	m := &f.Manifest
	rows, err := csv.NewReader(bytes.NewReader(runs)).ReadAll()
	if err != nil {
		return fmt.Errorf("accepted a runs table encoding/csv refuses: %v", err)
	}
	if len(rows) == 0 || len(rows)-1 != len(f.data.records) {
		return fmt.Errorf("%d rows but %d records", max(0, len(rows)-1), len(f.data.records))
	}
	nAxes := len(m.Axes)
	has := map[int]bool{}
	for i, row := range rows[1:] {
		r := f.data.records[i]
		if len(row) != 5+nAxes+len(m.Metrics) {
			return fmt.Errorf("row %d has %d cells for %d axes and %d metrics", i, len(row), nAxes, len(m.Metrics))
		}
		idx, err := strconv.Atoi(row[0])
		if err != nil {
			return fmt.Errorf("row %d: task %q accepted", i, row[0])
		}
		k := slices.IndexFunc(m.Tasks, func(t scenarios.Task) bool { return t.Index == idx })
		if k < 0 {
			return fmt.Errorf("row %d: task %d is not in the manifest", i, idx)
		}
		t := m.Tasks[k]
		if row[1] != strconv.Itoa(t.Point) || row[2] != strconv.Itoa(t.Replicate) || row[3] != strconv.FormatUint(t.Seed, 10) {
			return fmt.Errorf("row %d: point, replicate, seed %v accepted for manifest task %+v", i, row[1:4], t)
		}
		if !slices.Equal(row[4:4+nAxes], t.Values) {
			return fmt.Errorf("row %d: axis values %q accepted for manifest task %d's %q", i, row[4:4+nAxes], idx, t.Values)
		}
		if r.task.Index != idx || r.group != row[4+nAxes] || len(r.values) != len(m.Metrics) {
			return fmt.Errorf("record %d %+v is not row %v", i, r, row)
		}
		for mi, s := range row[5+nAxes:] {
			v, err := table.ParseFloat(s)
			if err != nil || !(v == r.values[mi] || (v != v && r.values[mi] != r.values[mi])) {
				return fmt.Errorf("record %d: %s = %v from %q", i, m.Metrics[mi], r.values[mi], s)
			}
		}
		has[idx] = true
	}
	for _, t := range m.Tasks {
		if !has[t.Index] {
			return fmt.Errorf("manifest task %d has no rows", t.Index)
		}
	}
	return nil
}

// TestReadFolderRefusesBadManifests: a manifest whose sweep size, shard or
// task indexes cannot be, or whose runs table's header is not the one its
// axes and metrics give, is refused with an error saying what is wrong.
func TestReadFolderRefusesBadManifests(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		runs func(b []byte) []byte
		want string
	}{
		{"negative total_tasks", func(m map[string]any) { m["total_tasks"] = -1 }, nil, "total_tasks -1 is out of range"},
		{"too many tasks", func(m map[string]any) { m["total_tasks"] = scenarios.MaxTasks + 1 }, nil, "is out of range"},
		{"shard count 0", func(m map[string]any) { m["shard"] = map[string]any{"index": 0, "count": 0} }, nil, "the number of shards must be"},
		{"negative shard index", func(m map[string]any) { m["shard"] = map[string]any{"index": -1, "count": 3} }, nil, "want i/n with 1 <= i <= n"},
		{"shard index 0 (shards count from 1)", func(m map[string]any) { m["shard"] = map[string]any{"index": 0, "count": 3} }, nil, "want i/n with 1 <= i <= n"},
		{"shard index > count", func(m map[string]any) { m["shard"] = map[string]any{"index": 4, "count": 3} }, nil, "want i/n with 1 <= i <= n"},
		{"task index = total_tasks", func(m map[string]any) {
			m["tasks"].([]any)[0].(map[string]any)["task"] = m["total_tasks"]
		}, nil, "does not fit a 12-task sweep"},
		{"header", nil, func(b []byte) []byte { return bytes.Replace(b, []byte("coverage"), []byte("recall"), 1) }, "header does not match the manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTestShard(t, t.TempDir())
			if tc.edit != nil {
				path := filepath.Join(dir, ManifestFile)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatal(err)
				}
				tc.edit(m)
				if b, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.runs != nil {
				path := filepath.Join(dir, TablesDir, RunsTable+".csv")
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, tc.runs(b), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := ReadFolder(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
