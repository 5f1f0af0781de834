package target

import (
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// EvalFunc returns one replicate's metric at an adoption. Replicate r must
// draw the same random numbers at every adoption (common random numbers).
type EvalFunc func(ctx context.Context, adoption float64, replicate int) (float64, error)

// Config sets up a search.
type Config struct {
	Goal Goal
	// Max is the largest adoption searched (the smartphone ownership share
	// for a scenario); the search covers [0, Max].
	Max float64
	// Replicates per probed adoption (at least 1).
	Replicates int
	// Confidence of the one-sided bound that decides whether a point
	// meets the goal, in (0, 1).
	Confidence float64
	// Tolerance: bisection stops when the bracket is narrower.
	Tolerance float64
	// OnPoint, when set, is called after each probed adoption.
	OnPoint func(Point)
}

// Point is one probed adoption.
type Point struct {
	// Order is the probe's rank (0 first).
	Order    int
	Adoption float64
	// Values are the replicates' metrics, replicate order.
	Values []float64
	// Mean and SD (sample standard deviation; NaN with one replicate).
	Mean, SD float64
	// Lo and Hi are the two-sided interval at the confidence level (NaN
	// with one replicate), clipped to the metric's range.
	Lo, Hi float64
	// Bound is the one-sided bound that decides: the lower bound for an
	// upward goal, the upper bound otherwise; the mean itself with one
	// replicate. It is clipped to the metric's range too.
	Bound float64
	// Met is Goal.Met(Bound).
	Met bool
}

// Outcome is a search's answer.
type Outcome struct {
	Goal Goal
	// Points in probe order.
	Points []Point
	// Found is false when the goal is not met even at Max.
	Found bool
	// Answer is the smallest probed adoption meeting the goal: the upper
	// end of the bracket. At is the point there.
	Answer float64
	At     Point
	// BracketLo is the largest probed adoption failing the goal, below
	// Answer; NaN when the goal is met at adoption 0.
	BracketLo float64
	// Best is the probed point whose mean comes closest to the goal (when
	// not Found, the best the search saw).
	Best Point
	// Warnings are violations of monotonicity seen at the probed points.
	Warnings []string
}

// Validate checks a configuration.
func (c *Config) Validate() error {
	switch {
	case !finite(c.Max) || c.Max <= 0 || c.Max > 1:
		return fmt.Errorf("maximum adoption %v: want a value in (0, 1]", c.Max)
	case c.Replicates < 1:
		return fmt.Errorf("replicates %d: want at least 1", c.Replicates)
	case !finite(c.Confidence) || c.Confidence <= 0 || c.Confidence >= 1:
		return fmt.Errorf("confidence %v: want a value strictly between 0 and 1", c.Confidence)
	case !finite(c.Tolerance) || c.Tolerance <= 0 || c.Tolerance >= 1:
		return fmt.Errorf("tolerance %v: want a value strictly between 0 and 1", c.Tolerance)
	case c.Goal.Metric.Name == "":
		return fmt.Errorf("no goal")
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// MaxProbes is the most adoptions a search with c probes: Max, 0, then
// one per halving of the bracket until it is narrower than the tolerance.
func (c *Config) MaxProbes() int {
	n := 2
	for w := c.Max; w >= c.Tolerance; w /= 2 {
		n++
	}
	return n
}

// Search finds the smallest adoption in [0, c.Max] meeting c.Goal by
// bisection: it probes Max (if the goal fails there, Found is false), then
// 0 (if it passes there, the answer is 0), then halves the bracket
// [last failing, first passing] until it is narrower than c.Tolerance.
func Search(ctx context.Context, c Config, eval EvalFunc) (*Outcome, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if eval == nil {
		return nil, fmt.Errorf("no evaluation function")
	}
	out := &Outcome{Goal: c.Goal, BracketLo: math.NaN()}
	probe := func(a float64) (Point, error) {
		p := Point{Order: len(out.Points), Adoption: a, Values: make([]float64, c.Replicates)}
		for r := range c.Replicates {
			if err := ctx.Err(); err != nil {
				return p, err
			}
			v, err := eval(ctx, a, r)
			if err != nil {
				return p, fmt.Errorf("adoption %v, replicate %d: %w", a, r, err)
			}
			p.Values[r] = v
		}
		c.summarise(&p)
		out.Points = append(out.Points, p)
		if c.OnPoint != nil {
			c.OnPoint(p)
		}
		return p, nil
	}
	top, err := probe(c.Max)
	if err != nil {
		return nil, err
	}
	if !top.Met {
		out.finish()
		return out, nil
	}
	out.Found, out.Answer, out.At = true, top.Adoption, top
	bottom, err := probe(0)
	if err != nil {
		return nil, err
	}
	if bottom.Met {
		out.Answer, out.At = 0, bottom
		out.finish()
		return out, nil
	}
	lo := 0.0
	for out.Answer-lo >= c.Tolerance {
		mid := lo + (out.Answer-lo)/2
		p, err := probe(mid)
		if err != nil {
			return nil, err
		}
		if p.Met {
			out.Answer, out.At = mid, p
		} else {
			lo = mid
		}
	}
	out.BracketLo = lo
	out.finish()
	return out, nil
}

// summarise fills a point's statistics and verdict.
func (c *Config) summarise(p *Point) {
	n := len(p.Values)
	sum := 0.0
	for _, v := range p.Values {
		sum += v
	}
	p.Mean = sum / float64(n)
	p.SD, p.Lo, p.Hi = math.NaN(), math.NaN(), math.NaN()
	p.Bound = p.Mean
	if n > 1 {
		ss := 0.0
		for _, v := range p.Values {
			ss += (v - p.Mean) * (v - p.Mean)
		}
		p.SD = math.Sqrt(ss / float64(n-1))
		se := p.SD / math.Sqrt(float64(n))
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}
		one := t.Quantile(c.Confidence) * se
		two := t.Quantile((1+c.Confidence)/2) * se
		m := c.Goal.Metric
		p.Lo, p.Hi = m.Clip(p.Mean-two), m.Clip(p.Mean+two)
		if c.Goal.Upward() {
			p.Bound = m.Clip(p.Mean - one)
		} else {
			p.Bound = m.Clip(p.Mean + one)
		}
	}
	p.Met = c.Goal.Met(p.Bound)
}

// better reports whether mean a is closer to meeting the goal than b.
func (o *Outcome) better(a, b float64) bool {
	if math.IsNaN(b) {
		return !math.IsNaN(a)
	}
	if o.Goal.Upward() {
		return a > b
	}
	return a < b
}

// finish picks the best point and checks monotonicity at the probed
// points: in adoption order, means should not get worse for the goal, and
// a point meeting the goal should not lie below one that fails it.
func (o *Outcome) finish() {
	o.Best = o.Points[0]
	for _, p := range o.Points[1:] {
		if o.better(p.Mean, o.Best.Mean) {
			o.Best = p
		}
	}
	byA := slices.Clone(o.Points)
	slices.SortFunc(byA, func(a, b Point) int {
		switch {
		case a.Adoption < b.Adoption:
			return -1
		case a.Adoption > b.Adoption:
			return 1
		}
		return 0
	})
	dir := "rises"
	if !o.Goal.Upward() {
		dir = "falls"
	}
	for i := 1; i < len(byA); i++ {
		p, q := byA[i-1], byA[i]
		if o.better(p.Mean, q.Mean) {
			o.Warnings = append(o.Warnings, fmt.Sprintf(
				"not monotone: %s is %.4g at adoption %.4g but %.4g at the higher adoption %.4g "+
					"(the search assumes it %s with adoption; replicate noise or a real effect)",
				o.Goal.Metric.Name, p.Mean, p.Adoption, q.Mean, q.Adoption, dir))
		}
		if p.Met && !q.Met {
			o.Warnings = append(o.Warnings, fmt.Sprintf(
				"not monotone: the goal is met at adoption %.4g but not at the higher adoption %.4g",
				p.Adoption, q.Adoption))
		}
	}
}
