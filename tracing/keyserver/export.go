package keyserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// ExportResult says what one export run did.
type ExportResult struct {
	// Files are the names of the files written (at least one a run).
	Files []string
	// Keys is the number of real keys exported on their first release,
	// Revised the number of revisions, Padding the random keys added.
	Keys, Revised, Padding int
	// Duration is how long the run took.
	Duration time.Duration
}

// ExportNow exports, into signed files, every key released at least
// MinWindowAge ago that no earlier export took, and every revision made
// as long ago of a key already exported, padded with random keys; it
// records the files and refreshes index.txt. A run that crashed between
// claiming its keys and saving its files is finished first. Runs are
// serialised; the schedule calls it every ExportPeriod and tests call it
// directly. Every run writes at least one file, even with no real key,
// so that neither the files nor their sizes tell whether anyone uploaded.
func (s *Server) ExportNow(ctx context.Context) (ExportResult, error) {
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	t0 := time.Now()
	res, err := s.export(ctx)
	res.Duration = time.Since(t0)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	s.m.exports.WithLabelValues(outcome).Inc()
	s.m.exportTime.Observe(res.Duration.Seconds())
	s.m.exportKeys.Add(float64(res.Keys))
	return res, err
}

func (s *Server) export(ctx context.Context) (ExportResult, error) {
	var res ExportResult
	pending, err := s.store.PendingBatches(ctx)
	if err != nil {
		return res, err
	}
	last, err := s.store.LastBatch(ctx)
	if err != nil {
		return res, err
	}
	now := s.cfg.Now()
	cutoff := now.Add(-s.cfg.MinWindowAge)
	// File names hold whole seconds: a batch starts where the last one
	// ended and ends at the cutoff rounded up. A run within the second
	// the last batch ended in makes no batch (a period under a second
	// exports at most once a second), so no two batches share a name and
	// no file claims an end later than its cutoff's second.
	end := cutoff.Truncate(time.Second)
	if end.Before(cutoff) {
		end = end.Add(time.Second)
	}
	start := last.End
	if last.End.IsZero() {
		start = end.Add(-max(s.cfg.ExportPeriod, time.Second)).Truncate(time.Second)
	}
	if end.After(start) {
		b, err := s.store.ClaimBatch(ctx, Batch{Start: start, End: end}, cutoff)
		if err != nil {
			return res, err
		}
		pending = append(pending, b)
	}
	for _, p := range pending {
		r, err := s.writeBatch(ctx, p, now)
		if err != nil {
			return res, err
		}
		res.Files = append(res.Files, r.Files...)
		res.Keys += r.Keys
		res.Revised += r.Revised
		res.Padding += r.Padding
	}
	return res, s.refreshIndex(ctx)
}

