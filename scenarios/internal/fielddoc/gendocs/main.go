// Command gendocs writes scenarios/docs_gen.go, the doc comments of the
// scenario's struct fields. Run it with `go generate ./scenarios`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/bluesim/bluesim/scenarios/internal/fielddoc"
)

func main() {
	out := flag.String("o", "docs_gen.go", "output file")
	root := flag.String("root", "..", "module root")
	flag.Parse()
	src, err := fielddoc.Generate(*root, fielddoc.Dirs, "scenarios")
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
