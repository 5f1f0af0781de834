package sim

import (
	"cmp"
	"slices"
)

// IndexCase is one index case's verdicts in one arm over its infectious
// window: the unit the run's intervals resample. The contacts of one index
// case share its app, its phone and how it is carried, its household and
// its venues, so they are not independent trials; index cases (drawn
// independently, person by person) are.
type IndexCase struct {
	// Arm is the arm's index in Result.Arms.
	Arm int32 `json:"arm"`
	// Person is the index case's agent number. A seed builds the same
	// population at every adoption, so the same Person is the same person
	// in every run of a seed (common random numbers at the index-case
	// level).
	Person int32 `json:"person"`
	// Day is the day of diagnosis.
	Day int16 `json:"day"`
	// App says the index case had the arm's app that day; Uploaded that
	// the arm saw its upload.
	App      bool `json:"app"`
	Uploaded bool `json:"uploaded"`
	// CloseContacts and AppCloseContacts are its close contacts, and those
	// where both had the app.
	CloseContacts    int32 `json:"close_contacts"`
	AppCloseContacts int32 `json:"app_close_contacts"`
	// TP, FP, FN and TN are its verdicts (as in Counts); AppTP and AppFN
	// those among contacts where both had the app.
	TP    int32 `json:"tp"`
	FP    int32 `json:"fp"`
	FN    int32 `json:"fn"`
	TN    int32 `json:"tn"`
	AppTP int32 `json:"app_tp"`
	AppFN int32 `json:"app_fn"`
	// Notifications are the people notified for it.
	Notifications int32 `json:"notifications"`
}

// IndexCaseBand is one index case's verdicts in one cell of the breakdown
// (Result.Bands); cells it has no contact in are left out.
type IndexCaseBand struct {
	// Case is the index case's position in Result.IndexCases and Row the
	// cell's position in Result.Bands.
	Case  int32 `json:"case"`
	Row   int32 `json:"row"`
	TP    int32 `json:"tp"`
	FP    int32 `json:"fp"`
	FN    int32 `json:"fn"`
	TN    int32 `json:"tn"`
	AppTP int32 `json:"app_tp"`
	AppFN int32 `json:"app_fn"`
}

// IndexCaseDetection is one index case's app-to-app pairs in one distance
// band of Result.Detection; bands without such a pair are left out.
type IndexCaseDetection struct {
	// Case is the index case's position in Result.IndexCases and Row the
	// band's position in Result.Detection.
	Case     int32 `json:"case"`
	Row      int32 `json:"row"`
	Pairs    int32 `json:"pairs"`
	Detected int32 `json:"detected"`
}

// IndexCaseArea is one index case's verdicts among the people of one
// census area (Result.Areas): its contacts, and the people notified for
// it, who live there. Areas it has no contact or notification in are
// left out.
type IndexCaseArea struct {
	// Case is the index case's position in Result.IndexCases and Row the
	// area's position in Result.Areas (the index case's arm's row).
	Case  int32 `json:"case"`
	Row   int32 `json:"row"`
	TP    int32 `json:"tp"`
	FP    int32 `json:"fp"`
	FN    int32 `json:"fn"`
	TN    int32 `json:"tn"`
	AppTP int32 `json:"app_tp"`
	AppFN int32 `json:"app_fn"`
}

// Share returns the index case's numerator and denominator of s among
// the area's people.
func (c *IndexCaseArea) Share(s Share) (num, den int64) {
	tp, fp, fn, tn := int64(c.TP), int64(c.FP), int64(c.FN), int64(c.TN)
	switch s {
	case ShareCoverage:
		return tp, tp + fn
	case ShareCapture:
		return int64(c.AppTP), int64(c.AppTP) + int64(c.AppFN)
	case SharePrecision:
		return tp, tp + fp
	case ShareFalsePositiveRate:
		return fp, fp + tn
	}
	return 0, 0
}

