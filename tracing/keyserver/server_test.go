package keyserver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/bluezone"
	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
	"github.com/bluesim/bluesim/tracing/keyserver/sqlite"
)

// fixture is a running server with its keys.
type fixture struct {
	skew   *atomic.Int64 // nanoseconds the default clock runs ahead
	srv    *keyserver.Server
	url    string
	tokens keyserver.TokenSigner
	pub    *ecdsa.PublicKey // export verification key
	store  keyserver.Store
	now    func() time.Time
}

// seeded returns a deterministic key (tests must not depend on luck).
func seededKey(t testing.TB, seed string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := gaen.SignatureKeyFromSeed([]byte(seed))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newFixture(t *testing.T, mod func(*keyserver.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	haKey := seededKey(t, "health authority")
	sigKey := seededKey(t, "export signing")
	cfg := keyserver.Config{
		Store: st, VerificationKey: &haKey.PublicKey,
		Signer:       gaen.ExportSigner{Key: sigKey, KeyVersion: "v1", KeyID: "452"},
		ExportPeriod: -1,
		// Most tests check what is exported right after an upload: they
		// turn the privacy delays and padding off; the privacy tests turn
		// them back on.
		ReleaseSameDayKeys: true, MinWindowAge: -1, ExportMinRecords: -1,
		// Saturation shedding has its own test; on a busy machine it would
		// refuse some of these tests' downloads.
		Limits: keyserver.Limits{ShedLag: -1},
	}
	// The default clock is real time plus a skew that exportNow advances:
	// the server makes at most one export batch a second.
	skew := new(atomic.Int64)
	cfg.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	if mod != nil {
		mod(&cfg)
	}
	srv, err := keyserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); cancel(); <-done })
	now := cfg.Now
	return &fixture{skew: skew, srv: srv, url: hs.URL, store: st, now: now, pub: &sigKey.PublicKey,
		tokens: keyserver.TokenSigner{Key: haKey, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}}
}

