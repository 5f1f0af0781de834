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
	dirs, err := fielddoc.ScenarioDirs(*root)
	var src []byte
	if err == nil {
		src, err = fielddoc.Generate(*root, dirs, "scenarios")
	}
	if err == nil {
		err = os.WriteFile(*out, src, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