// writeBatch builds, signs and saves the files of a claimed batch.
func (s *Server) writeBatch(ctx context.Context, b Batch, created time.Time) (ExportResult, error) {
	// One allocation for all key bytes: a 1.4 M-key run stays compact.
	var keys, revised []gaen.ExportKey
	var data []byte
	err := s.store.BatchExposures(ctx, b.ID, func(e Exposure, isRevision bool) error {
		if len(data)+KeyLen > cap(data) {
			data = make([]byte, 0, max(64*1024, 2*cap(data)))
		}
		off := len(data)
		data = append(data, e.Key[:]...)
		k := gaen.ExportKey{
			KeyData:                    data[off : off+KeyLen : off+KeyLen],
			TransmissionRiskLevel:      e.TransmissionRisk,
			RollingStartIntervalNumber: e.RollingStart,
			RollingPeriod:              e.RollingPeriod,
			ReportType:                 e.ReportType,
			HasDaysSinceOnset:          e.HasOnset,
		}
		if e.HasOnset {
			k.DaysSinceOnsetOfSymptoms = e.DaysSinceOnset
		}
		if isRevision {
			revised = append(revised, k)
		} else {
			keys = append(keys, k)
		}
		return nil
	})
	if err != nil {
		return ExportResult{}, err
	}
	res := ExportResult{Keys: len(keys), Revised: len(revised)}
	r, done := s.rng()
	defer done()
	padded := s.pad(keys, len(revised), b.End, r)
	res.Padding = len(padded) - len(keys)
	batches, err := gaen.ExportSplitBatches(gaen.ExportBatch{
		StartTimestamp: uint64(b.Start.Unix()), EndTimestamp: uint64(b.End.Unix()),
		Region: s.cfg.Region, Keys: padded, RevisedKeys: revised,
	}, s.cfg.ExportMaxRecords)
	if err != nil {
		return ExportResult{}, err
	}
	files := make([]ExportFile, 0, len(batches))
	for _, eb := range batches {
		var buf bytes.Buffer
		if err := gaen.WriteExportZip(&buf, eb, s.cfg.Signer); err != nil {
			return ExportResult{}, err
		}
		name := gaen.ExportObjectName(ExportRoot, eb.StartTimestamp, eb.EndTimestamp, eb.BatchNum)
		files = append(files, ExportFile{
			Name: name, Start: b.Start, End: b.End, BatchNum: int(eb.BatchNum), BatchSize: int(eb.BatchSize),
			Keys: len(eb.Keys) + len(eb.RevisedKeys), ETag: etagOf(buf.Bytes()), Data: buf.Bytes(), Created: created,
		})
		res.Files = append(res.Files, name)
	}
	err = s.store.SaveExport(ctx, b, files)
	if errors.Is(err, ErrBatchExists) {
		// Another exporter on the same store finished it; its files serve.
		return ExportResult{}, nil
	}
	if err != nil {
		return ExportResult{}, err
	}
	for _, f := range files {
		s.cachePut(f)
	}
	s.log.Info("exported", "keys", len(keys), "revised", len(revised), "padding", res.Padding, "files", len(files))
	return res, nil
}

// pad adds random keys so that the batch holds at least ExportMinRecords
// keys plus a random 0..ExportPaddingRange more (the reference's
// EXPORT_FILE_MIN_RECORDS and EXPORT_FILE_PADDING_RANGE). Each fake key
// copies the rolling start, period, report type, transmission risk and
// onset of a random real key, so the metadata's spread stays that of the
// real keys; with no real key, it is a confirmed test of one of the 14
// days before end. The writer sorts keys by their bytes, so the order of
// a file does not tell real from fake either.
func (s *Server) pad(keys []gaen.ExportKey, revised int, end time.Time, r *rand.Rand) []gaen.ExportKey {
	if s.cfg.ExportMinRecords < 0 {
		return keys
	}
	target := s.cfg.ExportMinRecords
	if s.cfg.ExportPaddingRange > 0 {
		target += r.IntN(s.cfg.ExportPaddingRange + 1)
	}
	target -= revised
	if len(keys) >= target {
		return keys
	}
	out := make([]gaen.ExportKey, len(keys), target)
	copy(out, keys)
	data := make([]byte, KeyLen*(target-len(keys)))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	today := gaen.RollingStart(gaen.ENIntervalNumber(end))
	for len(out) < target {
		var k gaen.ExportKey
		if len(keys) > 0 {
			k = keys[r.IntN(len(keys))]
		} else {
			k = gaen.ExportKey{
				RollingStartIntervalNumber: int32(today) - int32(gaen.ExportDefaultRollingPeriod)*int32(1+r.IntN(14)),
				RollingPeriod:              gaen.ExportDefaultRollingPeriod,
				ReportType:                 gaen.ExportReportConfirmedTest,
			}
		}
		k.KeyData = data[:KeyLen:KeyLen]
		data = data[KeyLen:]
		out = append(out, k)
	}
	return out
}

