package gaen

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzReadExportIndex: an index that reads back writes, and reads again, as
// its lines sorted with duplicates dropped (what WriteExportIndex writes).
func FuzzReadExportIndex(f *testing.F) {
	f.Add([]byte("v1/exports/1600000000-1600003600-00001.zip\nv1/exports/1600003600-1600007200-00001.zip\n"))
	f.Add([]byte(""))
	f.Add([]byte("\n\n"))
	f.Add([]byte("a b\r\n"))
	f.Add([]byte("../../etc/passwd\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := ReadExportIndex(bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteExportIndex(&buf, names); err != nil {
			t.Fatalf("names read from %q do not write back: %v", data, err)
		}
		again, err := ReadExportIndex(&buf)
		want := slices.Compact(slices.Sorted(slices.Values(names)))
		if err != nil || !slices.Equal(again, want) {
			t.Fatalf("round trip of %q: %q, %v; want %q", names, again, err, want)
		}
	})
}

// FuzzParseExportObjectName: a parsed name is rebuilt exactly by
// ExportObjectName.
func FuzzParseExportObjectName(f *testing.F) {
	f.Add("v1/exports/1600000000-1600003600-00001.zip")
	f.Add("1-2-00001.zip")
	f.Add("v1/exports/2-1-00001.zip")
	f.Add("v1/exports/1-2-1.zip")
	f.Add("v1/exports/18446744073709551616-1-00001.zip")
	f.Fuzz(func(t *testing.T, name string) {
		root, start, end, n, err := ParseExportObjectName(name)
		if err != nil {
			return
		}
		if back := ExportObjectName(root, start, end, n); back != name {
			t.Fatalf("%q parsed as (%q, %d, %d, %d), which names %q", name, root, start, end, n, back)
		}
	})
}
