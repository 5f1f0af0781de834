package scenarios

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/sim/limits"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// Validate checks every range and every combination of a scenario that
// cannot mean anything, and reports each problem with its dotted field path
// (file positions are filled in by the loader). A nil result means valid.
//
// It is the only place a scenario is judged, and what it accepts runs: it
// applies each owning package's own Validate (agents.Params, radio.Params,
// epidemic.Params, each arm's rule from its protocol's package), the
// engine's limits (package sim/limits), and the checks that need more than
// one package (adoption against smartphone ownership, retention against
// the infectious window, ...). sim.Run calls it too.
func Validate(sc *Scenario) ErrorList {
	v := &validator{}
	v.scenario(sc)
	return v.list()
}

// validator collects problems by field path; check.List gives it the
// shared messages ("must be between 0 and 1, got 2").
type validator struct{ check.List }

func (v *validator) errorf(field, format string, args ...any) { v.Add(field, format, args...) }

// list returns the problems as field errors (without positions).
func (v *validator) list() ErrorList {
	var out ErrorList
	for _, e := range check.Errors(v.Err()) {
		out = append(out, &Error{Field: e.Field, Msg: e.Msg})
	}
	return out
}

// increasing checks strictly increasing positive band edges.
func (v *validator) increasing(field string, xs []float64) {
	for i, x := range xs {
		if !check.Finite(x) || x <= 0 {
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
	v.IntBetween("days", sc.Days, 1, limits.MaxDays)
	if sc.Start.IsZero() {
		v.errorf("start", "must be a date (YYYY-MM-DD)")
	}
	v.population(sc)
	v.experiment(sc)
	v.radio(sc)
	v.contact(sc)
	v.arms(sc)
	v.diagnosis(sc)
	v.metrics(sc)
	v.engine(sc)
	v.epidemic(sc)
	v.adversary(sc)
}

// adversary applies privacy.Adversary.Validate and each arm's network's
// (privacy.Network.Validate), and checks what needs the rest of the
// scenario: a network of an arm only with the adversary on, a run short
// enough for the sniffer log's clock, one plane to place sniffers on.
func (v *validator) adversary(sc *Scenario) {
	a := &sc.Adversary
	v.checkErrors("adversary", a.Validate())
	for i := range sc.Arms {
		f := indexPath("arms", i) + ".sniffers"
		n := sc.Arms[i].Sniffers
		v.checkErrors(f, n.Validate())
		if !a.Enabled && !n.IsZero() {
			v.errorf(f, "places sniffers (%s), but adversary.enabled is false: turn the adversary on or remove them", n)
		}
	}
	if !a.Enabled {
		return
	}
	if sc.Experiment != nil {
		v.errorf("adversary.enabled", "must be false in an experiment: its handsets stand in one venue, with no town around them for sniffers to stand in")
	}
	if maxDays := int(privacy.MaxSpanMs / 86_400_000); sc.Days > maxDays {
		v.errorf("adversary.enabled", "a sniffer log spans at most %d days (its records' clock is 32-bit milliseconds), but the run has %d", maxDays, sc.Days)
	}
	if sc.Population.Geographic() {
		if infos, err := sc.Population.AreaInfos(); err == nil {
			provs := map[string]bool{}
			for _, in := range infos {
				provs[in.Province] = true
			}
			if len(provs) > 1 {
				v.errorf("adversary.enabled", "population.area %s spans %d provinces, each on its own plane; "+
					"sniffers stand on one plane: simulate one province (such as nam-dinh)", sc.Population.Area, len(provs))
			}
		}
	}
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
	if p.Enabled && sc.Population.Separate() {
		v.errorf("epidemic.enabled", "cannot run with population.area %s simulated province by province "+
			"(population.travel.mixing: separate): each province's epidemic would run alone; use travel.mixing: joint", sc.Population.Area)
	}
	if p.Enabled && p.InitialInfections > sc.Population.Size {
		v.errorf("epidemic.initial_infections", "is %d, more than the population (%d)", p.InitialInfections, sc.Population.Size)
	}
}

// population applies agents.Params.Validate (whose errors name their
// scenario keys) and checks that someone can own a smartphone.
func (v *validator) population(sc *Scenario) {
	before := v.Len()
	v.checkErrors("", sc.Population.Validate())
	if own, ok := Ownership(sc); ok && v.Len() == before && !(own > 0) {
		v.errorf("population.phones.ownership_by_age",
			"nobody would own a smartphone (population.age_shares x ownership_by_age is %v), so nobody could install an app", own)
	}
}

// experiment checks an experiment set-up (agents.Experiment.Validate) and
// what it needs from the rest of the scenario: every handset is an index
// case on its session's day (diagnosis.daily_fraction, among and first_day
// do not apply), so the epidemic layer, which draws its own index cases,
// must be off.
func (v *validator) experiment(sc *Scenario) {
	e := sc.Experiment
	if e == nil {
		return
	}
	v.checkErrors("", e.Validate())
	if sc.Epidemic.Enabled {
		v.errorf("epidemic.enabled", "must be false in an experiment: its index cases are the handsets, not an epidemic's")
	}
	if sc.Population.Area != "" {
		v.errorf("population.area", "is %s, but an experiment has no census population: its people are the handsets (remove population.area or the experiment block)",
			sc.Population.Area)
	}
	if n := sc.Days * e.Sessions.PerDay * len(e.Handsets); sc.Days >= 1 && n > 5_000_000 {
		v.errorf("experiment.sessions.per_day", "%d days × %d sessions × %d handsets is %d people, more than 5000000",
			sc.Days, e.Sessions.PerDay, len(e.Handsets), n)
	}
}

// checkErrors records the problems a package's Validate returned
// (check.Errors), their fields under prefix.
func (v *validator) checkErrors(prefix string, err error) {
	for _, e := range check.Errors(err) {
		field := check.Join(prefix, e.Field)
		if field == "" {
			field = prefix
		}
		v.errorf(field, "%s", e.Msg)
	}
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
		v.Between("contact.distance_m", c.DistanceM, 0.1, 20)
		v.Between("contact.minutes", c.Minutes, 1, 1440)
	default:
		v.errorf("contact.preset", "unknown preset %q%s (want cdc, ecdc, singapore or custom)", c.Preset,
			suggest(c.Preset, []string{ContactCDC, ContactECDC, ContactSingapore, ContactCustom}))
	}
	if c.Window != "day" {
		v.errorf("contact.window", "only \"day\" is supported, got %q", c.Window)
	}
}

func suggest(s string, candidates []string) string { return check.Suggest(s, candidates) }

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
		v.Fraction(f+".adoption", a.Adoption)
		if sc.Population.Geographic() && sc.Experiment == nil {
			// (An experiment with population.area is refused once, by
			// the experiment check: its people are the handsets.)
			v.areaAdoption(sc, a, f)
		} else if own, ok := Ownership(sc); ok && a.Adoption <= 1 && a.Adoption > own+1e-9 {
			v.errorf(f+".adoption", "is %v, but only %.3f of the population own a smartphone "+
				"(population.age_shares x population.phones.ownership_by_age), and only owners can install the app",
				a.Adoption, own)
		}
		v.Fraction(f+".ramp.from", a.Ramp.From)
		v.IntBetween(f+".ramp.days", a.Ramp.Days, 0, 3650)
		if a.Ramp.Days > 0 && a.Ramp.From > a.Adoption {
			v.errorf(f+".ramp.from", "is above adoption (%v): an install campaign ramps adoption up, got %v", a.Adoption, a.Ramp.From)
		}
		if a.Ramp.Days == 0 && a.Ramp.From != 0 {
			v.errorf(f+".ramp.from", "is set but ramp.days is 0, so there is no ramp")
		}
		p, ok := protocols.Lookup(a.Protocol)
		switch {
		case !ok:
			names := protocols.Names()
			v.errorf(f+".protocol", "unknown protocol %q%s (want %s)", a.Protocol, suggest(a.Protocol, names), check.Alternatives(names))
		case a.Rule == nil:
			v.errorf(f+".rule", "is missing: protocol %s needs its rule", a.Protocol)
		case reflect.TypeOf(a.Rule) != reflect.TypeOf(p.DefaultRule()):
			v.errorf(f+".rule", "is a %T, not the rule of protocol %s (%T)", a.Rule, a.Protocol, p.DefaultRule())
		default:
			// The protocol's own rule checks, by its own keys.
			v.checkErrors(f+".rule", a.Rule.Validate())
		}
	}
}

