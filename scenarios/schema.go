package scenarios

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/sim/epidemic"
	"github.com/bluesim/bluesim/tracing"
	"github.com/bluesim/bluesim/tracing/protocols"
)

// Scenario is everything one simulation run needs. It is plain data: the
// loader fills it from YAML over Default, sim.Run consumes it. Each field's
// doc comment is what `bluesim scenarios --show` prints next to it.
type Scenario struct {
	// Name identifies the scenario in outputs (summary.json "scenario").
	Name string `yaml:"name"`
	// Description is one line saying what the scenario is for.
	Description string `yaml:"description"`
	// Seed keys every random stream of the run; the same seed gives
	// byte-identical outputs for any number of workers.
	Seed uint64 `yaml:"seed"`
	// Days is the number of simulated days.
	Days int `yaml:"days"`
	// Start is the first simulated day (YYYY-MM-DD, UTC); it fixes the
	// weekday pattern and the protocols' key dates.
	Start Date `yaml:"start"`
	// Population describes the people, places and phones.
	Population agents.Params `yaml:"population"`
	// Experiment, when given, replaces the synthesised town (population
	// is then unused): named handsets at given positions in one venue,
	// each with its phone model, OS and carriage, for sessions of given
	// length, per_day sessions a day, each session a fresh set of people
	// and radio draws. Every handset is an index case on its session's
	// day, so every pair is scored both ways, against the ground truth of
	// the set geometry. The built-ins tram, queue, restaurant and room are
	// experiments.
	Experiment *agents.Experiment `yaml:"experiment"`
	// Radio is the BLE link model and the advertising/scanning schedules.
	// The arms' own Calibrated flags decide calibration per arm.
	Radio radio.Params `yaml:"radio"`
	// Contact is the ground-truth close-contact definition the apps are
	// judged against.
	Contact Contact `yaml:"contact"`
	// Arms are the protocol arms run over the same population and the same
	// contacts (common random numbers): each arm has a protocol, an
	// adoption level and a notification rule.
	Arms []Arm `yaml:"arms"`
	// Diagnosis says who becomes an index case and uploads keys.
	Diagnosis Diagnosis `yaml:"diagnosis"`
	// Metrics sets the bands of the detection breakdown tables.
	Metrics Metrics `yaml:"metrics"`
	// Engine holds the simulator's time resolution and parallelism.
	Engine Engine `yaml:"engine"`
	// Epidemic is the SARS-CoV-2 layer: natural history, transmission over
	// the ground-truth contacts, testing, quarantine and manual tracing.
	// Off by default (enabled: false), the diagnosis block picks the index
	// cases; on, the epidemic's diagnosed positives are the index cases,
	// each arm runs its own epidemic driven by its own notifications, and a
	// paired run without the app gives the infections averted. Left at its
	// defaults and off, it is not written out (so the canonical encoding
	// and hash of a detection-only scenario do not change).
	Epidemic epidemic.Params `yaml:"epidemic"`
	// Adversary is a network of passive BLE sniffers in the town and the
	// attacks it runs on what they log and on the published keys (package
	// privacy; the README's privacy section): per arm, how much of its app
	// users' time can be linked into tracks, and how many uploaders' days
	// and homes are found. Off by default (enabled: false); left at its
	// defaults and off, it is not written out, so a scenario without it
	// keeps its encoding and hash.
	Adversary privacy.Adversary `yaml:"adversary"`
}

// People is how many people the run simulates: population.size, or for
// an experiment one per handset and session.
func (sc *Scenario) People() int {
	if e := sc.Experiment; e != nil {
		return sc.Days * e.Sessions.PerDay * len(e.Handsets)
	}
	return sc.Population.Size
}

// Contact presets (radio.md §3.1).
const (
	ContactCDC       = "cdc"       // within 6 ft (1.83 m), cumulative 15 min in a day
	ContactECDC      = "ecdc"      // within 2 m, 15 min
	ContactSingapore = "singapore" // within 2 m, 30 min
	ContactCustom    = "custom"    // distance_m and minutes as given
)

// Contact is a close-contact definition: two people are close contacts on
// a day when they spend at least Minutes within DistanceM of each other,
// summed over the day.
type Contact struct {
	// Preset is cdc (1.83 m, 15 min), ecdc (2 m, 15 min), singapore (2 m,
	// 30 min) or custom (use distance_m and minutes). radio.md §3.1.
	Preset string `yaml:"preset"`
	// DistanceM is the close-contact distance in metres (custom only; a
	// preset overrides it).
	DistanceM float64 `yaml:"distance_m"`
	// Minutes is the cumulative time within DistanceM that makes a close
	// contact (custom only; a preset overrides it).
	Minutes float64 `yaml:"minutes"`
	// Window is how minutes add up: "day" (cumulative over the calendar
	// day, the CDC's "cumulative 15 minutes over 24 hours"). Only "day" is
	// supported.
	Window string `yaml:"window"`
}

