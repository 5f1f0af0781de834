package sim

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/tracing/protocols"
)

// TestNoProtocolInTheEngine: the engine reaches protocols only through the
// table of tracing/protocols. No package of sim imports a protocol package,
// and no source file of sim names a protocol (a string holding a
// protocol's name) or branches on a radio schedule family.
func TestNoProtocolInTheEngine(t *testing.T) {
	const mod = "github.com/bluesim/bluesim/"
	dirs := []string{".", "target", "epidemic", "limits"}
	for _, dir := range dirs {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			rel, ok := strings.CutPrefix(imp, mod)
			if ok && strings.HasPrefix(rel, "tracing/") && rel != "tracing/protocols" {
				t.Errorf("sim/%s imports %s: the engine may use only tracing and tracing/protocols", dir, imp)
			}
		}
		if dir == "." && !slices.Contains(pkg.Imports, mod+"tracing/protocols") {
			t.Errorf("sim does not import tracing/protocols: %v", pkg.Imports)
		}
		fset := token.NewFileSet()
		for _, name := range pkg.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.BasicLit:
					if x.Kind != token.STRING {
						break
					}
					s, _ := strconv.Unquote(x.Value)
					for _, p := range protocols.Names() {
						if strings.Contains(strings.ToLower(s), p) {
							t.Errorf("%s: the string %s names protocol %s", fset.Position(x.Pos()), x.Value, p)
						}
					}
				case *ast.SelectorExpr:
					if id, ok := x.X.(*ast.Ident); ok && id.Name == "radio" && (strings.HasPrefix(x.Sel.Name, "Bluezone") || strings.HasPrefix(x.Sel.Name, "GAEN")) {
						t.Errorf("%s: radio.%s: the engine follows the protocol's Radio, not a named schedule", fset.Position(x.Pos()), x.Sel.Name)
					}
				}
				return true
			})
		}
	}
}
