package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/privacy"
	"github.com/bluesim/bluesim/scenarios"
	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
	"github.com/bluesim/bluesim/table"
)

// Num is a float64 that encodes as a plain JSON number, or as null when it
// is NaN or infinite (an undefined ratio, such as precision when nothing
// was notified). Decoding null gives NaN.
type Num float64

// MarshalJSON implements json.Marshaler.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// Who index cases are drawn from (scenario key diagnosis.among).
const (
	AmongEveryone = "everyone"
	AmongAppUsers = "app_users"
)

// Options tell the outputs what the result alone does not.
type Options struct {
	// DiagnosedAmong is the scenario's diagnosis.among: AmongEveryone
	// ("" means that, the default) or AmongAppUsers. It decides the
	// pairwise law: with index cases drawn from everyone both people of a
	// pair need the app, so coverage ≈ capture × a²; with index cases drawn
	// from app users only the contact does, so coverage ≈ capture × a.
	DiagnosedAmong string
	// Census is the scenario's census area, scale and level (nil for a
	// town); WriteRun fills it from the scenario.
	Census *Census
	// ArmSeries maps each arm's name to the curve it belongs to in the
	// figures against adoption: arms that differ only in adoption (same
	// protocol, calibration and rule) share one (see ArmSeries). Nil when
	// the scenario is unknown: each arm is then a curve of its own.
	ArmSeries map[string]string
	// PairScores writes tables/pair_scores (scenario key
	// metrics.pair_scores); the AUC is reported either way.
	PairScores bool
	// Arms, when it holds Arm's summary of every arm of the result in
	// order (WriteRun fills it), is used instead of computing them again
	// for the summary, the arms table and each figure: an arm's AUC
	// interval resamples every scored pair, which took most of the 3.5
	// minutes of writing a whole-province run's outputs when it was
	// computed four times.
	Arms []ArmSummary
}

// ArmSummaries is Arm for every arm of r, in order: o.Arms when it holds
// them (each caller gets its own copy of their maps), else computed now.
func ArmSummaries(r *sim.Result, o Options) []ArmSummary {
	out := make([]ArmSummary, len(r.Arms))
	if len(o.Arms) == len(r.Arms) {
		same := true
		for i := range r.Arms {
			same = same && o.Arms[i].Name == r.Arms[i].Name
		}
		if same {
			for i := range out {
				out[i] = o.Arms[i]
				out[i].Unestimable = maps.Clone(o.Arms[i].Unestimable)
			}
			return out
		}
	}
	for i, a := range r.Arms {
		out[i] = Arm(r, a, o)
	}
	return out
}

// Series returns the label of the curve arm belongs to (the arm's own
// name when ArmSeries does not say).
func (o Options) Series(arm string) string {
	if s, ok := o.ArmSeries[arm]; ok {
		return s
	}
	return arm
}

// ArmSeries groups the scenario's arms into curves against adoption: arms
// of one family (scenarios.Arm.Family: same protocol, calibration and
// rule) form one curve, labelled with the protocol when it is the
// protocol's only family in the run, else with its arms' names.
func ArmSeries(sc scenarios.Scenario) (map[string]string, error) {
	type family struct {
		key, protocol string
		arms          []string
	}
	var fams []*family
	perProtocol := map[string]int{}
	for _, a := range sc.Arms {
		key, err := a.Family()
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(fams, func(f *family) bool { return f.key == key })
		if i < 0 {
			fams = append(fams, &family{key: key, protocol: a.Protocol})
			perProtocol[a.Protocol]++
			i = len(fams) - 1
		}
		fams[i].arms = append(fams[i].arms, a.Name)
	}
	out := map[string]string{}
	for _, f := range fams {
		label := f.protocol
		if perProtocol[f.protocol] > 1 {
			label = strings.Join(f.arms, ", ")
		}
		for _, a := range f.arms {
			out[a] = label
		}
	}
	return out, nil
}

func (o Options) among() string {
	if o.DiagnosedAmong == "" {
		return AmongEveryone
	}
	return o.DiagnosedAmong
}

// LawExponent is k in the pairwise law coverage ≈ capture × adoption^k.
func (o Options) LawExponent() float64 {
	if o.among() == AmongAppUsers {
		return 1
	}
	return 2
}

