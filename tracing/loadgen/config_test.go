package loadgen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/tracing/loadgen"
)

// TestLoadNationalLoadLocated: a national-load file goes through the
// scenarios' strict loader, so every problem names the file, line, column
// and key, all of them at once.
func TestLoadNationalLoadLocated(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"misspelled key", "populaton: 5\n", []string{`n.yaml:1:1: unknown key "populaton"; did you mean "population"?`}},
		{"wrong type", "adoption: [1]\n", []string{`n.yaml:1:11: adoption: want a number, got a list`}},
		{"bad duration", "poll_interval: hourly\n", []string{`n.yaml:1:16: poll_interval: want a duration such as 15m or 2h30m, got "hourly"`}},
		{"out of range, all of them", "adoption: 2\npoll_interval: -1h\nkeys_per_upload: 20\n", []string{
			`n.yaml:1:1: adoption: must be between 0 and 1, got 2`,
			`n.yaml:2:1: poll_interval: must be a positive duration, got -1h0m0s`,
			`n.yaml:3:1: keys_per_upload: must be between 1 and 14, got 20`,
		}},
		{"integer field", "keys_per_upload: 1.5\n", []string{`n.yaml:1:18: keys_per_upload: want an integer, got a number (1.5)`}},
		{"two documents", "population: 1\n---\npopulation: 2\n", []string{`n.yaml:2:1: more than one YAML document`}},
		{"not a mapping", "- 1\n", []string{`n.yaml:1:1: a national load file must be a mapping of keys, got a list`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadgen.LoadNationalLoad("n.yaml", []byte(tc.src))
			var list strictyaml.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T %v, want a located list", err, err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("errors\n%v\nwant %d", err, len(tc.want))
			}
			for i, e := range list {
				if !strings.HasPrefix(e.Error(), tc.want[i]) {
					t.Errorf("error %q, want %q", e.Error(), tc.want[i])
				}
			}
		})
	}
	n, err := loadgen.LoadNationalLoad("empty.yaml", nil)
	if err != nil || n != loadgen.DefaultNationalLoad {
		t.Fatalf("empty file: %+v, %v", n, err)
	}
}

func FuzzLoadNationalLoad(f *testing.F) {
	for _, s := range []string{"", "population: 1e6\nadoption: 0.5\n", "poll_interval: 30m\n", "keys_per_upload: 14\n",
		"adoption: [1]\n", "a: &a [1]\nb: *a\n", "{", "- x\n", "population: .nan\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := loadgen.LoadNationalLoad("f.yaml", data)
		if err != nil {
			var list strictyaml.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty located list", err, err)
			}
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("loaded an invalid load: %v", err)
		}
		n.Rates()
	})
}
