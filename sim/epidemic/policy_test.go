package epidemic

import (
	"math"
	"slices"
	"testing"
)

// TestTestResultDay: symptomatic people are tested with the configured
// probability, asymptomatic people never, and the delay from onset has
// the configured mean; the draw does not depend on the day of infection.
func TestTestResultDay(t *testing.T) {
	m := newModel(t, nil)
	p := m.Params().Testing
	const n = 20000
	sym, tested := 0, 0
	delay := 0.0
	for i := range int32(n) {
		c := m.DrawCourse(i)
		c.Day = 10
		d, ok := m.TestResultDay(i, c)
		if c.Asymptomatic {
			if ok {
				t.Fatal("asymptomatic person tested")
			}
			continue
		}
		sym++
		if !ok {
			continue
		}
		tested++
		if d <= c.Day {
			t.Fatalf("result on day %d for infection on day %d", d, c.Day)
		}
		// Result day − infection day = floor(0.5 + onset + delay), whose
		// mean is onset + delay.
		delay += float64(d-c.Day) - float64(c.Onset)
		c.Day = 30
		d2, ok2 := m.TestResultDay(i, c)
		if !ok2 || d2-30 != d-10 {
			t.Fatalf("agent %d: test delay changes with the day of infection", i)
		}
	}
	if f := float64(tested) / float64(sym); math.Abs(f-p.Probability) > 0.015 {
		t.Errorf("tested share %.3f, want %.2f", f, p.Probability)
	}
	if mean := delay / float64(tested); math.Abs(mean-p.DelayMeanDays) > 0.08 {
		t.Errorf("mean delay %.3f days, want %.2f", mean, p.DelayMeanDays)
	}
	if _, ok := m.TestResultDay(0, Course{Day: NotInfected}); ok {
		t.Error("uninfected person tested positive")
	}
}

func TestUploadsAndComplies(t *testing.T) {
	m := newModel(t, nil)
	const n = 50000
	up, comp := 0, 0
	for i := range int32(n) {
		if m.Uploads(i) {
			up++
		}
		if m.Complies(i, 12) {
			comp++
		}
	}
	if f := float64(up) / n; math.Abs(f-m.Params().Testing.UploadCompliance) > 0.01 {
		t.Errorf("upload share %.3f", f)
	}
	if f := float64(comp) / n; math.Abs(f-m.Params().Quarantine.Compliance) > 0.01 {
		t.Errorf("compliance share %.3f", f)
	}
	differ := 0
	for i := range int32(1000) {
		if m.Complies(i, 12) != m.Complies(i, 13) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("compliance draw does not depend on the notification day")
	}
}

func TestQuarantines(t *testing.T) {
	q, err := NewQuarantines(10)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		agent, from int32
		days        int
		reason      Reason
		isNew       bool
		want        QuarantineState
	}{
		{1, 5, 14, ReasonApp, true, QuarantineState{Until: 19, Days: 14, Reason: ReasonApp}},
		{1, 8, 14, ReasonHousehold, false, QuarantineState{Until: 22, Days: 17, Reason: ReasonApp}},
		{1, 10, 3, ReasonIsolation, false, QuarantineState{Until: 22, Days: 17, Reason: ReasonIsolation}},
		{1, 40, 14, ReasonManual, true, QuarantineState{Until: 54, Days: 14, Reason: ReasonManual}},
		{2, 0, 1, ReasonHousehold, true, QuarantineState{Until: 1, Days: 1, Reason: ReasonHousehold}},
		{2, 1, 2, ReasonApp, true, QuarantineState{Until: 3, Days: 3, Reason: ReasonApp}},
	}
	for i, s := range steps {
		isNew, err := q.Start(s.agent, s.from, s.days, s.reason)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.State(s.agent); isNew != s.isNew || got != s.want {
			t.Errorf("step %d: new %v state %+v, want %v %+v", i, isNew, got, s.isNew, s.want)
		}
	}
	tests := []struct {
		agent, day int32
		in         bool
	}{{1, 39, false}, {1, 40, true}, {1, 53, true}, {1, 54, false}, {2, 0, true}, {2, 2, true}, {2, 3, false}, {3, 5, false}}
	for _, tc := range tests {
		if got := q.InQuarantine(tc.agent, tc.day); got != tc.in {
			t.Errorf("InQuarantine(%d, %d) = %v", tc.agent, tc.day, got)
		}
	}
	if !q.Excludes(1, 45, false) || q.Excludes(1, 45, true) || q.Excludes(1, 60, false) {
		t.Error("quarantine must remove non-household contacts only, while in force")
	}
	if _, err := q.Start(4, 3, 10, ReasonIsolation); err != nil {
		t.Fatal(err)
	}
	if !q.Excludes(4, 5, true) {
		t.Error("isolation must remove household contacts too")
	}
	for _, bad := range []struct {
		a, from int32
		days    int
		r       Reason
	}{{10, 0, 1, ReasonApp}, {-1, 0, 1, ReasonApp}, {0, 0, 0, ReasonApp}, {0, -1, 3, ReasonApp}, {0, 0, 3, ReasonNone}, {0, 0, 70000, ReasonApp}} {
		if _, err := q.Start(bad.a, bad.from, bad.days, bad.r); err == nil {
			t.Errorf("Start(%v) accepted", bad)
		}
	}
}

