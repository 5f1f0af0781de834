package sim

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"sync"
)

// Result is what a run produces. Everything except Wall* and
// AgentDaysPerSecond is deterministic and covered by Hash.
type Result struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	Agents   int    `json:"agents"`
	Days     int    `json:"days"`
	// Ownership is the share of the population owning a smartphone.
	Ownership float64 `json:"ownership"`
	// Arms has one summary per scenario arm, in scenario order.
	Arms []ArmSummary `json:"arms"`
	// Daily is the per-day series of every arm (arm-major, day order).
	Daily []DayRow `json:"daily"`
	// Bands is the breakdown of verdicts by distance band, duration band,
	// venue type, environment and OS pair.
	Bands []BandRow `json:"bands"`
	// Detection is the share of app-to-app pairs in range of an index case
	// whose phones matched at least one sighting, by distance band.
	Detection []DetectionRow `json:"detection"`
	// FalsePositives breaks each arm's false alarms down by true distance
	// band and exposure duration.
	FalsePositives []FalsePositiveRow `json:"false_positives"`
	// Attenuation is a bounded reservoir of (true distance, observed
	// attenuation) samples per arm group, for the attenuation plot.
	Attenuation []AttenuationSample `json:"attenuation"`
	// Delays is the histogram of hours from first matched exposure to
	// notification, per arm, of every notification (true positives and
	// false alarms apart), the last bin censored.
	Delays []DelayRow `json:"delays"`
	// Pairs are the (index case, contact) pairs each arm's rule scored or
	// could have scored, with the rule's exposure summary, the ground truth
	// and the verdict (PairScore), arm by arm, then by day of diagnosis,
	// index case and contact: the ROC curves and the AUC come from them.
	Pairs []PairScore `json:"pairs"`
	// IndexCases are every arm's index cases with their own verdicts, in
	// (arm, day, person) order: the clusters the intervals resample.
	IndexCases []IndexCase `json:"index_cases"`
	// IndexCaseBands and IndexCaseDetection split each index case's
	// verdicts over the cells of Bands and the rows of Detection, in
	// (case, row) order, so that those tables' intervals resample index
	// cases too.
	IndexCaseBands     []IndexCaseBand      `json:"index_case_bands"`
	IndexCaseDetection []IndexCaseDetection `json:"index_case_detection"`
	// Areas are the verdicts per arm and census area (population.area),
	// nil for a town.
	Areas []AreaRow `json:"areas,omitempty"`
	// IndexCaseAreas split each index case's verdicts over the rows of
	// Areas by where the contact (or the person notified) lives, in
	// (case, row) order, so that the by_area intervals resample index
	// cases too; nil for a town.
	IndexCaseAreas []IndexCaseArea `json:"index_case_areas,omitempty"`
	// Epidemic holds the epidemic layer's run-wide outcomes (nil when the
	// layer is off); each arm's own are in Arms[i].Epidemic.
	Epidemic *EpidemicResult `json:"epidemic,omitempty"`
	// Privacy has one row per arm when the scenario's adversary is on
	// (nil otherwise): the sniffer network and the attacks' scores.
	Privacy []PrivacyRow `json:"privacy,omitempty"`
	// Hash is the SHA-256 (hex) of the deterministic tables above.
	Hash string `json:"output_hash"`

	// Not hashed: timing.
	Workers            int     `json:"workers"`
	WallSeconds        float64 `json:"wall_seconds"`
	AgentDaysPerSecond float64 `json:"agent_days_per_second"`
	// CPUSeconds is the process's CPU time (user and system) while the
	// days ran, and Phases splits the days' time by phase (0 where the
	// system does not report CPU time).
	CPUSeconds float64     `json:"cpu_seconds"`
	Phases     []PhaseTime `json:"phases"`
	// ParallelCPUSeconds is the part of CPUSeconds spent in sections whose
	// work is split across the workers; the rest ran on one goroutine
	// (the serial fraction is 1 - ParallelCPUSeconds/CPUSeconds).
	ParallelCPUSeconds float64 `json:"parallel_cpu_seconds"`

	build *caseBuild // the index cases while the run is scored
}