// exportNow moves the default clock a second on and exports.
func (f *fixture) exportNow(t testing.TB) keyserver.ExportResult {
	t.Helper()
	f.skew.Add(int64(1100 * time.Millisecond))
	res, err := f.srv.ExportNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// deviceKeys returns n days of keys of a fresh phone, ending today.
func deviceKeys(t testing.TB, seed uint64, days int, now time.Time) (*gaen.Device, []tracing.PublishedKey) {
	t.Helper()
	d, err := gaen.NewDevice(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1}), now.Add(-time.Duration(days)*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := d.Upload(now.Add(-time.Duration(days-1)*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	return d, keys
}

func (f *fixture) request(t testing.TB, keys []tracing.PublishedKey, jti string) keyserver.PublishRequest {
	t.Helper()
	req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(keys, 0), HealthAuthorityID: keyserver.DefaultHealthAuthority, Padding: "cGFkZGluZw=="}
	if err := f.tokens.SignUpload(&req, jti, []byte("secret-"+jti), f.now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func post(t testing.TB, url string, body []byte, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("POST %s: %d with a body that is not JSON: %q", url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("POST %s: Content-Type %q", url, ct)
	}
	return resp.StatusCode, out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func get(t testing.TB, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// downloadAll fetches index.txt and every file it lists, verifies and
// decodes them, and returns all keys.
func (f *fixture) downloadAll(t testing.TB) []gaen.ExportKey {
	t.Helper()
	resp, body := get(t, f.url+"/v1/exports/index.txt", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("index.txt: %d %s", resp.StatusCode, body)
	}
	names, err := gaen.ReadExportIndex(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var keys []gaen.ExportKey
	for _, n := range names {
		resp, zip := get(t, f.url+"/"+n, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", n, resp.StatusCode)
		}
		b, err := gaen.ReadExportZip(bytes.NewReader(zip), int64(len(zip)), f.pub)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		keys = append(keys, b.Keys...)
	}
	return keys
}

func TestPublishExportAndMatch(t *testing.T) {
	f := newFixture(t, nil)
	now := f.now()
	// Phone A is diagnosed and uploads 5 days of keys.
	phoneA, keys := deviceKeys(t, 1, 5, now)
	code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, keys, "a-1")), nil)
	if code != 200 || resp["insertedExposures"] != float64(len(keys)) {
		t.Fatalf("publish: %d %v", code, resp)
	}
	if p, _ := resp["padding"].(string); len(p) < 1024 {
		t.Errorf("response padding of %d characters, want at least 1024", len(p))
	}
	// Other uploads, so phone B's match is one among many.
	for i := range 20 {
		_, ks := deviceKeys(t, uint64(100+i), 14, now)
		if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, ks, fmt.Sprint("o-", i))), nil); code != 200 {
			t.Fatalf("publish %d: %d %v", i, code, resp)
		}
	}
	res := f.exportNow(t)
	if res.Keys != 5+20*14 || len(res.Files) != 1 {
		t.Fatalf("export: %+v", res)
	}
	exported := f.downloadAll(t)
	if len(exported) != res.Keys {
		t.Fatalf("downloaded %d keys, exported %d", len(exported), res.Keys)
	}
	// Phone B met phone A yesterday for 30 minutes and met nobody else.
	meet := now.Add(-24 * time.Hour).Truncate(10 * time.Minute)
	var store []tracing.Sighting
	for m := range 30 {
		at := meet.Add(time.Duration(m) * time.Minute)
		id, err := phoneA.IDAt(at)
		if err != nil {
			t.Fatal(err)
		}
		store = append(store, tracing.Sighting{ID: id, Time: at.UnixMilli(), RSSI: -60})
	}
	// ... and a phone that never uploaded, at the same time.
	dOther, _ := deviceKeys(t, 999, 3, now)
	for m := range 30 {
		at := meet.Add(time.Duration(m) * time.Minute)
		id, _ := dOther.IDAt(at)
		store = append(store, tracing.Sighting{ID: id, Time: at.UnixMilli(), RSSI: -60})
	}
	pks, err := gaen.ExportKeysToPublished(exported)
	if err != nil {
		t.Fatal(err)
	}
	matches, err := gaen.NewMatcher(store).Match(nil, pks)
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 30 {
		t.Fatalf("%d matches, want the 30 sightings of phone A", len(matches))
	}
	for _, m := range matches {
		if m.Sighting >= 30 {
			t.Errorf("sighting %d of a phone that never uploaded matched", m.Sighting)
		}
		yesterday := keys[len(keys)-2].Key
		if !bytes.Equal(pks[m.Key].Key, yesterday) {
			t.Errorf("matched key %x, want phone A's key of yesterday %x", pks[m.Key].Key, yesterday)
		}
	}
	// A second export with nothing new exports no key (its file holds
	// only padding, none here).
	if res := f.exportNow(t); res.Keys != 0 || len(res.Files) != 1 {
		t.Errorf("empty export: %+v", res)
	}
}

func TestExportCaching(t *testing.T) {
	f := newFixture(t, nil)
	_, keys := deviceKeys(t, 1, 3, f.now())
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, keys, "x")), nil); code != 200 {
		t.Fatalf("%d %v", code, resp)
	}
	f.exportNow(t)
	resp, body := get(t, f.url+"/v1/exports/index.txt", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || !strings.HasPrefix(etag, `"`) || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("index: %d etag %q cache %q", resp.StatusCode, etag, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := get(t, f.url+"/v1/exports/index.txt", map[string]string{"If-None-Match": etag}); resp.StatusCode != 304 {
		t.Errorf("index with If-None-Match: %d, want 304", resp.StatusCode)
	}
	name := strings.Fields(string(body))[0]
	resp, zip := get(t, f.url+"/"+name, nil)
	fetag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || len(zip) == 0 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("file: %d, %d bytes, cache %q", resp.StatusCode, len(zip), resp.Header.Get("Cache-Control"))
	}
	for _, h := range []string{fetag, `"other", ` + fetag, "*", "W/" + fetag} {
		if resp, b := get(t, f.url+"/"+name, map[string]string{"If-None-Match": h}); resp.StatusCode != 304 || len(b) != 0 {
			t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and none", h, resp.StatusCode, len(b))
		}
	}
	if resp, _ := get(t, f.url+"/"+name, map[string]string{"If-None-Match": `"stale"`}); resp.StatusCode != 200 {
		t.Errorf("stale ETag: %d, want 200", resp.StatusCode)
	}
	if resp, b := get(t, f.url+"/v1/exports/nope.zip", nil); resp.StatusCode != 404 || !json.Valid(b) {
		t.Errorf("missing file: %d %s", resp.StatusCode, b)
	}
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, nil)
	now := f.now()
	_, keys := deviceKeys(t, 7, 3, now)
	good := f.request(t, keys, "good")
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, good), nil); code != 200 {
		t.Fatalf("good upload: %d %v", code, resp)
	}
	forger, _ := gaen.GenerateSignatureKey()
	mod := func(fn func(r *keyserver.PublishRequest)) []byte {
		r := f.request(t, keys, fmt.Sprint("m-", rand.Uint64()))
		fn(&r)
		return mustJSON(t, r)
	}
	resign := func(r *keyserver.PublishRequest, s keyserver.TokenSigner, c keyserver.VerificationClaims) {
		secret := []byte("s")
		r.HMACKey = base64.StdEncoding.EncodeToString(secret)
		if c.SignedMAC == "" {
			c.SignedMAC = base64.StdEncoding.EncodeToString(keyserver.KeysHMAC(secret, r.Keys))
		}
		tok, err := s.Sign(c, now)
		if err != nil {
			t.Fatal(err)
		}
		r.VerificationPayload = tok
	}
	fifteen := append(append([]tracing.PublishedKey{}, keys...), keys...)
	fifteen = append(fifteen, fifteen...)
	fifteen = append(fifteen, fifteen...)[:15]
	for i := range fifteen {
		fifteen[i].Key = bytes.Repeat([]byte{byte(i + 1)}, 16)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"malformed JSON", []byte(`{"temporaryExposureKeys": [`), 400, keyserver.CodeUnparsable},
		{"not an object", []byte(`[1,2,3]`), 400, keyserver.CodeUnparsable},
		{"trailing data", append(mustJSON(t, good), []byte(`{}`)...), 400, keyserver.CodeUnparsable},
		{"no keys", mod(func(r *keyserver.PublishRequest) { r.Keys = nil }), 400, keyserver.CodeNoKeys},
		{"too many keys", mustJSON(t, f.request(t, fifteen, "15")), 400, keyserver.CodeTooManyKeys},
		{"short key", mod(func(r *keyserver.PublishRequest) { r.Keys[0].Key = base64.StdEncoding.EncodeToString(make([]byte, 15)) }), 400, keyserver.CodeBadKey},
		{"long key", mod(func(r *keyserver.PublishRequest) { r.Keys[0].Key = base64.StdEncoding.EncodeToString(make([]byte, 64)) }), 400, keyserver.CodeBadKey},
		{"key not base64", mod(func(r *keyserver.PublishRequest) { r.Keys[0].Key = "!!!!!!!!!!!!!!!!!!!!!!!!" }), 400, keyserver.CodeBadKey},
		{"duplicate key", mod(func(r *keyserver.PublishRequest) { r.Keys[1].Key = r.Keys[0].Key }), 400, keyserver.CodeBadKey},
		{"rolling period", mod(func(r *keyserver.PublishRequest) { r.Keys[0].IntervalCount = 145 }), 400, keyserver.CodeBadKey},
		{"transmission risk", mod(func(r *keyserver.PublishRequest) { r.Keys[0].TransmissionRisk = 9 }), 400, keyserver.CodeBadKey},
		{"key from the future", mod(func(r *keyserver.PublishRequest) { r.Keys[0].IntervalNumber += 3 * 144 }), 400, keyserver.CodeBadKey},
		{"key too old", mod(func(r *keyserver.PublishRequest) { r.Keys[0].IntervalNumber -= 20 * 144 }), 400, keyserver.CodeBadKey},
		{"body over 100 KB", mod(func(r *keyserver.PublishRequest) { r.Padding = strings.Repeat("A", 100_001) }), 413, keyserver.CodeTooLarge},
		{"unknown authority", mod(func(r *keyserver.PublishRequest) { r.HealthAuthorityID = "elsewhere" }), 401, keyserver.CodeUnknownAuthority},
		{"missing token", mod(func(r *keyserver.PublishRequest) { r.VerificationPayload = "" }), 401, keyserver.CodeMissingToken},
		{"garbage token", mod(func(r *keyserver.PublishRequest) { r.VerificationPayload = "a.b.c" }), 401, keyserver.CodeBadToken},
		{"forged token", mod(func(r *keyserver.PublishRequest) {
			resign(r, keyserver.TokenSigner{Key: forger, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}, keyserver.VerificationClaims{})
		}), 401, keyserver.CodeBadToken},
		{"wrong audience", mod(func(r *keyserver.PublishRequest) {
			resign(r, keyserver.TokenSigner{Key: f.tokens.Key, Issuer: keyserver.DefaultIssuer, Audience: "other"}, keyserver.VerificationClaims{})
		}), 401, keyserver.CodeBadToken},
		{"wrong issuer", mod(func(r *keyserver.PublishRequest) {
			resign(r, keyserver.TokenSigner{Key: f.tokens.Key, Issuer: "other", Audience: keyserver.DefaultAudience}, keyserver.VerificationClaims{})
		}), 401, keyserver.CodeBadToken},
		{"expired token", mod(func(r *keyserver.PublishRequest) {
			c := keyserver.VerificationClaims{}
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
			resign(r, f.tokens, c)
		}), 401, keyserver.CodeBadToken},
		{"HS256 token", mod(func(r *keyserver.PublishRequest) {
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": keyserver.DefaultIssuer, "aud": keyserver.DefaultAudience, "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("k"))
			r.VerificationPayload = tok
		}), 401, keyserver.CodeBadToken},
		{"token for other keys", mod(func(r *keyserver.PublishRequest) { r.Keys = r.Keys[:1] }), 401, keyserver.CodeTokenMismatch},
		{"missing hmacKey", mod(func(r *keyserver.PublishRequest) { r.HMACKey = "" }), 401, keyserver.CodeTokenMismatch},
		{"negative test", mod(func(r *keyserver.PublishRequest) {
			resign(r, f.tokens, keyserver.VerificationClaims{ReportType: "negative"})
		}), 400, keyserver.CodeNegativeDiagnosis},
		{"four keys with one start", mod(func(r *keyserver.PublishRequest) {
			for i := range r.Keys {
				r.Keys[i].IntervalNumber = r.Keys[0].IntervalNumber
				r.Keys[i].IntervalCount = 36
			}
			r.Keys = append(r.Keys, keyserver.ExposureKeyJSON{Key: b64(bytes.Repeat([]byte{9}, 16)), IntervalNumber: r.Keys[0].IntervalNumber, IntervalCount: 36})
			resign(r, f.tokens, keyserver.VerificationClaims{})
		}), 400, keyserver.CodeBadKey},
		{"token valid for ten years", mod(func(r *keyserver.PublishRequest) {
			c := keyserver.VerificationClaims{}
			c.ExpiresAt = jwt.NewNumericDate(now.Add(10 * 365 * 24 * time.Hour))
			resign(r, f.tokens, c)
		}), 401, keyserver.CodeBadToken},
		{"token without iat", mod(func(r *keyserver.PublishRequest) {
			secret := []byte("s")
			r.HMACKey = b64(secret)
			tok, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": keyserver.DefaultIssuer, "aud": keyserver.DefaultAudience,
				"exp": now.Add(time.Minute).Unix(), "tekmac": b64(keyserver.KeysHMAC(secret, r.Keys))}).SignedString(f.tokens.Key)
			r.VerificationPayload = tok
		}), 401, keyserver.CodeBadToken},
		{"forged revision token", mod(func(r *keyserver.PublishRequest) { r.RevisionToken = b64(make([]byte, 400)) }), 400, keyserver.CodeBadRevisionToken},
		{"replayed upload", mustJSON(t, good), 409, keyserver.CodeReplay},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, resp := post(t, f.url+"/v1/publish", tc.body, nil)
			if code != tc.status || resp["code"] != tc.code {
				t.Errorf("got %d %v, want %d %s", code, resp["code"], tc.status, tc.code)
			}
			if msg, _ := resp["error"].(string); msg == "" {
				t.Error("no error message")
			}
		})
	}
	// GET on publish is a JSON 405.
	resp, b := get(t, f.url+"/v1/publish", nil)
	if resp.StatusCode != 405 || !json.Valid(b) {
		t.Errorf("GET /v1/publish: %d %s", resp.StatusCode, b)
	}
	// The server still works.
	if resp, _ := get(t, f.url+"/healthz", nil); resp.StatusCode != 200 {
		t.Errorf("healthz after bad input: %d", resp.StatusCode)
	}
	if res := f.exportNow(t); res.Keys != len(keys) {
		t.Errorf("only the good upload's %d keys may be exported: %+v", len(keys), res)
	}
}

