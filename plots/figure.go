package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/bluesim/bluesim/internal/atomicfile"
)

// Figure is one drawn figure.
type Figure struct {
	// Name is the file stem ("coverage_vs_adoption").
	Name string
	// Title is the heading the report gives it.
	Title string
	// Caption says in plain words what the figure shows and how to read it.
	Caption string
	// Plot is the gonum plot; Width and Height its size.
	Plot          *plot.Plot
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
	f.Plot.Draw(draw.New(c))
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
	f.Plot.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}

// WriteFigures writes NAME.png and NAME.svg for each figure in dir
// (created if needed), each file atomically, and returns the file names
// written.
func WriteFigures(dir string, figs []Figure) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var names []string
	for i := range figs {
		f := &figs[i]
		png, err := f.PNG()
		if err != nil {
			return names, err
		}
		svg, err := f.SVG()
		if err != nil {
			return names, err
		}
		for _, x := range []struct {
			ext  string
			data []byte
		}{{".png", png}, {".svg", svg}} {
			if err := atomicfile.WriteBytes(filepath.Join(dir, f.Name+x.ext), x.data, atomicfile.Output); err != nil {
				return names, err
			}
			names = append(names, f.Name+x.ext)
		}
	}
	return names, nil
}

// colorRGBA is a premultiplied colour (image/color.RGBA).
type colorRGBA = color.RGBA
