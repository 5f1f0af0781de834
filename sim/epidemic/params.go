package epidemic

import (
	"errors"
	"fmt"
	"math"
)

// Params are every parameter of the epidemic layer. The scenario loader
// embeds them under the YAML key `epidemic:`; DefaultParams gives the
// values below, each cited next to its field.
type Params struct {
	// Enabled turns the epidemic layer on. Off, the engine diagnoses index
	// cases from the scenario's diagnosis block instead.
	Enabled bool `yaml:"enabled"`
	// InitialInfections is the number of people infected on SeedDay
	// (chosen by SeedCases, a keyed draw, so both arms seed the same people).
	InitialInfections int `yaml:"initial_infections"`
	// SeedDay is the simulation day on which the initial infections happen.
	SeedDay int `yaml:"seed_day"`
	// History is the natural history of an infection.
	History History `yaml:"history"`
	// Transmission turns ground-truth contacts into infections.
	Transmission Transmission `yaml:"transmission"`
	// Testing says who is tested, when, and who uploads.
	Testing Testing `yaml:"testing"`
	// Quarantine says what notified people and positive cases do.
	Quarantine Quarantine `yaml:"quarantine"`
	// ManualTracing is tracing by health workers with a daily capacity.
	ManualTracing ManualTracing `yaml:"manual_tracing"`
}

// History is the natural history of SARS-CoV-2 infection (2020 estimates).
// A course is: exposed from infection to the start of infectiousness;
// then pre-symptomatic until symptom onset and symptomatic until recovery,
// or asymptomatic throughout; then recovered (immune for the run).
type History struct {
	// IncubationMedianDays is the median time from infection to symptom
	// onset; the incubation period is lognormal. Lauer et al., Ann Intern
	// Med 2020;172:577 (181 cases): median 5.1 days (95% CI 4.5–5.8),
	// lognormal log-mean 1.621, log-SD 0.418.
	IncubationMedianDays float64 `yaml:"incubation_median_days"`
	// IncubationLogSD is the SD of the log incubation period (Lauer et al.
	// 2020: 0.418; 97.5 % of cases show symptoms by 11.5 days).
	IncubationLogSD float64 `yaml:"incubation_log_sd"`
	// MinLatentDays is the shortest time from infection to infectiousness.
	// An assumption: it also guarantees that nobody infects anyone on the
	// day they are infected, which keeps a day's infections independent of
	// the order they are drawn in. Must be >= 1.
	MinLatentDays float64 `yaml:"min_latent_days"`
	// ProfileShape, ProfileRate and ProfileShiftDays give infectiousness
	// against time since symptom onset as a shifted gamma density: x days
	// after onset, infectiousness ∝ Gamma(shape, rate) density at
	// x + shift. He et al., Nat Med 2020;26:672 (77 transmission pairs,
	// Guangzhou): shape 2.1157, rate 0.6898, shift 2.3066 days, i.e.
	// infectiousness starts 2.3 days before onset, peaks 0.7 days before it,
	// and 44 % of transmission is pre-symptomatic.
	ProfileShape float64 `yaml:"profile_shape"`
	// ProfileRate is the gamma rate (1/day) of the infectiousness profile.
	ProfileRate float64 `yaml:"profile_rate"`
	// ProfileShiftDays is how long before symptom onset infectiousness
	// starts.
	ProfileShiftDays float64 `yaml:"profile_shift_days"`
	// InfectiousDaysAfterOnset ends infectiousness (and the course) this
	// many days after symptom onset. Wölfel et al., Nature 2020;581:465: no
	// culturable virus after day 8 of symptoms; CDC's July 2020 isolation
	// guidance (10 days after onset) rests on it; He et al. saw
	// infectiousness fall quickly within 7 days.
	InfectiousDaysAfterOnset float64 `yaml:"infectious_days_after_onset"`
	// AsymptomaticFraction is the share of infections that never show
	// symptoms. Buitrago-Garcia et al., PLoS Med 2020;17:e1003346: 31 %
	// (95% CI 26–37 %) in seven screened and followed populations; Oran &
	// Topol, Ann Intern Med 2020;173:362, put it at 40–45 %.
	AsymptomaticFraction float64 `yaml:"asymptomatic_fraction"`
	// AsymptomaticInfectiousness scales an asymptomatic person's
	// infectiousness relative to a symptomatic one's (same time profile
	// around the would-be onset). Buitrago-Garcia et al. 2020: relative
	// secondary attack rate 0.35 (0.10–1.27); Byambasuren et al., JAMMI
	// 2020;5:223: relative risk 0.58 (0.34–0.99). 0.5 lies between them.
	AsymptomaticInfectiousness float64 `yaml:"asymptomatic_infectiousness"`
}

