package target

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Sample is one replicate's metric at an adoption.
type Sample struct {
	// Value is the metric; NaN where the run is too small to estimate it.
	Value float64
	// Cases are, for a share of verdict counts, every index case's part
	// of it: the crossing's interval resamples them. Nil for other
	// metrics (the epidemic's), whose crossing resamples replicates.
	Cases []Case
}

// Case is one index case's part of a share: Num of Den.
type Case struct {
	// Person is the index case's agent number, the same person at every
	// adoption of a replicate (common random numbers).
	Person   int32
	Num, Den int64
}

// EvalFunc returns one replicate's metric at an adoption. Replicate r must
// draw the same random numbers at every adoption (common random numbers).
type EvalFunc func(ctx context.Context, adoption float64, replicate int) (Sample, error)

// Values adapts a function that returns bare values (no index cases) to
// an EvalFunc.
func Values(f func(ctx context.Context, adoption float64, replicate int) (float64, error)) EvalFunc {
	return func(ctx context.Context, a float64, r int) (Sample, error) {
		v, err := f(ctx, a, r)
		return Sample{Value: v}, err
	}
}

// Config sets up a search.
type Config struct {
	Goal Goal
	// Max is the largest adoption searched (the smartphone ownership share
	// for a scenario); the search covers [0, Max].
	Max float64
	// Replicates per probed adoption (at least 1); with Precision, the
	// number the search starts with.
	Replicates int
	// Confidence of the one-sided bound that decides whether a point
	// meets the goal, and of the crossing's two-sided interval, in (0, 1).
	Confidence float64
	// Tolerance: bisection stops when the bracket is narrower.
	Tolerance float64
	// Precision, when above 0, adds replicates (at every probed adoption)
	// until the crossing's interval is narrower than it, or MaxReplicates
	// is reached.
	Precision float64
	// MaxReplicates caps the replicates Precision may add (0: Replicates).
	MaxReplicates int
	// Seed keys the bootstrap's random stream, so the interval is the
	// same for the same seed.
	Seed uint64
	// Draws is the number of bootstrap draws (0: DefaultDraws).
	Draws int
	// Enlarge names what the notes tell a user to raise for larger runs
	// ("": "population.size or days"; a census population's is
	// population.scale). Why says where a run tells why a value is
	// missing ("": its summary.json's unestimable).
	Enlarge, Why string
	// OnPoint, when set, is called after each probed adoption.
	OnPoint func(Point)
	// OnRound, when set, is called when Precision adds replicates: the
	// interval's width so far and the replicates the next round runs.
	OnRound func(width float64, replicates int)
}

// DefaultDraws is the number of bootstrap draws of the crossing.
const DefaultDraws = 2000

// MinReplicateDraws is the fewest replicates a bootstrap over replicates
// (for metrics without index cases) needs to say anything: with fewer,
// the resamples take too few distinct values.
const MinReplicateDraws = 5

