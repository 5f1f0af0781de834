package gaen

// The GAEN key export file: what a key server publishes and what a phone
// downloads, verifies and feeds to matching. The format is the one in
// shared/reference/protocols.md section 2.3 and loadtest.md section 1.1:
// a zip holding export.bin (a 16-byte header "EK Export v1    " followed by a
// proto2 TemporaryExposureKeyExport) and export.sig (a TEKSignatureList whose
// ECDSA P-256 SHA-256 signature covers every byte of export.bin, header
// included). Object names, index.txt and the per-file record limit follow the
// reference key server (loadtest.md section 1.1).

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen/exportpb"
)

const (
	// ExportHeader is the fixed 16-byte, space-padded header that starts
	// export.bin (protocols.md section 2.3).
	ExportHeader = "EK Export v1    "
	// ExportBinName and ExportSigName are the two entries of an export zip.
	ExportBinName = "export.bin"
	ExportSigName = "export.sig"
	// ExportAlgorithmP256SHA256 is the ASN.1 OID of ECDSA P-256 with SHA-256,
	// the algorithm the writer uses (protocols.md section 2.3).
	ExportAlgorithmP256SHA256 = "1.2.840.10045.4.3.2"
	// ExportAlgorithmP256SHA512 is ECDSA with SHA-512, the other algorithm the
	// format allows; the reader verifies it too.
	ExportAlgorithmP256SHA512 = "1.2.840.10045.4.3.4"
	// ExportMaxRecords is the most keys (first-release plus revised) one
	// export file holds: the reference server's EXPORT_FILE_MAX_RECORDS
	// default (loadtest.md section 1.1).
	ExportMaxRecords = 500000
	// ExportMaxEntryBytes caps the uncompressed size of export.bin the reader
	// accepts, so that a hostile zip cannot exhaust memory. A full
	// 500,000-key file is about 15 MB.
	ExportMaxEntryBytes = 64 << 20
	// ExportMaxSigBytes caps the uncompressed size of export.sig; a real one
	// with a handful of signatures is a few hundred bytes.
	ExportMaxSigBytes = 1 << 20
	// ExportMaxSignatureInfos is the most signature_infos an export may list
	// (loadtest.md section 1.1: "signature_infos (≤ 10)").
	ExportMaxSignatureInfos = 10
	// ExportMaxIndexBytes caps the size of an index.txt the reader accepts.
	ExportMaxIndexBytes = 16 << 20
	// ExportDefaultRollingPeriod is rolling_period's proto default: a key
	// valid for a whole day of 144 ten-minute intervals.
	ExportDefaultRollingPeriod = 144
	// ExportKeyLen is the length of key_data: a 16-byte TEK.
	ExportKeyLen = 16
	// ExportMaxTransmissionRisk is the highest transmission_risk_level the
	// reference server accepts (loadtest.md section 1.1: 0-8).
	ExportMaxTransmissionRisk = 8
)

// Report types of TemporaryExposureKey.report_type (protocols.md section 2.3).
const (
	ExportReportUnknown                    int32 = 0
	ExportReportConfirmedTest              int32 = 1
	ExportReportConfirmedClinicalDiagnosis int32 = 2
	ExportReportSelfReport                 int32 = 3
	ExportReportRecursive                  int32 = 4
	ExportReportRevoked                    int32 = 5
)

// Errors of the export file. Every error returned by the readers wraps one of
// them; test with errors.Is. Key-level problems also wrap
// tracing.ErrKeyLength or tracing.ErrBadKey.
var (
	// ErrExportFormat means the file is not a well-formed export: a bad zip,
	// missing, extra or duplicate entries, a wrong header, a protobuf that
	// does not parse, or a field out of range.
	ErrExportFormat = errors.New("gaen export: malformed file")
	// ErrExportTooLarge means an entry or index exceeds the reader's size
	// cap, or a batch holds more than ExportMaxRecords keys.
	ErrExportTooLarge = errors.New("gaen export: too large")
	// ErrExportUnsigned means export.sig holds no signature.
	ErrExportUnsigned = errors.New("gaen export: no signature")
	// ErrExportSignature means no signature in export.sig verifies with the
	// given public key (a bad signature, or the wrong key).
	ErrExportSignature = errors.New("gaen export: signature does not verify")
	// ErrExportInvalid means a batch given to the writer is invalid.
	ErrExportInvalid = errors.New("gaen export: invalid batch")
	// ErrSignatureKey means a signing or verification key is unusable: not
	// ECDSA, not on P-256, or not parseable.
	ErrSignatureKey = errors.New("gaen export: unusable signature key")
	// ErrSignatureKeyPEM means the PEM input holds no block of a usable type.
	ErrSignatureKeyPEM = errors.New("gaen export: no usable PEM block")
	// ErrExportObjectName means an export object name or index line is
	// malformed.
	ErrExportObjectName = errors.New("gaen export: malformed object name")
)

// ExportKey is one TemporaryExposureKey of an export file.
type ExportKey struct {
	// KeyData is the 16-byte TEK.
	KeyData []byte
	// TransmissionRiskLevel is the deprecated transmission_risk_level, 0-8.
	TransmissionRiskLevel int32
	// RollingStartIntervalNumber is the ENIntervalNumber the key starts at.
	RollingStartIntervalNumber int32
	// RollingPeriod is the number of 10-minute intervals the key covers,
	// 1-144. A file that omits it means 144.
	RollingPeriod int32
	// ReportType is one of the ExportReport* values (0-5).
	ReportType int32
	// DaysSinceOnsetOfSymptoms is meaningful only when HasDaysSinceOnset.
	// Its range is not restricted: deployed servers encode symptom status
	// in it beyond +-14 days.
	DaysSinceOnsetOfSymptoms int32
	HasDaysSinceOnset        bool
}

