package keyserver_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

// clock is a settable clock for the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func defaults(c *keyserver.Config, clk *clock) {
	// The reference servers' protections, as New's defaults set them.
	c.ReleaseSameDayKeys, c.MinWindowAge, c.ExportMinRecords = false, 0, 0
	c.Now = clk.Now
}

// TestEmbargo: a key still valid when uploaded is in no export until its
// rolling period has ended and the minimum window age (2 h) has passed;
// an expired key waits the window age only.
func TestEmbargo(t *testing.T) {
	// Mid-day, so today's key has hours left.
	clk := &clock{t: time.Now().UTC().Truncate(24 * time.Hour).Add(9*time.Hour + 17*time.Minute)}
	f := newFixture(t, func(c *keyserver.Config) { defaults(c, clk) })
	_, keys := deviceKeys(t, 21, 3, clk.Now())
	today, yesterday := keys[len(keys)-1], keys[len(keys)-2]
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, keys, "embargo")), nil); code != 200 {
		t.Fatalf("%d %v", code, resp)
	}
	todayEnd := time.Unix(today.Start+int64(today.Slots)*600, 0)
	upload := clk.Now()
	for _, tc := range []struct {
		at             time.Time
		today, expired bool
	}{
		{upload, false, false},
		{upload.Add(2*time.Hour - time.Second), false, false},
		{upload.Add(2*time.Hour + time.Second), false, true},
		{todayEnd.Add(2*time.Hour - time.Second), false, true},
		{todayEnd.Add(2*time.Hour + time.Second), true, true},
	} {
		clk.Set(tc.at)
		if _, err := f.srv.ExportNow(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, k := range f.downloadAll(t) {
			got[string(k.KeyData)] = true
		}
		if got[string(today.Key)] != tc.today || got[string(yesterday.Key)] != tc.expired {
			t.Errorf("at upload + %v: today's key exported %v, yesterday's %v; want %v, %v",
				tc.at.Sub(upload), got[string(today.Key)], got[string(yesterday.Key)], tc.today, tc.expired)
		}
	}
}

// TestExportPadding: an export of 24 real keys holds at least 1,000, and
// the size of files of 24 and of 50 real keys overlap, so a file's size
// does not tell how many were real.
func TestExportPadding(t *testing.T) {
	clk := &clock{t: time.Now()}
	f := newFixture(t, func(c *keyserver.Config) { defaults(c, clk); c.MinWindowAge = -1 })
	sizes := map[int][]int{}
	n := 0
	for _, real := range []int{24, 50, 24, 50, 24, 50, 24, 50} {
		for i := 0; i < real; i += 12 {
			var pks []tracing.PublishedKey
			_, ks := deviceKeys(t, uint64(1000+n), 13, clk.Now())
			pks = ks[:min(12, real-i)] // expired keys, released at once
			if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, pks, fmt.Sprint("pad-", n))), nil); code != 200 {
				t.Fatalf("%d %v", code, resp)
			}
			n++
		}
		clk.Add(time.Minute)
		res, err := f.srv.ExportNow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Keys != real || len(res.Files) != 1 {
			t.Fatalf("export of %d: %+v", real, res)
		}
		if res.Keys+res.Padding < keyserver.DefaultExportMinRecords || res.Keys+res.Padding > keyserver.DefaultExportMinRecords+keyserver.DefaultExportPaddingRange {
			t.Errorf("%d real + %d padding keys, want %d..%d in all", res.Keys, res.Padding, keyserver.DefaultExportMinRecords, keyserver.DefaultExportMinRecords+keyserver.DefaultExportPaddingRange)
		}
		resp, zip := get(t, f.url+"/"+res.Files[0], nil)
		if resp.StatusCode != 200 {
			t.Fatal(resp.StatusCode)
		}
		b, err := gaen.ReadExportZip(bytes.NewReader(zip), int64(len(zip)), f.pub)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Keys) != res.Keys+res.Padding {
			t.Errorf("file holds %d keys, want %d", len(b.Keys), res.Keys+res.Padding)
		}
		sizes[real] = append(sizes[real], len(zip))
	}
	// Padding of 0..100 keys (about 30 bytes each) hides a difference of
	// 26 keys: the size ranges overlap.
	lo24, hi24 := slices.Min(sizes[24]), slices.Max(sizes[24])
	lo50, hi50 := slices.Min(sizes[50]), slices.Max(sizes[50])
	if hi24 < lo50 || hi50 < lo24 {
		t.Errorf("sizes of files of 24 real keys %v and of 50 %v do not overlap", sizes[24], sizes[50])
	}
}

// ks returns the two-sample Kolmogorov–Smirnov statistic.
func ks(a, b []float64) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Float64s(a)
	sort.Float64s(b)
	d, i, j := 0.0, 0, 0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// TestChaffIndistinguishable sends real uploads and chaff interleaved and
