package keyserver

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// KeyLen is the length of a GAEN temporary exposure key.
const KeyLen = 16

// F0KeyLen is the length of a Bluezone daily key.
const F0KeyLen = 32

// Exposure is one published temporary exposure key as the server stores it.
type Exposure struct {
	Key              [KeyLen]byte
	RollingStart     int32 // ENIntervalNumber of the key's first interval
	RollingPeriod    int32 // intervals, 1..144
	TransmissionRisk int32 // 0..8 (deprecated in GAEN v1.5, still carried)
	ReportType       int32 // exportpb ReportType: 1 CONFIRMED_TEST ...
	DaysSinceOnset   int32 // valid when HasOnset
	HasOnset         bool
	Traveler         bool
	// Release is when the key may first be exported, in Unix
	// milliseconds: when it was received, or, for a key still valid then,
	// the end of its rolling period (the embargo). An export at time t
	// takes keys released at or before t minus the minimum window age.
	Release int64
}

// End is the ENIntervalNumber just after the key's last interval.
func (e Exposure) End() int32 { return e.RollingStart + e.RollingPeriod }

// Revision is the new status of a key already stored, authorised by the
// revision token the server issued with its first upload (loadtest.md
// §1.1: revisionToken; the reference lets a likely diagnosis become a
// confirmed test or be revoked, once).
type Revision struct {
	ReportType       int32
	TransmissionRisk int32
	DaysSinceOnset   int32
	HasOnset         bool
}

// Upload is one accepted publish request: the keys and the identity of the
// token that authorised them, kept until the token expires so that a replay
// is refused.
type Upload struct {
	// TokenID identifies the verification token (its jti, or its tekmac
	// when it has none). A second upload with the same TokenID is a replay.
	TokenID string
	// TokenExpiry is when the token record may be dropped: the token's
	// expiry plus the verifier's clock leeway, so that a replay is refused
	// for as long as the token itself would be accepted, across restarts.
	TokenExpiry time.Time
	Keys        []Exposure
	// Revisable marks, by index into Keys, the keys the request's revision
	// token names: an already stored one of them may be revised to the
	// key's new report type (Keys[i].ReportType and its other fields).
	Revisable []bool
	Received  time.Time
}

// KeyOutcome is what Publish did with one key of an upload.
type KeyOutcome uint8

// Key outcomes.
const (
	// KeyInserted: the key was new and is stored.
	KeyInserted KeyOutcome = iota
	// KeyRevised: the key was stored before and its status is revised.
	KeyRevised
	// KeyExists: the key was stored before and is left as it was.
	KeyExists
)

// PublishResult is the outcome of one Upload in a Publish call.
type PublishResult struct {
	// Inserted is the number of keys stored, Revised the number of stored
	// keys whose status changed; keys already on the server are not
	// stored twice.
	Inserted, Revised int
	// Outcomes holds each key's outcome, by index into Upload.Keys.
	Outcomes []KeyOutcome
	// Err is nil, ErrReplay, or another error for this upload alone.
	Err error
}

// F0Entry is one Bluezone F0 daily key as phones receive it
// (protocols.md §1.5 step 2: daily_key, time_start, time_end, max).
type F0Entry struct {
	DailyKey  [F0KeyLen]byte
	TimeStart int64 // Unix seconds
	TimeEnd   int64 // Unix seconds, inclusive
	Max       int32 // slots per day
}

// F0Upload is one accepted F0 publish.
type F0Upload struct {
	TokenID     string
	TokenExpiry time.Time
	Entries     []F0Entry
	Received    time.Time
}

// F0Result is the outcome of an F0 publish: the entries stored, and, by
// index into the upload's entries, those whose daily key was already there.
type F0Result struct {
	Inserted   int
	Duplicates []int
}

// StoredF0 is an F0 entry with its position in the list. Seq grows with
// every entry stored, so a phone polls with the largest Seq it has seen.
type StoredF0 struct {
	F0Entry
	Seq      int64
	Received time.Time
}

// ScanF0 reads one row of (seq, daily_key, time_start, time_end, slots,
// received in Unix milliseconds), the column order both backends select,
// through scan (a database/sql or pgx Rows.Scan).
func ScanF0(scan func(dest ...any) error) (StoredF0, error) {
	var f StoredF0
	var key []byte
	var recv int64
	if err := scan(&f.Seq, &key, &f.TimeStart, &f.TimeEnd, &f.Max, &recv); err != nil {
		return StoredF0{}, err
	}
	if len(key) != F0KeyLen {
		return StoredF0{}, fmt.Errorf("seq %d: daily key of %d bytes", f.Seq, len(key))
	}
	copy(f.DailyKey[:], key)
	f.Received = time.UnixMilli(recv).UTC()
	return f, nil
}

