package keyserver

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bluesim/bluesim/tracing/bluezone"
)

// handleF0 serves the Bluezone-style F0 list: GET lists entries after a
// cursor, POST publishes entries with a verification token.
func (s *Server) handleF0(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.listF0(w, r)
	case http.MethodPost:
		s.publishF0(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeError(w, http.StatusMethodNotAllowed, CodeBadMethod, fmt.Sprintf("%s /v1/bluezone/f0: use GET or POST", r.Method))
	}
}

// ParseSince parses the ?since= cursor of GET /v1/bluezone/f0: empty (0)
// or decimal digits alone (no sign), at most an int64.
func ParseSince(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	digits := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) < 0
	n, err := strconv.ParseInt(v, 10, 64)
	if !digits || err != nil || n < 0 {
		return 0, fmt.Errorf("since=%q: want the non-negative cursor from the %s header of the previous answer", v, NextSinceHeader)
	}
	return n, nil
}

func (s *Server) listF0(w http.ResponseWriter, r *http.Request) {
	since, err := ParseSince(r.URL.Query().Get("since"))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadQuery, err.Error())
		return
	}
	list, err := s.store.F0Since(r.Context(), since, MaxF0PerList)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "reading the F0 list: "+err.Error())
		return
	}
	out := bluezone.F0List{Data: make([]bluezone.F0Entry, len(list))}
	next := since
	for i, f := range list {
		out.Data[i] = bluezone.F0Entry{DailyKey: hex.EncodeToString(f.DailyKey[:]), TimeStart: f.TimeStart, TimeEnd: f.TimeEnd, Max: int(f.Max)}
		next = f.Seq
	}
	body, err := json.Marshal(out)
	if err != nil {
		writeError(w, http.StatusInternalServerError, CodeInternal, "encoding the F0 list")
		return
	}
	w.Header().Set(NextSinceHeader, strconv.FormatInt(next, 10))
	// The list after a cursor only grows; phones revalidate with the ETag.
	serveBytes(w, r, body, etagOf(body), "application/json", "no-cache")
}

// DecodeF0PublishRequest parses and checks an F0 publish body at now:
// 1–MaxF0PerUpload entries, each valid for tracing/bluezone, no daily key
// twice, and each entry's day within retention (its time_end not older
// than retention) and not in the future (time_start not after now).
func DecodeF0PublishRequest(body []byte, now time.Time, retention time.Duration) (F0PublishRequest, []F0Entry, error) {
	var req F0PublishRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, nil, apiErr(http.StatusBadRequest, CodeUnparsable, "malformed F0 publish: %v", err)
	}
	switch n := len(req.Data); {
	case n == 0:
		return req, nil, apiErr(http.StatusBadRequest, CodeNoKeys, "data is empty: publish 1 to %d F0 entries", MaxF0PerUpload)
	case n > MaxF0PerUpload:
		return req, nil, apiErr(http.StatusBadRequest, CodeTooManyKeys, "data holds %d entries, at most %d", n, MaxF0PerUpload)
	}
	oldest, latest := now.Add(-retention).Unix(), now.Unix()
	entries := make([]F0Entry, len(req.Data))
	seen := make(map[[F0KeyLen]byte]int, len(req.Data))
	for i, e := range req.Data {
		pk, err := e.PublishedKey() // the bluezone package's validation
		if err != nil {
			return req, nil, apiErr(http.StatusBadRequest, CodeBadKey, "data[%d]: %v", i, err)
		}
		copy(entries[i].DailyKey[:], pk.Key)
		entries[i].TimeStart, entries[i].TimeEnd, entries[i].Max = pk.Start, pk.End, int32(pk.Slots)
		if j, dup := seen[entries[i].DailyKey]; dup {
			return req, nil, apiErr(http.StatusBadRequest, CodeBadKey, "data[%d].daily_key: the same key as data[%d]", i, j)
		}
		seen[entries[i].DailyKey] = i
		if pk.End < oldest {
			return req, nil, apiErr(http.StatusBadRequest, CodeBadKey, "data[%d].time_end: %d is more than %v ago (retention)", i, pk.End, retention)
		}
		if pk.Start > latest {
			return req, nil, apiErr(http.StatusBadRequest, CodeBadKey, "data[%d].time_start: %d is in the future (now %d)", i, pk.Start, latest)
		}
	}
	return req, entries, nil
}

func (s *Server) publishF0(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r, s.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr.Status, aerr.Code, aerr.Msg)
		return
	}
	now := s.cfg.Now()
	req, entries, err := DecodeF0PublishRequest(body, now, s.cfg.Retention)
	if err != nil {
		e := err.(*APIError)
		writeError(w, e.Status, e.Code, e.Msg)
		return
	}
	if req.HealthAuthorityID != s.cfg.HealthAuthorityID {
		writeError(w, http.StatusUnauthorized, CodeUnknownAuthority, fmt.Sprintf("healthAuthorityID %q is not configured on this server", req.HealthAuthorityID))
		return
	}
	tok, err := s.verifyToken(req.VerificationPayload, now, func(secret []byte) []byte { return F0HMAC(secret, req.Data) }, req.HMACKey)
	if err != nil {
		te := err.(*TokenError)
		writeError(w, http.StatusUnauthorized, te.Code, te.Err.Error())
		return
	}
	if tok.reportType < 0 {
		writeError(w, http.StatusBadRequest, CodeNegativeDiagnosis, "the verification token reports a negative test: nothing to publish")
		return
	}
	res, err := s.store.PublishF0(r.Context(), F0Upload{TokenID: tok.id, TokenExpiry: tok.expires.Add(s.cfg.TokenLeeway), Entries: entries, Received: now})
	if errors.Is(err, ErrReplay) {
		writeError(w, http.StatusConflict, CodeReplay, "this verification token was already used for an upload")
		return
	}
	if err != nil {
		s.log.Error("f0 publish: store", "err", err)
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, CodeInternal, "storing the F0 entries failed; retry later")
		return
	}
	resp := F0PublishResponse{Inserted: res.Inserted}
	for _, i := range res.Duplicates {
		resp.Warnings = append(resp.Warnings, fmt.Sprintf("data[%d]: daily key already published; not stored again", i))
	}
	writeJSON(w, http.StatusOK, resp)
}
