package report

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/manifold"
)

// BoundaryPlot draws, for every layer of res, the principal curvatures of
// the decision boundary sorted by index and averaged over the points
// (Poole et al. 2016, figure 4G), one line per layer coloured by layer on a
// sequential (viridis) scale, with a colour bar that names every layer.
func BoundaryPlot(path string, res *manifold.DecisionBoundaryResult) error {
	p, bar, err := boundaryPanels(res)
	if err != nil {
		return err
	}
	return saveWithColourBar(path, p, bar, 9*vg.Inch, 5.5*vg.Inch)
}

// boundaryPanels builds BoundaryPlot's plot and its layer colour bar.
func boundaryPanels(res *manifold.DecisionBoundaryResult) (main, bar *plot.Plot, err error) {
	p := plot.New()
	p.Title.Text = "decision boundary: principal curvatures (mean over points), seen from the input of each layer"
	p.X.Label.Text, p.Y.Label.Text = "index (principal curvatures in ascending order)", "principal curvature"
	p.X.Tick.Marker, p.Y.Tick.Marker = ExactTicks{}, ExactTicks{}
	colours := viridisShades(len(res.Layers))
	labels := make([]string, len(res.Layers))
	for i, r := range res.Layers {
		pts := make(plotter.XYs, len(r.MeanSpectrum))
		for j, k := range r.MeanSpectrum {
			pts[j] = plotter.XY{X: float64(j), Y: k}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, nil, fmt.Errorf("boundary plot, layer %d: %w", r.Layer, err)
		}
		l.Color, l.Width = colours[i], vg.Points(1.3)
		p.Add(l)
		labels[i] = fmt.Sprint(r.Layer)
	}
	zero := plotter.NewFunction(func(float64) float64 { return 0 })
	zero.Color, zero.Width, zero.Dashes = color.Gray{Y: 150}, vg.Points(0.5), []vg.Length{vg.Points(2), vg.Points(2)}
	p.Add(zero)
	return p, discreteColourBar("layer", labels, colours), nil
}
