package sim

import (
	"github.com/bluesim/bluesim/agents"
)

// indexCases says, day by day, who is diagnosed, who uploads keys and
// whose sightings can matter. Two implementations: diagnoses fixed ahead
// by diagnosis.daily_fraction (fixedDiagnoses), and the epidemic layer's
// positives (epi), which only the day itself decides.
type indexCases interface {
	// beginDay prepares day d before its layout.
	beginDay(d int) error
	// track sets tracked[p] for every person whose pairs' ground truth is
	// kept today: an index case in some arm within the infectious window.
	track(tracked []bool, d int)
	// advertisers returns, per person, whether the radio is sampled with
	// the person advertising to group gi's phones today: only sightings of
	// people who upload while a phone still holds them can ever match a
	// published key.
	advertisers(gi int) []bool
	// uploadDays returns, per person, the day the person uploads to group
	// gi's arms (-1 none) for every advertiser of advertisers(gi), or nil
	// when upload days are not known ahead.
	uploadDays(gi int) []int16
	// contacts returns worker w's consumer of the day's contacts (nil for
	// none); calib says the day is one of the epidemic's calibration week.
	contacts(w int, calib bool) contactFunc
	// afterSites closes the day's contacts (the epidemic draws the day's
	// infections).
	afterSites(d int) error
	// diagnose fixes day d's index cases and uploads in every arm.
	diagnose(d int) error
	// uploaders appends the persons (ascending) who upload keys to any of
	// group g's arms on day d.
	uploaders(dst []int32, g *group, d int) []int32
	// armUploads reports whether person p's upload of day d counts for
	// arm ai.
	armUploads(ai int, p int32, d int) bool
	// excluded reports whether arm ai's quarantines kept a and b apart on
	// day d, so that its phones did not record them.
	excluded(ai int, a, b int32, d int) bool
	// index appends arm ai's index cases of day d (ascending).
	index(dst []int32, ai, d int) []int32
	// endDay applies the day's notifications (notified[ai] per arm).
	endDay(d int, notified [][]Notification) error
	// finish adds the index cases' own outcomes to the result.
	finish(r *Result) error
}

// fixedDiagnoses are index cases drawn ahead: each person's diagnosis day
// is the first day from diagnosis.first_day whose (seed, diagnosis,
// person, day) draw falls below the daily fraction; a person is diagnosed
// at most once. The draws do not depend on any arm, so every arm sees the
// same index cases.
type fixedDiagnoses struct {
	e     *engine
	byDay [][]int32 // day -> persons diagnosed that day at the highest adoption, ascending
	// adv[gi] marks today's advertisers of group gi (advList[gi]) and
	// upDay[gi] the day each of them uploads.
	adv     [][]bool
	upDay   [][]int16
	advList [][]int32
	ups     []int32
}

func newFixedDiagnoses(e *engine) *fixedDiagnoses {
	f := &fixedDiagnoses{e: e, byDay: make([][]int32, e.sc.Days)}
	sc := &e.sc
	if e.pop.IndexDay != nil {
		// An experiment fixes its index cases: every handset on its
		// session's day.
		for i, d := range e.pop.IndexDay {
			if d >= 0 && int(d) < sc.Days && (!e.appOnly || e.pop.InstalledByArea(i, e.maxAdopt, e.maxByArea, 1)) {
				f.byDay[d] = append(f.byDay[d], int32(i))
			}
		}
		return f
	}
	for i := range e.pop.People {
		for d := sc.Diagnosis.FirstDay; d < sc.Days; d++ {
			if agents.Uniform(sc.Seed, agents.SubDiagnosis, uint64(i), uint64(d)) < sc.Diagnosis.DailyFraction {
				if !e.appOnly || e.pop.InstalledByArea(i, e.maxAdopt, e.maxByArea, 1) {
					f.byDay[d] = append(f.byDay[d], int32(i))
				}
				break
			}
		}
	}
	return f
}

// diagnosed returns the persons diagnosed on day d in some arm.
func (f *fixedDiagnoses) diagnosed(d int) []int32 {
	if d < 0 || d >= len(f.byDay) {
		return nil
	}
	return f.byDay[d]
}

// beginDay marks group by group the people who upload on a day in
// [d, d+keep]: the diagnosed who have one of the group's apps on their
// diagnosis day and agree to upload (both known ahead).
func (f *fixedDiagnoses) beginDay(d int) error {
	e := f.e
	if f.adv == nil {
		f.adv, f.advList = make([][]bool, len(e.groups)), make([][]int32, len(e.groups))
		f.upDay = make([][]int16, len(e.groups))
		for gi := range e.groups {
			f.adv[gi] = make([]bool, len(e.pop.People))
			f.upDay[gi] = make([]int16, len(e.pop.People))
			for p := range f.upDay[gi] {
				f.upDay[gi][p] = -1
			}
		}
	}
	for gi, g := range e.groups {
		for _, p := range f.advList[gi] {
			f.adv[gi][p] = false
			f.upDay[gi][p] = -1
		}
		f.advList[gi] = f.advList[gi][:0]
		for dd := d; dd <= d+e.keep; dd++ {
			f.ups = f.uploaders(f.ups[:0], g, dd)
			for _, p := range f.ups {
				f.adv[gi][p] = true
				f.upDay[gi][p] = int16(dd)
				f.advList[gi] = append(f.advList[gi], p)
			}
		}
	}
	return nil
}

func (f *fixedDiagnoses) track(tracked []bool, d int) {
	clear(tracked)
	for dd := d; dd <= d+f.e.k; dd++ {
		for _, p := range f.diagnosed(dd) {
			tracked[p] = true
		}
	}
}

func (f *fixedDiagnoses) advertisers(gi int) []bool { return f.adv[gi] }

func (f *fixedDiagnoses) uploadDays(gi int) []int16 { return f.upDay[gi] }

func (f *fixedDiagnoses) contacts(int, bool) contactFunc { return nil }

func (f *fixedDiagnoses) afterSites(int) error { return nil }

func (f *fixedDiagnoses) diagnose(int) error { return nil }

func (f *fixedDiagnoses) uploaders(dst []int32, g *group, d int) []int32 {
	e := f.e
	sc := &e.sc
	for _, pi := range f.diagnosed(d) {
		if g.phone[pi] < 0 {
			continue
		}
		any := false
		for _, ai := range g.arms {
			any = any || e.installedArm(ai, int(pi), d)
		}
		if any && agents.Uniform(sc.Seed, agents.SubUpload, uint64(pi), uint64(d)) < sc.Diagnosis.Compliance {
			dst = append(dst, pi)
		}
	}
	return dst
}

// armUploads: the arm's app was installed on the upload's day.
func (f *fixedDiagnoses) armUploads(ai int, p int32, d int) bool {
	return f.e.installedArm(ai, int(p), d)
}

func (f *fixedDiagnoses) excluded(int, int32, int32, int) bool { return false }

func (f *fixedDiagnoses) index(dst []int32, ai, d int) []int32 {
	e := f.e
	for _, p := range f.diagnosed(d) {
		if !e.appOnly || e.installedArm(ai, int(p), d) {
			dst = append(dst, p)
		}
	}
	return dst
}

func (f *fixedDiagnoses) endDay(int, [][]Notification) error { return nil }

func (f *fixedDiagnoses) finish(*Result) error { return nil }