// ExportSignatureInfo identifies the key that signs an export.
type ExportSignatureInfo struct {
	// VerificationKeyVersion is the key version for rollovers, e.g. "v1".
	VerificationKeyVersion string
	// VerificationKeyID names the public key; for Apple compatibility the
	// region's MCC, e.g. "452" for Vietnam.
	VerificationKeyID string
	// SignatureAlgorithm is the algorithm's ASN.1 OID.
	SignatureAlgorithm string
}

// ExportBatch is the content of one export file.
type ExportBatch struct {
	// StartTimestamp and EndTimestamp bound, in Unix seconds, the arrival
	// times at the server of the keys in the file.
	StartTimestamp, EndTimestamp uint64
	// Region is where the keys came from (a country code or MCC).
	Region string
	// BatchNum of BatchSize, 1-based: one export period may span several
	// files when it holds more than ExportMaxRecords keys.
	BatchNum, BatchSize int32
	// Keys are keys on their first release; RevisedKeys keys whose status
	// changed (or were revoked) since.
	Keys, RevisedKeys []ExportKey
	// SignatureInfos lists the signatures export.bin declares. The reader
	// fills it; the writer ignores it and writes its signer's.
	SignatureInfos []ExportSignatureInfo
}

// ExportSigner signs export files.
type ExportSigner struct {
	// Key holds an ECDSA P-256 private key: an *ecdsa.PrivateKey, or any
	// crypto.Signer (a KMS, an HSM) returning ASN.1 DER signatures.
	Key crypto.Signer
	// KeyVersion and KeyID go into SignatureInfo.verification_key_version
	// and verification_key_id; letters, digits and '_' only, may be empty.
	KeyVersion, KeyID string
	// Randomized selects a randomized ECDSA signature. By default an
	// *ecdsa.PrivateKey signs deterministically (RFC 6979), so the same batch
	// and key give a byte-identical file, which bluesim's output hashes rely
	// on; both kinds verify the same way. Other crypto.Signers are always
	// randomized.
	Randomized bool
}

// Info returns the SignatureInfo the signer writes.
func (s ExportSigner) Info() ExportSignatureInfo {
	return ExportSignatureInfo{
		VerificationKeyVersion: s.KeyVersion,
		VerificationKeyID:      s.KeyID,
		SignatureAlgorithm:     ExportAlgorithmP256SHA256,
	}
}

// Validate checks one key as the reference server and the phones do.
func (k ExportKey) Validate() error {
	if len(k.KeyData) != ExportKeyLen {
		return fmt.Errorf("key_data is %d bytes, want %d: %w", len(k.KeyData), ExportKeyLen, tracing.ErrKeyLength)
	}
	if k.RollingPeriod < 1 || k.RollingPeriod > ExportDefaultRollingPeriod {
		return fmt.Errorf("rolling_period %d outside 1..%d: %w", k.RollingPeriod, ExportDefaultRollingPeriod, tracing.ErrBadKey)
	}
	if k.RollingStartIntervalNumber < 0 {
		return fmt.Errorf("rolling_start_interval_number %d is negative: %w", k.RollingStartIntervalNumber, tracing.ErrBadKey)
	}
	if int64(k.RollingStartIntervalNumber)+int64(k.RollingPeriod) > math.MaxInt32 {
		return fmt.Errorf("rolling_start_interval_number %d + rolling_period %d overflows int32: %w",
			k.RollingStartIntervalNumber, k.RollingPeriod, tracing.ErrBadKey)
	}
	if k.TransmissionRiskLevel < 0 || k.TransmissionRiskLevel > ExportMaxTransmissionRisk {
		return fmt.Errorf("transmission_risk_level %d outside 0..%d: %w", k.TransmissionRiskLevel, ExportMaxTransmissionRisk, tracing.ErrBadKey)
	}
	if k.ReportType < ExportReportUnknown || k.ReportType > ExportReportRevoked {
		return fmt.Errorf("report_type %d outside 0..5: %w", k.ReportType, tracing.ErrBadKey)
	}
	if !k.HasDaysSinceOnset && k.DaysSinceOnsetOfSymptoms != 0 {
		return fmt.Errorf("days_since_onset_of_symptoms %d given without HasDaysSinceOnset: %w", k.DaysSinceOnsetOfSymptoms, tracing.ErrBadKey)
	}
	return nil
}

// Validate checks a batch before writing: batch numbering, timestamps,
// region, record count and every key.
func (b ExportBatch) Validate() error {
	if b.BatchSize < 1 || b.BatchNum < 1 || b.BatchNum > b.BatchSize {
		return fmt.Errorf("batch %d of %d: want 1 <= batch_num <= batch_size", b.BatchNum, b.BatchSize)
	}
	if b.StartTimestamp > b.EndTimestamp {
		return fmt.Errorf("start_timestamp %d after end_timestamp %d", b.StartTimestamp, b.EndTimestamp)
	}
	if !utf8.ValidString(b.Region) {
		return fmt.Errorf("region %q is not valid UTF-8", b.Region)
	}
	if n := len(b.Keys) + len(b.RevisedKeys); n > ExportMaxRecords {
		return fmt.Errorf("%d keys, at most %d per file: %w", n, ExportMaxRecords, ErrExportTooLarge)
	}
	for i, k := range b.Keys {
		if err := k.Validate(); err != nil {
			return fmt.Errorf("keys[%d]: %w", i, err)
		}
	}
	for i, k := range b.RevisedKeys {
		if err := k.Validate(); err != nil {
			return fmt.Errorf("revised_keys[%d]: %w", i, err)
		}
	}
	return nil
}