// areaAdoption checks an arm of a census population: its adoption and
// each adoption_by_area value against the smartphone ownership of the
// areas they apply to (each area gets that share of its own people, so the
// least-owning area sets the limit), and the slugs against the areas.
func (v *validator) areaAdoption(sc *Scenario, a *Arm, f string) {
	infos, err := sc.Population.AreaInfos()
	if err != nil {
		return // population.area's own error is reported
	}
	slugs := make([]string, len(infos))
	for i, in := range infos {
		slugs[i] = in.Slug
	}
	keys := make([]string, 0, len(a.AdoptionByArea))
	for k := range a.AdoptionByArea {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		x := a.AdoptionByArea[k]
		kf := f + ".adoption_by_area." + k
		i := slices.Index(slugs, k)
		if i < 0 {
			v.errorf(kf, "unknown area %q%s (want the slug of a %s of population.area %s: %s)", k, suggest(k, slugs),
				levels(infos), sc.Population.Area, listSlugs(slugs))
			continue
		}
		if v.Fraction(kf, x) && x > infos[i].Ownership+1e-9 {
			v.errorf(kf, "is %v, but only %.3f of %s's people own a smartphone (its ages x population.phones.ownership_by_age), "+
				"and only owners can install the app", x, infos[i].Ownership, k)
		}
	}
	if len(a.AdoptionByArea) > 0 && a.Ramp.Days > 0 && a.Adoption == 0 {
		v.errorf(f+".ramp.days", "needs adoption above 0 with adoption_by_area: the ramp scales each area by the share of adoption reached")
	}
	if a.Adoption > 1 {
		return
	}
	worst := -1
	for i, in := range infos {
		if _, set := a.AdoptionByArea[in.Slug]; !set && a.Adoption > in.Ownership+1e-9 && (worst < 0 || in.Ownership < infos[worst].Ownership) {
			worst = i
		}
	}
	if worst >= 0 {
		v.errorf(f+".adoption", "is %v, but only %.3f of %s's people own a smartphone (its ages x population.phones.ownership_by_age), "+
			"and only owners can install the app: lower it, or give %s its own value under adoption_by_area",
			a.Adoption, infos[worst].Ownership, infos[worst].Slug, infos[worst].Slug)
	}
}

