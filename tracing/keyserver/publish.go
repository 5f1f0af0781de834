package keyserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
)

// APIError is a request the server refuses: an HTTP status (4xx), a
// machine-readable code and a message that names the field at fault.
type APIError struct {
	Status int
	Code   string
	Msg    string
}

func (e *APIError) Error() string { return e.Msg }

func apiErr(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// readBody reads at most limit bytes of r's body; a longer body is a 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *APIError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apiErr(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body over %d bytes", limit)
		}
		return nil, apiErr(http.StatusBadRequest, CodeUnparsable, "reading request body: %v", err)
	}
	return b, nil
}

// DecodePublishRequest parses a publish body. Unknown fields are ignored,
// as the reference server does, so newer clients keep working.
func DecodePublishRequest(body []byte) (PublishRequest, error) {
	var req PublishRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return PublishRequest{}, apiErr(http.StatusBadRequest, CodeUnparsable, "malformed JSON: %v", err)
	}
	if dec.More() {
		return PublishRequest{}, apiErr(http.StatusBadRequest, CodeUnparsable, "malformed JSON: data after the request object")
	}
	return req, nil
}

// KeyRules are the checks ValidateKeys applies beyond the fixed format.
type KeyRules struct {
	// Retention: keys must start within it, up to now.
	Retention time.Duration
	// MaxSameStart caps keys sharing a rollingStartNumber (0: no cap).
	MaxSameStart int
	// ReleaseSameDay exports still-valid keys at once instead of
	// embargoing them until their rolling period ends.
	ReleaseSameDay bool
}

// ValidateKeys checks the keys of a publish request as the reference
// server does and converts them: 1–14 keys, each 16 bytes of base64, no
// key twice, rollingPeriod 1..144 (0 means 144), transmissionRisk 0..8, a
// rolling start within the retention window and not in the future, and at
// most rules.MaxSameStart keys with the same rolling start. Each key's
// Release is now, or, for a key still valid at now (unless
// rules.ReleaseSameDay), the end of its rolling period: the embargo.
func ValidateKeys(req *PublishRequest, now time.Time, rules KeyRules) ([]Exposure, error) {
	switch n := len(req.Keys); {
	case n == 0:
		return nil, apiErr(http.StatusBadRequest, CodeNoKeys, "temporaryExposureKeys is empty: an upload holds 1 to %d keys", MaxKeysPerUpload)
	case n > MaxKeysPerUpload:
		return nil, apiErr(http.StatusBadRequest, CodeTooManyKeys, "temporaryExposureKeys holds %d keys, at most %d", n, MaxKeysPerUpload)
	}
	nowIv := int64(gaen.ENIntervalNumber(now))
	oldest := int64(gaen.RollingStart(gaen.ENIntervalNumber(now.Add(-rules.Retention))))
	out := make([]Exposure, len(req.Keys))
	seen := make(map[[KeyLen]byte]bool, len(req.Keys))
	starts := make(map[int32]int, len(req.Keys))
	for i, k := range req.Keys {
		var e Exposure
		// 16 bytes are 24 characters of padded base64; check the length
		// before decoding so that nothing longer is ever decoded.
		var buf [KeyLen + 2]byte
		n, err := 0, error(nil)
		if len(k.Key) == base64.StdEncoding.EncodedLen(KeyLen) {
			n, err = base64.StdEncoding.Decode(buf[:], []byte(k.Key))
		}
		if err != nil || n != KeyLen {
			return nil, apiErr(http.StatusBadRequest, CodeBadKey, "temporaryExposureKeys[%d].key: want base64 of %d bytes", i, KeyLen)
		}
		copy(e.Key[:], buf[:KeyLen])
		if seen[e.Key] {
			return nil, apiErr(http.StatusBadRequest, CodeBadKey, "temporaryExposureKeys[%d].key: the same key appears twice", i)
		}
		seen[e.Key] = true
		period := k.IntervalCount
		if period == 0 {
			period = gaen.ExportDefaultRollingPeriod
		}
		if period < 1 || period > gaen.ExportDefaultRollingPeriod {
			return nil, apiErr(http.StatusBadRequest, CodeBadKey, "temporaryExposureKeys[%d].rollingPeriod: %d outside 1..144", i, k.IntervalCount)
		}
		if k.TransmissionRisk < 0 || k.TransmissionRisk > gaen.ExportMaxTransmissionRisk {
			return nil, apiErr(http.StatusBadRequest, CodeBadKey, "temporaryExposureKeys[%d].transmissionRisk: %d outside 0..8", i, k.TransmissionRisk)
		}
		if iv := int64(k.IntervalNumber); iv < oldest || iv > nowIv {
			return nil, apiErr(http.StatusBadRequest, CodeBadKey, "temporaryExposureKeys[%d].rollingStartNumber: %d outside %d..%d (the last %v up to now)",
				i, k.IntervalNumber, oldest, nowIv, rules.Retention)
		}
		starts[k.IntervalNumber]++
		if rules.MaxSameStart > 0 && starts[k.IntervalNumber] > rules.MaxSameStart {
			return nil, apiErr(http.StatusBadRequest, CodeBadKey, "temporaryExposureKeys[%d].rollingStartNumber: more than %d keys start at %d",
				i, rules.MaxSameStart, k.IntervalNumber)
		}
		e.RollingStart, e.RollingPeriod, e.TransmissionRisk = k.IntervalNumber, period, int32(k.TransmissionRisk)
		e.Release = now.UnixMilli()
		if end := int64(e.RollingStart) + int64(period); end > nowIv && !rules.ReleaseSameDay {
			// Still valid: held back until the key can no longer be
			// broadcast (loadtest.md §1.1, §1.2).
			e.Release = end * 600 * 1000
		}
		out[i] = e
	}
	return out, nil
}

