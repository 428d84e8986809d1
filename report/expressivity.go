package report

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/netgeom/netgeom/internal/outfile"
	"github.com/netgeom/netgeom/manifold"
)

// ExpressivityPlot draws the fit error 1 - cos(y, yhat) against frequency
// (the mean of the cos and sin targets of each frequency) for every network
// of res: the deep ones as solid lines coloured by depth on a sequential
// (viridis) scale with a colour bar, the shallow ones dashed in warm
// colours, each named in the legend.
func ExpressivityPlot(path string, res *manifold.ExpressivityResult) error {
	p, bar, err := expressivityPanels(res)
	if err != nil {
		return err
	}
	if bar == nil {
		return SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 6*vg.Inch, path)
	}
	return saveWithColourBar(path, p, bar, 10*vg.Inch, 6*vg.Inch)
}

// expressivityPanels builds ExpressivityPlot's plot and its depth colour bar
// (nil without deep networks).
func expressivityPanels(res *manifold.ExpressivityResult) (main, bar *plot.Plot, err error) {
	p := plot.New()
	p.Title.Text = "fit error 1 - cos(y, yhat) against frequency: deep (solid, colour = depth) and shallow (dashed)"
	p.X.Label.Text, p.Y.Label.Text = "frequency k", "error (log scale, floored at 1e-12)"
	p.X.Tick.Marker = ExactTicks{}
	p.Y.Tick.Marker = ExponentTicks{} // log10 values on a linear axis
	var depths []int
	for _, n := range res.Networks {
		if n.Kind == "deep" {
			depths = append(depths, n.Depth)
		}
	}
	deepColours := viridisShades(len(depths))
	shallowColours := []color.Color{
		color.RGBA{R: 214, G: 39, B: 40, A: 255},   // red
		color.RGBA{R: 255, G: 127, B: 14, A: 255},  // orange
		color.RGBA{R: 140, G: 86, B: 75, A: 255},   // brown
		color.RGBA{R: 227, G: 119, B: 194, A: 255}, // pink
		color.RGBA{R: 127, G: 127, B: 127, A: 255}, // grey
		color.RGBA{R: 0, G: 0, B: 0, A: 255},       // black
	}
	dashes := [][]vg.Length{{vg.Points(5), vg.Points(2)}, {vg.Points(2), vg.Points(2)}, {vg.Points(7), vg.Points(2), vg.Points(2), vg.Points(2)}}
	iDeep, iShallow := 0, 0
	for _, n := range res.Networks {
		pts := make(plotter.XYs, len(n.FrequencyError))
		for k, e := range n.FrequencyError {
			pts[k] = plotter.XY{X: float64(k + 1), Y: math.Log10(math.Max(e, 1e-12))}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, nil, err
		}
		if n.Kind == "deep" {
			l.Color, l.Width = deepColours[iDeep], vg.Points(1.3)
			iDeep++
		} else {
			l.Color, l.Width = shallowColours[iShallow%len(shallowColours)], vg.Points(1.3)
			l.Dashes = dashes[iShallow%len(dashes)]
			p.Legend.Add(fmt.Sprintf("shallow, width %d", n.Width), l)
			iShallow++
		}
		p.Add(l)
	}
	p.Y.Min, p.Y.Max = -12, 0
	p.Legend.Top, p.Legend.Left = false, false // bottom right: the curves rise to the right
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	p.Legend.ThumbnailWidth = vg.Points(30)
	if len(depths) == 0 {
		return p, nil, nil
	}
	labels := make([]string, len(depths))
	for i, d := range depths {
		labels[i] = fmt.Sprint(d)
	}
	return p, discreteColourBar("depth of the deep networks", labels, deepColours), nil
}

// viridisStops are matplotlib's viridis at 0, 0.1, ..., 1.
var viridisStops = [11][3]float64{
	{68, 1, 84}, {72, 36, 117}, {65, 68, 135}, {53, 95, 141}, {42, 120, 142}, {33, 145, 140},
	{34, 168, 132}, {68, 191, 112}, {122, 209, 81}, {189, 223, 38}, {253, 231, 37},
}

