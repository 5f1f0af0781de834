package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/bluesim/bluesim/internal/atomicfile"
	"github.com/bluesim/bluesim/radio"
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
applies to both. Parameters are the defaults of shared/reference/radio.md §5.`,
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
	f.StringSlice("carriage", []string{"hand"}, "carriage of advertiser[,scanner]: hand, front-pocket, back-pocket, shirt-pocket, bag, table")
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
}

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
	if c.txCarr, err = radio.ParseCarriage(strings.TrimSpace(carr[0])); err != nil {
		return c, usagef("--carriage: %v", err)
	}
	c.rxCarr = c.txCarr
	if len(carr) == 2 {
		if c.rxCarr, err = radio.ParseCarriage(strings.TrimSpace(carr[1])); err != nil {
			return c, usagef("--carriage: %v", err)
		}
	}
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
	kind := radio.KindFor(c.proto, radio.Android)
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
		e.txs = m.NewSchedule(kind, radio.Hash(c.seed, a))
		e.rxs = m.NewSchedule(kind, radio.Hash(c.seed, b))
		wins = e.rxs.AppendWindows(wins[:0], 0, e.rxs.ScanPeriod, false)
		e.win = wins[0]
		e.tx = radio.Phone{OS: radio.Android, Carriage: c.txCarr, Calibrated: calibrated,
			Offsets: m.ModelOffsets(c.seed, a)}
		e.rx = radio.Phone{OS: radio.Android, Carriage: c.rxCarr, Calibrated: calibrated,
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
	m, err := radio.NewModel(radio.DefaultParams())
	if err != nil {
		return err
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

// plotRadio draws three stacked panels against distance: the RSSI band
// (p10–p90 and median), the attenuation band, and p_detect_scan. The file
// is written to a temporary name and renamed, so a failed run leaves no
// partial plot.
func plotRadio(c radioConfig, rows []radioRow) error {
	title := fmt.Sprintf("%s, %s, carriage %s → %s", c.env, c.proto, c.txCarr, c.rxCarr)
	band := func(name, unit string, lo, mid, hi func(radioRow) float64) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = name + " — " + title
		p.X.Label.Text = "distance (m)"
		p.Y.Label.Text = unit
		p.Add(plotter.NewGrid())
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
		p.Legend.Top = true
		return p, nil
	}
	pr, err := band("RSSI", "RSSI (dBm)", func(r radioRow) float64 { return r.RSSI10 },
		func(r radioRow) float64 { return r.RSSI50 }, func(r radioRow) float64 { return r.RSSI90 })
	if err != nil {
		return err
	}
	pa, err := band("attenuation", "attenuation (dB)", func(r radioRow) float64 { return r.Atten10 },
		func(r radioRow) float64 { return r.Atten50 }, func(r radioRow) float64 { return r.Atten90 })
	if err != nil {
		return err
	}
	pd := plot.New()
	pd.Title.Text = "per-scan detection probability"
	pd.X.Label.Text = "distance (m)"
	pd.Y.Label.Text = "p_detect_scan"
	pd.Y.Min, pd.Y.Max = 0, 1.05
	pd.Add(plotter.NewGrid())
	var xys plotter.XYs
	for _, r := range rows {
		xys = append(xys, plotter.XY{X: r.Distance, Y: r.PDetect})
	}
	line, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	line.Width = vg.Points(1.5)
	pd.Add(line)

	const width, height = 16 * vg.Centimeter, 24 * vg.Centimeter
	var canvas vg.CanvasWriterTo
	if strings.ToLower(filepath.Ext(c.plotFile)) == ".svg" {
		canvas = vgsvg.New(width, height)
	} else {
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(width, height)}
	}
	plots := [][]*plot.Plot{{pr}, {pa}, {pd}}
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadY: 6 * vg.Millimeter, PadTop: 2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	dc := draw.New(canvas)
	for i, row := range plot.Align(plots, tiles, dc) {
		plots[i][0].Draw(row[0])
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
