// Package plots draws a run's figures with gonum/plot, writes them as PNG
// and SVG, and assembles report.html: one self-contained page (figures
// embedded as data URIs, no external resources) with a plain-language
// reading of the numbers for someone who is not a specialist.
//
// Figures are built from a sim.Result alone, so the same result always
// gives the same SVG bytes; tests pin them with golden files.
package plots // import "github.com/bluesim/bluesim/plots"