// daysSinceOnset is days_since_onset_of_symptoms: whole UTC days from the
// day of symptom onset to the key's day (the reference truncates the onset
// interval to its day first). Onsets more than 14 days away are dropped.
func daysSinceOnset(keyStart, onsetInterval int32) (int32, bool) {
	if onsetInterval <= 0 {
		return 0, false
	}
	const day = gaen.ExportDefaultRollingPeriod
	d := int64(keyStart)/day - int64(onsetInterval)/day
	if d < -14 || d > 14 {
		return 0, false
	}
	return int32(d), true
}

// Publish answers are padded so that their length is uniform over
// [publishSizeMin, publishSizeMin+publishSizeRange) whatever they say: a
// real upload's answer, chaff's, or a refusal (the reference pads both
// ways, loadtest.md §1.1).
const (
	publishSizeMin   = 3072
	publishSizeRange = 1024
)

// writePublish writes a publish answer padded to a random length.
func (s *Server) writePublish(w http.ResponseWriter, status int, resp PublishResponse, r *rand.Rand) {
	if r == nil {
		var done func()
		r, done = s.rng()
		defer done()
	}
	resp.Padding = ""
	b, err := json.Marshal(resp)
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "encoding response")
		return
	}
	// ,"padding":"..." adds 13 bytes and the padding; '\n' ends the body.
	target := publishSizeMin + r.IntN(publishSizeRange)
	if n := target - len(b) - 13 - 1; n > 0 {
		pad := make([]byte, n)
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		for i := range pad {
			pad[i] = alphabet[r.Uint32()&63]
		}
		resp.Padding = string(pad)
		b, _ = json.Marshal(resp)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) publishError(w http.ResponseWriter, e *APIError, outcome string, r *rand.Rand) {
	s.m.uploads.WithLabelValues(outcome).Inc()
	s.writePublish(w, e.Status, PublishResponse{Error: e.Msg, Code: e.Code}, r)
}

// timingSampler keeps the durations of recent real uploads; chaff is
// answered after a duration drawn from them, so that its timing follows
// the real ones' (cwa-server answers dummies after a delay that tracks a
// moving average of real requests, initially 10 ms: loadtest.md §1.2;
// drawing from the recent durations themselves matches their spread too).
type timingSampler struct {
	mu   sync.Mutex
	ring [16]time.Duration
	n    int
}