// compareExportKeys orders keys by key data, as the reference server does so
// that a file's order reveals nothing about upload order, then by every other
// field so that the order is total and output deterministic.
func compareExportKeys(a, b ExportKey) int {
	if c := bytes.Compare(a.KeyData, b.KeyData); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RollingStartIntervalNumber, b.RollingStartIntervalNumber); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RollingPeriod, b.RollingPeriod); c != 0 {
		return c
	}
	if c := cmp.Compare(a.ReportType, b.ReportType); c != 0 {
		return c
	}
	if a.HasDaysSinceOnset != b.HasDaysSinceOnset {
		if !a.HasDaysSinceOnset {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.DaysSinceOnsetOfSymptoms, b.DaysSinceOnsetOfSymptoms); c != 0 {
		return c
	}
	return cmp.Compare(a.TransmissionRiskLevel, b.TransmissionRiskLevel)
}

// SortExportKeys sorts keys in place into the order the writer uses.
func SortExportKeys(keys []ExportKey) { slices.SortFunc(keys, compareExportKeys) }

// signerPublic returns the signer's P-256 public key.
func signerPublic(s crypto.Signer) (*ecdsa.PublicKey, error) {
	if k, ok := s.(*ecdsa.PrivateKey); s == nil || ok && k == nil {
		return nil, fmt.Errorf("%w: no signing key", ErrSignatureKey)
	}
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: signing key is %T, want ECDSA", ErrSignatureKey, s.Public())
	}
	return pub, checkP256(pub)
}

func checkP256(pub *ecdsa.PublicKey) error {
	if pub == nil {
		return fmt.Errorf("%w: no public key", ErrSignatureKey)
	}
	if pub.Curve != elliptic.P256() {
		name := "unknown"
		if pub.Curve != nil {
			name = pub.Curve.Params().Name
		}
		return fmt.Errorf("%w: curve %s, want P-256", ErrSignatureKey, name)
	}
	return nil
}

func validKeyLabel(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// sign signs data (all of export.bin) with ECDSA P-256 SHA-256 and checks
// the signature verifies, so that a faulty external signer never yields a
// file the phones reject.
func (s ExportSigner) sign(data []byte) ([]byte, error) {
	pub, err := signerPublic(s.Key)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(data)
	var sig []byte
	if priv, ok := s.Key.(*ecdsa.PrivateKey); ok && !s.Randomized {
		sig, err = priv.Sign(nil, digest[:], crypto.SHA256) // nil: RFC 6979
	} else {
		sig, err = s.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("gaen export: signing: %w", err)
	}
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return nil, fmt.Errorf("%w: the signer's signature does not verify with its own public key", ErrSignatureKey)
	}
	return sig, nil
}

// fillExportKeyPB sets pk from k. Optional proto2 fields are pointers; they
// point into ints and rt so that a whole file costs a few allocations rather
// than several per key.
func fillExportKeyPB(pk *exportpb.TemporaryExposureKey, k ExportKey, ints *[4]int32, rt *exportpb.TemporaryExposureKey_ReportType) {
	ints[0], ints[1], ints[2], ints[3] = k.RollingStartIntervalNumber, k.TransmissionRiskLevel, k.RollingPeriod, k.DaysSinceOnsetOfSymptoms
	pk.KeyData = k.KeyData
	pk.RollingStartIntervalNumber = &ints[0]
	// Like the reference server, leave out fields at their default, which
	// keeps a 500,000-key file a few MB smaller.
	if k.TransmissionRiskLevel != 0 {
		pk.TransmissionRiskLevel = &ints[1]
	}
	if k.RollingPeriod != ExportDefaultRollingPeriod {
		pk.RollingPeriod = &ints[2]
	}
	if k.HasDaysSinceOnset {
		pk.DaysSinceOnsetOfSymptoms = &ints[3]
	}
	if k.ReportType != ExportReportUnknown {
		*rt = exportpb.TemporaryExposureKey_ReportType(k.ReportType)
		pk.ReportType = rt
	}
}

func exportKeyFromPB(pk *exportpb.TemporaryExposureKey) ExportKey {
	return ExportKey{
		KeyData:                    pk.GetKeyData(),
		TransmissionRiskLevel:      pk.GetTransmissionRiskLevel(),
		RollingStartIntervalNumber: pk.GetRollingStartIntervalNumber(),
		RollingPeriod:              pk.GetRollingPeriod(),
		ReportType:                 int32(pk.GetReportType()),
		DaysSinceOnsetOfSymptoms:   pk.GetDaysSinceOnsetOfSymptoms(),
		HasDaysSinceOnset:          pk.DaysSinceOnsetOfSymptoms != nil,
	}
}

func sigInfoToPB(i ExportSignatureInfo) *exportpb.SignatureInfo {
	pi := &exportpb.SignatureInfo{SignatureAlgorithm: proto.String(i.SignatureAlgorithm)}
	if i.VerificationKeyVersion != "" {
		pi.VerificationKeyVersion = proto.String(i.VerificationKeyVersion)
	}
	if i.VerificationKeyID != "" {
		pi.VerificationKeyId = proto.String(i.VerificationKeyID)
	}
	return pi
}

func sigInfoFromPB(pi *exportpb.SignatureInfo) ExportSignatureInfo {
	return ExportSignatureInfo{
		VerificationKeyVersion: pi.GetVerificationKeyVersion(),
		VerificationKeyID:      pi.GetVerificationKeyId(),
		SignatureAlgorithm:     pi.GetSignatureAlgorithm(),
	}
}

