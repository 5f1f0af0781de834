package gaen

import (
	"bytes"
	"testing"
)

// FuzzReadExportIndex: an index that reads back writes as the same lines.
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
		if err != nil || len(again) != len(names) {
			t.Fatalf("round trip of %q: %v, %v", names, again, err)
		}
		for i := range names {
			if again[i] != names[i] {
				t.Fatalf("round trip of %q: %q", names, again)
			}
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
