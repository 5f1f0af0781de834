package table

import (
	"bytes"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func testTable() Table {
	return Table{Name: "t", Columns: []Column{{"name", String}, {"n", Int}, {"x", Float}, {"a_first", Float}, {"seed", Uint}},
		Rows: [][]any{
			{"plain", int64(3), 0.1, 1.0, uint64(0)},
			{"with, comma and \"quote\"", 42, math.NaN(), -2.5e-9, uint64(math.MaxUint64)},
			{"", int64(-7), 1e300, math.Inf(-1), uint64(1) << 63},
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
		{"name", "n", "x", "a_first", "seed"},
		{"plain", "3", "0.1", "1", "0"},
		{"with, comma and \"quote\"", "42", "", "-2.5e-09", "18446744073709551615"},
		{"", "-7", "1e+300", "", "9223372036854775808"},
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
			case Uint:
				if v.Uint64() != want[ci].(uint64) {
					t.Errorf("row %d %s = %v, want %v", ri, c.Name, v.Uint64(), want[ci])
				}
			case Float:
				w := want[ci].(float64)
				undefined := math.IsNaN(w) || math.IsInf(w, 0)
				if undefined != v.IsNull() || (!v.IsNull() && v.Double() != w) {
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
		{Name: "signed seed", Columns: []Column{{"a", Uint}}, Rows: [][]any{{int64(1)}}},
		{Name: "kind", Columns: []Column{{"a", Kind(9)}}, Rows: [][]any{{int64(1)}}},
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

func TestParquetSchema(t *testing.T) {
	tb := testTable()
	b, err := tb.Parquet()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range f.Schema().Fields() {
		kind := c.Type().String()
		if c.Optional() {
			kind = "optional " + kind
		}
		got[c.Name()] = kind
	}
	want := map[string]string{"name": "STRING", "n": "INT(64,true)", "x": "optional DOUBLE",
		"a_first": "optional DOUBLE", "seed": "INT(64,false)"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("column %s is %q, want %q (schema %v)", k, got[k], v, got)
		}
	}
	if cb := f.Metadata().CreatedBy; !strings.HasPrefix(cb, "bluesim") {
		t.Errorf("created_by %q names the library, not bluesim: the bytes would change with it", cb)
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tables")
	a := testTable()
	b := Table{Name: "b", Columns: []Column{{"k", Int}}, Rows: [][]any{{1}, {2}}}
	if err := Write(dir, []Table{a, b}); err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Name())
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", e.Name(), fi.Mode())
		}
	}
	want := append(a.Files(), b.Files()...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("wrote %v, want %v", got, want)
	}
	c, _ := os.ReadFile(filepath.Join(dir, "b.csv"))
	if string(c) != "k\n1\n2\n" {
		t.Errorf("b.csv = %q", c)
	}

	// A bad table anywhere in the list leaves the folder untouched.
	bad := Table{Name: "bad", Columns: []Column{{"k", Int}}, Rows: [][]any{{"x"}}}
	b.Rows = [][]any{{3}}
	if err := Write(dir, []Table{b, bad}); err == nil || !strings.Contains(err.Error(), "table bad row 0 column k") {
		t.Fatalf("error %v, want one naming the table, row and column", err)
	}
	if c, _ := os.ReadFile(filepath.Join(dir, "b.csv")); string(c) != "k\n1\n2\n" {
		t.Errorf("b.csv rewritten before the bad table was found: %q", c)
	}
}

func TestParseFloat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{"0.1", 0.1, false},
		{"-2.5e-09", -2.5e-9, false},
		{"", math.NaN(), false},
		{"NaN", math.NaN(), false},
		{"1e+300", 1e300, false},
		{"one", 0, true},
		{"1,5", 0, true},
	} {
		got, err := ParseFloat(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("ParseFloat(%q) error %v", tc.in, err)
			continue
		}
		if !tc.err && got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("ParseFloat(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzFloatRoundTrip: every float64 written by FormatFloat reads back to
// itself (NaN and infinities to NaN), and ParseFloat never panics.
func FuzzFloatRoundTrip(f *testing.F) {
	for _, x := range []float64{0, 0.1, -2.5e-9, 1e300, math.NaN(), math.Inf(1), math.SmallestNonzeroFloat64} {
		f.Add(math.Float64bits(x), FormatFloat(x))
	}
	f.Fuzz(func(t *testing.T, bits uint64, s string) {
		x := math.Float64frombits(bits)
		back, err := ParseFloat(FormatFloat(x))
		if err != nil {
			t.Fatalf("FormatFloat(%v) = %q does not read back: %v", x, FormatFloat(x), err)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if !math.IsNaN(back) {
				t.Fatalf("%v read back as %v, want NaN", x, back)
			}
		} else if math.Float64bits(back) != bits {
			t.Fatalf("%v (%q) read back as %v", x, FormatFloat(x), back)
		}
		ParseFloat(s)
	})
}
