package sim

import (
	"cmp"
	"reflect"
	"slices"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/tracing"
)

// PairScore is one (index case, contact) pair of one arm whose score the
// arm's rule stands behind: the index case's upload reached the arm and
// the contact had the arm's app, and they were within radio range in the
// infectious window (InRange), or the contact was notified anyway. It
// holds the protocol's own exposure summary (tracing.Score; zero, with
// the rule's threshold, when no sighting matched), the ground truth and
// the verdict, so that a threshold sweep of Score.Value traces the rule's
// ROC curve over the pairs the app could judge.
type PairScore struct {
	// Arm is the arm's index in Result.Arms; Index and Contact are agent
	// numbers; Day is the index case's day of diagnosis.
	Arm     int32 `json:"arm"`
	Index   int32 `json:"index"`
	Contact int32 `json:"contact"`
	Day     int16 `json:"day"`
	// InRange says the two were within radio range in the window; Close
	// that they were close contacts by the scenario's definition.
	InRange bool `json:"in_range"`
	Close   bool `json:"close"`
	// CloseMinutes is the most minutes within the close-contact distance
	// on one day; MinDistanceM the closest they came (0 when not in
	// range); Venue and Environment where they came closest.
	CloseMinutes float32           `json:"close_minutes"`
	MinDistanceM float32           `json:"min_distance_m"`
	Venue        agents.Kind       `json:"venue"`
	Environment  radio.Environment `json:"environment"`
	// Notified says the arm's rule notified the contact for this index
	// case.
	Notified bool `json:"notified"`
	// Score is the rule's exposure summary of the contact's matched
	// sightings.
	Score tracing.Score `json:"score"`
}

// Verdict is the pair's verdict: "tp", "fp", "fn" or "tn".
func (p *PairScore) Verdict() string {
	switch {
	case p.Close && p.Notified:
		return "tp"
	case p.Notified:
		return "fp"
	case p.Close:
		return "fn"
	}
	return "tn"
}

// exposureScore is one exposure's rule summary, kept from matching until
// the day's verdicts are scored.
type exposureScore struct {
	index, contact int32
	score          tracing.Score
}

// setupScores prepares each arm's scoring: its rules (one per matching
// part) as Scorers and the summary of an exposure with nothing matched,
// which carries the rule's threshold. A rule that is not a Scorer is
// recorded by its verdict alone (Value 1 when it notifies, against a
// threshold of 1). It also finds the arms with the same rule (setupTwins).
func (e *engine) setupScores() error {
	na := len(e.sc.Arms)
	e.setupTwins()
	e.scorers = make([][]tracing.Scorer, len(e.rules))
	e.zero = make([]tracing.Score, na)
	for p, rules := range e.rules {
		e.scorers[p] = make([]tracing.Scorer, na)
		for ai, r := range rules {
			if s, ok := r.(tracing.Scorer); ok {
				e.scorers[p][ai] = s
			}
		}
	}
	for ai := range na {
		s := e.scorers[0][ai]
		if s == nil {
			e.zero[ai].Threshold = 1
			continue
		}
		if _, err := s.Score(&tracing.Exposure{}, &e.zero[ai]); err != nil {
			return err
		}
		e.zero[ai].DayMillis = 0
	}
	return nil
}

// setupTwins sets e.mt.twin[ai] to the first arm of ai's group whose rule
// is the same as ai's (ai itself when no earlier arm's is): equal rule
// parameters, and rules built from them equal field by field before any
// use (reflect.DeepEqual, which a function-valued field makes unequal).
// Such twins differ only in who has the app (their adoption), so on an
// exposure whose kept sightings are the same for two of them, one's
// verdict and score are the other's: a rule's result depends on its
// parameters and the exposure alone (tracing.Rule), what it keeps between
// calls being scratch space.
func (e *engine) setupTwins() {
	na := len(e.sc.Arms)
	twin := make([]int, na)
	for ai := range na {
		twin[ai] = ai
		for bj := range ai {
			if e.armGroup[bj] == e.armGroup[ai] && reflect.DeepEqual(e.sc.Arms[bj].Rule, e.sc.Arms[ai].Rule) &&
				reflect.DeepEqual(e.rules[0][bj], e.rules[0][ai]) {
				twin[ai] = bj
				break
			}
		}
	}
	e.mt.twin = twin
}

// armVerdict is one arm's decision on the (upload, receiver) exposure
// being decided, kept for its twins.
type armVerdict struct {
	done   bool // the arm decided this exposure
	notify bool
	score  tracing.Score
	first  int64 // the earliest kept sighting (Unix ms)
}

// scoreExposure runs arm ai's rule of matching part number part on
// exposure x and returns its verdict and exposure summary.
func (e *engine) scoreExposure(part, ai int, x *tracing.Exposure) (bool, tracing.Score, error) {
	s := e.scorers[part][ai]
	if s == nil {
		ok, err := e.rules[part][ai].Decide(x)
		sc := e.zero[ai]
		if ok {
			sc.Value = 1 // a verdict without a score
		}
		return ok, sc, err
	}
	var sc tracing.Score
	ok, err := s.Score(x, &sc)
	return ok, sc, err
}

// gatherScores collects arm ai's exposure summaries of the day from the
// matching parts, in (index, contact) order.
func (s *scorer) gatherScores(ai int, parts []*matchPart) []exposureScore {
	xs := s.exps[ai][:0]
	for _, mp := range parts {
		if ai < len(mp.exps) {
			xs = append(xs, mp.exps[ai]...)
		}
	}
	slices.SortFunc(xs, func(a, b exposureScore) int {
		return cmp.Or(cmp.Compare(a.index, b.index), cmp.Compare(a.contact, b.contact))
	})
	s.exps[ai] = xs
	return xs
}

// addPair records the pair (index case ix, contact c) of arm ai scored on
// day d; inRange is false for a notification without any contact. xs are
// the arm's exposure summaries of the day, in (index, contact) order.
func (s *scorer) addPair(ai int, xs []exposureScore, ix int32, c *contact, inRange, notified bool, d int) {
	p := PairScore{Arm: int32(ai), Index: ix, Contact: c.other, Day: int16(d), InRange: inRange,
		Notified: notified, Score: s.e.zero[ai]}
	if inRange {
		p.Close, p.CloseMinutes, p.MinDistanceM, p.Venue, p.Environment = c.close, c.worstClose, c.minDist, c.kind, c.env
	}
	if k, ok := slices.BinarySearchFunc(xs, [2]int32{ix, c.other}, func(x exposureScore, t [2]int32) int {
		return cmp.Or(cmp.Compare(x.index, t[0]), cmp.Compare(x.contact, t[1]))
	}); ok {
		p.Score = xs[k].score
	}
	s.pairs[ai].push(p)
}
