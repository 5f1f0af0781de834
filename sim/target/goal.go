package target

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/bluesim/bluesim/sim"
	"github.com/bluesim/bluesim/stats"
)

// Metric is an outcome a goal can name.
type Metric struct {
	// Name is how goals name it ("coverage").
	Name string
	// Description says what it is, for help texts.
	Description string
	// Epidemic marks outcomes of the epidemic layer.
	Epidemic bool
	// bounds, when set, is the range the metric cannot leave (a share
	// lies in [0, 1]); confidence intervals are clipped to it, since a
	// Student-t interval from few replicates can overshoot it.
	bounds *[2]float64
	// value reads the metric for one arm of a result.
	value func(r *sim.Result, arm sim.ArmSummary) (float64, error)
	// share, for a share of verdict counts, is which: its index cases'
	// parts then let the crossing's interval resample index cases.
	share *sim.Share
}

func shareOf(s sim.Share) *sim.Share { return &s }

// Available reports whether results carry the metric in this build.
func (m Metric) Available() bool { return m.value != nil }

// metrics is the registry. A new outcome plugs in by adding an entry
// here; the goal parser, the CLI's help and the errors follow.
var metrics = []Metric{
	// Shares of counts, in [0, 1].
	{Name: "coverage", bounds: unit, share: shareOf(sim.ShareCoverage), Description: "share of all close contacts of index cases who were notified",
		value: func(_ *sim.Result, a sim.ArmSummary) (float64, error) { return a.Coverage, nil }},
	{Name: "capture", bounds: unit, share: shareOf(sim.ShareCapture), Description: "share of close contacts notified among those where both phones had the app",
		value: func(_ *sim.Result, a sim.ArmSummary) (float64, error) { return a.Capture, nil }},
	{Name: "precision", bounds: unit, share: shareOf(sim.SharePrecision), Description: "share of notifications that went to true close contacts",
		value: func(_ *sim.Result, a sim.ArmSummary) (float64, error) { return a.Precision, nil }},
	{Name: "recall", bounds: unit, share: shareOf(sim.ShareCoverage), Description: "recall over all close contacts (equals coverage)",
		value: func(_ *sim.Result, a sim.ArmSummary) (float64, error) { return a.Recall, nil }},
	{Name: "false_positive_rate", bounds: unit, share: shareOf(sim.ShareFalsePositiveRate), Description: "share of non-contacts in radio range who were notified",
		value: func(_ *sim.Result, a sim.ArmSummary) (float64, error) { return a.FalsePositiveRate, nil }},
	// The epidemic layer's outcomes, per arm (nil when the layer is off).
	{Name: "averted", Epidemic: true, bounds: &[2]float64{math.Inf(-1), 1},
		Description: "share of infections averted against the paired run without the app",
		value:       epidemicValue("averted", func(e *sim.ArmEpidemic) float64 { return e.Averted })},
	{Name: "r_eff", Epidemic: true, bounds: &[2]float64{0, math.Inf(1)},
		Description: "effective reproduction number (case-weighted cohort mean)",
		value:       epidemicValue("r_eff", func(e *sim.ArmEpidemic) float64 { return e.REff })},
	{Name: "attack_rate", Epidemic: true, bounds: unit,
		Description: "share of the population infected over the run",
		value:       epidemicValue("attack_rate", func(e *sim.ArmEpidemic) float64 { return e.AttackRate })},
}

// NeedsEpidemic is the error for an epidemic metric on a run without the
// epidemic layer.
func NeedsEpidemic(name string) error {
	return fmt.Errorf("metric %q needs the epidemic layer (set epidemic.enabled: true)", name)
}

// epidemicValue reads an arm's epidemic outcome key, refusing (never
// inventing) a value when the run had no epidemic layer, and NaN (as in
// summary.json) when the run is too short or small to show it
// (sim.Result.EpidemicShortfall).
func epidemicValue(key string, f func(*sim.ArmEpidemic) float64) func(*sim.Result, sim.ArmSummary) (float64, error) {
	return func(r *sim.Result, a sim.ArmSummary) (float64, error) {
		if a.Epidemic == nil {
			return math.NaN(), errNoEpidemic
		}
		if _, short := r.EpidemicShortfall(a.Epidemic, false)[key]; short {
			return math.NaN(), nil
		}
		return f(a.Epidemic), nil
	}
}

// errNoEpidemic is wrapped with the metric's name by Value.
var errNoEpidemic = errors.New("the run has no epidemic layer")

// unit is the range of a share.
var unit = &[2]float64{0, 1}

// Clip returns x limited to the metric's range (x itself when the metric
// has none, or for NaN).
func (m Metric) Clip(x float64) float64 {
	if m.bounds == nil || math.IsNaN(x) {
		return x
	}
	return math.Min(math.Max(x, m.bounds[0]), m.bounds[1])
}

// Metrics lists the metrics goals can name, in a stable order.
func Metrics() []Metric { return append([]Metric(nil), metrics...) }

// MetricNames lists the metric names.
func MetricNames() []string {
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.Name
	}
	return names
}

