// Package outputtest builds small synthetic simulation results for tests
// of the packages that write and draw them (output, plots, the CLI), so
// that those tests do not need to run the engine.
package outputtest // import "github.com/bluesim/bluesim/output/outputtest"

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/bluesim/bluesim/sim"
)

// Result returns a deterministic synthetic result with two protocols at
// two adoption levels each, daily rows, every breakdown dimension, a
// detection table, delays and attenuation samples drawn from a log-distance
// law. The numbers are plausible, not simulated.
func Result() *sim.Result {
	rng := rand.New(rand.NewPCG(1, 2))
	r := &sim.Result{Scenario: "synthetic", Seed: 7, Agents: 1000, Days: 4, Ownership: 0.8,
		Workers: 2, WallSeconds: 1.5, AgentDaysPerSecond: 2666.7, Hash: "synthetic"}
	type arm struct {
		name, proto string
		a, capture  float64
		fpPerTP     float64
	}
	arms := []arm{{"bluezone-20", "bluezone", 0.2, 0.75, 4}, {"bluezone-40", "bluezone", 0.4, 0.7, 5},
		{"gaen-20", "gaen", 0.2, 0.55, 1.5}, {"gaen-40", "gaen", 0.4, 0.5, 2}}
	for _, a := range arms {
		cc := int64(500 + 500*a.a)
		app := int64(math.Round(float64(cc) * a.a * a.a * 1.1))
		tp := int64(math.Round(float64(app) * a.capture))
		fp := int64(math.Round(float64(tp) * a.fpPerTP))
		c := sim.Counts{TP: tp, FP: fp, FN: cc - tp, TN: 4000}
		s := sim.ArmSummary{Name: a.name, Protocol: a.proto, Adoption: a.a, IndexCases: int64(40 * a.a * 10),
			Uploads: int64(32 * a.a * 10), CloseContacts: cc, AppCloseContacts: app, Counts: c,
			Notifications: tp + fp, Precision: c.Precision(), Recall: c.Recall(), Capture: a.capture,
			Coverage: c.Recall(), FalsePositiveRate: c.FPR(), MatchedSightings: 100 * tp, Sightings: 1000 * tp}
		r.Arms = append(r.Arms, s)
		for d := range r.Days {
			dc := sim.Counts{TP: tp / 4, FP: fp / 4, FN: (cc - tp) / 4, TN: 1000}
			if d == 0 {
				dc = sim.Counts{}
			}
			r.Daily = append(r.Daily, sim.DayRow{Arm: a.name, Day: d, Date: fmt.Sprintf("2020-08-%02d", 3+d),
				Adoption: a.a, IndexCases: int64(d * 3), Uploads: int64(d * 2), CloseContacts: dc.TP + dc.FN,
				Counts: dc, Notifications: dc.TP + dc.FP, Sightings: int64(1000 * (d + 1))})
		}
		dims := []struct {
			dim   string
			bands []string
		}{
			{"distance", []string{"<1m", "1-2m", "2-3m", ">=3m"}},
			{"duration", []string{"<15min", "15-30min", ">=30min"}},
			{"venue", []string{"home", "school", "work", "market"}},
			{"environment", []string{"indoor", "outdoor", "vehicle"}},
			{"os_pair", []string{"android-android", "android-ios", "ios-android", "ios-ios", "no-app"}},
		}
		for _, dm := range dims {
			left := sim.Counts{TP: tp, FP: fp, FN: cc - tp, TN: 4000}
			appLeft := [2]int64{tp, app - tp}
			for i, b := range dm.bands {
				part := func(x int64) int64 {
					if i == len(dm.bands)-1 {
						return x
					}
					return x / int64(len(dm.bands)-i)
				}
				row := sim.BandRow{Arm: a.name, Dimension: dm.dim, Band: b,
					Counts: sim.Counts{TP: part(left.TP), FP: part(left.FP), FN: part(left.FN), TN: part(left.TN)},
					AppTP:  part(appLeft[0]), AppFN: part(appLeft[1])}
				left.TP -= row.TP
				left.FP -= row.FP
				left.FN -= row.FN
				left.TN -= row.TN
				appLeft[0] -= row.AppTP
				appLeft[1] -= row.AppFN
				r.Bands = append(r.Bands, row)
			}
		}
		for i, b := range []string{"<1m", "1-2m", "2-3m", "3-5m", ">=5m"} {
			pairs := int64(200 - 30*i)
			r.Detection = append(r.Detection, sim.DetectionRow{Arm: a.name, Band: b, Pairs: pairs,
				Detected: int64(float64(pairs) * (0.95 - 0.15*float64(i)))})
		}
		for h := 0; h < 30; h += 3 {
			r.Delays = append(r.Delays, sim.DelayRow{Arm: a.name, Hours: h, TruePositives: int64(30 - h), FalseAlarms: int64(h / 3)})
		}
		r.Delays = append(r.Delays, sim.DelayRow{Arm: a.name, Hours: 71, TruePositives: 12, FalseAlarms: 4, Censored: true})
		r.FalsePositives = append(r.FalsePositives, falsePositives(a.name, fp)...)
	}
	addIndexCases(r, rand.New(rand.NewPCG(3, 4)))
	addPairs(r, rand.New(rand.NewPCG(5, 6)))
	for _, g := range []string{"bluezone", "gaen"} {
		for i := range 150 {
			env := []string{"indoor", "outdoor", "vehicle"}[i%3]
			d := 0.3 + 9.7*rng.Float64()
			att := 45 + 20*math.Log10(d) + 4*rng.NormFloat64()
			r.Attenuation = append(r.Attenuation, sim.AttenuationSample{Arm: g, Environment: env,
				DistanceM: math.Round(d*1000) / 1000, AttenuationDB: math.Round(att*1000) / 1000})
		}
	}
	return r
}