// cases returns the index-case collector, creating it on first use.
func (r *Result) cases() *caseBuild {
	if r.build == nil {
		r.build = &caseBuild{}
	}
	return r.build
}

// Counts are verdict counts against ground truth.
type Counts struct {
	// TP: close contacts of an index case who were notified for that case.
	TP int64 `json:"tp"`
	// FP: people notified for an index case who were not its close contact.
	FP int64 `json:"fp"`
	// FN: close contacts not notified.
	FN int64 `json:"fn"`
	// TN: people within radio range of an index case in its infectious
	// window, not close contacts, and not notified.
	TN int64 `json:"tn"`
}

// Precision is TP / (TP + FP) (0 when nothing was notified).
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN).
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// FPR is FP / (FP + TN), the false-positive rate among negatives.
func (c Counts) FPR() float64 { return ratio(c.FP, c.FP+c.TN) }

func (c *Counts) add(o Counts) { c.TP += o.TP; c.FP += o.FP; c.FN += o.FN; c.TN += o.TN }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ArmSummary is one arm's totals over the run.
type ArmSummary struct {
	Name     string  `json:"name"`
	Protocol string  `json:"protocol"`
	Adoption float64 `json:"adoption"`
	// IndexCases were diagnosed; Uploads of them uploaded keys.
	IndexCases int64 `json:"index_cases"`
	Uploads    int64 `json:"uploads"`
	// CloseContacts are (index case, contact) pairs that were close
	// contacts in the infectious window; AppCloseContacts those where both
	// had the app installed.
	CloseContacts    int64 `json:"close_contacts"`
	AppCloseContacts int64 `json:"app_close_contacts"`
	Counts
	// Notifications are (index case, notified person) pairs.
	Notifications int64   `json:"notifications"`
	Precision     float64 `json:"precision"`
	// Recall equals Coverage: recall over all close contacts.
	Recall float64 `json:"recall"`
	// Capture is recall among close contacts where both had the app.
	Capture float64 `json:"capture"`
	// Coverage is recall over all close contacts.
	Coverage          float64 `json:"coverage"`
	FalsePositiveRate float64 `json:"false_positive_rate"`
	// MatchedSightings counts (upload, stored sighting) matches the arm's
	// phones made; a sighting held over several days of uploads counts
	// once per matching upload.
	MatchedSightings int64 `json:"matched_sightings"`
	// Sightings is how many sightings the arm's phones stored of
	// advertisers who upload while the phones hold them (of every
	// advertiser when engine.all_sightings is on).
	Sightings int64 `json:"sightings"`
	// Epidemic is the arm's epidemic outcome (nil when the layer is off).
	Epidemic *ArmEpidemic `json:"epidemic,omitempty"`
}