// Transmission is the dose-response model of a contact: a pair's dose on
// one day is Σ minutes · f(distance) · environment factor over the epochs
// they spend together, and the infection probability is
// 1 − exp(−beta · infectiousness · dose).
type Transmission struct {
	// Beta is the infection hazard per dose-minute (one minute within
	// NearFieldM, indoors, at peak infectiousness). 0 means "calibrate":
	// the engine calls Model.CalibrateBeta with TargetR0 before the run and
	// uses Model.WithBeta.
	Beta float64 `yaml:"beta"`
	// TargetR0 is the basic reproduction number Beta is calibrated to. 2.5:
	// WHO-China Joint Mission (Feb 2020) 2–2.5; Li et al., NEJM 2020 2.2;
	// the 2020 planning consensus of about 2.5.
	TargetR0 float64 `yaml:"target_r0"`
	// NearFieldM is the distance within which the dose rate is flat.
	NearFieldM float64 `yaml:"near_field_m"`
	// DistanceExponent makes the dose rate fall as (NearFieldM/d)^exponent
	// beyond NearFieldM. 2 (inverse square): the concentration of a
	// respiratory jet falls roughly with the square of distance in the near
	// field, and it reproduces the gradient of Chu et al., Lancet
	// 2020;395:1973 (infection risk 12.8 % within 1 m against 2.6 % beyond,
	// a factor of ~5; (1/2.2)^2 ≈ 0.2 at a typical 2.2 m). The NHSx risk
	// score (Briers et al., arXiv:2005.11057, 2020) uses the same 1/d² form.
	DistanceExponent float64 `yaml:"distance_exponent"`
	// IndoorFactor scales doses indoors (the reference, 1).
	IndoorFactor float64 `yaml:"indoor_factor"`
	// OutdoorFactor scales doses outdoors. Nishiura et al., medRxiv
	// 2020.02.28.20029272 ("Closed environments facilitate secondary
	// transmission of COVID-19"): the odds of a primary case transmitting
	// in a closed environment were 18.7 times those in the open air, so
	// 1/18.7 ≈ 0.053.
	OutdoorFactor float64 `yaml:"outdoor_factor"`
	// VehicleFactor scales doses in vehicles. Buses and cars are small
	// closed spaces with recirculated air; in the Zhejiang bus outbreak
	// (Shen et al., JAMA Intern Med 2020;180:1665) risk did not fall with
	// seat distance. 1.0 (as indoors) is the conservative choice; the
	// missing distance decay is the engine's to model if it wants to.
	VehicleFactor float64 `yaml:"vehicle_factor"`
}

// Testing is who gets a positive test, when, and who uploads it.
type Testing struct {
	// Probability is the chance that a symptomatic person is tested. An
	// assumption for free, widely available testing (Vietnam 2020).
	Probability float64 `yaml:"probability"`
	// DelayMeanDays is the mean time from symptom onset to the positive
	// result; the delay is gamma distributed. Bi et al., Lancet Infect Dis
	// 2020;20:911 (Shenzhen): 3.2 days from onset to confirmation for cases
	// found by contact tracing, 5.5 days for symptom-based surveillance.
	DelayMeanDays float64 `yaml:"delay_mean_days"`
	// DelayShape is the gamma shape of that delay (Bi et al. 2020: 2.1).
	DelayShape float64 `yaml:"delay_shape"`
	// TestNotified tests notified people on the day they are notified
	// (positive if infected and past MinLatentDays), as Vietnam tested
	// every F1 contact in 2020.
	TestNotified bool `yaml:"test_notified"`
	// UploadCompliance is the chance that an app user who tests positive
	// uploads their keys. An assumption.
	UploadCompliance float64 `yaml:"upload_compliance"`
}

