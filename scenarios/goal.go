package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// GoalMetrics are the outcomes a sweep goal can name: the shares and the
// notifications per index case that a sweep's summary gives per point and
// arm.
var GoalMetrics = []string{"coverage", "capture", "precision", "recall", "false_positive_rate", "notifications_per_index"}

// Goal is a target a sweep's report reads off its curves: METRIC OP VALUE,
// such as coverage>=0.5 ("notify half of all close contacts"). The report
// gives, per arm, the smallest adoption at which the mean meets it, with
// the adoptions where the interval's bounds meet it.
type Goal struct {
	Metric string
	// Op is one of >=, >, <=, <.
	Op    string
	Value float64
}

func (g Goal) String() string {
	return g.Metric + g.Op + strconv.FormatFloat(g.Value, 'g', -1, 64)
}

// Met says whether x meets the goal.
func (g Goal) Met(x float64) bool {
	switch g.Op {
	case ">=":
		return x >= g.Value
	case ">":
		return x > g.Value
	case "<=":
		return x <= g.Value
	case "<":
		return x < g.Value
	}
	return false
}

// ParseGoal reads METRIC OP VALUE, the metric one of GoalMetrics, OP one
// of >=, >, <=, <, the value a finite number (a share of GoalMetrics
// between 0 and 1; a percentage such as 50% is read as 0.5).
func ParseGoal(s string) (Goal, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexAny(t, "<>")
	if i <= 0 {
		return Goal{}, fmt.Errorf("goal %q: want METRIC OP VALUE, e.g. coverage>=0.5 (OP one of >=, >, <=, <)", s)
	}
	g := Goal{Metric: strings.TrimSpace(t[:i]), Op: t[i : i+1]}
	rest := t[i+1:]
	if strings.HasPrefix(rest, "=") {
		g.Op += "="
		rest = rest[1:]
	}
	if !slices.Contains(GoalMetrics, g.Metric) {
		return Goal{}, fmt.Errorf("goal %q: unknown metric %q (one of %s)", s, g.Metric, strings.Join(GoalMetrics, ", "))
	}
	rest = strings.TrimSpace(rest)
	pctSign := strings.HasSuffix(rest, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(rest, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return Goal{}, fmt.Errorf("goal %q: the value %q is not a finite number", s, rest)
	}
	if pctSign {
		v /= 100
	}
	if g.Metric != "notifications_per_index" && (v < 0 || v > 1) {
		return Goal{}, fmt.Errorf("goal %q: %s is a share, between 0 and 1 (or 0%% and 100%%), got %v", s, g.Metric, v)
	}
	if v < 0 {
		return Goal{}, fmt.Errorf("goal %q: %s cannot be negative", s, g.Metric)
	}
	g.Value = v
	return g, nil
}

// ParseGoals reads a list of goals.
func ParseGoals(ss []string) ([]Goal, error) {
	var out []Goal
	for _, s := range ss {
		g, err := ParseGoal(s)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
