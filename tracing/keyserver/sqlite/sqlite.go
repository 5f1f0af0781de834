package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluesim/bluesim/tracing/keyserver"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// FileName is the database file's name inside the data directory.
const FileName = "keys.db"

// schemaVersion is PRAGMA user_version of the current schema. Version 1
// (no user_version) exported by sequence ranges and cannot be upgraded in
// place.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS exposures (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	key_data BLOB NOT NULL UNIQUE,
	rolling_start INTEGER NOT NULL,
	rolling_period INTEGER NOT NULL,
	transmission_risk INTEGER NOT NULL,
	report_type INTEGER NOT NULL,
	days_since_onset INTEGER,
	traveler INTEGER NOT NULL,
	received INTEGER NOT NULL,
	release INTEGER NOT NULL,
	batch INTEGER,
	revised_report_type INTEGER,
	revised_transmission_risk INTEGER,
	revised_days_since_onset INTEGER,
	revised_at INTEGER,
	revision_batch INTEGER
);
CREATE INDEX IF NOT EXISTS exposures_unexported ON exposures(release) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS exposures_batch ON exposures(batch);
CREATE INDEX IF NOT EXISTS exposures_revision_pending ON exposures(revised_at) WHERE revised_at IS NOT NULL AND revision_batch IS NULL;
CREATE INDEX IF NOT EXISTS exposures_revision_batch ON exposures(revision_batch) WHERE revision_batch IS NOT NULL;
CREATE INDEX IF NOT EXISTS exposures_end ON exposures(rolling_start + rolling_period);
CREATE TABLE IF NOT EXISTS tokens (
	id TEXT PRIMARY KEY,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS f0 (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	daily_key BLOB NOT NULL UNIQUE,
	time_start INTEGER NOT NULL,
	time_end INTEGER NOT NULL,
	slots INTEGER NOT NULL,
	received INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS f0_end ON f0(time_end);
CREATE TABLE IF NOT EXISTS export_batches (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	start_time INTEGER NOT NULL,
	end_time INTEGER NOT NULL,
	done INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS export_files (
	name TEXT PRIMARY KEY,
	batch_id INTEGER NOT NULL,
	start_time INTEGER NOT NULL,
	end_time INTEGER NOT NULL,
	batch_num INTEGER NOT NULL,
	batch_size INTEGER NOT NULL,
	keys INTEGER NOT NULL,
	etag TEXT NOT NULL,
	data BLOB NOT NULL,
	created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS export_files_end ON export_files(end_time);
`

// Store is a keyserver.Store on one SQLite file.
type Store struct {
	w *sql.DB // one connection: all writes
	r *sql.DB // readers
}

var _ keyserver.Store = (*Store)(nil)

// Open opens (creating if needed) the database in dir.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dir, FileName))
}

// OpenFile opens (creating if needed) the database file at path.
func OpenFile(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)", "secure_delete(ON)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite store %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &Store{w: w, r: r}, nil
}

// migrate creates the schema in an empty file and refuses one of another
// version.
func migrate(ctx context.Context, w *sql.DB) error {
	var v, tables int
	if err := w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if err := w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'exposures'").Scan(&tables); err != nil {
		return err
	}
	if tables > 0 && v != schemaVersion {
		return fmt.Errorf("the database has schema version %d, this bluesim uses %d: start with an empty --data directory (export the keys you need first)", v, schemaVersion)
	}
	if _, err := w.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	_, err := w.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion))
	return err
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.r.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

func nullOnset(has bool, d int32) any {
	if !has {
		return nil
	}
	return int64(d)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Publish stores the uploads in one transaction.
func (s *Store) Publish(ctx context.Context, uploads []keyserver.Upload) ([]keyserver.PublishResult, error) {
	res := make([]keyserver.PublishResult, len(uploads))
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlite publish: %w", err)
	}
	defer tx.Rollback()
	tok, err := tx.PrepareContext(ctx, "INSERT INTO tokens(id, expires) VALUES (?, ?) ON CONFLICT DO NOTHING")
	if err != nil {
		return nil, fmt.Errorf("sqlite publish: %w", err)
	}
	defer tok.Close()
	// One multi-row INSERT per upload: each statement crosses into SQLite
	// once, instead of once per key. Statements are prepared per row count.
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, 9*keyserver.MaxKeysPerUpload)
	inserted := map[[keyserver.KeyLen]byte]bool{}
	for i, up := range uploads {
		r, err := tok.ExecContext(ctx, up.TokenID, up.TokenExpiry.UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("sqlite publish: token: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res[i].Err = keyserver.ErrReplay
			continue
		}
		recv := up.Received.UnixMilli()
		clear(inserted)
		for off := 0; off < len(up.Keys); off += keyserver.MaxKeysPerUpload {
			chunk := up.Keys[off:min(len(up.Keys), off+keyserver.MaxKeysPerUpload)]
			st := stmts[len(chunk)]
			if st == nil {
				if st, err = tx.PrepareContext(ctx, insertSQL(len(chunk))); err != nil {
					return nil, fmt.Errorf("sqlite publish: %w", err)
				}
				stmts[len(chunk)] = st
			}
			args = args[:0]
			for _, e := range chunk {
				args = append(args, e.Key[:], e.RollingStart, e.RollingPeriod, e.TransmissionRisk,
					e.ReportType, nullOnset(e.HasOnset, e.DaysSinceOnset), b2i(e.Traveler), recv, e.Release)
			}
			if err := scanKeys(st.QueryContext(ctx, args...))(inserted); err != nil {
				return nil, fmt.Errorf("sqlite publish: keys: %w", err)
			}
		}
		res[i].Outcomes = make([]keyserver.KeyOutcome, len(up.Keys))
		for j, e := range up.Keys {
			switch {
			case inserted[e.Key]:
				res[i].Inserted++
			case j < len(up.Revisable) && up.Revisable[j]:
				ok, err := revise(ctx, tx, e, recv)
				if err != nil {
					return nil, fmt.Errorf("sqlite publish: revise: %w", err)
				}
				if ok {
					res[i].Outcomes[j] = keyserver.KeyRevised
					res[i].Revised++
				} else {
					res[i].Outcomes[j] = keyserver.KeyExists
				}
			default:
				res[i].Outcomes[j] = keyserver.KeyExists
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite publish: commit: %w", err)
	}
	return res, nil
}

// scanKeys collects the key_data RETURNING gives into set.
func scanKeys(rows *sql.Rows, err error) func(set map[[keyserver.KeyLen]byte]bool) error {
	return func(set map[[keyserver.KeyLen]byte]bool) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		var b []byte
		for rows.Next() {
			if err := rows.Scan(&b); err != nil {
				return err
			}
			var k [keyserver.KeyLen]byte
			copy(k[:], b)
			set[k] = true
		}
		return rows.Err()
	}
}

// revise applies e's status to the stored key e.Key if the reference
// allows it: a likely diagnosis (CONFIRMED_CLINICAL_DIAGNOSIS) never
// revised. Not yet exported, the key simply takes the new status; exported,
// the revision is recorded for the next batch's revised_keys.
func revise(ctx context.Context, tx *sql.Tx, e keyserver.Exposure, at int64) (bool, error) {
	onset := nullOnset(e.HasOnset, e.DaysSinceOnset)
	r, err := tx.ExecContext(ctx, `UPDATE exposures SET report_type = ?, transmission_risk = ?, days_since_onset = ?
		WHERE key_data = ? AND batch IS NULL AND report_type = 2 AND revised_at IS NULL`,
		e.ReportType, e.TransmissionRisk, onset, e.Key[:])
	if err != nil {
		return false, err
	}
	if n, _ := r.RowsAffected(); n == 1 {
		return true, nil
	}
	r, err = tx.ExecContext(ctx, `UPDATE exposures SET revised_report_type = ?, revised_transmission_risk = ?,
		revised_days_since_onset = ?, revised_at = ?
		WHERE key_data = ? AND batch IS NOT NULL AND report_type = 2 AND revised_at IS NULL`,
		e.ReportType, e.TransmissionRisk, onset, at, e.Key[:])
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// insertSQL is an INSERT of n exposures that returns the keys it stored.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO exposures
		(key_data, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset, traveler, received, release) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT DO NOTHING RETURNING key_data")
	return b.String()
}

// PublishF0 stores one F0 upload.
func (s *Store) PublishF0(ctx context.Context, up keyserver.F0Upload) (keyserver.F0Result, error) {
	var res keyserver.F0Result
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("sqlite f0: %w", err)
	}
	defer tx.Rollback()
	r, err := tx.ExecContext(ctx, "INSERT INTO tokens(id, expires) VALUES (?, ?) ON CONFLICT DO NOTHING", up.TokenID, up.TokenExpiry.UnixMilli())
	if err != nil {
		return res, fmt.Errorf("sqlite f0: token: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return res, keyserver.ErrReplay
	}
	st, err := tx.PrepareContext(ctx, "INSERT INTO f0(daily_key, time_start, time_end, slots, received) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
	if err != nil {
		return res, fmt.Errorf("sqlite f0: %w", err)
	}
	defer st.Close()
	for i, e := range up.Entries {
		r, err := st.ExecContext(ctx, e.DailyKey[:], e.TimeStart, e.TimeEnd, e.Max, up.Received.UnixMilli())
		if err != nil {
			return res, fmt.Errorf("sqlite f0: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 1 {
			res.Inserted++
		} else {
			res.Duplicates = append(res.Duplicates, i)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("sqlite f0: commit: %w", err)
	}
	return res, nil
}

// F0Since lists F0 entries after a sequence number.
func (s *Store) F0Since(ctx context.Context, after int64, limit int) ([]keyserver.StoredF0, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT seq, daily_key, time_start, time_end, slots, received FROM f0 WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite f0 list: %w", err)
	}
	defer rows.Close()
	var out []keyserver.StoredF0
	for rows.Next() {
		f, err := keyserver.ScanF0(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("sqlite f0 list: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func scanBatch(sc func(...any) error) (keyserver.Batch, error) {
	var b keyserver.Batch
	var start, end, done int64
	if err := sc(&b.ID, &start, &end, &done); err != nil {
		return b, err
	}
	b.Start, b.End, b.Done = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), done != 0
	return b, nil
}

// LastBatch returns the newest export batch.
func (s *Store) LastBatch(ctx context.Context) (keyserver.Batch, error) {
	b, err := scanBatch(s.w.QueryRowContext(ctx, "SELECT id, start_time, end_time, done FROM export_batches ORDER BY id DESC LIMIT 1").Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return keyserver.Batch{}, nil
	}
	if err != nil {
		return b, fmt.Errorf("sqlite last batch: %w", err)
	}
	return b, nil
}

// PendingBatches lists batches claimed but not saved.
func (s *Store) PendingBatches(ctx context.Context) ([]keyserver.Batch, error) {
	rows, err := s.w.QueryContext(ctx, "SELECT id, start_time, end_time, done FROM export_batches WHERE done = 0 ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("sqlite pending batches: %w", err)
	}
	defer rows.Close()
	var out []keyserver.Batch
	for rows.Next() {
		b, err := scanBatch(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("sqlite pending batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ClaimBatch records a batch and assigns it the released keys and the
// revisions no batch holds.
func (s *Store) ClaimBatch(ctx context.Context, b keyserver.Batch, cutoff time.Time) (keyserver.Batch, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return b, fmt.Errorf("sqlite claim batch: %w", err)
	}
	defer tx.Rollback()
	end := cutoff.UnixMilli()
	if err := tx.QueryRowContext(ctx, "INSERT INTO export_batches(start_time, end_time, done) VALUES (?, ?, 0) RETURNING id",
		b.Start.UnixMilli(), b.End.UnixMilli()).Scan(&b.ID); err != nil {
		return b, fmt.Errorf("sqlite claim batch: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE exposures SET batch = ? WHERE batch IS NULL AND release <= ?", b.ID, end); err != nil {
		return b, fmt.Errorf("sqlite claim batch: keys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE exposures SET revision_batch = ?
		WHERE revised_at IS NOT NULL AND revision_batch IS NULL AND revised_at <= ?`, b.ID, end); err != nil {
		return b, fmt.Errorf("sqlite claim batch: revisions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return b, fmt.Errorf("sqlite claim batch: commit: %w", err)
	}
	b.Done = false
	return b, nil
}

const exposureCols = "seq, key_data, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset, traveler, release"

func scanExposure(sc func(...any) error) (int64, keyserver.Exposure, error) {
	var e keyserver.Exposure
	var seq, trav int64
	var key []byte
	var onset sql.NullInt64
	if err := sc(&seq, &key, &e.RollingStart, &e.RollingPeriod, &e.TransmissionRisk, &e.ReportType, &onset, &trav, &e.Release); err != nil {
		return 0, e, err
	}
	if len(key) != keyserver.KeyLen {
		return 0, e, fmt.Errorf("seq %d: key of %d bytes", seq, len(key))
	}
	copy(e.Key[:], key)
	e.HasOnset, e.DaysSinceOnset = onset.Valid, int32(onset.Int64)
	e.Traveler = trav != 0
	return seq, e, nil
}

// BatchExposures streams a batch's keys, then its revisions.
func (s *Store) BatchExposures(ctx context.Context, id int64, fn func(keyserver.Exposure, bool) error) error {
	for _, q := range []struct {
		sql     string
		revised bool
	}{
		{"SELECT " + exposureCols + " FROM exposures WHERE batch = ? ORDER BY seq", false},
		{`SELECT seq, key_data, rolling_start, rolling_period, revised_transmission_risk, revised_report_type,
			revised_days_since_onset, traveler, release FROM exposures WHERE revision_batch = ? ORDER BY seq`, true},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, id)
		if err != nil {
			return fmt.Errorf("sqlite batch %d: %w", id, err)
		}
		for rows.Next() {
			_, e, err := scanExposure(rows.Scan)
			if err == nil {
				err = fn(e, q.revised)
			}
			if err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("sqlite batch %d: %w", id, err)
		}
	}
	return nil
}

// MaxSeq returns the largest committed exposure sequence number.
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	var n int64
	// sqlite_sequence keeps the AUTOINCREMENT high-water mark even after
	// cleanup deleted every row.
	err := s.w.QueryRowContext(ctx, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'exposures'), 0)").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite max seq: %w", err)
	}
	return n, nil
}