// addPairs gives every arm scored pairs: for each of indexCasesPerArm
// index cases ten contacts, a third of them close contacts, scored like
// weighted minutes (close contacts more on average, GAEN separating them
// better than Bluezone) against the arm's threshold.
func addPairs(r *sim.Result, rng *rand.Rand) {
	for ai, a := range r.Arms {
		th, sep := 15.0, 12.0
		if a.Protocol == "bluezone" {
			th, sep = 1, 4
		}
		for ix := range indexCasesPerArm {
			for k := range 10 {
				close := k%3 == 0
				v := math.Max(0, math.Round(8+4*rng.NormFloat64()))
				if close {
					v += sep
				}
				if a.Protocol == "bluezone" {
					v = math.Max(0, math.Round(v/4))
				}
				d := float32(0.5 + 4*rng.Float64())
				if close {
					d = float32(0.3 + 1.5*rng.Float64())
				}
				p := sim.PairScore{Arm: int32(ai), Index: int32(100*ai + ix), Contact: int32(10000 + 10*ix + k), Day: int16(1 + ix%3),
					InRange: true, Close: close, CloseMinutes: float32(20 * boolF(close)), MinDistanceM: d,
					Notified: v > 0 && v >= th}
				p.Score.Value, p.Score.Threshold, p.Score.WeightedMinutes, p.Score.Sightings = v, th, v, int(v)
				p.Score.Minutes[0] = v
				r.Pairs = append(r.Pairs, p)
			}
		}
	}
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// indexCasesPerArm is how many index cases the synthetic result splits
// each arm's counts over.
const indexCasesPerArm = 30

// split divides x into n parts summing to x, each of the x items going
// to a part drawn at random (weights uniform in [0.2, 1.2]).
func split(rng *rand.Rand, x int64, n int) []int64 {
	cum := make([]float64, n)
	total := 0.0
	for i := range cum {
		total += 0.2 + rng.Float64()
		cum[i] = total
	}
	out := make([]int64, n)
	for range x {
		u := rng.Float64() * total
		i, _ := slices.BinarySearch(cum, u)
		out[min(i, n-1)]++
	}
	return out
}

// addIndexCases splits every arm's counts, breakdown cells and detection
// rows over indexCasesPerArm index cases, so that intervals have clusters
// to resample.
func addIndexCases(r *sim.Result, rng *rand.Rand) {
	n := indexCasesPerArm
	for ai, a := range r.Arms {
		base := len(r.IndexCases)
		var appTP, appFN int64
		for _, b := range r.Bands {
			if b.Arm == a.Name && b.Dimension == "venue" {
				appTP += b.AppTP
				appFN += b.AppFN
			}
		}
		// App contacts are part of all contacts: split them first.
		atp, afn := split(rng, appTP, n), split(rng, appFN, n)
		tp, fn := split(rng, a.TP-appTP, n), split(rng, a.FN-appFN, n)
		fp, tn := split(rng, a.FP, n), split(rng, a.TN, n)
		for i := range n {
			tp[i] += atp[i]
			fn[i] += afn[i]
			r.IndexCases = append(r.IndexCases, sim.IndexCase{Arm: int32(ai), Person: int32(10 * i), Day: int16(1 + i%3), App: i%2 == 0, Uploaded: i%3 == 0,
				CloseContacts: int32(tp[i] + fn[i]), AppCloseContacts: int32(atp[i] + afn[i]),
				TP: int32(tp[i]), FP: int32(fp[i]), FN: int32(fn[i]), TN: int32(tn[i]), AppTP: int32(atp[i]), AppFN: int32(afn[i]),
				Notifications: int32(tp[i] + fp[i])})
		}
		for row, b := range r.Bands {
			if b.Arm != a.Name {
				continue
			}
			parts := [][]int64{split(rng, b.TP, n), split(rng, b.FP, n), split(rng, b.FN, n), split(rng, b.TN, n),
				split(rng, b.AppTP, n), split(rng, b.AppFN, n)}
			for i := range n {
				c := sim.IndexCaseBand{Case: int32(base + i), Row: int32(row), TP: int32(parts[0][i]), FP: int32(parts[1][i]),
					FN: int32(parts[2][i]), TN: int32(parts[3][i]), AppTP: int32(parts[4][i]), AppFN: int32(parts[5][i])}
				if c != (sim.IndexCaseBand{Case: c.Case, Row: c.Row}) {
					r.IndexCaseBands = append(r.IndexCaseBands, c)
				}
			}
		}
		for row, d := range r.Detection {
			if d.Arm != a.Name {
				continue
			}
			pairs := split(rng, d.Pairs, n)
			det := split(rng, d.Detected, n)
			for i := range n {
				det[i] = min(det[i], pairs[i])
				if pairs[i] > 0 {
					r.IndexCaseDetection = append(r.IndexCaseDetection, sim.IndexCaseDetection{Case: int32(base + i), Row: int32(row),
						Pairs: int32(pairs[i]), Detected: int32(det[i])})
				}
			}
		}
	}
	slices.SortFunc(r.IndexCaseBands, func(x, y sim.IndexCaseBand) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
	slices.SortFunc(r.IndexCaseDetection, func(x, y sim.IndexCaseDetection) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
}

// EpidemicResult is Result with the epidemic layer's outcomes added: a
// no-app run growing exponentially and each arm's run growing more slowly
// the higher its adoption. Plausible, not simulated.
func EpidemicResult() *sim.Result {
	r := Result()
	r.Days = 30
	e := &sim.EpidemicResult{Beta: 0.0004, TargetR0: 2.5}
	runs := []string{}
	for _, a := range r.Arms {
		runs = append(runs, a.Name)
	}
	runs = append(runs, sim.CounterfactualArm)
	totals := map[string]int64{}
	for i, name := range runs {
		growth := 0.12
		if i < len(r.Arms) {
			growth -= 0.08 * r.Arms[i].Adoption
		}
		for d := range r.Days {
			n := int64(math.Round(5 * math.Exp(growth*float64(d))))
			totals[name] += n
			e.Daily = append(e.Daily, sim.EpidemicDay{Arm: name, Day: d, NewInfections: n, Infectious: 4 * n,
				Positives: n / 2, Uploads: n / 5, AppNotifications: n, Quarantined: 10 * n})
			e.Rt = append(e.Rt, sim.RtRow{Arm: name, Day: d, Cases: n, Secondary: int64(float64(n) * (1 + 10*growth)),
				R: 1 + 10*growth, Complete: d < r.Days-14})
		}
	}
	out := func(name string) sim.ArmEpidemic {
		inf := totals[name]
		return sim.ArmEpidemic{Infections: inf, AttackRate: float64(inf) / float64(r.Agents), REff: 1.5, REffCohorts: 10, REffCompleteCases: 500,
			Positives: inf / 2, Uploads: inf / 5, AppNotifications: inf, NotificationsPerIndex: 5, Notified: inf,
			NotifiedInfected: inf / 10, SecondaryAttackRate: 0.1, QuarantinePersonDays: 10 * inf, QuarantineUninfectedDays: 8 * inf}
	}
	e.Counterfactual = out(sim.CounterfactualArm)
	for i := range r.Arms {
		a := out(r.Arms[i].Name)
		a.InfectionsAverted = e.Counterfactual.Infections - a.Infections
		a.Averted = float64(a.InfectionsAverted) / float64(e.Counterfactual.Infections)
		r.Arms[i].Epidemic = &a
	}
	e.GenerationDays = 6.4
	r.Epidemic = e
	return r
}

// AreaResult returns Result with census areas added: Nam Định's ten
// districts on their tile map (vietnam.md §2.3), with plausible counts per
// arm and district, and one district without any close contact.
func AreaResult() *sim.Result {
	r := Result()
	r.Scenario = "synthetic-nam-dinh"
	districts := []struct {
		slug, name string
		row, col   int
		census     int64
	}{
		{"nam-dinh-city", "Thành phố Nam Định", 0, 2, 236294}, {"my-loc", "Huyện Mỹ Lộc", 0, 1, 72514},
		{"vu-ban", "Huyện Vụ Bản", 1, 1, 130862}, {"y-yen", "Huyện Ý Yên", 1, 0, 229006},
		{"nghia-hung", "Huyện Nghĩa Hưng", 2, 1, 175786}, {"nam-truc", "Huyện Nam Trực", 1, 2, 183241},
		{"truc-ninh", "Huyện Trực Ninh", 2, 2, 172557}, {"xuan-truong", "Huyện Xuân Trường", 1, 3, 149480},
		{"giao-thuy", "Huyện Giao Thủy", 2, 4, 167752}, {"hai-hau", "Huyện Hải Hậu", 3, 2, 262901},
	}
	for ai, a := range r.Arms {
		for k, d := range districts {
			people := d.census / 100
			cc := int64(20 + 7*k)
			if k == 1 {
				cc = 0 // no close contact: undefined coverage
			}
			app := int64(math.Round(float64(cc) * a.Adoption * a.Adoption * 1.2))
			tp := int64(math.Round(float64(app) * (0.5 + 0.04*float64(k%5))))
			fp := tp * int64(1+ai%2)
			r.Areas = append(r.Areas, sim.AreaRow{Arm: a.Name, Area: d.slug, Name: d.name, Province: "nam-dinh",
				Level: "district", TileRow: d.row, TileCol: d.col, Census: d.census, People: people,
				Adoption: a.Adoption, Installed: int64(math.Round(float64(people) * a.Adoption)),
				IndexCases: int64(2 + k%3), CloseContacts: cc, AppCloseContacts: app,
				Counts: sim.Counts{TP: tp, FP: fp, FN: cc - tp, TN: 50}, AppTP: tp, Notifications: tp + fp})
		}
	}
	addAreaCases(r, len(districts), rand.New(rand.NewPCG(5, 6)))
	return r
}

// fewCasesArea is the district of AreaResult whose contacts only a few
// index cases have (fewer than stats.MinIndexCases): its shares are
// unestimable.
const fewCasesArea = 2

// addAreaCases splits every area row's verdicts over the arm's index
// cases (over only 4 of them in district fewCasesArea), as the engine's
// Result.IndexCaseAreas does.
func addAreaCases(r *sim.Result, perArm int, rng *rand.Rand) {
	for row, a := range r.Areas {
		ai := row / perArm
		base := int32(ai * indexCasesPerArm)
		n := indexCasesPerArm
		if row%perArm == fewCasesArea {
			n = 4
		}
		appFN := a.AppCloseContacts - a.AppTP
		parts := [][]int64{split(rng, a.AppTP, n), split(rng, a.TP-a.AppTP, n), split(rng, a.FP, n), split(rng, appFN, n),
			split(rng, a.FN-appFN, n), split(rng, a.TN, n)}
		for i := range n {
			c := sim.IndexCaseArea{Case: base + int32(i), Row: int32(row), TP: int32(parts[0][i] + parts[1][i]), FP: int32(parts[2][i]),
				FN: int32(parts[3][i] + parts[4][i]), TN: int32(parts[5][i]), AppTP: int32(parts[0][i]), AppFN: int32(parts[3][i])}
			if c != (sim.IndexCaseArea{Case: c.Case, Row: c.Row}) {
				r.IndexCaseAreas = append(r.IndexCaseAreas, c)
			}
		}
	}
	slices.SortFunc(r.IndexCaseAreas, func(x, y sim.IndexCaseArea) int {
		return cmp.Or(cmp.Compare(x.Case, y.Case), cmp.Compare(x.Row, y.Row))
	})
}

// ProvinceResult is AreaResult with the areas made provinces without a
// place on a tile map (a national run's by_area rows).
func ProvinceResult() *sim.Result {
	r := AreaResult()
	for i := range r.Areas {
		r.Areas[i].Level, r.Areas[i].TileRow, r.Areas[i].TileCol = "province", -1, -1
		r.Areas[i].Province = r.Areas[i].Area
	}
	return r
}

// falsePositives splits an arm's fp false alarms over true distance and
// exposure the way the simulator's tend to fall: mostly pairs just beyond
// the close-contact distance who stayed long in radio range.
func falsePositives(arm string, fp int64) []sim.FalsePositiveRow {
	cells := []struct {
		dist, dur string
		share     float64
	}{
		{"1-2m", "<5min", 0.05}, {"2-3m", "15-30min", 0.15}, {"2-3m", ">=60min", 0.4},
		{"3-5m", "30-60min", 0.15}, {"3-5m", ">=60min", 0.15}, {">=5m", ">=60min", 0.05},
	}
	var out []sim.FalsePositiveRow
	left := fp
	for i, c := range cells {
		n := int64(math.Round(float64(fp) * c.share))
		if i == len(cells)-1 {
			n = left
		}
		left -= n
		if n > 0 {
			out = append(out, sim.FalsePositiveRow{Arm: arm, DistanceBand: c.dist, DurationBand: c.dur, FP: n})
		}
	}
	if left > 0 {
		out = append(out, sim.FalsePositiveRow{Arm: arm, DistanceBand: "none", DurationBand: "none", FP: left})
	}
	return out
}
