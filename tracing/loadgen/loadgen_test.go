package loadgen_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
	"github.com/bluesim/bluesim/tracing/loadgen"
)

// server starts a key server on 127.0.0.1 with a short export period.
func server(t *testing.T) (url string, tokens keyserver.TokenSigner, exportKey *ecdsa.PublicKey) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ha, _ := gaen.SignatureKeyFromSeed([]byte("ha"))
	ex, _ := gaen.SignatureKeyFromSeed([]byte("export"))
	signer := gaen.ExportSigner{Key: ex}
	srv, err := keyserver.New(keyserver.Config{Store: st, VerificationKey: &ha.PublicKey, Signer: signer, ExportPeriod: 200 * time.Millisecond, ReleaseSameDayKeys: true, MinWindowAge: -1,
		// The test measures the generator, not the server under overload: on a
		// busy machine, saturation shedding would refuse some downloads.
		Limits: keyserver.Limits{ShedLag: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler()) // listens on 127.0.0.1
	t.Cleanup(func() { hs.Close(); cancel(); <-done })
	return hs.URL, keyserver.TokenSigner{Key: ha, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}, &ex.PublicKey
}

func TestRunWithPhones(t *testing.T) {
	url, tokens, exportPub := server(t)
	cfg := loadgen.Config{
		Target: url, Rate: 400, Duration: 1500 * time.Millisecond, Seed: 1,
		Mix:    loadgen.Mix{Publish: 5, Chaff: 10, Index: 40, Export: 45},
		Tokens: tokens,
		Phones: loadgen.PhoneConfig{N: 4, Sightings: 2000, Encounters: 2, PollInterval: 300 * time.Millisecond, Settle: 10 * time.Second},
	}
	cfg.Phones.ExportKey = exportPub
	r, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	r.WriteText(&buf)
	t.Log("\n" + buf.String())
	if r.Success != 1 || len(r.Errors) != 0 {
		t.Errorf("success %v, errors %v", r.Success, r.Errors)
	}
	if want := 600.0; math.Abs(float64(r.Requests)-want) > 2 {
		t.Errorf("%d requests, want %v (rate × duration)", r.Requests, want)
	}
	for _, k := range []string{"publish", "chaff", "index", "export"} {
		if r.Kinds[k].Requests == 0 {
			t.Errorf("no %s requests", k)
		}
	}
	ph := r.Phones
	if ph == nil || ph.Errors != 0 {
		t.Fatalf("phones: %+v", ph)
	}
	// Publishes 0..7 are met by the 4 phones (2 each); about 30 publishes
	// happen, so all 8 encounters are published and must be matched.
	if ph.EncountersPublished != 8 || ph.EncountersMatched != 8 || ph.FalseMatches != 0 {
		t.Errorf("encounters published %d, matched %d, false %d; want 8, 8, 0", ph.EncountersPublished, ph.EncountersMatched, ph.FalseMatches)
	}
	if ph.MatchMSPerDay.P50 <= 0 || ph.BytesPerDay.P50 <= 0 {
		t.Errorf("per-day figures missing: %+v", ph)
	}
}