// Quarantine is what notified people and positive cases do.
type Quarantine struct {
	// Compliance is the chance that a notified person quarantines. An
	// assumption.
	Compliance float64 `yaml:"compliance"`
	// Days is how long a notified person quarantines, from the day of
	// notification. 14: Vietnam's Ministry of Health rule for F1 contacts
	// in 2020, and the CDC's until December 2020 (the maximum incubation).
	Days int `yaml:"days"`
	// Household also quarantines the household of a notified person who
	// complies (their household contacts continue).
	Household bool `yaml:"household"`
	// IsolateCases isolates every positive case from the day of the result
	// until the end of their infectiousness, with no contacts at all,
	// household included (Vietnam hospitalised every case in 2020).
	IsolateCases bool `yaml:"isolate_cases"`
}

// ManualTracing is contact tracing by health workers: positive cases join
// a FIFO queue, and each day up to CapacityPerDay of them are interviewed.
type ManualTracing struct {
	// Enabled turns manual tracing on.
	Enabled bool `yaml:"enabled"`
	// CapacityPerDay is the number of index cases traced per day.
	CapacityPerDay int `yaml:"capacity_per_day"`
	// Fraction is the share of an index case's close contacts that the
	// interview finds (an assumption; Kretzschmar et al., Lancet Public
	// Health 2020;5:e452, explore 20–100 % and take 80 % as good tracing).
	Fraction float64 `yaml:"fraction"`
	// DelayDays is the time from the positive result to the interview
	// (Kretzschmar et al. 2020 explore 0–3 days).
	DelayDays int `yaml:"delay_days"`
	// LookbackDays is how far before the test (or symptom onset, if
	// earlier) contacts are traced (ECDC, 2020: from 48 hours before onset).
	LookbackDays int `yaml:"lookback_days"`
}

// DefaultParams returns the cited defaults above. The layer is off by
// default; scenarios that model the epidemic turn it on.
func DefaultParams() Params {
	return Params{
		Enabled:           false,
		InitialInfections: 10,
		SeedDay:           0,
		History: History{
			IncubationMedianDays:       5.1,   // Lauer et al. 2020 (exp(1.621) = 5.06)
			IncubationLogSD:            0.418, // Lauer et al. 2020
			MinLatentDays:              1,
			ProfileShape:               2.1157, // He et al. 2020
			ProfileRate:                0.6898, // He et al. 2020
			ProfileShiftDays:           2.3066, // He et al. 2020
			InfectiousDaysAfterOnset:   10,     // Wölfel et al. 2020; CDC July 2020
			AsymptomaticFraction:       0.31,   // Buitrago-Garcia et al. 2020
			AsymptomaticInfectiousness: 0.5,    // between Buitrago-Garcia (0.35) and Byambasuren (0.58)
		},
		Transmission: Transmission{
			Beta:             0, // calibrate to TargetR0
			TargetR0:         2.5,
			NearFieldM:       1,
			DistanceExponent: 2,
			IndoorFactor:     1,
			OutdoorFactor:    1 / 18.7, // Nishiura et al. 2020
			VehicleFactor:    1,
		},
		Testing: Testing{
			Probability:      0.7,
			DelayMeanDays:    3.2, // Bi et al. 2020, contact-traced cases
			DelayShape:       2.1, // Bi et al. 2020
			TestNotified:     false,
			UploadCompliance: 0.8,
		},
		Quarantine: Quarantine{
			Compliance:   0.8,
			Days:         14,
			Household:    false,
			IsolateCases: true,
		},
		ManualTracing: ManualTracing{
			Enabled:        false,
			CapacityPerDay: 20,
			Fraction:       0.8,
			DelayDays:      1,
			LookbackDays:   2,
		},
	}
}

