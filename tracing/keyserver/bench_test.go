package keyserver_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

// BenchmarkPublishExport1_4M publishes 100,000 uploads of 14 keys (1.4 M
// keys) over HTTP to a server on SQLite, then exports them, as the
// reference server's own load test did (loadtest.md §1.1: 2.2 minutes of
// export on a development machine). Request bodies, with their signed
// tokens, are built before the clock starts: they are the clients' work.
// It checks every key is in the export and reports publish_s, export_s and
// total_s. Run it with -bench PublishExport -benchtime 1x.
func BenchmarkPublishExport1_4M(b *testing.B) {
	const uploads, perUpload, workers = 100_000, 14, 64
	haKey := seededKey(b, "health authority")
	tokens := keyserver.TokenSigner{Key: haKey, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience, TTL: time.Hour}
	now := time.Now()
	today := int64(gaen.RollingStart(gaen.ENIntervalNumber(now)))
	bodies := make([][]byte, uploads)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			src := rand.NewChaCha8([32]byte{byte(w), 'b', 'e', 'n', 'c', 'h'})
			for i := w; i < uploads; i += workers {
				pks := make([]tracing.PublishedKey, perUpload)
				for d := range pks {
					k := make([]byte, 16)
					src.Read(k)
					binary.BigEndian.PutUint32(k, uint32(i)) // distinct across uploads
					pks[d] = tracing.PublishedKey{Key: k, Start: (today - 144*int64(d)) * 600, Slots: 144}
				}
				req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(pks, 2), HealthAuthorityID: keyserver.DefaultHealthAuthority}
				if err := tokens.SignUpload(&req, fmt.Sprint("bench-", i), []byte(fmt.Sprint(i)), now); err != nil {
					panic(err)
				}
				bodies[i], _ = json.Marshal(req)
			}
		})
	}
	wg.Wait()
	for b.Loop() {
		b.StopTimer()
		st, err := sqlite.Open(context.Background(), b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		srv, err := keyserver.New(keyserver.Config{Store: st, VerificationKey: &haKey.PublicKey,
			Signer: gaen.ExportSigner{Key: seededKey(b, "export")}, ExportPeriod: -1, ReleaseSameDayKeys: true, MinWindowAge: -1})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		hs := httptest.NewServer(srv.Handler())
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
		b.StartTimer()

		t0 := time.Now()
		var next, failed atomic.Int64
		var fwg sync.WaitGroup
		for range workers {
			fwg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= uploads {
						return
					}
					resp, err := client.Post(hs.URL+"/v1/publish", "application/json", bytes.NewReader(bodies[i]))
					if err != nil {
						failed.Add(1)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failed.Add(1)
					}
				}
			})
		}
		fwg.Wait()
		published := time.Since(t0)
		res, err := srv.ExportNow(context.Background())
		total := time.Since(t0)
		b.StopTimer()
		if err != nil || failed.Load() != 0 || res.Keys != uploads*perUpload {
			b.Fatalf("export %+v, err %v, %d failed uploads", res, err, failed.Load())
		}
		b.ReportMetric(published.Seconds(), "publish_s")
		b.ReportMetric(res.Duration.Seconds(), "export_s")
		b.ReportMetric(total.Seconds(), "total_s")
		b.ReportMetric(float64(len(res.Files)), "files")
		hs.Close()
		cancel()
		<-done
		st.Close()
		b.StartTimer()
	}
}
