package strictyaml

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/check"
)

type inner struct {
	A int     `yaml:"a"`
	B float64 `yaml:"b"`
}

type shape interface{ area() float64 }

type square struct {
	Side float64 `yaml:"side"`
}

func (s square) area() float64 { return s.Side * s.Side }

// kinded decodes itself: "kind" picks the type of "shape".
type kinded struct {
	Kind  string `yaml:"kind"`
	Shape shape  `yaml:"shape"`
}

func (k *kinded) UnmarshalStrict(d *Decoder, n *yaml.Node, path string) {
	if v, _ := FindKey(n, "kind"); v != nil && v.Value == "square" && k.Shape == nil {
		k.Shape = square{Side: 1}
	}
	d.DecodeStruct(reflect.ValueOf(k).Elem(), n, path)
}

type doc struct {
	Name   string        `yaml:"name"`
	Every  time.Duration `yaml:"every"`
	Inner  inner         `yaml:"inner"`
	List   []inner       `yaml:"list"`
	Kinded kinded        `yaml:"kinded"`
}

func (d doc) Validate() error {
	l := check.New("")
	l.IntBetween("inner.a", d.Inner.A, 0, 10)
	if d.Name == "" {
		l.Add("name", "must not be empty")
	}
	return l.Err()
}

func decodeErrs(t *testing.T, src string) (doc, []string) {
	t.Helper()
	v := doc{Name: "x", Inner: inner{A: 1, B: 2}}
	err := Load("f.yaml", []byte(src), &v, "test")
	var out []string
	if err != nil {
		var list ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("error %T is not an ErrorList: %v", err, err)
		}
		for _, e := range list {
			out = append(out, e.Error())
		}
	}
	return v, out
}

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"empty keeps the defaults", "", nil},
		{"overlay", "inner: {b: 3}\nevery: 15m\n", nil},
		{"unknown key", "inner: {zebra: 3}\n", []string{`f.yaml:1:9: inner: unknown key "zebra"; valid keys: a, b`}},
		{"misspelled key", "nmae: y\n", []string{`f.yaml:1:1: unknown key "nmae"; did you mean "name"?`}},
		{"wrong type", "inner: {a: 1.5}\n", []string{`f.yaml:1:12: inner.a: want an integer, got a number (1.5)`}},
		{"bad duration", "every: soon\n", []string{`f.yaml:1:8: every: want a duration such as 15m or 2h30m, got "soon"`}},
		{"validate located", "name: ''\ninner:\n  a: 11\n", []string{
			`f.yaml:1:1: name: must not be empty`, `f.yaml:3:3: inner.a: must be between 0 and 10, got 11`}},
		{"validate at the file", "name: ''\n", []string{`f.yaml:1:1: name: must not be empty`}},
		{"interface by kind", "kinded: {kind: square, shape: {side: 3}}\n", nil},
		{"interface schema", "kinded: {kind: square, shape: {radius: 3}}\n", []string{`f.yaml:1:32: kinded.shape: unknown key "radius"; valid keys: side`}},
		{"interface unset", "kinded: {shape: {side: 3}}\n", []string{`f.yaml:1:17: kinded.shape: cannot be set here`}},
		{"syntax", "inner: [1\n", []string{`f.yaml:2: invalid YAML`}},
		{"not a mapping", "- 1\n", []string{`f.yaml:1:1: a test file must be a mapping of keys, got a list`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := decodeErrs(t, tc.src)
			if len(got) != len(tc.want) {
				t.Fatalf("errors %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("error %q, want it to start with %q", got[i], tc.want[i])
				}
			}
		})
	}
	v, _ := decodeErrs(t, "inner: {b: 3}\nevery: 15m\nkinded: {kind: square, shape: {side: 3}}\n")
	if v.Inner != (inner{A: 1, B: 3}) || v.Every != 15*time.Minute || v.Kinded.Shape.area() != 9 {
		t.Fatalf("decoded %+v", v)
	}
}

func TestSetPathInterface(t *testing.T) {
	v := doc{Kinded: kinded{Kind: "square", Shape: square{Side: 2}}}
	before := v
	d := NewDecoder("--set", nil)
	n, err := ParseFlowValue("5")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetPath(reflect.ValueOf(&v).Elem(), "kinded.shape.side", n); err != nil || len(d.Errs) > 0 {
		t.Fatal(err, d.Errs)
	}
	if v.Kinded.Shape.(square).Side != 5 || before.Kinded.Shape.(square).Side != 2 {
		t.Fatalf("set %+v, before %+v", v, before)
	}
	if err := d.SetPath(reflect.ValueOf(&v).Elem(), "kinded.shape.radius", n); err == nil || !strings.Contains(err.Error(), `unknown key "radius"`) {
		t.Fatalf("err %v", err)
	}
}

func TestParsePath(t *testing.T) {
	good := map[string]string{"a": "a", "a.b": "a.b", "a[1].b": "a[1].b", "a[*].b[2]": "a[*].b[2]"}
	for in := range good {
		if _, err := ParsePath(in); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, bad := range []string{"", ".a", "a..b", "a[", "a[x]", "a[-1]", "a[1]x"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	v := doc{Name: "n", Every: time.Hour, Inner: inner{A: 3, B: 0.25}, List: []inner{{1, 2}, {3, 4}},
		Kinded: kinded{Kind: "square", Shape: square{Side: 1.5}}}
	e := &Encoder{Comments: true, Doc: func(t reflect.Type, f string) string { return t.Name() + "." + f }}
	b, err := e.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Each struct type inside the list is commented once.
	if got := strings.Count(string(b), "# inner.A"); got != 2 {
		t.Errorf("inner.A commented %d times, want 2 (inner, first list entry):\n%s", got, b)
	}
	var back doc
	if err := Load("back.yaml", b, &back, "test"); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !reflect.DeepEqual(back, v) {
		t.Fatalf("round trip %+v, want %+v\n%s", back, v, b)
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{"", "name: a\n", "inner: {a: 1e3}\n", "list: [{a: 1}, {b: 2}]\n", "a: &a [1]\nb: *a\n",
		"kinded: {kind: square, shape: {side: 2}}\n", "every: 1h\n", "{", "- x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v doc
		err := Load("f.yaml", data, &v, "test")
		if err == nil {
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
		}
		for _, e := range list {
			if e.File != "f.yaml" || e.Msg == "" {
				t.Fatalf("error without a file or message: %#v", e)
			}
		}
	})
}