// compares what an observer of the encrypted traffic sees: the status, the
// answer's size and its timing. A two-sample Kolmogorov–Smirnov test must
// not tell the two apart at the 0.1 % level.
func TestChaffIndistinguishable(t *testing.T) {
	f := newFixture(t, nil)
	const n = 120
	var realLat, chaffLat, realSize, chaffSize []float64
	send := func(body []byte, chaff bool) {
		r, _ := http.NewRequest(http.MethodPost, f.url+"/v1/publish", bytes.NewReader(body))
		if chaff {
			r.Header.Set("X-Chaff", "1")
		}
		t0 := time.Now()
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lat := float64(time.Since(t0).Microseconds())
		if resp.StatusCode != 200 {
			t.Fatalf("status %d (chaff %v): %s", resp.StatusCode, chaff, b)
		}
		if chaff {
			chaffLat, chaffSize = append(chaffLat, lat), append(chaffSize, float64(len(b)))
		} else {
			realLat, realSize = append(realLat, lat), append(realSize, float64(len(b)))
		}
	}
	for i := range n {
		_, keys := deviceKeys(t, uint64(5000+i), 14, f.now())
		body := mustJSON(t, f.request(t, keys, fmt.Sprint("real-", i)))
		send(body, false)
		_, fake := deviceKeys(t, uint64(9000+i), 14, f.now())
		send(mustJSON(t, f.request(t, fake, fmt.Sprint("chaff-", i))), true)
	}
	// Skip the first real uploads: chaff copies the timing of real ones
	// once it has seen some (10 ms before, as cwa-server starts).
	realLat, chaffLat = realLat[10:], chaffLat[10:]
	m := float64(len(realLat))
	crit := 1.95 * math.Sqrt(2/m) // α = 0.001
	if d := ks(realLat, chaffLat); d > crit {
		t.Errorf("latency: KS distance %.3f > %.3f: chaff is told from real uploads by timing (medians %.0f µs real, %.0f µs chaff)",
			d, crit, median(realLat), median(chaffLat))
	}
	crit = 1.95 * math.Sqrt(2/float64(n))
	if d := ks(realSize, chaffSize); d > crit {
		t.Errorf("size: KS distance %.3f > %.3f (real %v.., chaff %v..)", d, crit, realSize[:5], chaffSize[:5])
	}
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	sort.Float64s(v)
	return v[len(v)/2]
}

// TestSecureDelete: after retention cleanup no deleted key's bytes remain
// in the SQLite files (database and write-ahead log).
func TestSecureDelete(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Now()}
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := newFixture(t, func(c *keyserver.Config) { defaults(c, clk); c.Store = st; c.MinWindowAge = -1 })
	var deleted [][]byte
	for i := range 40 {
		_, keys := deviceKeys(t, uint64(700+i), 10, clk.Now())
		keys = keys[:9] // expired: exported at once
		if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, keys, fmt.Sprint("del-", i))), nil); code != 200 {
			t.Fatalf("%d %v", code, resp)
		}
		for _, k := range keys {
			deleted = append(deleted, k.Key)
		}
	}
	clk.Add(time.Second)
	if _, err := f.srv.ExportNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	files := func() []byte {
		var all []byte
		for _, n := range []string{sqlite.FileName, sqlite.FileName + "-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	found := func(b []byte) int {
		n := 0
		for _, k := range deleted {
			if bytes.Contains(b, k) {
				n++
			}
		}
		return n
	}
	if n := found(files()); n != len(deleted) {
		t.Fatalf("before cleanup only %d of %d keys are readable in the files: the test would prove nothing", n, len(deleted))
	}
	// 15 days on, the keys (at most 10 days old) and the export file are
	// past the 14-day retention.
	clk.Add(15 * 24 * time.Hour)
	stats, err := f.srv.CleanupNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Exposures != int64(len(deleted)) || stats.Files != 1 {
		t.Fatalf("cleanup removed %+v, want %d keys and 1 file", stats, len(deleted))
	}
	if n := found(files()); n > 0 {
		t.Errorf("%d of %d deleted keys are still readable in %s or its log", n, len(deleted), sqlite.FileName)
	}
}

// TestRetentionFromKeyInterval: a key is kept for the retention period
// after its own rolling period ends, however late it arrived.
func TestRetentionFromKeyInterval(t *testing.T) {
	clk := &clock{t: time.Now()}
	f := newFixture(t, func(c *keyserver.Config) { defaults(c, clk); c.MinWindowAge = -1 })
	_, keys := deviceKeys(t, 77, 14, clk.Now())
	// Keys of days -13..0: the oldest ended 12 days before today's
	// midnight. Three days on, the keys of days -13 and -12 ended more
	// than 14 days ago; counted from their arrival, none would go.
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, keys, "ret")), nil); code != 200 {
		t.Fatalf("%d %v", code, resp)
	}
	clk.Add(3 * 24 * time.Hour)
	st, err := f.srv.CleanupNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Exposures != 2 {
		t.Errorf("3 days after upload, cleanup removed %d keys; want the 2 whose period ended more than 14 days ago", st.Exposures)
	}
}

