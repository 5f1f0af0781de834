package sim

import "time"

// PhaseTime is the time a run spent in one phase of its days, summed over
// the days: wall-clock seconds and the process's CPU seconds (user and
// system, every goroutine) while the phase ran. Phases run one after
// another, so CPU/wall is the phase's parallelism.
type PhaseTime struct {
	Name        string  `json:"name"`
	WallSeconds float64 `json:"wall_seconds"`
	CPUSeconds  float64 `json:"cpu_seconds"`
}

// phaseClock times the phases of a run. The zero clock times nothing
// until start is called (setup, and the epidemic's calibration week, are
// not part of the run's time).
type phaseClock struct {
	on bool
	// parCPU is the CPU time spent inside parallel sections (engine.parallel
	// and the sites); the rest of the run's CPU time is serial code.
	parCPU  float64
	depth   int
	cpu0    float64
	names   []string
	wall    []float64
	cpu     []float64
	hasCPU  bool
	started time.Time
}

func (c *phaseClock) start() {
	c.on = true
	c.started = time.Now()
	c.cpu0, c.hasCPU = processCPU()
}

// time runs fn as phase name, adding its wall and CPU time to the phase.
func (c *phaseClock) time(name string, fn func() error) error {
	if !c.on {
		return fn()
	}
	w0 := time.Now()
	u0, _ := processCPU()
	err := fn()
	u1, _ := processCPU()
	i := 0
	for i < len(c.names) && c.names[i] != name {
		i++
	}
	if i == len(c.names) {
		c.names = append(c.names, name)
		c.wall = append(c.wall, 0)
		c.cpu = append(c.cpu, 0)
	}
	c.wall[i] += time.Since(w0).Seconds()
	c.cpu[i] += u1 - u0
	return err
}

// parallel runs fn, a section whose work is split across the workers,
// adding its CPU time to parCPU.
func (c *phaseClock) parallel(fn func()) {
	if !c.on || c.depth > 0 {
		fn()
		return
	}
	c.depth++
	u0, _ := processCPU()
	fn()
	u1, _ := processCPU()
	c.depth--
	c.parCPU += u1 - u0
}

// result returns the run's CPU seconds since start (0 where the system
// does not report it) and each phase's times, in the order the phases
// first ran.
func (c *phaseClock) result() (float64, []PhaseTime) {
	var total float64
	if u, ok := processCPU(); ok && c.hasCPU {
		total = u - c.cpu0
	}
	out := make([]PhaseTime, len(c.names))
	for i, n := range c.names {
		out[i] = PhaseTime{Name: n, WallSeconds: c.wall[i], CPUSeconds: c.cpu[i]}
	}
	return total, out
}
