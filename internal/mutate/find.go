package mutate

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Target names one function: Dir is its package's folder relative to the
// module root (radio, tracing/gaen), Func its name, "Name" for a function
// or "Type.Name" for a method (pointer or value receiver).
type Target struct {
	Dir  string `json:"dir"`
	Func string `json:"func"`
}

func (t Target) String() string { return t.Dir + " " + t.Func }

// Mutation kinds.
const (
	KindOperator = "operator"   // a binary operator replaced by its opposite
	KindOffByOne = "off-by-one" // an integer constant n replaced by n+1
	KindDropTerm = "drop-term"  // a + b or a - b replaced by a
	KindMinMax   = "min-max"    // min and max (or math.Min and math.Max) swapped
	KindNegate   = "negate"     // an if condition negated
	KindIncDec   = "inc-dec"    // ++ and -- swapped
	KindAssignOp = "assign-op"  // += and -= swapped
)

// Mutant is one fault planted in one function: the bytes [Start, End) of
// File replaced by Repl.
type Mutant struct {
	Target Target `json:"target"`
	// File is the source file, relative to the module root.
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
	Kind string `json:"kind"`
	// Desc shows the change: the code around it before and after ("… →
	// …"), or for a dropped term the operator and term dropped.
	Desc       string `json:"desc"`
	Start, End int    `json:"-"`
	Repl       string `json:"repl"`
}

// ID identifies the mutant across runs (for resuming).
func (m Mutant) ID() string {
	return fmt.Sprintf("%s:%d:%d %s %s", m.File, m.Line, m.Col, m.Kind, m.Repl)
}

// Apply returns src with the mutation made.
func (m Mutant) Apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(m.Repl))
	out = append(out, src[:m.Start]...)
	out = append(out, m.Repl...)
	return append(out, src[m.End:]...)
}

var opFlip = map[token.Token]token.Token{
	token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL,
	token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR,
	token.EQL: token.NEQ, token.NEQ: token.EQL, token.LAND: token.LOR, token.LOR: token.LAND,
}

// Find lists the mutants of target t under the module root, in source
// order. It is an error if the function does not exist.
func Find(root string, t Target) ([]Mutant, error) {
	recv, name, isMethod := strings.Cut(t.Func, ".")
	if !isMethod {
		recv, name = "", t.Func
	}
	recv = strings.TrimPrefix(strings.Trim(recv, "()"), "*")
	files, err := filepath.Glob(filepath.Join(root, t.Dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != name || fd.Body == nil || receiverName(fd) != recv {
				continue
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return nil, err
			}
			return mutants(fset, src, filepath.ToSlash(rel), t, fd.Body), nil
		}
	}
	return nil, fmt.Errorf("%s: no function %s in the package's non-test files", t.Dir, t.Func)
}

// receiverName is the type name of fd's receiver ("" for a function).
func receiverName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	e := fd.Recv.List[0].Type
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr: // generic receiver T[P]
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name
		}
	case *ast.IndexListExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}

