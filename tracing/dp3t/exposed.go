package dp3t

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/bluesim/bluesim/tracing"
)

// ExposedOverview is the list of published keys the pre-GAEN DP-3T backend
// served to phones (dp3t-sdk-backend, model classes ExposedOverview and
// Exposee, GET /v1/exposed/{date}): a batch release time and the keys
// (SK_t, t) released in that batch, as JSON
//
//	{"batchReleaseTime": 1586476800000,
//	 "exposed": [{"key": "<base64 of the 32-byte SK_t>", "keyDate": 1586390400000}]}
//
// Both times are Unix milliseconds; keyDate is the UTC midnight of the
// key's day t. Marshal it with encoding/json; decode it with
// DecodeExposedOverview (or json.Unmarshal, which uses it), which is strict.
type ExposedOverview struct {
	BatchReleaseTime int64     `json:"batchReleaseTime"`
	Exposed          []Exposee `json:"exposed"`
}

// Exposee is one published key of an ExposedOverview.
type Exposee struct {
	// Key is the day seed SK_t in standard base64 (44 characters).
	Key string `json:"key"`
	// KeyDate is the UTC midnight of the key's first day t (Unix ms).
	KeyDate int64 `json:"keyDate"`
}

// NewExposedOverview lists keys (as Device.Upload makes them) in a batch
// released at releaseMs. Each key must start at a UTC midnight no later
// than the release and cover at most RetentionDays days up to it; its End
// is not written (the list has no such field), so a phone reading the list
// back takes the release time as every key's End.
func NewExposedOverview(keys []tracing.PublishedKey, releaseMs int64) (ExposedOverview, error) {
	o := ExposedOverview{BatchReleaseTime: releaseMs, Exposed: make([]Exposee, len(keys))}
	for i, k := range keys {
		if _, err := ParseKey(k.Key); err != nil {
			return ExposedOverview{}, fmt.Errorf("key %d: %w", i, err)
		}
		if k.Start < 0 || k.Start > maxUnix {
			return ExposedOverview{}, fmt.Errorf("key %d: start %d outside 1970..9999: %w", i, k.Start, tracing.ErrBadKey)
		}
		o.Exposed[i] = Exposee{Key: base64.StdEncoding.EncodeToString(k.Key), KeyDate: k.Start * 1000}
	}
	if err := o.validate(); err != nil {
		return ExposedOverview{}, err
	}
	return o, nil
}

// PublishedKeys converts the list for p's matching and expansion: Key is
// SK_t, Start keyDate (in seconds), End the batch release time (in whole
// seconds; sightings after the release cannot be the uploader's), Slots
// p's EphIDs per day.
func (o ExposedOverview) PublishedKeys(p *Protocol) ([]tracing.PublishedKey, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	end := floorDiv(o.BatchReleaseTime, 1000)
	out := make([]tracing.PublishedKey, len(o.Exposed))
	for i, e := range o.Exposed {
		b, _ := base64.StdEncoding.DecodeString(e.Key) // validated
		out[i] = tracing.PublishedKey{Key: b, Start: e.KeyDate / 1000, End: end, Slots: p.n}
		if _, err := p.span(out[i]); err != nil {
			return nil, fmt.Errorf("exposed[%d]: %w", i, err)
		}
	}
	return out, nil
}

// validate is the strict check of a list: a release time in 1970..9999,
// and each key 32 bytes of standard base64 with a keyDate at a UTC
// midnight, no later than the release and at most RetentionDays-1 days
// before the release's day.
func (o ExposedOverview) validate() error {
	if o.BatchReleaseTime < 0 || o.BatchReleaseTime > maxUnix*1000+999 {
		return fmt.Errorf("batchReleaseTime: want Unix milliseconds in 1970..9999, got %d", o.BatchReleaseTime)
	}
	relDay := o.BatchReleaseTime / dayMillis
	for i, e := range o.Exposed {
		b, err := base64.StdEncoding.Strict().DecodeString(e.Key)
		if err != nil {
			return fmt.Errorf("exposed[%d].key: want standard base64 of a %d-byte seed: %v", i, KeyLen, err)
		}
		if len(b) != KeyLen {
			return fmt.Errorf("exposed[%d].key: %w: want %d bytes, got %d", i, tracing.ErrKeyLength, KeyLen, len(b))
		}
		switch {
		case e.KeyDate < 0 || e.KeyDate%dayMillis != 0:
			return fmt.Errorf("exposed[%d].keyDate: %w: want a UTC midnight in Unix milliseconds (a non-negative multiple of %d), got %d", i, tracing.ErrBadKey, dayMillis, e.KeyDate)
		case e.KeyDate > o.BatchReleaseTime:
			return fmt.Errorf("exposed[%d].keyDate: %w: %d is after batchReleaseTime %d", i, tracing.ErrBadKey, e.KeyDate, o.BatchReleaseTime)
		case relDay-e.KeyDate/dayMillis >= RetentionDays:
			return fmt.Errorf("exposed[%d].keyDate: %w: %d is %d days before batchReleaseTime, more than the %d-day retention", i, tracing.ErrBadKey, e.KeyDate, relDay-e.KeyDate/dayMillis, RetentionDays)
		}
	}
	return nil
}

