package scenarios

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestContactResolved(t *testing.T) {
	tests := []struct {
		c       Contact
		d, m    float64
		wantErr bool
	}{
		{Contact{Preset: ContactCDC}, 1.83, 15, false},
		{Contact{Preset: ContactECDC}, 2, 15, false},
		{Contact{Preset: ContactSingapore}, 2, 30, false},
		{Contact{Preset: ContactCustom, DistanceM: 1, Minutes: 10}, 1, 10, false},
		{Contact{Preset: "who"}, 0, 0, true},
	}
	for _, tt := range tests {
		d, m, err := tt.c.Resolved()
		if (err != nil) != tt.wantErr || d != tt.d || m != tt.m {
			t.Errorf("%+v: got %v %v %v", tt.c, d, m, err)
		}
	}
}

func TestAdoptionOn(t *testing.T) {
	a := Arm{Adoption: 0.4, Ramp: Ramp{From: 0.1, Days: 3}}
	want := []float64{0.1, 0.2, 0.3, 0.4, 0.4}
	for d, w := range want {
		if got := a.AdoptionOn(d); got < w-1e-12 || got > w+1e-12 {
			t.Errorf("day %d: %v want %v", d, got, w)
		}
	}
}

func TestDefaultRoundTrip(t *testing.T) {
	sc := Default()
	b, err := yaml.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	var back Scenario
	if err := yaml.Unmarshal(b, &back); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	b2, err := yaml.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Fatalf("round trip differs:\n%s\n---\n%s", b, b2)
	}
	if back.Start.String() != "2020-08-03" {
		t.Fatalf("start %v", back.Start)
	}
}

func TestDateErrors(t *testing.T) {
	var d Date
	if err := yaml.Unmarshal([]byte("2020-13-01"), &d); err == nil {
		t.Fatal("want error for month 13")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2020-08-03", "2020-02-30", "", "x", "2020-8-3", "99999-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		// A date that parses prints back to a date that parses to itself.
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("%q -> %v -> %v, %v", s, d, back, err)
		}
	})
}
