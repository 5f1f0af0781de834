//go:build !windows

package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// names lists the entries of dir.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// failAfter writes n bytes, then fails, as a full disk or a bug would.
func failAfter(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("x"), n)); err != nil {
			return err
		}
		return errors.New("writer failed")
	}
}

func TestWriteModes(t *testing.T) {
	// A restrictive umask must not change the modes: they are explicit.
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	for _, tc := range []struct {
		name     string
		existing os.FileMode // mode of a file already at the path; 0: none
		perm     os.FileMode
	}{
		{"new output", 0, Output},
		{"new private key", 0, Private},
		{"output over a private file", 0o600, Output},
		{"private key over a public file", 0o644, Private},
		{"output over an executable", 0o755, Output},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if tc.existing != 0 {
				if err := os.WriteFile(path, []byte("old"), tc.existing); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.existing); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteBytes(path, []byte("new"), tc.perm); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != tc.perm {
				t.Errorf("mode %v, want %v", fi.Mode(), tc.perm)
			}
			if b, _ := os.ReadFile(path); string(b) != "new" {
				t.Errorf("content %q", b)
			}
			if n := names(t, dir); len(n) != 1 {
				t.Errorf("folder holds %v", n)
			}
		})
	}
}

func TestWriteErrorsKeepTheOldFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		path   func(dir string) string
		perm   os.FileMode
		write  func(io.Writer) error
		expect string
	}{
		{"writer fails", func(d string) string { return filepath.Join(d, "a.csv") }, Output, failAfter(1 << 16), "writer failed"},
		{"writer fails at once", func(d string) string { return filepath.Join(d, "a.csv") }, Output, failAfter(0), "writer failed"},
		{"not a mode", func(d string) string { return filepath.Join(d, "a.csv") }, os.ModeDir | 0o755, failAfter(0), "not a set of permission bits"},
		{"no folder", func(d string) string { return filepath.Join(d, "missing", "a.csv") }, Output, failAfter(0), "no such file"},
		{"target is a folder", func(d string) string { return filepath.Join(d, "sub") }, Output,
			func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }, "sub"},
		{"no name", func(string) string { return "" }, Output, failAfter(0), "not a file name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			old := filepath.Join(dir, "a.csv")
			if err := WriteBytes(old, []byte("old\n"), Output); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "sub", "x"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			path := tc.path(dir)
			err := Write(path, tc.perm, tc.write)
			if err == nil || !strings.Contains(err.Error(), tc.expect) {
				t.Fatalf("error %v, want one saying %q", err, tc.expect)
			}
			if path != "" && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if b, _ := os.ReadFile(old); string(b) != "old\n" {
				t.Errorf("old file now holds %q", b)
			}
			if n := names(t, dir); strings.Join(n, " ") != "a.csv sub" {
				t.Errorf("folder holds %v, want the old file and the folder only", n)
			}
		})
	}
}

// TestConcurrentWriters: writers of one path never clobber each other's
// temporary file, a reader only ever sees one whole version, and nothing
// is left behind.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	const writers, rounds, size = 4, 25, 64 << 10
	version := func(w, r int) []byte {
		head := fmt.Sprintf("writer %d round %d\n", w, r)
		return append([]byte(head), bytes.Repeat([]byte{byte('a' + w)}, size-len(head))...)
	}
	whole := func(b []byte) error {
		var w, r int
		if _, err := fmt.Sscanf(string(b), "writer %d round %d\n", &w, &r); err != nil {
			return fmt.Errorf("no header: %q", b[:min(len(b), 40)])
		}
		if !bytes.Equal(b, version(w, r)) {
			return fmt.Errorf("%d bytes, not writer %d's round %d whole", len(b), w, r)
		}
		return nil
	}
	stop := make(chan struct{})
	readerDone := make(chan error, 1)
	go func() {
		reads := 0
		for {
			select {
			case <-stop:
				if reads == 0 {
					readerDone <- errors.New("the reader never read the file")
					return
				}
				readerDone <- nil
				return
			default:
			}
			b, err := os.ReadFile(path)
			if errors.Is(err, os.ErrNotExist) {
				runtime.Gosched()
				continue
			}
			if err == nil {
				err = whole(b)
			}
			if err != nil {
				readerDone <- err
				return
			}
			reads++
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				data := version(w, r)
				// Write in pieces, yielding between them, so that the
				// writers' temporary files exist at the same time.
				err := Write(path, Output, func(out io.Writer) error {
					for off := 0; off < len(data); off += 4096 {
						if _, err := out.Write(data[off:min(off+4096, len(data))]); err != nil {
							return err
						}
						runtime.Gosched()
					}
					return nil
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-readerDone; err != nil {
		t.Error(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := whole(b); err != nil {
		t.Error(err)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("folder holds %v, want report.json alone", n)
	}
}

func BenchmarkWriteBytes(b *testing.B) {
	dir := b.TempDir()
	data := bytes.Repeat([]byte("bluesim,"), 16<<10/8)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := WriteBytes(filepath.Join(dir, "t.csv"), data, Output); err != nil {
			b.Fatal(err)
		}
	}
}
