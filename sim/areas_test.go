package sim

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// namDinh is Nam Định at a small scale over a few days: the census
// population of every district, two Bluezone arms (the second with its
// own adoption in Nam Định city) and a GAEN arm.
func namDinh(t *testing.T, scale float64, days int) scenarios.Scenario {
	t.Helper()
	l, err := scenarios.LoadBuiltin("nam-dinh",
		"population.scale="+trimFloat(scale), "days="+trimFloat(float64(days)),
		"diagnosis.daily_fraction=0.02", "diagnosis.first_day=1", "metrics.attenuation_samples=100",
		"arms=[{protocol: bluezone, adoption: 0.3}, {name: bz-city, protocol: bluezone, adoption: 0.3, adoption_by_area: {nam-dinh-city: 0.6}}, {protocol: gaen, adoption: 0.3}]")
	if err != nil {
		t.Fatal(err)
	}
	return l.Scenario
}

func trimFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// TestAreaRows checks the by-area rows of a census run: one per arm and
// district, summing to the arm's totals; an adoption set for one district
// reaches that share of its people and changes no other district's
// installs; and the rows, like everything, do not depend on the worker
// count.
func TestAreaRows(t *testing.T) {
	sc := namDinh(t, 0.003, 4)
	r1, _ := run(t, sc, WithWorkers(1))
	r2, _ := run(t, sc, WithWorkers(2))
	if r1.Hash != r2.Hash {
		t.Fatalf("hash differs across worker counts")
	}
	if len(r1.Areas) != 10*len(sc.Arms) {
		t.Fatalf("%d area rows, want %d", len(r1.Areas), 10*len(sc.Arms))
	}
	for ai, a := range r1.Arms {
		var sum AreaRow
		var people int64
		for _, row := range r1.Areas[ai*10 : ai*10+10] {
			if row.Arm != a.Name {
				t.Fatalf("row of arm %s among arm %s's", row.Arm, a.Name)
			}
			sum.TP += row.TP
			sum.FP += row.FP
			sum.FN += row.FN
			sum.TN += row.TN
			sum.CloseContacts += row.CloseContacts
			sum.AppCloseContacts += row.AppCloseContacts
			sum.Notifications += row.Notifications
			sum.IndexCases += row.IndexCases
			people += row.People
			if row.CloseContacts != row.TP+row.FN || row.Notifications != row.TP+row.FP {
				t.Errorf("%s %s: inconsistent row %+v", a.Name, row.Area, row)
			}
		}
		if sum.Counts != a.Counts || sum.CloseContacts != a.CloseContacts || sum.Notifications != a.Notifications ||
			sum.IndexCases != a.IndexCases || sum.AppCloseContacts != a.AppCloseContacts {
			t.Errorf("%s: areas sum to %+v, the arm has %+v", a.Name, sum, a)
		}
		if people != int64(r1.Agents) {
			t.Errorf("%s: areas hold %d people, the run %d", a.Name, people, r1.Agents)
		}
		if a.TP == 0 {
			t.Errorf("%s: no true positives", a.Name)
		}
	}
	checkAreaCases(t, r1)
	// bz-city: Nam Định city at 0.6, the rest as bluezone-30.
	for k := range 10 {
		plain, city := r1.Areas[k], r1.Areas[10+k]
		share := float64(city.Installed) / float64(city.People)
		if k == 0 {
			if city.Area != "nam-dinh-city" || city.Adoption != 0.6 || math.Abs(share-0.6) > 4*math.Sqrt(0.24/float64(city.People)) {
				t.Errorf("nam-dinh-city: adoption %v, %.3f installed", city.Adoption, share)
			}
			if city.Installed <= plain.Installed {
				t.Errorf("nam-dinh-city: %d installs at 0.6, %d at 0.3", city.Installed, plain.Installed)
			}
			continue
		}
		if city.Installed != plain.Installed || city.Adoption != 0.3 {
			t.Errorf("%s: %d installs with the city's own adoption, %d without", city.Area, city.Installed, plain.Installed)
		}
	}
}

// checkAreaCases checks that the index cases' parts of the areas add up
// to the area rows, verdict by verdict, each part an index case of the
// row's arm, in (case, row) order.
func checkAreaCases(t *testing.T, r *Result) {
	t.Helper()
	if len(r.IndexCaseAreas) == 0 {
		t.Fatal("no index case has a part in any area")
	}
	sums := make([]IndexCaseArea, len(r.Areas))
	for i, c := range r.IndexCaseAreas {
		if i > 0 {
			p := r.IndexCaseAreas[i-1]
			if p.Case > c.Case || (p.Case == c.Case && p.Row >= c.Row) {
				t.Fatalf("index case areas out of order at %d: %+v after %+v", i, c, p)
			}
		}
		if r.Arms[r.IndexCases[c.Case].Arm].Name != r.Areas[c.Row].Arm {
			t.Fatalf("%+v: index case of arm %d in a row of arm %s", c, r.IndexCases[c.Case].Arm, r.Areas[c.Row].Arm)
		}
		s := &sums[c.Row]
		s.TP += c.TP
		s.FP += c.FP
		s.FN += c.FN
		s.TN += c.TN
		s.AppTP += c.AppTP
		s.AppFN += c.AppFN
	}
	for i, a := range r.Areas {
		s := sums[i]
		if int64(s.TP) != a.TP || int64(s.FP) != a.FP || int64(s.FN) != a.FN || int64(s.TN) != a.TN ||
			int64(s.AppTP) != a.AppTP || int64(s.AppTP+s.AppFN) != a.AppCloseContacts {
			t.Errorf("%s %s: index cases' parts sum to %+v, the row has %+v", a.Arm, a.Area, s, a)
		}
	}
}

