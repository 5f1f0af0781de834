package loadgen

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bluesim/bluesim/check"
	"github.com/bluesim/bluesim/internal/strictyaml"
	"github.com/bluesim/bluesim/tracing/keyserver"
)

// Kind is a kind of request.
type Kind int

// The request kinds.
const (
	Publish Kind = iota // a real upload of 14 keys with a signed token
	Chaff               // a chaff upload (X-Chaff: 1)
	Index               // GET index.txt
	Export              // GET one of the newest export files
	numKinds
)

var kindNames = [numKinds]string{"publish", "chaff", "index", "export"}

func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Mix weighs the request kinds; only the ratios matter.
type Mix struct {
	Publish float64 `yaml:"publish" json:"publish"`
	Chaff   float64 `yaml:"chaff" json:"chaff"`
	Index   float64 `yaml:"index" json:"index"`
	Export  float64 `yaml:"export" json:"export"`
}

func (m Mix) weights() [numKinds]float64 {
	return [numKinds]float64{m.Publish, m.Chaff, m.Index, m.Export}
}

// Validate checks the weights are finite, non-negative and not all zero.
func (m Mix) Validate() error {
	sum := 0.0
	for k, w := range m.weights() {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("mix weight %s=%v: want a finite number >= 0", Kind(k), w)
		}
		sum += w
	}
	if sum == 0 {
		return errors.New("mix weights are all zero")
	}
	return nil
}

// DefaultMix is the mix of flags-driven runs: mostly downloads, as at a
// CDN, some chaff and a few real publishes.
var DefaultMix = Mix{Publish: 1, Chaff: 9, Index: 40, Export: 50}

// Shard is shard I of N, counted from 1 (1/2 and 2/2 are the two
// halves): it sends 1/N of the total rate.
type Shard struct{ I, N int }