// Exposures streams exposures in a sequence range.
func (s *Store) Exposures(ctx context.Context, from, to int64, fn func(int64, keyserver.Exposure) error) error {
	rows, err := s.r.QueryContext(ctx, "SELECT "+exposureCols+" FROM exposures WHERE seq > ? AND seq <= ? ORDER BY seq", from, to)
	if err != nil {
		return fmt.Errorf("sqlite exposures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		seq, e, err := scanExposure(rows.Scan)
		if err != nil {
			return fmt.Errorf("sqlite exposures: %w", err)
		}
		if err := fn(seq, e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SaveExport records a batch's files and completes it.
func (s *Store) SaveExport(ctx context.Context, b keyserver.Batch, files []keyserver.ExportFile) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite save export: %w", err)
	}
	defer tx.Rollback()
	r, err := tx.ExecContext(ctx, "UPDATE export_batches SET done = 1 WHERE id = ? AND done = 0", b.ID)
	if err != nil {
		return fmt.Errorf("sqlite save export: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return keyserver.ErrBatchExists
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO export_files(name, batch_id, start_time, end_time, batch_num, batch_size, keys, etag, data, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.Name, b.ID, f.Start.UnixMilli(), f.End.UnixMilli(),
			f.BatchNum, f.BatchSize, f.Keys, f.ETag, f.Data, f.Created.UnixMilli()); err != nil {
			return fmt.Errorf("sqlite save export %s: %w", f.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite save export: commit: %w", err)
	}
	return nil
}

const fileCols = "name, start_time, end_time, batch_num, batch_size, keys, etag, created"

func scanFile(sc interface{ Scan(...any) error }, extra ...any) (keyserver.ExportFile, error) {
	var f keyserver.ExportFile
	var start, end, created int64
	dst := append([]any{&f.Name, &start, &end, &f.BatchNum, &f.BatchSize, &f.Keys, &f.ETag, &created}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return f, err
	}
	f.Start, f.End, f.Created = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), time.UnixMilli(created).UTC()
	return f, nil
}

// ExportFiles lists export files oldest first.
func (s *Store) ExportFiles(ctx context.Context) ([]keyserver.ExportFile, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+fileCols+" FROM export_files ORDER BY batch_id, batch_num")
	if err != nil {
		return nil, fmt.Errorf("sqlite export files: %w", err)
	}
	defer rows.Close()
	var out []keyserver.ExportFile
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite export files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ExportFile returns one export file with its data.
func (s *Store) ExportFile(ctx context.Context, name string) (keyserver.ExportFile, error) {
	var data []byte
	f, err := scanFile(s.r.QueryRowContext(ctx, "SELECT "+fileCols+", data FROM export_files WHERE name = ?", name), &data)
	if errors.Is(err, sql.ErrNoRows) {
		return f, keyserver.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("sqlite export file %s: %w", name, err)
	}
	f.Data = data
	return f, nil
}

// Cleanup deletes what is past retention, then checkpoints the write-ahead
// log into the main file and truncates it, so that the old page images the
// log held (with the deleted bytes) are gone as well.
func (s *Store) Cleanup(ctx context.Context, c keyserver.CleanupCutoffs) (keyserver.CleanupStats, error) {
	var st keyserver.CleanupStats
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("sqlite cleanup: %w", err)
	}
	defer tx.Rollback()
	files := c.FilesEndedBefore.UnixMilli()
	for _, q := range []struct {
		n   *int64
		sql string
		arg int64
	}{
		{&st.Exposures, "DELETE FROM exposures WHERE rolling_start + rolling_period <= ?", int64(c.KeysEndedBefore)},
		{&st.F0, "DELETE FROM f0 WHERE time_end < ?", c.F0EndedBefore},
		{&st.Files, "DELETE FROM export_files WHERE end_time < ?", files},
		{new(int64), "DELETE FROM export_batches WHERE done = 1 AND end_time < ? AND id < (SELECT max(id) FROM export_batches)", files},
		{&st.Tokens, "DELETE FROM tokens WHERE expires < ?", c.TokensExpiredBefore.UnixMilli()},
	} {
		r, err := tx.ExecContext(ctx, q.sql, q.arg)
		if err != nil {
			return st, fmt.Errorf("sqlite cleanup: %w", err)
		}
		*q.n, _ = r.RowsAffected()
	}
	if err := tx.Commit(); err != nil {
		return st, fmt.Errorf("sqlite cleanup: commit: %w", err)
	}
	if st.Exposures+st.F0+st.Files+st.Tokens > 0 {
		if err := s.Checkpoint(ctx); err != nil {
			return st, err
		}
	}
	return st, nil
}

// Checkpoint copies the write-ahead log into the database file and
// truncates the log. It fails if a reader kept it from finishing.
func (s *Store) Checkpoint(ctx context.Context) error {
	var busy, logFrames, done int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("sqlite checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("sqlite checkpoint: a reader kept the log from being truncated (%d of %d frames copied)", done, logFrames)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its answer ("ok"
// when the file is sound).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	rows, err := s.w.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return "", fmt.Errorf("sqlite integrity check: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", err
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "; "), rows.Err()
}
