package bluezone

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/bluesim/bluesim/tracing"
)

// F0Entry is one entry of the F0 list the server pushes to phones inside a
// KiemTraLichSuTiepXuc message: {"daily_key": hex32, "time_start": s,
// "time_end": s, "max": 96} (protocols.md §1.5 step 2, from
// BluezoneIdTrace.isContactF). Marshal it with encoding/json; unmarshal it
// with DecodeF0Entry or json.Unmarshal, which both decode strictly.
type F0Entry struct {
	DailyKey  string `json:"daily_key"`  // 64 hex digits
	TimeStart int64  `json:"time_start"` // a UTC midnight, Unix s
	TimeEnd   int64  `json:"time_end"`   // Unix s, >= time_start
	Max       int    `json:"max"`        // slots per day
}

// F0List is the pushed InfoF: {"data": [entry, ...]}.
type F0List struct {
	Data []F0Entry `json:"data"`
}

// F0EntryFromKey is the pushed form of a published key. It fails, as the
// decoder would, on a key the strict decoder would refuse.
func F0EntryFromKey(k tracing.PublishedKey) (F0Entry, error) {
	e := F0Entry{DailyKey: hex.EncodeToString(k.Key), TimeStart: k.Start, TimeEnd: k.End, Max: k.Slots}
	if err := e.validate(""); err != nil {
		return F0Entry{}, err
	}
	return e, nil
}

// PublishedKey converts a pushed entry: Key is the daily key, Start
// time_start, End time_end, Slots max. It validates as DecodeF0Entry does.
func (e F0Entry) PublishedKey() (tracing.PublishedKey, error) {
	if err := e.validate(""); err != nil {
		return tracing.PublishedKey{}, err
	}
	k, _ := ParseKey(e.DailyKey) // validated above
	return tracing.PublishedKey{Key: k[:], Start: e.TimeStart, End: e.TimeEnd, Slots: e.Max}, nil
}

