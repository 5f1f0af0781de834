package plots

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/bluesim/bluesim/output"
	"github.com/bluesim/bluesim/sim"
)

// Figure is one drawn figure.
type Figure struct {
	// Name is the file stem ("coverage_vs_adoption").
	Name string
	// Title is the heading the report gives it.
	Title string
	// Caption says in plain words what the figure shows and how to read it.
	Caption string
	// Plot is the gonum plot, which remembers its plotters so that the
	// legend can be placed off the data (Layout); Width and Height its
	// size.
	Plot          *Plot
	Width, Height vg.Length
}

// Default figure size and PNG resolution: 7 × 4.5 inches at 120 dpi is
// 840 × 540 pixels, readable in a browser without zooming.
const (
	defaultWidth  = 7 * vg.Inch
	defaultHeight = 4.5 * vg.Inch
	pngDPI        = 120
)

// PNG renders the figure as a PNG image.
func (f *Figure) PNG() ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(f.Width, f.Height), vgimg.UseDPI(pngDPI),
		vgimg.UseBackgroundColor(color.White))
	f.draw(draw.New(c), f.Layout(), true, true)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// SVG renders the figure as an SVG document. Fonts are referred to by
// name, not embedded, which keeps the files small and byte-stable.
func (f *Figure) SVG() ([]byte, error) {
	c := vgsvg.New(f.Width, f.Height)
	f.draw(draw.New(c), f.Layout(), true, true)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// Render encodes the figure as the files of a run folder (see
// output.Figure): its PNG and SVG bytes, with its title and caption.
func (f *Figure) Render() (output.Figure, error) {
	png, err := f.PNG()
	if err != nil {
		return output.Figure{}, err
	}
	svg, err := f.SVG()
	if err != nil {
		return output.Figure{}, err
	}
	return output.Figure{Name: f.Name, Title: f.Title, Caption: f.Caption, PNG: png, SVG: svg}, nil
}

// Renderer is bluesim's output.Renderer: the figures of Figures, rendered,
// and the page of Report. output.WriteRun writes what it returns.
type Renderer struct{}

// Figures draws and renders every figure of a run (see Figures).
func (Renderer) Figures(r *sim.Result, o output.Options) ([]output.Figure, error) {
	figs, err := Figures(r, o)
	if err != nil {
		return nil, err
	}
	out := make([]output.Figure, 0, len(figs))
	for i := range figs {
		rf, err := figs[i].Render()
		if err != nil {
			return nil, err
		}
		out = append(out, rf)
	}
	return out, nil
}

// Report returns report.html (see Report).
func (Renderer) Report(s *output.Summary, r *sim.Result, figs []output.Figure) ([]byte, error) {
	var buf bytes.Buffer
	if err := Report(&buf, s, r, figs); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// colorRGBA is a premultiplied colour (image/color.RGBA).
type colorRGBA = color.RGBA