func TestChaff(t *testing.T) {
	f := newFixture(t, nil)
	_, keys := deviceKeys(t, 3, 2, f.now())
	real := f.request(t, keys, "chaff-real")
	for _, body := range [][]byte{mustJSON(t, real), []byte("not even JSON"), bytes.Repeat([]byte("x"), 200_000)} {
		code, resp := post(t, f.url+"/v1/publish", body, map[string]string{"X-Chaff": "1"})
		if code != 200 || resp["error"] != nil {
			t.Errorf("chaff: %d %v", code, resp)
		}
		if p, _ := resp["padding"].(string); len(p) < 1024 {
			t.Errorf("chaff response padding %d characters", len(p))
		}
	}
	// Nothing was stored, and the real upload's token is still unused.
	if res := f.exportNow(t); res.Keys != 0 {
		t.Fatalf("chaff stored keys: %+v", res)
	}
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, real), nil); code != 200 {
		t.Errorf("real upload after its chaff copy: %d %v", code, resp)
	}
}

func TestF0(t *testing.T) {
	f := newFixture(t, nil)
	day := f.now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour)
	entries := []bluezone.F0Entry{
		{DailyKey: strings.Repeat("ab", 32), TimeStart: day.Unix(), TimeEnd: day.Unix() + 2*86400 - 1, Max: 144},
		{DailyKey: strings.Repeat("cd", 32), TimeStart: day.Unix(), TimeEnd: day.Unix() + 86400 - 1, Max: 96},
	}
	req := keyserver.F0PublishRequest{Data: entries, HealthAuthorityID: keyserver.DefaultHealthAuthority}
	if err := f.tokens.SignF0(&req, "f0-1", []byte("k"), f.now()); err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, f.url+"/v1/bluezone/f0", mustJSON(t, req), nil); code != 200 || resp["inserted"] != float64(2) {
		t.Fatalf("F0 publish: %d %v", code, resp)
	}
	if code, resp := post(t, f.url+"/v1/bluezone/f0", mustJSON(t, req), nil); code != 409 {
		t.Errorf("replayed F0 publish: %d %v", code, resp)
	}
	bad := req
	bad.Data = []bluezone.F0Entry{{DailyKey: "abcd", TimeStart: day.Unix(), TimeEnd: day.Unix(), Max: 144}}
	if code, resp := post(t, f.url+"/v1/bluezone/f0", mustJSON(t, bad), nil); code != 400 {
		t.Errorf("short daily key: %d %v", code, resp)
	}
	unsigned := keyserver.F0PublishRequest{Data: entries, HealthAuthorityID: keyserver.DefaultHealthAuthority}
	if code, resp := post(t, f.url+"/v1/bluezone/f0", mustJSON(t, unsigned), nil); code != 401 {
		t.Errorf("F0 publish without token: %d %v", code, resp)
	}
	signed := func(id string, data []bluezone.F0Entry, ha string) []byte {
		r := keyserver.F0PublishRequest{Data: data, HealthAuthorityID: ha}
		if err := f.tokens.SignF0(&r, id, []byte("k"), f.now()); err != nil {
			t.Fatal(err)
		}
		return mustJSON(t, r)
	}
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"other health authority", signed("ha", entries, "elsewhere"), 401, keyserver.CodeUnknownAuthority},
		{"1970", signed("1970", []bluezone.F0Entry{{DailyKey: strings.Repeat("ef", 32), TimeStart: 0, TimeEnd: 86399, Max: 144}}, keyserver.DefaultHealthAuthority), 400, keyserver.CodeBadKey},
		{"2100", signed("2100", []bluezone.F0Entry{{DailyKey: strings.Repeat("ef", 32), TimeStart: 4102444800, TimeEnd: 4102444800 + 86399, Max: 144}}, keyserver.DefaultHealthAuthority), 400, keyserver.CodeBadKey},
		{"same entry twice", signed("twice", []bluezone.F0Entry{entries[0], entries[0]}, keyserver.DefaultHealthAuthority), 400, keyserver.CodeBadKey},
	} {
		if code, resp := post(t, f.url+"/v1/bluezone/f0", tc.body, nil); code != tc.status || resp["code"] != tc.code {
			t.Errorf("F0 %s: %d %v, want %d %s", tc.name, code, resp, tc.status, tc.code)
		}
	}
	// The same entry again under a fresh token: stored once, and the
	// answer says so.
	code, again := post(t, f.url+"/v1/bluezone/f0", signed("again", entries[:1], keyserver.DefaultHealthAuthority), nil)
	if w, _ := again["warnings"].([]any); code != 200 || again["inserted"] != float64(0) || len(w) != 1 {
		t.Errorf("F0 entry published again: %d %v, want 0 inserted and a warning", code, again)
	}
	resp, body := get(t, f.url+"/v1/bluezone/f0", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("F0 list: %d %s", resp.StatusCode, body)
	}
	list, err := bluezone.DecodeF0List(body)
	if err != nil {
		t.Fatalf("F0 list does not decode with the bluezone decoder: %v\n%s", err, body)
	}
	if len(list.Data) != 2 || list.Data[0] != entries[0] || list.Data[1] != entries[1] {
		t.Errorf("F0 list %+v, want %+v", list.Data, entries)
	}
	next := resp.Header.Get(keyserver.NextSinceHeader)
	if resp2, _ := get(t, f.url+"/v1/bluezone/f0", map[string]string{"If-None-Match": resp.Header.Get("ETag")}); resp2.StatusCode != 304 {
		t.Errorf("F0 list revalidation: %d", resp2.StatusCode)
	}
	resp, body = get(t, f.url+"/v1/bluezone/f0?since="+next, nil)
	if l, err := bluezone.DecodeF0List(body); err != nil || len(l.Data) != 0 {
		t.Errorf("F0 list after the cursor: %v %s", err, body)
	}
	if resp, _ := get(t, f.url+"/v1/bluezone/f0?since=-1", nil); resp.StatusCode != 400 {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
}

