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

// carveColors colour the networks of manifold.Carve.
var carveColors = map[string]color.Color{
	"dense":            Palette[0],
	"product":          Palette[1],
	"mixed":            Palette[2],
	"relu":             Palette[4],
	"product (linear)": Palette[5],
}

// carveShades colour the widths of the count experiment, light to dark.
var carveShades = []color.Color{
	color.RGBA{R: 120, G: 170, B: 230, A: 255},
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 10, G: 40, B: 100, A: 255},
	color.RGBA{R: 0, G: 0, B: 40, A: 255},
}

// CarveZeroLabel is the legend entry of the values 0 that CarvePlot draws
// at the floor of a logarithmic axis.
const CarveZeroLabel = "0 (drawn at the axis floor)"

// CarvePlot draws manifold.Carve's result as two rows of panels: kbar,
// Grassmannian length and the 95%-variance dimension of the circle by layer
// for the matched networks (measured points, mean-field lines); relu pieces
// and product sign changes by depth with the degree bound; and the
// boundary's largest principal curvature by layer for every network. On
// the logarithmic panels a value 0 (a count of no sign changes) is drawn as
// an open down-pointing triangle at the axis floor, a quarter of the
// smallest positive value drawn there, with the legend entry
// CarveZeroLabel. path ends in .png or .svg.
func CarvePlot(path string, res *manifold.CarveResult) error {
	var lgVals [][]float64
	for _, r := range res.Circle.Rows {
		lgVals = append(lgVals, []float64{r.GrassmannLength, r.GrassmannLengthTheory})
	}
	var pieceVals, signVals [][]float64
	for _, r := range res.Count.Rows {
		pieceVals = append(pieceVals, []float64{r.ReLUPieces, r.ProductSignChanges, float64(r.ProductBound)})
		signVals = append(signVals, []float64{r.ReLUSignChanges, r.ProductSignChanges, float64(r.ProductBound)})
	}
	kb := newCarvePanel(fmt.Sprintf("kbar = sqrt(N) kappa at chi_1 = %g (lines: mean field)", res.Chi1), "layer", "kbar", false, nil)
	lg := newCarvePanel("Grassmannian length L^G", "layer", "L^G", true, lgVals)
	dim := newCarvePanel("dimension: components for 95% of variance", "layer", "PCA95", false, nil)
	for _, n := range res.Networks {
		var ls, k, kt, g, gt, d []float64
		for _, r := range res.Circle.Rows {
			if r.Network != n.Name {
				continue
			}
			ls = append(ls, float64(r.Layer))
			k, kt = append(k, r.KappaBar), append(kt, r.KappaBarTheory)
			g, gt = append(g, r.GrassmannLength), append(gt, r.GrassmannLengthTheory)
			pc := math.NaN() // no Gram matrix: nothing to draw
			if r.PCA95 != nil {
				pc = float64(*r.PCA95)
			}
			d = append(d, pc)
		}
		col := carveColors[n.Name]
		label := fmt.Sprintf("%s (sigma_w %.3g)", n.Name, n.SigmaW)
		for _, err := range []error{kb.scatter(ls, k, col, label), kb.line(ls, kt, col, false, ""),
			lg.scatter(ls, g, col, n.Name), lg.line(ls, gt, col, false, ""),
			dim.line(ls, d, col, false, n.Name), dim.scatter(ls, d, col, "")} {
			if err != nil {
				return err
			}
		}
	}
	kmax := 0.0
	for _, r := range res.Circle.Rows {
		kmax = math.Max(kmax, math.Max(r.KappaBar, r.KappaBarTheory))
	}
	kb.Y.Min, kb.Y.Max = 0, 1.3*kmax // room for the legend
	pieces := newCarvePanel(fmt.Sprintf("along a %s: relu pieces (solid), product sign changes (dashed)", res.Count.Path), "depth", "count", true, pieceVals)
	signs := newCarvePanel("sign changes of the readout: relu (solid), product (dashed)", "depth", "sign changes", true, signVals)
	widths := map[int]bool{}
	var wl []int
	for _, r := range res.Count.Rows {
		if !widths[r.Width] {
			widths[r.Width] = true
			wl = append(wl, r.Width)
		}
	}
	prodCol := carveColors["product (linear)"]
	for i, w := range wl {
		var ds, rp, rs, ps, bound []float64
		for _, r := range res.Count.Rows {
			if r.Width == w {
				ds = append(ds, float64(r.Depth))
				rp, rs, ps = append(rp, r.ReLUPieces), append(rs, r.ReLUSignChanges), append(ps, r.ProductSignChanges)
				bound = append(bound, float64(r.ProductBound))
			}
		}
		col := carveShades[i%len(carveShades)]
		prodLabel := ""
		if i == 0 {
			prodLabel = "product sign changes (all widths)"
		}
		for _, err := range []error{pieces.line(ds, rp, col, false, fmt.Sprintf("relu pieces, width %d", w)), pieces.scatter(ds, rp, col, ""),
			pieces.line(ds, ps, prodCol, true, prodLabel), pieces.scatter(ds, ps, prodCol, ""),
			signs.line(ds, rs, col, false, fmt.Sprintf("width %d", w)), signs.scatter(ds, rs, col, ""),
			signs.line(ds, ps, col, true, ""), signs.scatter(ds, ps, col, "")} {
			if err != nil {
				return err
			}
		}
		if i == 0 {
			for _, p := range []*carvePanel{pieces, signs} {
				if err := p.line(ds, bound, color.Black, true, "product degree bound"); err != nil {
					return err
				}
			}
		}
	}
	// Headroom above the data for the legends of the log panels.
	hi := 1.0
	for _, r := range res.Count.Rows {
		hi = math.Max(hi, math.Max(r.ReLUPieces, float64(r.ProductBound)))
	}
	pieces.Y.Max, signs.Y.Max = 8*hi, 8*hi
	bp := newCarvePanel("decision boundary: largest principal curvature (mean over points)", "layer", "curvature", false, nil)
	var names []string
	seen := map[string]bool{}
	for _, r := range res.Boundary.Rows {
		if !seen[r.Network] {
			seen[r.Network] = true
			names = append(names, r.Network)
		}
	}
	for _, name := range names {
		var ls, mx []float64
		for _, r := range res.Boundary.Rows {
			if r.Network == name {
				ls, mx = append(ls, float64(r.Layer)), append(mx, r.Max)
			}
		}
		if err := bp.line(ls, mx, carveColors[name], false, name); err != nil {
			return err
		}
		if err := bp.scatter(ls, mx, carveColors[name], ""); err != nil {
			return err
		}
	}
	bp.Legend.Left = false
	panels := [][]*carvePanel{{kb, lg, dim}, {pieces, signs, bp}}
	grid := make([][]*plot.Plot, len(panels))
	for i, row := range panels {
		for _, p := range row {
			if err := p.finish(); err != nil {
				return err
			}
			grid[i] = append(grid[i], p.Plot)
		}
	}
	return SaveGrid(grid, 18*vg.Inch, 10*vg.Inch, path)
}

