package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
