package main

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/bluesim/bluesim/sim"
)

// fakeClock advances by step at each reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 1)
	clock := &fakeClock{t: time.Unix(0, 0), step: 500 * time.Millisecond}
	p.now = clock.now
	rp := p.startRun("", 10)
	for d := 1; d <= 10; d++ {
		rp.update(sim.Progress{Day: d, Days: 10, AgentDays: int64(d) * 1000, AgentDaysPerSecond: 2000})
	}
	rp.finish(nil)
	p.wait()
	// Each update reads the clock once, half a second apart: the first
	// day, then every 2 s (4 days), then the last day.
	want := "day 1/10  agent-days/s 2000  eta 5s\n" +
		"day 5/10  agent-days/s 2000  eta 3s\n" +
		"day 9/10  agent-days/s 2000  eta 1s\n" +
		"day 10/10  agent-days/s 2000  eta 0s\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestProgressRuns(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 3)
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	p.now = clock.now
	p.started = clock.now()
	for i, err := range []error{nil, errors.New("failed"), nil} {
		rp := p.startRun("task "+string(rune('0'+i)), 1)
		rp.update(sim.Progress{Day: 1, Days: 1})
		rp.finish(err)
	}
	p.wait()
	want := "task 0: day 1/1  agent-days/s -  eta 0s\n" +
		"runs 1/3  eta 6s\n" +
		"task 1: day 1/1  agent-days/s -  eta 0s\n" +
		"task 2: day 1/1  agent-days/s -  eta 0s\n" +
		"runs 2/3  eta 4s\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