// sortedCopy returns keys in compareExportKeys order without touching the
// caller's slice. It sorts on the first 16 key bytes as two integers and
// falls back to the full comparison on ties: about 1.4 times faster than
// slices.SortFunc with compareExportKeys on 500,000 keys
// (BenchmarkExportSort500k).
func sortedCopy(keys []ExportKey) []ExportKey {
	if slices.IsSortedFunc(keys, compareExportKeys) {
		return slices.Clone(keys)
	}
	type ent struct {
		hi, lo uint64
		i      int
	}
	ents := make([]ent, len(keys))
	for i, k := range keys {
		var p [16]byte
		copy(p[:], k.KeyData) // zero padding keeps bytes.Compare's order
		ents[i] = ent{binary.BigEndian.Uint64(p[:8]), binary.BigEndian.Uint64(p[8:]), i}
	}
	slices.SortFunc(ents, func(a, b ent) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		if c := compareExportKeys(keys[a.i], keys[b.i]); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	out := make([]ExportKey, len(keys))
	for j, e := range ents {
		out[j] = keys[e.i]
	}
	return out
}

// marshalExportBin returns export.bin for b (header and protobuf body), the
// keys sorted.
func marshalExportBin(b ExportBatch, infos []ExportSignatureInfo) ([]byte, error) {
	msg := &exportpb.TemporaryExposureKeyExport{
		StartTimestamp: proto.Uint64(b.StartTimestamp),
		EndTimestamp:   proto.Uint64(b.EndTimestamp),
		Region:         proto.String(b.Region),
		BatchNum:       proto.Int32(b.BatchNum),
		BatchSize:      proto.Int32(b.BatchSize),
	}
	for _, i := range infos {
		msg.SignatureInfos = append(msg.SignatureInfos, sigInfoToPB(i))
	}
	// One backing array for all the messages and their fields: a
	// 500,000-key file would otherwise cost millions of small allocations.
	n := len(b.Keys) + len(b.RevisedKeys)
	all := make([]exportpb.TemporaryExposureKey, n)
	ints := make([][4]int32, n)
	rts := make([]exportpb.TemporaryExposureKey_ReportType, n)
	ptrs := make([]*exportpb.TemporaryExposureKey, n)
	next := 0
	add := func(keys []ExportKey) []*exportpb.TemporaryExposureKey {
		if len(keys) == 0 {
			return nil
		}
		out := ptrs[next : next+len(keys) : next+len(keys)]
		for i, k := range sortedCopy(keys) {
			fillExportKeyPB(&all[next], k, &ints[next], &rts[next])
			out[i] = &all[next]
			next++
		}
		return out
	}
	msg.Keys = add(b.Keys)
	msg.RevisedKeys = add(b.RevisedKeys)
	out := make([]byte, len(ExportHeader), len(ExportHeader)+proto.Size(msg))
	copy(out, ExportHeader)
	out, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(out, msg)
	if err != nil {
		return nil, fmt.Errorf("gaen export: marshal export.bin: %w", err)
	}
	return out, nil
}

// marshalExportSig returns export.sig: one TEKSignature over bin.
func marshalExportSig(b ExportBatch, bin []byte, s ExportSigner) ([]byte, error) {
	sig, err := s.sign(bin)
	if err != nil {
		return nil, err
	}
	list := &exportpb.TEKSignatureList{Signatures: []*exportpb.TEKSignature{{
		SignatureInfo: sigInfoToPB(s.Info()),
		BatchNum:      proto.Int32(b.BatchNum),
		BatchSize:     proto.Int32(b.BatchSize),
		Signature:     sig,
	}}}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("gaen export: marshal export.sig: %w", err)
	}
	return out, nil
}

// exportZipTime is the modification time of both zip entries: fixed (the
// MS-DOS epoch) so the same content gives the same archive.
var exportZipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// writeExportZipEntries zips bin and sig, in that order, deflated.
func writeExportZipEntries(w io.Writer, entries ...[2]string) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Deflate, Modified: exportZipTime})
		if err != nil {
			return fmt.Errorf("gaen export: zip entry %s: %w", e[0], err)
		}
		if _, err := io.WriteString(f, e[1]); err != nil {
			return fmt.Errorf("gaen export: zip entry %s: %w", e[0], err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gaen export: closing zip: %w", err)
	}
	return nil
}

// WriteExportZip writes b as a signed export zip: export.bin with its keys
// and revised keys sorted by key data, and export.sig with one ECDSA P-256
// SHA-256 signature over all of export.bin. The batch is validated first.
// With a deterministic signer (the default for an *ecdsa.PrivateKey) the
// same batch and key always give the same bytes.
func WriteExportZip(w io.Writer, b ExportBatch, signer ExportSigner) error {
	if err := b.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	if !validKeyLabel(signer.KeyVersion) || !validKeyLabel(signer.KeyID) {
		return fmt.Errorf("%w: key version %q or key id %q has characters outside [a-zA-Z0-9_]",
			ErrExportInvalid, signer.KeyVersion, signer.KeyID)
	}
	if _, err := signerPublic(signer.Key); err != nil {
		return err
	}
	bin, err := marshalExportBin(b, []ExportSignatureInfo{signer.Info()})
	if err != nil {
		return err
	}
	sig, err := marshalExportSig(b, bin, signer)
	if err != nil {
		return err
	}
	return writeExportZipEntries(w, [2]string{ExportBinName, string(bin)}, [2]string{ExportSigName, string(sig)})
}

// readZipEntry reads one entry, refusing more than limit bytes whatever its
// header claims.
func readZipEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%w: %s declares %d bytes, at most %d", ErrExportTooLarge, f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s: %w", ErrExportFormat, f.Name, err)
	}
	defer rc.Close()
	// Trust the declared size only up to 4 MiB for the first allocation.
	buf := bytes.NewBuffer(make([]byte, 0, min(f.UncompressedSize64, 4<<20)))
	n, err := buf.ReadFrom(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading %s: %w", ErrExportFormat, f.Name, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %s holds more than %d bytes", ErrExportTooLarge, f.Name, limit)
	}
	return buf.Bytes(), nil
}

