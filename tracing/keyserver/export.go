package keyserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// ExportResult says what one export run did.
type ExportResult struct {
	// Files are the names of the files written (none when no key arrived
	// since the last run).
	Files []string
	// Keys is the number of keys exported.
	Keys int
	// Duration is how long the run took.
	Duration time.Duration
}

// ExportNow exports every key stored since the last export into signed
// files, records them and refreshes index.txt. Runs are serialised; the
// schedule calls it every ExportPeriod and tests call it directly.
func (s *Server) ExportNow(ctx context.Context) (ExportResult, error) {
	s.exportMu.Lock()
	defer s.exportMu.Unlock()
	t0 := time.Now()
	res, err := s.export(ctx)
	res.Duration = time.Since(t0)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "error"
	case len(res.Files) == 0:
		outcome = "empty"
	}
	s.m.exports.WithLabelValues(outcome).Inc()
	s.m.exportTime.Observe(res.Duration.Seconds())
	s.m.exportKeys.Add(float64(res.Keys))
	return res, err
}

func (s *Server) export(ctx context.Context) (ExportResult, error) {
	last, err := s.store.LastBatch(ctx)
	if err != nil {
		return ExportResult{}, err
	}
	maxSeq, err := s.store.MaxSeq(ctx)
	if err != nil {
		return ExportResult{}, err
	}
	if maxSeq <= last.ToSeq {
		return ExportResult{}, nil
	}
	now := s.cfg.Now().Truncate(time.Second)
	start := last.End.Truncate(time.Second)
	if last.End.IsZero() {
		start = now.Add(-s.cfg.ExportPeriod)
	}
	// File names hold whole seconds; two runs within a second must not
	// give the same name.
	end := now
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	// One allocation for all key bytes: a 1.4 M-key run stays compact.
	var keys []gaen.ExportKey
	var data []byte
	err = s.store.Exposures(ctx, last.ToSeq, maxSeq, func(_ int64, e Exposure) error {
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
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return ExportResult{}, err
	}
	batches, err := gaen.ExportSplitBatches(gaen.ExportBatch{
		StartTimestamp: uint64(start.Unix()), EndTimestamp: uint64(end.Unix()),
		Region: s.cfg.Region, Keys: keys,
	}, s.cfg.ExportMaxRecords)
	if err != nil {
		return ExportResult{}, err
	}
	created := s.cfg.Now()
	files := make([]ExportFile, 0, len(batches))
	res := ExportResult{Keys: len(keys)}
	for _, b := range batches {
		var buf bytes.Buffer
		if err := gaen.WriteExportZip(&buf, b, s.cfg.Signer); err != nil {
			return ExportResult{}, err
		}
		name := gaen.ExportObjectName(ExportRoot, b.StartTimestamp, b.EndTimestamp, b.BatchNum)
		files = append(files, ExportFile{
			Name: name, Start: start, End: end, BatchNum: int(b.BatchNum), BatchSize: int(b.BatchSize),
			Keys: len(b.Keys) + len(b.RevisedKeys), ETag: etagOf(buf.Bytes()), Data: buf.Bytes(), Created: created,
		})
		res.Files = append(res.Files, name)
	}
	err = s.store.SaveExport(ctx, Batch{FromSeq: last.ToSeq, ToSeq: maxSeq, Start: start, End: end}, files)
	if errors.Is(err, ErrBatchExists) {
		// Another exporter on the same store won; its files serve.
		return ExportResult{}, s.refreshIndex(ctx)
	}
	if err != nil {
		return ExportResult{}, err
	}
	for _, f := range files {
		s.cachePut(f)
	}
	s.log.Info("exported", "keys", len(keys), "files", len(files))
	return res, s.refreshIndex(ctx)
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

// CleanupNow deletes what is older than the retention period.
func (s *Server) CleanupNow(ctx context.Context) (CleanupStats, error) {
	now := s.cfg.Now()
	st, err := s.store.Cleanup(ctx, now.Add(-s.cfg.Retention), now)
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
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, meta.ETag) {
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
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
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

// etagMatches implements If-None-Match's list and "*" (RFC 9110 13.1.2).
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		p := strings.TrimSpace(part)
		if p == "*" || strings.TrimPrefix(p, "W/") == etag {
			return true
		}
	}
	return false
}