// ArmEpidemic is one epidemic run's outcome: an arm's (driven by its own
// notifications) or the paired run without the app.
type ArmEpidemic struct {
	// Infections counts everyone infected, seed cases included;
	// AttackRate is Infections over the population.
	Infections int64   `json:"infections"`
	AttackRate float64 `json:"attack_rate"`
	// InfectionsAverted is the counterfactual's new infections less the
	// arm's (paired runs, common random numbers); Averted is that as a
	// share of the counterfactual's. Zero for the counterfactual itself.
	InfectionsAverted int64   `json:"infections_averted"`
	Averted           float64 `json:"averted"`
	// REff is the case-weighted mean cohort reproduction number over the
	// cohorts infected after the seed day that finished being infectious
	// by the end (all cohorts after the seed day if none did); REffCohorts
	// is how many days' cohorts it averages.
	REff        float64 `json:"r_eff"`
	REffCohorts int     `json:"r_eff_cohorts"`
	// REffCompleteCases are the cases in the cohorts that finished being
	// infectious (0 when REff fell back to unfinished ones).
	REffCompleteCases int64 `json:"r_eff_complete_cases"`
	// PeakInfectious people on PeakDay.
	PeakInfectious int64 `json:"peak_infectious"`
	PeakDay        int   `json:"peak_day"`
	// Positives are diagnosed cases (the index cases); Uploads those that
	// uploaded keys.
	Positives int64 `json:"positives"`
	Uploads   int64 `json:"uploads"`
	// AppNotifications and ManualNotifications count people told (one per
	// person and day); NotificationsPerIndex is app notifications per
	// uploading index case.
	AppNotifications      int64   `json:"app_notifications"`
	ManualNotifications   int64   `json:"manual_notifications"`
	NotificationsPerIndex float64 `json:"notifications_per_index"`
	// Notified are distinct people notified; NotifiedInfected those
	// infected within 14 days of their first notice, and
	// SecondaryAttackRate the share.
	Notified            int64   `json:"notified"`
	NotifiedInfected    int64   `json:"notified_infected"`
	SecondaryAttackRate float64 `json:"secondary_attack_rate"`
	// QuarantinePersonDays are days people spent confined (quarantine and
	// isolation); QuarantineUninfectedDays those spent by people not
	// infected at the time.
	QuarantinePersonDays     int64 `json:"quarantine_person_days"`
	QuarantineUninfectedDays int64 `json:"quarantine_uninfected_days"`
}

// EpidemicResult is the epidemic layer's run-wide output.
type EpidemicResult struct {
	// Beta is the transmission scale used (calibrated when the scenario
	// left it 0) and TargetR0 the R0 it was calibrated to.
	Beta     float64 `json:"beta"`
	TargetR0 float64 `json:"target_r0"`
	// SeedDay is the day of the initial infections and GenerationDays the
	// model's mean generation interval (epidemic.Model.MeanGenerationDays):
	// together they say when the epidemic has had time to show its
	// outcomes (EpidemicShortfall).
	SeedDay        int     `json:"seed_day"`
	GenerationDays float64 `json:"generation_days"`
	// Counterfactual is the paired run without the app.
	Counterfactual ArmEpidemic `json:"counterfactual"`
	// Daily is every run's day (arms in order, then "no-app").
	Daily []EpidemicDay `json:"daily"`
	// Rt is every run's cohort reproduction number by infection day.
	Rt []RtRow `json:"rt"`
}

// EpidemicDay is one run's day.
type EpidemicDay struct {
	Arm                 string `json:"arm"`
	Day                 int    `json:"day"`
	NewInfections       int64  `json:"new_infections"`
	Infectious          int64  `json:"infectious"`
	Recovered           int64  `json:"recovered"`
	Positives           int64  `json:"positives"`
	Uploads             int64  `json:"uploads"`
	AppNotifications    int64  `json:"app_notifications"`
	ManualNotifications int64  `json:"manual_notifications"`
	Quarantined         int64  `json:"quarantined"`
}

// RtRow is the cohort reproduction number of the people infected on Day
// in one run; Complete is false while the cohort may still infect.
type RtRow struct {
	Arm       string  `json:"arm"`
	Day       int     `json:"day"`
	Cases     int64   `json:"cases"`
	Secondary int64   `json:"secondary"`
	R         float64 `json:"r"`
	Complete  bool    `json:"complete"`
}

// DayRow is one arm's day.
type DayRow struct {
	Arm           string  `json:"arm"`
	Day           int     `json:"day"`
	Date          string  `json:"date"`
	Adoption      float64 `json:"adoption"`
	IndexCases    int64   `json:"index_cases"`
	Uploads       int64   `json:"uploads"`
	CloseContacts int64   `json:"close_contacts"`
	Counts
	Notifications int64 `json:"notifications"`
	// Sightings stored that day by the arm's phones.
	Sightings int64 `json:"sightings"`
}

// BandRow is one cell of a breakdown: verdict counts for the close
// contacts and negatives of index cases falling in Band of Dimension.
type BandRow struct {
	Arm       string `json:"arm"`
	Dimension string `json:"dimension"` // distance, duration, venue, environment, os_pair
	Band      string `json:"band"`
	Counts
	// AppTP and AppFN count only contacts where both had the app.
	AppTP int64 `json:"app_tp"`
	AppFN int64 `json:"app_fn"`
}

