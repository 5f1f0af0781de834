package keyserverfuzz_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bluesim/bluesim/tracing/keyserver"
)

// memStore is a test double of keyserver.Store in memory, enough for the
// handlers the fuzz targets drive. It keeps tokens and keys, so that
// replays and duplicates take the same paths as on a real store.
type memStore struct {
	mu     sync.Mutex
	tokens map[string]bool
	keys   map[[keyserver.KeyLen]byte]keyserver.Exposure
	f0     []keyserver.StoredF0
	files  []keyserver.ExportFile
}

func newMemStore() *memStore {
	return &memStore{tokens: map[string]bool{}, keys: map[[keyserver.KeyLen]byte]keyserver.Exposure{}}
}

func (m *memStore) Publish(_ context.Context, ups []keyserver.Upload) ([]keyserver.PublishResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	res := make([]keyserver.PublishResult, len(ups))
	for i, up := range ups {
		if m.tokens[up.TokenID] {
			res[i].Err = keyserver.ErrReplay
			continue
		}
		m.tokens[up.TokenID] = true
		res[i].Outcomes = make([]keyserver.KeyOutcome, len(up.Keys))
		for j, e := range up.Keys {
			if _, ok := m.keys[e.Key]; ok {
				res[i].Outcomes[j] = keyserver.KeyExists
				continue
			}
			m.keys[e.Key] = e
			res[i].Inserted++
		}
	}
	return res, nil
}

func (m *memStore) PublishF0(_ context.Context, up keyserver.F0Upload) (keyserver.F0Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens[up.TokenID] {
		return keyserver.F0Result{}, keyserver.ErrReplay
	}
	m.tokens[up.TokenID] = true
	var res keyserver.F0Result
	for i, e := range up.Entries {
		if slices.ContainsFunc(m.f0, func(s keyserver.StoredF0) bool { return s.DailyKey == e.DailyKey }) {
			res.Duplicates = append(res.Duplicates, i)
			continue
		}
		m.f0 = append(m.f0, keyserver.StoredF0{F0Entry: e, Seq: int64(len(m.f0) + 1), Received: up.Received})
		res.Inserted++
	}
	return res, nil
}

func (m *memStore) F0Since(_ context.Context, after int64, limit int) ([]keyserver.StoredF0, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []keyserver.StoredF0
	for _, f := range m.f0 {
		if f.Seq > after && len(out) < limit {
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *memStore) LastBatch(context.Context) (keyserver.Batch, error)        { return keyserver.Batch{}, nil }
func (m *memStore) PendingBatches(context.Context) ([]keyserver.Batch, error) { return nil, nil }
func (m *memStore) ClaimBatch(_ context.Context, b keyserver.Batch, _ time.Time) (keyserver.Batch, error) {
	b.ID = 1
	return b, nil
}
func (m *memStore) BatchExposures(context.Context, int64, func(keyserver.Exposure, bool) error) error {
	return nil
}
func (m *memStore) SaveExport(_ context.Context, _ keyserver.Batch, files []keyserver.ExportFile) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files = append(m.files, files...)
	return nil
}
func (m *memStore) ExportFiles(context.Context) ([]keyserver.ExportFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]keyserver.ExportFile, len(m.files))
	for i, f := range m.files {
		f.Data = nil
		out[i] = f
	}
	return out, nil
}
func (m *memStore) ExportFile(_ context.Context, name string) (keyserver.ExportFile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.files {
		if f.Name == name {
			return f, nil
		}
	}
	return keyserver.ExportFile{}, keyserver.ErrNotFound
}
func (m *memStore) MaxSeq(context.Context) (int64, error) { return 0, nil }
func (m *memStore) Exposures(context.Context, int64, int64, func(int64, keyserver.Exposure) error) error {
	return nil
}
func (m *memStore) Cleanup(context.Context, keyserver.CleanupCutoffs) (keyserver.CleanupStats, error) {
	return keyserver.CleanupStats{}, nil
}
func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close() error               { return nil }
