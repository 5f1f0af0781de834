package mutate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testRoot is the folder the testdata targets are relative to.
const testRoot = "testdata"

func TestFind(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testRoot, "calc", "calc.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fn string
		// want lists every mutant as "kind: mutated line", in order.
		want []string
	}{
		{"Clamp", []string{
			"min-max: func Clamp(x, lo, hi int) int { return max(max(x, lo), hi) }",
			"min-max: func Clamp(x, lo, hi int) int { return min(min(x, lo), hi) }",
		}},
		{"Mean", []string{
			"negate: if !(len(xs) == 0) {",
			"operator: if len(xs) != 0 {",
			"off-by-one: if len(xs) == 1 {",
			"off-by-one: return 1",
			"off-by-one: for i := 1; i < len(xs); i++ {",
			"operator: for i := 0; i <= len(xs); i++ {",
			"inc-dec: for i := 0; i < len(xs); i-- {",
			"assign-op: s -= xs[i]",
			"operator: return s * float64(len(xs))",
		}},
		{"Acc.Add", []string{
			"inc-dec: func (a *Acc) Add(k int) { a.n--; a.n += k - 1 }",
			"assign-op: func (a *Acc) Add(k int) { a.n++; a.n -= k - 1 }",
			"drop-term: func (a *Acc) Add(k int) { a.n++; a.n += k }",
			"operator: func (a *Acc) Add(k int) { a.n++; a.n += k + 1 }",
			"off-by-one: func (a *Acc) Add(k int) { a.n++; a.n += k - 2 }",
		}},
		{"(*Acc).Add", nil}, // the same function, spelled with its receiver: checked below
		{"Acc.Big", []string{
			// The array length is left alone.
			"operator: return x >= math.Max(float64(a.n), 1) && a.n != 0 || x == -1",
			"min-max: return x > math.Min(float64(a.n), 1) && a.n != 0 || x == -1",
			"off-by-one: return x > math.Max(float64(a.n), 2) && a.n != 0 || x == -1",
			"operator: return x > math.Max(float64(a.n), 1) || a.n != 0 || x == -1",
			"operator: return x > math.Max(float64(a.n), 1) && a.n == 0 || x == -1",
			"off-by-one: return x > math.Max(float64(a.n), 1) && a.n != 1 || x == -1",
			"operator: return x > math.Max(float64(a.n), 1) && a.n != 0 && x == -1",
			"operator: return x > math.Max(float64(a.n), 1) && a.n != 0 || x != -1",
			"off-by-one: return x > math.Max(float64(a.n), 1) && a.n != 0 || x == -2",
		}},
	} {
		t.Run(tc.fn, func(t *testing.T) {
			ms, err := Find(testRoot, Target{Dir: "calc", Func: tc.fn})
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				ref, _ := Find(testRoot, Target{Dir: "calc", Func: "Acc.Add"})
				if len(ms) != len(ref) || len(ms) == 0 {
					t.Fatalf("%d mutants, %d for Acc.Add", len(ms), len(ref))
				}
				return
			}
			var got []string
			for _, m := range ms {
				if m.File != "calc/calc.go" || m.Line < 1 {
					t.Errorf("mutant at %s:%d", m.File, m.Line)
				}
				mut := m.Apply(src)
				// The line the mutant changed, as it reads after the change.
				line := strings.TrimSpace(strings.Split(string(mut), "\n")[m.Line-1])
				got = append(got, m.Kind+": "+line)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("mutants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	for _, fn := range []string{"Nope", "Acc.Nope", "Clamp.Add", "Mean.Mean"} {
		if _, err := Find(testRoot, Target{Dir: "calc", Func: fn}); err == nil || !strings.Contains(err.Error(), "calc: no function "+fn) {
			t.Errorf("%s: error %v", fn, err)
		}
	}
}

func TestSample(t *testing.T) {
	ms := make([]Mutant, 10)
	for i := range ms {
		ms[i].Line = i
	}
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{0, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{20, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{3, []int{0, 3, 6}},
		{4, []int{0, 2, 5, 7}},
		{1, []int{0}},
	} {
		var got []int
		for _, m := range Sample(ms, tc.n) {
			got = append(got, m.Line)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Sample(10, %d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestParseEvents(t *testing.T) {
	for _, tc := range []struct {
		file string
		want Result
	}{
		{"pass.jsonl", Result{Survived, ""}},
		{"fail.jsonl", Result{Caught, "TestMean/empty"}},
		{"build.jsonl", Result{NotViable, ""}},
		{"timeout.jsonl", Result{Caught, "TestLoop (timeout)"}},
		{"crash.jsonl", Result{Caught, "TestWorkers (crash)"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(testRoot, "events", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := ParseEvents(f)
			if err != nil || got != tc.want {
				t.Fatalf("%+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestReportGolden(t *testing.T) {
	outs := []Outcome{
		{Mutant: Mutant{Target: Target{"calc", "Mean"}, File: "calc/calc.go", Line: 10, Kind: KindOperator, Desc: "if len(xs) == 0 { → if len(xs) != 0 {", Start: 10}, Status: Caught, By: "TestMean", Seconds: 1.5},
		{Mutant: Mutant{Target: Target{"calc", "Acc.Big"}, File: "calc/calc.go", Line: 30, Kind: KindOperator, Desc: "a && b || c → a && b && c", Start: 30}, Status: Survived, Seconds: 2},
		{Mutant: Mutant{Target: Target{"calc", "Mean"}, File: "calc/calc.go", Line: 14, Kind: KindDropTerm, Desc: "- 1", Start: 14}, Status: NotViable, Seconds: 0.5},
		{Mutant: Mutant{Target: Target{"other", "F"}, File: "other/f.go", Line: 3, Kind: KindNegate, Desc: "if ok { → if !(ok) {", Start: 3}, Status: Caught, By: "TestF (timeout)", Seconds: 6},
	}
	var b bytes.Buffer
	if err := WriteReport(&b, outs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(testRoot, "report.golden.md")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("report differs from %s (go test -update to rewrite):\n%s", golden, b.Bytes())
	}
	st := Stats(outs)
	if len(st) != 2 || st[0].Caught != 1 || st[0].Survived != 1 || st[0].NotViable != 1 || st[0].KillRate != 0.5 || st[0].Functions != 2 ||
		st[1].KillRate != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRunnerOnModule runs real mutants of a tiny module: one its test
// catches, one it cannot see, one that does not compile. The working
// tree must be untouched afterwards.
func TestRunnerOnModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module four times")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := t.TempDir()
	write := func(name, s string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	calc := "package calc\n\n// Half halves x, and names it.\nfunc Half(x int) (int, string) {\n\tif x < 0 {\n\t\treturn -1, \"neg\"\n\t}\n\treturn x / 2, \"half\" + \"\"\n}\n"
	write("calc/calc.go", calc)
	write("calc/calc_test.go", "package calc\n\nimport \"testing\"\n\nfunc TestHalf(t *testing.T) {\n\tif h, _ := Half(8); h != 4 {\n\t\tt.Fatal(h)\n\t}\n}\n")
	r := &Runner{Root: root, Timeout: time.Minute}
	ctx := context.Background()
	if d, err := r.Baseline(ctx, "calc"); err != nil || d <= 0 {
		t.Fatal(d, err)
	}
	ms, err := Find(root, Target{Dir: "calc", Func: "Half"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Result{
		"x / 2 → x * 2":                     {Caught, "TestHalf"},
		"x < 0 → x <= 0":                    {Survived, ""}, // Half(0) is never called
		"+ \"\"":                            {Survived, ""}, // dropping the empty string
		"\"half\" + \"\" → \"half\" - \"\"": {NotViable, ""},
	}
	seen := 0
	for _, m := range ms {
		var key string
		for k := range want {
			before, after, ok := strings.Cut(k, " → ")
			if (ok && strings.Contains(m.Desc, before) && strings.Contains(m.Desc, after)) || (!ok && m.Desc == k) {
				key = k
			}
		}
		if key == "" {
			continue
		}
		o, err := r.Run(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if (Result{o.Status, o.By}) != want[key] {
			t.Errorf("%s (%s): %s %q, want %+v", key, m.Desc, o.Status, o.By, want[key])
		}
		seen++
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d mutants among %d", seen, len(want), len(ms))
	}
	if b, _ := os.ReadFile(filepath.Join(root, "calc", "calc.go")); string(b) != calc {
		t.Fatal("the source on disk was changed")
	}
	// A package whose tests fail without a mutant is refused.
	write("calc/calc_test.go", "package calc\n\nimport \"testing\"\n\nfunc TestHalf(t *testing.T) { t.Fatal(\"always\") }\n")
	if _, err := r.Baseline(ctx, "calc"); err == nil || !strings.Contains(err.Error(), "fail without any mutation") {
		t.Fatalf("baseline of failing tests: %v", err)
	}
}
