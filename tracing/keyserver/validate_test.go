package keyserver_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// TestValidateKeysBounds checks every bound ValidateKeys enforces at and
// either side of its edge, as the reference server defines them
// (loadtest.md, the Exposure Notifications publish API): 1 to 14 keys;
// transmissionRisk 0..8 (the export format's range); rollingPeriod 1..144,
// 0 meaning 144; a rollingStartNumber from the start of the day the
// retention reaches back to, up to the current interval; no key twice.
// Refusals are 400 bad_key (or no_keys, too_many_keys) naming the key's
// index and field.
func TestValidateKeysBounds(t *testing.T) {
	now := time.Date(2020, 8, 10, 13, 47, 0, 0, time.UTC)
	retention := 14 * 24 * time.Hour
	nowIv := int32(gaen.ENIntervalNumber(now))
	oldest := int32(gaen.RollingStart(gaen.ENIntervalNumber(now.Add(-retention))))
	key := func(i int) string {
		var b [keyserver.KeyLen]byte
		b[0], b[15] = byte(i), 0xA5
		return base64.StdEncoding.EncodeToString(b[:])
	}
	// req returns a valid request of n keys with the second key edited.
	req := func(n int, edit func(k *keyserver.ExposureKeyJSON)) *keyserver.PublishRequest {
		r := &keyserver.PublishRequest{}
		for i := range n {
			r.Keys = append(r.Keys, keyserver.ExposureKeyJSON{Key: key(i), IntervalNumber: int32(gaen.RollingStart(uint32(nowIv))) - 144*int32(i%14),
				IntervalCount: 144, TransmissionRisk: 4})
		}
		if edit != nil && n > 1 {
			edit(&r.Keys[1])
		}
		return r
	}
	type tcase struct {
		name string
		req  *keyserver.PublishRequest
		code string // "" means accepted
		msg  string // the error names this
	}
	var cases []tcase
	for risk := -1; risk <= 9; risk++ {
		c := tcase{name: "risk " + strconv.Itoa(risk), req: req(2, func(k *keyserver.ExposureKeyJSON) { k.TransmissionRisk = risk })}
		if risk < 0 || risk > 8 {
			c.code, c.msg = keyserver.CodeBadKey, "temporaryExposureKeys[1].transmissionRisk: "+strconv.Itoa(risk)+" outside 0..8"
		}
		cases = append(cases, c)
	}
	cases = append(cases,
		tcase{"risk 1000", req(2, func(k *keyserver.ExposureKeyJSON) { k.TransmissionRisk = 1000 }), keyserver.CodeBadKey, "temporaryExposureKeys[1].transmissionRisk"},
		tcase{"one key", req(1, nil), "", ""},
		tcase{"14 keys", req(14, nil), "", ""},
		tcase{"no keys", req(0, nil), keyserver.CodeNoKeys, "temporaryExposureKeys is empty"},
		tcase{"15 keys", req(15, nil), keyserver.CodeTooManyKeys, "15 keys, at most 14"},
		tcase{"period 0 means 144", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalCount = 0 }), "", ""},
		tcase{"period 1", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalCount = 1 }), "", ""},
		tcase{"period 145", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalCount = 145 }), keyserver.CodeBadKey, "temporaryExposureKeys[1].rollingPeriod: 145 outside 1..144"},
		tcase{"period -1", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalCount = -1 }), keyserver.CodeBadKey, "temporaryExposureKeys[1].rollingPeriod: -1"},
		tcase{"start now", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalNumber = nowIv }), "", ""},
		tcase{"start in the next interval", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalNumber = nowIv + 1 }), keyserver.CodeBadKey, "temporaryExposureKeys[1].rollingStartNumber"},
		tcase{"start at the oldest day", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalNumber = oldest }), "", ""},
		tcase{"start before the oldest day", req(2, func(k *keyserver.ExposureKeyJSON) { k.IntervalNumber = oldest - 1 }), keyserver.CodeBadKey, "temporaryExposureKeys[1].rollingStartNumber"},
		tcase{"same key twice", req(3, func(k *keyserver.ExposureKeyJSON) { k.Key = key(0) }), keyserver.CodeBadKey, "temporaryExposureKeys[1].key: the same key appears twice"},
		tcase{"15-byte key", req(2, func(k *keyserver.ExposureKeyJSON) { k.Key = base64.StdEncoding.EncodeToString(make([]byte, 15)) }), keyserver.CodeBadKey, "temporaryExposureKeys[1].key: want base64 of 16 bytes"},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keyserver.ValidateKeys(tc.req, now, keyserver.KeyRules{Retention: retention})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(got) != len(tc.req.Keys) {
					t.Fatalf("%d exposures for %d keys", len(got), len(tc.req.Keys))
				}
				for i, k := range tc.req.Keys {
					want, _ := base64.StdEncoding.DecodeString(k.Key)
					period := k.IntervalCount
					if period == 0 {
						period = 144
					}
					e := got[i]
					if string(e.Key[:]) != string(want) || e.RollingStart != k.IntervalNumber || e.RollingPeriod != period ||
						e.TransmissionRisk != int32(k.TransmissionRisk) {
						t.Fatalf("key %d %+v became %+v", i, k, e)
					}
				}
				return
			}
			var ae *keyserver.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("accepted (or not an APIError: %v); want %s", err, tc.code)
			}
			if ae.Status != http.StatusBadRequest || ae.Code != tc.code || !strings.Contains(ae.Msg, tc.msg) {
				t.Fatalf("%d %s %q, want 400 %s naming %q", ae.Status, ae.Code, ae.Msg, tc.code, tc.msg)
			}
			if got != nil {
				t.Fatalf("refused but returned %d exposures", len(got))
			}
		})
	}
}