// Point is one probed adoption.
type Point struct {
	// Order is the probe's rank (0 first).
	Order    int
	Adoption float64
	// Values are the replicates' metrics, replicate order; Samples the
	// same with their index cases.
	Values  []float64
	Samples []Sample
	// Mean and SD (sample standard deviation; NaN with one replicate)
	// over the replicates where the metric is defined.
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

// Crossing is where the mean curve (the mean over replicates at each
// adoption) meets the goal, with an interval for that adoption.
type Crossing struct {
	// Found is false when the mean curve does not meet the goal at Max.
	Found bool
	// Adoption is the crossing: linear interpolation of the mean between
	// BracketLo (last adoption failing) and BracketHi (first meeting); 0
	// when the goal is met without the app (BracketLo NaN).
	Adoption             float64
	BracketLo, BracketHi float64
	// Lo and Hi are the two-sided interval at the confidence level, NaN
	// when there is none (Note says why); Hi is NaN as well when in too
	// many resamples the mean curve does not meet the goal below Max.
	Lo, Hi float64
	// Method is how the interval was drawn: MethodCases or
	// MethodReplicates ("" when there is none).
	Method string
	// Draws is the number of bootstrap draws; AboveMax the share of them
	// in which the resampled mean curve does not meet the goal at Max.
	Draws    int
	AboveMax float64
	// Note says why there is no interval, or "".
	Note string
}

// Methods of the crossing's interval.
const (
	// MethodCases resamples, in every replicate, its index cases (each
	// with all its contacts) with replacement, the same people at every
	// probed adoption; the replicates are kept.
	MethodCases = "index_case_bootstrap"
	// MethodReplicates resamples replicates (for metrics without index
	// cases, such as the epidemic's), the same ones at every adoption.
	MethodReplicates = "replicate_bootstrap"
)

// Outcome is a search's answer.
type Outcome struct {
	Goal Goal
	// Points in probe order.
	Points []Point
	// Replicates is how many every point has (more than
	// Config.Replicates when Precision added some).
	Replicates int
	// Found is false when the goal is not met even at Max.
	Found bool
	// Answer is the conservative answer: the smallest probed adoption
	// whose one-sided bound meets the goal, the upper end of the bracket.
	// At is the point there.
	Answer float64
	At     Point
	// BracketLo is the largest probed adoption failing the goal, below
	// Answer; NaN when the goal is met at adoption 0.
	BracketLo float64
	// Mean is where the mean curve meets the goal, with its interval.
	Mean Crossing
	// Best is the probed point whose mean comes closest to the goal (when
	// not Found, the best the search saw).
	Best Point
	// Warnings are violations of monotonicity seen at the probed points.
	Warnings []string
	// Notes say plainly what the search could not answer and why (too few
	// index cases, too few replicates, precision not reached).
	Notes []string
}

// Validate checks a configuration.
func (c *Config) Validate() error {
	switch {
	case !finite(c.Max) || c.Max <= 0 || c.Max > 1:
		return fmt.Errorf("maximum adoption %v: want a value in (0, 1]", c.Max)
	case c.Replicates < 1:
		return fmt.Errorf("replicates %d: want at least 1", c.Replicates)
	case c.MaxReplicates != 0 && c.MaxReplicates < c.Replicates:
		return fmt.Errorf("maximum replicates %d: want at least the starting %d", c.MaxReplicates, c.Replicates)
	case !finite(c.Confidence) || c.Confidence <= 0 || c.Confidence >= 1:
		return fmt.Errorf("confidence %v: want a value strictly between 0 and 1", c.Confidence)
	case !finite(c.Tolerance) || c.Tolerance <= 0 || c.Tolerance >= 1:
		return fmt.Errorf("tolerance %v: want a value strictly between 0 and 1", c.Tolerance)
	case !finite(c.Precision) || c.Precision < 0:
		return fmt.Errorf("precision %v: want 0 (off) or a positive width", c.Precision)
	case c.Draws < 0:
		return fmt.Errorf("draws %d: want 0 (the default) or more", c.Draws)
	case c.Goal.Metric.Name == "":
		return fmt.Errorf("no goal")
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// halvings is how many times the bisection halves [0, Max] before the
// bracket is narrower than the tolerance.
func (c *Config) halvings() int {
	n := 0
	for w := c.Max; w >= c.Tolerance; w /= 2 {
		n++
	}
	return n
}

// MaxProbes is the most adoptions a search probes: Max and 0, one per
// halving of the bracket for the conservative answer, and as many again
// for the mean curve's crossing.
func (c *Config) MaxProbes() int { return 2 + 2*c.halvings() }

// maxReplicates is the most replicates a search may run per point.
func (c *Config) maxReplicates() int {
	if c.Precision <= 0 {
		return c.Replicates
	}
	return max(c.MaxReplicates, c.Replicates)
}

// searcher holds a search's probed points across its rounds.
type searcher struct {
	c     Config
	eval  EvalFunc
	reps  int
	byA   map[float64]*Point
	order []*Point
}

// probe returns the point at adoption a with s.reps replicates,
// evaluating only the replicates not yet run there.
func (s *searcher) probe(ctx context.Context, a float64) (*Point, error) {
	p, ok := s.byA[a]
	if !ok {
		p = &Point{Order: len(s.order), Adoption: a}
		s.byA[a] = p
		s.order = append(s.order, p)
	}
	if len(p.Samples) >= s.reps {
		return p, nil
	}
	for r := len(p.Samples); r < s.reps; r++ {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		v, err := s.eval(ctx, a, r)
		if err != nil {
			return p, fmt.Errorf("adoption %v, replicate %d: %w", a, r, err)
		}
		p.Samples = append(p.Samples, v)
		p.Values = append(p.Values, v.Value)
	}
	s.c.summarise(p)
	if s.c.OnPoint != nil {
		s.c.OnPoint(*p)
	}
	return p, nil
}

// Search finds the smallest adoption in [0, c.Max] meeting c.Goal in two
// ways, on the same probed points:
//
//   - the conservative answer, by bisection on the one-sided bound: it
//     probes Max (if the goal fails there, Found is false), then 0 (if it
//     passes there, the answer is 0), then halves the bracket [last
//     failing, first passing] until it is narrower than c.Tolerance;
//   - the mean curve's crossing, by bisection on the replicate mean
//     (reusing every point already probed), interpolated linearly inside
//     the final bracket, with a bootstrap interval (Crossing).
//
// With c.Precision it then adds replicates at every probed adoption and
// searches again, until the crossing's interval is narrower than
// c.Precision or c.MaxReplicates is reached.
func Search(ctx context.Context, c Config, eval EvalFunc) (*Outcome, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if eval == nil {
		return nil, fmt.Errorf("no evaluation function")
	}
	s := &searcher{c: c, eval: eval, reps: c.Replicates, byA: map[float64]*Point{}}
	for {
		out, err := s.round(ctx)
		if err != nil {
			return nil, err
		}
		width := out.Mean.Hi - out.Mean.Lo
		if c.Precision <= 0 || (width < c.Precision) || s.reps >= c.maxReplicates() || !out.Mean.Found {
			s.notes(out, width)
			return out, nil
		}
		// The interval narrows about as 1/√replicates: ask for what
		// should reach the precision, at least one more.
		next := 2 * s.reps
		if finite(width) && width > 0 {
			next = int(math.Ceil(float64(s.reps) * (width / c.Precision) * (width / c.Precision)))
		}
		s.reps = min(c.maxReplicates(), max(next, s.reps+1))
		if c.OnRound != nil {
			c.OnRound(width, s.reps)
		}
		for _, p := range s.order {
			if _, err := s.probe(ctx, p.Adoption); err != nil {
				return nil, err
			}
		}
	}
}

// round runs both bisections with s.reps replicates per point.
func (s *searcher) round(ctx context.Context) (*Outcome, error) {
	c := &s.c
	out := &Outcome{Goal: c.Goal, BracketLo: math.NaN(), Replicates: s.reps,
		Mean: Crossing{Adoption: math.NaN(), BracketLo: math.NaN(), BracketHi: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), AboveMax: math.NaN()}}
	top, err := s.probe(ctx, c.Max)
	if err != nil {
		return nil, err
	}
	if top.Met {
		out.Found, out.Answer, out.At = true, top.Adoption, *top
		bottom, err := s.probe(ctx, 0)
		if err != nil {
			return nil, err
		}
		if bottom.Met {
			out.Answer, out.At = 0, *bottom
		} else {
			lo := 0.0
			for out.Answer-lo >= c.Tolerance {
				mid := lo + (out.Answer-lo)/2
				p, err := s.probe(ctx, mid)
				if err != nil {
					return nil, err
				}
				if p.Met {
					out.Answer, out.At = mid, *p
				} else {
					lo = mid
				}
			}
			out.BracketLo = lo
		}
	}
	if err := s.meanCrossing(ctx, out); err != nil {
		return nil, err
	}
	out.Points = make([]Point, len(s.order))
	for i, p := range s.order {
		out.Points[i] = *p
	}
	out.finish()
	s.interval(out)
	return out, nil
}

// meetsMean reports whether the mean at p meets the goal (NaN never does).
func (s *searcher) meetsMean(p *Point) bool { return s.c.Goal.Met(p.Mean) }

// meanCrossing bisects on the mean curve, starting from the tightest
// bracket the probed points give.
func (s *searcher) meanCrossing(ctx context.Context, out *Outcome) error {
	c := &s.c
	x := &out.Mean
	top, err := s.probe(ctx, c.Max)
	if err != nil {
		return err
	}
	if !s.meetsMean(top) {
		x.Note = fmt.Sprintf("the mean %s does not meet the goal even at adoption %.4g", c.Goal.Metric.Name, c.Max)
		return nil
	}
	x.Found = true
	bottom, err := s.probe(ctx, 0)
	if err != nil {
		return err
	}
	if s.meetsMean(bottom) {
		x.Adoption, x.BracketHi = 0, 0
		return nil
	}
	lo, hi := s.bracket(func(p *Point) float64 { return p.Mean })
	for hi-lo >= c.Tolerance {
		mid := lo + (hi-lo)/2
		p, err := s.probe(ctx, mid)
		if err != nil {
			return err
		}
		if s.meetsMean(p) {
			hi = mid
		} else {
			lo = mid
		}
	}
	x.BracketLo, x.BracketHi = lo, hi
	x.Adoption = s.interpolate(s.byA[lo].Mean, s.byA[hi].Mean, lo, hi)
	return nil
}

// bracket returns, over the probed points sorted by adoption and with the
// metric read by f, the first adoption meeting the goal (hi) and the one
// before it (lo, which fails); hi is +Inf when none meets and lo is NaN
// when the first point meets.
func (s *searcher) bracket(f func(*Point) float64) (lo, hi float64) {
	ps := s.sorted()
	for i, p := range ps {
		if s.c.Goal.Met(f(p)) {
			if i == 0 {
				return math.NaN(), p.Adoption
			}
			return ps[i-1].Adoption, p.Adoption
		}
	}
	return math.NaN(), math.Inf(1)
}

func (s *searcher) sorted() []*Point {
	ps := slices.Clone(s.order)
	slices.SortFunc(ps, func(a, b *Point) int { return cmpFloat(a.Adoption, b.Adoption) })
	return ps
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// interpolate returns the adoption between lo (metric mLo, failing) and
// hi (mHi, meeting) where the straight line between them meets the goal's
// value.
func (s *searcher) interpolate(mLo, mHi, lo, hi float64) float64 {
	g := s.c.Goal.Value
	if !finite(mLo) || !finite(mHi) || mHi == mLo {
		return hi
	}
	f := (g - mLo) / (mHi - mLo)
	return lo + math.Min(1, math.Max(0, f))*(hi-lo)
}

// summarise fills a point's statistics and verdict over the replicates
// where the metric is defined.
func (c *Config) summarise(p *Point) {
	var xs []float64
	for _, v := range p.Values {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	n := len(xs)
	p.SD, p.Lo, p.Hi = math.NaN(), math.NaN(), math.NaN()
	if n == 0 {
		p.Mean, p.Bound, p.Met = math.NaN(), math.NaN(), false
		return
	}
	sum := 0.0
	for _, v := range xs {
		sum += v
	}
	p.Mean = sum / float64(n)
	p.Bound = p.Mean
	if n > 1 {
		ss := 0.0
		for _, v := range xs {
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
	slices.SortFunc(byA, func(a, b Point) int { return cmpFloat(a.Adoption, b.Adoption) })
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

// notes adds, in plain words, what the search could not answer.
func (s *searcher) notes(out *Outcome, width float64) {
	c := &s.c
	var undefined []float64
	for _, p := range s.sorted() {
		if math.IsNaN(p.Mean) {
			undefined = append(undefined, p.Adoption)
		}
	}
	if len(undefined) > 0 {
		why := "too few index cases with the contacts it needs"
		if c.Goal.Metric.Epidemic {
			why = "too few days or cases for the epidemic to show it"
		}
		out.Notes = append(out.Notes, fmt.Sprintf("%s could not be estimated at %d of the probed adoptions (%.4g to %.4g) "+
			"in any replicate: %s (%s); raise %s",
			c.Goal.Metric.Name, len(undefined), undefined[0], undefined[len(undefined)-1], why,
			cmp.Or(c.Why, "a run's summary.json says why under unestimable"), cmp.Or(c.Enlarge, "population.size or days")))
	}
	x := &out.Mean
	if x.Note != "" {
		out.Notes = append(out.Notes, x.Note)
	}
	if c.Precision > 0 && x.Found && !(width < c.Precision) {
		w := "no upper end below the ownership cap"
		if finite(width) {
			w = fmt.Sprintf("%.3g wide", width)
		}
		out.Notes = append(out.Notes, fmt.Sprintf("the interval of the crossing is still %s after %d replicates "+
			"(the most allowed), not narrower than the precision %.3g asked for: the runs are too small to answer "+
			"that precisely; raise %s, or the maximum replicates", w, s.reps, c.Precision, cmp.Or(c.Enlarge, "population.size or days")))
	}
}
