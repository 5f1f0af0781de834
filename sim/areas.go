package sim

import (
	"math"
	"slices"
)

// AreaRow is one arm's verdicts among the people of one census area (a
// district of Nam Định, or a province: scenario key population.area). A
// verdict counts in the area where the person it concerns lives: a close
// contact (notified or not) or a notification in the contact's or
// notified person's area, an index case in the index case's. Rows exist
// only for census populations.
type AreaRow struct {
	Arm string `json:"arm"`
	// Area is the area's slug, Name its census name, Province its
	// province's slug and Level "district" or "province".
	Area     string `json:"area"`
	Name     string `json:"name"`
	Province string `json:"province"`
	Level    string `json:"level"`
	// TileRow and TileCol place the area on its province's tile map
	// (vietnam.md §2.3), -1 when it has none.
	TileRow int `json:"tile_row"`
	TileCol int `json:"tile_col"`
	// Census is the area's 2019 census population (vietnam.md §1.1,
	// §2.1).
	Census int64 `json:"census"`
	// People simulated in the area; Adoption the arm's adoption there
	// (adoption_by_area, or the arm's adoption) at its end; Installed the
	// people with the app on the last day.
	People    int64   `json:"people"`
	Adoption  float64 `json:"adoption"`
	Installed int64   `json:"installed"`
	// IndexCases diagnosed among the area's people.
	IndexCases int64 `json:"index_cases"`
	// CloseContacts and AppCloseContacts (both had the app) of index
	// cases, who live in the area.
	CloseContacts    int64 `json:"close_contacts"`
	AppCloseContacts int64 `json:"app_close_contacts"`
	Counts
	// AppTP are true positives where both had the app.
	AppTP int64 `json:"app_tp"`
	// Notifications of people living in the area.
	Notifications int64 `json:"notifications"`
}

// setupAreas resolves each arm's adoption_by_area against the
// population's areas (slugs of areas a province-by-province run does not
// hold are skipped: they belong to another run), and the largest
// adoption per area over the arms of each group and of the run, which
// decide who gets a phone at all and who can be an index case.
func (e *engine) setupAreas() {
	pop := e.pop
	if pop.Areas == nil {
		return
	}
	na := len(pop.Areas)
	e.areaRows = make([][]AreaRow, len(e.sc.Arms))
	any := false
	e.byArea = make([][]float64, len(e.sc.Arms))
	for ai, a := range e.sc.Arms {
		rows := make([]AreaRow, na)
		for k := range pop.Areas {
			ar := &pop.Areas[k]
			row := AreaRow{Arm: a.Name, Area: ar.Slug, Name: ar.Name, Province: ar.Province, Level: ar.Level,
				TileRow: -1, TileCol: -1, Census: int64(ar.Census), People: int64(ar.People), Adoption: a.Adoption}
			if ar.Tile {
				row.TileRow, row.TileCol = ar.TileRow, ar.TileCol
			}
			rows[k] = row
		}
		e.areaRows[ai] = rows
		if len(a.AdoptionByArea) == 0 {
			continue
		}
		v := make([]float64, na)
		for k := range v {
			v[k] = math.NaN()
			if x, ok := a.AdoptionByArea[pop.Areas[k].Slug]; ok {
				v[k] = x
				rows[k].Adoption = x
			}
		}
		e.byArea[ai] = v
		any = true
	}
	if !any {
		return
	}
	maxOf := func(arms []int) []float64 {
		m := make([]float64, na)
		for _, ai := range arms {
			for k := range m {
				x := e.sc.Arms[ai].Adoption
				if v := e.byArea[ai]; v != nil && !math.IsNaN(v[k]) {
					x = v[k]
				}
				m[k] = math.Max(m[k], x)
			}
		}
		return m
	}
	all := make([]int, len(e.sc.Arms))
	for i := range all {
		all[i] = i
	}
	e.maxByArea = maxOf(all)
	for _, g := range e.groups {
		g.maxByArea = maxOf(g.arms)
	}
}

// countArea adds one verdict (0 TP, 1 FP, 2 FN, 3 TN, as score's bump) of
// arm ai about person p to p's area, and to the current index case of
// the arm's cases cb. Arms are scored in parallel: it writes arm ai's rows
// only.
func (e *engine) countArea(cb *caseBuild, ai int, p int32, verdict int, app bool) {
	if e.areaRows == nil {
		return
	}
	k := e.pop.AreaOf(int(p))
	cb.area(int32(k), verdict, app)
	r := &e.areaRows[ai][k]
	switch verdict {
	case 0:
		r.TP++
		r.CloseContacts++
		r.Notifications++
		if app {
			r.AppCloseContacts++
			r.AppTP++
		}
	case 1:
		r.FP++
		r.Notifications++
	case 2:
		r.FN++
		r.CloseContacts++
		if app {
			r.AppCloseContacts++
		}
	case 3:
		r.TN++
	}
}

// countIndex adds an index case of arm ai to its area.
func (e *engine) countIndex(ai int, p int32) {
	if e.areaRows != nil {
		e.areaRows[ai][e.pop.AreaOf(int(p))].IndexCases++
	}
}

// finishAreas counts who has each arm's app on the last day and returns
// the rows, arm by arm, areas in census order.
func (e *engine) finishAreas() []AreaRow {
	if e.areaRows == nil {
		return nil
	}
	var out []AreaRow
	last := e.sc.Days - 1
	for ai, rows := range e.areaRows {
		for i := range e.pop.People {
			if e.installedArm(ai, i, last) {
				rows[e.pop.AreaOf(i)].Installed++
			}
		}
		out = append(out, rows...)
	}
	return slices.Clip(out)
}