// mutants walks body and lists every mutation it offers.
func mutants(fset *token.FileSet, src []byte, file string, t Target, body *ast.BlockStmt) []Mutant {
	var out []Mutant
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	text := func(a, b token.Pos) string { return string(src[off(a):off(b)]) }
	add := func(kind string, at, start, end token.Pos, repl string) {
		p := fset.Position(at)
		s, e := off(start), off(end)
		out = append(out, Mutant{Target: t, File: file, Line: p.Line, Col: p.Column, Kind: kind,
			Desc: describe(src, s, e, repl), Start: s, End: e, Repl: repl})
	}
	// A dropped term is shown as the operator and term dropped: the whole
	// expression would not fit a table cell.
	dropTerm := func(x *ast.BinaryExpr) {
		add(KindDropTerm, x.OpPos, x.Pos(), x.End(), text(x.X.Pos(), x.X.End()))
		out[len(out)-1].Desc = strings.Join(strings.Fields(text(x.OpPos, x.End())), " ")
	}
	// Array lengths are constants the compiler checks; mutating them makes
	// mutants that do not compile or mean nothing.
	skip := map[ast.Node]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		if skip[n] {
			return false
		}
		switch x := n.(type) {
		case *ast.ArrayType:
			if x.Len != nil {
				skip[x.Len] = true
			}
		case *ast.BinaryExpr:
			if to, ok := opFlip[x.Op]; ok {
				add(KindOperator, x.OpPos, x.OpPos, x.OpPos+token.Pos(len(x.Op.String())), to.String())
			}
			if x.Op == token.ADD || x.Op == token.SUB {
				dropTerm(x)
			}
		case *ast.BasicLit:
			if x.Kind == token.INT {
				if v, err := strconv.ParseInt(x.Value, 0, 64); err == nil {
					add(KindOffByOne, x.Pos(), x.Pos(), x.End(), strconv.FormatInt(v+1, 10))
				}
			}
		case *ast.CallExpr:
			switch f := x.Fun.(type) {
			case *ast.Ident:
				if f.Name == "min" || f.Name == "max" {
					add(KindMinMax, f.Pos(), f.Pos(), f.End(), map[string]string{"min": "max", "max": "min"}[f.Name])
				}
			case *ast.SelectorExpr:
				if pk, ok := f.X.(*ast.Ident); ok && pk.Name == "math" && (f.Sel.Name == "Min" || f.Sel.Name == "Max") {
					add(KindMinMax, f.Sel.Pos(), f.Sel.Pos(), f.Sel.End(), map[string]string{"Min": "Max", "Max": "Min"}[f.Sel.Name])
				}
			}
		case *ast.IfStmt:
			c := x.Cond
			add(KindNegate, c.Pos(), c.Pos(), c.End(), "!("+text(c.Pos(), c.End())+")")
		case *ast.IncDecStmt:
			to := map[token.Token]string{token.INC: "--", token.DEC: "++"}[x.Tok]
			add(KindIncDec, x.TokPos, x.TokPos, x.TokPos+2, to)
		case *ast.AssignStmt:
			if to, ok := map[token.Token]string{token.ADD_ASSIGN: "-=", token.SUB_ASSIGN: "+="}[x.Tok]; ok {
				add(KindAssignOp, x.TokPos, x.TokPos, x.TokPos+2, to)
			}
		}
		return true
	})
	slices.SortStableFunc(out, func(a, b Mutant) int { return a.Start - b.Start })
	return out
}

// describe shows a mutation as the code around it before and after:
// the source lines it touches, cut to a window around the change, with
// whitespace collapsed.
func describe(src []byte, start, end int, repl string) string {
	ls := bytes.LastIndexByte(src[:start], '\n') + 1
	le := len(src)
	if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
		le = end + i
	}
	before := string(src[ls:le])
	after := string(src[ls:start]) + repl + string(src[end:le])
	return window(before, start-ls, end-start) + " → " + window(after, start-ls, len(repl))
}

// window cuts s to about 30 bytes either side of [at, at+n), collapsing
// whitespace.
func window(s string, at, n int) string {
	a, b := max(0, at-30), min(len(s), at+n+30)
	for a > 0 && !utf8.RuneStart(s[a]) {
		a--
	}
	for b < len(s) && !utf8.RuneStart(s[b]) {
		b++
	}
	w := strings.Join(strings.Fields(s[a:b]), " ")
	if a > 0 {
		w = "…" + w
	}
	if b < len(s) {
		w += "…"
	}
	return w
}

// Sample keeps at most n of ms, spread evenly over the function (every
// k-th in source order), so that a long function is covered end to end.
func Sample(ms []Mutant, n int) []Mutant {
	if n <= 0 || len(ms) <= n {
		return ms
	}
	out := make([]Mutant, 0, n)
	for i := range n {
		out = append(out, ms[i*len(ms)/n])
	}
	return out
}