// Batch is one export run. ClaimBatch gives it an ID and assigns to it
// every key released up to a cutoff that no batch has taken, and every
// revision of an exported key made up to it; the files written from them
// are saved with SaveExport, which completes the batch. Start and End are
// the whole seconds its files' names and headers carry.
type Batch struct {
	ID         int64
	Start, End time.Time
	// Done is set once the batch's files are saved.
	Done bool
}

// ExportFile is one signed export zip.
type ExportFile struct {
	// Name is the object name relative to the export root, as listed in
	// index.txt: "<start>-<end>-<batch %05d>.zip".
	Name       string
	Start, End time.Time
	BatchNum   int
	BatchSize  int
	Keys       int
	// ETag is the strong entity tag (quoted hex of the SHA-256 of Data).
	ETag    string
	Data    []byte
	Created time.Time
}

// CleanupCutoffs says what a Cleanup removes.
type CleanupCutoffs struct {
	// KeysEndedBefore: exposures whose rolling period ended (start plus
	// period, an ENIntervalNumber) at or before it.
	KeysEndedBefore int32
	// F0EndedBefore: F0 entries whose time_end (Unix seconds) is before it.
	F0EndedBefore int64
	// FilesEndedBefore: export files whose end is before it.
	FilesEndedBefore time.Time
	// TokensExpiredBefore: token records whose TokenExpiry is before it.
	TokensExpiredBefore time.Time
}

// CleanupStats counts what a Cleanup removed.
type CleanupStats struct {
	Exposures, F0, Files, Tokens int64
}

// Store is the key server's storage. Every method is safe for concurrent
// use. Writes are durable when the method returns nil: the server
// acknowledges an upload only after Publish returned, and nothing
// acknowledged may be lost, even if the process is killed right after.
type Store interface {
	// Publish stores each upload atomically and durably, in one
	// transaction for all of them (group commit). An upload whose TokenID
	// was seen before gets ErrReplay in its result and stores nothing.
	// A key already stored is not stored again; it is revised when the
	// upload marks it revisable, it was exported with report type
	// CONFIRMED_CLINICAL_DIAGNOSIS and was never revised, and the new
	// report type is CONFIRMED_TEST or REVOKED (the reference's only
	// transitions); a key revised before its first export is exported
	// with its new status instead. The error is for the whole call:
	// nothing was stored.
	Publish(ctx context.Context, uploads []Upload) ([]PublishResult, error)
	// PublishF0 stores an F0 upload (each daily key once), or returns
	// ErrReplay.
	PublishF0(ctx context.Context, up F0Upload) (F0Result, error)
	// F0Since returns up to limit F0 entries with Seq > after, in Seq order.
	F0Since(ctx context.Context, after int64, limit int) ([]StoredF0, error)

	// LastBatch returns the most recent export batch, done or not, or the
	// zero Batch when none was made.
	LastBatch(ctx context.Context) (Batch, error)
	// PendingBatches returns the batches claimed but not saved (a run
	// that crashed between ClaimBatch and SaveExport), oldest first.
	PendingBatches(ctx context.Context) ([]Batch, error)
	// ClaimBatch records a new batch (Start, End: the timestamps its
	// files carry) and, in the same transaction, assigns it the exposures
	// released at or before cutoff that no batch holds, and the revisions
	// made at or before cutoff of exposures already exported. It returns
	// the batch with its ID. Two exporters never claim the same key.
	ClaimBatch(ctx context.Context, b Batch, cutoff time.Time) (Batch, error)
	// BatchExposures calls fn for each key of batch id: revised is false
	// for a key on its first release, true for a revision (e then holds
	// the revised status).
	BatchExposures(ctx context.Context, id int64, fn func(e Exposure, revised bool) error) error
	// SaveExport records batch b's files and marks it done, atomically. It
	// returns ErrBatchExists if b is done already (another exporter
	// finished it).
	SaveExport(ctx context.Context, b Batch, files []ExportFile) error
	// ExportFiles lists the stored export files, without Data, oldest first.
	ExportFiles(ctx context.Context) ([]ExportFile, error)
	// ExportFile returns one file with its Data, or ErrNotFound.
	ExportFile(ctx context.Context, name string) (ExportFile, error)

	// MaxSeq returns the largest exposure sequence number committed so
	// far; Exposures calls fn for each exposure with from < seq <= to, in
	// sequence order (checks and tools read the stored rows with them).
	MaxSeq(ctx context.Context) (int64, error)
	Exposures(ctx context.Context, from, to int64, fn func(seq int64, e Exposure) error) error

	// Cleanup deletes what the cutoffs say, so that deleted keys are gone
	// from the database's files too as far as the backend can (see each
	// backend's documentation).
	Cleanup(ctx context.Context, c CleanupCutoffs) (CleanupStats, error)
	// Ping checks the store can be reached.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

var (
	// ErrReplay means an upload's verification token was used before.
	ErrReplay = errors.New("verification token already used")
	// ErrNotFound means no such export file.
	ErrNotFound = errors.New("not found")
	// ErrBatchExists means another exporter already completed the batch.
	ErrBatchExists = errors.New("export batch already exists")
)