// TestTracerCapacity: index cases are traced first in, first out, at most
// capacity a day, from their due day on; a backlog carries over.
func TestTracerCapacity(t *testing.T) {
	m := newModel(t, func(p *Params) {
		p.ManualTracing = ManualTracing{Enabled: true, CapacityPerDay: 2, Fraction: 1, DelayDays: 1, LookbackDays: 2}
	})
	tr := NewTracer(m)
	// Contacts of index i: 100i+1 .. 100i+3, plus the index itself and a
	// duplicate, which must be dropped.
	var windows [][3]int32
	contacts := func(index, from, to int32, dst []int32) []int32 {
		windows = append(windows, [3]int32{index, from, to})
		return append(dst, 100*index+3, 100*index+1, 100*index+2, index, 100*index+1)
	}
	for _, i := range []int32{5, 3, 9, 1, 7} {
		tr.Enqueue(i, 0, -2)
	}
	tr.Enqueue(2, 1, -1)
	want := [][]int32{nil, {5, 3}, {9, 1}, {7, 2}, nil}
	for day, w := range want {
		ns := tr.Process(int32(day), contacts)
		var idx []int32
		for k, n := range ns {
			if n.Day != int32(day) {
				t.Fatalf("notice dated %d on day %d", n.Day, day)
			}
			if k%3 == 0 {
				idx = append(idx, n.Index)
			}
			if want := 100*n.Index + int32(k%3) + 1; n.Person != want {
				t.Fatalf("day %d: notice %d is %+v, want person %d", day, k, n, want)
			}
		}
		if len(ns) != 3*len(w) || !slices.Equal(idx, w) {
			t.Errorf("day %d: traced %v (%d notices), want %v", day, idx, len(ns), w)
		}
	}
	if tr.Backlog() != 0 {
		t.Errorf("backlog %d", tr.Backlog())
	}
	if windows[0] != [3]int32{5, -2, 0} {
		t.Errorf("window %v", windows[0])
	}
}

// TestTracerFraction: each contact is found with probability fraction.
func TestTracerFraction(t *testing.T) {
	m := newModel(t, func(p *Params) {
		p.ManualTracing = ManualTracing{Enabled: true, CapacityPerDay: 1000, Fraction: 0.6, DelayDays: 0}
	})
	tr := NewTracer(m)
	for i := range int32(500) {
		tr.Enqueue(i, 3, 0)
	}
	contacts := func(index, from, to int32, dst []int32) []int32 {
		for c := range int32(20) {
			dst = append(dst, 1000+index*20+c)
		}
		return dst
	}
	ns := tr.Process(3, contacts)
	if f := float64(len(ns)) / 10000; math.Abs(f-0.6) > 0.02 {
		t.Errorf("found share %.3f, want 0.6", f)
	}
	off := NewTracer(newModel(t, nil)) // manual tracing disabled by default
	off.Enqueue(1, 0, 0)
	if off.Backlog() != 0 || len(off.Process(5, contacts)) != 0 {
		t.Error("disabled tracer traced")
	}
}

func TestTraceWindowStart(t *testing.T) {
	m := newModel(t, nil)
	c := Course{Day: 10, Start: 2, Onset: 5.2, End: 15}
	if got := m.TraceWindowStart(c, 18); got != 15-2 {
		t.Errorf("symptomatic: %d, want %d", got, 13)
	}
	c.Asymptomatic = true
	if got := m.TraceWindowStart(c, 18); got != 16 {
		t.Errorf("asymptomatic: %d, want 16", got)
	}
}
