package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/landscape"
)

// SlicePlot draws a loss slice: for a line, the training (solid) and test
// (dashed) loss against alpha with the least training loss marked; for a
// plane, the training loss as a heat map with ten contour lines, the
// least training loss marked by a white cross, and a colour bar.
func SlicePlot(path string, res *landscape.SliceResult) error {
	if res == nil || len(res.TrainLoss) == 0 {
		return fmt.Errorf("plot %s: %w", path, errors.New("empty slice"))
	}
	title := fmt.Sprintf("loss slice of %s along %s directions (%d parameters)", res.Model, res.Directions, res.Params)
	if res.Dims == 1 {
		return slicePlot1D(path, title, res)
	}
	n, m := len(res.Alphas), len(res.Betas)
	if n*m != len(res.TrainLoss) {
		return fmt.Errorf("plot %s: %d values for a %d x %d grid", path, len(res.TrainLoss), n, m)
	}
	z := make([][]float64, m) // row r at beta r, column c at alpha c
	for r := range z {
		z[r] = make([]float64, n)
		for c := range z[r] {
			z[r][c] = res.TrainLoss[c*m+r]
		}
	}
	z = phaseClipFinite(z)
	lo, hi := phaseZRange(z)
	cm := moreland.SmoothBlueRed()
	cm.SetMin(lo)
	cm.SetMax(hi)
	p := plot.New()
	p.X.Label.Text = "alpha (direction 1)"
	p.Y.Label.Text = "beta (direction 2)"
	p.X.Tick.Marker, p.Y.Tick.Marker = ExactTicks{}, ExactTicks{}
	grid := phaseGridXYZ{res.Alphas, res.Betas, z}
	hm := plotter.NewHeatMap(grid, cm.Palette(255))
	hm.Min, hm.Max = lo, hi
	hm.Rasterized = true
	p.Add(hm)
	levels := make([]float64, 10)
	for i := range levels {
		levels[i] = lo + (hi-lo)*float64(i+1)/11
	}
	ct := plotter.NewContour(grid, levels, palette.Heat(1, 1))
	ct.LineStyles = []draw.LineStyle{{Color: color.Black, Width: vg.Points(0.8)}}
	p.Add(ct)
	if res.Min.Beta != nil {
		mk, err := plotter.NewScatter(plotter.XYs{{X: res.Min.Alpha, Y: *res.Min.Beta}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		mk.Shape = draw.CrossGlyph{}
		mk.Color, mk.Radius = color.White, vg.Points(6)
		p.Add(mk)
		title += fmt.Sprintf("; white cross: least train loss %.4g", res.Min.TrainLoss)
	}
	cb := plot.New()
	cb.HideX()
	cb.Y.Padding = 0
	cb.Y.Tick.Marker = ExactTicks{}
	cb.Y.Label.Text = "train loss"
	cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	const w, h = 20 * vg.Centimeter, 16 * vg.Centimeter
	return saveCanvasAs(path, w, h, func(dc draw.Canvas) {
		dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 12), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler},
			vg.Point{X: dc.Min.X + w/2, Y: dc.Max.Y - 2*vg.Millimeter}, title)
		body := draw.Crop(dc, 3*vg.Millimeter, -3*vg.Millimeter, 3*vg.Millimeter, -vg.Centimeter)
		barW := 3 * vg.Centimeter
		pc := draw.Crop(body, 0, -barW, 0, 0)
		p.Draw(pc)
		da := p.DataCanvas(pc)
		width := body.Max.X - body.Min.X
		cb.Draw(draw.Crop(body, width-barW+3*vg.Millimeter, 0, da.Min.Y-body.Min.Y, da.Max.Y-body.Max.Y))
	})
}

func slicePlot1D(path, title string, res *landscape.SliceResult) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "alpha"
	if res.Directions == landscape.SliceModel {
		p.X.Label.Text = "alpha (0: the model, 1: the other)"
	}
	p.Y.Label.Text = "mean loss"
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for k, ys := range [][]float64{res.TrainLoss, res.TestLoss} {
		if len(ys) == 0 {
			continue
		}
		xy := make(plotter.XYs, len(ys))
		for i, y := range ys {
			xy[i] = plotter.XY{X: res.Alphas[i], Y: y}
			if !math.IsInf(y, 0) && !math.IsNaN(y) {
				ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
			}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Width = vg.Points(1.5)
		l.Color = color.RGBA{R: 200, G: 50, B: 40, A: 255}
		name := "train loss"
		if k == 1 {
			l.Color = color.RGBA{R: 30, G: 60, B: 160, A: 255}
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			name = "test loss"
		}
		p.Add(l)
		p.Legend.Add(name, l)
	}
	mk, err := plotter.NewScatter(plotter.XYs{{X: res.Min.Alpha, Y: res.Min.TrainLoss}})
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	mk.Shape, mk.Radius = draw.CrossGlyph{}, vg.Points(5)
	p.Add(mk)
	p.Legend.Add(fmt.Sprintf("least train loss %.4g at alpha %.3g", res.Min.TrainLoss, res.Min.Alpha), mk)
	if span := yhi - ylo; span > 0 {
		p.Y.Min, p.Y.Max = ylo-0.03*span, yhi+0.3*span
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = ExactTicks{}, ExactTicks{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 5.5*vg.Inch, path)
}
