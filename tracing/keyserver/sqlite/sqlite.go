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
	received INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS exposures_received ON exposures(received);
CREATE TABLE IF NOT EXISTS tokens (
	id TEXT PRIMARY KEY,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS f0 (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	daily_key BLOB NOT NULL,
	time_start INTEGER NOT NULL,
	time_end INTEGER NOT NULL,
	slots INTEGER NOT NULL,
	received INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS f0_received ON f0(received);
CREATE TABLE IF NOT EXISTS export_batches (
	from_seq INTEGER PRIMARY KEY,
	to_seq INTEGER NOT NULL,
	start_time INTEGER NOT NULL,
	end_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS export_files (
	name TEXT PRIMARY KEY,
	from_seq INTEGER NOT NULL,
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
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
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
	if _, err := w.ExecContext(ctx, schema); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite store %s: schema: %w", path, err)
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

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.r.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

func nullOnset(e keyserver.Exposure) any {
	if !e.HasOnset {
		return nil
	}
	return int64(e.DaysSinceOnset)
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
	args := make([]any, 0, 8*keyserver.MaxKeysPerUpload)
	for i, up := range uploads {
		r, err := tok.ExecContext(ctx, up.TokenID, up.TokenExpiry.Unix())
		if err != nil {
			return nil, fmt.Errorf("sqlite publish: token: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			res[i].Err = keyserver.ErrReplay
			continue
		}
		recv := up.Received.UnixMilli()
		for len(up.Keys) > 0 {
			chunk := up.Keys[:min(len(up.Keys), keyserver.MaxKeysPerUpload)]
			up.Keys = up.Keys[len(chunk):]
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
					e.ReportType, nullOnset(e), b2i(e.Traveler), recv)
			}
			r, err := st.ExecContext(ctx, args...)
			if err != nil {
				return nil, fmt.Errorf("sqlite publish: keys: %w", err)
			}
			n, _ := r.RowsAffected()
			res[i].Inserted += int(n)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sqlite publish: commit: %w", err)
	}
	return res, nil
}

// insertSQL is an INSERT of n exposures.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO exposures
		(key_data, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset, traveler, received) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(" ON CONFLICT DO NOTHING")
	return b.String()
}

// PublishF0 stores one F0 upload.
func (s *Store) PublishF0(ctx context.Context, up keyserver.F0Upload) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite f0: %w", err)
	}
	defer tx.Rollback()
	r, err := tx.ExecContext(ctx, "INSERT INTO tokens(id, expires) VALUES (?, ?) ON CONFLICT DO NOTHING", up.TokenID, up.TokenExpiry.Unix())
	if err != nil {
		return fmt.Errorf("sqlite f0: token: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return keyserver.ErrReplay
	}
	for _, e := range up.Entries {
		if _, err := tx.ExecContext(ctx, "INSERT INTO f0(daily_key, time_start, time_end, slots, received) VALUES (?, ?, ?, ?, ?)",
			e.DailyKey[:], e.TimeStart, e.TimeEnd, e.Max, up.Received.UnixMilli()); err != nil {
			return fmt.Errorf("sqlite f0: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite f0: commit: %w", err)
	}
	return nil
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

// LastBatch returns the newest export batch.
func (s *Store) LastBatch(ctx context.Context) (keyserver.Batch, error) {
	var b keyserver.Batch
	var start, end int64
	err := s.w.QueryRowContext(ctx, "SELECT from_seq, to_seq, start_time, end_time FROM export_batches ORDER BY to_seq DESC, from_seq DESC LIMIT 1").
		Scan(&b.FromSeq, &b.ToSeq, &start, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return keyserver.Batch{}, nil
	}
	if err != nil {
		return b, fmt.Errorf("sqlite last batch: %w", err)
	}
	b.Start, b.End = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC()
	return b, nil
}

// MaxSeq returns the largest committed exposure sequence number. With one
// writer connection, sequence numbers commit in order.
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
	rows, err := s.r.QueryContext(ctx, `SELECT seq, key_data, rolling_start, rolling_period, transmission_risk,
		report_type, days_since_onset, traveler FROM exposures WHERE seq > ? AND seq <= ? ORDER BY seq`, from, to)
	if err != nil {
		return fmt.Errorf("sqlite exposures: %w", err)
	}
	defer rows.Close()
	var key []byte
	var onset sql.NullInt64
	var trav int64
	for rows.Next() {
		var e keyserver.Exposure
		var seq int64
		if err := rows.Scan(&seq, &key, &e.RollingStart, &e.RollingPeriod, &e.TransmissionRisk, &e.ReportType, &onset, &trav); err != nil {
			return fmt.Errorf("sqlite exposures: %w", err)
		}
		if len(key) != keyserver.KeyLen {
			return fmt.Errorf("sqlite exposures: seq %d: key of %d bytes", seq, len(key))
		}
		copy(e.Key[:], key)
		e.HasOnset, e.DaysSinceOnset = onset.Valid, int32(onset.Int64)
		e.Traveler = trav != 0
		if err := fn(seq, e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SaveExport records a batch and its files.
func (s *Store) SaveExport(ctx context.Context, b keyserver.Batch, files []keyserver.ExportFile) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite save export: %w", err)
	}
	defer tx.Rollback()
	r, err := tx.ExecContext(ctx, "INSERT INTO export_batches(from_seq, to_seq, start_time, end_time) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		b.FromSeq, b.ToSeq, b.Start.UnixMilli(), b.End.UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite save export: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return keyserver.ErrBatchExists
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `INSERT INTO export_files(name, from_seq, start_time, end_time, batch_num, batch_size, keys, etag, data, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.Name, b.FromSeq, f.Start.UnixMilli(), f.End.UnixMilli(),
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
	rows, err := s.r.QueryContext(ctx, "SELECT "+fileCols+" FROM export_files ORDER BY from_seq, batch_num")
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

// Cleanup deletes what is past retention.
func (s *Store) Cleanup(ctx context.Context, before, now time.Time) (keyserver.CleanupStats, error) {
	var st keyserver.CleanupStats
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("sqlite cleanup: %w", err)
	}
	defer tx.Rollback()
	b := before.UnixMilli()
	for _, q := range []struct {
		n   *int64
		sql string
		arg int64
	}{
		{&st.Exposures, "DELETE FROM exposures WHERE received < ?", b},
		{&st.F0, "DELETE FROM f0 WHERE received < ?", b},
		{&st.Files, "DELETE FROM export_files WHERE end_time < ?", b},
		{new(int64), "DELETE FROM export_batches WHERE end_time < ? AND to_seq < (SELECT max(to_seq) FROM export_batches)", b},
		{&st.Tokens, "DELETE FROM tokens WHERE expires < ?", now.Unix()},
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
	return st, nil
}
