package gaen

import (
	"archive/zip"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen/exportpb"
)

// The -update flag may also be defined by another test file of this
// package; define it in init (which runs after every package-level variable)
// only when nobody has, so the two never collide.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata/")
	}
}

func exportUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

const (
	exportGoldenZip = "testdata/export_golden.zip"
	exportKeyPKCS8  = "testdata/export_key_pkcs8.pem"
	exportKeyPub    = "testdata/export_key_pub.pem"
)

func exportReadFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// testExportSigner is the signer of the golden file: the openssl-generated
// P-256 key in testdata.
func testExportSigner(t testing.TB) (ExportSigner, *ecdsa.PublicKey) {
	t.Helper()
	priv, err := SignatureKeyFromPEM(exportReadFile(t, exportKeyPKCS8))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := SignaturePublicKeyFromPEM(exportReadFile(t, exportKeyPub))
	if err != nil {
		t.Fatal(err)
	}
	return ExportSigner{Key: priv, KeyVersion: "v1", KeyID: "452"}, pub
}

func exportHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testExportBatch is a small batch covering every field: default and short
// rolling periods, every report type, onset absent, negative and positive.
// The first key is the TEK of the EN test vectors (protocols.md section 2.1).
func testExportBatch(t testing.TB) ExportBatch {
	return ExportBatch{
		StartTimestamp: 1585785600,
		EndTimestamp:   1585872000,
		Region:         "452",
		BatchNum:       1,
		BatchSize:      1,
		Keys: []ExportKey{
			{KeyData: exportHex(t, "75c734c6dd1a782de7a965da5eb93125"), RollingStartIntervalNumber: 2642976, RollingPeriod: 144,
				ReportType: ExportReportConfirmedTest, DaysSinceOnsetOfSymptoms: 2, HasDaysSinceOnset: true, TransmissionRiskLevel: 6},
			{KeyData: exportHex(t, "00112233445566778899aabbccddeeff"), RollingStartIntervalNumber: 2642832, RollingPeriod: 144,
				ReportType: ExportReportConfirmedClinicalDiagnosis, DaysSinceOnsetOfSymptoms: -3, HasDaysSinceOnset: true},
			{KeyData: exportHex(t, "ffeeddccbbaa99887766554433221100"), RollingStartIntervalNumber: 2643120, RollingPeriod: 72,
				ReportType: ExportReportSelfReport},
			{KeyData: exportHex(t, "0102030405060708090a0b0c0d0e0f10"), RollingStartIntervalNumber: 2642688, RollingPeriod: 1,
				ReportType: ExportReportRecursive, TransmissionRiskLevel: 8},
			{KeyData: exportHex(t, "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"), RollingStartIntervalNumber: 2642976, RollingPeriod: 144},
		},
		RevisedKeys: []ExportKey{
			{KeyData: exportHex(t, "deadbeefdeadbeefdeadbeefdeadbeef"), RollingStartIntervalNumber: 2642544, RollingPeriod: 144,
				ReportType: ExportReportRevoked, DaysSinceOnsetOfSymptoms: 0, HasDaysSinceOnset: true},
		},
	}
}

// exportSortedBatch is what reading a written batch gives back.
func exportSortedBatch(b ExportBatch, s ExportSigner) ExportBatch {
	b.Keys, b.RevisedKeys = sortedCopy(b.Keys), sortedCopy(b.RevisedKeys)
	b.SignatureInfos = []ExportSignatureInfo{s.Info()}
	return b
}

func exportWriteZip(t testing.TB, b ExportBatch, s ExportSigner) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteExportZip(&buf, b, s); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func exportReadZip(data []byte, pub *ecdsa.PublicKey) (ExportBatch, error) {
	return ReadExportZip(bytes.NewReader(data), int64(len(data)), pub)
}

// exportZipEntries returns the uncompressed entries of a zip, in order.
func exportZipEntries(t testing.TB, data []byte) [][2]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, f := range zr.File {
		b, err := readZipEntry(f, ExportMaxEntryBytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{f.Name, string(b)})
	}
	return out
}

