package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestREADMEForNewUsers: a new user follows the README from a clone: it
// installs the bluesim command before any example calls it, points only
// to files the repository has (no design notes or reference files kept
// elsewhere), and gives the cost of the long examples.
func TestREADMEForNewUsers(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	// The first example that calls bluesim comes after the install step.
	install := strings.Index(readme, "go install ./cmd/bluesim")
	firstUse := -1
	for _, block := range regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindAllStringSubmatchIndex(readme, -1) {
		if m := regexp.MustCompile("(?m)^(\\$ )?bluesim ").FindStringIndex(readme[block[2]:block[3]]); m != nil {
			firstUse = block[2] + m[0]
			break
		}
	}
	if install < 0 || firstUse < 0 || firstUse < install {
		t.Errorf("the README calls bluesim (at byte %d) before it says how to install it with go install ./cmd/bluesim (at %d)", firstUse, install)
	}
	for _, outside := range []string{"DESIGN.md", "shared/", "reference/", "§"} {
		if strings.Contains(readme, outside) {
			t.Errorf("the README refers to %q, which a clone does not have", outside)
		}
	}
	// Every repository path the README names in backquotes exists.
	for _, m := range regexp.MustCompile("`((?:cmd|scenarios|radio|deploy|scripts|tracing|sim|agents|internal|sweeprun|table|privacy|check)/[^` ]*)`").FindAllStringSubmatch(readme, -1) {
		path := strings.TrimSuffix(m[1], "/")
		if strings.ContainsAny(path, "*<>") || strings.Contains(path, "...") {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", "..", filepath.FromSlash(path))); err != nil {
			t.Errorf("the README names %s, which is not in the repository", m[1])
		}
	}
	// The long examples say what they cost.
	for _, example := range []string{"bluesim run   ", "bluesim run city", "bluesim sweep adoption-sweep --out out/adoption --workers 2",
		"go test ./...  "} {
		i := strings.Index(readme, example)
		if i < 0 {
			t.Errorf("the README lacks the example %q", example)
			continue
		}
		line := readme[i : i+strings.IndexByte(readme[i:], '\n')]
		if !regexp.MustCompile(`#.*[0-9] (s|min)\b`).MatchString(line) {
			t.Errorf("the example %q gives no cost: %q", example, line)
		}
	}
}

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