// caseBuild collects the index cases while the days are scored; finish
// turns it into the result's tables. Band cells are referred to by their
// row pointer until finish knows their order.
type caseBuild struct {
	cases []IndexCase
	bands []pendingBand
	det   []IndexCaseDetection // Row: the distance band; the arm's offset is added at finish
	areas []IndexCaseArea      // Row: the area; the arm's offset is added at finish

	// Scratch for the index case being scored: its detection bands, and
	// per census area the index case (plus one) that last counted there
	// and the position of its cell in areas.
	curDet   []IndexCaseDetection
	areaCase []int32
	areaPos  []int32
}

// bandCell is one cell of an arm's breakdown (Result.Bands) while the days
// are scored: its row, and the position in caseBuild.bands of the cell of
// the last index case counted in it.
type bandCell struct {
	row *BandRow
	// cas is the number of index cases when the last one counted here
	// (its position plus one; 0: none yet), pos the position of its cell.
	cas, pos int32
}

type pendingBand struct {
	row *BandRow
	IndexCaseBand
}

// begin starts a new index case.
func (b *caseBuild) begin(c IndexCase, detBands int) {
	b.cases = append(b.cases, c)
	if cap(b.curDet) < detBands {
		b.curDet = make([]IndexCaseDetection, detBands)
	}
	b.curDet = b.curDet[:detBands]
	clear(b.curDet)
}

// last is the index case being scored.
func (b *caseBuild) last() *IndexCase { return &b.cases[len(b.cases)-1] }

// bump counts a verdict (0 TP, 1 FP, 2 FN, 3 TN) of the current index case
// in cell bc (of this caseBuild's arm).
func (b *caseBuild) bump(bc *bandCell, verdict int, app bool) {
	if n := int32(len(b.cases)); bc.cas != n {
		bc.cas, bc.pos = n, int32(len(b.bands))
		b.bands = append(b.bands, pendingBand{row: bc.row, IndexCaseBand: IndexCaseBand{Case: n - 1}})
	}
	b.bands[bc.pos].IndexCaseBand.count(verdict, app)
}

// count adds a verdict (0 TP, 1 FP, 2 FN, 3 TN) about a contact, app
// says whether both had the app, to c's counts. An IndexCaseArea has the
// same fields and counts through it.
func (c *IndexCaseBand) count(verdict int, app bool) {
	switch verdict {
	case 0:
		c.TP++
		if app {
			c.AppTP++
		}
	case 1:
		c.FP++
	case 2:
		c.FN++
		if app {
			c.AppFN++
		}
	case 3:
		c.TN++
	}
}

// area counts a verdict (as bump) of the current index case about a
// person living in census area k.
func (b *caseBuild) area(k int32, verdict int, app bool) {
	for int(k) >= len(b.areaCase) {
		b.areaCase, b.areaPos = append(b.areaCase, 0), append(b.areaPos, 0)
	}
	if n := int32(len(b.cases)); b.areaCase[k] != n {
		b.areaCase[k], b.areaPos[k] = n, int32(len(b.areas))
		b.areas = append(b.areas, IndexCaseArea{Case: n - 1, Row: k})
	}
	(*IndexCaseBand)(&b.areas[b.areaPos[k]]).count(verdict, app)
}

// detect counts an app-to-app pair of the current index case in distance
// band db.
func (b *caseBuild) detect(db int, detected bool) {
	b.curDet[db].Pairs++
	if detected {
		b.curDet[db].Detected++
	}
}

// end closes the current index case.
func (b *caseBuild) end() {
	ci := int32(len(b.cases) - 1)
	for db, d := range b.curDet {
		if d.Pairs > 0 {
			b.det = append(b.det, IndexCaseDetection{Case: ci, Row: int32(db), Pairs: d.Pairs, Detected: d.Detected})
		}
	}
}

