package keyserver

import "testing"

// TestDaysSinceOnset: days_since_onset_of_symptoms is whole UTC days from
// the onset's day to the key's day (both intervals truncated to their day
// of 144 ten-minute intervals), kept within -14..14 and absent when the
// onset interval is 0 or negative (not given).
func TestDaysSinceOnset(t *testing.T) {
	const day = 144
	const d0 = 18500 * day // a UTC midnight in 2020, as an interval number
	for _, tc := range []struct {
		name       string
		key, onset int32
		days       int32
		ok         bool
	}{
		{"no onset", d0, 0, 0, false},
		{"no onset, key on day 0", 0, 0, 0, false},
		{"negative onset", d0, -day, 0, false},
		{"onset interval 1", 0, 1, 0, true},
		{"same day", d0, d0 + 100, 0, true},
		{"key 14 days after onset", d0 + 14*day, d0 + day - 1, 14, true},
		{"key 15 days after onset", d0 + 15*day, d0 + 3, 0, false},
		{"key 14 days before onset", d0, d0 + 14*day + 143, -14, true},
		{"key 15 days before onset", d0, d0 + 15*day, 0, false},
		{"onset late in its day", d0 + 5*day, d0 + 2*day + 143, 3, true},
	} {
		days, ok := daysSinceOnset(tc.key, tc.onset)
		if days != tc.days || ok != tc.ok {
			t.Errorf("%s: key %d, onset %d: %d, %v; want %d, %v", tc.name, tc.key, tc.onset, days, ok, tc.days, tc.ok)
		}
	}
}
