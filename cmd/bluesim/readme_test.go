package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

const (
	builtinsBegin = "<!-- builtins:begin -->\n"
	builtinsEnd   = "<!-- builtins:end -->"
)

// builtinsTable is the README's list of built-in scenarios, made from the
// registry (the embedded scenarios/builtin/*.yaml): one row each, with the
// description its file gives.
func builtinsTable(t *testing.T) string {
	t.Helper()
	list, err := scenarios.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| built-in | what it is for |\n|---|---|\n")
	for _, s := range list {
		name := "`" + s.Name + "`"
		if s.Name == scenarios.DefaultName {
			name += " (the default)"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", name, strings.ReplaceAll(s.Description, "|", `\|`))
	}
	return b.String()
}

// TestREADMEBuiltins: the README lists exactly the built-in scenarios the
// registry has, as builtinsTable writes them; -update rewrites the list.
func TestREADMEBuiltins(t *testing.T) {
	const path = "../../README.md"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, builtinsBegin)
	j := strings.Index(readme, builtinsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q block", strings.TrimSpace(builtinsBegin), builtinsEnd)
	}
	want := builtinsTable(t)
	got := readme[i+len(builtinsBegin) : j]
	if got == want {
		return
	}
	if *update {
		out := readme[:i+len(builtinsBegin)] + want + readme[j:]
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's list of built-ins is out of step with scenarios/builtin (run go test ./cmd/bluesim -run TestREADMEBuiltins -update):\n got:\n%s\nwant:\n%s", got, want)
}