// levels names the area levels of a census population for messages.
func levels(infos []AreaInfo) string {
	var ls []string
	for _, in := range infos {
		if !slices.Contains(ls, in.Level) {
			ls = append(ls, in.Level)
		}
	}
	return strings.Join(ls, " or ")
}

// listSlugs lists area slugs for a message, the first 12 and a count.
func listSlugs(s []string) string {
	if len(s) <= 12 {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(s[:12], ", "), len(s)-12)
}

// AreaInfo is an area of a census population as the validator sees it.
type AreaInfo = agents.AreaInfo

// Ownership is the expected share of people who own a smartphone: the age
// shares weighted by ownership in each age band. It is the validator's limit
// on an arm's adoption, since only owners can install the app; false when
// the two lists do not line up. In an experiment every handset is a
// smartphone: 1. For a census population (population.area) it is the
// least of the areas' expected ownership: each area gets the arm's
// adoption as a share of its own people, so no higher adoption fits every
// area.
func Ownership(sc *Scenario) (float64, bool) {
	if sc.Experiment != nil {
		return 1, true
	}
	if sc.Population.Geographic() {
		infos, err := sc.Population.AreaInfos()
		if err != nil || len(infos) == 0 || len(sc.Population.Phones.OwnershipByAge) != 9 {
			return 0, false
		}
		own := math.Inf(1)
		for _, in := range infos {
			own = math.Min(own, in.Ownership)
		}
		return own, true
	}
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

func (v *validator) diagnosis(sc *Scenario) {
	d := &sc.Diagnosis
	v.Fraction("diagnosis.daily_fraction", d.DailyFraction)
	if d.Among != "everyone" && d.Among != "app_users" {
		v.errorf("diagnosis.among", "unknown value %q%s (want everyone or app_users)", d.Among,
			suggest(d.Among, []string{"everyone", "app_users"}))
	}
	v.Fraction("diagnosis.compliance", d.Compliance)
	v.IntBetween("diagnosis.infectious_days", d.InfectiousDays, 0, limits.MaxInfectiousDays)
	v.IntBetween("diagnosis.first_day", d.FirstDay, 0, 3650)
	if sc.Days >= 1 && d.FirstDay >= sc.Days {
		v.errorf("diagnosis.first_day", "is day %d but the run has only %d days (0 to %d): nobody would be diagnosed",
			d.FirstDay, sc.Days, sc.Days-1)
	}
}

func (v *validator) metrics(sc *Scenario) {
	m := &sc.Metrics
	v.increasing("metrics.distance_bands_m", m.DistanceBandsM)
	v.increasing("metrics.duration_bands_min", m.DurationBandsMin)
	v.IntBetween("metrics.attenuation_samples", m.AttenuationSamples, 0, 10_000_000)
}

func (v *validator) engine(sc *Scenario) {
	e := &sc.Engine
	v.IntBetween("engine.pose_minutes", e.PoseMinutes, 1, 1440)
	v.IntBetween("engine.home_pose_minutes", e.HomePoseMinutes, 1, 1440)
	// Beyond a few tens of metres no BLE packet is received at all
	// (radio.md §2.5 sensitivity); below a metre and a half the close
	// contacts themselves would fall out of range.
	v.Between("engine.range_m", e.RangeM, 1.5, 100)
	if d, _, err := sc.Contact.Resolved(); err == nil && e.RangeM < d {
		v.errorf("engine.range_m", "is %v m, less than the close-contact distance (%v m): close contacts would be out of range", e.RangeM, d)
	}
	v.IntBetween("engine.workers", e.Workers, 0, 4096)
	// A retention shorter than the infectious window is allowed: phones
	// then hold only the last retention_days of it, and matches fall (see
	// Engine.RetentionDays).
	v.IntBetween("engine.retention_days", e.RetentionDays, 1, limits.MaxRetentionDays)
}

// validateGiven checks combinations that depend on what a file set, not
// only on the values: a key that is ignored because of another one.
func validateGiven(sc *Scenario, pos Positions) ErrorList {
	v := &validator{}
	if sc.Population.Geographic() {
		// A census population takes these from the census and the urban
		// and rural blocks; a value set for them would be ignored.
		// (townOnlyKeys, in this order.)
		for _, k := range [][2]string{
			{"household_size", "household sizes come from the census (vietnam.md §3.2)"},
			{"age_shares", "ages come from the census (vietnam.md §2.2, §3.1)"},
			{"apartment_share", "use population.urban.apartment_share and population.rural.apartment_share"},
			{"house_width_m", "use population.urban.house_width_m and population.rural.house_width_m"},
			{"bus_share", "use population.urban.bus_share and population.rural.bus_share"},
			{"people_per_market", "use population.urban.people_per_market and population.rural.people_per_market"},
			{"people_per_cafe", "use population.urban.people_per_cafe and population.rural.people_per_cafe"},
		} {
			if pos.Has("population." + k[0]) {
				v.errorf("population."+k[0], "is not used with population.area (%s): %s", sc.Population.Area, k[1])
			}
		}
	}
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
	return v.list()
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
