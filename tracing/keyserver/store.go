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
}

// Upload is one accepted publish request: the keys and the identity of the
// token that authorised them, kept until the token expires so that a replay
// is refused.
type Upload struct {
	// TokenID identifies the verification token (its jti, or its tekmac
	// when it has none). A second upload with the same TokenID is a replay.
	TokenID string
	// TokenExpiry is when the token expires; the token record may be
	// dropped after it.
	TokenExpiry time.Time
	Keys        []Exposure
	Received    time.Time
}

// PublishResult is the outcome of one Upload in a Publish call.
type PublishResult struct {
	// Inserted is the number of keys stored; keys already on the server
	// are not stored twice.
	Inserted int
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

// Batch is one export run: the exposures with FromSeq < seq <= ToSeq,
// received between Start and End.
type Batch struct {
	FromSeq, ToSeq int64
	Start, End     time.Time
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
	// The error is for the whole call: nothing was stored.
	Publish(ctx context.Context, uploads []Upload) ([]PublishResult, error)
	// PublishF0 stores an F0 upload, or returns ErrReplay.
	PublishF0(ctx context.Context, up F0Upload) error
	// F0Since returns up to limit F0 entries with Seq > after, in Seq order.
	F0Since(ctx context.Context, after int64, limit int) ([]StoredF0, error)

	// LastBatch returns the most recent export batch, or the zero Batch
	// when none was made.
	LastBatch(ctx context.Context) (Batch, error)
	// MaxSeq returns the largest exposure sequence number committed so far.
	// Every exposure with a smaller sequence number is committed too (no
	// transaction still in flight can add one below it), so a batch that
	// ends at MaxSeq never misses a key.
	MaxSeq(ctx context.Context) (int64, error)
	// Exposures calls fn for each exposure with from < seq <= to, in
	// sequence order.
	Exposures(ctx context.Context, from, to int64, fn func(seq int64, e Exposure) error) error
	// SaveExport records a batch and its files atomically. It fails if a
	// batch starting at b.FromSeq exists (another exporter won the race).
	SaveExport(ctx context.Context, b Batch, files []ExportFile) error
	// ExportFiles lists the stored export files, without Data, oldest first.
	ExportFiles(ctx context.Context) ([]ExportFile, error)
	// ExportFile returns one file with its Data, or ErrNotFound.
	ExportFile(ctx context.Context, name string) (ExportFile, error)

	// Cleanup deletes exposures, F0 entries and export files received or
	// ending before before, and token records expired at now.
	Cleanup(ctx context.Context, before, now time.Time) (CleanupStats, error)
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
	// ErrBatchExists means another exporter already saved a batch from
	// the same starting point.
	ErrBatchExists = errors.New("export batch already exists")
)
