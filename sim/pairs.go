package sim

import (
	"cmp"
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

// setupScores prepares each arm's scoring: its rule as a Scorer and the
// summary of an exposure with nothing matched, which carries the rule's
// threshold. A rule that is not a Scorer is recorded by its verdict alone
// (Value 1 when it notifies, against a threshold of 1).
func (e *engine) setupScores() error {
	e.scorers = make([]tracing.Scorer, len(e.rules))
	e.zero = make([]tracing.Score, len(e.rules))
	e.exps = make([][]exposureScore, len(e.rules))
	for ai, r := range e.rules {
		s, ok := r.(tracing.Scorer)
		if !ok {
			e.zero[ai].Threshold = 1
			continue
		}
		e.scorers[ai] = s
		if _, err := s.Score(&tracing.Exposure{}, &e.zero[ai]); err != nil {
			return err
		}
		e.zero[ai].DayMillis = 0
	}
	return nil
}

// decide runs arm ai's rule on exposure x of contact to index, keeping
// the rule's exposure summary for the day's pair scores.
func (e *engine) decide(ai int, x *tracing.Exposure, index, contact int32) (bool, error) {
	s := e.scorers[ai]
	if s == nil {
		ok, err := e.rules[ai].Decide(x)
		sc := e.zero[ai]
		if ok {
			sc.Value = 1 // a verdict without a score
		}
		e.exps[ai] = append(e.exps[ai], exposureScore{index: index, contact: contact, score: sc})
		return ok, err
	}
	var sc tracing.Score
	ok, err := s.Score(x, &sc)
	e.exps[ai] = append(e.exps[ai], exposureScore{index: index, contact: contact, score: sc})
	return ok, err
}

// beginScores forgets the previous day's exposure summaries.
func (e *engine) beginScores() {
	for ai := range e.exps {
		e.exps[ai] = e.exps[ai][:0]
	}
}

// sortScores puts arm ai's exposure summaries in (index, contact) order.
func (e *engine) sortScores(ai int) {
	slices.SortFunc(e.exps[ai], func(a, b exposureScore) int {
		return cmp.Or(cmp.Compare(a.index, b.index), cmp.Compare(a.contact, b.contact))
	})
}

// addPair records the pair (index case ix, contact c) of arm ai scored on
// day d; inRange is false for a notification without any contact.
func (e *engine) addPair(ai int, ix int32, c *contact, inRange, notified bool, d int) {
	p := PairScore{Arm: int32(ai), Index: ix, Contact: c.other, Day: int16(d), InRange: inRange,
		Notified: notified, Score: e.zero[ai]}
	if inRange {
		p.Close, p.CloseMinutes, p.MinDistanceM, p.Venue, p.Environment = c.close, c.worstClose, c.minDist, c.kind, c.env
	}
	xs := e.exps[ai]
	if k, ok := slices.BinarySearchFunc(xs, [2]int32{ix, c.other}, func(x exposureScore, t [2]int32) int {
		return cmp.Or(cmp.Compare(x.index, t[0]), cmp.Compare(x.contact, t[1]))
	}); ok {
		p.Score = xs[k].score
	}
	e.pairs = append(e.pairs, p)
}
