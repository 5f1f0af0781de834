package sim

import (
	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
)

// Progress is reported after each simulated day.
type Progress struct {
	// Day is the number of days finished, of Days.
	Day, Days int
	// AgentDays is the agent-days simulated so far.
	AgentDays int64
	// AgentDaysPerSecond is the throughput so far.
	AgentDaysPerSecond float64
}

type config struct {
	newSink     func(worker int) ContactSink
	endDay      func(day int, sinks []ContactSink) error
	workers     int
	progress    func(Progress)
	raw         bool
	perPhone    bool
	onDayMatch  func(arm int, day int, notified []Notification)
	chunkTarget int
	allPairs    bool   // WithAllPairs: brute-force neighbour search
	scramble    uint64 // the adversary's truth relabelled (tests only, sniff.go)
}

// Option configures Run.
type Option func(*config)

// WithWorkers sets the number of parallel workers (0 or less: one per CPU;
// this overrides the scenario's engine.workers). Results do not depend on
// it.
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithProgress sets a callback called after each day, from Run's goroutine.
func WithProgress(fn func(Progress)) Option { return func(c *config) { c.progress = fn } }

// WithRawSightings stores each sighting's real ID bytes (and GAEN's
// encrypted metadata) at the instant it is received, instead of the
// compact (advertiser, time, RSSI) form materialised when matching. Results
// are identical; it exists to prove that, and costs memory.
func WithRawSightings(on bool) Option { return func(c *config) { c.raw = on } }

// WithPerPhoneMatching matches the way a phone does it: each receiving
// phone's own store against the day's published keys with
// Protocol.Match, instead of expanding each key once and joining on ID
// bytes. Results are identical; it is much slower.
func WithPerPhoneMatching(on bool) Option { return func(c *config) { c.perPhone = on } }

// WithNotifications calls fn with every notification decided for arm on
// day (in a deterministic order), for tests and for the epidemic layer.
func WithNotifications(fn func(arm, day int, notified []Notification)) Option {
	return func(c *config) { c.onDayMatch = fn }
}

// Notification says that Person was notified for index case Index.
type Notification struct {
	Index, Person int32
	// FirstExposure is the earliest matched sighting (Unix ms).
	FirstExposure int64
}

// Contact is one pair of people within radio range of each other at one
// site for a stretch of one day during which neither moved: the ground
// truth the engine scores the apps against, and what an epidemic model
// turns into doses.
type Contact struct {
	Day  int
	A, B int32 // A < B
	// From and To are minutes of the day, [From, To).
	From, To  int16
	DistanceM float32
	Kind      agents.Kind
	Env       radio.Environment
	// Walls between the two (different rooms of one building).
	Walls int
	// Household is true when A and B live together.
	Household bool
}

// ContactSink receives contacts. Each worker has its own sink, so it needs
// no locking; contacts reach it in an order that depends on scheduling, so
// whatever it computes must not depend on the order (sum, don't append).
type ContactSink interface {
	Contact(c *Contact)
}

// WithContacts hands every contact the engine finds to a sink: newSink(w)
// makes worker w's sink once per run; after each day's sites are done and
// before the day's uploads and matching, endDay(day, sinks) is called with
// every worker's sink (in worker order), for example to merge them. An
// error from endDay stops the run.
func WithContacts(newSink func(worker int) ContactSink, endDay func(day int, sinks []ContactSink) error) Option {
	return func(c *config) { c.newSink, c.endDay = newSink, endDay }
}