// PublishedKeys converts every entry of the list.
func (l F0List) PublishedKeys() ([]tracing.PublishedKey, error) {
	out := make([]tracing.PublishedKey, 0, len(l.Data))
	for i, e := range l.Data {
		k, err := e.PublishedKey()
		if err != nil {
			return nil, fmt.Errorf("data[%d]: %w", i, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// validate is the strict check of an entry: daily_key exactly 32 bytes of
// hex, max > 0 and tiling the day, time_start at a UTC midnight,
// time_end >= time_start, both in 0..MaxUnix and at most MaxSpanDays apart.
func (e F0Entry) validate(path string) error {
	if _, err := ParseKey(e.DailyKey); err != nil {
		return fmt.Errorf("%sdaily_key: %w", path, err)
	}
	if e.Max < 1 {
		return fmt.Errorf("%smax: %w: want a positive number of slots per day, got %d", path, tracing.ErrBadKey, e.Max)
	}
	if err := validSlots("max", e.Max); err != nil {
		return fmt.Errorf("%s%w: %v", path, tracing.ErrBadKey, err)
	}
	if e.TimeStart < 0 || e.TimeStart > MaxUnix {
		return fmt.Errorf("%stime_start: %w: want Unix seconds in 0..%d, got %d", path, tracing.ErrBadKey, int64(MaxUnix), e.TimeStart)
	}
	if e.TimeStart%(DayMillis/1000) != 0 {
		return fmt.Errorf("%stime_start: %w: want a UTC midnight (a multiple of 86400), got %d", path, tracing.ErrBadKey, e.TimeStart)
	}
	if e.TimeEnd < e.TimeStart || e.TimeEnd > MaxUnix {
		return fmt.Errorf("%stime_end: %w: want Unix seconds from time_start (%d) to %d, got %d", path, tracing.ErrBadKey, e.TimeStart, int64(MaxUnix), e.TimeEnd)
	}
	if e.TimeEnd-e.TimeStart > MaxSpanDays*(DayMillis/1000) {
		return fmt.Errorf("%stime_end: %w: at most %d days after time_start, got %d s", path, tracing.ErrBadKey, MaxSpanDays, e.TimeEnd-e.TimeStart)
	}
	return nil
}

// DecodeF0Entry decodes one pushed entry strictly: a JSON object with
// exactly the four fields (exact spelling, no duplicates, no others),
// integers for the numbers, nothing after the object, and the checks of a
// valid entry (see PublishedKey).
func DecodeF0Entry(b []byte) (F0Entry, error) {
	dec := newDecoder(b)
	e, err := decodeEntry(dec, "")
	if err != nil {
		return F0Entry{}, err
	}
	return e, expectEOF(dec)
}

// DecodeF0List decodes the pushed InfoF {"data": [...]} strictly.
func DecodeF0List(b []byte) (F0List, error) {
	dec := newDecoder(b)
	if err := expectDelim(dec, '{', "the F0 list"); err != nil {
		return F0List{}, err
	}
	var l F0List
	seen := false
	for dec.More() {
		name, err := objectKey(dec, "")
		if err != nil {
			return F0List{}, err
		}
		if name != "data" {
			return F0List{}, fmt.Errorf("unknown field %q in the F0 list (want only \"data\")", name)
		}
		if seen {
			return F0List{}, errors.New(`field "data" appears twice in the F0 list`)
		}
		seen = true
		if err := expectDelim(dec, '[', "data"); err != nil {
			return F0List{}, err
		}
		l.Data = []F0Entry{}
		for i := 0; dec.More(); i++ {
			e, err := decodeEntry(dec, fmt.Sprintf("data[%d].", i))
			if err != nil {
				return F0List{}, err
			}
			l.Data = append(l.Data, e)
		}
		if err := expectDelim(dec, ']', "the end of data"); err != nil {
			return F0List{}, err
		}
	}
	if err := expectDelim(dec, '}', "the end of the F0 list"); err != nil {
		return F0List{}, err
	}
	if !seen {
		return F0List{}, errors.New(`the F0 list has no "data" field`)
	}
	return l, expectEOF(dec)
}

// UnmarshalJSON makes json.Unmarshal decode an entry strictly.
func (e *F0Entry) UnmarshalJSON(b []byte) error {
	v, err := DecodeF0Entry(b)
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// UnmarshalJSON makes json.Unmarshal decode a list strictly.
func (l *F0List) UnmarshalJSON(b []byte) error {
	v, err := DecodeF0List(b)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

func newDecoder(b []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec
}

func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("reading %s: %w", what, syntaxErr(err))
	}
	if tok != d {
		return fmt.Errorf("want %q at %s, got %s", string(d), what, describe(tok))
	}
	return nil
}

func objectKey(dec *json.Decoder, path string) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("%s: %w", pathOr(path), syntaxErr(err))
	}
	name, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a field name, got %s", pathOr(path), describe(tok))
	}
	return name, nil
}

func decodeEntry(dec *json.Decoder, path string) (F0Entry, error) {
	if err := expectDelim(dec, '{', pathOr(path)); err != nil {
		return F0Entry{}, err
	}
	var e F0Entry
	var seen [4]bool
	for dec.More() {
		name, err := objectKey(dec, path)
		if err != nil {
			return F0Entry{}, err
		}
		var field int
		switch name {
		case "daily_key":
			field = 0
		case "time_start":
			field = 1
		case "time_end":
			field = 2
		case "max":
			field = 3
		default:
			return F0Entry{}, fmt.Errorf("%s: unknown field %q (want daily_key, time_start, time_end, max)", pathOr(path), name)
		}
		if seen[field] {
			return F0Entry{}, fmt.Errorf("%s%s: field appears twice", path, name)
		}
		seen[field] = true
		tok, err := dec.Token()
		if err != nil {
			return F0Entry{}, fmt.Errorf("%s%s: %w", path, name, syntaxErr(err))
		}
		if field == 0 {
			s, ok := tok.(string)
			if !ok {
				return F0Entry{}, fmt.Errorf("%sdaily_key: want a string of 64 hex digits, got %s", path, describe(tok))
			}
			e.DailyKey = s
			continue
		}
		num, ok := tok.(json.Number)
		var v int64
		if ok {
			v, err = strconv.ParseInt(string(num), 10, 64)
		}
		if !ok || err != nil {
			return F0Entry{}, fmt.Errorf("%s%s: want an integer, got %s", path, name, describe(tok))
		}
		switch field {
		case 1:
			e.TimeStart = v
		case 2:
			e.TimeEnd = v
		case 3:
			if v < 1 || v > 86_400 {
				return F0Entry{}, fmt.Errorf("%smax: %w: want 1..86400 slots per day, got %d", path, tracing.ErrBadKey, v)
			}
			e.Max = int(v)
		}
	}
	if err := expectDelim(dec, '}', "the end of "+pathOr(path)); err != nil {
		return F0Entry{}, err
	}
	for i, name := range [4]string{"daily_key", "time_start", "time_end", "max"} {
		if !seen[i] {
			return F0Entry{}, fmt.Errorf("%s%s: missing", path, name)
		}
	}
	return e, e.validate(path)
}

func pathOr(path string) string {
	if path == "" {
		return "the F0 entry"
	}
	return path[:len(path)-1]
}

func describe(tok json.Token) string {
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

func syntaxErr(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
