package check

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
)

func TestListMessages(t *testing.T) {
	l := New("population")
	l.IntBetween("size", 1, 2, 10)
	l.Between("house_width_m", 50, 2, 30)
	l.Fraction("ios_share", math.NaN())
	l.Positive("bus_minutes", 0)
	l.NonNegative("x", -1)
	l.OneOf("mode", "mode", "f2", []string{"any", "f1"})
	l.Shares("carriage", []float64{0.5, 0.6}, 2)
	l.Shares("age_shares", []float64{1}, 9)
	l.Merge("phones", errors.Join(&Error{Field: "models", Msg: "bad"}, fmt.Errorf("plain")))
	got := []string{}
	for _, e := range Errors(l.Err()) {
		got = append(got, e.Error())
	}
	want := []string{
		"population.size: must be between 2 and 10, got 1",
		"population.house_width_m: must be between 2 and 30, got 50",
		"population.ios_share: must be between 0 and 1, got NaN",
		"population.bus_minutes: must be greater than 0, got 0",
		"population.x: must not be negative, got -1",
		`population.mode: unknown mode "f2" (did you mean "f1"?) (want any or f1)`,
		"population.carriage: shares must sum to 1, got 1.1",
		"population.age_shares: want 9 values, got 1",
		"population.phones.models: bad",
		"population.phones: plain",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if New("").Err() != nil {
		t.Fatal("empty list has an error")
	}
}

func TestJoin(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "x", "x"}, {"a", "", "a"}, {"a", "b", "a.b"}, {"a", "[2]", "a[2]"}, {"arms[1].rule", "rssi.ios_ios", "arms[1].rule.rssi.ios_ios"},
	} {
		if got := Join(tc.a, tc.b); got != tc.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestAlternatives(t *testing.T) {
	for n, want := range []string{"nothing", "a", "a or b", "a, b or c"} {
		if got := Alternatives([]string{"a", "b", "c"}[:n]); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"preset", "presett", 1}, {"kitten", "sitting", 3}, {"abc", "", 3}, {"twon", "town", 1}} {
		if got := Levenshtein(tt.a, tt.b); got != tt.d {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
	}
	if c, ok := Closest("gaem", []string{"bluezone", "gaen"}); !ok || c != "gaen" {
		t.Errorf("Closest = %q %v", c, ok)
	}
	if _, ok := Closest("zebra", []string{"size", "days"}); ok {
		t.Error("zebra is close to something")
	}
}
