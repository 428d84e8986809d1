package report

import (
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

	"github.com/netgeom/netgeom/meanfield"
)

// PhasePlot draws the mean-field phase diagram of one activation (named in
// the title) from meanfield.PhaseGrid's grid (row i at sigma_b[i], column j
// at sigma_w[j]): q*, c*, chi_1 and xi_c (on a log scale) as a 2 x 2 panel
// of heat maps, each with its colour bar and the chi_1 = 1 contour. Every
// axis and colour bar has ticks whose labels equal their values.
func PhasePlot(path, activation string, grid [][]meanfield.GridPoint) error {
	panels, err := phasePanels(grid)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	const w, h = 26 * vg.Centimeter, 20 * vg.Centimeter
	return saveCanvasAs(path, w, h, func(dc draw.Canvas) {
		tiles := draw.Tiles{Rows: 2, Cols: 2, PadTop: vg.Centimeter, PadX: vg.Centimeter, PadY: vg.Centimeter,
			PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3}
		title := fmt.Sprintf("%s mean field; black line: chi_1 = 1 (ordered to its left, chaotic to its right)", activation)
		dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 13), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler},
			vg.Point{X: dc.Min.X + w/2, Y: dc.Max.Y - 2*vg.Millimeter}, title)
		for k, pn := range panels {
			tile := tiles.At(dc, k%2, k/2)
			barW := 2.3 * vg.Centimeter // room for labels such as 1e+03 beside the bar
			width := tile.Max.X - tile.Min.X
			pc := draw.Crop(tile, 0, -barW, 0, 0)
			pn.heat.Draw(pc)
			da := pn.heat.DataCanvas(pc) // the bar spans the heat map's height
			pn.bar.Draw(draw.Crop(tile, width-barW+3*vg.Millimeter, 0, da.Min.Y-tile.Min.Y, da.Max.Y-tile.Max.Y))
		}
	})
}

// phasePanel is one heat map of the phase diagram and its colour bar.
type phasePanel struct {
	heat, bar *plot.Plot
}

// phasePanels builds PhasePlot's four heat maps (q*, c*, chi_1, xi_c) with
// their colour bars and the chi_1 = 1 contour.
func phasePanels(grid [][]meanfield.GridPoint) ([]phasePanel, error) {
	if len(grid) == 0 || len(grid[0]) == 0 {
		return nil, fmt.Errorf("empty phase grid")
	}
	sws := make([]float64, len(grid[0]))
	for j, p := range grid[0] {
		sws[j] = p.SigmaW
	}
	sbs := make([]float64, len(grid))
	for i, row := range grid {
		if len(row) != len(sws) {
			return nil, fmt.Errorf("phase grid row %d has %d points, row 0 has %d", i, len(row), len(sws))
		}
		sbs[i] = row[0].SigmaB
	}
	field := func(get func(meanfield.GridPoint) float64) [][]float64 {
		z := make([][]float64, len(sbs))
		for i, row := range grid {
			z[i] = make([]float64, len(sws))
			for j, p := range row {
				z[i][j] = get(p)
			}
		}
		return z
	}
	chi := field(func(p meanfield.GridPoint) float64 { return p.Chi1 })
	specs := []struct {
		title string
		z     [][]float64
		log   bool // z holds log10 values: label the bar with the powers
	}{
		{"q*", field(func(p meanfield.GridPoint) float64 { return p.QStar }), false},
		{"c*", field(func(p meanfield.GridPoint) float64 { return p.CStar }), false},
		{"chi_1", chi, false},
		{"xi_c (layers, log scale)", field(func(p meanfield.GridPoint) float64 { return math.Log10(p.XiC) }), true},
	}
	var out []phasePanel
	for _, pn := range specs {
		z := phaseClipFinite(pn.z)
		lo, hi := phaseZRange(z)
		cm := moreland.SmoothBlueRed()
		cm.SetMin(lo)
		cm.SetMax(hi)
		p := plot.New()
		if pn.log {
			p.Title.Text = fmt.Sprintf("%s (%.3g .. %.3g)", pn.title, math.Pow(10, lo), math.Pow(10, hi))
		} else {
			p.Title.Text = fmt.Sprintf("%s (%.3g .. %.3g)", pn.title, lo, hi)
		}
		p.X.Label.Text = "sigma_w"
		p.Y.Label.Text = "sigma_b"
		p.X.Tick.Marker, p.Y.Tick.Marker = ExactTicks{}, ExactTicks{}
		hm := plotter.NewHeatMap(phaseGridXYZ{sws, sbs, z}, cm.Palette(255))
		hm.Min, hm.Max = lo, hi
		hm.Rasterized = true
		p.Add(hm)
		if len(sws) > 1 && len(sbs) > 1 {
			ct := plotter.NewContour(phaseGridXYZ{sws, sbs, phaseClipFinite(chi)}, []float64{1}, palette.Heat(1, 1))
			ct.LineStyles = []draw.LineStyle{{Color: color.Black, Width: vg.Points(1.5)}}
			p.Add(ct)
		}
		cb := plot.New()
		cb.HideX()
		cb.Y.Padding = 0
		cb.Y.Tick.Marker = ExactTicks{}
		if pn.log {
			cb.Y.Tick.Marker = ExponentTicks{}
		}
		cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
		out = append(out, phasePanel{heat: p, bar: cb})
	}
	return out, nil
}

// phaseGridXYZ adapts one field of the phase grid to plotter.GridXYZ:
// column c is sigma_w[c], row r is sigma_b[r].
type phaseGridXYZ struct {
	xs, ys []float64
	z      [][]float64
}

func (g phaseGridXYZ) Dims() (c, r int)   { return len(g.xs), len(g.ys) }
func (g phaseGridXYZ) Z(c, r int) float64 { return g.z[r][c] }
func (g phaseGridXYZ) X(c int) float64    { return g.xs[c] }
func (g phaseGridXYZ) Y(r int) float64    { return g.ys[r] }

// phaseClipFinite replaces +-Inf (and NaN) by the largest/smallest finite
// value of z (q* is +Inf where the length map is unbounded, xi_c at the
// critical line).
func phaseClipFinite(z [][]float64) [][]float64 {
	lo, hi := phaseZRange(z)
	out := make([][]float64, len(z))
	for i, row := range z {
		out[i] = make([]float64, len(row))
		for j, v := range row {
			switch {
			case math.IsInf(v, 1) || math.IsNaN(v):
				v = hi
			case math.IsInf(v, -1):
				v = lo
			}
			out[i][j] = v
		}
	}
	return out
}

// phaseZRange is the finite range of z, widened when it is a single value.
func phaseZRange(z [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, row := range z {
		for _, v := range row {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	return lo, hi
}
