package sweeprun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/stats"
)

const sweepYAML = `
name: crn
days: 3
sweep:
  replicates: 3
  axes:
    arms[*].adoption: [0.1, 0.25]
    contact.preset: [cdc, ecdc]
`

func testPlan(t testing.TB, src string) *scenarios.Plan {
	t.Helper()
	l, err := scenarios.LoadBytes("sweep.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Plan()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func testPlanF(f *testing.F) *scenarios.Plan { return testPlan(f, sweepYAML) }

// fakeRun is a deterministic stand-in for sim.Run: per arm, a noisy
// "coverage" near adoption squared, a count and a "precision" that is
// sometimes undefined (NaN), drawn from the seed.
func fakeRun(ctx context.Context, sc scenarios.Scenario) ([]Row, error) {
	if t, ok := TaskFromContext(ctx); !ok || t.Seed != sc.Seed {
		return nil, fmt.Errorf("no task in the context, or the wrong one: %+v", t)
	}
	rng := rand.New(rand.NewPCG(sc.Seed, 7))
	var rows []Row
	for _, a := range sc.Arms {
		d, _, _ := sc.Contact.Resolved()
		rows = append(rows, Row{Group: a.Name, Metrics: []Metric{
			{"coverage", a.Adoption * a.Adoption * (1 + 0.1*rng.NormFloat64()) / d, stats.ScaleShare},
			{"notifications", math.Floor(100 * a.Adoption * rng.Float64()), stats.ScaleCount},
			{"precision", undefinedSometimes(rng.Float64()), stats.ScaleShare},
		}})
	}
	return rows, nil
}

func undefinedSometimes(x float64) float64 {
	if x < 0.3 {
		return math.NaN()
	}
	return x
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range []string{
		ManifestFile,
		filepath.Join(TablesDir, RunsTable+".csv"), filepath.Join(TablesDir, RunsTable+".parquet"),
		filepath.Join(TablesDir, SummaryTable+".csv"), filepath.Join(TablesDir, SummaryTable+".parquet"),
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// TestShardsMergeToWhole is the sharding contract: three shards merged
// give byte-identical tables (and manifest) to the sweep run whole.
func TestShardsMergeToWhole(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	if len(plan.Tasks) != 12 {
		t.Fatalf("%d tasks, want 12", len(plan.Tasks))
	}
	ctx := context.Background()
	whole := t.TempDir()
	res, err := Run(ctx, plan, fakeRun, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteShard(whole, plan, Whole, res, true); err != nil {
		t.Fatal(err)
	}

	parent := t.TempDir()
	for i := 1; i <= 3; i++ {
		res, err := Run(ctx, plan, fakeRun, Options{Workers: 2, Shard: ShardID{i, 3}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 4 {
			t.Fatalf("shard %d ran %d tasks, want 4", i, len(res))
		}
		for _, r := range res {
			if r.Task.Index%3 != i-1 {
				t.Fatalf("shard %d ran task %d", i, r.Task.Index)
			}
		}
		dir := filepath.Join(parent, fmt.Sprintf("shard-%d-of-3", i))
		if _, err := WriteShard(dir, plan, ShardID{i, 3}, res, true); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, TablesDir, SummaryTable+".csv")); err == nil {
			t.Fatal("a shard wrote a summary of a partial sweep")
		}
	}
	dirs, err := FindFolders([]string{parent})
	if err != nil || len(dirs) != 3 {
		t.Fatalf("FindFolders: %v %v", dirs, err)
	}
	merged := t.TempDir()
	if _, err := Merge(dirs, merged); err != nil {
		t.Fatal(err)
	}
	want, got := readAll(t, whole), readAll(t, merged)
	for name, w := range want {
		if !bytes.Equal(w, got[name]) {
			t.Errorf("%s differs between the whole run and the merged shards:\n%s\n---\n%s", name, w, got[name])
		}
	}
	// Merging in another order, or merging the merged folder again, gives
	// the same bytes.
	again := t.TempDir()
	if _, err := Merge([]string{dirs[2], dirs[0], dirs[1]}, again); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		if !bytes.Equal(w, readAll(t, again)[name]) {
			t.Errorf("%s depends on merge order", name)
		}
	}
}

func TestRunsTableContent(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	dir := t.TempDir()
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteShard(dir, plan, Whole, res, true); err != nil {
		t.Fatal(err)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, TablesDir, RunsTable+".csv"))
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if lines[0] != "task,point,replicate,seed,arms_adoption,contact_preset,group,coverage,notifications,precision" {
		t.Fatalf("header %q", lines[0])
	}
	if len(lines) != 1+12*4 {
		t.Fatalf("%d lines, want %d", len(lines), 1+12*4)
	}
	// Common random numbers: replicate r has the same seed at every point.
	seeds := map[int]uint64{}
	for _, tk := range plan.Tasks {
		if s, ok := seeds[tk.Replicate]; ok && s != tk.Seed {
			t.Fatalf("replicate %d has seeds %d and %d", tk.Replicate, s, tk.Seed)
		}
		seeds[tk.Replicate] = tk.Seed
	}
	if seeds[0] != plan.Base.Seed || seeds[1] == seeds[0] || seeds[2] == seeds[1] {
		t.Fatalf("replicate seeds %v", seeds)
	}

	// The Parquet file reads back with the same rows.
	f, err := os.Open(filepath.Join(dir, TablesDir, RunsTable+".parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != 48 {
		t.Fatalf("parquet has %d rows", pf.NumRows())
	}
	for _, col := range pf.Metadata().RowGroups[0].Columns {
		if col.MetaData.Codec.String() != "ZSTD" {
			t.Fatalf("column %v codec %v", col.MetaData.PathInSchema, col.MetaData.Codec)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(dir, TablesDir, SummaryTable+".csv"))
	sl := strings.Split(strings.TrimSpace(string(summary)), "\n")
	if !strings.HasPrefix(sl[0], "point,arms_adoption,contact_preset,group,n,coverage_mean,coverage_ci_low,coverage_ci_high") {
		t.Fatalf("summary header %q", sl[0])
	}
	if len(sl) != 1+4*4 || !strings.HasPrefix(sl[1], "0,0.1,cdc,bluezone,3,") {
		t.Fatalf("summary:\n%s", summary)
	}
}

// TestSummaryScales checks that the summary builds each metric's interval
// on its scale: a share near 0 and a count near 0 never get a negative
// bound, a value may, and undefined replicates are left out.
func TestSummaryScales(t *testing.T) {
	d := &runsData{metrics: []string{"share", "count", "value"},
		scales: []stats.Scale{stats.ScaleShare, stats.ScaleCount, stats.ScaleValue}}
	for i, v := range [][3]float64{{0, 0, -1}, {0.02, 1, 0}, {0.01, 0, 1}, {math.NaN(), 3, 0.5}} {
		d.records = append(d.records, record{task: scenarios.Task{Index: i, Replicate: i}, group: "g", values: v[:]})
	}
	s := summarize(d)
	if len(s.Rows) != 1 {
		t.Fatalf("%d summary rows", len(s.Rows))
	}
	row := s.Rows[0] // point, group, n, then mean, lo, hi per metric
	cell := func(i int) float64 { return row[3+i].(float64) }
	if m := cell(0); math.Abs(m-0.01) > 1e-12 {
		t.Fatalf("share mean %v: want 0.01 over the three defined replicates", m)
	}
	if lo, hi := cell(1), cell(2); !(lo > 0 && lo < 0.01 && hi > 0.01 && hi < 1) {
		t.Fatalf("share interval [%v, %v]: want inside (0, 1) around 0.01", lo, hi)
	}
	if lo := cell(4); !(lo > 0) {
		t.Fatalf("count interval low %v: want above 0", lo)
	}
	if lo := cell(7); !(lo < 0) {
		t.Fatalf("value interval low %v: want the plain t interval, below 0 here", lo)
	}
}

func TestMergeErrors(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	other := testPlan(t, strings.Replace(sweepYAML, "days: 3", "days: 4", 1))
	ctx := context.Background()
	parent := t.TempDir()
	write := func(p *scenarios.Plan, name string, i, n int) string {
		res, err := Run(ctx, p, fakeRun, Options{Workers: 2, Shard: ShardID{i, n}})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(parent, name)
		if _, err := WriteShard(dir, p, ShardID{i, n}, res, true); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	s0 := write(plan, "s0", 1, 3)
	s1 := write(plan, "s1", 2, 3)
	s2 := write(plan, "s2", 3, 3)
	o2 := write(other, "o2", 3, 3)
	whole := write(plan, "whole", 1, 1)
	for _, tt := range []struct {
		name string
		dirs []string
		want string
	}{
		{"missing shard", []string{s0, s1}, "4 of 12 tasks are missing (2, 5, 8, 11); task 2 belongs to shard 3/3"},
		{"duplicate", []string{s0, s1, s2, whole}, "task 0 (point 0, replicate 0) is in both"},
		{"different sweep", []string{s0, s1, o2}, "are different sweeps"},
		{"not a sweep", []string{t.TempDir()}, "no manifest.json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.dirs, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	// A runs table that lost a task's rows is caught.
	csvPath := filepath.Join(s1, TablesDir, RunsTable+".csv")
	b, _ := os.ReadFile(csvPath)
	lines := strings.Split(string(b), "\n")
	var kept []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "4,") {
			kept = append(kept, l)
		}
	}
	os.WriteFile(csvPath, []byte(strings.Join(kept, "\n")), 0o644)
	if _, err := Merge([]string{s0, s1, s2}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "task 4 is in the manifest but has no rows") {
		t.Fatalf("error %v", err)
	}
}

func TestRunStopsOnErrorAndCancel(t *testing.T) {
	plan := testPlan(t, sweepYAML)
	boom := errors.New("boom")
	var calls atomic.Int32
	failing := func(ctx context.Context, sc scenarios.Scenario) ([]Row, error) {
		if calls.Add(1) == 3 {
			return nil, boom
		}
		return fakeRun(ctx, sc)
	}
	res, err := Run(context.Background(), plan, failing, Options{Workers: 1})
	if !errors.Is(err, boom) || len(res) != 2 {
		t.Fatalf("err %v, %d results", err, len(res))
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res, err = Run(ctx, plan, fakeRun, Options{Workers: 1, Progress: func(done, total int, _ scenarios.Task) {
		n = done
		if done == 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || len(res) != 5 || n != 5 {
		t.Fatalf("err %v, %d results, progress %d", err, len(res), n)
	}
	for i, r := range res {
		if r.Task.Index != i {
			t.Fatalf("results not sorted: %d at %d", r.Task.Index, i)
		}
	}
	for _, bad := range []ShardID{{0, 3}, {4, 3}, {1, 0}, {-1, 2}} {
		if _, err := Run(context.Background(), plan, fakeRun, Options{Shard: bad}); err == nil {
			t.Fatalf("shard %s accepted", bad)
		}
	}
}

func TestBadRows(t *testing.T) {
	plan := testPlan(t, "name: x\n")
	for _, rows := range [][]Row{
		nil,
		{{Group: "a"}, {Group: "a"}},
		{{Group: "a", Metrics: []Metric{{"x", 1, ""}}}, {Group: "b", Metrics: []Metric{{"y", 1, ""}}}},
	} {
		_, err := Run(context.Background(), plan, func(context.Context, scenarios.Scenario) ([]Row, error) {
			return rows, nil
		}, Options{})
		if err == nil {
			t.Errorf("rows %+v accepted", rows)
		}
	}
}

func BenchmarkWriteShard(b *testing.B) {
	l, err := scenarios.LoadBytes("b.yaml", []byte("sweep:\n  replicates: 20\n  axes:\n    arms[*].adoption: {from: 0.1, to: 0.7, step: 0.1}\n"))
	if err != nil {
		b.Fatal(err)
	}
	plan, err := l.Plan()
	if err != nil {
		b.Fatal(err)
	}
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteShard(dir, plan, Whole, res, true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUndefinedValues: the sweep tables use package table's schema, like
// a run's tables: an undefined metric (NaN) is an empty CSV cell and a
// Parquet null, seeds are UINT64, and a folder written before NaN became
// an empty cell (the text "NaN") still reads back.
func TestUndefinedValues(t *testing.T) {
	plan := testPlan(t, "name: one\ndays: 3\nseed: 2\nsweep:\n  replicates: 1\n  axes:\n    arms[*].adoption: [0.1, 0.2, 0.3]\n")
	res, err := Run(context.Background(), plan, fakeRun, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	nans := 0
	for _, r := range res {
		for _, row := range r.Rows {
			if math.IsNaN(row.Metrics[2].Value) {
				nans++
			}
		}
	}
	if nans == 0 {
		t.Fatal("fakeRun gave no undefined precision: the test checks nothing")
	}
	dir := t.TempDir()
	if _, err := WriteShard(dir, plan, Whole, res, true); err != nil {
		t.Fatal(err)
	}
	files := readAll(t, dir)
	runs := string(files[filepath.Join(TablesDir, RunsTable+".csv")])
	summary := string(files[filepath.Join(TablesDir, SummaryTable+".csv")])
	if strings.Contains(runs, "NaN") || strings.Contains(summary, "NaN") {
		t.Errorf("NaN written as text:\n%s\n%s", runs, summary)
	}
	if got := strings.Count(runs, ",\n"); got != nans {
		t.Errorf("%d empty precision cells, want %d:\n%s", got, nans, runs)
	}
	// One replicate: every interval is undefined, the mean is the value.
	lines := strings.Split(strings.TrimSpace(summary), "\n")
	header := strings.Split(lines[0], ",")
	for _, line := range lines[1:] {
		for i, cell := range strings.Split(line, ",") {
			name := header[i]
			interval := strings.HasSuffix(name, "_ci_low") || strings.HasSuffix(name, "_ci_high")
			if interval != (cell == "") && name != "precision_mean" {
				t.Errorf("summary %s = %q in %q: want intervals empty, the rest filled", name, cell, line)
			}
		}
	}

	b := files[filepath.Join(TablesDir, RunsTable+".parquet")]
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	seed, ok := pf.Schema().Lookup("seed")
	if !ok || seed.Node.Type().String() != "INT(64,false)" {
		t.Errorf("seed column %v, want UINT64", seed.Node)
	}
	prec, ok := pf.Schema().Lookup("precision")
	if !ok || !prec.Node.Optional() {
		t.Fatalf("precision column %v, want optional DOUBLE", prec.Node)
	}
	nulls := int64(0)
	for _, rg := range pf.Metadata().RowGroups {
		nulls += rg.Columns[prec.ColumnIndex].MetaData.Statistics.NullCount
	}
	if nulls != int64(nans) {
		t.Errorf("%d Parquet nulls in precision, want %d", nulls, nans)
	}

	// A folder written with "NaN" text reads back to the same records.
	old := strings.ReplaceAll(runs, ",\n", ",NaN\n")
	if err := os.WriteFile(filepath.Join(dir, TablesDir, RunsTable+".csv"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	back := 0
	for _, r := range f.data.records {
		if math.IsNaN(r.values[2]) {
			back++
		}
	}
	if back != nans {
		t.Errorf("read back %d undefined values, want %d", back, nans)
	}
}
