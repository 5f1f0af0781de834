package reportcheck

import (
	"slices"
	"testing"
)

func TestNumbersInWords(t *testing.T) {
	got := Numbers("notified 3.0 of every 100 (95 % interval: 1.2 to 7.5 of every 100); caught 84 in 100; " +
		"n-1 degrees; CI -11–12 %; day 2")
	want := []Number{
		{"3.0", 3, 1, true}, {"95", 95, 0, true}, {"1.2", 1.2, 1, true}, {"7.5", 7.5, 1, true}, {"84", 84, 0, true},
		{"1", 1, 0, false}, {"-11", -11, 0, true}, {"12", 12, 0, true}, {"2", 2, 0, false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestNumbers(t *testing.T) {
	got := Numbers("At 71 % (95 % CI 66–77 %), 1,234 people, 0.62 × a², hash eca27c30188fb20f, 40.5 per case.")
	want := []Number{
		{"71", 71, 0, true}, {"95", 95, 0, true}, {"66", 66, 0, true}, {"77", 77, 0, true},
		{"1,234", 1234, 0, false}, {"0.62", 0.62, 2, false}, {"40.5", 40.5, 1, false},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestMissing(t *testing.T) {
	doc := []byte(`{"a": 0.7134, "ci": [0.6551, 0.7749], "n": 1234, "goal": "coverage>=0.5", "h": "eca27c30188fb20f", "r": 40.46, "z": null}`)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"71 % (95 % CI 66–77 %) of 1,234; goal 50 %, 0.5; 40.5", []string{"95 %"}},
		{"72 % and 1,235 and 40.4", []string{"72 %", "1,235", "40.4"}},
		{"hash eca27c30188fb20f", nil},
	} {
		got, err := Missing(tc.text, doc)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Missing(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got, _ := Missing("95 % CI", doc, "95"); len(got) != 0 {
		t.Errorf("allowed constant reported: %v", got)
	}
	if _, err := Missing("1", []byte("{")); err == nil {
		t.Error("bad JSON accepted")
	}
}
