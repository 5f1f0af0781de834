package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/bluesim/bluesim/agents"
	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/plots"
	"github.com/bluesim/bluesim/radio"
	"github.com/bluesim/bluesim/scenarios"
)

func init() { register("", newRadioCommand) }

// radioColumns are the output columns, in order: the contract of
// `bluesim radio` (issue 3).
var radioColumns = []string{"distance_m", "rssi_p10", "rssi_p50", "rssi_p90",
	"atten_p10", "atten_p50", "atten_p90", "p_detect_scan"}

func newRadioCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "radio [--env indoor|outdoor|vehicle] [--from 0.5] [--to 10] [--step 0.5] [--carriage hand[,front-pocket]] [--protocol gaen|bluezone] [--samples N] [--seed N] [--format table|csv|json] [--plot FILE.png|.svg]",
		Short: "Print RSSI and attenuation percentiles and per-scan detection against distance",
		Long: `radio samples the BLE link model of package radio at each distance from
--from to --to in steps of --step and prints, per distance, the 10th, 50th and
90th percentiles of the per-packet RSSI (dBm) and attenuation (dB) over
--samples independent encounters, and p_detect_scan, the fraction of scan
windows in which at least one packet was received.

Each encounter draws a new pair of phone models (device offsets), new
schedules (advertising interval and phase), a new pose (slow shadowing,
channel offsets) and new per-packet fading; the scan window is the
protocol's: GAEN 4 s, Bluezone's 40 s background scan. The same encounters
are reused at every distance, so the curves are smooth. GAEN attenuation is
calibrated (all but a 3 dB residual of the device offsets removed); Bluezone
advertises no TX power, so its attenuation is against the nominal level and
keeps the full device spread.

--carriage gives the advertiser's and the scanner's carriage; one value
applies to both. Parameters are the defaults of shared/reference/radio.md §5.

The same radio as the simulator. A run's tables/attenuation_samples sample
the same link model, but with other inputs than this command's defaults,
which is why its medians lie about 10 dB higher at the same distance:

  carriage   here hand to hand; the simulator draws each person's from the
             population's mix (25 % hand, 35 % front pocket, 15 % back
             pocket, 5 % shirt pocket, 20 % bag): --carriage population
  phones     here Android; the simulator's are a third iPhones:
             --os population
  statistic  here per-packet attenuation; the simulator samples GAEN's
             per-scan typical attenuation (the mean over a scan window's
             packets, what GAEN's rules read): --statistic scan
  bodies     the simulator puts people between the phones in crowded
             places (density x distance x 0.5 of them) and walls between
             rooms: --people N, --walls N
  parameters a scenario's radio: block and phone mix: --scenario NAME|FILE

--carriage population --os population --statistic scan --scenario S then
give the distribution the simulator samples for scenario S's phones at
that distance, with no bodies or walls between them (a test checks this
against the simulator). Without them a note on standard error says so.`,
		Example: `  bluesim radio --env indoor --from 0.5 --to 10 --step 0.5
  bluesim radio --env vehicle --carriage hand,back-pocket --format csv
  bluesim radio --env outdoor --protocol bluezone --plot radio.svg`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRadio(a, cmd)
		},
	}
	f := cmd.Flags()
	f.String("env", "indoor", "environment: indoor, outdoor or vehicle")
	f.Float64("from", 0.5, "first distance, metres (> 0)")
	f.Float64("to", 10, "last distance, metres (>= --from)")
	f.Float64("step", 0.5, "distance step, metres (> 0)")
	f.StringSlice("carriage", []string{"hand"}, "carriage of advertiser[,scanner]: hand, front-pocket, back-pocket, shirt-pocket, bag, table, or population (drawn per phone from the population's mix, as the simulator does)")
	f.String("os", "android", "phones' OS: android, ios, or population (drawn per phone from the population's iPhone share, as the simulator does)")
	f.String("statistic", "packet", "attenuation statistic: packet (every packet) or scan (GAEN's per-scan typical attenuation, what the simulator's attenuation_samples hold)")
	f.String("scenario", "", "take the radio parameters and the phone mix (carriage, iPhone share) from this scenario file or built-in (default: the built-in defaults)")
	f.String("protocol", "gaen", "protocol whose schedule and calibration apply: gaen or bluezone")
	f.Int("samples", 1000, "independent encounters per distance (1..1000000)")
	f.Uint64("seed", 1, "random seed")
	f.Int("people", 0, "people standing between the phones")
	f.Int("walls", 0, "walls between the phones")
	f.String("format", "table", "output format: table, csv or json")
	f.String("plot", "", "also draw the curves to this file (.png or .svg)")
	return cmd
}