// Resolved returns the distance and minutes the definition means, with a
// preset applied. It errors on an unknown preset.
func (c Contact) Resolved() (distanceM, minutes float64, err error) {
	switch c.Preset {
	case ContactCDC:
		return 1.83, 15, nil
	case ContactECDC:
		return 2, 15, nil
	case ContactSingapore:
		return 2, 30, nil
	case ContactCustom, "":
		return c.DistanceM, c.Minutes, nil
	}
	return 0, 0, fmt.Errorf("unknown contact preset %q (want cdc, ecdc, singapore or custom)", c.Preset)
}

// Arm is one protocol deployment judged against the shared ground truth.
type Arm struct {
	// Name labels the arm in outputs (default: protocol and adoption).
	Name string `yaml:"name"`
	// Protocol is the protocol the arm's app runs: bluezone, bluezone-v1,
	// gaen or dp3t (the table in package tracing/protocols).
	Protocol string `yaml:"protocol"`
	// Adoption is the fraction of the whole population that installs the
	// app (only smartphone owners can). Each person draws one uniform u;
	// they install when u is below the adoption scaled to owners, so
	// raising adoption never removes an installer.
	Adoption float64 `yaml:"adoption"`
	// AdoptionByArea sets the adoption of single areas of a census
	// population (population.area), by area slug (a district such as
	// my-loc, or a province such as ha-noi; the slugs of the by_area
	// table), each a share of that area's people; areas not listed keep
	// adoption. Installs stay nested: one draw per person, compared with
	// the person's area's adoption scaled to the area's smartphone owners.
	// An install ramp scales every area's adoption alike.
	AdoptionByArea map[string]float64 `yaml:"adoption_by_area"`
	// Ramp is an install campaign: adoption starts at Ramp.From on day 0
	// and rises linearly to Adoption over Ramp.Days (0: no ramp).
	Ramp Ramp `yaml:"ramp"`
	// Sniffers, when it places any sniffer, is this arm's own adversary
	// network (same keys as adversary.sniffers), so that arms can compare
	// sniffer densities in one run; otherwise the arm gets
	// adversary.sniffers. Used only with adversary.enabled.
	Sniffers privacy.Network `yaml:"sniffers"`
	// Calibrated applies GAEN's per-model TX/RX calibration, leaving only
	// the residual offsets (radio.md §1.2). GAEN apps are calibrated in
	// reality; Bluezone and DP-3T prototypes were not. This flag, not
	// radio.gaen_calibrated or radio.bluezone_calibrated, decides it in a
	// simulation run.
	Calibrated bool `yaml:"calibrated"`
	// Rule decides who is notified from the matched sightings. Its keys
	// are the arm's protocol's own rule parameters, documented below with
	// their defaults; keys left out keep the protocol's deployed rule.
	Rule tracing.RuleParams `yaml:"rule"`
}

// ProtocolArm returns an arm of protocol with its deployed defaults: the
// protocol's rule and calibration. An unknown protocol gets no rule (the
// validator names the protocol).
func ProtocolArm(name, protocol string, adoption float64) Arm {
	a := Arm{Name: name, Protocol: protocol, Adoption: adoption}
	if p, ok := protocols.Lookup(protocol); ok {
		a.Rule, a.Calibrated = p.DefaultRule(), p.Radio().Calibrated
	}
	return a
}

// syncRule gives the arm its protocol's default rule when it has none, or
// one of another protocol (after its protocol changed).
func (a *Arm) syncRule() {
	p, ok := protocols.Lookup(a.Protocol)
	if !ok {
		return
	}
	if def := p.DefaultRule(); a.Rule == nil || reflect.TypeOf(a.Rule) != reflect.TypeOf(def) {
		a.Rule = def
	}
}