// carvePanel is one panel of CarvePlot. On a logarithmic y axis the values
// <= 0 (zeros: the counts and lengths drawn there are never negative) are
// drawn at floor, the axis minimum, as open down-pointing triangles, and
// the legend says so.
type carvePanel struct {
	*plot.Plot
	log     bool
	floor   float64 // axis minimum on a log axis with zeros; 0 otherwise
	hasZero bool    // a zero was drawn at the floor
}

// newCarvePanel starts a panel. On a log axis, vals (every value the panel
// will draw) fix the floor: a quarter of the smallest positive value when
// some value is <= 0 (1/4 when none is positive).
func newCarvePanel(title, x, y string, log bool, vals [][]float64) *carvePanel {
	p := &carvePanel{Plot: plot.New(), log: log}
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Y.Tick.Marker = ExactTicks{}
	if log {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = LogTicks{}
		p.floor = carveLogFloor(vals)
	}
	p.Legend.Top, p.Legend.Left = true, true
	return p
}

// carveLogFloor is a quarter of the smallest positive finite value in
// vals when some value is <= 0, else 0 (no floor needed); 1/4 when no value
// is positive.
func carveLogFloor(vals [][]float64) float64 {
	minPos, zero := math.Inf(1), false
	for _, vs := range vals {
		for _, v := range vs {
			switch {
			case v > 0 && !math.IsInf(v, 0):
				minPos = math.Min(minPos, v)
			case v <= 0:
				zero = true
			}
		}
	}
	switch {
	case !zero:
		return 0
	case math.IsInf(minPos, 1):
		return 0.25
	}
	return minPos / 4
}