// radioConfig is a validated `bluesim radio` invocation.
type radioConfig struct {
	env              radio.Environment
	distances        []float64
	txCarr, rxCarr   radio.Carriage
	proto            radio.Protocol
	samples          int
	seed             uint64
	people, walls    int
	format, plotFile string
	// params is the radio model's parameters; phones the population's
	// phone mix, for --carriage population and --os population.
	params radio.Params
	phones agents.Phones
	// popCarriage and popOS draw each phone's carriage and OS from phones;
	// otherwise txCarr, rxCarr and os apply.
	popCarriage, popOS bool
	os                 radio.OS
	// perScan reports GAEN's per-scan typical attenuation and the mean
	// RSSI of each scan instead of every packet.
	perScan bool
}

// matchesSim says whether c samples what the simulator's
// attenuation_samples hold (up to bodies and walls between the phones).
func (c radioConfig) matchesSim() bool { return c.popCarriage && c.popOS && c.perScan }

func parseRadioFlags(a *app) (radioConfig, error) {
	var c radioConfig
	var err error
	if c.env, err = radio.ParseEnvironment(a.str("env")); err != nil {
		return c, usagef("--env: %v", err)
	}
	num := func(name string) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(a.str(name)), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, usagef("--%s %q: want a finite number of metres", name, a.str(name))
		}
		return v, nil
	}
	from, err := num("from")
	if err != nil {
		return c, err
	}
	to, err := num("to")
	if err != nil {
		return c, err
	}
	step, err := num("step")
	if err != nil {
		return c, err
	}
	switch {
	case from <= 0:
		return c, usagef("--from %v: want a distance > 0 m", from)
	case to < from:
		return c, usagef("--to %v: want a distance >= --from (%v)", to, from)
	case step <= 0:
		return c, usagef("--step %v: want a step > 0 m", step)
	case (to-from)/step > 10000:
		return c, usagef("--step %v: gives more than 10000 distances from %v to %v", step, from, to)
	}
	// Integer steps avoid accumulating rounding; the small tolerance keeps
	// --to itself when (to-from)/step is a whole number in decimal.
	for i := 0; ; i++ {
		d := from + float64(i)*step
		if d > to+step*1e-9 {
			break
		}
		c.distances = append(c.distances, d)
	}
	carr := a.strings("carriage")
	if len(carr) < 1 || len(carr) > 2 {
		return c, usagef("--carriage %q: want one or two carriages (advertiser[,scanner])", strings.Join(carr, ","))
	}
	if len(carr) == 1 && strings.TrimSpace(carr[0]) == "population" {
		c.popCarriage = true
	} else {
		if c.txCarr, err = radio.ParseCarriage(strings.TrimSpace(carr[0])); err != nil {
			return c, usagef("--carriage: %v (or population)", err)
		}
		c.rxCarr = c.txCarr
		if len(carr) == 2 {
			if c.rxCarr, err = radio.ParseCarriage(strings.TrimSpace(carr[1])); err != nil {
				return c, usagef("--carriage: %v (or population)", err)
			}
		}
	}
	switch o := strings.TrimSpace(a.str("os")); o {
	case "android":
		c.os = radio.Android
	case "ios":
		c.os = radio.IOS
	case "population":
		c.popOS = true
	default:
		return c, usagef("--os %q: want android, ios or population", o)
	}
	switch st := strings.TrimSpace(a.str("statistic")); st {
	case "packet":
	case "scan":
		c.perScan = true
	default:
		return c, usagef("--statistic %q: want packet or scan", st)
	}
	sc := scenarios.Default()
	if name := a.str("scenario"); name != "" {
		l, err := scenarios.Resolve(name)
		if err != nil {
			return c, asUsage(fmt.Errorf("--scenario: %w", err))
		}
		sc = l.Scenario
	}
	c.params, c.phones = sc.Radio, sc.Population.Phones
	if c.proto, err = radio.ParseProtocol(a.str("protocol")); err != nil {
		return c, usagef("--protocol: %v", err)
	}
	c.samples, err = strconv.Atoi(strings.TrimSpace(a.str("samples")))
	if err != nil || c.samples < 1 || c.samples > 1_000_000 {
		return c, usagef("--samples %q: want a whole number in 1..1000000", a.str("samples"))
	}
	c.seed, err = strconv.ParseUint(strings.TrimSpace(a.str("seed")), 10, 64)
	if err != nil {
		return c, usagef("--seed %q: want a whole number >= 0", a.str("seed"))
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"people", &c.people}, {"walls", &c.walls}} {
		*f.dst, err = strconv.Atoi(strings.TrimSpace(a.str(f.name)))
		if err != nil || *f.dst < 0 || *f.dst > 100 {
			return c, usagef("--%s %q: want a whole number in 0..100", f.name, a.str(f.name))
		}
	}
	c.format = a.str("format")
	if !slices.Contains([]string{"table", "csv", "json"}, c.format) {
		return c, usagef("--format %q: want table, csv or json", c.format)
	}
	c.plotFile = a.str("plot")
	if c.plotFile != "" {
		if ext := strings.ToLower(filepath.Ext(c.plotFile)); ext != ".png" && ext != ".svg" {
			return c, usagef("--plot %q: want a file name ending in .png or .svg", c.plotFile)
		}
	}
	return c, nil
}

