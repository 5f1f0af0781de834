package sim

import (
	"testing"

	"github.com/bluesim/bluesim/scenarios"
)

// TestIndexCasesAddUp: the index cases' own verdicts add up to the arm's
// totals, their breakdown cells to the breakdown table and their
// detection bands to the detection table, in every arm; with the
// epidemic layer too.
func TestIndexCasesAddUp(t *testing.T) {
	plain := small(800, 4)
	epi := small(600, 5)
	epi.Epidemic.Enabled = true
	epi.Epidemic.InitialInfections = 10
	for name, sc := range map[string]scenarios.Scenario{"diagnosis draws": plain, "epidemic": epi} {
		t.Run(name, func(t *testing.T) {
			r, _ := run(t, sc, WithWorkers(2))
			if len(r.IndexCases) == 0 {
				t.Fatal("no index cases recorded")
			}
			for ai, a := range r.Arms {
				cs := r.ArmIndexCases(ai)
				var sum IndexCase
				uploads := int64(0)
				for _, c := range cs {
					if int(c.Arm) != ai {
						t.Fatalf("arm %d holds a case of arm %d", ai, c.Arm)
					}
					sum.CloseContacts += c.CloseContacts
					sum.AppCloseContacts += c.AppCloseContacts
					sum.TP += c.TP
					sum.FP += c.FP
					sum.FN += c.FN
					sum.TN += c.TN
					sum.AppTP += c.AppTP
					sum.AppFN += c.AppFN
					sum.Notifications += c.Notifications
					if c.Uploaded {
						uploads++
					}
				}
				if int64(len(cs)) != a.IndexCases || uploads != a.Uploads {
					t.Errorf("%s: %d index cases (%d uploaded), arm says %d (%d)", a.Name, len(cs), uploads, a.IndexCases, a.Uploads)
				}
				if int64(sum.CloseContacts) != a.CloseContacts || int64(sum.AppCloseContacts) != a.AppCloseContacts ||
					int64(sum.TP) != a.TP || int64(sum.FP) != a.FP || int64(sum.FN) != a.FN || int64(sum.TN) != a.TN ||
					int64(sum.Notifications) != a.Notifications {
					t.Errorf("%s: index cases add up to %+v, arm %+v", a.Name, sum, a)
				}
				if got := float64(sum.AppTP) / float64(sum.AppTP+sum.AppFN); sum.AppTP+sum.AppFN > 0 && got != a.Capture {
					t.Errorf("%s: index cases' capture %v, arm's %v", a.Name, got, a.Capture)
				}
				for _, sh := range []Share{ShareCoverage, ShareCapture, SharePrecision, ShareFalsePositiveRate} {
					var n, d int64
					for i := range cs {
						x, y := cs[i].Share(sh)
						n += x
						d += y
					}
					if n > d || (sh == ShareCoverage && d != a.CloseContacts) {
						t.Errorf("%s share %d: %d of %d", a.Name, sh, n, d)
					}
				}
			}
			bands := make([]BandRow, len(r.Bands))
			for _, cb := range r.IndexCaseBands {
				b := &bands[cb.Row]
				b.TP += int64(cb.TP)
				b.FP += int64(cb.FP)
				b.FN += int64(cb.FN)
				b.TN += int64(cb.TN)
				b.AppTP += int64(cb.AppTP)
				b.AppFN += int64(cb.AppFN)
				if r.Bands[cb.Row].Arm != r.Arms[r.IndexCases[cb.Case].Arm].Name {
					t.Fatalf("cell %d of arm %s holds a case of arm %d", cb.Row, r.Bands[cb.Row].Arm, r.IndexCases[cb.Case].Arm)
				}
			}
			for i, b := range r.Bands {
				g := bands[i]
				if g.Counts != b.Counts || g.AppTP != b.AppTP || g.AppFN != b.AppFN {
					t.Errorf("cell %s %s %s: index cases add up to %+v, table %+v", b.Arm, b.Dimension, b.Band, g, b)
				}
			}
			det := make([]DetectionRow, len(r.Detection))
			for _, cd := range r.IndexCaseDetection {
				det[cd.Row].Pairs += int64(cd.Pairs)
				det[cd.Row].Detected += int64(cd.Detected)
				if r.Detection[cd.Row].Arm != r.Arms[r.IndexCases[cd.Case].Arm].Name {
					t.Fatalf("detection row %d holds a case of another arm", cd.Row)
				}
			}
			for i, d := range r.Detection {
				if det[i].Pairs != d.Pairs || det[i].Detected != d.Detected {
					t.Errorf("detection %s %s: index cases add up to %d/%d, table %d/%d", d.Arm, d.Band,
						det[i].Detected, det[i].Pairs, d.Detected, d.Pairs)
				}
			}
		})
	}
}

// TestIndexCasesSamePeopleAcrossAdoptions: with index cases drawn from
// everyone, a seed diagnoses the same people whatever the adoption, which
// is what lets the target search resample the same index cases at every
// probed adoption.
func TestIndexCasesSamePeopleAcrossAdoptions(t *testing.T) {
	sc := small(600, 4)
	sc.Arms = sc.Arms[:1]
	people := func(a float64) []int32 {
		s := sc
		s.Arms = []scenarios.Arm{sc.Arms[0]}
		s.Arms[0].Adoption = a
		r, _ := run(t, s)
		var ps []int32
		for _, c := range r.IndexCases {
			ps = append(ps, c.Person)
		}
		return ps
	}
	a, b := people(0.2), people(0.5)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d index cases", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("index case %d is person %d at 20 %% and %d at 50 %%", i, a[i], b[i])
		}
	}
}