// ParseShard parses "i/n" with 1 <= i <= n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		hint := ""
		if ok && err1 == nil && i == 0 {
			hint = " (shards count from 1)"
		}
		return Shard{}, fmt.Errorf("shard %q: want i/n with 1 <= i <= n%s, e.g. 1/4 to 4/4", s, hint)
	}
	return Shard{i, n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// PhoneConfig configures the simulated phones in the loop.
type PhoneConfig struct {
	// N is the number of phones (0: none).
	N int
	// ExportKey verifies export signatures (required when N > 0).
	ExportKey *ecdsa.PublicKey
	// Sightings is how many background sightings (random RPIs over 14
	// days) each phone stores besides its encounters (default 20,000).
	Sightings int
	// Encounters is how many of the devices that publish during the run
	// each phone met (default 3).
	Encounters int
	// PollInterval is how often each phone polls index.txt (default 5 s).
	PollInterval time.Duration
	// Settle is how long, after the attack, phones keep polling until an
	// export covers the last acknowledged upload (0: one last poll).
	Settle time.Duration
}

// DefaultSetupWait is how long the set-up waits for the server to list an
// export file when the mix downloads exports.
const DefaultSetupWait = 30 * time.Second

// Config configures a run.
type Config struct {
	// Target is the server's base URL, e.g. http://127.0.0.1:8080.
	Target string
	// Rate is the total arrival rate in requests per second, over all
	// shards; this process sends Rate/Shard.N.
	Rate float64
	// Duration is how long requests are scheduled.
	Duration time.Duration
	// Mix weighs the request kinds. Every kind with a weight is sent at
	// least MinKindRate times a second (Mix.Plan).
	Mix Mix
	// Shard selects this process's share of the rate.
	Shard Shard
	// Seed keys the request-kind draws and the generated keys.
	Seed uint64
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// SetupWait is how long the set-up, before the timed phase, waits for
	// the server to list an export file when the mix downloads exports
	// (default DefaultSetupWait); none by then fails the run.
	SetupWait time.Duration
	// MaxInFlight bounds concurrent requests (default 20,000); when it is
	// reached the pacer waits, and the wait shows in the latencies.
	MaxInFlight int
	// Tokens signs the verification tokens of publishes (required when
	// Mix.Publish > 0); HealthAuthorityID is sent with them.
	Tokens            keyserver.TokenSigner
	HealthAuthorityID string
	// Phones puts simulated phones in the loop.
	Phones PhoneConfig
	// Scenario names the scenario for the report; KeysPerDay is the number
	// of keys a day that the per-day phone figures are scaled to (0: the
	// run's own publish rate times a day).
	Scenario   string
	KeysPerDay float64
}

func (c *Config) defaults() {
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 20000
	}
	if c.Shard.N == 0 {
		c.Shard = Shard{1, 1}
	}
	if c.SetupWait <= 0 {
		c.SetupWait = DefaultSetupWait
	}
	if c.HealthAuthorityID == "" {
		c.HealthAuthorityID = keyserver.DefaultHealthAuthority
	}
	p := &c.Phones
	if p.Sightings == 0 {
		p.Sightings = 20000
	}
	if p.Encounters == 0 {
		p.Encounters = 3
	}
	if p.PollInterval <= 0 {
		p.PollInterval = 5 * time.Second
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	u, err := url.Parse(c.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want an http:// or https:// URL", c.Target)
	}
	if !(c.Rate > 0) || math.IsInf(c.Rate, 0) {
		return fmt.Errorf("rate %v: want a positive number of requests per second", c.Rate)
	}
	if c.Duration <= 0 {
		return fmt.Errorf("duration %v: want a positive duration", c.Duration)
	}
	if err := c.Mix.Validate(); err != nil {
		return err
	}
	if c.Shard.N < 1 || c.Shard.I < 1 || c.Shard.I > c.Shard.N {
		return fmt.Errorf("shard %v: want i/n with 1 <= i <= n", c.Shard)
	}
	if c.Mix.Publish > 0 && c.Tokens.Key == nil {
		return errors.New("publishes need a key to sign verification tokens with")
	}
	if c.Phones.N < 0 {
		return fmt.Errorf("phones %d: want >= 0", c.Phones.N)
	}
	if c.Phones.N > 0 && c.Phones.ExportKey == nil {
		return errors.New("phones need the export signing public key to verify exports")
	}
	return nil
}

// NationalLoad describes a country's traffic to its key server. Its rates
// are far beyond one machine, so a run keeps their proportions and scales
// the total to the rate the machine can drive (Scale).
type NationalLoad struct {
	// Population is the number of people (Vietnam: about 97 million,
	// issue 6).
	Population float64 `yaml:"population"`
	// Adoption is the share of people with the app installed ("tens of
	// millions installed Bluezone": 30 M of 97 M).
	Adoption float64 `yaml:"adoption"`
	// DiagnosesPerDay is the number of new diagnoses a day (an outbreak
	// peak; an assumption, not from the references).
	DiagnosesPerDay float64 `yaml:"diagnoses_per_day"`
	// UploadFraction is the share of diagnosed app users who upload.
	UploadFraction float64 `yaml:"upload_fraction"`
	// KeysPerUpload is the keys in one upload (14 days; loadtest.md §1.1).
	KeysPerUpload int `yaml:"keys_per_upload"`
	// PollInterval is how often each app polls the index: hourly, as the
	// CWA app fetched hourly packages (loadtest.md §1.2: 720 M requests a
	// day from 30 M clients).
	PollInterval time.Duration `yaml:"poll_interval"`
	// DownloadsPerPoll is the new export files one poll downloads (1: one
	// new file per hourly export).
	DownloadsPerPoll float64 `yaml:"downloads_per_poll"`
	// ChaffPerUserPerDay is chaff uploads per app a day (the reference
	// asks apps to send chaff so that every user appears to report;
	// loadtest.md §1.1; DP-3T sends fake uploads at Poisson times, §1.3).
	ChaffPerUserPerDay float64 `yaml:"chaff_per_user_per_day"`
}

// DefaultNationalLoad is the built-in "national-load" scenario: Vietnam in
// an outbreak.
var DefaultNationalLoad = NationalLoad{
	Population:         97e6,
	Adoption:           30.0 / 97.0,
	DiagnosesPerDay:    10000,
	UploadFraction:     1,
	KeysPerUpload:      14,
	PollInterval:       time.Hour,
	DownloadsPerPoll:   1,
	ChaffPerUserPerDay: 1,
}

// Validate reports every parameter out of range (check.Errors by YAML
// key).
func (n NationalLoad) Validate() error {
	l := check.New("")
	l.NonNegative("population", n.Population)
	l.Fraction("adoption", n.Adoption)
	l.NonNegative("diagnoses_per_day", n.DiagnosesPerDay)
	l.Fraction("upload_fraction", n.UploadFraction)
	l.IntBetween("keys_per_upload", n.KeysPerUpload, 1, keyserver.MaxKeysPerUpload)
	if n.PollInterval <= 0 {
		l.Add("poll_interval", "must be a positive duration, got %v", n.PollInterval)
	}
	l.NonNegative("downloads_per_poll", n.DownloadsPerPoll)
	l.NonNegative("chaff_per_user_per_day", n.ChaffPerUserPerDay)
	return l.Err()
}

// Rates returns the national request rates per second of each kind:
// users = population × adoption; index polls = users / poll interval;
// export downloads = polls × downloads per poll; chaff = users × chaff a
// day / 86,400; publishes = diagnoses × adoption × upload fraction /
// 86,400.
func (n NationalLoad) Rates() Mix {
	users := n.Population * n.Adoption
	polls := users / n.PollInterval.Seconds()
	return Mix{
		Publish: n.DiagnosesPerDay * n.Adoption * n.UploadFraction / 86400,
		Chaff:   users * n.ChaffPerUserPerDay / 86400,
		Index:   polls,
		Export:  polls * n.DownloadsPerPoll,
	}
}

// KeysPerDay is the keys published a day nationally.
func (n NationalLoad) KeysPerDay() float64 {
	return n.DiagnosesPerDay * n.Adoption * n.UploadFraction * float64(n.KeysPerUpload)
}

// Scale returns the mix to send at rate requests per second and the scale
// factor rate / national total: the run reproduces the national traffic's
// proportions at that fraction of its volume.
func (n NationalLoad) Scale(rate float64) (Mix, float64) {
	r := n.Rates()
	total := r.Publish + r.Chaff + r.Index + r.Export
	if total == 0 {
		return r, 0
	}
	return r, rate / total
}

// LoadNationalLoad reads a national-load file (name is used in messages)
// over DefaultNationalLoad with the strict loader that scenario files use:
// an unknown or misspelled key, a value of the wrong type and a value out
// of range are errors with the file, line, column and key, all of them in
// one list. An empty file keeps the defaults.
func LoadNationalLoad(name string, data []byte) (NationalLoad, error) {
	n := DefaultNationalLoad
	if err := strictyaml.Load(name, data, &n, "national load"); err != nil {
		return NationalLoad{}, err
	}
	return n, nil
}
