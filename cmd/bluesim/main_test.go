package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// cliResult is what one in-process run of the CLI produced.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs bluesim in process with args, as main would.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	code := exitCode(err, &stderr)
	return cliResult{stdout.String(), stderr.String(), code}
}

// golden runs the CLI and compares stdout, stderr and the exit code with
// testdata/NAME.stdout, NAME.stderr and NAME.code; -update rewrites them.
func golden(t *testing.T, name string, args ...string) {
	t.Helper()
	got := runCLI(t, args...)
	files := map[string]string{
		name + ".stdout": got.stdout,
		name + ".stderr": got.stderr,
		name + ".code":   strconv.Itoa(got.code) + "\n",
	}
	for file, content := range files {
		path := filepath.Join("testdata", file)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
		}
		if string(want) != content {
			t.Errorf("bluesim %s: %s differs from golden file\n--- got ---\n%s\n--- want ---\n%s",
				strings.Join(args, " "), file, content, want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"--help"}, exitOK},
		{"unknown command", []string{"no-such-command"}, exitUsage},
		{"unknown flag", []string{"ids", "--no-such-flag"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runCLI(t, tc.args...); got.code != tc.code {
				t.Fatalf("exit code %d, want %d (stderr %q)", got.code, tc.code, got.stderr)
			}
		})
	}
}

// TestREADMEDocumentsEveryCommand keeps the README honest: every top-level
// subcommand is documented there, and every "bluesim X" the README shows in
// a code block exists.
func TestREADMEDocumentsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	names := commandNames("")
	known := map[string]bool{"help": true}
	for _, n := range names {
		known[n] = true
		if !strings.Contains(text, "bluesim "+n) {
			t.Errorf("README.md does not document `bluesim %s`", n)
		}
	}
	inCode := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		line = strings.TrimPrefix(strings.TrimSpace(line), "$ ")
		if !inCode {
			continue
		}
		for _, prefix := range []string{"go run ./cmd/bluesim ", "bluesim "} {
			if !strings.HasPrefix(line, prefix) {
				continue
			}
			fields := strings.Fields(line[len(prefix):])
			if len(fields) > 0 && !strings.HasPrefix(fields[0], "-") && !known[fields[0]] {
				t.Errorf("README.md shows a command that does not exist: %q", line)
			}
		}
	}
}