// DetectionRow is detection by distance band among pairs where both phones
// had the app.
type DetectionRow struct {
	Arm      string `json:"arm"`
	Band     string `json:"band"`
	Pairs    int64  `json:"pairs"`
	Detected int64  `json:"detected"`
}

// AttenuationSample is one scan's observed attenuation at a true distance.
type AttenuationSample struct {
	// Arm is the protocol group the sample comes from: the protocol name,
	// with "-uncalibrated" appended when its arms are not calibrated. Arms
	// of one group hear the same packets, so they share samples.
	Arm           string  `json:"arm"`
	Environment   string  `json:"environment"`
	DistanceM     float64 `json:"distance_m"`
	AttenuationDB float64 `json:"attenuation_db"`
}

// DelayRow is one bin of the delay histograms: notifications whose first
// matched exposure was Hours (rounded down) before the notification, the
// true positives and the false alarms apart. The last bin, Censored,
// holds every delay of Hours or more: the exposure began at or before the
// start of the index case's infectious window, before which no key was
// published, so its real delay is known only to be at least Hours.
type DelayRow struct {
	Arm           string `json:"arm"`
	Hours         int    `json:"hours"`
	TruePositives int64  `json:"true_positives"`
	FalseAlarms   int64  `json:"false_alarms"`
	Censored      bool   `json:"censored"`
}

// hashView is what Result.Hash covers: the deterministic fields, encoded
// as the JSON of this struct.
type hashView struct {
	Scenario    string
	Seed        uint64
	Agents      int
	Days        int
	Ownership   float64
	Arms        []ArmSummary
	Daily       []DayRow
	Bands       []BandRow
	Detection   []DetectionRow
	Attenuation []AttenuationSample
	Delays      []DelayRow
	IndexCases  []IndexCase
	CaseBands   []IndexCaseBand
	CaseDetect  []IndexCaseDetection
	Epidemic    *EpidemicResult `json:",omitempty"`
	FalsePos    []FalsePositiveRow
	Pairs       []PairScore     `json:",omitempty"`
	Areas       []AreaRow       `json:",omitempty"`
	CaseAreas   []IndexCaseArea `json:",omitempty"`
	Privacy     []PrivacyRow    `json:",omitempty"`
}

func (r *Result) hashView() hashView {
	return hashView{r.Scenario, r.Seed, r.Agents, r.Days, r.Ownership, r.Arms, r.Daily, r.Bands, r.Detection, r.Attenuation, r.Delays,
		r.IndexCases, r.IndexCaseBands, r.IndexCaseDetection, r.Epidemic, r.FalsePositives, r.Pairs, r.Areas, r.IndexCaseAreas, r.Privacy}
}

// computeHash fills r.Hash: the SHA-256 of json.Marshal(r.hashView()),
// written to the hash field by field and element by element, so that a
// large run's JSON (its index cases and pairs) is never held whole
// (TestStreamedHashIsMarshal).
func (r *Result) computeHash() error {
	h := sha256.New()
	bw := bufio.NewWriterSize(h, 64<<10)
	if err := r.hashView().stream(bw, max(1, r.Workers), hashBatch); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	r.Hash = hex.EncodeToString(h.Sum(nil))
	return nil
}

// hashBatch is how many elements of a slice one goroutine encodes at a
// time when the hash is computed with several workers.
const hashBatch = 2048