// SummaryFormat names the layout of summary.json; it changes only when a
// key is removed or changes meaning.
const SummaryFormat = "bluesim-run/1"

// Summary is summary.json. Keys are stable snake_case and documented in
// the README. Everything except Workers, WallSeconds, AgentDaysPerSecond,
// PeakRSSBytes, PeakRSSSource, BytesPerAgent and OutputHash is
// deterministic and covered by OutputHash.
type Summary struct {
	Format   string `json:"format"`
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	Agents   int    `json:"agents"`
	Days     int    `json:"days"`
	// Start is the first simulated date (YYYY-MM-DD), "" when unknown.
	Start string `json:"start"`
	// DiagnosedAmong is who index cases were drawn from: "everyone" or
	// "app_users" (scenario key diagnosis.among).
	DiagnosedAmong string `json:"diagnosed_among"`
	// SmartphoneOwnership is the share of the population with a phone.
	SmartphoneOwnership Num          `json:"smartphone_ownership"`
	Arms                []ArmSummary `json:"arms"`
	// ScenarioHash is the SHA-256 of the resolved scenario
	// (scenarios.Hash, with engine.workers cleared since it changes no
	// result), "" when the caller did not give the scenario.
	ScenarioHash string `json:"scenario_hash"`
	// ResultHash is the engine's own hash of its result (sim.Result.Hash).
	ResultHash string `json:"result_hash"`
	// CIMethod names how the intervals were computed (CIMethod);
	// MinIndexCases is the fewest index cases a share needs (see
	// ArmSummary.Unestimable).
	CIMethod      string `json:"ci_method"`
	MinIndexCases int    `json:"min_index_cases"`
	// AUCMethod names how the arms' AUC intervals were computed.
	AUCMethod string `json:"auc_method"`
	// Epidemic is the epidemic layer's run-wide outcome, absent when the
	// scenario's epidemic is off.
	Epidemic *EpidemicSummary `json:"epidemic,omitempty"`
	// Attenuation contrasts the attenuation the phones saw near and far
	// (findings.go); absent with too few samples.
	Attenuation *AttenuationReading `json:"attenuation,omitempty"`
	// DelayCensoredHours is the hours of the delay histograms' last bin,
	// which holds every delay of that many hours or more: the exposure
	// began at or before the start of the index case's infectious window,
	// before which no key is published, so its delay is censored (known
	// only to be at least that). Null when no notification fell in it.
	DelayCensoredHours Num `json:"delay_censored_hours"`
	// Census describes a census population (scenario key
	// population.area), absent for a synthetic town.
	Census *Census `json:"census,omitempty"`
	// Tables and Plots list the files written, relative to the folder.
	Tables []string `json:"tables"`
	Plots  []string `json:"plots"`
	// Files lists every file of the folder, this one included, relative
	// to it and sorted: after a run the folder holds exactly these (an
	// earlier run's other files are removed).
	Files []string `json:"files"`

	// Not deterministic: how the run went on this machine.
	Workers            int    `json:"workers"`
	WallSeconds        Num    `json:"wall_seconds"`
	AgentDaysPerSecond Num    `json:"agent_days_per_second"`
	PeakRSSBytes       int64  `json:"peak_rss_bytes"`
	PeakRSSSource      string `json:"peak_rss_source"`
	BytesPerAgent      Num    `json:"bytes_per_agent"`
	// OutputHash is the SHA-256 (hex) of the tables' CSV bytes and of this
	// summary's deterministic part (see Hash).
	OutputHash string `json:"output_hash"`
}

