package output

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/output/outputtest"
	"github.com/bluesim/bluesim/table"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

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

func TestWriteTables(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tables")
	tables := ResultTables(outputtest.Result(), Options{})
	if err := table.Write(dir, tables); err != nil {
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

// keyPaths lists the JSON key paths of v ("arms[].tp"), sorted. The keys
// of an unestimable map name quantities, data rather than layout: they
// are left out.
func keyPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out[prefix+k] = true
			if k != "unestimable" {
				keyPaths(prefix+k+".", e, out)
			}
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
	// A town's keys, and a census run's (its census object).
	m := map[string]bool{}
	for _, s := range []*Summary{NewSummary(outputtest.Result(), Options{}),
		NewSummary(outputtest.AreaResult(), Options{Census: &Census{Area: "nam-dinh", AreaLevel: "district", Scale: 0.01}})} {
		b, err := s.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		keyPaths("", v, m)
	}
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
	for _, s := range []*Summary{NewSummary(outputtest.Result(), Options{}),
		NewSummary(outputtest.AreaResult(), Options{Census: &Census{Area: "nam-dinh", AreaLevel: "district", Scale: 0.01}})} {
		b, err := s.JSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadSummary(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if back.Arms[2].TP != s.Arms[2].TP || back.Scenario != s.Scenario || !reflect.DeepEqual(back.Census, s.Census) {
			t.Fatal("summary does not read back")
		}
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