// UnmarshalStrict decodes an arm (strictyaml.Unmarshaler): the protocol
// comes first, wherever the file puts it, because it decides what the
// rule block is. A new protocol starts from its deployed rule, which the
// block's keys then change. With an unknown protocol the rule block is
// skipped; the validator reports the protocol.
func (a *Arm) UnmarshalStrict(d *strictyaml.Decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.MappingNode {
		if pv, _ := strictyaml.FindKey(n, "protocol"); pv != nil {
			if pv = d.Resolve(pv, path); pv != nil && pv.Kind == yaml.ScalarNode && !strictyaml.IsNull(pv) {
				a.Protocol = pv.Value
			}
		}
		a.syncRule()
		if _, ok := protocols.Lookup(a.Protocol); !ok {
			if rv, _ := strictyaml.FindKey(n, "rule"); rv != nil {
				cp := *n
				cp.Content = nil
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i+1] != rv {
						cp.Content = append(cp.Content, n.Content[i], n.Content[i+1])
					}
				}
				n = &cp
			}
		}
	}
	before := len(d.Errs)
	d.DecodeStruct(reflect.ValueOf(a).Elem(), n, path)
	// A key of another protocol's rule: say whose it is.
	rule := strictyaml.JoinPath(path, "rule")
	for _, e := range d.Errs[before:] {
		key, ok := strings.CutPrefix(e.Msg, `unknown key "`)
		if !ok || e.Field != rule {
			continue
		}
		key, _, _ = strings.Cut(key, `"`)
		var owners []string
		for _, p := range protocols.All() {
			if info, err := strictyaml.Fields(reflect.TypeOf(p.DefaultRule())); err == nil && p.Name() != a.Protocol {
				if _, ok := info.ByName[key]; ok {
					owners = append(owners, p.Name())
				}
			}
		}
		if len(owners) > 0 {
			e.Msg += fmt.Sprintf(" (%s is a key of the %s rule, and this arm's protocol is %s)", key, check.Alternatives(owners), a.Protocol)
		}
	}
}

// UnmarshalYAML decodes an arm with the strict loader, for yaml.v3 users.
func (a *Arm) UnmarshalYAML(n *yaml.Node) error {
	d := strictyaml.NewDecoder("", nil)
	a.UnmarshalStrict(d, n, "")
	return d.Errs.Err()
}

// Ramp is an install campaign ramp.
type Ramp struct {
	// From is the adoption on day 0.
	From float64 `yaml:"from"`
	// Days is how many days adoption takes to reach the arm's Adoption.
	Days int `yaml:"days"`
}

// AdoptionOn returns the adoption in force on day d (0-based).
func (a Arm) AdoptionOn(d int) float64 {
	if a.Ramp.Days <= 0 || d >= a.Ramp.Days {
		return a.Adoption
	}
	return a.Ramp.From + (a.Adoption-a.Ramp.From)*float64(d)/float64(a.Ramp.Days)
}

// RampFactor is the share of its final adoption an arm has reached on day
// d: AdoptionOn(d) / Adoption (1 without a ramp, or when adoption is 0).
// adoption_by_area values are scaled by it.
func (a Arm) RampFactor(d int) float64 {
	if a.Ramp.Days <= 0 || d >= a.Ramp.Days || a.Adoption == 0 {
		return 1
	}
	return a.AdoptionOn(d) / a.Adoption
}

// Diagnosis says how index cases arise until the epidemic layer supplies
// real ones.
type Diagnosis struct {
	// DailyFraction is the daily probability that a person not yet
	// diagnosed (see Among) is diagnosed as an index case; each person is
	// diagnosed at most once.
	DailyFraction float64 `yaml:"daily_fraction"`
	// Among is who can be diagnosed: "everyone" (default; index cases
	// without the app cannot upload, so coverage follows the pairwise law
	// coverage ≈ capture × a²) or "app_users" (only people with the arm's
	// app, so coverage ≈ capture × a).
	Among string `yaml:"among"`
	// Compliance is the probability that a diagnosed app user uploads keys.
	Compliance float64 `yaml:"compliance"`
	// InfectiousDays is how many days before diagnosis the infectious
	// window starts (default 2: from two days before diagnosis to the
	// diagnosis day). Uploads cover this window.
	InfectiousDays int `yaml:"infectious_days"`
	// FirstDay is the first day (0-based) with diagnoses; it defaults to
	// InfectiousDays so that every index case has a full window of
	// contacts.
	FirstDay int `yaml:"first_day"`
}

// Metrics sets the bands of the breakdown tables.
type Metrics struct {
	// DistanceBandsM are the upper edges in metres of the distance bands
	// (by minimum distance of the pair that day); a last open band is added.
	DistanceBandsM []float64 `yaml:"distance_bands_m"`
	// DurationBandsMin are the upper edges in minutes of the duration bands
	// (minutes within the close-contact distance); a last open band is added.
	DurationBandsMin []float64 `yaml:"duration_bands_min"`
	// AttenuationSamples is the size of the reservoir of (true distance,
	// observed attenuation) samples kept for the attenuation plot.
	AttenuationSamples int `yaml:"attenuation_samples"`
	// PairScores writes tables/pair_scores: per arm and (index case,
	// contact) pair the arm's rule could score, the protocol's exposure
	// summary, the ground truth and the verdict (one row per pair: large
	// for a big town). The ROC curves and the AUC are computed either way.
	PairScores bool `yaml:"pair_scores"`
}

