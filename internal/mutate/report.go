package mutate

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// PackageStats are one package's counts.
type PackageStats struct {
	Dir                         string
	Caught, Survived, NotViable int
	KillRate                    float64 // caught / (caught + survived)
	Functions                   int
	Seconds                     float64 // spent building and testing mutants
	functionsByName             map[string]bool
}

// Stats adds up outcomes per package, in order of first appearance.
func Stats(outs []Outcome) []PackageStats {
	var ps []PackageStats
	idx := map[string]int{}
	for _, o := range outs {
		i, ok := idx[o.Target.Dir]
		if !ok {
			i = len(ps)
			idx[o.Target.Dir] = i
			ps = append(ps, PackageStats{Dir: o.Target.Dir, functionsByName: map[string]bool{}})
		}
		p := &ps[i]
		if !p.functionsByName[o.Target.Func] {
			p.functionsByName[o.Target.Func] = true
			p.Functions++
		}
		p.Seconds += o.Seconds
		switch o.Status {
		case Caught:
			p.Caught++
		case Survived:
			p.Survived++
		default:
			p.NotViable++
		}
	}
	for i := range ps {
		if n := ps[i].Caught + ps[i].Survived; n > 0 {
			ps[i].KillRate = float64(ps[i].Caught) / float64(n)
		}
	}
	return ps
}

// WriteReport writes the outcomes as Markdown: a summary per package,
// then one table per package (function, where, mutation, result, the test
// that caught it).
func WriteReport(w io.Writer, outs []Outcome) error {
	var b bytes.Buffer
	stats := Stats(outs)
	b.WriteString("| package | functions | mutants | caught | survived | not viable | kill rate | test time |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	var tot PackageStats
	for _, p := range stats {
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %d | %d | %s | %.0f s |\n", p.Dir, p.Functions, p.Caught+p.Survived+p.NotViable,
			p.Caught, p.Survived, p.NotViable, pct(p.KillRate, p.Caught+p.Survived), p.Seconds)
		tot.Functions += p.Functions
		tot.Caught += p.Caught
		tot.Survived += p.Survived
		tot.NotViable += p.NotViable
		tot.Seconds += p.Seconds
	}
	if n := tot.Caught + tot.Survived; n > 0 {
		tot.KillRate = float64(tot.Caught) / float64(n)
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d | %d | %s | %.0f s |\n", tot.Functions, tot.Caught+tot.Survived+tot.NotViable,
		tot.Caught, tot.Survived, tot.NotViable, pct(tot.KillRate, tot.Caught+tot.Survived), tot.Seconds)
	for _, p := range stats {
		fmt.Fprintf(&b, "\n### `%s`\n\n", p.Dir)
		b.WriteString("| function | where | mutation | result | caught by |\n|---|---|---|---|---|\n")
		var rows []Outcome
		for _, o := range outs {
			if o.Target.Dir == p.Dir {
				rows = append(rows, o)
			}
		}
		slices.SortStableFunc(rows, func(a, b Outcome) int {
			return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Start, b.Start), strings.Compare(a.Kind, b.Kind))
		})
		for _, o := range rows {
			res := o.Status
			if res == Survived {
				res = "**survived**"
			}
			fmt.Fprintf(&b, "| `%s` | %s:%d | %s: %s | %s | %s |\n", cell(o.Target.Func), fileBase(o.File), o.Line, o.Kind,
				code(o.Desc), res, cell(o.By))
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func pct(x float64, n int) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*x)
}

func fileBase(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// cell escapes a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// code shows s as code in a table cell: backticks around each side of the
// arrow, with pipes escaped.
func code(s string) string {
	before, after, ok := strings.Cut(s, " → ")
	q := func(x string) string { return "`" + cell(strings.ReplaceAll(x, "`", "'")) + "`" }
	if !ok {
		return q(s)
	}
	return q(before) + " → " + q(after)
}