func exportRezip(t testing.TB, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeExportZipEntries(&buf, entries...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExportRoundTrip(t *testing.T) {
	s, pub := testExportSigner(t)
	b := testExportBatch(t)
	data := exportWriteZip(t, b, s)
	got, err := exportReadZip(data, pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := exportSortedBatch(b, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, want)
	}
	if !slices.IsSortedFunc(got.Keys, compareExportKeys) {
		t.Error("keys not sorted by key data")
	}
	// The writer must not reorder the caller's slice.
	if !bytes.Equal(b.Keys[0].KeyData, exportHex(t, "75c734c6dd1a782de7a965da5eb93125")) {
		t.Error("WriteExportZip mutated the input keys")
	}
}

func TestExportFileLayout(t *testing.T) {
	s, pub := testExportSigner(t)
	b := testExportBatch(t)
	entries := exportZipEntries(t, exportWriteZip(t, b, s))
	if len(entries) != 2 || entries[0][0] != ExportBinName || entries[1][0] != ExportSigName {
		t.Fatalf("entries %q, want export.bin then export.sig", []string{entries[0][0], entries[1][0]})
	}
	bin, sig := []byte(entries[0][1]), []byte(entries[1][1])
	if got := string(bin[:16]); got != "EK Export v1    " {
		t.Fatalf("header %q", got)
	}
	// Decode with the generated messages directly: field numbers on the wire.
	var msg exportpb.TemporaryExposureKeyExport
	if err := proto.Unmarshal(bin[16:], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.GetStartTimestamp() != b.StartTimestamp || msg.GetRegion() != "452" || len(msg.GetKeys()) != 5 || len(msg.GetRevisedKeys()) != 1 {
		t.Fatalf("body %v", &msg)
	}
	if si := msg.GetSignatureInfos(); len(si) != 1 || si[0].GetSignatureAlgorithm() != "1.2.840.10045.4.3.2" ||
		si[0].GetVerificationKeyId() != "452" || si[0].GetVerificationKeyVersion() != "v1" {
		t.Fatalf("signature_infos %v", si)
	}
	var list exportpb.TEKSignatureList
	if err := proto.Unmarshal(sig, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Signatures) != 1 || list.Signatures[0].GetBatchNum() != 1 || list.Signatures[0].GetBatchSize() != 1 {
		t.Fatalf("signature list %v", &list)
	}
	// The signature covers every byte of export.bin, header included.
	digest := sha256.Sum256(bin)
	if !ecdsa.VerifyASN1(pub, digest[:], list.Signatures[0].GetSignature()) {
		t.Fatal("signature does not verify over all of export.bin")
	}
	body := sha256.Sum256(bin[16:])
	if ecdsa.VerifyASN1(pub, body[:], list.Signatures[0].GetSignature()) {
		t.Fatal("signature verifies over the body alone")
	}
}

func TestExportDeterministic(t *testing.T) {
	s, pub := testExportSigner(t)
	b := testExportBatch(t)
	a1, a2 := exportWriteZip(t, b, s), exportWriteZip(t, b, s)
	if !bytes.Equal(a1, a2) {
		t.Fatal("deterministic signer gave two different files")
	}
	// Input order does not matter.
	shuffled := b
	shuffled.Keys = slices.Clone(b.Keys)
	slices.Reverse(shuffled.Keys)
	if !bytes.Equal(a1, exportWriteZip(t, shuffled, s)) {
		t.Fatal("key order changed the file")
	}
	rs := s
	rs.Randomized = true
	r1, r2 := exportWriteZip(t, b, rs), exportWriteZip(t, b, rs)
	if bytes.Equal(r1, r2) {
		t.Fatal("randomized signer gave the same signature twice")
	}
	for _, d := range [][]byte{r1, r2} {
		if _, err := exportReadZip(d, pub); err != nil {
			t.Fatalf("randomized signature: %v", err)
		}
	}
}

func TestExportWrongKey(t *testing.T) {
	s, _ := testExportSigner(t)
	data := exportWriteZip(t, testExportBatch(t), s)
	other, err := SignatureKeyFromSeed([]byte("another key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exportReadZip(data, &other.PublicKey); !errors.Is(err, ErrExportSignature) {
		t.Fatalf("wrong key: err %v, want ErrExportSignature", err)
	}
	if _, err := exportReadZip(data, nil); !errors.Is(err, ErrSignatureKey) {
		t.Fatalf("nil key: err %v, want ErrSignatureKey", err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exportReadZip(data, &p384.PublicKey); !errors.Is(err, ErrSignatureKey) {
		t.Fatalf("P-384 key: err %v, want ErrSignatureKey", err)
	}
}

// exportSignedZip builds a zip whose export.sig correctly signs the given
// export.bin bytes, so that the reader's checks after verification can be
// tested on content the writer would refuse to produce.
func exportSignedZip(t testing.TB, s ExportSigner, bin []byte, batchNum, batchSize int32) []byte {
	t.Helper()
	sig, err := marshalExportSig(ExportBatch{BatchNum: batchNum, BatchSize: batchSize}, bin, s)
	if err != nil {
		t.Fatal(err)
	}
	return exportRezip(t, [2]string{ExportBinName, string(bin)}, [2]string{ExportSigName, string(sig)})
}

func exportMarshalBody(t testing.TB, msg *exportpb.TemporaryExposureKeyExport) []byte {
	t.Helper()
	body, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(ExportHeader), body...)
}

func exportValidBody(t testing.TB) *exportpb.TemporaryExposureKeyExport {
	return &exportpb.TemporaryExposureKeyExport{
		StartTimestamp: proto.Uint64(100), EndTimestamp: proto.Uint64(200), Region: proto.String("452"),
		BatchNum: proto.Int32(1), BatchSize: proto.Int32(1),
		Keys: []*exportpb.TemporaryExposureKey{{KeyData: make([]byte, 16), RollingStartIntervalNumber: proto.Int32(2642976)}},
	}
}

func TestReadExportZipErrors(t *testing.T) {
	s, pub := testExportSigner(t)
	good := exportWriteZip(t, testExportBatch(t), s)
	entries := exportZipEntries(t, good)
	bin, sig := entries[0], entries[1]

	withKey := func(mut func(*exportpb.TemporaryExposureKey)) []byte {
		msg := exportValidBody(t)
		mut(msg.Keys[0])
		return exportSignedZip(t, s, exportMarshalBody(t, msg), 1, 1)
	}
	withBody := func(mut func(*exportpb.TemporaryExposureKeyExport)) []byte {
		msg := exportValidBody(t)
		mut(msg)
		return exportSignedZip(t, s, exportMarshalBody(t, msg), msg.GetBatchNum(), msg.GetBatchSize())
	}
	flipped := []byte(sig[1])
	flipped[len(flipped)-3] ^= 1 // inside the DER signature's s
	tamperedBin := []byte(bin[1])
	tamperedBin[20] ^= 1

	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrExportFormat},
		{"not a zip", []byte("EK Export v1    hello"), ErrExportFormat},
		{"truncated half", good[:len(good)/2], ErrExportFormat},
		{"truncated end", good[:len(good)-1], ErrExportFormat},
		{"missing export.sig", exportRezip(t, bin), ErrExportUnsigned},
		{"missing export.bin", exportRezip(t, sig), ErrExportFormat},
		{"extra entry", exportRezip(t, bin, sig, [2]string{"README", "x"}), ErrExportFormat},
		{"duplicate export.bin", exportRezip(t, bin, sig, bin), ErrExportFormat},
		{"duplicate export.sig", exportRezip(t, bin, sig, sig), ErrExportFormat},
		{"directory entry", exportRezip(t, bin, sig, [2]string{"dir/", ""}), ErrExportFormat},
		{"empty signature list", exportRezip(t, bin, [2]string{ExportSigName, ""}), ErrExportUnsigned},
		{"garbage export.sig", exportRezip(t, bin, [2]string{ExportSigName, "\xff\xff\xff"}), ErrExportFormat},
		{"bad signature", exportRezip(t, bin, [2]string{ExportSigName, string(flipped)}), ErrExportSignature},
		{"tampered export.bin", exportRezip(t, [2]string{ExportBinName, string(tamperedBin)}, sig), ErrExportSignature},
		{"wrong header", exportSignedZip(t, s, append([]byte("EK Export v2    "), bin[1][16:]...), 1, 1), ErrExportFormat},
		{"short header", exportSignedZip(t, s, []byte("EK Export"), 1, 1), ErrExportFormat},
		{"garbage body", exportSignedZip(t, s, []byte(ExportHeader+"\xff\xff\xff\xff"), 1, 1), ErrExportFormat},
		{"key 15 bytes", withKey(func(k *exportpb.TemporaryExposureKey) { k.KeyData = make([]byte, 15) }), tracing.ErrKeyLength},
		{"key 17 bytes", withKey(func(k *exportpb.TemporaryExposureKey) { k.KeyData = make([]byte, 17) }), tracing.ErrKeyLength},
		{"key absent", withKey(func(k *exportpb.TemporaryExposureKey) { k.KeyData = nil }), tracing.ErrKeyLength},
		{"rolling period 0", withKey(func(k *exportpb.TemporaryExposureKey) { k.RollingPeriod = proto.Int32(0) }), tracing.ErrBadKey},
		{"rolling period 145", withKey(func(k *exportpb.TemporaryExposureKey) { k.RollingPeriod = proto.Int32(145) }), tracing.ErrBadKey},
		{"negative rolling start", withKey(func(k *exportpb.TemporaryExposureKey) { k.RollingStartIntervalNumber = proto.Int32(-1) }), tracing.ErrBadKey},
		{"risk 9", withKey(func(k *exportpb.TemporaryExposureKey) { k.TransmissionRiskLevel = proto.Int32(9) }), tracing.ErrBadKey},
		{"batch 2 of 1", withBody(func(m *exportpb.TemporaryExposureKeyExport) { m.BatchNum = proto.Int32(2) }), ErrExportFormat},
		{"batch absent", withBody(func(m *exportpb.TemporaryExposureKeyExport) { m.BatchNum = nil }), ErrExportFormat},
		{"start after end", withBody(func(m *exportpb.TemporaryExposureKeyExport) { m.StartTimestamp = proto.Uint64(300) }), ErrExportFormat},
		{"11 signature infos", withBody(func(m *exportpb.TemporaryExposureKeyExport) {
			for range 11 {
				m.SignatureInfos = append(m.SignatureInfos, &exportpb.SignatureInfo{})
			}
		}), ErrExportFormat},
		{"signature for another batch", exportSignedZip(t, s, []byte(bin[1]), 1, 2), ErrExportFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exportReadZip(tc.data, pub)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

// TestReadExportZipSizeCaps checks the memory guard: an entry whose header
// declares too much is refused before reading, and one whose header lies is
// cut off at the cap.
func TestReadExportZipSizeCaps(t *testing.T) {
	s, pub := testExportSigner(t)
	entries := exportZipEntries(t, exportWriteZip(t, testExportBatch(t), s))

	// Declared size over the cap: a stored entry with a forged header.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: ExportBinName, Method: zip.Store,
		UncompressedSize64: ExportMaxEntryBytes + 1, CompressedSize64: 4, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("abcd"))
	sw, _ := zw.Create(ExportSigName)
	sw.Write([]byte(entries[1][1]))
	zw.Close()
	if _, err := exportReadZip(buf.Bytes(), pub); !errors.Is(err, ErrExportTooLarge) {
		t.Fatalf("declared oversize: err %v, want ErrExportTooLarge", err)
	}

	// Real content over a (test-sized) cap, header understating it.
	big := exportSignedZip(t, s, append([]byte(ExportHeader), make([]byte, 4096)...), 1, 1)
	_, err = readExportZip(bytes.NewReader(big), int64(len(big)), pub, 1024)
	if !errors.Is(err, ErrExportTooLarge) {
		t.Fatalf("oversize content: err %v, want ErrExportTooLarge", err)
	}
	// A zip whose header claims fewer bytes than the entry holds.
	lying := exportForgeSize(t, big, ExportBinName, 100)
	_, err = readExportZip(bytes.NewReader(lying), int64(len(lying)), pub, 1024)
	if !errors.Is(err, ErrExportFormat) {
		t.Fatalf("lying header: err %v, want ErrExportFormat", err)
	}

	// A deflate bomb of export.sig beyond its cap.
	bomb := exportRezip(t, entries[0], [2]string{ExportSigName, strings.Repeat("\x00", ExportMaxSigBytes+1)})
	if _, err := exportReadZip(bomb, pub); !errors.Is(err, ErrExportTooLarge) {
		t.Fatalf("sig bomb: err %v, want ErrExportTooLarge", err)
	}
}

// exportForgeSize rewrites the uncompressed size of entry name in the central
// directory and local header to n.
func exportForgeSize(t testing.TB, data []byte, name string, n uint32) []byte {
	t.Helper()
	out := slices.Clone(data)
	le := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	for i := 0; i+46 < len(out); i++ {
		switch {
		case bytes.Equal(out[i:i+4], []byte("PK\x01\x02")) && bytes.HasPrefix(out[i+46:], []byte(name)):
			le(out[i+24:], n)
		case bytes.Equal(out[i:i+4], []byte("PK\x03\x04")) && bytes.HasPrefix(out[i+30:], []byte(name)):
			le(out[i+22:], n)
		}
	}
	return out
}

func TestExportGolden(t *testing.T) {
	s, pub := testExportSigner(t)
	b := testExportBatch(t)
	data := exportWriteZip(t, b, s)
	if exportUpdating() {
		if err := os.WriteFile(exportGoldenZip, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := exportReadFile(t, exportGoldenZip)
	got, err := exportReadZip(golden, pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := exportSortedBatch(b, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("golden decodes to\n%+v\nwant\n%+v", got, want)
	}
	// Compare uncompressed entries, not zip bytes, so that a change in the
	// deflate implementation does not break the test; export.bin and the
	// RFC 6979 signature are exact.
	if g, w := exportZipEntries(t, golden), exportZipEntries(t, data); !reflect.DeepEqual(g, w) {
		t.Fatal("written entries differ from testdata/export_golden.zip (rerun with -update if intended)")
	}
}

func TestExportWriteRefuses(t *testing.T) {
	s, _ := testExportSigner(t)
	base := testExportBatch(t)
	mod := func(f func(*ExportBatch)) ExportBatch {
		b := base
		b.Keys = slices.Clone(base.Keys)
		f(&b)
		return b
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var nilKey *ecdsa.PrivateKey
	for _, tc := range []struct {
		name string
		b    ExportBatch
		s    ExportSigner
		want error
	}{
		{"key 15 bytes", mod(func(b *ExportBatch) { b.Keys[0].KeyData = make([]byte, 15) }), s, tracing.ErrKeyLength},
		{"period 0", mod(func(b *ExportBatch) { b.Keys[1].RollingPeriod = 0 }), s, tracing.ErrBadKey},
		{"report type 6", mod(func(b *ExportBatch) { b.Keys[1].ReportType = 6 }), s, tracing.ErrBadKey},
		{"onset without flag", mod(func(b *ExportBatch) { b.Keys[2].DaysSinceOnsetOfSymptoms = 3 }), s, tracing.ErrBadKey},
		{"batch 0", mod(func(b *ExportBatch) { b.BatchNum = 0 }), s, ErrExportInvalid},
		{"start after end", mod(func(b *ExportBatch) { b.StartTimestamp = b.EndTimestamp + 1 }), s, ErrExportInvalid},
		{"bad region", mod(func(b *ExportBatch) { b.Region = "\xff" }), s, ErrExportInvalid},
		{"too many keys", mod(func(b *ExportBatch) { b.Keys = make([]ExportKey, ExportMaxRecords+1) }), s, ErrExportTooLarge},
		{"no key", base, ExportSigner{}, ErrSignatureKey},
		{"P-384 key", base, ExportSigner{Key: p384}, ErrSignatureKey},
		{"typed nil key", base, ExportSigner{Key: nilKey}, ErrSignatureKey},
		{"bad key id", base, ExportSigner{Key: s.Key, KeyID: "a b"}, ErrExportInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteExportZip(&buf, tc.b, tc.s)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestExportPublishedConversion(t *testing.T) {
	k := ExportKey{KeyData: exportHex(t, "75c734c6dd1a782de7a965da5eb93125"), RollingStartIntervalNumber: 2642976,
		RollingPeriod: 144, ReportType: 1, DaysSinceOnsetOfSymptoms: -2, HasDaysSinceOnset: true, TransmissionRiskLevel: 4}
	p, err := k.ToPublished()
	if err != nil {
		t.Fatal(err)
	}
	want := tracing.PublishedKey{Key: k.KeyData, Start: 1585785600, End: 1585785600 + 86400 - 1, Slots: 144,
		ReportType: 1, DaysSinceOnset: -2, HasOnset: true, TransmissionRisk: 4}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("ToPublished %+v, want %+v", p, want)
	}
	back, err := ExportKeyFromPublished(p)
	if err != nil || !reflect.DeepEqual(back, k) {
		t.Fatalf("ExportKeyFromPublished %+v, %v; want %+v", back, err, k)
	}
	all, err := ExportKeysToPublished([]ExportKey{k, k})
	if err != nil || !reflect.DeepEqual(all, []tracing.PublishedKey{want, want}) {
		t.Fatalf("ExportKeysToPublished %+v, %v", all, err)
	}
	all[0].Key[0] ^= 1
	if all[1].Key[0] != k.KeyData[0] || k.KeyData[0] != 0x75 {
		t.Fatal("converted keys share bytes")
	}
	eks, err := ExportKeysFromPublished([]tracing.PublishedKey{want})
	if err != nil || !reflect.DeepEqual(eks, []ExportKey{k}) {
		t.Fatalf("ExportKeysFromPublished %+v, %v", eks, err)
	}

	for _, tc := range []struct {
		name string
		mut  func(*tracing.PublishedKey)
		want error
	}{
		{"start not on interval", func(p *tracing.PublishedKey) { p.Start++; p.End++ }, tracing.ErrBadKey},
		{"end inconsistent", func(p *tracing.PublishedKey) { p.End++ }, tracing.ErrBadKey},
		{"slots 145", func(p *tracing.PublishedKey) { p.Slots = 145; p.End = p.Start + 145*600 - 1 }, tracing.ErrBadKey},
		{"key 32 bytes", func(p *tracing.PublishedKey) { p.Key = make([]byte, 32) }, tracing.ErrKeyLength},
		{"negative start", func(p *tracing.PublishedKey) { p.Start = -600; p.End = 144*600 - 601 }, tracing.ErrBadKey},
		{"risk 9", func(p *tracing.PublishedKey) { p.TransmissionRisk = 9 }, tracing.ErrBadKey},
		{"onset overflow", func(p *tracing.PublishedKey) { p.DaysSinceOnset = 1 << 40 }, tracing.ErrBadKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := want
			tc.mut(&p)
			if _, err := ExportKeyFromPublished(p); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	// Without an onset the value is dropped, not carried.
	p.HasOnset, p.DaysSinceOnset = false, 5
	if k2, err := ExportKeyFromPublished(p); err != nil || k2.HasDaysSinceOnset || k2.DaysSinceOnsetOfSymptoms != 0 {
		t.Fatalf("no onset: %+v, %v", k2, err)
	}
}

func randomExportKeys(n int, seed uint64) []ExportKey {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'e', 'x', 'p'}))
	buf := make([]byte, n*16)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	keys := make([]ExportKey, n)
	for i := range keys {
		keys[i] = ExportKey{
			KeyData:                    buf[i*16 : (i+1)*16 : (i+1)*16],
			RollingStartIntervalNumber: 2642976 - 144*int32(r.IntN(14)),
			RollingPeriod:              144,
			ReportType:                 ExportReportConfirmedTest,
			DaysSinceOnsetOfSymptoms:   int32(r.IntN(29) - 14),
			HasDaysSinceOnset:          r.IntN(2) == 0,
		}
		if !keys[i].HasDaysSinceOnset {
			keys[i].DaysSinceOnsetOfSymptoms = 0
		}
	}
	return keys
}

func TestExportSplitBatches(t *testing.T) {
	s, pub := testExportSigner(t)
	keys := randomExportKeys(23, 1)
	revised := randomExportKeys(4, 2)
	tmpl := ExportBatch{StartTimestamp: 1000, EndTimestamp: 4600, Region: "VN", Keys: keys, RevisedKeys: revised}
	for _, tc := range []struct{ max, files int }{{10, 3}, {27, 1}, {26, 2}, {1, 27}, {0, 1}, {23, 2}, {5, 6}} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			bs, err := ExportSplitBatches(tmpl, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != tc.files {
				t.Fatalf("%d files, want %d", len(bs), tc.files)
			}
			var gotK, gotR []ExportKey
			for i, b := range bs {
				if b.BatchNum != int32(i+1) || b.BatchSize != int32(tc.files) || b.Region != "VN" || b.StartTimestamp != 1000 {
					t.Fatalf("file %d: %+v", i, b)
				}
				n := len(b.Keys) + len(b.RevisedKeys)
				if n == 0 || (tc.max > 0 && n > tc.max) {
					t.Fatalf("file %d holds %d keys", i, n)
				}
				// Each file writes and reads back.
				data := exportWriteZip(t, b, s)
				rb, err := exportReadZip(data, pub)
				if err != nil {
					t.Fatal(err)
				}
				gotK, gotR = append(gotK, rb.Keys...), append(gotR, rb.RevisedKeys...)
			}
			if !reflect.DeepEqual(gotK, sortedCopy(keys)) || !reflect.DeepEqual(gotR, sortedCopy(revised)) {
				t.Fatal("split lost, duplicated or reordered keys")
			}
		})
	}
	empty, err := ExportSplitBatches(ExportBatch{StartTimestamp: 1, EndTimestamp: 2}, 0)
	if err != nil || len(empty) != 1 || empty[0].BatchNum != 1 || empty[0].BatchSize != 1 {
		t.Fatalf("empty: %+v, %v", empty, err)
	}
	if _, err := ExportSplitBatches(tmpl, ExportMaxRecords+1); !errors.Is(err, ErrExportInvalid) {
		t.Fatalf("max over limit: %v", err)
	}
	bad := tmpl
	bad.Keys = append(slices.Clone(keys), ExportKey{KeyData: []byte{1}})
	if _, err := ExportSplitBatches(bad, 10); !errors.Is(err, tracing.ErrKeyLength) {
		t.Fatalf("bad key: %v", err)
	}
}

func TestExportObjectNames(t *testing.T) {
	name := ExportObjectName("exposures/vn/", 1585785600, 1585789200, 3)
	if name != "exposures/vn/1585785600-1585789200-00003.zip" {
		t.Fatalf("name %q", name)
	}
	if n := ExportObjectName("", 1, 2, 12345); n != "1-2-12345.zip" {
		t.Fatalf("bare name %q", n)
	}
	if n := ExportIndexName("exposures/vn"); n != "exposures/vn/index.txt" {
		t.Fatalf("index name %q", n)
	}
	root, start, end, num, err := ParseExportObjectName(name)
	if err != nil || root != "exposures/vn" || start != 1585785600 || end != 1585789200 || num != 3 {
		t.Fatalf("parse: %q %d %d %d %v", root, start, end, num, err)
	}
	for _, bad := range []string{"", "index.txt", "1-2-3.zip", "a-2-00001.zip", "1-2-00001.zi", "2-1-00001.zip",
		"1-2-00000.zip", "1-2-3-00001.zip", "1-2-99999999999.zip"} {
		if _, _, _, _, err := ParseExportObjectName(bad); !errors.Is(err, ErrExportObjectName) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestExportIndex(t *testing.T) {
	names := []string{"r/3-4-00001.zip", "r/1-2-00002.zip", "r/1-2-00001.zip", "r/3-4-00001.zip"}
	var buf bytes.Buffer
	if err := WriteExportIndex(&buf, names); err != nil {
		t.Fatal(err)
	}
	want := "r/1-2-00001.zip\nr/1-2-00002.zip\nr/3-4-00001.zip"
	if buf.String() != want {
		t.Fatalf("index %q, want %q", buf.String(), want)
	}
	got, err := ReadExportIndex(strings.NewReader(buf.String()))
	if err != nil || !reflect.DeepEqual(got, []string{"r/1-2-00001.zip", "r/1-2-00002.zip", "r/3-4-00001.zip"}) {
		t.Fatalf("read %q, %v", got, err)
	}
	got, err = ReadExportIndex(strings.NewReader("a.zip\r\n\r\nb.zip\n"))
	if err != nil || !reflect.DeepEqual(got, []string{"a.zip", "b.zip"}) {
		t.Fatalf("crlf: %q, %v", got, err)
	}
	if got, err := ReadExportIndex(strings.NewReader("")); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q, %v", got, err)
	}
	for _, bad := range []string{"a b.zip\n", "a\x00.zip", "a\tb"} {
		if _, err := ReadExportIndex(strings.NewReader(bad)); !errors.Is(err, ErrExportObjectName) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
	if err := WriteExportIndex(io.Discard, []string{"a b"}); !errors.Is(err, ErrExportObjectName) {
		t.Errorf("write bad name: %v", err)
	}
	huge := strings.Repeat("a.zip\n", ExportMaxIndexBytes/6+1)
	if _, err := ReadExportIndex(strings.NewReader(huge)); !errors.Is(err, ErrExportTooLarge) {
		t.Errorf("huge index: %v", err)
	}
}

func TestSignatureKeyPEM(t *testing.T) {
	sec1, err := SignatureKeyFromPEM(exportReadFile(t, "testdata/export_key_sec1.pem"))
	if err != nil {
		t.Fatalf("SEC 1 with EC PARAMETERS: %v", err)
	}
	pkcs8, err := SignatureKeyFromPEM(exportReadFile(t, exportKeyPKCS8))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := SignaturePublicKeyFromPEM(exportReadFile(t, exportKeyPub))
	if err != nil {
		t.Fatal(err)
	}
	if !sec1.Equal(pkcs8) || !pub.Equal(&sec1.PublicKey) {
		t.Fatal("the three testdata encodings of one key disagree")
	}
	// Round trip through our encoders.
	pemPriv, err := SignatureKeyToPEM(sec1)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := SignatureKeyFromPEM(pemPriv); err != nil || !k.Equal(sec1) {
		t.Fatalf("private round trip: %v", err)
	}
	pemPub, err := SignaturePublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pemPub, exportReadFile(t, exportKeyPub)) {
		t.Error("public PEM differs from openssl's")
	}
	gen, err := GenerateSignatureKey()
	if err != nil {
		t.Fatal(err)
	}
	if gen.Equal(sec1) {
		t.Fatal("generated the testdata key")
	}
	s1, err1 := SignatureKeyFromSeed([]byte("seed"))
	s2, err2 := SignatureKeyFromSeed([]byte("seed"))
	s3, err3 := SignatureKeyFromSeed([]byte("other"))
	if err := errors.Join(err1, err2, err3); err != nil || !s1.Equal(s2) || s1.Equal(s3) {
		t.Fatalf("seeded keys: %v", err)
	}

	for _, tc := range []struct {
		name string
		data []byte
		pub  bool
		want error
	}{
		{"empty", nil, false, ErrSignatureKeyPEM},
		{"not PEM", []byte("hello"), false, ErrSignatureKeyPEM},
		{"only parameters", []byte("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"), false, ErrSignatureKeyPEM},
		{"public as private", exportReadFile(t, exportKeyPub), false, ErrSignatureKeyPEM},
		{"private as public", exportReadFile(t, exportKeyPKCS8), true, ErrSignatureKeyPEM},
		{"P-384", exportReadFile(t, "testdata/export_key_p384.pem"), false, ErrSignatureKey},
		{"Ed25519", exportReadFile(t, "testdata/export_key_ed25519.pem"), false, ErrSignatureKey},
		{"corrupt body", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), false, ErrSignatureKey},
		{"corrupt public", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), true, ErrSignatureKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.pub {
				_, err = SignaturePublicKeyFromPEM(tc.data)
			} else {
				_, err = SignatureKeyFromPEM(tc.data)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := SignatureKeyToPEM(nil); !errors.Is(err, ErrSignatureKey) {
		t.Errorf("nil private: %v", err)
	}
	if _, err := SignaturePublicKeyToPEM(nil); !errors.Is(err, ErrSignatureKey) {
		t.Errorf("nil public: %v", err)
	}
}

// TestExportFullFile writes and reads a file at the reference's limit of
// 500,000 keys; long, so skipped with -short (the benchmarks time it).
func TestExportFullFile(t *testing.T) {
	if testing.Short() {
		t.Skip("500,000-key file")
	}
	s, pub := testExportSigner(t)
	b := ExportBatch{StartTimestamp: 1, EndTimestamp: 2, Region: "VN", BatchNum: 1, BatchSize: 1,
		Keys: randomExportKeys(ExportMaxRecords, 3)}
	data := exportWriteZip(t, b, s)
	got, err := exportReadZip(data, pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Keys) != ExportMaxRecords || !reflect.DeepEqual(got.Keys, sortedCopy(b.Keys)) {
		t.Fatal("500,000-key file did not round trip")
	}
	t.Logf("500,000 keys: %d bytes zipped", len(data))
}

func BenchmarkWriteExportZip500k(b *testing.B) {
	s, _ := testExportSigner(b)
	batch := ExportBatch{StartTimestamp: 1, EndTimestamp: 2, Region: "VN", BatchNum: 1, BatchSize: 1,
		Keys: randomExportKeys(ExportMaxRecords, 4)}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteExportZip(&buf, batch, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/file")
	b.ReportMetric(float64(ExportMaxRecords)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

func BenchmarkReadExportZip500k(b *testing.B) {
	s, pub := testExportSigner(b)
	batch := ExportBatch{StartTimestamp: 1, EndTimestamp: 2, Region: "VN", BatchNum: 1, BatchSize: 1,
		Keys: randomExportKeys(ExportMaxRecords, 5)}
	data := exportWriteZip(b, batch, s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := exportReadZip(data, pub); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ExportMaxRecords)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// TestExportSortOrder checks the fast sort against the plain comparison,
// with ties, short and long key data.
func TestExportSortOrder(t *testing.T) {
	keys := randomExportKeys(2000, 7)
	keys = append(keys, keys[:50]...) // exact duplicates
	for i := range 50 {
		k := keys[i]
		k.RollingStartIntervalNumber++ // same key data, other field differs
		keys = append(keys, k)
	}
	keys = append(keys, ExportKey{KeyData: []byte{}}, ExportKey{KeyData: []byte{0}}, ExportKey{KeyData: []byte{0, 0, 1}},
		ExportKey{KeyData: make([]byte, 17)}, ExportKey{KeyData: append(make([]byte, 16), 1)}, ExportKey{KeyData: make([]byte, 16)})
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	before := slices.Clone(keys)
	got := sortedCopy(keys)
	want := slices.Clone(keys)
	slices.SortStableFunc(want, compareExportKeys)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("sortedCopy disagrees with compareExportKeys")
	}
	if !reflect.DeepEqual(keys, before) {
		t.Fatal("sortedCopy changed its input")
	}
}

// BenchmarkExportSort500k compares the writer's sort with a plain
// slices.SortFunc on compareExportKeys, the baseline, in the same run.
func BenchmarkExportSort500k(b *testing.B) {
	keys := randomExportKeys(ExportMaxRecords, 6)
	b.Run("baseline-SortFunc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := slices.Clone(keys)
			SortExportKeys(c)
		}
	})
	b.Run("sortedCopy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sortedCopy(keys)
		}
	})
}

// Writing a signed export file and reading it back as a phone does.
func ExampleWriteExportZip() {
	// A fixed key for a reproducible simulation; a real server loads its
	// key with SignatureKeyFromPEM.
	priv, err := SignatureKeyFromSeed([]byte("example"))
	if err != nil {
		panic(err)
	}
	tek, _ := hex.DecodeString("75c734c6dd1a782de7a965da5eb93125")
	batch := ExportBatch{
		StartTimestamp: 1585785600, EndTimestamp: 1585789200, Region: "452",
		Keys: []ExportKey{{KeyData: tek, RollingStartIntervalNumber: 2642976, RollingPeriod: 144,
			ReportType: ExportReportConfirmedTest}},
	}
	files, err := ExportSplitBatches(batch, 0) // numbers the files 1..n
	if err != nil {
		panic(err)
	}
	var zipped bytes.Buffer
	if err := WriteExportZip(&zipped, files[0], ExportSigner{Key: priv, KeyVersion: "v1", KeyID: "452"}); err != nil {
		panic(err)
	}
	fmt.Println(ExportObjectName("exposures/vn", files[0].StartTimestamp, files[0].EndTimestamp, files[0].BatchNum))

	got, err := ReadExportZip(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), &priv.PublicKey)
	if err != nil {
		panic(err)
	}
	p, err := got.Keys[0].ToPublished()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d key %x from %d to %d, %d slots\n", len(got.Keys), p.Key, p.Start, p.End, p.Slots)
	// Output:
	// exposures/vn/1585785600-1585789200-00001.zip
	// 1 key 75c734c6dd1a782de7a965da5eb93125 from 1585785600 to 1585871999, 144 slots
}