// ArmSummary is one protocol arm's totals with 95 % intervals that
// resample index cases (CIMethod).
type ArmSummary struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Adoption Num    `json:"adoption"`
	// IndexCases were diagnosed (app users only when DiagnosedAmong is
	// app_users); Uploads of them uploaded keys.
	IndexCases int64 `json:"index_cases"`
	Uploads    int64 `json:"uploads"`
	// CloseContacts are (index case, person) close-contact pairs in the
	// infectious window; AppCloseContacts those where both had the app.
	CloseContacts    int64 `json:"close_contacts"`
	AppCloseContacts int64 `json:"app_close_contacts"`
	TP               int64 `json:"tp"`
	FP               int64 `json:"fp"`
	FN               int64 `json:"fn"`
	TN               int64 `json:"tn"`
	Notifications    int64 `json:"notifications"`
	Precision        Num   `json:"precision"`
	PrecisionCILow   Num   `json:"precision_ci_low"`
	PrecisionCIHigh  Num   `json:"precision_ci_high"`
	Recall           Num   `json:"recall"`
	Capture          Num   `json:"capture"`
	CaptureCILow     Num   `json:"capture_ci_low"`
	CaptureCIHigh    Num   `json:"capture_ci_high"`
	Coverage         Num   `json:"coverage"`
	CoverageCILow    Num   `json:"coverage_ci_low"`
	CoverageCIHigh   Num   `json:"coverage_ci_high"`
	// PairwiseCoverage is capture × adoption² (capture × adoption when
	// index cases are drawn from app users only): what coverage would be
	// if installs were independent of who meets whom.
	PairwiseCoverage        Num   `json:"pairwise_coverage"`
	FalsePositiveRate       Num   `json:"false_positive_rate"`
	FalsePositiveRateCILow  Num   `json:"false_positive_rate_ci_low"`
	FalsePositiveRateCIHigh Num   `json:"false_positive_rate_ci_high"`
	MatchedSightings        int64 `json:"matched_sightings"`
	Sightings               int64 `json:"sightings"`
	// AUC is the area under the ROC curve of the arm's rule: the chance
	// that a close contact's score (the rule's decision statistic, see
	// sim.PairScore) is above that of a pair that was not one, over the
	// pairs the rule could score; AUCCILow and AUCCIHigh its 95 %
	// bootstrap interval over index cases (AUCMethod).
	AUC       Num `json:"auc"`
	AUCCILow  Num `json:"auc_ci_low"`
	AUCCIHigh Num `json:"auc_ci_high"`
	// Unestimable names each quantity that is null because the run is too
	// small to estimate it, with the reason and what to enlarge
	// ("capture": "only 3 index cases with close contacts where both had
	// the app; need 10: raise ..."). Empty when everything was estimated.
	Unestimable map[string]string `json:"unestimable"`
	// Epidemic is the arm's epidemic outcome (its own epidemic, driven by
	// its notifications, against the paired run without the app); absent
	// when the scenario's epidemic is off.
	Epidemic *ArmEpidemic `json:"epidemic,omitempty"`
	// FalseAlarms breaks the false positives down by true distance and
	// exposure (findings.go); absent without false positives.
	FalseAlarms *FalseAlarms `json:"false_alarms,omitempty"`
	// MedianDelayHours is the hours within which half of the arm's
	// notifications, true positives and false alarms alike (every
	// notification, as tables/notification_delays.csv's cumulative_share),
	// came, counted from the first matched exposure; null without
	// notifications. When the median falls in the censored last bin
	// (Summary.DelayCensoredHours) MedianDelayCensored is true and the
	// value is that bin's hours: the median is at least that.
	MedianDelayHours    Num  `json:"median_delay_hours"`
	MedianDelayCensored bool `json:"median_delay_censored"`
	// TruePositiveMedianDelayHours and FalseAlarmMedianDelayHours are the
	// same median of the true positives alone and of the false alarms
	// alone, each with its censored flag.
	TruePositiveMedianDelayHours    Num  `json:"true_positive_median_delay_hours"`
	TruePositiveMedianDelayCensored bool `json:"true_positive_median_delay_censored"`
	FalseAlarmMedianDelayHours      Num  `json:"false_alarm_median_delay_hours"`
	FalseAlarmMedianDelayCensored   bool `json:"false_alarm_median_delay_censored"`
	// CensoredDelayShare is the share of the arm's notifications in the
	// censored last bin; null without notifications.
	CensoredDelayShare Num `json:"censored_delay_share"`
	// Privacy is what the scenario's adversary learnt about the arm's
	// users (package privacy; keys privacy.* in the README); absent when
	// the adversary is off. Its null values are named in Unestimable
	// ("privacy.home_share") with the reason.
	Privacy *privacy.Result `json:"privacy,omitempty"`
}

