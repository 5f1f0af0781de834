package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/bluesim/bluesim/tracing/keyserver"
)

const schema = `
CREATE TABLE IF NOT EXISTS exposures (
	seq BIGSERIAL PRIMARY KEY,
	key_data BYTEA NOT NULL UNIQUE,
	rolling_start INTEGER NOT NULL,
	rolling_period INTEGER NOT NULL,
	transmission_risk INTEGER NOT NULL,
	report_type INTEGER NOT NULL,
	days_since_onset INTEGER,
	traveler BOOLEAN NOT NULL,
	received BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS exposures_received ON exposures(received);
CREATE TABLE IF NOT EXISTS tokens (
	id TEXT PRIMARY KEY,
	expires BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS f0 (
	seq BIGSERIAL PRIMARY KEY,
	daily_key BYTEA NOT NULL,
	time_start BIGINT NOT NULL,
	time_end BIGINT NOT NULL,
	slots INTEGER NOT NULL,
	received BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS f0_received ON f0(received);
CREATE TABLE IF NOT EXISTS export_batches (
	from_seq BIGINT PRIMARY KEY,
	to_seq BIGINT NOT NULL,
	start_time BIGINT NOT NULL,
	end_time BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS export_files (
	name TEXT PRIMARY KEY,
	from_seq BIGINT NOT NULL,
	start_time BIGINT NOT NULL,
	end_time BIGINT NOT NULL,
	batch_num INTEGER NOT NULL,
	batch_size INTEGER NOT NULL,
	keys INTEGER NOT NULL,
	etag TEXT NOT NULL,
	data BYTEA NOT NULL,
	created BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS export_files_end ON export_files(end_time);
`

// publishSQL records the token and, only if it was new, inserts the keys;
// it returns whether the token was new and how many keys were inserted.
const publishSQL = `
WITH t AS (
	INSERT INTO tokens(id, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1
), ins AS (
	INSERT INTO exposures(key_data, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset, traveler, received)
	SELECT k, rs, rp, tr, rt, dso, tv, $10
	FROM unnest($3::bytea[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::bool[]) AS u(k, rs, rp, tr, rt, dso, tv)
	WHERE EXISTS (SELECT 1 FROM t)
	ON CONFLICT (key_data) DO NOTHING
	RETURNING 1
)
SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM ins)`

// Store is a keyserver.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
}

var _ keyserver.Store = (*Store)(nil)

// Open connects to the database at url (postgres://...) and creates the
// tables if they are missing.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if _, err := pool.Exec(ctx, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: schema: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() error { s.pool.Close(); return nil }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Publish pipelines the uploads in one transaction.
func (s *Store) Publish(ctx context.Context, uploads []keyserver.Upload) ([]keyserver.PublishResult, error) {
	res := make([]keyserver.PublishResult, len(uploads))
	b := &pgx.Batch{}
	for _, up := range uploads {
		n := len(up.Keys)
		keys := make([][]byte, n)
		rs, rp, tr, rt := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		dso := make([]*int32, n)
		tv := make([]bool, n)
		for i := range up.Keys {
			e := &up.Keys[i]
			keys[i] = e.Key[:]
			rs[i], rp[i], tr[i], rt[i], tv[i] = e.RollingStart, e.RollingPeriod, e.TransmissionRisk, e.ReportType, e.Traveler
			if e.HasOnset {
				dso[i] = &e.DaysSinceOnset
			}
		}
		b.Queue(publishSQL, up.TokenID, up.TokenExpiry.Unix(), keys, rs, rp, tr, rt, dso, tv, up.Received.UnixMilli())
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		for i := range uploads {
			var tok, ins int64
			if err := br.QueryRow().Scan(&tok, &ins); err != nil {
				br.Close()
				return err
			}
			if tok == 0 {
				res[i].Err = keyserver.ErrReplay
			}
			res[i].Inserted = int(ins)
		}
		return br.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres publish: %w", err)
	}
	return res, nil
}

// PublishF0 stores one F0 upload.
func (s *Store) PublishF0(ctx context.Context, up keyserver.F0Upload) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO tokens(id, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING", up.TokenID, up.TokenExpiry.Unix())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return keyserver.ErrReplay
		}
		for _, e := range up.Entries {
			if _, err := tx.Exec(ctx, "INSERT INTO f0(daily_key, time_start, time_end, slots, received) VALUES ($1, $2, $3, $4, $5)",
				e.DailyKey[:], e.TimeStart, e.TimeEnd, e.Max, up.Received.UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, keyserver.ErrReplay) {
		return err
	}
	if err != nil {
		return fmt.Errorf("postgres f0: %w", err)
	}
	return nil
}

