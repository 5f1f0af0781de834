package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/bluesim/bluesim/output/outputtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		k, n   int64
		lo, hi float64
	}{
		// Reference values from the closed form (Wilson 1927), also given
		// by R's prop.test(correct = FALSE) and statsmodels proportion_confint(method="wilson").
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{81, 263, 0.2553, 0.3662},
	} {
		lo, hi := Wilson(tc.k, tc.n)
		if !(math.Abs(lo-tc.lo) <= 1e-4 && math.Abs(hi-tc.hi) <= 1e-4) { // a NaN fails too
			t.Errorf("Wilson(%d, %d) = %.4f, %.4f; want %.4f, %.4f", tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
	for _, bad := range [][2]int64{{0, 0}, {3, 2}, {-1, 5}} {
		if lo, hi := Wilson(bad[0], bad[1]); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("Wilson(%d, %d) = %v, %v; want NaN", bad[0], bad[1], lo, hi)
		}
	}
}

// failAfter writes n bytes, then fails, as a full disk or a bug would.
func failAfter(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("x"), n)); err != nil {
			return err
		}
		return errors.New("writer failed")
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")

	// A failing writer leaves neither the file nor a temporary one.
	if err := WriteFileAtomic(path, failAfter(100)); err == nil {
		t.Fatal("no error from a failing writer")
	}
	if names := listDir(t, dir); len(names) != 0 {
		t.Fatalf("failing writer left %v", names)
	}

	// A good write creates the file, readable by others.
	if err := WriteBytesAtomic(path, []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("stat %v, %v", fi, err)
	}

	// A failing rewrite keeps the old content whole.
	if err := WriteFileAtomic(path, failAfter(1<<16)); err == nil {
		t.Fatal("no error from a failing writer")
	}
	if b, _ := os.ReadFile(path); string(b) != "one\n" {
		t.Fatalf("old content %q lost", b)
	}
	if names := listDir(t, dir); !slices.Equal(names, []string{"a.csv"}) {
		t.Fatalf("directory holds %v", names)
	}

	// A missing directory is an error, not a panic.
	if err := WriteBytesAtomic(filepath.Join(dir, "no", "such", "x"), nil); err == nil {
		t.Fatal("no error for a missing directory")
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func testTable() Table {
	return Table{Name: "t", Columns: []Column{{"name", String}, {"n", Int}, {"x", Float}, {"a_first", Float}},
		Rows: [][]any{
			{"plain", int64(3), 0.1, 1.0},
			{"with, comma and \"quote\"", 42, math.NaN(), -2.5e-9},
			{"", int64(-7), 1e300, 0.0},
		}}
}

func TestCSVRoundTrip(t *testing.T) {
	tb := testTable()
	b, err := tb.CSV()
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"name", "n", "x", "a_first"},
		{"plain", "3", "0.1", "1"},
		{"with, comma and \"quote\"", "42", "", "-2.5e-09"},
		{"", "-7", "1e+300", "0"},
	}
	if !slices.EqualFunc(recs, want, slices.Equal) {
		t.Fatalf("CSV read back as %q, want %q", recs, want)
	}
}

func TestParquetRoundTrip(t *testing.T) {
	tb := testTable()
	b, err := tb.Parquet()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != int64(len(tb.Rows)) {
		t.Fatalf("%d rows, want %d", f.NumRows(), len(tb.Rows))
	}
	// Compression is set on every column chunk.
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec.String() != "ZSTD" {
				t.Errorf("column %v codec %v, want ZSTD", c.MetaData.PathInSchema, c.MetaData.Codec)
			}
		}
	}
	leaves := f.Schema().Columns()
	r := parquet.NewReader(f)
	defer r.Close()
	for ri, want := range tb.Rows {
		row := make([]parquet.Row, 1)
		if n, err := r.ReadRows(row); n != 1 && err != nil {
			t.Fatalf("row %d: %v", ri, err)
		}
		got := map[string]parquet.Value{}
		for _, v := range row[0] {
			got[leaves[v.Column()][0]] = v
		}
		for ci, c := range tb.Columns {
			v := got[c.Name]
			switch c.Kind {
			case Int:
				if v.Int64() != asInt(want[ci]) {
					t.Errorf("row %d %s = %v, want %v", ri, c.Name, v, want[ci])
				}
			case Float:
				w := want[ci].(float64)
				if math.IsNaN(w) != v.IsNull() || (!v.IsNull() && v.Double() != w) {
					t.Errorf("row %d %s = %v, want %v", ri, c.Name, v, w)
				}
			case String:
				if string(v.ByteArray()) != want[ci] {
					t.Errorf("row %d %s = %q, want %q", ri, c.Name, v.ByteArray(), want[ci])
				}
			}
		}
	}
}

func TestTableRejectsBadRows(t *testing.T) {
	for _, tb := range []Table{
		{Name: "short", Columns: []Column{{"a", Int}, {"b", Int}}, Rows: [][]any{{int64(1)}}},
		{Name: "type", Columns: []Column{{"a", Int}}, Rows: [][]any{{1.5}}},
		{Name: "", Columns: []Column{{"a", Int}}},
		{Name: "dup", Columns: []Column{{"a", Int}, {"a", Int}}},
	} {
		_, errC := tb.CSV()
		_, errP := tb.Parquet()
		if errP == nil || (tb.Name != "dup" && errC == nil) {
			t.Errorf("table %q: CSV error %v, Parquet error %v; want errors", tb.Name, errC, errP)
		}
	}
}

