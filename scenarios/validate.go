package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Rule presets a GAEN or DP-3T arm can name (radio.md §3.2).
var rulePresets = []string{"cwa", "swisscovid", "immuni", "gaen-v1-default"}

// Validate checks every range and every combination of a scenario that
// cannot mean anything, and reports each problem with its dotted field path
// (file positions are filled in by the loader). A nil result means valid.
func Validate(sc *Scenario) ErrorList {
	v := &validator{}
	v.scenario(sc)
	return v.errs
}

type validator struct{ errs ErrorList }

func (v *validator) errorf(field, format string, args ...any) {
	v.errs = append(v.errs, &Error{Field: field, Msg: fmt.Sprintf(format, args...)})
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fraction checks x in [0, 1]: shares, probabilities, adoption.
func (v *validator) fraction(field string, x float64) {
	if !finite(x) || x < 0 || x > 1 {
		v.errorf(field, "must be between 0 and 1, got %v", x)
	}
}

// between checks lo <= x <= hi.
func (v *validator) between(field string, x, lo, hi float64) {
	if !finite(x) || x < lo || x > hi {
		v.errorf(field, "must be between %v and %v, got %v", lo, hi, x)
	}
}

func (v *validator) positive(field string, x float64) {
	if !finite(x) || x <= 0 {
		v.errorf(field, "must be greater than 0, got %v", x)
	}
}

func (v *validator) nonNegative(field string, x float64) {
	if !finite(x) || x < 0 {
		v.errorf(field, "must not be negative, got %v", x)
	}
}

func (v *validator) intBetween(field string, x, lo, hi int) {
	if x < lo || x > hi {
		v.errorf(field, "must be between %d and %d, got %d", lo, hi, x)
	}
}

// shares checks a list of n fractions that must sum to 1.
func (v *validator) shares(field string, xs []float64, n int) {
	if n > 0 && len(xs) != n {
		v.errorf(field, "want %d values, got %d", n, len(xs))
		return
	}
	sum := 0.0
	for i, x := range xs {
		v.fraction(indexPath(field, i), x)
		sum += x
	}
	if len(xs) > 0 && math.Abs(sum-1) > 1e-3 {
		v.errorf(field, "shares must sum to 1, got %v", roundSig(sum, 6))
	}
}

// increasing checks strictly increasing positive band edges.
func (v *validator) increasing(field string, xs []float64) {
	for i, x := range xs {
		if !finite(x) || x <= 0 {
			v.errorf(indexPath(field, i), "must be greater than 0, got %v", x)
		}
		if i > 0 && x <= xs[i-1] {
			v.errorf(indexPath(field, i), "must be greater than the entry before it (%v), got %v", xs[i-1], x)
		}
	}
}

func (v *validator) scenario(sc *Scenario) {
	switch {
	case strings.TrimSpace(sc.Name) == "":
		v.errorf("name", "must not be empty: outputs are labelled with it")
	case strings.ContainsAny(sc.Name, `/\`) || sc.Name == "." || sc.Name == "..":
		v.errorf("name", "must not contain / or \\ (it names the output folder), got %q", sc.Name)
	}
	v.intBetween("days", sc.Days, 1, 3650)
	if sc.Start.IsZero() {
		v.errorf("start", "must be a date (YYYY-MM-DD)")
	}
	v.population(sc)
	v.radio(sc)
	v.contact(sc)
	v.arms(sc)
	v.diagnosis(sc)
	v.metrics(sc)
	v.engine(sc)
	v.epidemic(sc)
}

// epidemic reuses epidemic.Params.Validate ("epidemic.key = value: want
// ...") like radio does, and checks the seed day against the run.
func (v *validator) epidemic(sc *Scenario) {
	p := &sc.Epidemic
	for _, e := range errorList(p.Validate()) {
		field, rest, ok := keyValueError(e.Error())
		if !ok {
			field, rest = "epidemic", e.Error()
		}
		v.errorf(field, "%s", rest)
	}
	if p.Enabled && sc.Days >= 1 && p.SeedDay >= sc.Days {
		v.errorf("epidemic.seed_day", "is day %d but the run has only %d days: nobody would be infected", p.SeedDay, sc.Days)
	}
	if p.Enabled && p.InitialInfections > sc.Population.Size {
		v.errorf("epidemic.initial_infections", "is %d, more than the population (%d)", p.InitialInfections, sc.Population.Size)
	}
}

func (v *validator) population(sc *Scenario) {
	p := &sc.Population
	const f = "population."
	v.intBetween(f+"size", p.Size, 1, 200_000_000)
	v.between(f+"household_size", p.HouseholdSize, 1, 30)
	v.shares(f+"age_shares", p.AgeShares, 9)
	v.fraction(f+"apartment_share", p.ApartmentShare)
	v.intBetween(f+"flats_per_floor", p.FlatsPerFloor, 1, 1000)
	v.positive(f+"house_width_m", p.HouseWidthM)
	v.intBetween(f+"school_age_min", p.SchoolAgeMin, 0, 100)
	v.intBetween(f+"school_age_max", p.SchoolAgeMax, 0, 100)
	if p.SchoolAgeMax < p.SchoolAgeMin {
		v.errorf(f+"school_age_max", "must be at least school_age_min (%d), got %d", p.SchoolAgeMin, p.SchoolAgeMax)
	}
	v.fraction(f+"school_attendance", p.SchoolAttendance)
	v.intBetween(f+"class_size", p.ClassSize, 1, 1000)
	v.fraction(f+"employment_rate", p.EmploymentRate)
	if len(p.WorkplaceSizes) == 0 {
		v.errorf(f+"workplace_sizes", "needs at least one size class")
	}
	sum := 0.0
	for i, ws := range p.WorkplaceSizes {
		v.intBetween(indexPath(f+"workplace_sizes", i)+".size", ws.Size, 1, 1_000_000)
		v.fraction(indexPath(f+"workplace_sizes", i)+".share", ws.Share)
		sum += ws.Share
	}
	if len(p.WorkplaceSizes) > 0 && math.Abs(sum-1) > 1e-3 {
		v.errorf(f+"workplace_sizes", "shares must sum to 1, got %v", roundSig(sum, 6))
	}
	v.fraction(f+"bus_share", p.BusShare)
	v.intBetween(f+"bus_capacity", p.BusCapacity, 1, 500)
	v.between(f+"bus_minutes", p.BusMinutes, 0, 600)
	v.fraction(f+"market_daily", p.MarketDaily)
	v.between(f+"market_minutes", p.MarketMinutes, 0, 1440)
	v.intBetween(f+"people_per_market", p.PeoplePerMarket, 1, 1<<30)
	v.fraction(f+"cafe_daily", p.CafeDaily)
	v.fraction(f+"cafe_weekend", p.CafeWeekend)
	v.between(f+"cafe_minutes", p.CafeMinutes, 0, 1440)
	v.intBetween(f+"people_per_cafe", p.PeoplePerCafe, 1, 1<<30)
	v.fraction(f+"visit_neighbours", p.VisitNeighbours)

	ph := &p.Phones
	const g = f + "phones."
	if len(ph.OwnershipByAge) != 9 {
		v.errorf(g+"ownership_by_age", "want 9 values (one per ten-year age band), got %d", len(ph.OwnershipByAge))
	}
	for i, x := range ph.OwnershipByAge {
		v.fraction(indexPath(g+"ownership_by_age", i), x)
	}
	v.fraction(g+"ios_share", ph.IOSShare)
	v.shares(g+"carriage", ph.Carriage, 5)
	v.fraction(g+"bluetooth_off", ph.BluetoothOff)
	v.fraction(g+"battery_saver_kill", ph.BatterySaverKill)
	v.fraction(g+"foreground", ph.Foreground)
}

// radio reuses radio.Params.Validate, whose messages start with the key
// ("radio.key = value: want ..."), and turns them into field errors.
func (v *validator) radio(sc *Scenario) {
	for _, e := range errorList(sc.Radio.Validate()) {
		msg := e.Error()
		field, rest, ok := keyValueError(msg)
		if !ok {
			field, rest = "radio", msg
			if k, r, ok := strings.Cut(msg, ": "); ok && !strings.Contains(k, " ") {
				field, rest = k, r
			}
		}
		if !strings.HasPrefix(field, "radio") {
			field = "radio." + field
		}
		v.errorf(field, "%s", rest)
	}
}

func (v *validator) contact(sc *Scenario) {
	c := &sc.Contact
	switch c.Preset {
	case ContactCDC, ContactECDC, ContactSingapore:
	case ContactCustom:
		v.between("contact.distance_m", c.DistanceM, 0.1, 20)
		v.between("contact.minutes", c.Minutes, 1, 1440)
	default:
		v.errorf("contact.preset", "unknown preset %q%s (want cdc, ecdc, singapore or custom)", c.Preset,
			suggest(c.Preset, []string{ContactCDC, ContactECDC, ContactSingapore, ContactCustom}))
	}
	if c.Window != "day" {
		v.errorf("contact.window", "only \"day\" is supported, got %q", c.Window)
	}
}

// suggest formats "; did you mean X?" when a close candidate exists.
func suggest(s string, candidates []string) string {
	if c, ok := closest(s, candidates); ok && c != s {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

func (v *validator) arms(sc *Scenario) {
	if len(sc.Arms) == 0 {
		v.errorf("arms", "needs at least one protocol arm")
	}
	names := map[string]int{}
	for i := range sc.Arms {
		a := &sc.Arms[i]
		f := indexPath("arms", i)
		if a.Name == "" {
			v.errorf(f+".name", "must not be empty")
		} else if j, dup := names[a.Name]; dup {
			v.errorf(f+".name", "%q is already the name of arms[%d]; arm names label outputs and must differ", a.Name, j)
		} else {
			names[a.Name] = i
		}
		v.fraction(f+".adoption", a.Adoption)
		if own, ok := Ownership(sc); ok && a.Adoption <= 1 && a.Adoption > own+1e-9 {
			v.errorf(f+".adoption", "is %v, but only %.3f of the population own a smartphone "+
				"(population.age_shares x population.phones.ownership_by_age), and only owners can install the app",
				a.Adoption, own)
		}
		v.fraction(f+".ramp.from", a.Ramp.From)
		v.intBetween(f+".ramp.days", a.Ramp.Days, 0, 3650)
		if a.Ramp.Days > 0 && a.Ramp.From > a.Adoption {
			v.errorf(f+".ramp.from", "is above adoption (%v): an install campaign ramps adoption up, got %v", a.Adoption, a.Ramp.From)
		}
		if a.Ramp.Days == 0 && a.Ramp.From != 0 {
			v.errorf(f+".ramp.from", "is set but ramp.days is 0, so there is no ramp")
		}
		switch a.Protocol {
		case ProtocolBluezone, ProtocolBluezoneV1:
			v.bluezoneRule(f+".rule", a)
		case ProtocolGAEN, ProtocolDP3T:
			v.exposureRule(f+".rule", a)
		default:
			v.errorf(f+".protocol", "unknown protocol %q%s (want %s)", a.Protocol,
				suggest(a.Protocol, Protocols()), strings.Join(Protocols(), ", "))
		}
	}
}

// Ownership is the expected share of people who own a smartphone: the age
// shares weighted by ownership in each age band. It is the validator's limit
// on an arm's adoption, since only owners can install the app; false when
// the two lists do not line up.
func Ownership(sc *Scenario) (float64, bool) {
	p := &sc.Population
	if len(p.AgeShares) != len(p.Phones.OwnershipByAge) || len(p.AgeShares) == 0 {
		return 0, false
	}
	own := 0.0
	for i, s := range p.AgeShares {
		own += s * p.Phones.OwnershipByAge[i]
	}
	return own, true
}

// bluezoneRule: Bluezone's rule is a mode (any sighting, or F1 thresholds);
// the GAEN-style fields mean nothing to it.
func (v *validator) bluezoneRule(f string, a *Arm) {
	r := &a.Rule
	only := fmt.Sprintf("is only for gaen and dp3t arms, and this arm's protocol is %s", a.Protocol)
	if r.Preset != "" {
		v.errorf(f+".preset", "%s", only)
	}
	if len(r.ThresholdsDB) > 0 {
		v.errorf(f+".thresholds_db", "%s", only)
	}
	if len(r.Weights) > 0 {
		v.errorf(f+".weights", "%s", only)
	}
	if r.TriggerMinutes != 0 {
		v.errorf(f+".trigger_minutes", "%s", only)
	}
	switch r.Mode {
	case "any":
	case "f1":
		v.between(f+".min_minutes", r.MinMinutes, 0, 1440)
		for _, t := range []struct {
			k string
			x float64
		}{{"android_android", r.RSSI.AndroidAndroid}, {"android_ios", r.RSSI.AndroidIOS},
			{"ios_android", r.RSSI.IOSAndroid}, {"ios_ios", r.RSSI.IOSIOS}} {
			v.between(f+".rssi."+t.k, t.x, -127, 0)
		}
	default:
		v.errorf(f+".mode", "unknown mode %q%s (want any or f1)", r.Mode, suggest(r.Mode, []string{"any", "f1"}))
	}
}

// exposureRule: GAEN and DP-3T score attenuation buckets; Bluezone's mode,
// RSSI thresholds and minimum minutes mean nothing to them.
func (v *validator) exposureRule(f string, a *Arm) {
	r := &a.Rule
	only := fmt.Sprintf("is only for bluezone arms, and this arm's protocol is %s", a.Protocol)
	if r.Mode != "" {
		v.errorf(f+".mode", "%s", only)
	}
	if r.RSSI != (RSSIThresholds{}) {
		v.errorf(f+".rssi", "%s", only)
	}
	if r.MinMinutes != 0 {
		v.errorf(f+".min_minutes", "%s", only)
	}
	if r.Preset != "" && !slices.Contains(rulePresets, r.Preset) {
		v.errorf(f+".preset", "unknown preset %q%s (want %s)", r.Preset, suggest(r.Preset, rulePresets),
			strings.Join(rulePresets, ", "))
	}
	if r.Preset == "" {
		// Without a preset the rule must be spelled out in full.
		if len(r.ThresholdsDB) == 0 {
			v.errorf(f+".thresholds_db", "needed when no preset is given")
		}
		if len(r.Weights) == 0 {
			v.errorf(f+".weights", "needed when no preset is given")
		}
		if r.TriggerMinutes == 0 {
			v.errorf(f+".trigger_minutes", "needed when no preset is given")
		}
	}
	if len(r.ThresholdsDB) > 0 {
		if len(r.ThresholdsDB) != 2 {
			v.errorf(f+".thresholds_db", "want 2 attenuation thresholds (dB), got %d", len(r.ThresholdsDB))
		}
		for i, t := range r.ThresholdsDB {
			v.between(indexPath(f+".thresholds_db", i), t, 1, 150)
			if i > 0 && t <= r.ThresholdsDB[i-1] {
				v.errorf(indexPath(f+".thresholds_db", i),
					"thresholds must increase: %v is not above %v", t, r.ThresholdsDB[i-1])
			}
		}
	}
	if len(r.Weights) > 0 {
		if len(r.Weights) != 3 {
			v.errorf(f+".weights", "want 3 bucket weights, got %d", len(r.Weights))
		}
		for i, w := range r.Weights {
			v.between(indexPath(f+".weights", i), w, 0, 10)
			if i > 0 && w > r.Weights[i-1] {
				v.errorf(indexPath(f+".weights", i),
					"weights must not increase with attenuation: %v is above %v (a farther bucket cannot count more)", w, r.Weights[i-1])
			}
		}
	}
	if r.TriggerMinutes != 0 {
		v.between(f+".trigger_minutes", r.TriggerMinutes, 0, 1440)
	}
}

func (v *validator) diagnosis(sc *Scenario) {
	d := &sc.Diagnosis
	v.fraction("diagnosis.daily_fraction", d.DailyFraction)
	if d.Among != "everyone" && d.Among != "app_users" {
		v.errorf("diagnosis.among", "unknown value %q%s (want everyone or app_users)", d.Among,
			suggest(d.Among, []string{"everyone", "app_users"}))
	}
	v.fraction("diagnosis.compliance", d.Compliance)
	v.intBetween("diagnosis.infectious_days", d.InfectiousDays, 0, 30)
	v.intBetween("diagnosis.first_day", d.FirstDay, 0, 3650)
	if sc.Days >= 1 && d.FirstDay >= sc.Days {
		v.errorf("diagnosis.first_day", "is day %d but the run has only %d days (0 to %d): nobody would be diagnosed",
			d.FirstDay, sc.Days, sc.Days-1)
	}
}

func (v *validator) metrics(sc *Scenario) {
	m := &sc.Metrics
	v.increasing("metrics.distance_bands_m", m.DistanceBandsM)
	v.increasing("metrics.duration_bands_min", m.DurationBandsMin)
	v.intBetween("metrics.attenuation_samples", m.AttenuationSamples, 0, 10_000_000)
}

func (v *validator) engine(sc *Scenario) {
	e := &sc.Engine
	v.intBetween("engine.pose_minutes", e.PoseMinutes, 1, 1440)
	v.intBetween("engine.home_pose_minutes", e.HomePoseMinutes, 1, 1440)
	// Beyond a few tens of metres no BLE packet is received at all
	// (radio.md §2.5 sensitivity); below a metre and a half the close
	// contacts themselves would fall out of range.
	v.between("engine.range_m", e.RangeM, 1.5, 100)
	if d, _, err := sc.Contact.Resolved(); err == nil && e.RangeM < d {
		v.errorf("engine.range_m", "is %v m, less than the close-contact distance (%v m): close contacts would be out of range", e.RangeM, d)
	}
	v.intBetween("engine.workers", e.Workers, 0, 4096)
	v.intBetween("engine.retention_days", e.RetentionDays, 1, 365)
	if e.RetentionDays >= 1 && e.RetentionDays <= sc.Diagnosis.InfectiousDays {
		v.errorf("engine.retention_days",
			"is %d but diagnosis.infectious_days is %d: phones would delete sightings before the keys that match them are published",
			e.RetentionDays, sc.Diagnosis.InfectiousDays)
	}
}

// validateGiven checks combinations that depend on what a file set, not
// only on the values: a key that is ignored because of another one.
func validateGiven(sc *Scenario, pos Positions) ErrorList {
	v := &validator{}
	if c := sc.Contact; c.Preset != ContactCustom {
		if d, m, err := c.Resolved(); err == nil {
			if pos.Has("contact.distance_m") && c.DistanceM != d {
				v.errorf("contact.distance_m", "is only used with preset: custom; preset %s means %v m for %v minutes",
					c.Preset, d, m)
			}
			if pos.Has("contact.minutes") && c.Minutes != m {
				v.errorf("contact.minutes", "is only used with preset: custom; preset %s means %v m for %v minutes",
					c.Preset, d, m)
			}
		}
	}
	return v.errs
}

// errorList flattens a joined error (errors.Join) into its parts; nil gives
// none.
func errorList(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// keyValueError splits a "key = value: want ..." message, the form radio's
// and epidemic's Params.Validate use, into the key and "want ..., got value".
func keyValueError(msg string) (field, rest string, ok bool) {
	k, r, ok := strings.Cut(msg, " = ")
	if !ok || strings.Contains(k, " ") {
		return "", "", false
	}
	val, want, _ := strings.Cut(r, ": ")
	return k, fmt.Sprintf("%s, got %s", want, val), true
}