// readExportZipEntries returns the raw export.bin and export.sig of a zip
// that holds exactly those two entries, each once.
func readExportZipEntries(r io.ReaderAt, size int64, binLimit int64) (bin, sig []byte, err error) {
	if r == nil || size < 0 {
		return nil, nil, fmt.Errorf("%w: no input", ErrExportFormat)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: not a zip: %w", ErrExportFormat, err)
	}
	var binF, sigF *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case ExportBinName:
			if binF != nil {
				return nil, nil, fmt.Errorf("%w: duplicate %s entry", ErrExportFormat, ExportBinName)
			}
			binF = f
		case ExportSigName:
			if sigF != nil {
				return nil, nil, fmt.Errorf("%w: duplicate %s entry", ErrExportFormat, ExportSigName)
			}
			sigF = f
		default:
			return nil, nil, fmt.Errorf("%w: unexpected entry %q (want only %s and %s)", ErrExportFormat, f.Name, ExportBinName, ExportSigName)
		}
	}
	if binF == nil {
		return nil, nil, fmt.Errorf("%w: no %s entry", ErrExportFormat, ExportBinName)
	}
	if sigF == nil {
		return nil, nil, fmt.Errorf("%w: no %s entry", ErrExportUnsigned, ExportSigName)
	}
	if bin, err = readZipEntry(binF, binLimit); err != nil {
		return nil, nil, err
	}
	if sig, err = readZipEntry(sigF, ExportMaxSigBytes); err != nil {
		return nil, nil, err
	}
	return bin, sig, nil
}

// parseExportBin decodes and validates export.bin, header included.
func parseExportBin(bin []byte) (ExportBatch, error) {
	if len(bin) < len(ExportHeader) || string(bin[:len(ExportHeader)]) != ExportHeader {
		return ExportBatch{}, fmt.Errorf("%w: %s does not start with the header %q", ErrExportFormat, ExportBinName, ExportHeader)
	}
	var msg exportpb.TemporaryExposureKeyExport
	if err := proto.Unmarshal(bin[len(ExportHeader):], &msg); err != nil {
		return ExportBatch{}, fmt.Errorf("%w: %s body: %w", ErrExportFormat, ExportBinName, err)
	}
	if msg.BatchNum == nil || msg.BatchSize == nil {
		return ExportBatch{}, fmt.Errorf("%w: batch_num or batch_size missing", ErrExportFormat)
	}
	if len(msg.SignatureInfos) > ExportMaxSignatureInfos {
		return ExportBatch{}, fmt.Errorf("%w: %d signature_infos, at most %d", ErrExportFormat, len(msg.SignatureInfos), ExportMaxSignatureInfos)
	}
	b := ExportBatch{
		StartTimestamp: msg.GetStartTimestamp(),
		EndTimestamp:   msg.GetEndTimestamp(),
		Region:         msg.GetRegion(),
		BatchNum:       msg.GetBatchNum(),
		BatchSize:      msg.GetBatchSize(),
	}
	if n := len(msg.Keys) + len(msg.RevisedKeys); n > ExportMaxRecords {
		return ExportBatch{}, fmt.Errorf("%w: %d keys, at most %d per file", ErrExportTooLarge, n, ExportMaxRecords)
	}
	for _, pi := range msg.SignatureInfos {
		b.SignatureInfos = append(b.SignatureInfos, sigInfoFromPB(pi))
	}
	conv := func(pks []*exportpb.TemporaryExposureKey) []ExportKey {
		if len(pks) == 0 {
			return nil
		}
		out := make([]ExportKey, len(pks))
		for i, pk := range pks {
			out[i] = exportKeyFromPB(pk)
		}
		return out
	}
	b.Keys, b.RevisedKeys = conv(msg.Keys), conv(msg.RevisedKeys)
	if err := b.Validate(); err != nil {
		return ExportBatch{}, fmt.Errorf("%w: %w", ErrExportFormat, err)
	}
	return b, nil
}

// verifyExportSig returns the first signature in sig that verifies bin
// with pub.
func verifyExportSig(sig, bin []byte, pub *ecdsa.PublicKey) (*exportpb.TEKSignature, error) {
	var list exportpb.TEKSignatureList
	if err := proto.Unmarshal(sig, &list); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrExportFormat, ExportSigName, err)
	}
	if len(list.Signatures) == 0 {
		return nil, fmt.Errorf("%w: %s lists no signature", ErrExportUnsigned, ExportSigName)
	}
	var sum256 [sha256.Size]byte
	var sum512 [sha512.Size]byte
	var have256, have512 bool
	var reasons []string
	for i, s := range list.Signatures {
		var digest []byte
		switch alg := s.GetSignatureInfo().GetSignatureAlgorithm(); alg {
		case ExportAlgorithmP256SHA256:
			if !have256 {
				sum256, have256 = sha256.Sum256(bin), true
			}
			digest = sum256[:]
		case ExportAlgorithmP256SHA512:
			if !have512 {
				sum512, have512 = sha512.Sum512(bin), true
			}
			digest = sum512[:]
		default:
			reasons = append(reasons, fmt.Sprintf("signature %d has unsupported algorithm %q", i, alg))
			continue
		}
		if ecdsa.VerifyASN1(pub, digest, s.GetSignature()) {
			return s, nil
		}
		reasons = append(reasons, fmt.Sprintf("signature %d (key id %q, version %q) does not verify with the given key",
			i, s.GetSignatureInfo().GetVerificationKeyId(), s.GetSignatureInfo().GetVerificationKeyVersion()))
	}
	return nil, fmt.Errorf("%w: %s", ErrExportSignature, strings.Join(reasons, "; "))
}