// refreshIndex rebuilds index.txt from the store.
func (s *Server) refreshIndex(ctx context.Context) error {
	list, err := s.store.ExportFiles(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(list))
	files := make(map[string]ExportFile, len(list))
	for i, f := range list {
		names[i] = f.Name
		files[f.Name] = f
	}
	var buf bytes.Buffer
	if err := gaen.WriteExportIndex(&buf, names); err != nil {
		return err
	}
	s.index.Store(&indexState{body: buf.Bytes(), etag: etagOf(buf.Bytes()), files: files})
	// Drop cached files no longer listed (cleaned up).
	s.cacheMu.Lock()
	for name, f := range s.cache {
		if _, ok := files[name]; !ok {
			s.cacheLen -= len(f.Data)
			delete(s.cache, name)
		}
	}
	s.cacheMu.Unlock()
	return nil
}

func (s *Server) cachePut(f ExportFile) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if _, ok := s.cache[f.Name]; ok || s.cacheLen+len(f.Data) > maxCacheBytes {
		return
	}
	s.cache[f.Name] = f
	s.cacheLen += len(f.Data)
}

// CleanupNow deletes what is past retention: keys whose rolling period
// ended more than Retention ago (counted from the key's own interval, not
// from when it arrived), F0 entries whose day ended as long ago, export
// files that ended as long ago, and token records whose token (with the
// clock leeway) has expired.
func (s *Server) CleanupNow(ctx context.Context) (CleanupStats, error) {
	now := s.cfg.Now()
	cut := now.Add(-s.cfg.Retention)
	st, err := s.store.Cleanup(ctx, CleanupCutoffs{
		KeysEndedBefore:     int32(gaen.ENIntervalNumber(cut)),
		F0EndedBefore:       cut.Unix(),
		FilesEndedBefore:    cut,
		TokensExpiredBefore: now,
	})
	if err != nil {
		return st, err
	}
	s.m.cleaned.WithLabelValues("exposures").Add(float64(st.Exposures))
	s.m.cleaned.WithLabelValues("f0").Add(float64(st.F0))
	s.m.cleaned.WithLabelValues("files").Add(float64(st.Files))
	s.m.cleaned.WithLabelValues("tokens").Add(float64(st.Tokens))
	if st.Files > 0 {
		return st, s.refreshIndex(ctx)
	}
	return st, nil
}

// handleExports serves index.txt and the export files, immutable and
// content-addressed by strong ETags, so CDNs and phones can cache them.
func (s *Server) handleExports(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, CodeBadMethod, fmt.Sprintf("%s %s: use GET", r.Method, r.URL.Path))
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	idx := s.index.Load()
	if name == gaen.ExportIndexName(ExportRoot) {
		// The index changes with every export: caches revalidate often.
		serveBytes(w, r, idx.body, idx.etag, "text/plain; charset=utf-8", "public, max-age=60")
		return
	}
	meta, ok := idx.files[name]
	if !ok {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such export file: "+name)
		return
	}
	if match := r.Header.Get("If-None-Match"); match != "" && ETagMatches(match, meta.ETag) {
		w.Header().Set("ETag", meta.ETag)
		w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.cacheMu.Lock()
	f, ok := s.cache[name]
	s.cacheMu.Unlock()
	if !ok {
		var err error
		f, err = s.store.ExportFile(r.Context(), name)
		if errors.Is(err, ErrNotFound) {
			writeError(w, http.StatusNotFound, CodeNotFound, "no such export file: "+name)
			return
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "reading export file: "+err.Error())
			return
		}
		s.cachePut(f)
	}
	serveBytes(w, r, f.Data, f.ETag, "application/zip", "public, max-age=86400, immutable")
}

func serveBytes(w http.ResponseWriter, r *http.Request, body []byte, etag, ctype, cache string) {
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", cache)
	if match := r.Header.Get("If-None-Match"); match != "" && ETagMatches(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// ETagMatches reports whether an If-None-Match header matches etag: a
// comma-separated list of entity tags, weak or strong (weak comparison),
// or "*" (RFC 9110 13.1.2).
func ETagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		p := strings.TrimSpace(part)
		if p == "*" || strings.TrimPrefix(p, "W/") == etag {
			return true
		}
	}
	return false
}
