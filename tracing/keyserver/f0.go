package keyserver

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

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

func (s *Server) listF0(w http.ResponseWriter, r *http.Request) {
	var since int64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, CodeBadQuery, fmt.Sprintf("since=%q: want the non-negative cursor from the %s header of the previous answer", v, NextSinceHeader))
			return
		}
		since = n
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

func (s *Server) publishF0(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(w, r, s.cfg.MaxBodyBytes)
	if aerr != nil {
		writeError(w, aerr.Status, aerr.Code, aerr.Msg)
		return
	}
	var req F0PublishRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, CodeUnparsable, "malformed F0 publish: "+err.Error())
		return
	}
	switch n := len(req.Data); {
	case n == 0:
		writeError(w, http.StatusBadRequest, CodeNoKeys, "data is empty: publish 1 to "+strconv.Itoa(MaxF0PerUpload)+" F0 entries")
		return
	case n > MaxF0PerUpload:
		writeError(w, http.StatusBadRequest, CodeTooManyKeys, fmt.Sprintf("data holds %d entries, at most %d", n, MaxF0PerUpload))
		return
	}
	now := s.cfg.Now()
	entries := make([]F0Entry, len(req.Data))
	for i, e := range req.Data {
		pk, err := e.PublishedKey() // the bluezone package's validation
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeBadKey, fmt.Sprintf("data[%d]: %v", i, err))
			return
		}
		copy(entries[i].DailyKey[:], pk.Key)
		entries[i].TimeStart, entries[i].TimeEnd, entries[i].Max = pk.Start, pk.End, int32(pk.Slots)
	}
	tok, err := verifyToken(req.VerificationPayload, s.cfg.VerificationKey, s.cfg.Issuer, s.cfg.Audience, now,
		func(secret []byte) []byte { return F0HMAC(secret, req.Data) }, req.HMACKey)
	if err != nil {
		te := err.(*tokenError)
		writeError(w, http.StatusUnauthorized, te.code, te.err.Error())
		return
	}
	err = s.store.PublishF0(r.Context(), F0Upload{TokenID: tok.id, TokenExpiry: tok.expires, Entries: entries, Received: now})
	if errors.Is(err, ErrReplay) {
		writeError(w, http.StatusConflict, CodeReplay, "this verification token was already used for an upload")
		return
	}
	if err != nil {
		s.log.Error("f0 publish: store", "err", err)
		writeError(w, http.StatusServiceUnavailable, CodeInternal, "storing the F0 entries failed; retry later")
		return
	}
	writeJSON(w, http.StatusOK, F0PublishResponse{Inserted: len(entries)})
}
