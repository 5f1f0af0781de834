//go:build !windows

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

// syncBuffer is a bytes.Buffer that a running command writes to while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// checkModes walks dir and requires every file to have its documented mode
// (0644, or 0600 for the private keys named in private) and no temporary
// file to be left (the atomic writer's are named "." + the target's name
// + a number). It returns the files it checked.
func checkModes(t *testing.T, dir string, private map[string]bool, skip map[string]bool) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || skip[name] {
			return nil
		}
		rel, _ := filepath.Rel(filepath.Dir(dir), path)
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") {
			t.Errorf("%s: a temporary file was left behind", rel)
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := os.FileMode(0o644)
		if private[name] {
			want = 0o600
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", rel, fi.Mode(), want)
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestFileModes runs every command that writes files (run, sweep, merge,
// target, radio, serve --dev and loadtest) in process, under a umask that
// would make files private, and checks that every file has its documented
// mode and that no temporary file is left.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	base := t.TempDir()
	sweep := filepath.Join(base, "sweep.yaml")
	if err := os.WriteFile(sweep, []byte(cliSweep), 0o644); err != nil {
		t.Fatal(err)
	}
	out := func(name string) string { return filepath.Join(base, name) }
	for _, args := range [][]string{
		{"run", "testdata/run_tiny.yaml", "--out", out("run")},
		{"sweep", sweep, "--out", out("sweep"), "--set", "sweep.replicates=1", "--set", "days=2",
			"--set", "diagnosis.first_day=1", "--set", "diagnosis.daily_fraction=0.05"},
		{"sweep", sweep, "--out", out("shards"), "--shard", "1/2", "--set", "sweep.replicates=1", "--set", "days=2",
			"--set", "diagnosis.first_day=1", "--set", "diagnosis.daily_fraction=0.05"},
		{"sweep", sweep, "--out", out("shards"), "--shard", "2/2", "--set", "sweep.replicates=1", "--set", "days=2",
			"--set", "diagnosis.first_day=1", "--set", "diagnosis.daily_fraction=0.05"},
		{"merge", out("shards"), "--out", out("merged")},
		{"target", "testdata/target_tiny.yaml", "--goal", "coverage>=0.02", "--arm", "gaen-40",
			"--replicates", "1", "--tolerance", "0.2", "--out", out("target")},
		{"radio", "--from", "1", "--to", "2", "--samples", "20", "--plot", filepath.Join(out("radio"), "radio.png")},
		{"radio", "--from", "1", "--to", "2", "--samples", "20", "--plot", filepath.Join(out("radio"), "radio.svg")},
	} {
		if args[0] == "radio" {
			os.MkdirAll(out("radio"), 0o755)
		}
		// Run twice: the second run replaces every file, as rerunning
		// into the same --out does.
		for range 2 {
			if got := runCLI(t, args...); got.code != 0 && got.code != exitThreshold {
				t.Fatalf("bluesim %s: exit %d\n%s", strings.Join(args, " "), got.code, got.stderr)
			}
		}
	}
	for _, dir := range []string{"run", "sweep", "shards", "merged", "target", "radio"} {
		files := checkModes(t, out(dir), nil, nil)
		if len(files) < 2 {
			t.Errorf("%s: only %v written", dir, files)
		}
	}

	// serve --dev generates the key files; loadtest sends to it and
	// writes its report.
	data := out("keyserver")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--dev", "--data", data, "--listen", "127.0.0.1:0", "--export-period", "1h"}, &stdout, &stderr)
	}()
	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)`)
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == "" && time.Now().Before(deadline); {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve stopped: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("serve did not start:\n%s%s", stdout.String(), stderr.String())
	}
	report := filepath.Join(out("loadtest"), "report.json")
	os.MkdirAll(out("loadtest"), 0o755)
	for _, format := range []string{"json", "text"} {
		got := runCLI(t, "loadtest", "--target", url, "--data", data, "--rate", "50", "--duration", "200ms",
			"--mix", "publish=1,index=1", "--format", format, "--output", report)
		if got.code != 0 {
			t.Errorf("loadtest --format %s: exit %d\n%s", format, got.code, got.stderr)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	checkModes(t, out("loadtest"), nil, nil)
	private := map[string]bool{keyserver.DevTokenKeyFile: true, keyserver.DevExportKeyFile: true, keyserver.RevisionKeyFile: true}
	// The database is SQLite's own files, not bluesim's outputs.
	db := map[string]bool{}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		db[sqlite.FileName+suffix] = true
	}
	keys := checkModes(t, data, private, db)
	for _, k := range []string{keyserver.DevTokenKeyFile, keyserver.DevTokenPublicFile, keyserver.DevExportKeyFile, keyserver.DevExportPublicFile} {
		if _, err := os.Stat(filepath.Join(data, k)); err != nil {
			t.Errorf("serve --dev wrote no %s (wrote %v)", k, keys)
		}
	}
}