// spinWindow is the last stretch of a chaff wait, spent yielding to other
// goroutines (runtime.Gosched) rather than on a timer, unless the server
// is busy: an idle Go program sleeps on the network poller with
// millisecond resolution, so a timer cannot match uploads that take about
// a millisecond (it fired 0.2-0.9 ms late on an idle 2-core box). A busy
// server wakes the poller with every arriving request and runs its timers
// then, so there a timer is on time, and spinning would take the CPU from
// the requests and from other processes: at 3,000-5,000 requests per
// second the spin was 11-16 % of the server's CPU.
const spinWindow = 1100 * time.Microsecond

// wait returns at start+d (or when done is closed). busy, when not nil,
// reports whether requests arrive often enough that timers are on time;
// then the wait is on a timer to the end.
func (t *timingSampler) wait(start time.Time, d time.Duration, done <-chan struct{}, busy func() bool) {
	deadline := start.Add(d)
	spin := spinWindow
	if busy != nil && busy() {
		spin = 0
	}
	if sleep := time.Until(deadline) - spin; sleep > 0 {
		tm := time.NewTimer(sleep)
		select {
		case <-tm.C:
		case <-done:
			tm.Stop()
			return
		}
	}
	for time.Now().Before(deadline) {
		runtime.Gosched()
	}
}

// initialChaffDelay is the delay before any real upload was timed
// (cwa-server's initial-fake-delay-milliseconds: 10).
const initialChaffDelay = 10 * time.Millisecond

func newTimingSampler() *timingSampler { return &timingSampler{} }

func (t *timingSampler) add(d time.Duration) {
	t.mu.Lock()
	t.ring[t.n%len(t.ring)] = d
	t.n++
	t.mu.Unlock()
}

func (t *timingSampler) sample(r *rand.Rand) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		return initialChaffDelay
	}
	return t.ring[r.IntN(min(t.n, len(t.ring)))]
}