// finishCases puts the index cases into r, in (arm, day, person) order,
// with the cells and detection bands as positions in r.Bands and
// r.Detection (which must be final) and the census areas as positions in
// r.Areas. rowOf maps a band row to its position; detRows is the number
// of detection rows per arm and areaRows the number of areas per arm (0
// for a town).
func (b *caseBuild) finishCases(r *Result, rowOf map[*BandRow]int32, detRows, areaRows int) {
	order := make([]int, len(b.cases))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		p, q := &b.cases[x], &b.cases[y]
		return cmp.Or(cmp.Compare(p.Arm, q.Arm), cmp.Compare(p.Day, q.Day), cmp.Compare(p.Person, q.Person))
	})
	newPos := make([]int32, len(b.cases))
	r.IndexCases = make([]IndexCase, len(b.cases))
	for to, from := range order {
		r.IndexCases[to] = b.cases[from]
		newPos[from] = int32(to)
	}
	r.IndexCaseBands = make([]IndexCaseBand, len(b.bands))
	for i, p := range b.bands {
		c := p.IndexCaseBand
		c.Case = newPos[c.Case]
		c.Row = rowOf[p.row]
		r.IndexCaseBands[i] = c
	}
	slices.SortFunc(r.IndexCaseBands, func(x, y IndexCaseBand) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
	r.IndexCaseDetection = make([]IndexCaseDetection, len(b.det))
	for i, d := range b.det {
		d.Case = newPos[d.Case]
		d.Row += int32(int(r.IndexCases[d.Case].Arm) * detRows)
		r.IndexCaseDetection[i] = d
	}
	slices.SortFunc(r.IndexCaseDetection, func(x, y IndexCaseDetection) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
	if areaRows == 0 {
		return
	}
	r.IndexCaseAreas = make([]IndexCaseArea, len(b.areas))
	for i, a := range b.areas {
		a.Case = newPos[a.Case]
		a.Row += int32(int(r.IndexCases[a.Case].Arm) * areaRows)
		r.IndexCaseAreas[i] = a
	}
	slices.SortFunc(r.IndexCaseAreas, func(x, y IndexCaseArea) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
}

// Share names a ratio of an arm's verdict counts that its index cases add
// up to; IndexCase.Share gives one index case's part of it.
type Share int

// The shares of ArmSummary that have intervals.
const (
	// ShareCoverage is TP / (TP + FN): notified close contacts among all.
	ShareCoverage Share = iota
	// ShareCapture is AppTP / (AppTP + AppFN): among close contacts where
	// both had the app.
	ShareCapture
	// SharePrecision is TP / (TP + FP): right notifications among all.
	SharePrecision
	// ShareFalsePositiveRate is FP / (FP + TN).
	ShareFalsePositiveRate
)

// Share returns the index case's numerator and denominator of s.
func (c *IndexCase) Share(s Share) (num, den int64) {
	tp, fp, fn, tn := int64(c.TP), int64(c.FP), int64(c.FN), int64(c.TN)
	switch s {
	case ShareCoverage:
		return tp, tp + fn
	case ShareCapture:
		return int64(c.AppTP), int64(c.AppTP) + int64(c.AppFN)
	case SharePrecision:
		return tp, tp + fp
	case ShareFalsePositiveRate:
		return fp, fp + tn
	}
	return 0, 0
}

// ArmIndexCases returns the index cases of arm ai (a position in
// r.Arms): a sub-slice of r.IndexCases, which is in arm order.
func (r *Result) ArmIndexCases(ai int) []IndexCase {
	lo, _ := slices.BinarySearchFunc(r.IndexCases, int32(ai), func(c IndexCase, a int32) int { return cmp.Compare(c.Arm, a) })
	hi, _ := slices.BinarySearchFunc(r.IndexCases, int32(ai)+1, func(c IndexCase, a int32) int { return cmp.Compare(c.Arm, a) })
	return r.IndexCases[lo:hi]
}
