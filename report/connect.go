package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/landscape"
)

// ConnectPlot draws the train loss (solid) and test loss (dashed) along
// the straight line and, when there is one, the Bezier curve between two
// minima, with each path's train-loss barrier in the legend.
func ConnectPlot(path string, res *landscape.ConnectResult) error {
	if res == nil || len(res.Linear.Points) == 0 {
		return fmt.Errorf("plot %s: %w", path, errors.New("empty path"))
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("mode connectivity: %s %s on %s (%d parameters)", res.Arch, res.Activation, res.Data, res.Params)
	if res.Aligned {
		p.Title.Text += ", b aligned to a"
	}
	p.X.Label.Text = "t"
	p.Y.Label.Text = "mean " + res.Loss
	paths := []*landscape.Path{&res.Linear}
	if res.Bezier != nil {
		paths = append(paths, res.Bezier)
	}
	colors := []color.Color{color.RGBA{R: 200, G: 50, B: 40, A: 255}, color.RGBA{R: 30, G: 60, B: 160, A: 255}}
	ylo, yhi := math.Inf(1), math.Inf(-1)
	for i, pa := range paths {
		for k, name := range []string{"train", "test"} {
			var xy plotter.XYs
			for _, q := range pa.Points {
				y := q.TrainLoss
				if k == 1 {
					y = q.TestLoss
				}
				xy = append(xy, plotter.XY{X: q.T, Y: y})
				ylo, yhi = math.Min(ylo, y), math.Max(yhi, y)
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
			l.Color, l.Width = colors[i], vg.Points(1.5)
			if k == 1 {
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(l)
			label := fmt.Sprintf("%s, %s loss", pa.Kind, name)
			if k == 0 {
				label += fmt.Sprintf(" (barrier %.3g)", pa.Barrier)
			}
			p.Legend.Add(label, l)
		}
	}
	if span := yhi - ylo; span > 0 { // room above the curves for the legend
		p.Y.Min, p.Y.Max = ylo-0.03*span, yhi+0.35*span
	}
	p.X.Tick.Marker = ExactTicks{}
	p.Y.Tick.Marker = ExactTicks{}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 5.5*vg.Inch, path)
}