// EpidemicSummary is summary.json's "epidemic" object.
type EpidemicSummary struct {
	// Beta is the transmission scale used, calibrated to TargetR0 when
	// the scenario left transmission.beta at 0.
	Beta     Num `json:"beta"`
	TargetR0 Num `json:"target_r0"`
	// NoApp is the paired run of the same world without any app.
	NoApp ArmEpidemic `json:"no_app"`
	// SeedDay is the day of the first infections and GenerationDays the
	// model's mean generation interval; DaysNeeded is how many days from
	// the seed day a run must last before r_eff and infections averted
	// are reported (sim.EpidemicGenerations intervals).
	SeedDay        int `json:"seed_day"`
	GenerationDays Num `json:"generation_days"`
	DaysNeeded     int `json:"days_needed"`
	// Unestimable names the no-app run's outcomes that are null, with the
	// reason (as ArmSummary.Unestimable).
	Unestimable map[string]string `json:"unestimable"`
}

// Arm is the arm's numbers recomputed from its counts, with undefined
// ratios as NaN rather than the engine's 0, and with intervals from the
// arm's index cases in r. A share to which fewer than
// stats.MinIndexCases index cases contribute is NaN, interval included,
// and named in Unestimable with the reason.
func Arm(r *sim.Result, a sim.ArmSummary, o Options) ArmSummary {
	appTP, appN := appCounts(r, a.Name, a)
	s := ArmSummary{
		Name: a.Name, Protocol: a.Protocol, Adoption: Num(a.Adoption),
		IndexCases: a.IndexCases, Uploads: a.Uploads,
		CloseContacts: a.CloseContacts, AppCloseContacts: a.AppCloseContacts,
		TP: a.TP, FP: a.FP, FN: a.FN, TN: a.TN, Notifications: a.Notifications,
		Precision:         Num(Ratio(a.TP, a.TP+a.FP)),
		Recall:            Num(Ratio(a.TP, a.TP+a.FN)),
		Capture:           Num(Ratio(appTP, appN)),
		Coverage:          Num(Ratio(a.TP, a.TP+a.FN)),
		FalsePositiveRate: Num(Ratio(a.FP, a.FP+a.TN)),
		MatchedSightings:  a.MatchedSightings, Sightings: a.Sightings,
		Unestimable: map[string]string{},
	}
	var why map[string]string
	s.Epidemic, why = armEpidemic(r, a.Epidemic, false)
	for k, v := range why {
		s.Unestimable[k] = v
	}
	var cases []sim.IndexCase
	for i := range r.Arms {
		if r.Arms[i].Name == a.Name {
			cases = r.ArmIndexCases(i)
		}
	}
	for _, q := range []struct {
		sh            share
		value, lo, hi *Num
	}{
		{shareCoverage, &s.Coverage, &s.CoverageCILow, &s.CoverageCIHigh},
		{shareCapture, &s.Capture, &s.CaptureCILow, &s.CaptureCIHigh},
		{sharePrecision, &s.Precision, &s.PrecisionCILow, &s.PrecisionCIHigh},
		{shareFPR, &s.FalsePositiveRate, &s.FalsePositiveRateCILow, &s.FalsePositiveRateCIHigh},
	} {
		sh := q.sh
		if o.Census != nil {
			// A census population's size is its scale of the census.
			sh.enlarge = strings.Replace(sh.enlarge, "population.size", "population.scale", 1)
		}
		e := estimateShare(cases, sh)
		*q.lo, *q.hi = Num(e.lo), Num(e.hi)
		if e.why != "" {
			*q.value = Num(math.NaN())
			s.Unestimable[q.sh.key] = e.why
		}
	}
	s.Recall = s.Coverage
	if why, ok := s.Unestimable["coverage"]; ok {
		s.Unestimable["recall"] = why
	}
	s.AUC, s.AUCCILow, s.AUCCIHigh = Num(math.NaN()), Num(math.NaN()), Num(math.NaN())
	for i := range r.Arms {
		// A result without any pair scores (one built by hand, not by
		// the engine) has no AUC to speak of: null, without a reason.
		if r.Arms[i].Name == a.Name && len(r.Pairs) > 0 {
			e := aucEstimate(r, i)
			s.AUC, s.AUCCILow, s.AUCCIHigh = Num(e.value), Num(e.lo), Num(e.hi)
			if e.why != "" {
				s.Unestimable["auc"] = e.why
			}
		}
	}
	s.PairwiseCoverage = Num(float64(s.Capture) * math.Pow(a.Adoption, o.LawExponent()))
	if why, ok := s.Unestimable["capture"]; ok {
		s.Unestimable["pairwise_coverage"] = why
	}
	if p := PrivacyRow(r, a.Name); p != nil {
		res := p.Result
		s.Privacy = &res
		for k, v := range privacyUnestimable(p) {
			s.Unestimable[k] = v
		}
	}
	s.FalseAlarms = falseAlarms(r, a.Name)
	setDelays(&s, r)
	return s
}

