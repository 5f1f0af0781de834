package main

import (
	"strings"
	"testing"
)

// The daily key for 2020-08-08 of the published Bluezone vectors
// (protocols.md §1.2) and its next-day ratchet.
const (
	bzDailyKey = "4C5224B397F8AB3896781D5AA0F3119F280513F1B592CA280EBDED6357E21084"
	bzNextKey  = "4814DD132F8E308694A55AC8319581EA33CADA16B80CDB7FE1191115B76B9224"
)

func TestIDsBluezoneGolden(t *testing.T) {
	k := []string{"ids", "bluezone", "--daily-key", bzDailyKey, "--day", "2020-08-08"}
	with := func(extra ...string) []string { return append(append([]string{}, k...), extra...) }
	for _, tc := range []struct {
		name string
		args []string
	}{
		// Good invocations.
		{"vectors", with("--from", "0", "--count", "2")},
		{"next_day", []string{"ids", "bluezone", "--daily-key", bzNextKey, "--day", "2020-08-09", "--from", "0", "--count", "1"}},
		{"full_day", with("--from", "0")},
		{"at_last_slot", with("--at", "2020-08-08T23:59:59.999Z")},
		{"at_zone", with("--at", "2020-08-08T07:20:00+07:00")},
		{"slots144", with("--slots", "144", "--from", "140")},
		// Bad ones: exit 2, naming the flag and what was expected.
		{"no_key", []string{"ids", "bluezone", "--day", "2020-08-08", "--from", "0"}},
		{"bad_hex", []string{"ids", "bluezone", "--daily-key", "zz" + bzDailyKey[2:], "--day", "2020-08-08", "--from", "0"}},
		{"short_key", []string{"ids", "bluezone", "--daily-key", bzDailyKey[:40], "--day", "2020-08-08", "--from", "0"}},
		{"no_day", []string{"ids", "bluezone", "--daily-key", bzDailyKey, "--from", "0"}},
		{"bad_day", []string{"ids", "bluezone", "--daily-key", bzDailyKey, "--day", "08/08/2020", "--from", "0"}},
		{"bad_slots", with("--slots", "97", "--from", "0")},
		{"at_next_day", with("--at", "2020-08-09T00:00:00Z")},
		{"at_before_day", with("--at", "2020-08-08T06:59:59+07:00")},
		{"bad_at", with("--at", "2020-08-08 09:30")},
		{"at_and_from", with("--at", "2020-08-08T09:30:00Z", "--from", "3")},
		{"neither", with()},
		{"count_with_at", with("--at", "2020-08-08T09:30:00Z", "--count", "2")},
		{"from_out_of_day", with("--from", "96")},
		{"count_past_day", with("--from", "90", "--count", "7")},
		{"count_zero", with("--from", "0", "--count", "0")},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, "ids_bluezone_"+tc.name, tc.args...) })
	}
}

// TestIDsBluezoneVectors checks the published vectors directly, so that a
// golden file rewritten with -update cannot hide a wrong ID.
func TestIDsBluezoneVectors(t *testing.T) {
	got := runCLI(t, "ids", "bluezone", "--daily-key", bzDailyKey, "--day", "2020-08-08", "--from", "0", "--count", "2")
	if want := "0\t29abd013b41c90269332ab5d\n1\te26b0fcb3a70a8892b38a074\n"; got.code != 0 || got.stdout != want {
		t.Errorf("got %q (exit %d, %s), want %q", got.stdout, got.code, got.stderr, want)
	}
	got = runCLI(t, "ids", "bluezone", "--daily-key", bzNextKey, "--day", "2020-08-09", "--at", "2020-08-09T00:14:59Z")
	if want := "0\t64c0d2707c49d2f0d5e3e348\n"; got.code != 0 || got.stdout != want {
		t.Errorf("got %q (exit %d, %s), want %q", got.stdout, got.code, got.stderr, want)
	}
	got = runCLI(t, "ids", "bluezone", "--daily-key", bzDailyKey, "--day", "2020-08-08", "--from", "0")
	if n := strings.Count(got.stdout, "\n"); got.code != 0 || n != 96 {
		t.Errorf("a whole day printed %d lines (exit %d)", n, got.code)
	}
}