// radioRow is one distance of the output; NaN means no packet was heard.
type radioRow struct {
	Distance                  float64
	RSSI10, RSSI50, RSSI90    float64
	Atten10, Atten50, Atten90 float64
	PDetect                   float64
}

func (r radioRow) values() []float64 {
	return []float64{r.Distance, r.RSSI10, r.RSSI50, r.RSSI90, r.Atten10, r.Atten50, r.Atten90, r.PDetect}
}

// radioCurve samples the link model at every distance of c.
func radioCurve(m *radio.Model, c radioConfig) []radioRow {
	calibrated := m.Params().Calibrated(c.proto)
	type encounter struct {
		tx, rx radio.Phone
		txs    radio.Schedule
		rxs    radio.Schedule
		win    radio.ScanWindow
		key    radio.StreamKey
	}
	// The encounters are drawn once and reused at every distance (common
	// random numbers, DESIGN.md rule 3).
	enc := make([]encounter, c.samples)
	var wins []radio.ScanWindow
	for i := range enc {
		e := &enc[i]
		a, b := uint64(2*i), uint64(2*i+1)
		txOS, txCarr := c.phone(a, c.txCarr)
		rxOS, rxCarr := c.phone(b, c.rxCarr)
		e.txs = m.NewSchedule(radio.KindFor(c.proto, txOS), radio.Hash(c.seed, a))
		e.rxs = m.NewSchedule(radio.KindFor(c.proto, rxOS), radio.Hash(c.seed, b))
		wins = e.rxs.AppendWindows(wins[:0], 0, e.rxs.ScanPeriod, false)
		e.win = wins[0]
		e.tx = radio.Phone{OS: txOS, Carriage: txCarr, Calibrated: calibrated,
			Offsets: m.ModelOffsets(c.seed, a)}
		e.rx = radio.Phone{OS: rxOS, Carriage: rxCarr, Calibrated: calibrated,
			Offsets: m.ModelOffsets(c.seed, b)}
		e.key = radio.StreamKey{Seed: c.seed, Pair: radio.PairKey(a, b), Window: radio.WindowKey(b, e.win.Index)}
	}
	buf := make([]float32, 1024)
	var rssi, atten []float64
	rows := make([]radioRow, 0, len(c.distances))
	for _, d := range c.distances {
		rssi, atten = rssi[:0], atten[:0]
		detected := 0
		for i := range enc {
			e := &enc[i]
			e.tx.Sched, e.rx.Sched = &e.txs, &e.rxs
			l := radio.Link{DistanceM: d, Env: c.env, People: c.people, Walls: c.walls, Tx: e.tx, Rx: e.rx}
			if need := m.Events(&e.txs, &e.rxs, e.win); need > len(buf) {
				buf = make([]float32, need)
			}
			rep, n := m.ScanInto(l, e.win, e.key, buf)
			if rep.Detected() {
				detected++
			}
			if c.perScan {
				if rep.Received > 0 {
					rssi = append(rssi, float64(rep.MeanRSSI))
					atten = append(atten, float64(rep.TypicalAttenDB))
				}
				continue
			}
			for _, r := range buf[:n] {
				rssi = append(rssi, float64(r))
				atten = append(atten, m.Attenuation(e.tx, e.rx, float64(r)))
			}
		}
		row := radioRow{Distance: d, PDetect: float64(detected) / float64(len(enc))}
		row.RSSI10, row.RSSI50, row.RSSI90 = radioQuantiles(rssi)
		row.Atten10, row.Atten50, row.Atten90 = radioQuantiles(atten)
		rows = append(rows, row)
	}
	return rows
}

