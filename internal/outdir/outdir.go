package outdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Listings are the files by which bluesim knows a folder it wrote: a JSON
// object whose "files" key names every file of the folder, relative to it
// with forward slashes, the listing itself included.
var Listings = []string{"summary.json", "manifest.json", "target.json"}

// legacy lists what a listing written before the "files" key named, by
// its listing file: summary.json's "tables" and "plots" plus these.
var legacy = map[string][]string{
	"summary.json": {"summary.json", "scenario.yaml", "report.html"},
	"manifest.json": {"manifest.json", "tables/sweep_runs.csv", "tables/sweep_runs.parquet",
		"tables/sweep_summary.csv", "tables/sweep_summary.parquet"},
	"target.json": {"target.json", "tables/target_probes.csv", "tables/target_probes.parquet",
		"tables/target_points.csv", "tables/target_points.parquet", "plots/target_curve.png", "plots/target_curve.svg"},
}

// Folder is an output folder that Prepare accepted.
type Folder struct {
	// Dir is the folder.
	Dir string
	// Previous are the files of the earlier output found there (relative,
	// slash-separated, sorted); Finish removes those the new one does not
	// list.
	Previous []string
	// Foreign are the entries bluesim did not write (relative, sorted),
	// accepted because force was set; Finish removes them.
	Foreign []string
	force   bool
}

// ForeignError is Prepare's refusal of a folder holding files that bluesim
// did not write.
type ForeignError struct {
	Dir   string
	Files []string
}

func (e *ForeignError) Error() string {
	shown := e.Files
	more := ""
	if len(shown) > 5 {
		more = fmt.Sprintf(", and %d more", len(shown)-5)
		shown = shown[:5]
	}
	return fmt.Sprintf("the folder holds files bluesim did not write (%s%s): choose a new or empty folder, "+
		"or give --force to replace what it holds", strings.Join(shown, ", "), more)
}

// Prepare checks dir before a command writes into it: that it can be
// created and written, and that it holds nothing but an earlier bluesim
// output, unless force is set. It creates nothing. Its messages speak of
// "the folder" ("cannot write in it: permission denied"): the caller
// names it.
func Prepare(dir string, force bool) (*Folder, error) {
	if dir == "" {
		return nil, errors.New("no folder given")
	}
	if err := probe(dir); err != nil {
		return nil, err
	}
	f := &Folder{Dir: dir}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, errors.New("it is a file, not a folder")
	}
	known := map[string]bool{}
	for _, name := range Listings {
		files, ok := readListing(filepath.Join(dir, name), name)
		if !ok {
			continue
		}
		for _, p := range files {
			known[p] = true
		}
	}
	var foreign []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case known[rel] && d.Type().IsRegular():
			f.Previous = append(f.Previous, rel)
		case leftover(rel, known) && d.Type().IsRegular():
			// A temporary file an interrupted write left (internal/atomicfile).
			f.Previous = append(f.Previous, rel)
		default:
			foreign = append(foreign, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading it: %v", unwrapPath(err))
	}
	if len(foreign) == 0 {
		return f, nil
	}
	if !force {
		return nil, &ForeignError{Dir: dir, Files: foreign}
	}
	if err := checkReplaceable(dir); err != nil {
		return nil, err
	}
	f.Foreign, f.force = foreign, true
	return f, nil
}

// probe checks that dir can be created and written: it creates and removes
// a temporary folder in dir, or in its nearest existing parent.
func probe(dir string) error {
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				if p == filepath.Clean(dir) {
					return errors.New("it is a file, not a folder")
				}
				return fmt.Errorf("cannot create it: %s is a file, not a folder", p)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return fmt.Errorf("cannot create it: %v", err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return errors.New("cannot create it: no part of the path exists")
		}
		p = parent
	}
	tmp, err := os.MkdirTemp(p, ".bluesim-probe-")
	if err != nil {
		if p == filepath.Clean(dir) {
			return fmt.Errorf("cannot write in it: %v", unwrapPath(err))
		}
		return fmt.Errorf("cannot create it: cannot write in %s: %v", p, unwrapPath(err))
	}
	return os.Remove(tmp)
}

