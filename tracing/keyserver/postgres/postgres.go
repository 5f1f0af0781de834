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
	received BIGINT NOT NULL,
	release BIGINT NOT NULL,
	batch BIGINT,
	revised_report_type INTEGER,
	revised_transmission_risk INTEGER,
	revised_days_since_onset INTEGER,
	revised_at BIGINT,
	revision_batch BIGINT
);
CREATE INDEX IF NOT EXISTS exposures_unexported ON exposures(release) WHERE batch IS NULL;
CREATE INDEX IF NOT EXISTS exposures_batch ON exposures(batch);
CREATE INDEX IF NOT EXISTS exposures_revision_pending ON exposures(revised_at) WHERE revised_at IS NOT NULL AND revision_batch IS NULL;
CREATE INDEX IF NOT EXISTS exposures_revision_batch ON exposures(revision_batch) WHERE revision_batch IS NOT NULL;
CREATE INDEX IF NOT EXISTS exposures_end ON exposures((rolling_start + rolling_period));
CREATE TABLE IF NOT EXISTS tokens (
	id TEXT PRIMARY KEY,
	expires BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS f0 (
	seq BIGSERIAL PRIMARY KEY,
	daily_key BYTEA NOT NULL UNIQUE,
	time_start BIGINT NOT NULL,
	time_end BIGINT NOT NULL,
	slots INTEGER NOT NULL,
	received BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS f0_end ON f0(time_end);
CREATE TABLE IF NOT EXISTS export_batches (
	id BIGSERIAL PRIMARY KEY,
	start_time BIGINT NOT NULL,
	end_time BIGINT NOT NULL,
	done BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS export_files (
	name TEXT PRIMARY KEY,
	batch_id BIGINT NOT NULL,
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
// it returns whether the token was new and the keys it inserted.
const publishSQL = `
WITH t AS (
	INSERT INTO tokens(id, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1
), ins AS (
	INSERT INTO exposures(key_data, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset, traveler, received, release)
	SELECT k, rs, rp, tr, rt, dso, tv, $10, rl
	FROM unnest($3::bytea[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[], $9::bool[], $11::bigint[]) AS u(k, rs, rp, tr, rt, dso, tv, rl)
	WHERE EXISTS (SELECT 1 FROM t)
	ON CONFLICT (key_data) DO NOTHING
	RETURNING key_data
)
SELECT (SELECT count(*) FROM t), coalesce((SELECT array_agg(key_data) FROM ins), '{}')`

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
	// A database of the first schema (export by sequence ranges) lacks
	// the release column and cannot be upgraded in place.
	var old bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'exposures')
		AND NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'exposures' AND column_name = 'release')`).Scan(&old); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if old {
		pool.Close()
		return nil, errors.New("postgres store: the database holds tables of an older bluesim schema: use an empty database or schema (export the keys you need first)")
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

func onsetPtr(has bool, d int32) *int32 {
	if !has {
		return nil
	}
	return &d
}

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
		rl := make([]int64, n)
		for i := range up.Keys {
			e := &up.Keys[i]
			keys[i] = e.Key[:]
			rs[i], rp[i], tr[i], rt[i], tv[i], rl[i] = e.RollingStart, e.RollingPeriod, e.TransmissionRisk, e.ReportType, e.Traveler, e.Release
			dso[i] = onsetPtr(e.HasOnset, e.DaysSinceOnset)
		}
		b.Queue(publishSQL, up.TokenID, up.TokenExpiry.UnixMilli(), keys, rs, rp, tr, rt, dso, tv, up.Received.UnixMilli(), rl)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, b)
		inserted := make([]map[string]bool, len(uploads))
		for i := range uploads {
			var tok int64
			var keys [][]byte
			if err := br.QueryRow().Scan(&tok, &keys); err != nil {
				br.Close()
				return err
			}
			if tok == 0 {
				res[i].Err = keyserver.ErrReplay
				continue
			}
			inserted[i] = make(map[string]bool, len(keys))
			for _, k := range keys {
				inserted[i][string(k)] = true
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		for i, up := range uploads {
			if res[i].Err != nil {
				continue
			}
			res[i].Outcomes = make([]keyserver.KeyOutcome, len(up.Keys))
			for j, e := range up.Keys {
				switch {
				case inserted[i][string(e.Key[:])]:
					res[i].Inserted++
				case j < len(up.Revisable) && up.Revisable[j]:
					ok, err := revise(ctx, tx, e, up.Received.UnixMilli())
					if err != nil {
						return err
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
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres publish: %w", err)
	}
	return res, nil
}

// revise applies a revision the reference allows (see the sqlite store).
func revise(ctx context.Context, tx pgx.Tx, e keyserver.Exposure, at int64) (bool, error) {
	onset := onsetPtr(e.HasOnset, e.DaysSinceOnset)
	tag, err := tx.Exec(ctx, `UPDATE exposures SET report_type = $1, transmission_risk = $2, days_since_onset = $3
		WHERE key_data = $4 AND batch IS NULL AND report_type = 2 AND revised_at IS NULL`,
		e.ReportType, e.TransmissionRisk, onset, e.Key[:])
	if err != nil {
		return false, err
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	tag, err = tx.Exec(ctx, `UPDATE exposures SET revised_report_type = $1, revised_transmission_risk = $2,
		revised_days_since_onset = $3, revised_at = $4
		WHERE key_data = $5 AND batch IS NOT NULL AND report_type = 2 AND revised_at IS NULL`,
		e.ReportType, e.TransmissionRisk, onset, at, e.Key[:])
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// PublishF0 stores one F0 upload.
func (s *Store) PublishF0(ctx context.Context, up keyserver.F0Upload) (keyserver.F0Result, error) {
	var res keyserver.F0Result
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = keyserver.F0Result{}
		tag, err := tx.Exec(ctx, "INSERT INTO tokens(id, expires) VALUES ($1, $2) ON CONFLICT DO NOTHING", up.TokenID, up.TokenExpiry.UnixMilli())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return keyserver.ErrReplay
		}
		for i, e := range up.Entries {
			tag, err := tx.Exec(ctx, "INSERT INTO f0(daily_key, time_start, time_end, slots, received) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
				e.DailyKey[:], e.TimeStart, e.TimeEnd, e.Max, up.Received.UnixMilli())
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				res.Inserted++
			} else {
				res.Duplicates = append(res.Duplicates, i)
			}
		}
		return nil
	})
	if errors.Is(err, keyserver.ErrReplay) {
		return keyserver.F0Result{}, err
	}
	if err != nil {
		return keyserver.F0Result{}, fmt.Errorf("postgres f0: %w", err)
	}
	return res, nil
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

func scanBatch(sc func(...any) error) (keyserver.Batch, error) {
	var b keyserver.Batch
	var start, end int64
	if err := sc(&b.ID, &start, &end, &b.Done); err != nil {
		return b, err
	}
	b.Start, b.End = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC()
	return b, nil
}

// LastBatch returns the newest export batch.
func (s *Store) LastBatch(ctx context.Context) (keyserver.Batch, error) {
	b, err := scanBatch(s.pool.QueryRow(ctx, "SELECT id, start_time, end_time, done FROM export_batches ORDER BY id DESC LIMIT 1").Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return keyserver.Batch{}, nil
	}
	if err != nil {
		return b, fmt.Errorf("postgres last batch: %w", err)
	}
	return b, nil
}

// PendingBatches lists batches claimed but not saved.
func (s *Store) PendingBatches(ctx context.Context) ([]keyserver.Batch, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, start_time, end_time, done FROM export_batches WHERE NOT done ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("postgres pending batches: %w", err)
	}
	defer rows.Close()
	var out []keyserver.Batch
	for rows.Next() {
		b, err := scanBatch(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("postgres pending batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ClaimBatch records a batch and assigns it the released keys and the
// revisions no batch holds. Rows that concurrent transactions are still
// inserting are not visible to the UPDATE and stay for the next batch;
// rows another exporter claims concurrently are locked and then skipped
// (their batch is no longer NULL when re-checked), so no key is claimed
// twice or missed.
func (s *Store) ClaimBatch(ctx context.Context, b keyserver.Batch, cutoff time.Time) (keyserver.Batch, error) {
	end := cutoff.UnixMilli()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO export_batches(start_time, end_time, done) VALUES ($1, $2, false) RETURNING id",
			b.Start.UnixMilli(), b.End.UnixMilli()).Scan(&b.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE exposures SET batch = $1 WHERE batch IS NULL AND release <= $2", b.ID, end); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE exposures SET revision_batch = $1
			WHERE revised_at IS NOT NULL AND revision_batch IS NULL AND revised_at <= $2`, b.ID, end)
		return err
	})
	if err != nil {
		return b, fmt.Errorf("postgres claim batch: %w", err)
	}
	b.Done = false
	return b, nil
}

