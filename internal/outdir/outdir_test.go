package outdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// write creates the files of a folder: path -> content.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// list returns every file under dir, relative and slash-separated, sorted,
// and every empty folder with a trailing slash.
func list(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if es, _ := os.ReadDir(p); len(es) == 0 {
				out = append(out, rel+"/")
			}
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

const summaryA = `{"format": "bluesim-run/1", "files": ["plots/a.png", "report.html", "summary.json", "tables/a.csv", "tables/old.csv"]}`

// TestPrepareAndFinish: what Prepare accepts and refuses, and that after
// Finish the folder holds exactly the new listing's files.
func TestPrepareAndFinish(t *testing.T) {
	for _, tc := range []struct {
		name     string
		before   map[string]string
		force    bool
		wantErr  string   // substring; "" means accepted
		previous []string // Folder.Previous
		foreign  []string // Folder.Foreign
		after    []string // the folder after Finish(newFiles), the new files written
	}{
		{name: "new folder"},
		{name: "empty folder", before: map[string]string{}},
		{
			name:     "earlier run",
			before:   map[string]string{"summary.json": summaryA, "tables/a.csv": "", "tables/old.csv": "", "plots/a.png": "", "report.html": ""},
			previous: []string{"plots/a.png", "report.html", "summary.json", "tables/a.csv", "tables/old.csv"},
			after:    []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"},
		},
		{
			name: "earlier run with a temporary file an interrupted write left",
			before: map[string]string{"summary.json": summaryA, "tables/a.csv": "",
				"tables/.old.csv123456": "", ".summary.json987": ""},
			previous: []string{".summary.json987", "summary.json", "tables/.old.csv123456", "tables/a.csv"},
			after:    []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"},
		},
		{
			name: "earlier run before the files key",
			before: map[string]string{"summary.json": `{"format": "bluesim-run/1", "tables": ["tables/a.csv"], "plots": ["plots/a.png"]}`,
				"tables/a.csv": "", "plots/a.png": "", "scenario.yaml": ""},
			previous: []string{"plots/a.png", "scenario.yaml", "summary.json", "tables/a.csv"},
			after:    []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"},
		},
		{
			name: "earlier sweep",
			before: map[string]string{"manifest.json": `{"format": "bluesim-sweep/1", "files": ["manifest.json", "tables/sweep_runs.csv"]}`,
				"tables/sweep_runs.csv": ""},
			previous: []string{"manifest.json", "tables/sweep_runs.csv"},
			after:    []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"},
		},
		{
			name: "earlier whole sweep with its report, before the files key",
			before: map[string]string{"manifest.json": `{"format": "bluesim-sweep/2"}`,
				"summary.json":          `{"format": "bluesim-sweep-summary/1", "tables": ["tables/sweep_runs.csv"], "plots": ["plots/c.png"]}`,
				"tables/sweep_runs.csv": "", "plots/c.png": "", "report.html": ""},
			previous: []string{"manifest.json", "plots/c.png", "report.html", "summary.json", "tables/sweep_runs.csv"},
			after:    []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"},
		},
		{
			name:    "a file bluesim did not write",
			before:  map[string]string{"summary.json": summaryA, "tables/a.csv": "", "notes.txt": "mine"},
			wantErr: "the folder holds files bluesim did not write (notes.txt): choose a new or empty folder, or give --force",
		},
		{
			name:    "a user's scenario file",
			before:  map[string]string{"scenario.yaml": "name: mine\n"},
			wantErr: "did not write (scenario.yaml)",
		},
		{
			name:    "many foreign files",
			before:  map[string]string{"a": "", "b": "", "c": "", "d": "", "e": "", "f": "", "g/h": ""},
			wantErr: "(a, b, c, d, e, and 2 more)",
		},
		{
			name:    "a listing that does not list itself is not bluesim's",
			before:  map[string]string{"summary.json": `{"files": ["x.csv"]}`, "x.csv": ""},
			wantErr: "(summary.json, x.csv)",
		},
		{
			name:    "a listing naming files outside the folder is not trusted for them",
			before:  map[string]string{"summary.json": `{"files": ["summary.json", "../x", "/etc/passwd", "a/../b"]}`, "b": ""},
			wantErr: "(b)",
		},
		{
			name:    "not JSON",
			before:  map[string]string{"summary.json": `not json`},
			wantErr: "(summary.json)",
		},
		{
			name:     "force replaces a folder",
			before:   map[string]string{"summary.json": summaryA, "tables/a.csv": "", "notes.txt": "", "data/x/y.csv": ""},
			force:    true,
			previous: []string{"summary.json", "tables/a.csv"},
			foreign:  []string{"data/x/y.csv", "notes.txt"},
			after:    []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if tc.before != nil {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				write(t, dir, tc.before)
			}
			f, err := Prepare(dir, tc.force)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Prepare: %v, want an error with %q", err, tc.wantErr)
				}
				var fe *ForeignError
				if !errors.As(err, &fe) {
					t.Errorf("error %T, want *ForeignError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if tc.before == nil {
				if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Prepare created the folder (or a probe in it): %v", err)
				}
			}
			if !slices.Equal(f.Previous, tc.previous) || !slices.Equal(f.Foreign, tc.foreign) {
				t.Errorf("previous %q, foreign %q; want %q, %q", f.Previous, f.Foreign, tc.previous, tc.foreign)
			}
			newFiles := []string{"report.html", "summary.json", "tables/a.csv", "tables/new.csv"}
			write(t, dir, map[string]string{"report.html": "", "summary.json": "{}", "tables/a.csv": "", "tables/new.csv": ""})
			if err := f.Finish(newFiles); err != nil {
				t.Fatal(err)
			}
			if got := list(t, dir); !slices.Equal(got, newFiles) {
				t.Errorf("after Finish the folder holds %q, want %q", got, newFiles)
			}
		})
	}
}

