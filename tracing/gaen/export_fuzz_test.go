package gaen

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzReadExportZip feeds arbitrary bytes to the export reader. It must
// never panic, every error must wrap one of the package's sentinel errors,
// and whatever it accepts must be a valid batch that writes and reads back
// unchanged. Signatures stop random input early, so each input is also fed
// past the signature check, to the zip, export.bin and export.sig decoders.
// Seeds: the golden file and variants of it. Run with
//
//	go test ./tracing/gaen -run '^$' -fuzz FuzzReadExportZip -fuzztime 1m
func FuzzReadExportZip(f *testing.F) {
	golden := exportReadFile(f, exportGoldenZip)
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	s, pub := testExportSigner(f)
	entries := exportZipEntries(f, golden)
	f.Add(exportRezip(f, entries[0]))
	f.Add(exportRezip(f, entries[0], entries[1], entries[1]))
	f.Add([]byte(entries[0][1])) // a bare export.bin
	f.Add([]byte{})

	sentinels := []error{ErrExportFormat, ErrExportTooLarge, ErrExportUnsigned, ErrExportSignature}
	wraps := func(err error) bool {
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := exportReadZip(data, pub)
		if err != nil {
			if !wraps(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
		} else {
			if err := b.Validate(); err != nil {
				t.Fatalf("accepted an invalid batch: %v", err)
			}
			again, err := exportReadZip(exportWriteZip(t, b, s), pub)
			if err != nil {
				t.Fatal(err)
			}
			b.Keys, b.RevisedKeys = sortedCopy(b.Keys), sortedCopy(b.RevisedKeys)
			b.SignatureInfos = again.SignatureInfos
			if !reflect.DeepEqual(again, b) {
				t.Fatalf("rewrite changed the batch:\n%+v\n%+v", b, again)
			}
		}
		// Past the signature: the decoders on their own.
		for _, in := range [][]byte{data, append([]byte(ExportHeader), data...)} {
			if b, err := parseExportBin(in); err == nil {
				if err := b.Validate(); err != nil {
					t.Fatalf("parseExportBin accepted an invalid batch: %v", err)
				}
			} else if !wraps(err) {
				t.Fatalf("parseExportBin error wraps no sentinel: %v", err)
			}
			if _, err := verifyExportSig(in, golden, pub); err != nil && !wraps(err) {
				t.Fatalf("verifyExportSig error wraps no sentinel: %v", err)
			}
		}
		if bin, sig, err := readExportZipEntries(bytes.NewReader(data), int64(len(data)), 1<<20); err == nil {
			if _, err := parseExportBin(bin); err != nil && !wraps(err) {
				t.Fatal(err)
			}
			if _, err := verifyExportSig(sig, bin, pub); err != nil && !wraps(err) {
				t.Fatal(err)
			}
		} else if !wraps(err) {
			t.Fatalf("readExportZipEntries error wraps no sentinel: %v", err)
		}
	})
}