// viridisAt is the viridis colour at t in [0, 1] (linear between stops).
func viridisAt(t float64) color.Color {
	t = math.Min(1, math.Max(0, t)) * 10
	i := min(int(t), 9)
	f := t - float64(i)
	var c [3]uint8
	for k := range c {
		c[k] = uint8(math.Round(viridisStops[i][k] + f*(viridisStops[i+1][k]-viridisStops[i][k])))
	}
	return color.RGBA{R: c[0], G: c[1], B: c[2], A: 255}
}

// viridisShades returns n colours evenly spaced along viridis from dark
// violet to yellow-green (t in [0, 0.9]: the last yellow is too faint on
// white for a line).
func viridisShades(n int) []color.Color {
	out := make([]color.Color, n)
	for i := range out {
		out[i] = viridisAt(0.9 * float64(i) / math.Max(1, float64(n-1)))
	}
	return out
}

// discreteColourBar is a vertical bar of one block per label (bottom to
// top) in the given colours, each block labelled with its label; at most
// about 16 labels are written, the first and last always.
func discreteColourBar(title string, labels []string, colours []color.Color) *plot.Plot {
	bar := plot.New()
	bar.HideX()
	bar.Y.Label.Text = title
	bar.Y.Padding, bar.X.Padding = 0, 0
	n := len(labels)
	every := max(1, (n+15)/16)
	var ticks []plot.Tick
	for i, c := range colours {
		block, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: float64(i)}, {X: 1, Y: float64(i)}, {X: 1, Y: float64(i + 1)}, {X: 0, Y: float64(i + 1)}})
		if err != nil {
			continue
		}
		block.Color, block.LineStyle.Width = c, 0
		bar.Add(block)
		if i%every == 0 || i == n-1 {
			ticks = append(ticks, plot.Tick{Value: float64(i) + 0.5, Label: labels[i]})
		}
	}
	bar.Y.Tick.Marker = plot.ConstantTicks(ticks)
	bar.X.Min, bar.X.Max, bar.Y.Min, bar.Y.Max = 0, 1, 0, float64(n)
	return bar
}

// saveWithColourBar draws main with bar to its right, the bar as tall as
// main's data area, on a w x h canvas written to path (.png or .svg).
func saveWithColourBar(path string, main, bar *plot.Plot, w, h vg.Length) error {
	return saveCanvasAs(path, w, h, func(dc draw.Canvas) {
		pad := 3 * vg.Millimeter
		barW := colourBarWidth(bar)
		mc := draw.Crop(dc, pad, -barW-pad, pad, -pad)
		main.Draw(mc)
		da := main.DataCanvas(mc)
		bc := draw.Crop(dc, w-barW, -2*pad, da.Min.Y-dc.Min.Y, da.Max.Y-dc.Max.Y)
		bar.Draw(bc)
	})
}

// colourBarWidth is the width a vertical colour bar needs: its widest tick
// label, its axis label's line and 1.3 cm for the bar and the ticks (at
// least 2.2 cm), so that long labels such as 0.945 do not squeeze the bar
// to a line.
func colourBarWidth(bar *plot.Plot) vg.Length {
	var w vg.Length
	for _, t := range bar.Y.Tick.Marker.Ticks(bar.Y.Min, bar.Y.Max) {
		if t.Label != "" {
			w = max(w, bar.Y.Tick.Label.Width(t.Label))
		}
	}
	return max(w+bar.Y.Label.TextStyle.Height(bar.Y.Label.Text)+1.3*vg.Centimeter, 2.2*vg.Centimeter)
}

// saveCanvasAs creates a w x h canvas, PNG (at SaveGrid's 110 dpi) or SVG by
// path's extension, lets paint draw on it, and writes it to path (whole or
// not at all, like SaveGrid).
func saveCanvasAs(path string, w, h vg.Length, paint func(draw.Canvas)) error {
	var c vg.CanvasWriterTo
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))}
	case ".svg":
		c = vgsvg.New(w, h)
	default:
		return fmt.Errorf("plot %s: unknown extension %q: use .png or .svg", path, ext)
	}
	paint(draw.New(c))
	if err := outfile.Write(path, func(w io.Writer) error { _, err := c.WriteTo(w); return err }); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
