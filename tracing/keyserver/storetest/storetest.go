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
		{"ClaimConcurrent", testClaimConcurrent},
		{"Revision", testRevision},
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
		Release: t0.UnixMilli() + int64(n%5)*1000,
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
	want := []keyserver.KeyOutcome{keyserver.KeyExists, keyserver.KeyExists, keyserver.KeyInserted, keyserver.KeyInserted}
	if !slices.Equal(res[1].Outcomes, want) {
		t.Errorf("outcomes %v, want %v", res[1].Outcomes, want)
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

// exported returns the keys of batch id: first releases and revisions.
func exported(t *testing.T, s keyserver.Store, id int64) (keys, revised []keyserver.Exposure) {
	t.Helper()
	if err := s.BatchExposures(context.Background(), id, func(e keyserver.Exposure, rev bool) error {
		if rev {
			revised = append(revised, e)
		} else {
			keys = append(keys, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys, revised
}

func testExport(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	if b, err := s.LastBatch(ctx); err != nil || b != (keyserver.Batch{}) {
		t.Fatalf("empty store: LastBatch = %+v, %v", b, err)
	}
	if _, err := s.ExportFile(ctx, "nope.zip"); !errors.Is(err, keyserver.ErrNotFound) {
		t.Errorf("missing file: %v, want ErrNotFound", err)
	}
	// Keys 0..9 are released at t0 + (n%5) s.
	if _, err := s.Publish(ctx, []keyserver.Upload{upload("a", 0, 10, t0)}); err != nil {
		t.Fatal(err)
	}
	b, err := s.ClaimBatch(ctx, keyserver.Batch{Start: t0.Add(-time.Hour), End: t0.Add(2 * time.Second)}, t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := exported(t, s, b.ID)
	if len(keys) != 6 { // n%5 in 0..2: n = 0,1,2,5,6,7
		t.Fatalf("first batch claimed %d keys, want the 6 released by its end", len(keys))
	}
	if p, err := s.PendingBatches(ctx); err != nil || len(p) != 1 || p[0].ID != b.ID || p[0].Done {
		t.Errorf("PendingBatches = %+v, %v; want the claimed batch", p, err)
	}
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
	if p, err := s.PendingBatches(ctx); err != nil || len(p) != 0 {
		t.Errorf("PendingBatches after save = %+v, %v", p, err)
	}
	// The next batch takes the rest and nothing twice.
	b2, err := s.ClaimBatch(ctx, keyserver.Batch{Start: b.End, End: t0.Add(time.Minute)}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if b2.ID <= b.ID {
		t.Errorf("batch IDs %d then %d, want increasing", b.ID, b2.ID)
	}
	keys2, _ := exported(t, s, b2.ID)
	if len(keys2) != 4 {
		t.Errorf("second batch claimed %d keys, want the other 4", len(keys2))
	}
	got := map[[keyserver.KeyLen]byte]int{}
	for _, k := range append(keys, keys2...) {
		got[k.Key]++
	}
	for n := range 10 {
		if got[key(n)] != 1 {
			t.Errorf("key %d exported %d times", n, got[key(n)])
		}
	}
	if err := s.SaveExport(ctx, b2, nil); err != nil {
		t.Fatal(err)
	}
	last, err := s.LastBatch(ctx)
	if err != nil || last.ID != b2.ID || !last.End.Equal(b2.End) || !last.Done {
		t.Errorf("LastBatch = %+v, %v; want %+v done", last, err, b2)
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

// testClaimConcurrent claims batches while uploads commit: every key ends
// up in exactly one batch.
func testClaimConcurrent(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	const uploads = 60
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range uploads {
			if _, err := s.Publish(ctx, []keyserver.Upload{upload(fmt.Sprint("c", i), i*3, 3, t0)}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var ids []int64
	claim := func() {
		b, err := s.ClaimBatch(ctx, keyserver.Batch{Start: t0, End: t0.Add(time.Hour)}, t0.Add(time.Hour))
		if err != nil {
			t.Error(err)
			return
		}
		ids = append(ids, b.ID)
	}
	for range 20 {
		claim()
	}
	wg.Wait()
	claim()
	got := map[[keyserver.KeyLen]byte]int{}
	for _, id := range ids {
		keys, _ := exported(t, s, id)
		for _, k := range keys {
			got[k.Key]++
		}
	}
	for n := range uploads * 3 {
		if got[key(n)] != 1 {
			t.Errorf("key %d in %d batches, want 1", n, got[key(n)])
		}
	}
}

func testRevision(t *testing.T, s keyserver.Store) {
	ctx := context.Background()
	likely := func(token string, first, n int, rt int32, revisable bool) keyserver.Upload {
		up := upload(token, first, n, t0)
		for i := range up.Keys {
			up.Keys[i].ReportType = rt
			up.Revisable = append(up.Revisable, revisable)
		}
		return up
	}
	// Keys 0..3 likely; 0, 1 exported before their revision, 2, 3 not.
	if _, err := s.Publish(ctx, []keyserver.Upload{likely("l1", 0, 2, 2, false)}); err != nil {
		t.Fatal(err)
	}
	b, err := s.ClaimBatch(ctx, keyserver.Batch{Start: t0, End: t0.Add(time.Hour)}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveExport(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, []keyserver.Upload{likely("l2", 2, 2, 2, false)}); err != nil {
		t.Fatal(err)
	}
	// A confirmed test revises 0..3; key 4 is new; key 5 is not revisable.
	up := likely("confirm", 0, 5, 1, true)
	up.Keys = append(up.Keys, exposure(5))
	up.Revisable = append(up.Revisable, false)
	if _, err := s.Publish(ctx, []keyserver.Upload{upload("five", 5, 1, t0)}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Publish(ctx, []keyserver.Upload{up})
	if err != nil {
		t.Fatal(err)
	}
	want := []keyserver.KeyOutcome{keyserver.KeyRevised, keyserver.KeyRevised, keyserver.KeyRevised, keyserver.KeyRevised, keyserver.KeyInserted, keyserver.KeyExists}
	if !slices.Equal(res[0].Outcomes, want) || res[0].Revised != 4 || res[0].Inserted != 1 {
		t.Fatalf("revision: %+v, want outcomes %v", res[0], want)
	}
	// Once only.
	res, err = s.Publish(ctx, []keyserver.Upload{likely("again", 0, 1, 5, true)})
	if err != nil || res[0].Outcomes[0] != keyserver.KeyExists {
		t.Errorf("second revision: %+v, %v; want KeyExists", res, err)
	}
	b2, err := s.ClaimBatch(ctx, keyserver.Batch{Start: b.End, End: t0.Add(time.Hour)}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keys, revised := exported(t, s, b2.ID)
	if len(revised) != 2 || revised[0].Key != key(0) || revised[0].ReportType != 1 {
		t.Errorf("revised keys %+v, want keys 0 and 1 as confirmed tests", revised)
	}
	types := map[[keyserver.KeyLen]byte]int32{}
	for _, k := range keys {
		types[k.Key] = k.ReportType
	}
	if len(keys) != 4 || types[key(2)] != 1 || types[key(3)] != 1 || types[key(4)] != 1 {
		t.Errorf("first releases %+v, want keys 2, 3 (revised before export: confirmed), 4, 5", types)
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
	if res, err := s.PublishF0(ctx, up); err != nil || res.Inserted != 2 {
		t.Fatal(res, err)
	}
	if _, err := s.PublishF0(ctx, up); !errors.Is(err, keyserver.ErrReplay) {
		t.Errorf("replayed F0 upload: %v, want ErrReplay", err)
	}
	up2 := keyserver.F0Upload{TokenID: "f0-b", TokenExpiry: t0.Add(time.Hour), Received: t0.Add(time.Minute), Entries: []keyserver.F0Entry{entry(0), entry(2)}}
	if res, err := s.PublishF0(ctx, up2); err != nil || res.Inserted != 1 || !slices.Equal(res.Duplicates, []int{0}) {
		t.Fatalf("F0 upload with a stored daily key: %+v, %v; want 1 inserted, entry 0 a duplicate", res, err)
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
	// Keys of exposure(n) start at 2,900,000 + 144*(n%14) and last 144
	// intervals: keys 0..4 end at or before 2,900,576 + 144.
	oldUp := upload("old", 0, 5, t0)
	oldUp.TokenExpiry = t0.Add(-time.Minute)
	if _, err := s.Publish(ctx, []keyserver.Upload{oldUp, upload("recent", 5, 3, t0)}); err != nil {
		t.Fatal(err)
	}
	max, err := s.MaxSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var k [keyserver.F0KeyLen]byte
	if _, err := s.PublishF0(ctx, keyserver.F0Upload{TokenID: "f", TokenExpiry: t0.Add(time.Hour), Received: t0,
		Entries: []keyserver.F0Entry{{DailyKey: k, TimeStart: 1, TimeEnd: 2, Max: 144}}}); err != nil {
		t.Fatal(err)
	}
	old := t0.Add(-15 * 24 * time.Hour)
	b, err := s.ClaimBatch(ctx, keyserver.Batch{Start: old, End: old.Add(time.Minute)}, old.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveExport(ctx, b, []keyserver.ExportFile{{Name: "old.zip", Start: b.Start, End: b.End, BatchNum: 1, BatchSize: 1, ETag: `"x"`, Data: []byte("z"), Created: old}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Cleanup(ctx, keyserver.CleanupCutoffs{
		KeysEndedBefore: 2_900_000 + 144*5, F0EndedBefore: 3,
		FilesEndedBefore: t0.Add(-14 * 24 * time.Hour), TokensExpiredBefore: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := keyserver.CleanupStats{Exposures: 5, F0: 1, Files: 1, Tokens: 1}
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
	if lb, err := s.LastBatch(ctx); err != nil || lb.ID != b.ID {
		t.Errorf("LastBatch after cleanup = %+v, %v", lb, err)
	}
	// The token of the recent upload is not expired: still a replay.
	res, err := s.Publish(ctx, []keyserver.Upload{upload("recent", 50, 1, t0)})
	if err != nil || !errors.Is(res[0].Err, keyserver.ErrReplay) {
		t.Errorf("recent token after cleanup: %+v, %v; want ErrReplay", res, err)
	}
}