// ReadExportZip reads an export zip of size bytes from r, checks that it
// holds exactly export.bin and export.sig, verifies that a signature in
// export.sig covers export.bin under pub, and decodes and validates
// export.bin (header, batch numbering, record count, and each key: 16-byte
// key data, rolling period 1-144, report type 0-5, transmission risk 0-8).
// Entries are read at most ExportMaxEntryBytes (export.bin) and
// ExportMaxSigBytes (export.sig) uncompressed, whatever the zip claims.
// Keys are returned in file order. Errors wrap the ErrExport* values.
func ReadExportZip(r io.ReaderAt, size int64, pub *ecdsa.PublicKey) (ExportBatch, error) {
	return readExportZip(r, size, pub, ExportMaxEntryBytes)
}

func readExportZip(r io.ReaderAt, size int64, pub *ecdsa.PublicKey, binLimit int64) (ExportBatch, error) {
	if err := checkP256(pub); err != nil {
		return ExportBatch{}, err
	}
	bin, sig, err := readExportZipEntries(r, size, binLimit)
	if err != nil {
		return ExportBatch{}, err
	}
	// Verify before decoding, as a phone does: an unsigned body is never
	// trusted.
	s, err := verifyExportSig(sig, bin, pub)
	if err != nil {
		return ExportBatch{}, err
	}
	b, err := parseExportBin(bin)
	if err != nil {
		return ExportBatch{}, err
	}
	if s.BatchNum != nil && s.GetBatchNum() != b.BatchNum || s.BatchSize != nil && s.GetBatchSize() != b.BatchSize {
		return ExportBatch{}, fmt.Errorf("%w: signature is for batch %d of %d, export.bin is %d of %d",
			ErrExportFormat, s.GetBatchNum(), s.GetBatchSize(), b.BatchNum, b.BatchSize)
	}
	return b, nil
}

// ExportKeyFromPublished converts a published GAEN key (tracing.PublishedKey
// as the gaen protocol produces it) to its export form. p.Start must be a
// multiple of 600 s (an ENIntervalNumber boundary), p.Slots the rolling
// period, and p.End = (start interval + period)*600 - 1.
func ExportKeyFromPublished(p tracing.PublishedKey) (ExportKey, error) {
	if p.Start < 0 || p.Start%600 != 0 || p.Start/600 > math.MaxInt32 {
		return ExportKey{}, fmt.Errorf("gaen export: published key start %d is not a non-negative multiple of 600 s within int32 intervals: %w", p.Start, tracing.ErrBadKey)
	}
	if p.Slots < 1 || p.Slots > ExportDefaultRollingPeriod {
		return ExportKey{}, fmt.Errorf("gaen export: published key slots %d outside 1..%d: %w", p.Slots, ExportDefaultRollingPeriod, tracing.ErrBadKey)
	}
	start := p.Start / 600
	if want := (start+int64(p.Slots))*600 - 1; p.End != want {
		return ExportKey{}, fmt.Errorf("gaen export: published key end %d, want %d for start %d and %d slots: %w", p.End, want, p.Start, p.Slots, tracing.ErrBadKey)
	}
	if p.ReportType < math.MinInt32 || p.ReportType > math.MaxInt32 || p.TransmissionRisk < math.MinInt32 ||
		p.TransmissionRisk > math.MaxInt32 || p.DaysSinceOnset < math.MinInt32 || p.DaysSinceOnset > math.MaxInt32 {
		return ExportKey{}, fmt.Errorf("gaen export: published key report type, risk or onset outside int32: %w", tracing.ErrBadKey)
	}
	k := ExportKey{
		KeyData:                    slices.Clone(p.Key),
		TransmissionRiskLevel:      int32(p.TransmissionRisk),
		RollingStartIntervalNumber: int32(start),
		RollingPeriod:              int32(p.Slots),
		ReportType:                 int32(p.ReportType),
		HasDaysSinceOnset:          p.HasOnset,
	}
	if p.HasOnset {
		k.DaysSinceOnsetOfSymptoms = int32(p.DaysSinceOnset)
	}
	if err := k.Validate(); err != nil {
		return ExportKey{}, fmt.Errorf("gaen export: %w", err)
	}
	return k, nil
}

// ToPublished converts an export key to the published form the gaen
// protocol's matching takes: Start = rolling start*600, End = (rolling
// start + period)*600 - 1, Slots = period. The key bytes are copied.
func (k ExportKey) ToPublished() (tracing.PublishedKey, error) {
	if err := k.Validate(); err != nil {
		return tracing.PublishedKey{}, fmt.Errorf("gaen export: %w", err)
	}
	var p tracing.PublishedKey
	exportKeyToPublished(&p, k, slices.Clone(k.KeyData))
	return p, nil
}

func exportKeyToPublished(p *tracing.PublishedKey, k ExportKey, key []byte) {
	start := int64(k.RollingStartIntervalNumber)
	*p = tracing.PublishedKey{
		Key:              key,
		Start:            start * 600,
		End:              (start+int64(k.RollingPeriod))*600 - 1,
		Slots:            int(k.RollingPeriod),
		ReportType:       int(k.ReportType),
		DaysSinceOnset:   int(k.DaysSinceOnsetOfSymptoms),
		HasOnset:         k.HasDaysSinceOnset,
		TransmissionRisk: int(k.TransmissionRiskLevel),
	}
	if !k.HasDaysSinceOnset {
		p.DaysSinceOnset = 0
	}
}