func TestCleanup(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	f := newFixture(t, func(c *keyserver.Config) { c.Now = now })
	_, keys := deviceKeys(t, 5, 3, clock)
	if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, f.request(t, keys, "c")), nil); code != 200 {
		t.Fatalf("%d %v", code, resp)
	}
	f.exportNow(t)
	if n := len(f.downloadAll(t)); n != 3 {
		t.Fatalf("%d keys before cleanup", n)
	}
	mu.Lock()
	clock = clock.Add(15 * 24 * time.Hour)
	mu.Unlock()
	st, err := f.srv.CleanupNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Exposures != 3 || st.Files != 1 || st.Tokens != 1 {
		t.Errorf("cleanup: %+v", st)
	}
	if resp, body := get(t, f.url+"/v1/exports/index.txt", nil); resp.StatusCode != 200 || len(body) != 0 {
		t.Errorf("index after cleanup: %d %q", resp.StatusCode, body)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	f := newFixture(t, nil)
	post(t, f.url+"/v1/publish", []byte("{}"), map[string]string{"X-Chaff": "1"})
	// Not on the public handler: the counters tell chaff from real uploads.
	// Nor is the profiler, which shows the server's memory.
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		if resp, _ := get(t, f.url+path, nil); resp.StatusCode != 404 {
			t.Errorf("public %s: %d, want 404", path, resp.StatusCode)
		}
	}
	admin := httptest.NewServer(f.srv.AdminHandler())
	defer admin.Close()
	if resp, body := get(t, admin.URL+"/debug/pprof/", nil); resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Errorf("admin /debug/pprof/: %d %.80s", resp.StatusCode, body)
	}
	resp, body := get(t, admin.URL+"/metrics", nil)
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	for _, want := range []string{"bluesim_keyserver_chaff_total 1", `bluesim_keyserver_requests_total{code="200",route="publish"} 1`, "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	resp, body = get(t, f.url+"/healthz", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") {
		t.Errorf("healthz: %d %s", resp.StatusCode, body)
	}
}