// LookupMetric returns the metric called name.
func LookupMetric(name string) (Metric, error) {
	for _, m := range metrics {
		if m.Name != name {
			continue
		}
		if !m.Available() {
			return m, fmt.Errorf("metric %q is not available in this build", name)
		}
		return m, nil
	}
	return Metric{}, fmt.Errorf("unknown metric %q (known: %s)", name, strings.Join(MetricNames(), ", "))
}

// Value reads the metric for the arm called arm in r.
func (m Metric) Value(r *sim.Result, arm string) (float64, error) {
	if r == nil {
		return math.NaN(), fmt.Errorf("metric %s: no result", m.Name)
	}
	if m.value == nil {
		return math.NaN(), fmt.Errorf("metric %q is not available in this build", m.Name)
	}
	for _, a := range r.Arms {
		if a.Name == arm {
			v, err := m.value(r, a)
			if errors.Is(err, errNoEpidemic) {
				return v, NeedsEpidemic(m.Name)
			}
			return v, err
		}
	}
	return math.NaN(), fmt.Errorf("metric %s: the result has no arm %q", m.Name, arm)
}

// Sample reads the metric for the arm called arm in r, with, for a share
// of verdict counts, every index case's part of it (Sample.Cases). Such a
// share is NaN where fewer than stats.MinIndexCases index cases
// contribute to it, as in the run's summary.json.
func (m Metric) Sample(r *sim.Result, arm string) (Sample, error) {
	v, err := m.Value(r, arm)
	if err != nil || m.share == nil {
		return Sample{Value: v}, err
	}
	ai := slices.IndexFunc(r.Arms, func(a sim.ArmSummary) bool { return a.Name == arm })
	cases := r.ArmIndexCases(ai)
	if len(cases) == 0 {
		return Sample{Value: v}, nil
	}
	s := Sample{Cases: make([]Case, 0, len(cases))}
	var n, d int64
	contributing := 0
	for i := range cases {
		num, den := cases[i].Share(*m.share)
		s.Cases = append(s.Cases, Case{Person: cases[i].Person, Num: num, Den: den})
		if den > 0 {
			n += num
			d += den
			contributing++
		}
	}
	s.Value = math.NaN()
	if contributing >= stats.MinIndexCases {
		s.Value = float64(n) / float64(d)
	}
	return s, nil
}

// Op is a goal's comparison.
type Op int

// Comparisons a goal can use.
const (
	GE Op = iota // >=
	GT           // >
	LE           // <=
	LT           // <
)

func (o Op) String() string {
	switch o {
	case GE:
		return ">="
	case GT:
		return ">"
	case LE:
		return "<="
	case LT:
		return "<"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Goal is METRIC OP VALUE.
type Goal struct {
	Metric Metric
	Op     Op
	Value  float64
}

func (g Goal) String() string {
	return g.Metric.Name + g.Op.String() + strconv.FormatFloat(g.Value, 'g', -1, 64)
}

// Upward reports whether the goal asks for the metric to be high enough
// (>=, >): then the lower confidence bound decides, and the metric is
// expected to rise with adoption. Otherwise (<=, <) the upper bound decides
// and the metric is expected to fall.
func (g Goal) Upward() bool { return g.Op == GE || g.Op == GT }

// Met reports whether x meets the goal. NaN never does.
func (g Goal) Met(x float64) bool {
	switch g.Op {
	case GE:
		return x >= g.Value
	case GT:
		return x > g.Value
	case LE:
		return x <= g.Value
	case LT:
		return x < g.Value
	}
	return false
}

// maxGoalLen bounds a goal expression; real ones are a few words.
const maxGoalLen = 200

// ParseGoal parses METRIC OP VALUE ("coverage>=0.5", "r_eff < 1"): OP is
// one of >=, >, <=, <; VALUE a finite number; spaces around the parts are
// allowed.
func ParseGoal(s string) (Goal, error) {
	if len(s) > maxGoalLen {
		return Goal{}, fmt.Errorf("too long (%d bytes, at most %d)", len(s), maxGoalLen)
	}
	i := strings.IndexAny(s, "<>")
	if i < 0 {
		if strings.ContainsAny(s, "=!") {
			return Goal{}, fmt.Errorf("want METRIC OP VALUE with OP one of >=, >, <=, < (= alone and != are not goals)")
		}
		return Goal{}, fmt.Errorf("want METRIC OP VALUE with OP one of >=, >, <=, < (e.g. coverage>=0.5)")
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op Op
	switch {
	case strings.HasPrefix(rest, ">="):
		op, rest = GE, rest[2:]
	case strings.HasPrefix(rest, "<="):
		op, rest = LE, rest[2:]
	case strings.HasPrefix(rest, ">"):
		op, rest = GT, rest[1:]
	default:
		op, rest = LT, rest[1:]
	}
	if name == "" {
		return Goal{}, fmt.Errorf("no metric before %s (known: %s)", op, strings.Join(MetricNames(), ", "))
	}
	m, err := LookupMetric(name)
	if err != nil {
		return Goal{}, err
	}
	text := strings.TrimSpace(rest)
	if text == "" {
		return Goal{}, fmt.Errorf("no value after %s", op)
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Goal{}, fmt.Errorf("value %q after %s is not a finite number", text, op)
	}
	return Goal{Metric: m, Op: op, Value: v}, nil
}
