package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/landscape"
)

// HessianDensityPlot draws the smoothed spectral density of a Hessian
// spectrum run on a logarithmic density axis, as in the Hessian-spectrum
// literature (Ghorbani et al. 2019), with the fitted random-matrix law when
// there is one and the Lanczos eigenvalues marked above the density. The
// axis runs two decades above the density's peak: the legend sits in the
// top decade and the eigenvalue marks below it, so that neither hides the
// other wherever the eigenvalues lie.
func HessianDensityPlot(path string, res *landscape.HessianSpectrumResult) error {
	d := res.Density
	if d == nil {
		return fmt.Errorf("plot %s: the run has no density (ask for Density)", path)
	}
	peak := 0.0
	for _, v := range d.Values {
		peak = math.Max(peak, v)
	}
	if !(peak > 0) {
		return errors.New("plot " + path + ": the density is 0 everywhere")
	}
	floor := peak * 1e-8 // eight decades: the Gaussian tails below are smoothing, not spectrum
	pts := make(plotter.XYs, len(d.Grid))
	for i, x := range d.Grid {
		pts[i].X, pts[i].Y = x, math.Max(d.Values[i], floor)
	}
	p := plot.New()
	op := "Hessian"
	if res.Operator == "gauss-newton" {
		op = "Gauss-Newton"
	}
	p.Title.Text = fmt.Sprintf("%s spectral density: %s on %s (%d samples, %d parameters)", op, res.Network, res.Data, res.Samples, res.Params)
	p.X.Label.Text = "eigenvalue"
	p.Y.Label.Text = "density"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = LogTicks{}
	p.Y.Min, p.Y.Max = floor, peak*100
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	l.Color, l.Width = color.RGBA{R: 30, G: 60, B: 160, A: 255}, vg.Points(1)
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("SLQ (%d vectors x %d steps, sigma %.3g)", d.Vectors, d.Steps, d.Sigma), l)
	if o := res.Overlay; o != nil {
		law := make(plotter.XYs, len(d.Grid))
		for i, x := range d.Grid {
			// The law may exceed the axis (Marchenko-Pastur's edge at 0
			// diverges at ratio 1): clip it below the legend's decade.
			law[i].X, law[i].Y = x, math.Min(math.Max(o.Values[i], floor), peak*10)
		}
		ol, err := plotter.NewLine(law)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		ol.Color, ol.Dashes = color.RGBA{R: 200, G: 120, B: 20, A: 255}, []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(ol)
		name := fmt.Sprintf("semicircle fit, scale %.3g", o.Scale)
		if o.Law == "mp" {
			name = fmt.Sprintf("Marchenko-Pastur fit, ratio %.3g, scale %.3g", o.Ratio, o.Scale)
		}
		p.Legend.Add(name, ol)
	}
	if len(res.Eigenvalues) > 0 {
		marks := make(plotter.XYs, len(res.Eigenvalues))
		for i, e := range res.Eigenvalues {
			marks[i].X, marks[i].Y = e.Value, peak*3
		}
		sc, err := plotter.NewScatter(marks)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = color.RGBA{R: 200, G: 50, B: 40, A: 255}, draw.PyramidGlyph{}, vg.Points(3)
		p.Add(sc)
		name := fmt.Sprintf("Lanczos top %d", len(res.Eigenvalues))
		switch res.Which {
		case "smallest":
			name = fmt.Sprintf("Lanczos bottom %d", len(res.Eigenvalues))
		case "magnitude":
			name += " in magnitude"
		}
		p.Legend.Add(name, sc)
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return SaveGrid([][]*plot.Plot{{p}}, 9*vg.Inch, 5.5*vg.Inch, path)
}
