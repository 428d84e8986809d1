package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curve is one line (a theory) or one set of points (a measurement, with
// optional error bars) of a Panel. NaN and infinite values are skipped.
type Curve struct {
	Label string
	X, Y  []float64
	// Err, when set, draws Y +- Err as vertical bars (one standard error,
	// say).
	Err []float64
	// Points draws markers without a line; false draws a line.
	Points bool
	// Dashed draws the line dashed (a reference such as y = x).
	Dashed bool
	// Color indexes Palette (modulo its length); -1 is black.
	Color int
}

// Panel is one plot of a PanelsPlot figure.
type Panel struct {
	Title, XLabel, YLabel string
	// LogY puts the y axis on a logarithmic scale (values <= 0 are
	// skipped).
	LogY bool
	// XMin, XMax, YMin, YMax fix the axis ranges when XMax > XMin (and
	// YMax > YMin).
	XMin, XMax, YMin, YMax float64
	Curves                 []Curve
	// LegendLeft and LegendBottom place the legend (default top right).
	LegendLeft, LegendBottom bool
}

// PanelsPlot draws panels in rows of cols, each width x height, and writes
// the figure to path as PNG or SVG by the extension. It computes nothing:
// every curve is given.
func PanelsPlot(path string, cols int, width, height vg.Length, panels []Panel) error {
	if len(panels) == 0 || cols < 1 {
		return fmt.Errorf("plot %s: no panels", path)
	}
	var grid [][]*plot.Plot
	for i, pn := range panels {
		p, err := panelPlot(pn)
		if err != nil {
			return fmt.Errorf("plot %s: panel %d (%s): %w", path, i, pn.Title, err)
		}
		if i%cols == 0 {
			grid = append(grid, nil)
		}
		grid[len(grid)-1] = append(grid[len(grid)-1], p)
	}
	return SaveGrid(grid, width*vg.Length(min(cols, len(panels))), height*vg.Length(len(grid)), path)
}

func panelPlot(pn Panel) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.Title
	p.X.Label.Text, p.Y.Label.Text = pn.XLabel, pn.YLabel
	p.X.Tick.Marker, p.Y.Tick.Marker = ExactTicks{}, ExactTicks{}
	if pn.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = LogTicks{}
	}
	p.Add(plotter.NewGrid())
	for _, c := range pn.Curves {
		if len(c.X) != len(c.Y) || (c.Err != nil && len(c.Err) != len(c.Y)) {
			return nil, fmt.Errorf("curve %q: %d x, %d y, %d errors", c.Label, len(c.X), len(c.Y), len(c.Err))
		}
		col := color.Color(color.Black)
		if c.Color >= 0 {
			col = Palette[c.Color%len(Palette)]
		}
		var pts plotter.XYs
		var errs plotter.YErrors
		for i := range c.X {
			x, y := c.X[i], c.Y[i]
			if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) || (pn.LogY && y <= 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: x, Y: y})
			if c.Err != nil {
				e := c.Err[i]
				if math.IsNaN(e) || math.IsInf(e, 0) {
					e = 0
				}
				lo := e
				if pn.LogY && y-e <= 0 {
					lo = y * (1 - 1e-9) // keep the bar on the axis
				}
				errs = append(errs, struct{ Low, High float64 }{lo, e})
			}
		}
		if len(pts) == 0 {
			continue
		}
		if c.Points {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = col, draw.CircleGlyph{}, vg.Points(2.2)
			p.Add(sc)
			if c.Err != nil {
				eb := &plotter.YErrorBars{XYs: pts, YErrors: errs, LineStyle: draw.LineStyle{Color: col, Width: vg.Points(0.8)}, CapWidth: vg.Points(3)}
				p.Add(eb)
			}
			if c.Label != "" {
				p.Legend.Add(c.Label, sc)
			}
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = col, vg.Points(1.2)
		if c.Dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			l.Width = vg.Points(0.8)
		}
		p.Add(l)
		if c.Label != "" {
			p.Legend.Add(c.Label, l)
		}
	}
	if pn.XMax > pn.XMin {
		p.X.Min, p.X.Max = pn.XMin, pn.XMax
	}
	if pn.YMax > pn.YMin {
		p.Y.Min, p.Y.Max = pn.YMin, pn.YMax
	}
	p.Legend.Top, p.Legend.Left = !pn.LegendBottom, pn.LegendLeft
	return p, nil
}