// DecodeExposedOverview decodes a list strictly: a JSON object with exactly
// the fields batchReleaseTime and exposed (exact spelling, no duplicates,
// no others), each entry exactly key and keyDate, integers for the times,
// nothing after the object, and the checks of NewExposedOverview.
func DecodeExposedOverview(b []byte) (ExposedOverview, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := delim(dec, '{', "the exposed list"); err != nil {
		return ExposedOverview{}, err
	}
	var o ExposedOverview
	var seenTime, seenList bool
	for dec.More() {
		name, err := fieldName(dec, "the exposed list")
		if err != nil {
			return ExposedOverview{}, err
		}
		switch name {
		case "batchReleaseTime":
			if seenTime {
				return ExposedOverview{}, errors.New("batchReleaseTime: field appears twice")
			}
			seenTime = true
			if o.BatchReleaseTime, err = integer(dec, "batchReleaseTime"); err != nil {
				return ExposedOverview{}, err
			}
		case "exposed":
			if seenList {
				return ExposedOverview{}, errors.New("exposed: field appears twice")
			}
			seenList = true
			if err := delim(dec, '[', "exposed"); err != nil {
				return ExposedOverview{}, err
			}
			o.Exposed = []Exposee{}
			for i := 0; dec.More(); i++ {
				e, err := decodeExposee(dec, fmt.Sprintf("exposed[%d]", i))
				if err != nil {
					return ExposedOverview{}, err
				}
				o.Exposed = append(o.Exposed, e)
			}
			if err := delim(dec, ']', "the end of exposed"); err != nil {
				return ExposedOverview{}, err
			}
		default:
			return ExposedOverview{}, fmt.Errorf("unknown field %q in the exposed list (want batchReleaseTime, exposed)", name)
		}
	}
	if err := delim(dec, '}', "the end of the exposed list"); err != nil {
		return ExposedOverview{}, err
	}
	switch {
	case !seenTime:
		return ExposedOverview{}, errors.New("batchReleaseTime: missing")
	case !seenList:
		return ExposedOverview{}, errors.New("exposed: missing")
	}
	if _, err := dec.Token(); err != io.EOF {
		return ExposedOverview{}, errors.New("unexpected data after the exposed list")
	}
	return o, o.validate()
}

// UnmarshalJSON makes json.Unmarshal decode a list strictly.
func (o *ExposedOverview) UnmarshalJSON(b []byte) error {
	v, err := DecodeExposedOverview(b)
	if err != nil {
		return err
	}
	*o = v
	return nil
}

func decodeExposee(dec *json.Decoder, path string) (Exposee, error) {
	if err := delim(dec, '{', path); err != nil {
		return Exposee{}, err
	}
	var e Exposee
	var seenKey, seenDate bool
	for dec.More() {
		name, err := fieldName(dec, path)
		if err != nil {
			return Exposee{}, err
		}
		switch name {
		case "key":
			if seenKey {
				return Exposee{}, fmt.Errorf("%s.key: field appears twice", path)
			}
			seenKey = true
			tok, err := dec.Token()
			if err != nil {
				return Exposee{}, fmt.Errorf("%s.key: %w", path, eofErr(err))
			}
			s, ok := tok.(string)
			if !ok {
				return Exposee{}, fmt.Errorf("%s.key: want a base64 string, got %s", path, describeToken(tok))
			}
			e.Key = s
		case "keyDate":
			if seenDate {
				return Exposee{}, fmt.Errorf("%s.keyDate: field appears twice", path)
			}
			seenDate = true
			if e.KeyDate, err = integer(dec, path+".keyDate"); err != nil {
				return Exposee{}, err
			}
		default:
			return Exposee{}, fmt.Errorf("%s: unknown field %q (want key, keyDate)", path, name)
		}
	}
	if err := delim(dec, '}', "the end of "+path); err != nil {
		return Exposee{}, err
	}
	switch {
	case !seenKey:
		return Exposee{}, fmt.Errorf("%s.key: missing", path)
	case !seenDate:
		return Exposee{}, fmt.Errorf("%s.keyDate: missing", path)
	}
	return e, nil
}

func delim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("reading %s: %w", what, eofErr(err))
	}
	if tok != d {
		return fmt.Errorf("want %q at %s, got %s", string(d), what, describeToken(tok))
	}
	return nil
}

func fieldName(dec *json.Decoder, what string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, eofErr(err))
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a field name, got %s", what, describeToken(tok))
	}
	return s, nil
}

func integer(dec *json.Decoder, path string) (int64, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, eofErr(err))
	}
	n, ok := tok.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s: want an integer (Unix milliseconds), got %s", path, describeToken(tok))
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: want an integer (Unix milliseconds), got %s", path, describeToken(tok))
	}
	return v, nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("the string %q", v)
	case json.Number:
		s := string(v)
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return "the number " + s
	}
	return fmt.Sprintf("%v", tok)
}

func eofErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