// Validate reports every parameter out of range, by YAML key, in the form
// "epidemic.key = value: want range" (the form scenarios turns into a
// located field error).
func (p Params) Validate() error {
	var errs []error
	bad := func(key string, v any, want string) {
		errs = append(errs, fmt.Errorf("epidemic.%s = %v: want %s", key, v, want))
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	prob := func(key string, x float64) {
		if !(x >= 0 && x <= 1) {
			bad(key, x, "0 <= x <= 1")
		}
	}
	between := func(key string, x, lo, hi float64) {
		if !(finite(x) && x >= lo && x <= hi) {
			bad(key, x, fmt.Sprintf("%g <= x <= %g", lo, hi))
		}
	}
	positive := func(key string, x, hi float64) {
		if !(finite(x) && x > 0 && x <= hi) {
			bad(key, x, fmt.Sprintf("0 < x <= %g", hi))
		}
	}
	ints := func(key string, x, lo, hi int) {
		if x < lo || x > hi {
			bad(key, x, fmt.Sprintf("%d <= x <= %d", lo, hi))
		}
	}

	ints("initial_infections", p.InitialInfections, 0, 10_000_000)
	ints("seed_day", p.SeedDay, 0, 36_500)

	h := p.History
	positive("history.incubation_median_days", h.IncubationMedianDays, 60)
	between("history.incubation_log_sd", h.IncubationLogSD, 0, 3)
	between("history.min_latent_days", h.MinLatentDays, 1, 30)
	positive("history.profile_shape", h.ProfileShape, 1000)
	if finite(h.ProfileShape) && h.ProfileShape > 0 && h.ProfileShape < 1 {
		// Below 1 the density is infinite at the start of infectiousness.
		bad("history.profile_shape", h.ProfileShape, "x >= 1")
	}
	positive("history.profile_rate", h.ProfileRate, 1000)
	between("history.profile_shift_days", h.ProfileShiftDays, 0, 30)
	positive("history.infectious_days_after_onset", h.InfectiousDaysAfterOnset, 60)
	prob("history.asymptomatic_fraction", h.AsymptomaticFraction)
	prob("history.asymptomatic_infectiousness", h.AsymptomaticInfectiousness)

	t := p.Transmission
	between("transmission.beta", t.Beta, 0, 1000)
	between("transmission.target_r0", t.TargetR0, 0, 50)
	if p.Enabled && t.Beta == 0 && t.TargetR0 == 0 {
		// Beta 0 means "calibrate to target_r0", which needs a target
		// (Model.CalibrateBeta).
		bad("transmission.target_r0", t.TargetR0, "x > 0 when transmission.beta is 0 (beta is calibrated to it)")
	}
	positive("transmission.near_field_m", t.NearFieldM, 100)
	between("transmission.distance_exponent", t.DistanceExponent, 0, 10)
	between("transmission.indoor_factor", t.IndoorFactor, 0, 100)
	between("transmission.outdoor_factor", t.OutdoorFactor, 0, 100)
	between("transmission.vehicle_factor", t.VehicleFactor, 0, 100)

	ts := p.Testing
	prob("testing.probability", ts.Probability)
	between("testing.delay_mean_days", ts.DelayMeanDays, 0, 60)
	positive("testing.delay_shape", ts.DelayShape, 1000)
	prob("testing.upload_compliance", ts.UploadCompliance)

	q := p.Quarantine
	prob("quarantine.compliance", q.Compliance)
	ints("quarantine.days", q.Days, 0, 365)

	m := p.ManualTracing
	ints("manual_tracing.capacity_per_day", m.CapacityPerDay, 0, 100_000_000)
	prob("manual_tracing.fraction", m.Fraction)
	ints("manual_tracing.delay_days", m.DelayDays, 0, 60)
	ints("manual_tracing.lookback_days", m.LookbackDays, 0, 60)
	return errors.Join(errs...)
}