// TestSeparateAreaRefused: a multi-province area simulated province by
// province is not one run.
func TestSeparateAreaRefused(t *testing.T) {
	l, err := scenarios.LoadBuiltin("town", "population.area=nam-dinh,thai-binh", "population.scale=0.001")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), l.Scenario)
	if err == nil || !strings.Contains(err.Error(), "one province per run") {
		t.Fatalf("got %v", err)
	}
}

// TestCombine: one result combines to itself (same hash), and two add up
// arm by arm, keeping at most the asked attenuation samples; results with
// different arms do not combine.
func TestCombine(t *testing.T) {
	sc := namDinh(t, 0.002, 3)
	r, _ := run(t, sc, WithWorkers(2))
	one, err := Combine(r.Scenario, r.Seed, len(r.Attenuation), []*Result{r})
	if err != nil {
		t.Fatal(err)
	}
	if one.Hash != r.Hash {
		t.Fatalf("one part combines to hash %s, its own is %s", one.Hash, r.Hash)
	}
	sc.Seed = 2
	r2, _ := run(t, sc, WithWorkers(2))
	two, err := Combine("both", 9, 50, []*Result{r, r2})
	if err != nil {
		t.Fatal(err)
	}
	if two.Agents != r.Agents+r2.Agents || len(two.Attenuation) != 50 || len(two.Areas) != len(r.Areas)+len(r2.Areas) {
		t.Fatalf("agents %d, %d samples, %d area rows", two.Agents, len(two.Attenuation), len(two.Areas))
	}
	for ai, a := range two.Arms {
		if a.TP != r.Arms[ai].TP+r2.Arms[ai].TP || a.CloseContacts != r.Arms[ai].CloseContacts+r2.Arms[ai].CloseContacts {
			t.Errorf("arm %s does not add up", a.Name)
		}
		// The index cases of both parts, people of the second part
		// numbered after the first's.
		cases := two.ArmIndexCases(ai)
		if len(cases) != len(r.ArmIndexCases(ai))+len(r2.ArmIndexCases(ai)) {
			t.Errorf("arm %s: %d index cases, the parts have %d and %d", a.Name, len(cases), len(r.ArmIndexCases(ai)), len(r2.ArmIndexCases(ai)))
		}
		var tp int64
		seen := map[[2]int32]bool{}
		for _, c := range cases {
			tp += int64(c.TP)
			k := [2]int32{int32(c.Day), c.Person}
			if seen[k] {
				t.Errorf("arm %s: person %d twice on day %d", a.Name, c.Person, c.Day)
			}
			seen[k] = true
		}
		if tp != a.TP {
			t.Errorf("arm %s: index cases hold %d true positives, the arm %d", a.Name, tp, a.TP)
		}
	}
	checkAreaCases(t, two)
	var fp, fpParts int64
	for _, f := range two.FalsePositives {
		fp += f.FP
	}
	for _, f := range append(slices.Clone(r.FalsePositives), r2.FalsePositives...) {
		fpParts += f.FP
	}
	if fp != fpParts {
		t.Errorf("false positives: %d combined, %d in the parts", fp, fpParts)
	}
	// Rows point at the same cells: a band row's index cases add up.
	for i, b := range two.Bands {
		var n int64
		for _, c := range two.IndexCaseBands {
			if int(c.Row) == i {
				n += int64(c.TP + c.FN)
			}
		}
		if n != b.TP+b.FN {
			t.Errorf("band %s %s %s: index cases hold %d close contacts, the row %d", b.Arm, b.Dimension, b.Band, n, b.TP+b.FN)
		}
	}
	for i, d := range two.Detection {
		var n int64
		for _, c := range two.IndexCaseDetection {
			if int(c.Row) == i {
				n += int64(c.Pairs)
			}
		}
		if n != d.Pairs {
			t.Errorf("detection %s %s: index cases hold %d pairs, the row %d", d.Arm, d.Band, n, d.Pairs)
		}
	}
	r2.Arms = r2.Arms[:1]
	if _, err := Combine("x", 1, 10, []*Result{r, r2}); err == nil {
		t.Error("results with different arms combined")
	}
}
