package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/manifold"
)

// LayerSeries is one per-layer measure with its mean-field prediction
// (Theory may be nil, and NaN where a layer has none).
type LayerSeries struct {
	Name     string
	Layers   []float64
	Measured []float64
	Theory   []float64
	Log      bool   // logarithmic y axis
	Label    string // the theory line's legend (default "mean field")
}

// Projection is a curve's image at one layer projected on its first two
// principal components.
type Projection struct {
	Layer  int
	PC1    []float64
	PC2    []float64
	Closed bool
}

// Autocorrelation is c(dtheta) at one layer, measured and predicted.
type Autocorrelation struct {
	Layer    int
	Offsets  []float64 // dtheta
	Measured []float64
	Theory   []float64
}

var (
	measuredColor = color.RGBA{R: 200, G: 50, B: 40, A: 255}
	theoryColor   = color.RGBA{R: 30, G: 30, B: 30, A: 255}
)

func xys(x, y []float64) plotter.XYs {
	pts := make(plotter.XYs, 0, len(x))
	for i := range x {
		if !math.IsNaN(y[i]) && !math.IsInf(y[i], 0) {
			pts = append(pts, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	return pts
}

// SeriesPlot draws measured points against a theory line.
func SeriesPlot(s LayerSeries) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = s.Name
	p.X.Label.Text = "layer"
	p.Y.Tick.Marker = ExactTicks{}
	if s.Log {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = LogTicks{}
	}
	if s.Theory != nil {
		l, err := plotter.NewLine(xys(s.Layers, s.Theory))
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = theoryColor, vg.Points(1)
		p.Add(l)
		label := s.Label
		if label == "" {
			label = "mean field"
		}
		p.Legend.Add(label, l)
	}
	sc, err := plotter.NewScatter(xys(s.Layers, s.Measured))
	if err != nil {
		return nil, err
	}
	sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = measuredColor, draw.CircleGlyph{}, vg.Points(2.5)
	p.Add(sc)
	p.Legend.Add("measured", sc)
	p.Legend.Top, p.Legend.Left = false, false // bottom right: the curves rise from the left
	return p, nil
}

// ProjectionPlot draws a curve's image on its first two principal
// components.
func ProjectionPlot(pr Projection) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("layer %d: top two principal components", pr.Layer)
	p.X.Label.Text, p.Y.Label.Text = "PC 1", "PC 2"
	pts := xys(pr.PC1, pr.PC2)
	if pr.Closed && len(pts) > 0 {
		pts = append(pts, pts[0])
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return nil, err
	}
	l.Color, l.Width = Palette[0], vg.Points(0.8)
	p.Add(l)
	return p, nil
}

// AutocorrelationPlot draws c(dtheta) at a few layers, measured (points)
// and predicted (lines).
func AutocorrelationPlot(acs []Autocorrelation) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "autocorrelation c(dtheta)"
	p.X.Label.Text = "dtheta"
	for i, ac := range acs {
		col := Palette[i%len(Palette)]
		if ac.Theory != nil {
			l, err := plotter.NewLine(xys(ac.Offsets, ac.Theory))
			if err != nil {
				return nil, err
			}
			l.Color = col
			p.Add(l)
		}
		sc, err := plotter.NewScatter(xys(ac.Offsets, ac.Measured))
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius = col, vg.Points(1.5)
		p.Add(sc)
		p.Legend.Add(fmt.Sprintf("layer %d", ac.Layer), sc)
	}
	p.Legend.Top = true
	return p, nil
}

// CurvaturePlot draws a curvature run (Poole et al. 2016, figures 3 and 4):
// q, L^E, kbar and L^G against depth with their mean-field lines (over the
// layers that have a prediction), and below them the autocorrelation and
// the principal-component projections at the result's three layers.
func CurvaturePlot(path string, res *manifold.CurvatureResult) error {
	n := len(res.Layers)
	layers := make([]float64, n)
	for i := range layers {
		layers[i] = float64(i)
	}
	get := func(f func(manifold.CurvatureLayer) float64) []float64 {
		v := make([]float64, n)
		for i, r := range res.Layers {
			v[i] = f(r)
		}
		return v
	}
	theory := func(f func(manifold.CurvatureLayer) *float64) []float64 {
		v, some := make([]float64, n), false
		for i, r := range res.Layers {
			v[i] = math.NaN()
			if p := f(r); p != nil {
				v[i], some = *p, true
			}
		}
		if !some {
			return nil
		}
		return v
	}
	series := []LayerSeries{
		{Name: "q (length per neuron)", Measured: get(func(r manifold.CurvatureLayer) float64 { return r.Q }),
			Theory: theory(func(r manifold.CurvatureLayer) *float64 { return r.QTheory })},
		{Name: "Euclidean length L^E", Log: true, Measured: get(func(r manifold.CurvatureLayer) float64 { return r.Length }),
			Theory: theory(func(r manifold.CurvatureLayer) *float64 { return r.LengthTheory })},
		{Name: "kbar = sqrt(N) kappa", Measured: get(func(r manifold.CurvatureLayer) float64 { return r.KappaBar }),
			Theory: theory(func(r manifold.CurvatureLayer) *float64 { return r.KappaBarTheory })},
		{Name: "Grassmannian length L^G", Log: true, Measured: get(func(r manifold.CurvatureLayer) float64 { return r.GrassmannLength }),
			Theory: theory(func(r manifold.CurvatureLayer) *float64 { return r.GrassmannLengthTheory })},
	}
	var top, bottom []*plot.Plot
	for _, s := range series {
		s.Layers = layers
		p, err := SeriesPlot(s)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		top = append(top, p)
	}
	if len(res.Autocorrelations) > 0 {
		acs := make([]Autocorrelation, len(res.Autocorrelations))
		for i, ac := range res.Autocorrelations {
			acs[i] = Autocorrelation{Layer: ac.Layer, Offsets: ac.Offsets, Measured: ac.Measured, Theory: ac.Theory}
		}
		p, err := AutocorrelationPlot(acs)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		bottom = append(bottom, p)
	}
	for _, pr := range res.Projections {
		p, err := ProjectionPlot(Projection{Layer: pr.Layer, PC1: pr.PC1, PC2: pr.PC2, Closed: res.Closed})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		bottom = append(bottom, p)
	}
	panels := [][]*plot.Plot{top}
	if len(bottom) > 0 {
		panels = append(panels, bottom)
	}
	return SaveGrid(panels, 16*vg.Inch, 8*vg.Inch, path)
}