// radioQuantiles returns the 10th, 50th and 90th percentiles of x (sorting it),
// or NaNs when x is empty.
func radioQuantiles(x []float64) (p10, p50, p90 float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	slices.Sort(x)
	return stat.Quantile(0.1, stat.LinInterp, x, nil), stat.Quantile(0.5, stat.LinInterp, x, nil),
		stat.Quantile(0.9, stat.LinInterp, x, nil)
}

func runRadio(a *app, cmd *cobra.Command) error {
	c, err := parseRadioFlags(a)
	if err != nil {
		return err
	}
	m, err := radio.NewModel(c.params)
	if err != nil {
		return err
	}
	if !c.matchesSim() {
		fmt.Fprintln(a.stderr, "note: the simulator's attenuation_samples use the population's carriages and phones and GAEN's per-scan "+
			"attenuation; to sample what it samples: --carriage population --os population --statistic scan (see bluesim radio --help)")
	}
	rows := radioCurve(m, c)
	if c.plotFile != "" {
		if err := plotRadio(c, rows); err != nil {
			return err
		}
	}
	return writeRadio(a.stdout, c.format, rows)
}

// formatRadio formats column i of a row: distances to 2 decimals, dB to
// 1, probabilities to 3; "NaN" (no packet heard) as empty.
func formatRadio(i int, v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case i == 0:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case i == len(radioColumns)-1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func writeRadio(w io.Writer, format string, rows []radioRow) error {
	switch format {
	case "csv":
		if _, err := fmt.Fprintln(w, strings.Join(radioColumns, ",")); err != nil {
			return err
		}
		for _, r := range rows {
			cells := make([]string, len(radioColumns))
			for i, v := range r.values() {
				cells[i] = formatRadio(i, v)
			}
			if _, err := fmt.Fprintln(w, strings.Join(cells, ",")); err != nil {
				return err
			}
		}
		return nil
	case "json":
		// One object per distance, keys in column order, null where no
		// packet was heard; numbers rounded as in the table.
		var b strings.Builder
		b.WriteString("[")
		for k, r := range rows {
			if k > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n  {")
			for i, v := range r.values() {
				if i > 0 {
					b.WriteString(", ")
				}
				s := formatRadio(i, v)
				if s == "" {
					s = "null"
				}
				fmt.Fprintf(&b, "%q: %s", radioColumns[i], s)
			}
			b.WriteString("}")
		}
		b.WriteString("\n]\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	// Table: right-aligned columns as wide as their headers (at least 8),
	// "-" where no packet was heard.
	widths := make([]int, len(radioColumns))
	for i, h := range radioColumns {
		widths[i] = max(len(h), 8)
	}
	var b strings.Builder
	for i, h := range radioColumns {
		if i > 0 {
			b.WriteString("  ")
		}
		fmt.Fprintf(&b, "%*s", widths[i], h)
	}
	b.WriteByte('\n')
	for _, r := range rows {
		for i, v := range r.values() {
			if i > 0 {
				b.WriteString("  ")
			}
			s := formatRadio(i, v)
			if s == "" {
				s = "-"
			}
			fmt.Fprintf(&b, "%*s", widths[i], s)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Size of the --plot figure and of each of its three panels.
const (
	radioPlotWidth, radioPlotHeight = 16 * vg.Centimeter, 24 * vg.Centimeter
	radioPanelHeight                = radioPlotHeight / 3
)

// radioFigures are the three panels of --plot against distance: the RSSI
// band (p10–p90 and median), the attenuation band, and p_detect_scan,
// each a plots figure, so that its legend goes where it covers no line.
func radioFigures(c radioConfig, rows []radioRow) ([]plots.Figure, error) {
	title := fmt.Sprintf("%s, %s, carriage %s → %s", c.env, c.proto, c.txCarr, c.rxCarr)
	band := func(name, unit string, lo, mid, hi func(radioRow) float64) (*plots.Plot, error) {
		p := plots.NewPlot(name+" — "+title, "distance (m)", unit)
		for _, s := range []struct {
			label string
			get   func(radioRow) float64
			dash  bool
		}{{"p10", lo, true}, {"p50", mid, false}, {"p90", hi, true}} {
			var xys plotter.XYs
			for _, r := range rows {
				if v := s.get(r); !math.IsNaN(v) {
					xys = append(xys, plotter.XY{X: r.Distance, Y: v})
				}
			}
			if len(xys) == 0 {
				continue
			}
			line, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			line.Color = color.RGBA{B: 180, A: 255}
			line.Width = vg.Points(1.5)
			if s.dash {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				line.Width = vg.Points(1)
			}
			p.Add(line)
			p.Legend.Add(s.label, line)
		}
		return p, nil
	}
	pr, err := band("RSSI", "RSSI (dBm)", func(r radioRow) float64 { return r.RSSI10 },
		func(r radioRow) float64 { return r.RSSI50 }, func(r radioRow) float64 { return r.RSSI90 })
	if err != nil {
		return nil, err
	}
	pa, err := band("attenuation", "attenuation (dB)", func(r radioRow) float64 { return r.Atten10 },
		func(r radioRow) float64 { return r.Atten50 }, func(r radioRow) float64 { return r.Atten90 })
	if err != nil {
		return nil, err
	}
	pd := plots.NewPlot("per-scan detection probability", "distance (m)", "p_detect_scan")
	pd.Y.Min, pd.Y.Max = 0, 1.05
	var xys plotter.XYs
	for _, r := range rows {
		xys = append(xys, plotter.XY{X: r.Distance, Y: r.PDetect})
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	line.Width = vg.Points(1.5)
	pd.Add(line)
	var figs []plots.Figure
	for i, p := range []*plots.Plot{pr, pa, pd} {
		figs = append(figs, plots.Figure{Name: fmt.Sprintf("radio-%d", i+1), Plot: p, Width: radioPlotWidth, Height: radioPanelHeight})
	}
	return figs, nil
}

// plotRadio draws the three panels of radioFigures stacked. The file is
// written to a temporary name and renamed, so a failed run leaves no
// partial plot.
func plotRadio(c radioConfig, rows []radioRow) error {
	figs, err := radioFigures(c, rows)
	if err != nil {
		return err
	}
	const width, height = radioPlotWidth, radioPlotHeight
	var canvas vg.CanvasWriterTo
	if strings.ToLower(filepath.Ext(c.plotFile)) == ".svg" {
		canvas = vgsvg.New(width, height)
	} else {
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(width, height)}
	}
	dc := draw.New(canvas)
	for i := range figs {
		// Top to bottom.
		tile := dc
		tile.Min.Y = height - vg.Length(i+1)*radioPanelHeight
		tile.Max.Y = tile.Min.Y + radioPanelHeight
		figs[i].DrawIn(draw.Crop(tile, 2*vg.Millimeter, -4*vg.Millimeter, 3*vg.Millimeter, -2*vg.Millimeter))
	}
	err = atomicfile.Write(c.plotFile, atomicfile.Output, func(w io.Writer) error {
		_, err := canvas.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	return nil
}

// phone returns encounter phone k's OS and carriage: drawn from the
// population's phone mix (its iPhone share, its carriage shares) with
// --os population and --carriage population, as agents draws each
// person's, or else the flags' fixed ones.
func (c radioConfig) phone(k uint64, carr radio.Carriage) (radio.OS, radio.Carriage) {
	os := c.os
	r := rand.New(rand.NewPCG(radio.Hash(c.seed, k), 0x70686f6e65))
	if c.popOS {
		os = radio.Android
		if r.Float64() < c.phones.IOSShare {
			os = radio.IOS
		}
	}
	if c.popCarriage {
		u := r.Float64()
		i := 0
		for i < len(c.phones.Carriage)-1 && u >= c.phones.Carriage[i] {
			u -= c.phones.Carriage[i]
			i++
		}
		carr = radio.Carriage(i)
	}
	return os, carr
}