// chaffKeys is how many keys a chaff body claims to hold (what a real
// answer would count as inserted).
func chaffKeys(body []byte) int {
	var req struct {
		Keys []json.RawMessage `json:"temporaryExposureKeys"`
	}
	if json.Unmarshal(body, &req) != nil {
		return MaxKeysPerUpload
	}
	return min(len(req.Keys), MaxKeysPerUpload)
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rng, done := s.rng()
	defer done()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.publishError(w, apiErr(http.StatusMethodNotAllowed, CodeBadMethod, "%s /v1/publish: use POST", r.Method), "bad_method", rng)
		return
	}
	body, aerr := readBody(w, r, s.cfg.MaxBodyBytes)
	if r.Header.Get(ChaffHeader) != "" {
		// Chaff: read (so transfer looks real), discard, and answer like
		// a success, after a delay drawn from real uploads' durations and
		// with a revision token of a real one's length. Even an over-long
		// chaff body gets that answer: nothing about chaff is an error.
		s.m.chaff.Inc()
		resp := PublishResponse{RevisionToken: fakeRevisionToken(rng), InsertedExposures: chaffKeys(body)}
		if s.cfg.Rand == nil {
			freeSlot(r)
			s.timing.wait(start, s.timing.sample(rng), r.Context().Done(), s.admit.busy)
		}
		s.writePublish(w, http.StatusOK, resp, rng)
		return
	}
	if aerr != nil {
		s.publishError(w, aerr, "too_large", rng)
		return
	}
	req, err := DecodePublishRequest(body)
	if err != nil {
		s.publishError(w, err.(*APIError), "bad_request", rng)
		return
	}
	now := s.cfg.Now()
	keys, err := ValidateKeys(&req, now, KeyRules{Retention: s.cfg.Retention, MaxSameStart: s.cfg.MaxSameStartKeys, ReleaseSameDay: s.cfg.ReleaseSameDayKeys})
	if err != nil {
		s.publishError(w, err.(*APIError), "bad_request", rng)
		return
	}
	if req.HealthAuthorityID != s.cfg.HealthAuthorityID {
		s.publishError(w, apiErr(http.StatusUnauthorized, CodeUnknownAuthority, "healthAuthorityID %q is not configured on this server", req.HealthAuthorityID), "unauthorized", rng)
		return
	}
	tok, err := s.verifyToken(req.VerificationPayload, now, func(secret []byte) []byte { return KeysHMAC(secret, req.Keys) }, req.HMACKey)
	if err != nil {
		te := err.(*TokenError)
		s.publishError(w, apiErr(http.StatusUnauthorized, te.Code, "%v", te.Err), "unauthorized", rng)
		return
	}
	var revisable []bool
	if req.RevisionToken != "" {
		named, err := openRevisionToken(s.revKey, req.RevisionToken)
		if err != nil {
			s.publishError(w, apiErr(http.StatusBadRequest, CodeBadRevisionToken, "%v", err), "bad_request", rng)
			return
		}
		revisable = make([]bool, len(keys))
		for i, k := range keys {
			for _, n := range named {
				if n.key == k.Key && n.start == k.RollingStart && n.period == k.RollingPeriod {
					revisable[i] = true
				}
			}
		}
	}
	reportType := tok.reportType
	if reportType < 0 {
		// A negative test revokes keys a revision token names; without
		// one there is nothing to publish.
		if revisable == nil {
			s.publishError(w, apiErr(http.StatusBadRequest, CodeNegativeDiagnosis, "the verification token reports a negative test: nothing to publish (give the revisionToken of the upload to revoke)"), "bad_request", rng)
			return
		}
		for i, ok := range revisable {
			if !ok {
				s.publishError(w, apiErr(http.StatusBadRequest, CodeNegativeDiagnosis, "temporaryExposureKeys[%d]: a negative test can only revoke keys the revisionToken names", i), "bad_request", rng)
				return
			}
		}
		reportType = gaen.ExportReportRevoked
	}
	// Only a confirmed test or a revocation may revise a stored key.
	if reportType != gaen.ExportReportConfirmedTest && reportType != gaen.ExportReportRevoked {
		revisable = nil
	}
	onset := tok.onset
	if onset == 0 {
		onset = req.SymptomOnsetInterval
	}
	for i := range keys {
		keys[i].ReportType = reportType
		keys[i].DaysSinceOnset, keys[i].HasOnset = daysSinceOnset(keys[i].RollingStart, onset)
		keys[i].Traveler = req.Traveler
	}
	res, err := s.commit(r.Context(), Upload{TokenID: tok.id, TokenExpiry: tok.expires.Add(s.cfg.TokenLeeway), Keys: keys, Revisable: revisable, Received: now})
	if err == nil {
		err = res.Err
	}
	if errors.Is(err, ErrReplay) {
		s.publishError(w, apiErr(http.StatusConflict, CodeReplay, "this verification token was already used for an upload"), "replay", rng)
		return
	}
	if err != nil {
		s.log.Error("publish: store", "err", err)
		s.m.uploads.WithLabelValues("error").Inc()
		w.Header().Set("Retry-After", "5")
		s.writePublish(w, http.StatusServiceUnavailable, PublishResponse{Error: "storing the keys failed; retry later", Code: CodeInternal}, rng)
		return
	}
	resp := PublishResponse{InsertedExposures: res.Inserted}
	for i, o := range res.Outcomes {
		switch {
		case o == KeyExists && revisable != nil && revisable[i]:
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("temporaryExposureKeys[%d]: already stored and not revised: only a likely diagnosis may be revised, once, to a confirmed test or a revocation", i))
		case o == KeyExists:
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("temporaryExposureKeys[%d]: already stored by an earlier upload; not stored again (give that upload's revisionToken to revise it)", i))
		case o == KeyRevised:
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("temporaryExposureKeys[%d]: revised", i))
		}
	}
	if resp.RevisionToken, err = sealRevisionToken(s.revKey, keys); err != nil {
		s.log.Error("publish: revision token", "err", err)
	}
	s.m.uploads.WithLabelValues("ok").Inc()
	s.m.keys.Add(float64(res.Inserted))
	s.timing.add(time.Since(start))
	s.writePublish(w, http.StatusOK, resp, rng)
}