// TestGracefulShutdown cancels Serve while uploads are in flight: every
// upload that got a 200 must be in the store.
func TestGracefulShutdown(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	haKey := seededKey(t, "health authority")
	srv, err := keyserver.New(keyserver.Config{Store: st, VerificationKey: &haKey.PublicKey,
		Signer: gaen.ExportSigner{Key: seededKey(t, "export")}, ExportPeriod: -1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln, nil) }()
	f := &fixture{url: "http://" + ln.Addr().String(), now: time.Now,
		tokens: keyserver.TokenSigner{Key: haKey, Issuer: keyserver.DefaultIssuer, Audience: keyserver.DefaultAudience}}
	var acked sync.Map
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				_, keys := deviceKeys(t, uint64(w*1000+i), 2, f.now())
				body := mustJSON(t, f.request(t, keys, fmt.Sprint(w, "-", i)))
				resp, err := http.Post(f.url+"/v1/publish", "application/json", bytes.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					for _, k := range keys {
						acked.Store(string(k.Key), true)
					}
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	wg.Wait()
	stored := map[string]bool{}
	max, _ := st.MaxSeq(ctx)
	st.Exposures(ctx, 0, max, func(_ int64, e keyserver.Exposure) error { stored[string(e.Key[:])] = true; return nil })
	n := 0
	acked.Range(func(k, _ any) bool {
		n++
		if !stored[k.(string)] {
			t.Errorf("acknowledged key %x not stored", k)
		}
		return true
	})
	if n == 0 {
		t.Fatal("no upload was acknowledged before shutdown")
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