// appCounts returns true positives and close contacts among pairs where
// both had the app, from the venue breakdown (every contact has exactly
// one venue type), falling back to the engine's capture when the result
// has no breakdown.
func appCounts(r *sim.Result, arm string, a sim.ArmSummary) (tp, n int64) {
	found := false
	for _, b := range r.Bands {
		if b.Arm == arm && b.Dimension == "venue" {
			tp += b.AppTP
			n += b.AppTP + b.AppFN
			found = true
		}
	}
	if !found {
		n = a.AppCloseContacts
		tp = int64(math.Round(a.Capture * float64(n)))
	}
	return tp, n
}

// NewSummary builds the summary of r, without OutputHash, Tables and
// Plots, which the caller fills in once it knows them.
func NewSummary(r *sim.Result, o Options) *Summary {
	s := &Summary{
		Format: SummaryFormat, Scenario: r.Scenario, Seed: r.Seed, Agents: r.Agents, Days: r.Days,
		DiagnosedAmong:      o.among(),
		SmartphoneOwnership: Num(r.Ownership), ResultHash: r.Hash,
		Workers: r.Workers, WallSeconds: Num(r.WallSeconds), AgentDaysPerSecond: Num(r.AgentDaysPerSecond),
		Arms: []ArmSummary{}, Tables: []string{}, Plots: []string{}, Files: []string{},
		CIMethod: CIMethod, MinIndexCases: stats.MinIndexCases, AUCMethod: AUCMethod,
	}
	for _, d := range r.Daily {
		if d.Day == 0 {
			s.Start = d.Date
			break
		}
	}
	s.Arms = append(s.Arms, ArmSummaries(r, o)...)
	if e := r.Epidemic; e != nil {
		noApp, why := armEpidemic(r, &e.Counterfactual, true)
		s.Epidemic = &EpidemicSummary{Beta: Num(e.Beta), TargetR0: Num(e.TargetR0), NoApp: *noApp,
			SeedDay: e.SeedDay, GenerationDays: Num(e.GenerationDays), DaysNeeded: r.EpidemicDaysNeeded(), Unestimable: why}
	}
	s.Attenuation = attenuationReading(r)
	s.Census = censusSummary(r, o)
	s.DelayCensoredHours = delayCensoredHours(r)
	s.PeakRSSBytes, s.PeakRSSSource = PeakRSS()
	if r.Agents > 0 {
		s.BytesPerAgent = Num(float64(s.PeakRSSBytes) / float64(r.Agents))
	} else {
		s.BytesPerAgent = Num(math.NaN())
	}
	return s
}

// deterministic returns a copy without the fields that depend on the
// machine, the worker count or the clock.
func (s *Summary) deterministic() Summary {
	d := *s
	d.Workers = 0
	d.WallSeconds, d.AgentDaysPerSecond, d.BytesPerAgent = 0, 0, 0
	d.PeakRSSBytes, d.PeakRSSSource = 0, ""
	d.OutputHash = ""
	return d
}

// Hash returns the output hash: SHA-256 over each table's name and CSV
// bytes, in order, then the JSON of the summary's deterministic part. The
// same seed gives the same hash for any worker count; Parquet files and
// figures are derived from the same rows and left out, so a library
// upgrade that changes their bytes does not change the hash.
func Hash(tables []table.Table, s *Summary) (string, error) {
	h := sha256.New()
	for i := range tables {
		b, err := tables[i].CSV()
		if err != nil {
			return "", err
		}
		io.WriteString(h, "table "+tables[i].Name+" "+strconv.Itoa(len(b))+"\n")
		h.Write(b)
	}
	d := s.deterministic()
	b, err := json.Marshal(&d)
	if err != nil {
		return "", err
	}
	io.WriteString(h, "summary "+strconv.Itoa(len(b))+"\n")
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// JSON encodes the summary indented, with a final newline.
func (s *Summary) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadSummary decodes a summary.json.
func ReadSummary(r io.Reader) (*Summary, error) {
	var s Summary
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}