// ExportKeysToPublished converts many keys at once, copying all key bytes
// into one allocation (a phone converts a whole file).
func ExportKeysToPublished(keys []ExportKey) ([]tracing.PublishedKey, error) {
	out := make([]tracing.PublishedKey, len(keys))
	buf := make([]byte, len(keys)*ExportKeyLen)
	for i, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("gaen export: key %d: %w", i, err)
		}
		kb := buf[i*ExportKeyLen : (i+1)*ExportKeyLen : (i+1)*ExportKeyLen]
		copy(kb, k.KeyData)
		exportKeyToPublished(&out[i], k, kb)
	}
	return out, nil
}

// ExportKeysFromPublished converts many published keys.
func ExportKeysFromPublished(ps []tracing.PublishedKey) ([]ExportKey, error) {
	out := make([]ExportKey, len(ps))
	for i, p := range ps {
		k, err := ExportKeyFromPublished(p)
		if err != nil {
			return nil, fmt.Errorf("published key %d: %w", i, err)
		}
		out[i] = k
	}
	return out, nil
}

// ExportSplitBatches splits the keys of b into as many files as it takes to
// hold at most maxRecords keys each (0 means ExportMaxRecords, the
// reference's limit; more is an error). All keys are sorted first, so the
// split does not depend on input order; each file takes first-release keys
// before revised ones. The files share b's timestamps and region and are
// numbered BatchNum 1..n with BatchSize n. A batch with no keys gives one
// empty file. b's own BatchNum and BatchSize are ignored; the keys are
// validated.
func ExportSplitBatches(b ExportBatch, maxRecords int) ([]ExportBatch, error) {
	if maxRecords == 0 {
		maxRecords = ExportMaxRecords
	}
	if maxRecords < 1 || maxRecords > ExportMaxRecords {
		return nil, fmt.Errorf("%w: max records %d outside 1..%d", ErrExportInvalid, maxRecords, ExportMaxRecords)
	}
	tmpl := b
	tmpl.BatchNum, tmpl.BatchSize, tmpl.Keys, tmpl.RevisedKeys, tmpl.SignatureInfos = 1, 1, nil, nil, nil
	if err := tmpl.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	for i, k := range b.Keys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%w: keys[%d]: %w", ErrExportInvalid, i, err)
		}
	}
	for i, k := range b.RevisedKeys {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("%w: revised_keys[%d]: %w", ErrExportInvalid, i, err)
		}
	}
	keys, revised := sortedCopy(b.Keys), sortedCopy(b.RevisedKeys)
	total := len(keys) + len(revised)
	n := max(1, (total+maxRecords-1)/maxRecords)
	if n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d files", ErrExportTooLarge, n)
	}
	out := make([]ExportBatch, n)
	for i := range out {
		f := tmpl
		f.BatchNum, f.BatchSize = int32(i+1), int32(n)
		lo, hi := i*maxRecords, min((i+1)*maxRecords, total)
		// The records lo..hi of keys followed by revised.
		if lo < len(keys) {
			f.Keys = keys[lo:min(hi, len(keys)):min(hi, len(keys))]
		}
		if hi > len(keys) {
			rlo := max(lo-len(keys), 0)
			f.RevisedKeys = revised[rlo : hi-len(keys) : hi-len(keys)]
		}
		out[i] = f
	}
	return out, nil
}

// ExportObjectName names an export file as the reference server does:
// "<root>/<start>-<end>-<batchNum %05d>.zip" (loadtest.md section 1.1). An
// empty root gives the bare file name.
func ExportObjectName(root string, start, end uint64, batchNum int32) string {
	name := fmt.Sprintf("%d-%d-%05d.zip", start, end, batchNum)
	if root == "" {
		return name
	}
	return strings.TrimSuffix(root, "/") + "/" + name
}

// ExportIndexName is the index object's name under root: "<root>/index.txt".
func ExportIndexName(root string) string {
	if root == "" {
		return "index.txt"
	}
	return strings.TrimSuffix(root, "/") + "/index.txt"
}

// ParseExportObjectName splits a name made by ExportObjectName.
func ParseExportObjectName(name string) (root string, start, end uint64, batchNum int32, err error) {
	base := name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		root, base = name[:i], name[i+1:]
	}
	stem, ok := strings.CutSuffix(base, ".zip")
	parts := strings.Split(stem, "-")
	if !ok || len(parts) != 3 || len(parts[2]) < 5 {
		return "", 0, 0, 0, fmt.Errorf("%w: %q is not <root>/<start>-<end>-<nnnnn>.zip", ErrExportObjectName, name)
	}
	start, err1 := strconv.ParseUint(parts[0], 10, 64)
	end, err2 := strconv.ParseUint(parts[1], 10, 64)
	num, err3 := strconv.ParseInt(parts[2], 10, 32)
	if err := errors.Join(err1, err2, err3); err != nil || num < 1 || start > end {
		return "", 0, 0, 0, fmt.Errorf("%w: %q is not <root>/<start>-<end>-<nnnnn>.zip", ErrExportObjectName, name)
	}
	// Only the name ExportObjectName makes: no empty root before a '/', no
	// root ending in '/', no leading zeros past the batch number's five
	// digits (the fuzz target found "/0-0-00001.zip" accepted).
	if ExportObjectName(root, start, end, int32(num)) != name {
		return "", 0, 0, 0, fmt.Errorf("%w: %q is not written as ExportObjectName writes it", ErrExportObjectName, name)
	}
	return root, start, end, int32(num), nil
}

func checkIndexLine(s string) error {
	if s == "" || len(s) > 1024 || !utf8.ValidString(s) {
		return fmt.Errorf("%w: index line %q is empty, longer than 1024 bytes or not UTF-8", ErrExportObjectName, s)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%w: index line %q holds a space or control character", ErrExportObjectName, s)
		}
	}
	return nil
}

