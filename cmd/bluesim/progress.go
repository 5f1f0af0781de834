package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/bluesim/bluesim/sim"
)

// progress shows how simulation runs advance, on stderr. On a terminal it
// draws mpb bars (one for the runs when there are several, one per run for
// its days, with agent-days per second and the time left); anywhere else
// (a pipe, a log file, a test's buffer) it prints plain lines at most every
// plainInterval, plus the first and last day of each run:
//
//	day 3/14  agent-days/s 25000  eta 12s
//
// run and sweep share it: newProgress(w, runs), then for each run
// startRun(label, days), whose update method is a sim.WithProgress
// callback, and finish(err); wait when every run is done. Methods are safe
// to call from several goroutines (sweep runs tasks in parallel).
type progress struct {
	w        io.Writer
	runs     int
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	done    int
	started time.Time
	bars    *mpb.Progress // nil in plain mode
	runsBar *mpb.Bar      // nil with one run or in plain mode
}

// plainInterval is the least time between two plain progress lines of a
// run: frequent enough to show life in a CI log, sparse enough to keep it
// short.
const plainInterval = 2 * time.Second

// isTerminal reports whether w is a terminal with a size. A terminal of
// zero rows (a pseudo-terminal nobody sized, as some CI runners make)
// would show no bar at all, so it gets the plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false
	}
	cols, rows, err := term.GetSize(int(f.Fd()))
	return err == nil && cols > 0 && rows > 0
}

// newProgress starts progress reporting for runs runs on w, with bars when
// w is a terminal.
func newProgress(w io.Writer, runs int) *progress {
	p := &progress{w: w, runs: runs, interval: plainInterval, now: time.Now}
	p.started = p.now()
	if isTerminal(w) {
		p.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
		if runs > 1 {
			p.runsBar = p.bars.AddBar(int64(runs),
				mpb.PrependDecorators(decor.Name("runs ", decor.WC{W: 8}), decor.CountersNoUnit("%d/%d", decor.WCSyncWidth)),
				mpb.AppendDecorators(decor.Name(" eta "), decor.AverageETA(decor.ET_STYLE_GO)),
				mpb.BarPriority(-1))
		}
	}
	return p
}

// runProgress follows one run.
type runProgress struct {
	p       *progress
	label   string
	days    int
	started time.Time
	last    time.Time
	bar     *mpb.Bar
	speed   atomic.Uint64 // float64 bits of agent-days/s, read by the bar's decorator
}

// startRun begins following a run of days days; label names it in the
// lines and bars ("" for a lone run).
func (p *progress) startRun(label string, days int) *runProgress {
	rp := &runProgress{p: p, label: label, days: days, started: p.now()}
	if p.bars != nil {
		name := "days "
		if label != "" {
			name = label + " "
		}
		opts := []mpb.BarOption{
			mpb.PrependDecorators(decor.Name(name, decor.WC{W: 8}), decor.CountersNoUnit("%d/%d", decor.WCSyncWidth)),
			mpb.AppendDecorators(
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf(" %s agent-days/s", fmtRate(math.Float64frombits(rp.speed.Load())))
				}),
				decor.Name(" eta "), decor.AverageETA(decor.ET_STYLE_GO)),
		}
		if p.runs > 1 {
			opts = append(opts, mpb.BarRemoveOnComplete())
		}
		rp.bar = p.bars.AddBar(int64(days), opts...)
	}
	return rp
}

// update is the sim.WithProgress callback.
func (rp *runProgress) update(sp sim.Progress) {
	p := rp.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if rp.bar != nil {
		rp.speed.Store(math.Float64bits(sp.AgentDaysPerSecond))
		rp.bar.SetCurrent(int64(sp.Day))
		return
	}
	now := p.now()
	if sp.Day != 1 && sp.Day != sp.Days && now.Sub(rp.last) < p.interval {
		return
	}
	rp.last = now
	eta := time.Duration(0)
	if sp.Day > 0 {
		per := now.Sub(rp.started) / time.Duration(sp.Day)
		eta = per * time.Duration(sp.Days-sp.Day)
	}
	prefix := ""
	if rp.label != "" {
		prefix = rp.label + ": "
	}
	fmt.Fprintf(p.w, "%sday %d/%d  agent-days/s %s  eta %s\n", prefix, sp.Day, sp.Days,
		fmtRate(sp.AgentDaysPerSecond), fmtDuration(eta))
}

// finish ends the run: complete on success, aborted on error.
func (rp *runProgress) finish(err error) {
	p := rp.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if rp.bar != nil {
		if err != nil {
			rp.bar.Abort(false)
		} else {
			rp.bar.SetTotal(-1, true)
		}
	}
	if err != nil {
		return
	}
	p.done++
	if p.runsBar != nil {
		p.runsBar.SetCurrent(int64(p.done))
	} else if p.bars == nil && p.runs > 1 {
		el := p.now().Sub(p.started)
		eta := el / time.Duration(p.done) * time.Duration(p.runs-p.done)
		fmt.Fprintf(p.w, "runs %d/%d  eta %s\n", p.done, p.runs, fmtDuration(eta))
	}
}

// growTo raises the number of runs expected to at least runs (a target
// search that adds replicates); the caller holds p.mu.
func (p *progress) growTo(runs int) {
	if runs <= p.runs {
		return
	}
	p.runs = runs
	if p.runsBar != nil {
		p.runsBar.SetTotal(int64(runs), false)
	}
}

// wait stops the bars, leaving the terminal clean for what follows.
func (p *progress) wait() {
	if p.bars == nil {
		return
	}
	if p.runsBar != nil && !p.runsBar.Completed() {
		p.runsBar.Abort(false)
	}
	p.bars.Wait()
}

// fmtRate prints a rate with no decimals (and "-" before there is one).
func fmtRate(x float64) string {
	if x <= 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return "-"
	}
	return fmt.Sprintf("%.0f", x)
}

// fmtDuration prints a duration rounded to the second ("0s", "12s",
// "1m20s").
func fmtDuration(d time.Duration) string {
	return d.Round(time.Second).String()
}