// TestReplayAcrossRestart: a token replayed within the expiry leeway after
// a restart is still refused (its record outlives the token by the
// leeway).
func TestReplayAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Now()}
	haKey := seededKey(t, "health authority")
	tokens := keyserver.TokenSigner{Key: haKey, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience, TTL: time.Minute}
	_, keys := deviceKeys(t, 99, 3, clk.Now())
	req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(keys, 0), HealthAuthorityID: keyserver.DefaultHealthAuthority}
	if err := tokens.SignUpload(&req, "leeway", []byte("s"), clk.Now()); err != nil {
		t.Fatal(err)
	}
	body := mustJSON(t, req)
	start := func() (*fixture, func()) {
		st, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, func(c *keyserver.Config) { c.Store = st; c.Now = clk.Now })
		return f, func() { st.Close() }
	}
	f, stop := start()
	if code, resp := post(t, f.url+"/v1/publish", body, nil); code != 200 {
		t.Fatalf("%d %v", code, resp)
	}
	stop()
	// 20 s past the token's expiry (within the 30 s leeway), restarted:
	// the start-up cleanup must not forget the token.
	clk.Add(time.Minute + 20*time.Second)
	f, stop = start()
	defer stop()
	if _, err := f.srv.CleanupNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, f.url+"/v1/publish", body, nil); code != 409 {
		t.Errorf("replay within the leeway after a restart: %d %v, want 409", code, resp)
	}
}

// TestRevision: a likely diagnosis is uploaded, exported, then confirmed
// with the revision token of the first answer: the next export lists the
// keys in revised_keys as confirmed tests. A second upload of the same
// keys without the token is answered with a warning per key.
func TestRevision(t *testing.T) {
	f := newFixture(t, nil)
	now := f.now()
	_, keys := deviceKeys(t, 31, 4, now)
	first := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(keys, 0), HealthAuthorityID: keyserver.DefaultHealthAuthority}
	sign := func(r *keyserver.PublishRequest, id, reportType string) {
		secret := []byte(id)
		r.HMACKey = b64(secret)
		c := keyserver.VerificationClaims{ReportType: reportType, SignedMAC: b64(keyserver.KeysHMAC(secret, r.Keys))}
		c.ID = id
		tok, err := f.tokens.Sign(c, now)
		if err != nil {
			t.Fatal(err)
		}
		r.VerificationPayload = tok
	}
	sign(&first, "likely", "likely")
	code, resp := post(t, f.url+"/v1/publish", mustJSON(t, first), nil)
	revTok, _ := resp["revisionToken"].(string)
	if code != 200 || revTok == "" {
		t.Fatalf("first upload: %d %v", code, resp)
	}
	f.exportNow(t)
	// Again without the token: nothing stored, a warning per key.
	again := keyserver.PublishRequest{Keys: first.Keys, HealthAuthorityID: keyserver.DefaultHealthAuthority}
	sign(&again, "again", "confirmed")
	code, resp = post(t, f.url+"/v1/publish", mustJSON(t, again), nil)
	if w, _ := resp["warnings"].([]any); code != 200 || resp["insertedExposures"] != float64(0) || len(w) != len(keys) {
		t.Errorf("re-upload without revision token: %d %v, want 0 inserted and %d warnings", code, resp, len(keys))
	}
	confirm := keyserver.PublishRequest{Keys: first.Keys, HealthAuthorityID: keyserver.DefaultHealthAuthority, RevisionToken: revTok}
	sign(&confirm, "confirm", "confirmed")
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, confirm), nil); code != 200 {
		t.Fatalf("revision: %d %v", code, resp)
	}
	res := f.exportNow(t)
	if res.Revised != len(keys) || res.Keys != 0 {
		t.Fatalf("export after revision: %+v, want %d revised keys", res, len(keys))
	}
	_, zip := get(t, f.url+"/"+res.Files[0], nil)
	b, err := gaen.ReadExportZip(bytes.NewReader(zip), int64(len(zip)), f.pub)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.RevisedKeys) != len(keys) {
		t.Fatalf("revised_keys holds %d keys, want %d", len(b.RevisedKeys), len(keys))
	}
	for _, k := range b.RevisedKeys {
		if k.ReportType != gaen.ExportReportConfirmedTest {
			t.Errorf("revised key %x: report type %d, want CONFIRMED_TEST", k.KeyData, k.ReportType)
		}
	}
}