// TestPrepareUnwritable: a folder that cannot be created or written is
// refused before anything is written, with the reason.
func TestPrepareUnwritable(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ dir, want string }{
		{file, "it is a file, not a folder"},
		{filepath.Join(file, "sub", "out"), "cannot create it: " + file + " is a file, not a folder"},
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(tmp, "readonly")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			struct{ dir, want string }{filepath.Join(ro, "out"), "cannot create it: cannot write in " + ro + ": permission denied"},
			struct{ dir, want string }{ro, "cannot write in it: permission denied"})
	}
	if fi, err := os.Stat("/proc/self"); err == nil && fi.IsDir() {
		// Not even root can make a folder in /proc.
		cases = append(cases, struct{ dir, want string }{"/proc/bluesim-out", "cannot create it: cannot write in /proc"})
	}
	for _, tc := range cases {
		_, err := Prepare(tc.dir, false)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Prepare(%s): %v, want an error with %q", tc.dir, err, tc.want)
		}
	}
}

// TestForceGuards: --force never empties the current folder, a folder
// holding it, or the home folder.
func TestForceGuards(t *testing.T) {
	tmp := t.TempDir()
	inner := filepath.Join(tmp, "work")
	write(t, inner, map[string]string{"mine.txt": ""})
	t.Chdir(inner)
	for _, dir := range []string{".", inner, tmp} {
		if _, err := Prepare(dir, true); err == nil || !strings.Contains(err.Error(), "holds the current one") {
			t.Errorf("Prepare(%s, force): %v, want a refusal", dir, err)
		}
	}
	home := filepath.Join(tmp, "home")
	write(t, home, map[string]string{"mine.txt": ""})
	t.Setenv("HOME", home)
	if _, err := Prepare(home, true); err == nil || !strings.Contains(err.Error(), "home folder") {
		t.Errorf("Prepare(home, force): %v, want a refusal", err)
	}
}
