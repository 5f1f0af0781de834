package protocols_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/protocols"
)

func TestTable(t *testing.T) {
	names := protocols.Names()
	if want := []string{"bluezone", "bluezone-v1", "gaen", "dp3t"}; !slices.Equal(names[:4], want) {
		t.Fatalf("names %v, want %v first", names, want)
	}
	start := time.Date(2020, 8, 3, 0, 0, 0, 0, time.UTC)
	for _, p := range protocols.All()[:4] {
		t.Run(p.Name(), func(t *testing.T) {
			if got, ok := protocols.Lookup(p.Name()); !ok || got.Name() != p.Name() {
				t.Fatalf("Lookup(%q) = %v, %v", p.Name(), got, ok)
			}
			if info := p.Protocol().Info(); info.Name != p.Name() {
				t.Errorf("the real protocol is called %q", info.Name)
			}
			if err := p.Radio().Validate(); err != nil {
				t.Error(err)
			}
			rule := p.DefaultRule()
			if reflect.TypeOf(rule).Kind() != reflect.Struct {
				t.Errorf("default rule %T is not a struct", rule)
			}
			if err := rule.Validate(); err != nil {
				t.Errorf("default rule: %v", err)
			}
			if _, err := rule.NewRule(); err != nil {
				t.Errorf("NewRule: %v", err)
			}
			// A phone broadcasts its own IDs, with GAEN's metadata.
			ph, err := p.NewPhone(rand.NewChaCha8([32]byte{1}), start, tracing.PhoneSetup{TXPowerDBm: -20})
			if err != nil {
				t.Fatal(err)
			}
			at := start.Add(90 * time.Minute)
			id, meta, err := ph.Advert(at)
			want, err2 := ph.IDAt(at)
			if err != nil || err2 != nil || id != want {
				t.Fatalf("Advert %x %v, IDAt %x %v", id, err, want, err2)
			}
			if (meta != [4]byte{}) != (p.Name() == "gaen") {
				t.Errorf("metadata %x", meta)
			}
		})
	}
	if _, ok := protocols.Lookup("tcn"); ok {
		t.Error("found tcn")
	}
}

type fake struct {
	tracing.Simulated
	name  string
	rule  tracing.RuleParams
	radio tracing.Radio
}

func (f fake) Name() string                    { return f.name }
func (f fake) Radio() tracing.Radio            { return f.radio }
func (f fake) DefaultRule() tracing.RuleParams { return f.rule }

type ptrRule struct{ N int }

func (*ptrRule) Validate() error                { return nil }
func (*ptrRule) NewRule() (tracing.Rule, error) { return nil, nil }
func (badRule) NewRule() (tracing.Rule, error)  { return nil, nil }
func (badRule) Validate() error                 { return tracing.ErrBadKey }

type badRule struct{}

func TestRegisterRefuses(t *testing.T) {
	gaen, _ := protocols.Lookup("gaen")
	ok := fake{name: "new", rule: gaen.DefaultRule(), radio: gaen.Radio()}
	for _, tc := range []struct {
		name string
		p    tracing.Simulated
	}{
		{"nil", nil},
		{"no name", fake{rule: ok.rule, radio: ok.radio}},
		{"taken name", fake{name: "gaen", rule: ok.rule, radio: ok.radio}},
		{"pointer rule", fake{name: "p", rule: &ptrRule{}, radio: ok.radio}},
		{"invalid rule", fake{name: "b", rule: badRule{}, radio: ok.radio}},
		{"bad recording", fake{name: "r", rule: ok.rule, radio: tracing.Radio{Record: tracing.Recording{Mode: tracing.RecordStrongest, Bucket: 1500 * time.Millisecond}}}},
	} {
		if err := protocols.Register(tc.p); err == nil {
			t.Errorf("%s: registered", tc.name)
		}
	}
}
