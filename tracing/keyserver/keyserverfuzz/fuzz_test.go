package keyserverfuzz_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// now is the fuzz targets' fixed clock: an input must take the same path
// every time it runs.
var now = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func seededKey(t testing.TB, seed string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := gaen.SignatureKeyFromSeed([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var tokens keyserver.TokenSigner

// server is a key server on an in-memory store with a fixed clock and
// fixed randomness, and a signer of tokens it accepts.
func server(f *testing.F) *keyserver.Server {
	ha := seededKey(f, "health authority")
	tokens = keyserver.TokenSigner{Key: ha, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}
	srv, err := keyserver.New(keyserver.Config{
		Store: newMemStore(), VerificationKey: &ha.PublicKey, Signer: gaen.ExportSigner{Key: seededKey(f, "export")},
		ExportPeriod: -1, Now: func() time.Time { return now }, RevisionKey: make([]byte, keyserver.RevisionKeyLen),
		Rand:   func() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) },
		Limits: keyserver.Limits{PublishRate: -1},
	})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	f.Cleanup(func() { cancel(); <-done })
	return srv
}

// device returns the 14 keys of a phone, ending at now.
func device(t testing.TB, seed byte) []tracing.PublishedKey {
	d, err := gaen.NewDevice(rand.NewChaCha8([32]byte{seed}), now.Add(-15*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := d.Upload(now.Add(-13*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkAnswer fails unless the answer is JSON with a 2xx, 3xx or 4xx
// status, and a 4xx names its code and problem.
func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, input any) {
	t.Helper()
	if w.Code >= 500 || w.Code < 200 {
		t.Fatalf("status %d for %q: %s", w.Code, input, w.Body.Bytes())
	}
	if w.Code == http.StatusNotModified {
		return
	}
	var resp struct{ Error, Code string }
	if ct := w.Header().Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not JSON: %q", w.Body.Bytes())
		}
	}
	if w.Code >= 400 && (resp.Code == "" || resp.Error == "") {
		t.Fatalf("%d without code and message: %s", w.Code, w.Body.Bytes())
	}
}

// FuzzPublish feeds arbitrary bodies to POST /v1/publish, real and chaff:
// never a panic, always JSON with a 2xx or 4xx status.
func FuzzPublish(f *testing.F) {
	srv := server(f)
	h := srv.Handler()
	req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(device(f, 1), 0), HealthAuthorityID: keyserver.DefaultHealthAuthority, Padding: "cGFk"}
	if err := tokens.SignUpload(&req, "seed", []byte("secret"), now); err != nil {
		f.Fatal(err)
	}
	f.Add(mustJSON(f, req), false)
	req.RevisionToken = base64.StdEncoding.EncodeToString(make([]byte, 400))
	f.Add(mustJSON(f, req), false)
	f.Add([]byte(`{"temporaryExposureKeys":[{"key":"AAAAAAAAAAAAAAAAAAAAAA==","rollingStartNumber":1,"rollingPeriod":144}]}`), false)
	f.Add([]byte(`{"temporaryExposureKeys":null,"padding":7}`), true)
	f.Add([]byte(`{"temporaryExposureKeys":[{"key":"`+strings.Repeat("QUFB", 40)+`"}]}`), false)
	f.Add([]byte{0xff, '{'}, true)
	f.Fuzz(func(t *testing.T, body []byte, chaff bool) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/v1/publish", bytes.NewReader(body))
		if chaff {
			r.Header.Set(keyserver.ChaffHeader, "1")
		}
		h.ServeHTTP(w, r)
		checkAnswer(t, w, body)
		if chaff {
			if w.Code != http.StatusOK {
				t.Fatalf("chaff answered %d", w.Code)
			}
			return
		}
		checkPublishVerdict(t, w, body)
	})
}

// checkPublishVerdict requires the server's answer to a real publish to be
// what the request's own parser and key validation say of it: a body over
// the size cap is 413, a body that does not parse is 400
// unparsable_request, keys that do not validate get ValidateKeys's own
// refusal, and only a request whose keys validate can succeed, storing
// between one and all of its keys.
func checkPublishVerdict(t *testing.T, w *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	var resp keyserver.PublishResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("answer is not a publish response: %q", w.Body.Bytes())
	}
	if int64(len(body)) > keyserver.DefaultMaxBodyBytes {
		if w.Code != http.StatusRequestEntityTooLarge || resp.Code != keyserver.CodeTooLarge {
			t.Fatalf("%d-byte body: %d %s, want 413 %s", len(body), w.Code, resp.Code, keyserver.CodeTooLarge)
		}
		return
	}
	req, derr := keyserver.DecodePublishRequest(body)
	if derr != nil {
		if w.Code != http.StatusBadRequest || resp.Code != keyserver.CodeUnparsable {
			t.Fatalf("body the parser refuses (%v): %d %s %q, want 400 %s", derr, w.Code, resp.Code, resp.Error, keyserver.CodeUnparsable)
		}
		return
	}
	_, verr := keyserver.ValidateKeys(&req, now, keyserver.KeyRules{Retention: keyserver.DefaultRetention, MaxSameStart: keyserver.DefaultMaxSameStartKeys})
	var ae *keyserver.APIError
	switch {
	case errors.As(verr, &ae):
		if w.Code != ae.Status || resp.Code != ae.Code || resp.Error != ae.Msg {
			t.Fatalf("keys ValidateKeys refuses with %d %s %q: server answered %d %s %q", ae.Status, ae.Code, ae.Msg, w.Code, resp.Code, resp.Error)
		}
	case verr != nil:
		t.Fatalf("ValidateKeys error %v is not an APIError", verr)
	case resp.Code == keyserver.CodeUnparsable || resp.Code == keyserver.CodeBadKey || resp.Code == keyserver.CodeNoKeys ||
		resp.Code == keyserver.CodeTooManyKeys:
		t.Fatalf("valid keys refused as %d %s %q", w.Code, resp.Code, resp.Error)
	case w.Code == http.StatusOK && (resp.Code != "" || resp.Error != "" || resp.InsertedExposures < 1 || resp.InsertedExposures > len(req.Keys)):
		t.Fatalf("200 for %d keys with %+v", len(req.Keys), resp)
	}
}

