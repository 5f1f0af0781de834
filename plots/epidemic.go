package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
)

// Figure names of the epidemic layer, drawn only when it is on.
const (
	FigInfections = "infections_over_time"
	FigREff       = "r_eff_over_time"
)

// epidemicRuns lists the runs of the epidemic tables: the arms in order,
// then the paired run without the app.
func epidemicRuns(r *sim.Result) []string {
	var out []string
	for _, a := range r.Arms {
		out = append(out, a.Name)
	}
	return append(out, sim.CounterfactualArm)
}

// runStyle draws the no-app run in grey and dashed, the arms in colour.
func runStyle(l *plotter.Line, i int, name string) {
	l.Width = vg.Points(1.8)
	if name == sim.CounterfactualArm {
		l.Color = color2(0.3)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		return
	}
	l.Color = col(i)
}

func infectionsFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigInfections, Title: "New infections per day, with and without the app",
		Caption: "New infections each day in each arm's epidemic (coloured) and in the same world without any app " +
			"(grey, dashed). Every run shares the same people, contacts and random draws, so the gap between a " +
			"coloured line and the grey one is what that app's notifications and the quarantines they caused " +
			"prevented, not chance."}
	p := newPlot(f.Title, "day of the simulation", "new infections")
	for i, name := range epidemicRuns(r) {
		var xy plotter.XYs
		for _, d := range r.Epidemic.Daily {
			if d.Arm == name {
				xy = append(xy, plotter.XY{X: float64(d.Day), Y: float64(d.NewInfections)})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return f, err
		}
		runStyle(l, i, name)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	p.X.Min, p.Y.Min = 0, 0
	f.Plot = p
	return f, nil
}

func rEffFigure(r *sim.Result, _ output.Options) (Figure, error) {
	f := Figure{Name: FigREff, Title: "Effective reproduction number by day of infection",
		Caption: "For the people infected on each day, the mean number of people they went on to infect (the " +
			"cohort reproduction number, read from the simulated transmission tree; days with fewer than five " +
			"infections are left out). Below the dotted line at 1 the epidemic shrinks. The last two weeks are " +
			"still incomplete at the end of the run: those people could infect others after it, so the curves " +
			"fall there."}
	p := newPlot(f.Title, "day of infection", "R (secondary infections per case)")
	maxDay := 0.0
	for i, name := range epidemicRuns(r) {
		var xy plotter.XYs
		for _, pt := range r.Epidemic.Rt {
			if pt.Arm == name && pt.Cases >= 5 {
				xy = append(xy, plotter.XY{X: float64(pt.Day), Y: pt.R})
				maxDay = math.Max(maxDay, float64(pt.Day))
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return f, err
		}
		runStyle(l, i, name)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	one, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: math.Max(1, maxDay), Y: 1}})
	if err != nil {
		return f, err
	}
	one.Color = color2(0.5)
	one.Dashes = []vg.Length{vg.Points(1), vg.Points(3)}
	p.Add(one)
	p.X.Min, p.Y.Min = 0, 0
	f.Plot = p
	return f, nil
}

// epidemicReading is the report's paragraph on the epidemic layer.
func epidemicReading(s *output.Summary) string {
	if s.Epidemic == nil {
		return ""
	}
	na := s.Epidemic.NoApp
	rEff := ""
	if finite(float64(na.REff)) {
		rEff = fmt.Sprintf("; effective reproduction number %.2f", float64(na.REff))
	}
	txt := fmt.Sprintf("With the epidemic layer on, the virus spread over the same simulated contacts (transmission "+
		"calibrated so that one case infects %.1f others in a fully susceptible population). Without any app, %s "+
		"people were infected over the %d days (%s of the population%s).",
		float64(s.Epidemic.TargetR0), thousands(int(na.Infections)), s.Days, pct(output.Num(na.AttackRate)), rEff)
	for _, a := range s.Arms {
		e := a.Epidemic
		if e == nil {
			continue
		}
		averted := fmt.Sprintf("%s infections averted, %s of those without the app", thousands(int(e.InfectionsAverted)),
			pct(e.Averted))
		if !finite(float64(e.Averted)) {
			averted = "too early to tell how many infections it averted"
		}
		txt += fmt.Sprintf(" With %s at %s adoption, %s were infected (%s): %s; %s people were notified, %s of them "+
			"became infected, and people spent %s days in quarantine or isolation, %s of them while not infected.",
			a.Name, pct(a.Adoption), thousands(int(e.Infections)), pct(output.Num(e.AttackRate)),
			averted, thousands(int(e.Notified)),
			pct(output.Num(e.SecondaryAttackRate)), thousands(int(e.QuarantinePersonDays)),
			thousands(int(e.QuarantineUninfectedDays)))
	}
	if why, ok := s.Epidemic.Unestimable["epidemic.r_eff"]; ok {
		txt += fmt.Sprintf(" The effective reproduction number is not reported: %s.", why)
	}
	return txt
}
