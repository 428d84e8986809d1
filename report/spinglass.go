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

	"github.com/netgeom/netgeom/spinglass"
)

// spinglassDashes is the dash pattern of the marker lines of the spin-glass
// figures.
var spinglassDashes = []vg.Length{vg.Points(4), vg.Points(3)}

// spinglassVLine draws a dashed vertical line at x from y0 to y1.
func spinglassVLine(p *plot.Plot, x, y0, y1 float64, c color.Color) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	if err != nil {
		return err
	}
	l.Color = c
	l.Dashes = spinglassDashes
	p.Add(l)
	return nil
}

// spinglassHLine draws a dashed grey horizontal line at y from x0 to x1.
func spinglassHLine(p *plot.Plot, x0, x1, y float64) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return err
	}
	l.Color = color.Gray{Y: 120}
	l.Dashes = spinglassDashes
	p.Add(l)
	return nil
}

// spinglassCurve is the line through the samples x, y.
func spinglassCurve(x, y []float64, c color.Color, width vg.Length) (*plotter.Line, error) {
	xy := make(plotter.XYs, len(x))
	for i := range x {
		xy[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = width
	return l, nil
}

// PSpinPlot draws a p-spin census beside the Auffinger-Ben Arous-Cerny
// theory in three panels: the energy histogram of the distinct critical
// points by index (0, 1, 2, >= 3) with -E_0, -E_1, -E_2 and -E_inf marked;
// the complexity curves Theta_k(u) and ThetaTotal(u) near the bottom of the
// landscape; and the index against the energy beside (N-1) IndexFraction(u).
func PSpinPlot(path string, res *spinglass.PSpinStudyResult) error {
	if res == nil || len(res.Points) == 0 {
		return errors.New("plot: no critical points to draw")
	}
	if len(res.Ek) < 3 || len(res.Complexity.U) == 0 || len(res.Complexity.Index) == 0 || len(res.IndexCurve.X) == 0 {
		return errors.New("plot: the p-spin result has no theory curves (use spinglass.PSpinStudy)")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range res.Points {
		lo, hi = min(lo, pt.Energy), max(hi, pt.Energy)
	}
	lo = min(lo, -res.Ek[0]) - 0.05
	hi = max(hi, -res.EInf) + 0.05
	// (a) histogram by index: 0, 1, 2, >= 3
	const bins = 40
	w := (hi - lo) / bins
	groups := []string{"index 0 (minima)", "index 1", "index 2", "index >= 3"}
	counts := make([][]float64, len(groups))
	for i := range counts {
		counts[i] = make([]float64, bins)
	}
	for _, pt := range res.Points {
		gi := min(pt.Index, 3)
		bi := min(int((pt.Energy-lo)/w), bins-1)
		counts[gi][bi]++
	}
	ph := plot.New()
	ph.Title.Text = fmt.Sprintf("%d-spin, N = %d: distinct critical points", res.P, res.N)
	ph.X.Label.Text = "energy u = H/N"
	ph.Y.Label.Text = "count per bin"
	ymax := 1.0
	for gi, cs := range counts {
		var xy plotter.XYs
		for bi, c := range cs {
			x0 := lo + float64(bi)*w
			xy = append(xy, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + w, Y: c})
			ymax = max(ymax, c)
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = Palette[gi]
		l.Width = vg.Points(1.5)
		ph.Add(l)
		ph.Legend.Add(groups[gi], l)
	}
	for k, e := range res.Ek[:3] {
		if err := spinglassVLine(ph, -e, 0, ymax, Palette[k]); err != nil {
			return err
		}
	}
	if err := spinglassVLine(ph, -res.EInf, 0, ymax, color.Black); err != nil {
		return err
	}
	ph.Legend.Top = true
	ph.Legend.Left = false
	// (b) complexity near the bottom of the landscape, where the Theta_k part
	cx := res.Complexity
	cl, ch := cx.U[0], cx.U[len(cx.U)-1]
	pc := plot.New()
	pc.Title.Text = "ABC complexity (dashed: -E_0, -E_1, -E_2, -E_inf)"
	pc.X.Label.Text = "energy u"
	pc.Y.Label.Text = "Theta(u) = lim (1/N) log E[# critical points below u]"
	pc.X.Tick.Marker = ExactTicks{}
	pc.Y.Tick.Marker = ExactTicks{}
	lt, err := spinglassCurve(cx.U, cx.Total, color.Gray{Y: 120}, vg.Points(4))
	if err != nil {
		return err
	}
	pc.Add(lt)
	pc.Legend.Add("all indices (= Theta_0 below -E_inf)", lt)
	for k, th := range cx.Index {
		l, err := spinglassCurve(cx.U, th, Palette[k%len(Palette)], vg.Points(1.5))
		if err != nil {
			return err
		}
		pc.Add(l)
		pc.Legend.Add(fmt.Sprintf("Theta_%d (index %d)", k, k), l)
	}
	zero, err := plotter.NewLine(plotter.XYs{{X: cl, Y: 0}, {X: ch, Y: 0}})
	if err != nil {
		return err
	}
	zero.Color = color.Gray{Y: 150}
	pc.Add(zero)
	ylo, yhi := cx.Index[len(cx.Index)-1][0], cx.Total[len(cx.Total)-1]
	for k, e := range res.Ek[:3] {
		if err := spinglassVLine(pc, -e, ylo, yhi, Palette[k]); err != nil {
			return err
		}
	}
	if err := spinglassVLine(pc, -res.EInf, ylo, yhi, color.Black); err != nil {
		return err
	}
	pc.Legend.Top = false
	pc.Legend.Left = false
	// (c) index against energy
	pi := plot.New()
	pi.Title.Text = "index against energy"
	pi.X.Label.Text = "energy u"
	pi.Y.Label.Text = "index"
	var xy plotter.XYs
	for _, pt := range res.Points {
		xy = append(xy, plotter.XY{X: pt.Energy, Y: float64(pt.Index)})
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Color = Palette[3]
	sc.GlyphStyle.Radius = vg.Points(2)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	pi.Add(sc)
	pi.Legend.Add("measured", sc)
	lth, err := spinglassCurve(res.IndexCurve.X, res.IndexCurve.Y, color.Black, vg.Points(1))
	if err != nil {
		return err
	}
	pi.Add(lth)
	pi.Legend.Add("(N-1) F_sc(u/E_inf)", lth)
	pi.Legend.Top = true
	pi.Legend.Left = true
	return SaveGrid([][]*plot.Plot{{ph, pc, pi}}, 18*vg.Inch, 6*vg.Inch, path)
}

// LayeredPlot draws a layered spin-glass study in three panels: the distinct
// minima and saddles against the number of layers, the minima's energies
// per layer count with the lowest point, and the index per tangent
// dimension against the energy.
func LayeredPlot(path string, res *spinglass.LayeredStudyResult) error {
	if res == nil || len(res.Rows) == 0 {
		return errors.New("plot: no rows")
	}
	pn := plot.New()
	pn.Title.Text = fmt.Sprintf("layered spin glass, dimension %d: distinct critical points", res.Dim)
	pn.X.Label.Text = "layers"
	pn.Y.Label.Text = "count"
	pn.X.Tick.Marker = ExactTicks{}
	var mins, sads plotter.XYs
	for _, r := range res.Rows {
		mins = append(mins, plotter.XY{X: float64(r.Layers), Y: float64(r.Minima.Count)})
		sads = append(sads, plotter.XY{X: float64(r.Layers), Y: float64(r.Saddles)})
	}
	for i, s := range []struct {
		name string
		xy   plotter.XYs
	}{{"minima", mins}, {"saddles", sads}} {
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return err
		}
		l.Color, pts.Color = Palette[i], Palette[i]
		pn.Add(l, pts)
		pn.Legend.Add(s.name, l, pts)
	}
	first, last := float64(res.Rows[0].Layers), float64(res.Rows[len(res.Rows)-1].Layers)
	ns := float64(res.MinimaStarts + res.SaddleStarts)
	if err := spinglassHLine(pn, first, last, ns); err != nil {
		return err
	}
	pn.Legend.Add("starts (the census saturates near it)", &plotter.Line{LineStyle: draw.LineStyle{Color: color.Gray{Y: 120}, Width: vg.Points(1), Dashes: spinglassDashes}})
	pn.Y.Min, pn.Y.Max = 0, 1.3*ns
	pn.Legend.Top = true
	pn.Legend.Left = true
	pe := plot.New()
	pe.Title.Text = "energies of the minima (line: lowest point)"
	pe.X.Label.Text = "layers"
	pe.Y.Label.Text = "energy u = E/D"
	pe.X.Tick.Marker = ExactTicks{}
	pe.Y.Tick.Marker = ExactTicks{}
	var me, ground plotter.XYs
	for _, r := range res.Rows {
		for i, p := range r.Points {
			if p.Index == 0 {
				// spread the points of one layer count a little sideways
				me = append(me, plotter.XY{X: float64(r.Layers) + 0.3*(math.Mod(float64(i)*0.618034, 1)-0.5), Y: p.Energy})
			}
		}
		if r.Distinct > 0 {
			ground = append(ground, plotter.XY{X: float64(r.Layers), Y: r.UGround})
		}
	}
	if len(me) > 0 {
		sc, err := plotter.NewScatter(me)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = Palette[0]
		sc.GlyphStyle.Radius = vg.Points(1.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		pe.Add(sc)
	}
	if len(ground) > 0 {
		l, err := plotter.NewLine(ground)
		if err != nil {
			return err
		}
		pe.Add(l)
	}
	pi := plot.New()
	pi.Title.Text = "index / tangent dimension against energy"
	pi.X.Label.Text = "energy u"
	pi.Y.Label.Text = "index / (D - L)"
	for i, r := range res.Rows {
		var xy plotter.XYs
		td := float64(res.Dim - r.Layers)
		for _, p := range r.Points {
			if td > 0 {
				xy = append(xy, plotter.XY{X: p.Energy, Y: float64(p.Index) / td})
			}
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = Palette[i%len(Palette)]
		sc.GlyphStyle.Radius = vg.Points(1.8)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		pi.Add(sc)
		pi.Legend.Add(fmt.Sprintf("L = %d", r.Layers), sc)
	}
	pi.Legend.Top = true
	pi.Legend.Left = true
	return SaveGrid([][]*plot.Plot{{pn, pe, pi}}, 18*vg.Inch, 6*vg.Inch, path)
}