// unwrapPath returns the reason of a path error without the path and
// operation, which the caller's message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkReplaceable refuses to replace the contents of a folder that holds
// the current one, or of the home folder or a file system's root.
func checkReplaceable(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(abs, wd); err == nil && (rel == "." || !strings.HasPrefix(rel, "..")) {
			return errors.New("--force would delete the files of a folder that holds the current one: choose a folder of its own for the outputs")
		}
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.Clean(home) == abs {
		return errors.New("--force would delete the files of the home folder: choose a folder of its own for the outputs")
	}
	if filepath.Dir(abs) == abs {
		return errors.New("--force would delete the files of a file system's root: choose a folder of its own for the outputs")
	}
	return nil
}

// readListing returns the files a listing file names, clean relative
// paths only; ok is false when the file is missing or not bluesim's.
func readListing(file, name string) (files []string, ok bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	var l struct {
		Format *string   `json:"format"`
		Goal   *string   `json:"goal"`
		Files  *[]string `json:"files"`
		Tables []string  `json:"tables"`
		Plots  []string  `json:"plots"`
	}
	if json.Unmarshal(b, &l) != nil {
		return nil, false
	}
	switch {
	case l.Files != nil:
		files = *l.Files
		if !slices.Contains(files, name) {
			return nil, false // not a listing of its own folder
		}
	case name == "summary.json" && l.Format != nil && *l.Format == "bluesim-run/1":
		files = append(append(slices.Clone(legacy[name]), l.Tables...), l.Plots...)
	case name == "summary.json" && l.Format != nil && *l.Format == "bluesim-sweep-summary/1":
		// A whole sweep's report: its summary lists its tables and plots.
		files = append(append([]string{"summary.json", "report.html"}, l.Tables...), l.Plots...)
	case name == "manifest.json" && l.Format != nil && (*l.Format == "bluesim-sweep/1" || *l.Format == "bluesim-sweep/2"):
		files = legacy[name]
	case name == "target.json" && l.Goal != nil:
		files = legacy[name]
	default:
		return nil, false
	}
	var out []string
	for _, p := range files {
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, `\`) {
			continue
		}
		out = append(out, p)
	}
	return out, true
}

// leftover reports whether rel is a temporary file that internal/atomicfile
// writes beside a known file: "." + its name + a random number.
func leftover(rel string, known map[string]bool) bool {
	dir, base := path.Split(rel)
	if !strings.HasPrefix(base, ".") {
		return false
	}
	stem := strings.TrimRight(base[1:], "0123456789")
	if stem == base[1:] || stem == "" {
		return false
	}
	return known[dir+stem] || slices.Contains(Listings, dir+stem)
}

// Finish removes what the folder held before that the new output, listed
// in files (relative, slash-separated), does not name: the earlier
// output's files and, with force, the foreign ones; then the folders
// that are left empty. Call it once the new listing is written.
func (f *Folder) Finish(files []string) error {
	keep := map[string]bool{}
	for _, p := range files {
		keep[p] = true
	}
	var errs []error
	dirs := map[string]bool{}
	for _, group := range [][]string{f.Previous, f.Foreign} {
		for _, p := range group {
			if keep[p] {
				continue
			}
			if err := os.RemoveAll(filepath.Join(f.Dir, filepath.FromSlash(p))); err != nil {
				errs = append(errs, err)
			}
			for d := path.Dir(p); d != "."; d = path.Dir(d) {
				dirs[d] = true
			}
		}
	}
	if f.force {
		// Replacing the folder: its empty subfolders go too.
		_ = filepath.WalkDir(f.Dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != f.Dir {
				if rel, err := filepath.Rel(f.Dir, p); err == nil {
					dirs[filepath.ToSlash(rel)] = true
				}
			}
			return nil
		})
	}
	// Deepest first, so that a parent is tried after its children.
	order := make([]string, 0, len(dirs))
	for d := range dirs {
		order = append(order, d)
	}
	slices.SortFunc(order, func(a, b string) int {
		if c := strings.Count(b, "/") - strings.Count(a, "/"); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for _, d := range order {
		full := filepath.Join(f.Dir, filepath.FromSlash(d))
		if es, err := os.ReadDir(full); err == nil && len(es) == 0 {
			if err := os.Remove(full); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing the earlier files of %s: %w", f.Dir, err)
	}
	return nil
}