// Engine holds the simulator's resolution and parallelism.
type Engine struct {
	// PoseMinutes is how often people moving freely (homes, markets) take
	// a new position; seated people keep theirs for the whole stay.
	PoseMinutes int `yaml:"pose_minutes"`
	// HomePoseMinutes is the same for people moving about at home, who
	// change place less often than shoppers.
	HomePoseMinutes int `yaml:"home_pose_minutes"`
	// RangeM is the radio range: pairs farther apart are neither sampled
	// by the radio nor counted as negatives. Beyond about 10 m indoors
	// the attenuation exceeds every deployed threshold (radio.md §3.2).
	RangeM float64 `yaml:"range_m"`
	// AllSightings samples the radio and stores sightings for every pair
	// of app users. By default only advertisers who upload keys within the
	// infectious window are sampled: no other sighting can ever match a
	// published key (IDs are 12 or 16 random bytes, so collisions are
	// negligible), so every output is the same and the run is many times
	// faster. Turn it on to measure the phones' full sighting stores.
	AllSightings bool `yaml:"all_sightings"`
	// ExactRadio runs the radio's per-window reference path. For
	// protocols that keep only the strongest record of each bucket of
	// time (Bluezone: each minute) every record of every scan window is
	// made (radio Model.Records) and folded into its bucket
	// (radio.KeepStrongest); for the others each window is scanned on its
	// own (Model.Scan). By default the radio prepares each link once for
	// all its windows (Model.Prepare) and makes each bucket's strongest
	// record directly (PreparedLink.Strongest), which gives exactly the
	// same records and reports, with the same packets and draws, at less
	// cost; the results are identical (the same result_hash), so this is
	// for checking that claim.
	ExactRadio bool `yaml:"exact_radio"`
	// Workers is the number of parallel workers (0: one per CPU). Results
	// are identical for any value.
	Workers int `yaml:"workers"`
	// RetentionDays is how many days of sightings a phone keeps, today
	// included (the apps keep 14). Only the part inside the infectious
	// window matters to an upload, so the engine holds at most that much;
	// a retention shorter than the window hides older sightings.
	RetentionDays int `yaml:"retention_days"`
}

// Default returns the built-in default scenario, "town": a Vietnamese town
// of 10,000 people over 14 days, Bluezone against GAEN (CWA rule) at 20 %
// and 40 % adoption (Vietnam reached about 20-40 % in August 2020,
// radio.md §4).
func Default() Scenario {
	return Scenario{
		Name:        "town",
		Description: "A Vietnamese town: Bluezone against GAEN at 20 % and 40 % adoption",
		Seed:        1,
		Days:        14,
		Start:       MustDate("2020-08-03"),
		Population:  agents.Default(10000),
		Radio:       radio.DefaultParams(),
		Contact:     Contact{Preset: ContactECDC, DistanceM: 2, Minutes: 15, Window: "day"},
		Arms: []Arm{
			BluezoneArm("bluezone-20", 0.2),
			BluezoneArm("bluezone-40", 0.4),
			GAENArm("gaen-20", 0.2),
			GAENArm("gaen-40", 0.4),
		},
		Diagnosis: Diagnosis{DailyFraction: 0.01, Among: "everyone", Compliance: 0.8, InfectiousDays: 2, FirstDay: 2},
		Metrics: Metrics{
			DistanceBandsM:     []float64{1, 2, 3, 5},
			DurationBandsMin:   []float64{5, 15, 30, 60},
			AttenuationSamples: 2000,
		},
		Engine:    Engine{PoseMinutes: 5, HomePoseMinutes: 30, RangeM: 10, Workers: 0, RetentionDays: 14},
		Epidemic:  epidemic.DefaultParams(),
		Adversary: privacy.DefaultAdversary(),
	}
}

// BluezoneArm is a Bluezone v2 arm with the deployed any-sighting rule.
func BluezoneArm(name string, adoption float64) Arm { return ProtocolArm(name, "bluezone", adoption) }

// GAENArm is a calibrated GAEN arm with the CWA rule.
func GAENArm(name string, adoption float64) Arm { return ProtocolArm(name, "gaen", adoption) }

// Date is a calendar day (UTC), written YYYY-MM-DD.
type Date struct{ t time.Time }

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("bad date %q (want YYYY-MM-DD)", s)
	}
	return Date{t.UTC()}, nil
}

// MustDate parses a date known to be valid (for defaults in code).
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Time returns midnight UTC of the day.
func (d Date) Time() time.Time { return d.t }

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.t.IsZero() }

func (d Date) String() string { return d.t.Format(time.DateOnly) }

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