// stream writes exactly json.Marshal(v) to w. A slice longer than batch
// elements is encoded by up to workers goroutines, batch elements each,
// and written in order: the bytes do not depend on either.
func (v hashView) stream(w io.Writer, workers, batch int) error {
	j := &jsonStream{w: w, first: true, workers: workers, batch: batch}
	j.raw("{")
	j.field("Scenario", v.Scenario)
	j.field("Seed", v.Seed)
	j.field("Agents", v.Agents)
	j.field("Days", v.Days)
	j.field("Ownership", v.Ownership)
	streamSlice(j, "Arms", v.Arms, false)
	streamSlice(j, "Daily", v.Daily, false)
	streamSlice(j, "Bands", v.Bands, false)
	streamSlice(j, "Detection", v.Detection, false)
	streamSlice(j, "Attenuation", v.Attenuation, false)
	streamSlice(j, "Delays", v.Delays, false)
	streamSlice(j, "IndexCases", v.IndexCases, false)
	streamSlice(j, "CaseBands", v.CaseBands, false)
	streamSlice(j, "CaseDetect", v.CaseDetect, false)
	if v.Epidemic != nil {
		j.field("Epidemic", v.Epidemic)
	}
	streamSlice(j, "FalsePos", v.FalsePos, false)
	streamSlice(j, "Pairs", v.Pairs, true)
	streamSlice(j, "Areas", v.Areas, true)
	streamSlice(j, "CaseAreas", v.CaseAreas, true)
	streamSlice(j, "Privacy", v.Privacy, true)
	j.raw("}")
	return j.err
}

// jsonStream writes a JSON object piece by piece.
type jsonStream struct {
	w     io.Writer
	err   error
	first bool
	// workers and batch split a long slice's encoding (streamSlice).
	workers, batch int
	bufs           []bytes.Buffer
}

func (j *jsonStream) raw(s string) {
	if j.err == nil {
		_, j.err = io.WriteString(j.w, s)
	}
}

func (j *jsonStream) value(v any) {
	if j.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(b)
}

func (j *jsonStream) key(name string) {
	if !j.first {
		j.raw(",")
	}
	j.first = false
	j.raw(`"` + name + `":`)
}

func (j *jsonStream) field(name string, v any) {
	j.key(name)
	j.value(v)
}

// streamSlice writes field name holding s as json.Marshal does: null for
// nil, the elements in brackets otherwise; with omitEmpty (the field's
// omitempty) nothing at all for an empty s.
func streamSlice[T any](j *jsonStream, name string, s []T, omitEmpty bool) {
	if omitEmpty && len(s) == 0 {
		return
	}
	j.key(name)
	if s == nil {
		j.raw("null")
		return
	}
	j.raw("[")
	if j.workers > 1 && j.batch > 0 && len(s) > j.batch {
		streamParallel(j, s)
	} else {
		for i := range s {
			if i > 0 {
				j.raw(",")
			}
			j.value(s[i])
		}
	}
	j.raw("]")
}

// streamParallel writes s's elements, comma-separated, as streamSlice
// does, encoding rounds of j.workers batches of j.batch elements in
// parallel and writing each round's batches in order: the bytes are the
// same, the encoding (most of the hash's CPU, which is serial otherwise)
// is shared, and at most a round's JSON is held at once.
func streamParallel[T any](j *jsonStream, s []T) {
	for len(j.bufs) < j.workers {
		j.bufs = append(j.bufs, bytes.Buffer{})
	}
	errs := make([]error, j.workers)
	for base := 0; base < len(s) && j.err == nil; base += j.workers * j.batch {
		var wg sync.WaitGroup
		for p := range j.workers {
			lo := base + p*j.batch
			if lo >= len(s) {
				break
			}
			hi := min(lo+j.batch, len(s))
			wg.Go(func() {
				buf := &j.bufs[p]
				buf.Reset()
				for i := lo; i < hi; i++ {
					if i > 0 {
						buf.WriteByte(',')
					}
					b, err := json.Marshal(s[i])
					if err != nil {
						errs[p] = err
						return
					}
					buf.Write(b)
				}
			})
		}
		wg.Wait()
		for p := range j.workers {
			if j.err == nil && errs[p] != nil {
				j.err = errs[p]
			}
			if j.err == nil && base+p*j.batch < len(s) {
				_, j.err = j.w.Write(j.bufs[p].Bytes())
			}
		}
	}
}
