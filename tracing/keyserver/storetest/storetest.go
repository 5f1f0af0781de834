package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/keyserver"
)

// Opener opens a fresh, empty store for one subtest. It registers the
// store's cleanup with t.
type Opener func(t *testing.T) keyserver.Store

// Run runs the whole suite against stores made by open.
func Run(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s keyserver.Store)
	}{
		{"PublishAndExposures", testPublishAndExposures},
		{"Replay", testReplay},
		{"DuplicateKeys", testDuplicateKeys},
		{"ConcurrentPublish", testConcurrentPublish},
		{"Export", testExport},
		{"F0", testF0},
		{"Cleanup", testCleanup},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// key returns a distinct 16-byte key for n.
func key(n int) [keyserver.KeyLen]byte {
	var k [keyserver.KeyLen]byte
	copy(k[:], fmt.Sprintf("k%015d", n))
	return k
}

func exposure(n int) keyserver.Exposure {
	e := keyserver.Exposure{
		Key: key(n), RollingStart: int32(2_900_000 + 144*(n%14)), RollingPeriod: 144,
		TransmissionRisk: int32(n % 9), ReportType: 1, Traveler: n%3 == 0,
	}
	if n%2 == 0 {
		// Onset days can be negative: keys from before symptoms began.
		e.DaysSinceOnset, e.HasOnset = int32(n%7-3), true
	}
	return e
}

func upload(token string, first, n int, recv time.Time) keyserver.Upload {
	up := keyserver.Upload{TokenID: token, TokenExpiry: recv.Add(time.Hour), Received: recv}
	for i := range n {
		up.Keys = append(up.Keys, exposure(first+i))
	}
	return up
}

func all(t *testing.T, s keyserver.Store) (seqs []int64, es []keyserver.Exposure) {
	t.Helper()
	ctx := context.Background()
	max, err := s.MaxSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Exposures(ctx, 0, max, func(seq int64, e keyserver.Exposure) error {
		seqs = append(seqs, seq)
		es = append(es, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return seqs, es
}

func testPublishAndExposures(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if max, err := s.MaxSeq(ctx); err != nil || max != 0 {
		t.Fatalf("empty store: MaxSeq = %d, %v", max, err)
	}
	res, err := s.Publish(ctx, []keyserver.Upload{upload("a", 0, 14, t0), upload("b", 14, 1, t0)})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Inserted != 14 || res[0].Err != nil || res[1].Inserted != 1 || res[1].Err != nil {
		t.Fatalf("results %+v", res)
	}
	seqs, es := all(t, s)
	if len(es) != 15 {
		t.Fatalf("%d exposures, want 15", len(es))
	}
	if !slices.IsSorted(seqs) {
		t.Errorf("sequence numbers not ascending: %v", seqs)
	}
	for i, e := range es {
		if e != exposure(i) {
			t.Errorf("exposure %d = %+v, want %+v", i, e, exposure(i))
		}
	}
	// A range in the middle.
	var got int
	if err := s.Exposures(ctx, seqs[2], seqs[5], func(int64, keyserver.Exposure) error { got++; return nil }); err != nil {
		t.Fatal(err)
	}
	if got != 3 {
		t.Errorf("range (seq2, seq5]: %d exposures, want 3", got)
	}
	// fn's error stops the scan and comes back.
	stop := errors.New("stop")
	if err := s.Exposures(ctx, 0, seqs[14], func(int64, keyserver.Exposure) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Exposures returned %v, want the callback's error", err)
	}
}

func testReplay(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	if _, err := s.Publish(ctx, []keyserver.Upload{upload("tok", 0, 3, t0)}); err != nil {
		t.Fatal(err)
	}
	// Same token again, in a batch with a fresh one, and twice in one batch.
	res, err := s.Publish(ctx, []keyserver.Upload{upload("tok", 10, 3, t0), upload("new", 20, 2, t0), upload("new", 30, 2, t0)})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, keyserver.ErrReplay) || res[0].Inserted != 0 {
		t.Errorf("replayed token: %+v, want ErrReplay and nothing inserted", res[0])
	}
	if res[1].Err != nil || res[1].Inserted != 2 {
		t.Errorf("fresh token: %+v", res[1])
	}
	if !errors.Is(res[2].Err, keyserver.ErrReplay) {
		t.Errorf("token reused within one batch: %+v, want ErrReplay", res[2])
	}
	if _, es := all(t, s); len(es) != 5 {
		t.Errorf("%d exposures stored, want 5", len(es))
	}
}

func testDuplicateKeys(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	res, err := s.Publish(ctx, []keyserver.Upload{upload("a", 0, 4, t0), upload("b", 2, 4, t0)})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Inserted != 4 || res[1].Inserted != 2 {
		t.Errorf("inserted %d and %d, want 4 and 2 (keys 2, 3 already there)", res[0].Inserted, res[1].Inserted)
	}
	if _, es := all(t, s); len(es) != 6 {
		t.Errorf("%d exposures stored, want 6", len(es))
	}
}

func testConcurrentPublish(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	const workers, per = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				n := (w*per + i) * 14
				res, err := s.Publish(ctx, []keyserver.Upload{upload(fmt.Sprintf("w%d-%d", w, i), n, 14, t0)})
				if err == nil && res[0].Inserted != 14 {
					err = fmt.Errorf("upload %d: inserted %d", n, res[0].Inserted)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seqs, es := all(t, s)
	if len(es) != workers*per*14 {
		t.Fatalf("%d exposures, want %d", len(es), workers*per*14)
	}
	if !slices.IsSorted(seqs) {
		t.Error("sequence numbers not ascending")
	}
}

func testExport(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	if b, err := s.LastBatch(ctx); err != nil || b != (keyserver.Batch{}) {
		t.Fatalf("empty store: LastBatch = %+v, %v", b, err)
	}
	if _, err := s.ExportFile(ctx, "nope.zip"); !errors.Is(err, keyserver.ErrNotFound) {
		t.Errorf("missing file: %v, want ErrNotFound", err)
	}
	b := keyserver.Batch{FromSeq: 0, ToSeq: 42, Start: t0, End: t0.Add(5 * time.Minute)}
	files := []keyserver.ExportFile{
		{Name: "1-2-00001.zip", Start: b.Start, End: b.End, BatchNum: 1, BatchSize: 2, Keys: 30, ETag: `"aa"`, Data: []byte("first"), Created: t0},
		{Name: "1-2-00002.zip", Start: b.Start, End: b.End, BatchNum: 2, BatchSize: 2, Keys: 12, ETag: `"bb"`, Data: []byte("second"), Created: t0},
	}
	if err := s.SaveExport(ctx, b, files); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveExport(ctx, b, files); !errors.Is(err, keyserver.ErrBatchExists) {
		t.Errorf("second save of the same batch: %v, want ErrBatchExists", err)
	}
	b2 := keyserver.Batch{FromSeq: 42, ToSeq: 50, Start: b.End, End: b.End.Add(5 * time.Minute)}
	if err := s.SaveExport(ctx, b2, nil); err != nil {
		t.Fatal(err)
	}
	last, err := s.LastBatch(ctx)
	if err != nil || last != b2 {
		t.Errorf("LastBatch = %+v, %v; want %+v", last, err, b2)
	}
	list, err := s.ExportFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != files[0].Name || list[1].Name != files[1].Name || list[0].Data != nil {
		t.Fatalf("ExportFiles = %+v", list)
	}
	for i, f := range list {
		want := files[i]
		want.Data = nil
		if f.Name != want.Name || !f.Start.Equal(want.Start) || !f.End.Equal(want.End) || f.BatchNum != want.BatchNum ||
			f.BatchSize != want.BatchSize || f.Keys != want.Keys || f.ETag != want.ETag || !f.Created.Equal(want.Created) {
			t.Errorf("file %d = %+v, want %+v", i, f, want)
		}
	}
	f, err := s.ExportFile(ctx, "1-2-00002.zip")
	if err != nil || string(f.Data) != "second" || f.ETag != `"bb"` {
		t.Errorf("ExportFile = %+v, %v", f, err)
	}
}

func testF0(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	entry := func(n int) keyserver.F0Entry {
		var k [keyserver.F0KeyLen]byte
		copy(k[:], fmt.Sprintf("daily-key-%022d", n))
		return keyserver.F0Entry{DailyKey: k, TimeStart: 1_700_000_000 + int64(n)*86400, TimeEnd: 1_700_086_399 + int64(n)*86400, Max: 144}
	}
	up := keyserver.F0Upload{TokenID: "f0-a", TokenExpiry: t0.Add(time.Hour), Received: t0, Entries: []keyserver.F0Entry{entry(0), entry(1)}}
	if err := s.PublishF0(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishF0(ctx, up); !errors.Is(err, keyserver.ErrReplay) {
		t.Errorf("replayed F0 upload: %v, want ErrReplay", err)
	}
	up2 := keyserver.F0Upload{TokenID: "f0-b", TokenExpiry: t0.Add(time.Hour), Received: t0.Add(time.Minute), Entries: []keyserver.F0Entry{entry(2)}}
	if err := s.PublishF0(ctx, up2); err != nil {
		t.Fatal(err)
	}
	got, err := s.F0Since(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d F0 entries, want 3", len(got))
	}
	for i, f := range got {
		if f.F0Entry != entry(i) {
			t.Errorf("entry %d = %+v, want %+v", i, f.F0Entry, entry(i))
		}
	}
	if !got[2].Received.Equal(up2.Received) {
		t.Errorf("received %v, want %v", got[2].Received, up2.Received)
	}
	rest, err := s.F0Since(ctx, got[0].Seq, 1)
	if err != nil || len(rest) != 1 || rest[0].Seq != got[1].Seq {
		t.Errorf("F0Since(after first, limit 1) = %+v, %v", rest, err)
	}
}

func testCleanup(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	old, recent := t0.Add(-15*24*time.Hour), t0.Add(-time.Hour)
	oldUp := upload("old", 0, 5, old)
	oldUp.TokenExpiry = old.Add(time.Hour)
	if _, err := s.Publish(ctx, []keyserver.Upload{oldUp, upload("recent", 5, 3, recent)}); err != nil {
		t.Fatal(err)
	}
	max, err := s.MaxSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var k [keyserver.F0KeyLen]byte
	if err := s.PublishF0(ctx, keyserver.F0Upload{TokenID: "f", TokenExpiry: old.Add(time.Hour), Received: old,
		Entries: []keyserver.F0Entry{{DailyKey: k, TimeStart: 1, TimeEnd: 2, Max: 144}}}); err != nil {
		t.Fatal(err)
	}
	b := keyserver.Batch{FromSeq: 0, ToSeq: max, Start: old, End: old.Add(time.Minute)}
	if err := s.SaveExport(ctx, b, []keyserver.ExportFile{{Name: "old.zip", Start: b.Start, End: b.End, BatchNum: 1, BatchSize: 1, ETag: `"x"`, Data: []byte("z"), Created: old}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Cleanup(ctx, t0.Add(-14*24*time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	want := keyserver.CleanupStats{Exposures: 5, F0: 1, Files: 1, Tokens: 2}
	if st != want {
		t.Errorf("Cleanup removed %+v, want %+v", st, want)
	}
	if _, es := all(t, s); len(es) != 3 {
		t.Errorf("%d exposures left, want 3", len(es))
	}
	// The high-water marks survive: sequence numbers are not reused and
	// the last batch is still known.
	if m, err := s.MaxSeq(ctx); err != nil || m != max {
		t.Errorf("MaxSeq after cleanup = %d, %v; want %d", m, err, max)
	}
	if lb, err := s.LastBatch(ctx); err != nil || lb.ToSeq != max {
		t.Errorf("LastBatch after cleanup = %+v, %v", lb, err)
	}
	// The token of the recent upload is not expired: still a replay.
	res, err := s.Publish(ctx, []keyserver.Upload{upload("recent", 50, 1, t0)})
	if err != nil || !errors.Is(res[0].Err, keyserver.ErrReplay) {
		t.Errorf("recent token after cleanup: %+v, %v; want ErrReplay", res, err)
	}
}