// points splits (xs, ys) into the points drawn at their value and, on a
// log axis, the zeros drawn at the floor; NaN and infinite values (no
// measurement) are left out.
func (p *carvePanel) points(xs, ys []float64) (at, zeros plotter.XYs) {
	for i := range xs {
		y := ys[i]
		switch {
		case math.IsNaN(y) || math.IsInf(y, 0):
		case p.log && y <= 0:
			zeros = append(zeros, plotter.XY{X: xs[i], Y: p.floor})
		default:
			at = append(at, plotter.XY{X: xs[i], Y: y})
		}
	}
	return at, zeros
}

// line joins the points in x order, zeros at the floor included.
func (p *carvePanel) line(xs, ys []float64, col color.Color, dashed bool, label string) error {
	var pts plotter.XYs
	for i := range xs {
		y := ys[i]
		switch {
		case math.IsNaN(y) || math.IsInf(y, 0):
			continue
		case p.log && y <= 0:
			y = p.floor
		}
		pts = append(pts, plotter.XY{X: xs[i], Y: y})
	}
	if len(pts) == 0 {
		return nil
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Color, l.Width = col, vg.Points(1.2)
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	if label != "" {
		p.Legend.Add(label, l)
	}
	return nil
}

// scatter marks the points: filled circles at their value, open
// down-pointing triangles at the floor for zeros on a log axis.
func (p *carvePanel) scatter(xs, ys []float64, col color.Color, label string) error {
	at, zeros := p.points(xs, ys)
	if len(at) > 0 {
		s, err := plotter.NewScatter(at)
		if err != nil {
			return err
		}
		s.GlyphStyle.Color, s.GlyphStyle.Shape, s.GlyphStyle.Radius = col, draw.CircleGlyph{}, vg.Points(2.2)
		p.Add(s)
		if label != "" {
			p.Legend.Add(label, s)
		}
	}
	if len(zeros) > 0 {
		s, err := carveZeroScatter(zeros, col)
		if err != nil {
			return err
		}
		p.Add(s)
		p.hasZero = true
	}
	return nil
}

// finish puts the floor at the axis minimum and adds the legend entry of
// the zeros, once every series is in.
func (p *carvePanel) finish() error {
	if !p.hasZero {
		return nil
	}
	p.Y.Min = p.floor
	s, err := carveZeroScatter(plotter.XYs{{X: 0, Y: p.floor}}, color.Black)
	if err != nil {
		return err
	}
	p.Legend.Add(CarveZeroLabel, s)
	return nil
}

func carveZeroScatter(pts plotter.XYs, col color.Color) (*plotter.Scatter, error) {
	s, err := plotter.NewScatter(pts)
	if err != nil {
		return nil, err
	}
	s.GlyphStyle.Color, s.GlyphStyle.Shape, s.GlyphStyle.Radius = col, carveFloorGlyph{}, vg.Points(3.5)
	return s, nil
}

// carveFloorGlyph is an open triangle pointing down with its tip at the
// point, its body above it: a value below a log axis's range, at the floor.
type carveFloorGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (carveFloorGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.2)})
	r := sty.Radius
	p := make(vg.Path, 0, 4)
	p.Move(pt)
	p.Line(vg.Point{X: pt.X - r*vg.Length(math.Sqrt(3)/2), Y: pt.Y + 1.5*r})
	p.Line(vg.Point{X: pt.X + r*vg.Length(math.Sqrt(3)/2), Y: pt.Y + 1.5*r})
	p.Close()
	c.Stroke(p)
}
