// Package plots draws a run's figures with gonum/plot and composes
// report.html: one self-contained page (figures embedded as data URIs, no
// external resources) with a plain-language reading of the numbers for
// someone who is not a specialist.
//
// It writes no file. Renderer hands output.WriteRun the figures' PNG and
// SVG bytes and the page, and package output decides what goes where in
// the run folder; the install-target search renders its one curve with
// Figure.Render and writes it with output.WriteFigures.
//
// SweepRenderer does the same for a whole sweep (output.WriteSweep): its
// figures against adoption and its report, read from the sweep's
// summary.json (output.SweepSummary).
//
// Every figure is a Plot, which remembers what was added to it, so that
// Figure.Layout can place the legend where it covers no data: a corner of
// the data area the data leave empty, or else outside the data area;
// Figure.LegendClear checks the result by pixels.
//
// Figures are built from a sim.Result alone, so the same result always
// gives the same SVG bytes; tests pin them with golden files.
package plots // import "github.com/bluesim/bluesim/plots"