// F0Since lists F0 entries after a sequence number.
func (s *Store) F0Since(ctx context.Context, after int64, limit int) ([]keyserver.StoredF0, error) {
	rows, err := s.pool.Query(ctx, "SELECT seq, daily_key, time_start, time_end, slots, received FROM f0 WHERE seq > $1 ORDER BY seq LIMIT $2", after, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres f0 list: %w", err)
	}
	defer rows.Close()
	var out []keyserver.StoredF0
	for rows.Next() {
		f, err := keyserver.ScanF0(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("postgres f0 list: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// LastBatch returns the newest export batch.
func (s *Store) LastBatch(ctx context.Context) (keyserver.Batch, error) {
	var b keyserver.Batch
	var start, end int64
	err := s.pool.QueryRow(ctx, "SELECT from_seq, to_seq, start_time, end_time FROM export_batches ORDER BY to_seq DESC, from_seq DESC LIMIT 1").
		Scan(&b.FromSeq, &b.ToSeq, &start, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return keyserver.Batch{}, nil
	}
	if err != nil {
		return b, fmt.Errorf("postgres last batch: %w", err)
	}
	b.Start, b.End = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC()
	return b, nil
}

// MaxSeq returns the largest committed sequence number below which nothing
// is still in flight. Sequence numbers are handed out before commit, so
// concurrent transactions can commit out of order; taking a SHARE lock on
// the table waits for every in-flight insert to finish first.
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE exposures IN SHARE MODE"); err != nil {
			return err
		}
		// last_value survives cleanup deleting every row; is_called says
		// whether the sequence was used at all.
		return tx.QueryRow(ctx, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM exposures_seq_seq").Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("postgres max seq: %w", err)
	}
	return n, nil
}

// Exposures streams exposures in a sequence range.
func (s *Store) Exposures(ctx context.Context, from, to int64, fn func(int64, keyserver.Exposure) error) error {
	rows, err := s.pool.Query(ctx, `SELECT seq, key_data, rolling_start, rolling_period, transmission_risk,
		report_type, days_since_onset, traveler FROM exposures WHERE seq > $1 AND seq <= $2 ORDER BY seq`, from, to)
	if err != nil {
		return fmt.Errorf("postgres exposures: %w", err)
	}
	defer rows.Close()
	var key []byte
	var onset *int32
	for rows.Next() {
		var e keyserver.Exposure
		var seq int64
		if err := rows.Scan(&seq, &key, &e.RollingStart, &e.RollingPeriod, &e.TransmissionRisk, &e.ReportType, &onset, &e.Traveler); err != nil {
			return fmt.Errorf("postgres exposures: %w", err)
		}
		if len(key) != keyserver.KeyLen {
			return fmt.Errorf("postgres exposures: seq %d: key of %d bytes", seq, len(key))
		}
		copy(e.Key[:], key)
		if onset != nil {
			e.HasOnset, e.DaysSinceOnset = true, *onset
		}
		if err := fn(seq, e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SaveExport records a batch and its files.
func (s *Store) SaveExport(ctx context.Context, b keyserver.Batch, files []keyserver.ExportFile) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO export_batches(from_seq, to_seq, start_time, end_time) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
			b.FromSeq, b.ToSeq, b.Start.UnixMilli(), b.End.UnixMilli())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return keyserver.ErrBatchExists
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO export_files(name, from_seq, start_time, end_time, batch_num, batch_size, keys, etag, data, created)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, f.Name, b.FromSeq, f.Start.UnixMilli(), f.End.UnixMilli(),
				f.BatchNum, f.BatchSize, f.Keys, f.ETag, f.Data, f.Created.UnixMilli()); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		return nil
	})
	if errors.Is(err, keyserver.ErrBatchExists) {
		return err
	}
	if err != nil {
		return fmt.Errorf("postgres save export: %w", err)
	}
	return nil
}

const fileCols = "name, start_time, end_time, batch_num, batch_size, keys, etag, created"

func scanFile(row pgx.Row, extra ...any) (keyserver.ExportFile, error) {
	var f keyserver.ExportFile
	var start, end, created int64
	var bn, bs, keys int32
	dst := append([]any{&f.Name, &start, &end, &bn, &bs, &keys, &f.ETag, &created}, extra...)
	if err := row.Scan(dst...); err != nil {
		return f, err
	}
	f.BatchNum, f.BatchSize, f.Keys = int(bn), int(bs), int(keys)
	f.Start, f.End, f.Created = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), time.UnixMilli(created).UTC()
	return f, nil
}

// ExportFiles lists export files oldest first.
func (s *Store) ExportFiles(ctx context.Context) ([]keyserver.ExportFile, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+fileCols+" FROM export_files ORDER BY from_seq, batch_num")
	if err != nil {
		return nil, fmt.Errorf("postgres export files: %w", err)
	}
	defer rows.Close()
	var out []keyserver.ExportFile
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres export files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ExportFile returns one export file with its data.
func (s *Store) ExportFile(ctx context.Context, name string) (keyserver.ExportFile, error) {
	var data []byte
	f, err := scanFile(s.pool.QueryRow(ctx, "SELECT "+fileCols+", data FROM export_files WHERE name = $1", name), &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, keyserver.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("postgres export file %s: %w", name, err)
	}
	f.Data = data
	return f, nil
}

// Cleanup deletes what is past retention.
func (s *Store) Cleanup(ctx context.Context, before, now time.Time) (keyserver.CleanupStats, error) {
	var st keyserver.CleanupStats
	b := before.UnixMilli()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []struct {
			n   *int64
			sql string
			arg int64
		}{
			{&st.Exposures, "DELETE FROM exposures WHERE received < $1", b},
			{&st.F0, "DELETE FROM f0 WHERE received < $1", b},
			{&st.Files, "DELETE FROM export_files WHERE end_time < $1", b},
			{new(int64), "DELETE FROM export_batches WHERE end_time < $1 AND to_seq < (SELECT max(to_seq) FROM export_batches)", b},
			{&st.Tokens, "DELETE FROM tokens WHERE expires < $1", now.Unix()},
		} {
			tag, err := tx.Exec(ctx, q.sql, q.arg)
			if err != nil {
				return err
			}
			*q.n = tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("postgres cleanup: %w", err)
	}
	return st, nil
}
