package keyserver_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing/gaen"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// TestOnsetAndReportType checks what the token says reaches the export:
// the report type and days since symptom onset of each key, and the
// transmission risk and rolling period of the upload.
func TestOnsetAndReportType(t *testing.T) {
	f := newFixture(t, nil)
	now := f.now()
	_, keys := deviceKeys(t, 11, 5, now)
	today := int32(gaen.RollingStart(gaen.ENIntervalNumber(now)))
	for _, tc := range []struct {
		reportType string
		onsetDays  int32 // onset this many days before today; -1: none
		want       int32
	}{
		{"", -1, gaen.ExportReportConfirmedTest},
		{"likely", 2, gaen.ExportReportConfirmedClinicalDiagnosis},
		{"selfreport", 0, gaen.ExportReportSelfReport},
	} {
		t.Run(fmt.Sprint(tc.reportType, tc.onsetDays), func(t *testing.T) {
			req := keyserver.PublishRequest{Keys: keyserver.ExposureKeysJSON(keys, 6), HealthAuthorityID: keyserver.DefaultHealthAuthority}
			req.Keys[0].IntervalCount = 0 // means 144
			secret := []byte("s")
			c := keyserver.VerificationClaims{ReportType: tc.reportType}
			if tc.onsetDays >= 0 {
				// Mid-day onset: days count from the onset's day.
				c.SymptomOnsetInterval = today - 144*tc.onsetDays + 70
			}
			c.ID = "onset-" + tc.reportType
			req.HMACKey = "cw=="
			c.SignedMAC = b64(keyserver.KeysHMAC(secret, req.Keys))
			tok, err := f.tokens.Sign(c, now)
			if err != nil {
				t.Fatal(err)
			}
			req.VerificationPayload = tok
			if code, resp := post(t, f.url+"/v1/publish", mustJSON(t, req), nil); code != 200 {
				t.Fatalf("%d %v", code, resp)
			}
			f.exportNow(t)
			got := map[string]gaen.ExportKey{}
			for _, k := range f.downloadAll(t) {
				got[string(k.KeyData)] = k
			}
			for _, k := range keys {
				e, ok := got[string(k.Key)]
				if !ok {
					t.Fatalf("key %x not exported", k.Key)
				}
				if e.ReportType != tc.want || e.TransmissionRiskLevel != 6 || e.RollingPeriod != 144 {
					t.Errorf("key %x: report type %d risk %d period %d; want %d, 6, 144", k.Key, e.ReportType, e.TransmissionRiskLevel, e.RollingPeriod, tc.want)
				}
				day := (int32(k.Start/600) - today) / 144 // 0 today, -1 yesterday ...
				if tc.onsetDays < 0 {
					if e.HasDaysSinceOnset {
						t.Errorf("key of day %d: onset set without a symptom onset", day)
					}
				} else if !e.HasDaysSinceOnset || e.DaysSinceOnsetOfSymptoms != day+tc.onsetDays {
					t.Errorf("key of day %d: days since onset %d (set %v), want %d", day, e.DaysSinceOnsetOfSymptoms, e.HasDaysSinceOnset, day+tc.onsetDays)
				}
			}
			// The next case publishes another phone's keys: the server
			// stores a key once, with its first upload's metadata.
			_, keys = deviceKeys(t, uint64(time.Now().UnixNano()), 5, now)
		})
	}
}