// FuzzF0Publish feeds arbitrary bodies to POST /v1/bluezone/f0.
func FuzzF0Publish(f *testing.F) {
	srv := server(f)
	h := srv.Handler()
	day := now.Truncate(24 * time.Hour).Add(-48 * time.Hour)
	req := keyserver.F0PublishRequest{HealthAuthorityID: keyserver.DefaultHealthAuthority, Data: []bluezone.F0Entry{
		{DailyKey: strings.Repeat("ab", 32), TimeStart: day.Unix(), TimeEnd: day.Unix() + 86399, Max: 144},
	}}
	if err := tokens.SignF0(&req, "f0", []byte("k"), now); err != nil {
		f.Fatal(err)
	}
	f.Add(mustJSON(f, req))
	f.Add([]byte(`{"data":[{"daily_key":"00","time_start":0,"time_end":1,"max":144}],"healthAuthorityID":"bluesim-dev"}`))
	f.Add([]byte(`{"data":[]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/bluezone/f0", bytes.NewReader(body)))
		checkAnswer(t, w, body)
	})
}

// FuzzConditionalGet fuzzes the ?since= cursor of the F0 list and the
// If-None-Match header of the F0 list, index.txt and an export file.
func FuzzConditionalGet(f *testing.F) {
	srv := server(f)
	h := srv.Handler()
	// One export file to revalidate.
	if _, err := srv.ExportNow(context.Background()); err != nil {
		f.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/exports/index.txt", nil))
	name := strings.Fields(w.Body.String())[0]
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/"+name, nil))
	etag := w.Header().Get("ETag")
	for _, s := range []string{"", "0", "17", "-1", "9223372036854775808", "1e3", " 1"} {
		f.Add(s, "")
	}
	for _, e := range []string{etag, "*", `W/` + etag, `"x", ` + etag, `"unterminated`, ",,,"} {
		f.Add("1", e)
	}
	paths := []string{"/v1/bluezone/f0?since=", "/v1/exports/index.txt?since=", "/" + name + "?since="}
	f.Fuzz(func(t *testing.T, since, inm string) {
		if n, err := keyserver.ParseSince(since); err == nil && (n < 0 || strings.Trim(since, "0123456789") != "") {
			t.Fatalf("ParseSince accepted %q as %d", since, n)
		}
		for _, p := range paths {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL = &url.URL{Path: strings.SplitN(p, "?", 2)[0], RawQuery: "since=" + url.QueryEscape(since)}
			if inm != "" {
				r.Header.Set("If-None-Match", inm)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			checkAnswer(t, w, since+" "+inm)
			if w.Code == http.StatusNotModified && !keyserver.ETagMatches(inm, w.Header().Get("ETag")) {
				t.Fatalf("304 for If-None-Match %q against ETag %s", inm, w.Header().Get("ETag"))
			}
		}
	})
}

// FuzzVerifyToken fuzzes the verification token on its own: whatever it
// holds, VerifyToken returns a TokenError or a token whose signature,
// issuer, audience, lifetime and tekmac all checked out.
func FuzzVerifyToken(f *testing.F) {
	ha := seededKey(f, "health authority")
	signer := keyserver.TokenSigner{Key: ha, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}
	keys := keyserver.ExposureKeysJSON(device(f, 2), 0)
	req := keyserver.PublishRequest{Keys: keys}
	if err := signer.SignUpload(&req, "jti-1", []byte("secret"), now); err != nil {
		f.Fatal(err)
	}
	f.Add(req.VerificationPayload, req.HMACKey)
	f.Add("a.b.c", "c2VjcmV0")
	f.Add("eyJhbGciOiJub25lIn0.eyJleHAiOjF9.", "")
	parts := strings.Split(req.VerificationPayload, ".")
	f.Add(parts[0]+"."+parts[1]+".", req.HMACKey)
	rules := keyserver.TokenRules{Key: &ha.PublicKey, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience,
		Leeway: keyserver.DefaultTokenLeeway, MaxLifetime: keyserver.DefaultMaxTokenLifetime}
	mac := func(secret []byte) []byte { return keyserver.KeysHMAC(secret, keys) }
	f.Fuzz(func(t *testing.T, raw, hmacKey string) {
		tok, err := keyserver.VerifyToken(raw, rules, now, mac, hmacKey)
		if err != nil {
			if _, ok := err.(*keyserver.TokenError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if raw != req.VerificationPayload && !strings.HasPrefix(tok.ID, "jti:") && !strings.HasPrefix(tok.ID, "mac:") {
			t.Fatalf("accepted %q as %+v", raw, tok)
		}
	})
}

// FuzzKeyFiles fuzzes what bluesim serve and loadtest read from key
// files: PEM private and public keys and the revision-token key.
func FuzzKeyFiles(f *testing.F) {
	k := seededKey(f, "pem")
	priv, _ := gaen.SignatureKeyToPEM(k)
	pub, _ := gaen.SignaturePublicKeyToPEM(&k.PublicKey)
	f.Add(priv)
	f.Add(pub)
	f.Add(append(append([]byte{}, pub...), priv...))
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"))
	f.Add([]byte(strings.Repeat("ab", 32) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if k, err := gaen.SignatureKeyFromPEM(data); err == nil && k.Curve.Params().Name != "P-256" {
			t.Fatalf("private key on %s", k.Curve.Params().Name)
		}
		if p, err := gaen.SignaturePublicKeyFromPEM(data); err == nil && p.Curve.Params().Name != "P-256" {
			t.Fatalf("public key on %s", p.Curve.Params().Name)
		}
		if rk, err := keyserver.ParseRevisionKey(data); err == nil && len(rk) != keyserver.RevisionKeyLen {
			t.Fatalf("revision key of %d bytes", len(rk))
		}
	})
}

// TestSeedsAnswer checks the seed inputs reach the paths they are meant
// for (a valid upload is accepted), so the fuzz targets start from real
// requests.
func TestSeedsAnswer(t *testing.T) {
	ha := seededKey(t, "health authority")
	srv, err := keyserver.New(keyserver.Config{Store: newMemStore(), VerificationKey: &ha.PublicKey, Signer: gaen.ExportSigner{Key: seededKey(t, "export")},
		ExportPeriod: -1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Run(ctx)
	signer := keyserver.TokenSigner{Key: ha, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}
	req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(device(t, 1), 0), HealthAuthorityID: keyserver.DefaultHealthAuthority}
	if err := signer.SignUpload(&req, "seed", []byte("secret"), now); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/publish", bytes.NewReader(mustJSON(t, req))))
	if w.Code != 200 {
		t.Fatalf("seed upload: %d %s", w.Code, w.Body.Bytes())
	}
}
