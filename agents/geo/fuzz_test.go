package geo

import (
	"errors"
	"testing"
)

// The parsers never panic and either return rows or a *geo.Error naming
// the file.
func fuzzParser[T any](f *testing.F, file string, parse func(string, []byte) ([]T, error)) {
	good, err := dataFS.ReadFile("data/" + file)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(""))
	f.Add([]byte("# only a comment\n"))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parse(file, data)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.File != file {
				t.Fatalf("error %v is not a *geo.Error of %s", err, file)
			}
			if rows != nil {
				t.Fatalf("rows and an error")
			}
			return
		}
		if len(rows) == 0 && file != HouseholdSizesFile && file != DistrictsFile {
			t.Fatalf("no rows and no error")
		}
	})
}

func FuzzParseProvinces(f *testing.F)      { fuzzParser(f, ProvincesFile, ParseProvinces) }
func FuzzParseDistricts(f *testing.F)      { fuzzParser(f, DistrictsFile, ParseDistricts) }
func FuzzParseAgeBands(f *testing.F)       { fuzzParser(f, AgeBandsFile, ParseAgeBands) }
func FuzzParseHouseholdSizes(f *testing.F) { fuzzParser(f, HouseholdSizesFile, ParseHouseholdSizes) }