const exposureCols = "seq, key_data, rolling_start, rolling_period, transmission_risk, report_type, days_since_onset, traveler, release"

func scanExposure(sc func(...any) error) (int64, keyserver.Exposure, error) {
	var e keyserver.Exposure
	var seq int64
	var key []byte
	var onset *int32
	if err := sc(&seq, &key, &e.RollingStart, &e.RollingPeriod, &e.TransmissionRisk, &e.ReportType, &onset, &e.Traveler, &e.Release); err != nil {
		return 0, e, err
	}
	if len(key) != keyserver.KeyLen {
		return 0, e, fmt.Errorf("seq %d: key of %d bytes", seq, len(key))
	}
	copy(e.Key[:], key)
	if onset != nil {
		e.HasOnset, e.DaysSinceOnset = true, *onset
	}
	return seq, e, nil
}

// BatchExposures streams a batch's keys, then its revisions.
func (s *Store) BatchExposures(ctx context.Context, id int64, fn func(keyserver.Exposure, bool) error) error {
	for _, q := range []struct {
		sql     string
		revised bool
	}{
		{"SELECT " + exposureCols + " FROM exposures WHERE batch = $1 ORDER BY seq", false},
		{`SELECT seq, key_data, rolling_start, rolling_period, revised_transmission_risk, revised_report_type,
			revised_days_since_onset, traveler, release FROM exposures WHERE revision_batch = $1 ORDER BY seq`, true},
	} {
		rows, err := s.pool.Query(ctx, q.sql, id)
		if err != nil {
			return fmt.Errorf("postgres batch %d: %w", id, err)
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
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres batch %d: %w", id, err)
		}
	}
	return nil
}

