package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/energy"
)

// DisconnectivityStyle says how DisconnectivityPlot labels and colours a
// graph.
type DisconnectivityStyle struct {
	Title       string
	EnergyLabel string // the vertical axis (empty: "energy")
	// Color, by minimum ID, colours the leaves (a blue-to-red scale with
	// its colour bar); nil draws them black. ColorLabel names it.
	Color      []float64
	ColorLabel string
}

// DisconnectivityPlot draws a disconnectivity graph: each superbasin a
// node at its level's energy joined by straight lines to the superbasins
// it splits into one level down; each minimum's branch drops vertically
// to the minimum's energy, with a dot there coloured by style.Color. The
// levels are faint horizontal lines; with at most 40 leaves each is
// labelled with its minimum's ID along the bottom.
func DisconnectivityPlot(path string, g *energy.Graph, style DisconnectivityStyle) error {
	if g == nil || len(g.Nodes) == 0 {
		return fmt.Errorf("plot %s: %w", path, errors.New("empty disconnectivity graph"))
	}
	leaves := 0
	lo, hi := math.Inf(1), g.Levels[0]
	for _, nd := range g.Nodes {
		if nd.Minimum >= 0 {
			leaves++
			if style.Color != nil && nd.Minimum >= len(style.Color) {
				return fmt.Errorf("plot %s: minimum %d has no colour (%d given)", path, nd.Minimum, len(style.Color))
			}
		}
		lo = math.Min(lo, nd.Energy)
	}
	p := plot.New()
	p.Title.Text = style.Title
	p.Y.Label.Text = style.EnergyLabel
	if p.Y.Label.Text == "" {
		p.Y.Label.Text = "energy"
	}
	span := hi - lo
	if span == 0 {
		span = 1
	}
	top := hi + 0.05*span
	p.Y.Min, p.Y.Max = lo-0.04*span, top
	p.X.Min, p.X.Max = -0.6, float64(leaves)-0.4
	grey := color.Gray{Y: 215}
	for _, l := range g.Levels {
		ln, err := plotter.NewLine(plotter.XYs{{X: p.X.Min, Y: l}, {X: p.X.Max, Y: l}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		ln.Color, ln.Width = grey, vg.Points(0.6)
		p.Add(ln)
	}
	branch := draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
	var ticks []plot.Tick
	var dots []struct {
		xy plotter.XY
		c  color.Color
	}
	cm := moreland.SmoothBlueRed()
	if style.Color != nil {
		clo, chi := math.Inf(1), math.Inf(-1)
		for _, nd := range g.Nodes {
			if nd.Minimum >= 0 {
				clo, chi = math.Min(clo, style.Color[nd.Minimum]), math.Max(chi, style.Color[nd.Minimum])
			}
		}
		if !(chi > clo) {
			// One value: a bar centred on it, the leaves at its middle.
			d := math.Max(0.05*math.Abs(clo), 1e-9)
			clo, chi = clo-d, chi+d
		}
		cm.SetMin(clo)
		cm.SetMax(chi)
	}
	for _, nd := range g.Nodes {
		var pts plotter.XYs
		switch {
		case nd.Parent >= 0:
			par := g.Nodes[nd.Parent]
			pts = plotter.XYs{{X: par.X, Y: par.Energy}}
			if nd.Minimum >= 0 && nd.Level > par.Level && nd.Energy < g.Levels[nd.Level] {
				pts = append(pts, plotter.XY{X: nd.X, Y: g.Levels[nd.Level]})
			}
			pts = append(pts, plotter.XY{X: nd.X, Y: nd.Energy})
		default: // a root: a stub from above the top level
			pts = plotter.XYs{{X: nd.X, Y: top}, {X: nd.X, Y: nd.Energy}}
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		ln.LineStyle = branch
		p.Add(ln)
		if nd.Minimum >= 0 {
			ticks = append(ticks, plot.Tick{Value: nd.X, Label: strconv.Itoa(nd.Minimum)})
			c := color.Color(color.Black)
			if style.Color != nil {
				if cc, err := cm.At(style.Color[nd.Minimum]); err == nil {
					c = cc
				}
			}
			dots = append(dots, struct {
				xy plotter.XY
				c  color.Color
			}{plotter.XY{X: nd.X, Y: nd.Energy}, c})
		}
	}
	for _, d := range dots {
		sc, err := plotter.NewScatter(plotter.XYs{d.xy})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Radius: vg.Points(4.5), Color: d.c}
		p.Add(sc)
	}
	if leaves <= 40 {
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Label.Text = "minimum"
	} else {
		p.HideX()
	}
	w, h := 16*vg.Centimeter, 12*vg.Centimeter
	if style.Color == nil {
		return SaveGrid([][]*plot.Plot{{p}}, w, h, path)
	}
	bar := plot.New()
	bar.HideX()
	bar.Y.Padding = 0
	bar.Y.Label.Text = style.ColorLabel
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	return saveWithColourBar(path, p, bar, w+2.2*vg.Centimeter, h)
}
