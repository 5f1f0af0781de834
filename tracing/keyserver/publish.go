package keyserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// ValidateKeys checks the keys of a publish request as the reference
// server does and converts them: 1–14 keys, each 16 bytes of base64, no
// key twice, rollingPeriod 1..144 (0 means 144), transmissionRisk 0..8,
// and a rolling start within the retention window and not in the future.
func ValidateKeys(req *PublishRequest, now time.Time, retention time.Duration) ([]Exposure, error) {
	switch n := len(req.Keys); {
	case n == 0:
		return nil, apiErr(http.StatusBadRequest, CodeNoKeys, "temporaryExposureKeys is empty: an upload holds 1 to %d keys", MaxKeysPerUpload)
	case n > MaxKeysPerUpload:
		return nil, apiErr(http.StatusBadRequest, CodeTooManyKeys, "temporaryExposureKeys holds %d keys, at most %d", n, MaxKeysPerUpload)
	}
	nowIv := int64(gaen.ENIntervalNumber(now))
	oldest := int64(gaen.RollingStart(gaen.ENIntervalNumber(now.Add(-retention))))
	out := make([]Exposure, len(req.Keys))
	seen := make(map[[KeyLen]byte]bool, len(req.Keys))
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
				i, k.IntervalNumber, oldest, nowIv, retention)
		}
		e.RollingStart, e.RollingPeriod, e.TransmissionRisk = k.IntervalNumber, period, int32(k.TransmissionRisk)
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

func (s *Server) publishError(w http.ResponseWriter, e *APIError, outcome string) {
	s.m.uploads.WithLabelValues(outcome).Inc()
	writeJSON(w, e.Status, PublishResponse{Error: e.Msg, Code: e.Code, Padding: s.padding()})
}

func (s *Server) handlePublish(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.publishError(w, apiErr(http.StatusMethodNotAllowed, CodeBadMethod, "%s /v1/publish: use POST", r.Method), "bad_method")
		return
	}
	body, aerr := readBody(w, r, s.cfg.MaxBodyBytes)
	if r.Header.Get(ChaffHeader) != "" {
		// Chaff: read (so timing and transfer look real), discard, and
		// answer in the shape of a success. Even an over-long chaff body
		// gets the same answer: nothing about chaff is worth an error.
		s.m.chaff.Inc()
		writeJSON(w, http.StatusOK, PublishResponse{Padding: s.padding()})
		return
	}
	if aerr != nil {
		s.publishError(w, aerr, "too_large")
		return
	}
	req, err := DecodePublishRequest(body)
	if err != nil {
		s.publishError(w, err.(*APIError), "bad_request")
		return
	}
	now := s.cfg.Now()
	keys, err := ValidateKeys(&req, now, s.cfg.Retention)
	if err != nil {
		s.publishError(w, err.(*APIError), "bad_request")
		return
	}
	if req.HealthAuthorityID != s.cfg.HealthAuthorityID {
		s.publishError(w, apiErr(http.StatusUnauthorized, CodeUnknownAuthority, "healthAuthorityID %q is not configured on this server", req.HealthAuthorityID), "unauthorized")
		return
	}
	tok, err := verifyToken(req.VerificationPayload, s.cfg.VerificationKey, s.cfg.Issuer, s.cfg.Audience, now,
		func(secret []byte) []byte { return KeysHMAC(secret, req.Keys) }, req.HMACKey)
	if err != nil {
		te := err.(*tokenError)
		s.publishError(w, apiErr(http.StatusUnauthorized, te.code, "%v", te.err), "unauthorized")
		return
	}
	if tok.reportType < 0 {
		s.publishError(w, apiErr(http.StatusBadRequest, CodeNegativeDiagnosis, "the verification token reports a negative test: nothing to publish"), "bad_request")
		return
	}
	onset := tok.onset
	if onset == 0 {
		onset = req.SymptomOnsetInterval
	}
	for i := range keys {
		keys[i].ReportType = tok.reportType
		keys[i].DaysSinceOnset, keys[i].HasOnset = daysSinceOnset(keys[i].RollingStart, onset)
		keys[i].Traveler = req.Traveler
	}
	res, err := s.commit(r.Context(), Upload{TokenID: tok.id, TokenExpiry: tok.expires, Keys: keys, Received: now})
	if err != nil {
		s.log.Error("publish: store", "err", err)
		s.m.uploads.WithLabelValues("error").Inc()
		writeJSON(w, http.StatusServiceUnavailable, PublishResponse{Error: "storing the keys failed; retry later", Code: CodeInternal, Padding: s.padding()})
		return
	}
	if errors.Is(res.Err, ErrReplay) {
		s.publishError(w, apiErr(http.StatusConflict, CodeReplay, "this verification token was already used for an upload"), "replay")
		return
	}
	if res.Err != nil {
		s.m.uploads.WithLabelValues("error").Inc()
		writeJSON(w, http.StatusServiceUnavailable, PublishResponse{Error: "storing the keys failed; retry later", Code: CodeInternal, Padding: s.padding()})
		return
	}
	s.m.uploads.WithLabelValues("ok").Inc()
	s.m.keys.Add(float64(res.Inserted))
	resp := PublishResponse{InsertedExposures: res.Inserted, Padding: s.padding()}
	if req.RevisionToken != "" {
		resp.Warnings = []string{"revisionToken ignored: this server does not revise keys"}
	}
	writeJSON(w, http.StatusOK, resp)
}