func TestWriteTables(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tables")
	tables := ResultTables(outputtest.Result(), Options{})
	if err := WriteTables(dir, tables); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tb := range tables {
		want = append(want, tb.Name+".csv", tb.Name+".parquet")
		if len(tb.Rows) == 0 {
			t.Errorf("table %s is empty", tb.Name)
		}
	}
	slices.Sort(want)
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("wrote %v, want %v", got, want)
	}
}

func TestNumJSON(t *testing.T) {
	b, err := json.Marshal([]Num{1, 0.25, Num(math.NaN()), Num(math.Inf(1)), 1e-7})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "[1,0.25,null,null,1e-7]" {
		t.Fatalf("got %s", b)
	}
	var back []Num
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back[1] != 0.25 || !math.IsNaN(float64(back[2])) {
		t.Fatalf("read back %v", back)
	}
}

func TestHash(t *testing.T) {
	r := outputtest.Result()
	s := NewSummary(r, Options{})
	tables := ResultTables(r, Options{})
	h1, err := Hash(tables, s)
	if err != nil {
		t.Fatal(err)
	}
	// Timing, memory and worker count do not change the hash.
	s2 := *s
	s2.Workers, s2.WallSeconds, s2.AgentDaysPerSecond, s2.PeakRSSBytes = 9, 99, 1, 12345
	if h2, _ := Hash(tables, &s2); h2 != h1 {
		t.Fatal("hash depends on timing fields")
	}
	// Any deterministic change does.
	r.Daily[3].TP++
	if h3, _ := Hash(ResultTables(r, Options{}), s); h3 == h1 {
		t.Fatal("hash ignores a table change")
	}
	s3 := *s
	s3.Seed++
	if h4, _ := Hash(tables, &s3); h4 == h1 {
		t.Fatal("hash ignores the seed")
	}
}

// keyPaths lists the JSON key paths of v ("arms[].tp"), sorted.
func keyPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[prefix+k] = true
			keyPaths(prefix+k+".", e, out)
		}
	case []any:
		for _, e := range x {
			keyPaths(strings.TrimSuffix(prefix, ".")+"[].", e, out)
		}
	}
}

// TestSummaryKeys pins summary.json's keys: renaming or removing one breaks
// users' scripts, so it must be a deliberate golden update.
func TestSummaryKeys(t *testing.T) {
	s := NewSummary(outputtest.Result(), Options{})
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	keyPaths("", v, m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	got := strings.Join(keys, "\n") + "\n"
	path := filepath.Join("testdata", "summary_keys.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("summary.json keys changed (run with -update if deliberate):\n%s", got)
	}
	for _, k := range keys {
		for _, part := range strings.Split(strings.ReplaceAll(k, "[]", ""), ".") {
			if part != strings.ToLower(part) || strings.ContainsAny(part, " -") {
				t.Errorf("key %q is not snake_case", k)
			}
		}
	}
	back, err := ReadSummary(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if back.Arms[2].TP != s.Arms[2].TP || back.Scenario != s.Scenario {
		t.Fatal("summary does not read back")
	}
}

func TestUndefinedRatiosAreNull(t *testing.T) {
	r := outputtest.Result()
	a := r.Arms[0]
	a.TP, a.FP, a.Notifications = 0, 0, 0
	s := Arm(r, a, Options{})
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"precision":null`) {
		t.Fatalf("precision with no notifications is not null: %s", b)
	}
}

func TestParseVmHWM(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int64
		okay bool
	}{
		{"Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t   1234 kB\nVmRSS: 5 kB\n", 1234 * 1024, true},
		{"VmHWM: lots kB\n", 0, false},
		{"VmHWM: 5 MB\n", 0, false},
		{"", 0, false},
	} {
		n, ok := parseVmHWM([]byte(tc.in))
		if n != tc.n || ok != tc.okay {
			t.Errorf("parseVmHWM(%q) = %d, %v", tc.in, n, ok)
		}
	}
	if n, src := PeakRSS(); n <= 0 || src == "" {
		t.Fatalf("PeakRSS() = %d, %q", n, src)
	}
}

func FuzzParseVmHWM(f *testing.F) {
	f.Add([]byte("VmHWM:\t 12 kB\n"))
	f.Add([]byte("VmHWM: -1 kB"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, ok := parseVmHWM(b); ok && n < 0 {
			t.Fatalf("negative %d", n)
		}
	})
}

func FuzzReadSummary(f *testing.F) {
	if b, err := NewSummary(outputtest.Result(), Options{}).JSON(); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"arms":[{"precision":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadSummary(bytes.NewReader(b))
		if err != nil {
			return
		}
		if _, err := s.JSON(); err != nil {
			t.Fatalf("a summary that decodes does not encode: %v", err)
		}
	})
}

func BenchmarkResultTables(b *testing.B) {
	r := outputtest.Result()
	b.ReportAllocs()
	for b.Loop() {
		for _, tb := range ResultTables(r, Options{}) {
			if _, err := tb.Parquet(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestPairwiseLaw(t *testing.T) {
	r := outputtest.Result()
	a := r.Arms[1]
	e := Arm(r, a, Options{})
	u := Arm(r, a, Options{DiagnosedAmong: AmongAppUsers})
	c := float64(e.Capture)
	if math.Abs(float64(e.PairwiseCoverage)-c*a.Adoption*a.Adoption) > 1e-12 ||
		math.Abs(float64(u.PairwiseCoverage)-c*a.Adoption) > 1e-12 {
		t.Fatalf("pairwise coverage %v (everyone), %v (app users) for capture %v adoption %v",
			e.PairwiseCoverage, u.PairwiseCoverage, c, a.Adoption)
	}
	if s := NewSummary(r, Options{}); s.DiagnosedAmong != AmongEveryone {
		t.Fatalf("diagnosed_among %q", s.DiagnosedAmong)
	}
}