// MaxSeq returns the largest sequence number handed out so far.
func (s *Store) MaxSeq(ctx context.Context) (int64, error) {
	var n int64
	// last_value survives cleanup deleting every row; is_called says
	// whether the sequence was used at all.
	err := s.pool.QueryRow(ctx, "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM exposures_seq_seq").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres max seq: %w", err)
	}
	return n, nil
}

// Exposures streams exposures in a sequence range.
func (s *Store) Exposures(ctx context.Context, from, to int64, fn func(int64, keyserver.Exposure) error) error {
	rows, err := s.pool.Query(ctx, "SELECT "+exposureCols+" FROM exposures WHERE seq > $1 AND seq <= $2 ORDER BY seq", from, to)
	if err != nil {
		return fmt.Errorf("postgres exposures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		seq, e, err := scanExposure(rows.Scan)
		if err != nil {
			return fmt.Errorf("postgres exposures: %w", err)
		}
		if err := fn(seq, e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SaveExport records a batch's files and completes it.
func (s *Store) SaveExport(ctx context.Context, b keyserver.Batch, files []keyserver.ExportFile) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE export_batches SET done = true WHERE id = $1 AND NOT done", b.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return keyserver.ErrBatchExists
		}
		for _, f := range files {
			if _, err := tx.Exec(ctx, `INSERT INTO export_files(name, batch_id, start_time, end_time, batch_num, batch_size, keys, etag, data, created)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, f.Name, b.ID, f.Start.UnixMilli(), f.End.UnixMilli(),
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
	rows, err := s.pool.Query(ctx, "SELECT "+fileCols+" FROM export_files ORDER BY batch_id, batch_num")
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

// Cleanup deletes what is past retention and vacuums the tables it
// deleted from (see the package documentation for what that guarantees).
func (s *Store) Cleanup(ctx context.Context, c keyserver.CleanupCutoffs) (keyserver.CleanupStats, error) {
	var st keyserver.CleanupStats
	files := c.FilesEndedBefore.UnixMilli()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []struct {
			n   *int64
			sql string
			arg int64
		}{
			{&st.Exposures, "DELETE FROM exposures WHERE rolling_start + rolling_period <= $1", int64(c.KeysEndedBefore)},
			{&st.F0, "DELETE FROM f0 WHERE time_end < $1", c.F0EndedBefore},
			{&st.Files, "DELETE FROM export_files WHERE end_time < $1", files},
			{new(int64), "DELETE FROM export_batches WHERE done AND end_time < $1 AND id < (SELECT max(id) FROM export_batches)", files},
			{&st.Tokens, "DELETE FROM tokens WHERE expires < $1", c.TokensExpiredBefore.UnixMilli()},
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
	for _, t := range []struct {
		n    int64
		name string
	}{{st.Exposures, "exposures"}, {st.F0, "f0"}, {st.Files, "export_files"}} {
		if t.n > 0 {
			if _, err := s.pool.Exec(ctx, "VACUUM "+t.name); err != nil {
				return st, fmt.Errorf("postgres cleanup: vacuum %s: %w", t.name, err)
			}
		}
	}
	return st, nil
}
