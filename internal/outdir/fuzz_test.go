package outdir

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadListing: whatever a listing file holds, readListing never
// panics and trusts only clean paths inside the folder, and only from a
// listing that names itself (or a known older format).
func FuzzReadListing(f *testing.F) {
	f.Add([]byte(summaryA))
	f.Add([]byte(`{"format": "bluesim-run/1", "tables": ["tables/a.csv"], "plots": ["../x"]}`))
	f.Add([]byte(`{"files": ["summary.json", "../../etc/passwd", "/abs", "a/./b", "c\\d"]}`))
	f.Add([]byte(`{"format": "bluesim-sweep/1"}`))
	f.Add([]byte(`{"goal": "coverage>=0.1"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(dir, "summary.json")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files, ok := readListing(file, "summary.json")
		if !ok && files != nil {
			t.Fatalf("not a listing, yet files %q", files)
		}
		for _, p := range files {
			if p == "" || path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." || strings.Contains(p, `\`) {
				t.Fatalf("trusted path %q", p)
			}
		}
	})
}
