package scenarios

import (
	"reflect"
	"testing"

	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/scenarios/internal/fielddoc"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// TestFieldDocsUpToDate keeps docs_gen.go (the comments --show prints) in
// step with the Go source of every struct a scenario is made of.
func TestFieldDocsUpToDate(t *testing.T) {
	dirs, err := fielddoc.ScenarioDirs("..")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := fielddoc.Parse("..", dirs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	stale := 0
	needDoc := false
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() == "" {
			return
		}
		seen[typ] = true
		info, err := strictyaml.Fields(typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range info.Fields {
			key := f.Owner.PkgPath() + "." + f.Owner.Name() + "." + f.GoName
			if fieldDocs[key] != fresh[key] {
				stale++
				t.Errorf("doc of %s changed in the source", key)
			}
			if needDoc && fresh[key] == "" {
				t.Errorf("%s has no doc comment for --show to print", key)
			}
			walk(f.Owner.FieldByIndex(f.Index[len(f.Index)-1:]).Type)
		}
	}
	walk(reflect.TypeFor[fileDoc]())
	walk(reflect.TypeFor[Sweep]())
	// An arm's rule is its protocol's own struct, documented field by
	// field.
	needDoc = true
	for _, p := range protocols.All() {
		walk(reflect.TypeOf(p.DefaultRule()))
	}
	if stale > 0 {
		t.Fatalf("docs_gen.go is stale: run `go generate ./scenarios`")
	}
	if len(seen) < 5 {
		t.Fatalf("walked only %d struct types", len(seen))
	}
}

func BenchmarkLoadBuiltinTown(b *testing.B) {
	src, err := BuiltinSource("town")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadBytes("town.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanAdoptionSweep(b *testing.B) {
	l, err := LoadBuiltin("adoption-sweep")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Plan(); err != nil {
			b.Fatal(err)
		}
	}
}