// WriteExportIndex writes index.txt as the reference server does: the
// object names sorted, duplicates dropped, joined by "\n" (no trailing
// newline). Names with spaces or control characters are refused.
func WriteExportIndex(w io.Writer, names []string) error {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	for _, n := range sorted {
		if err := checkIndexLine(n); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, strings.Join(sorted, "\n")); err != nil {
		return fmt.Errorf("gaen export: writing index: %w", err)
	}
	return nil
}

// ReadExportIndex reads index.txt: one object name per line, in file order.
// It accepts "\r\n" line ends, blank lines and a missing final newline, and
// refuses an index over ExportMaxIndexBytes or a line with spaces or
// control characters.
func ReadExportIndex(r io.Reader) ([]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, ExportMaxIndexBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gaen export: reading index: %w", err)
	}
	if len(data) > ExportMaxIndexBytes {
		return nil, fmt.Errorf("%w: index over %d bytes", ErrExportTooLarge, ExportMaxIndexBytes)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, ExportMaxIndexBytes+1)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSuffix(sc.Text(), "\r")
		if s == "" {
			continue
		}
		if err := checkIndexLine(s); err != nil {
			return nil, fmt.Errorf("index line %d: %w", line, err)
		}
		names = append(names, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: index: %w", ErrExportFormat, err)
	}
	return names, nil
}

// GenerateSignatureKey makes a new ECDSA P-256 signing key from the
// operating system's secure random source.
func GenerateSignatureKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("gaen export: generating P-256 key: %w", err)
	}
	return k, nil
}

// SignatureKeyFromSeed derives an ECDSA P-256 signing key from seed with
// HKDF-SHA256, so that a simulation's key server signs with the same key
// every run and its outputs hash the same. Never use it for a real server:
// anyone who knows the seed can sign.
func SignatureKeyFromSeed(seed []byte) (*ecdsa.PrivateKey, error) {
	var ctr [4]byte
	for i := uint32(0); i < 64; i++ {
		binary.BigEndian.PutUint32(ctr[:], i)
		d, err := hkdf.Key(sha256.New, seed, ctr[:], "bluesim gaen export signing key", 32)
		if err != nil {
			return nil, fmt.Errorf("gaen export: deriving key: %w", err)
		}
		// Rejection sampling: d must lie in 1..n-1; a retry happens with
		// probability about 2^-32.
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d); err == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: no valid scalar derived from seed", ErrSignatureKey)
}

// pemBlocks yields the PEM blocks of data, skipping "EC PARAMETERS" (which
// `openssl ecparam -genkey` writes before the key).
func pemBlocks(data []byte, yield func(*pem.Block) (bool, error)) error {
	seen := false
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		seen = true
		if b.Type == "EC PARAMETERS" {
			continue
		}
		done, err := yield(b)
		if err != nil || done {
			return err
		}
	}
	if !seen {
		return fmt.Errorf("%w: input holds no PEM block", ErrSignatureKeyPEM)
	}
	return nil
}

// SignatureKeyFromPEM parses an ECDSA P-256 private key from PEM: a
// "PRIVATE KEY" block (PKCS #8) or an "EC PRIVATE KEY" block (SEC 1). An
// "EC PARAMETERS" block before it is skipped.
func SignatureKeyFromPEM(data []byte) (*ecdsa.PrivateKey, error) {
	var key *ecdsa.PrivateKey
	err := pemBlocks(data, func(b *pem.Block) (bool, error) {
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return true, fmt.Errorf("%w: PKCS #8 private key: %w", ErrSignatureKey, err)
			}
			ek, ok := k.(*ecdsa.PrivateKey)
			if !ok {
				return true, fmt.Errorf("%w: PKCS #8 key is %T, want ECDSA", ErrSignatureKey, k)
			}
			key = ek
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(b.Bytes)
			if err != nil {
				return true, fmt.Errorf("%w: SEC 1 EC private key: %w", ErrSignatureKey, err)
			}
			key = k
		default:
			return true, fmt.Errorf("%w: PEM block %q, want PRIVATE KEY or EC PRIVATE KEY", ErrSignatureKeyPEM, b.Type)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no private key block", ErrSignatureKeyPEM)
	}
	if err := checkP256(&key.PublicKey); err != nil {
		return nil, err
	}
	return key, nil
}

// SignaturePublicKeyFromPEM parses an ECDSA P-256 public key from a
// "PUBLIC KEY" PEM block (PKIX SubjectPublicKeyInfo, what `openssl ec
// -pubout` writes).
func SignaturePublicKeyFromPEM(data []byte) (*ecdsa.PublicKey, error) {
	var key *ecdsa.PublicKey
	err := pemBlocks(data, func(b *pem.Block) (bool, error) {
		if b.Type != "PUBLIC KEY" {
			return true, fmt.Errorf("%w: PEM block %q, want PUBLIC KEY", ErrSignatureKeyPEM, b.Type)
		}
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return true, fmt.Errorf("%w: PKIX public key: %w", ErrSignatureKey, err)
		}
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok {
			return true, fmt.Errorf("%w: public key is %T, want ECDSA", ErrSignatureKey, k)
		}
		key = ek
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no public key block", ErrSignatureKeyPEM)
	}
	if err := checkP256(key); err != nil {
		return nil, err
	}
	return key, nil
}

// SignatureKeyToPEM encodes a P-256 private key as a PKCS #8 "PRIVATE KEY"
// PEM block.
func SignatureKeyToPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: no private key", ErrSignatureKey)
	}
	if err := checkP256(&k.PublicKey); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignatureKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// SignaturePublicKeyToPEM encodes a P-256 public key as a PKIX "PUBLIC KEY"
// PEM block, the form phones and verification servers are configured with.
func SignaturePublicKeyToPEM(k *ecdsa.PublicKey) ([]byte, error) {
	if err := checkP256(k); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignatureKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
