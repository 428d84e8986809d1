package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// FiniteWidthPhase is a phase diagram measured in finite networks (a
// sweep of curvature runs over sigma_w x sigma_b) and its mean-field
// counterpart.
type FiniteWidthPhase struct {
	// Title says what was measured: the activation, width, depth, seeds
	// (one or two lines).
	Title string
	// SigmaW and SigmaB are the sweep's grid; Measured[i][j] is chi_1
	// measured at SigmaB[i], SigmaW[j] (NaN where there is none).
	SigmaW, SigmaB []float64
	Measured       [][]float64
	// Theory[i][j] is mean field's chi_1 at TheorySB[i], TheorySW[j], a
	// grid that best covers the measured grid's cells (cellEdges).
	TheorySW, TheorySB []float64
	Theory             [][]float64
	// CriticalSB and CriticalSW are mean field's boundary: chi_1 = 1 at
	// sigma_w = CriticalSW[k] for sigma_b = CriticalSB[k].
	CriticalSB, CriticalSW []float64
}

// FiniteWidthPhasePlot draws the measured chi_1 (left) beside mean field's
// (right) as heat maps on one colour scale, log2 chi_1 centred on the
// boundary (blue ordered, red chaotic), and on both the order-to-chaos
// boundary as measured (the chi_1 = 1 contour of the measurements, solid)
// and as predicted (the critical curve, dashed).
func FiniteWidthPhasePlot(path string, p FiniteWidthPhase) error {
	panels, bar, err := finiteWidthPanels(p)
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	const w, h = 30 * vg.Centimeter, 14 * vg.Centimeter
	return saveCanvasAs(path, w, h, func(dc draw.Canvas) {
		dc.FillText(draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, 12), XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler},
			vg.Point{X: dc.Min.X + w/2, Y: dc.Max.Y - 2*vg.Millimeter}, p.Title)
		barW := 3.4 * vg.Centimeter
		body := draw.Crop(dc, 0, -barW, 0, -1.6*vg.Centimeter)
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadLeft: 3 * vg.Millimeter, PadRight: 3 * vg.Millimeter, PadBottom: 3 * vg.Millimeter, PadTop: 3 * vg.Millimeter}
		var da draw.Canvas
		for k, pn := range panels {
			tile := tiles.At(body, k, 0)
			pn.Draw(tile)
			da = pn.DataCanvas(tile)
		}
		bar.Draw(draw.Crop(dc, w-barW+5*vg.Millimeter, -15*vg.Millimeter, da.Min.Y-dc.Min.Y, da.Max.Y-dc.Max.Y))
	})
}

// finiteWidthPanels builds the two heat maps and the colour bar.
func finiteWidthPanels(p FiniteWidthPhase) ([]*plot.Plot, *plot.Plot, error) {
	if len(p.SigmaW) < 2 || len(p.SigmaB) < 2 {
		return nil, nil, fmt.Errorf("a phase diagram needs at least 2 values of sigma_w and of sigma_b (got %d and %d)", len(p.SigmaW), len(p.SigmaB))
	}
	if err := checkField(p.SigmaW, p.SigmaB, p.Measured); err != nil {
		return nil, nil, fmt.Errorf("measured: %w", err)
	}
	if err := checkField(p.TheorySW, p.TheorySB, p.Theory); err != nil {
		return nil, nil, fmt.Errorf("theory: %w", err)
	}
	log2 := func(z [][]float64) [][]float64 {
		out := make([][]float64, len(z))
		for i, row := range z {
			out[i] = make([]float64, len(row))
			for j, v := range row {
				out[i][j] = math.Log2(v)
			}
		}
		return out
	}
	meas, theo := log2(p.Measured), log2(p.Theory)
	// One symmetric range for both, so that white is chi_1 = 1.
	m := 0.0
	for _, z := range [][][]float64{meas, theo} {
		lo, hi := phaseZRange(z)
		m = math.Max(m, math.Max(math.Abs(lo), math.Abs(hi)))
	}
	if m == 0 {
		m = 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(-m)
	cm.SetMax(m)
	boundary := draw.LineStyle{Color: color.Black, Width: vg.Points(2)}
	// Mean field's boundary in green, dashed, so that it stays visible
	// where it lies on the measured one.
	theory := draw.LineStyle{Color: color.RGBA{R: 0, G: 150, B: 60, A: 255}, Width: vg.Points(2.5), Dashes: []vg.Length{vg.Points(7), vg.Points(4)}}
	crit := make(plotter.XYs, 0, len(p.CriticalSB))
	for k, sb := range p.CriticalSB {
		if sw := p.CriticalSW[k]; !math.IsNaN(sw) && !math.IsInf(sw, 0) {
			crit = append(crit, plotter.XY{X: sw, Y: sb})
		}
	}
	var panels []*plot.Plot
	for k, f := range []struct {
		title  string
		xs, ys []float64
		z      [][]float64
	}{
		{"measured chi_1 (colour: log scale)", p.SigmaW, p.SigmaB, meas},
		{"mean-field chi_1 (netgeom phase)", p.TheorySW, p.TheorySB, theo},
	} {
		pl := plot.New()
		pl.Title.Text = f.title
		pl.X.Label.Text = "sigma_w"
		pl.Y.Label.Text = "sigma_b"
		pl.X.Tick.Marker, pl.Y.Tick.Marker = ExactTicks{}, ExactTicks{}
		hm := plotter.NewHeatMap(phaseGridXYZ{f.xs, f.ys, phaseClipFinite(f.z)}, cm.Palette(255))
		hm.Min, hm.Max = -m, m
		hm.Rasterized = true
		pl.Add(hm)
		ct := plotter.NewContour(phaseGridXYZ{p.SigmaW, p.SigmaB, phaseClipFinite(meas)}, []float64{0}, palette.Heat(1, 1))
		ct.LineStyles = []draw.LineStyle{boundary}
		pl.Add(ct)
		if len(crit) > 1 {
			l, err := plotter.NewLine(crit)
			if err != nil {
				return nil, nil, err
			}
			l.LineStyle = theory
			pl.Add(l)
			if k == 0 {
				ml, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}})
				ml.LineStyle = boundary
				pl.Legend.Add("measured chi_1 = 1", ml)
				pl.Legend.Add("mean field chi_1 = 1", l)
				pl.Legend.Top = true
			}
		}
		// Both panels span the measured grid's cells (half a cell beyond
		// its first and last values, as its heat map is drawn).
		pl.X.Min, pl.X.Max = cellEdges(p.SigmaW)
		pl.Y.Min, pl.Y.Max = cellEdges(p.SigmaB)
		panels = append(panels, pl)
	}
	bar := plot.New()
	bar.HideX()
	bar.Y.Padding = 0
	bar.Y.Tick.Marker = powerTicks{2}
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	return panels, bar, nil
}

// cellEdges is the span of the cells of a heat map whose cell centres are
// xs (ascending): half a cell beyond the first and the last.
func cellEdges(xs []float64) (lo, hi float64) {
	n := len(xs)
	return xs[0] - (xs[1]-xs[0])/2, xs[n-1] + (xs[n-1]-xs[n-2])/2
}

// checkField checks that z has a row per y and a column per x.
func checkField(xs, ys []float64, z [][]float64) error {
	if len(z) != len(ys) {
		return fmt.Errorf("%d rows for %d values of sigma_b", len(z), len(ys))
	}
	for i, row := range z {
		if len(row) != len(xs) {
			return fmt.Errorf("row %d has %d values for %d values of sigma_w", i, len(row), len(xs))
		}
	}
	return nil
}

// powerTicks labels an axis of log_base values at the integers, each with
// the power it stands for (log2 axis: 0.25, 0.5, 1, 2, 4).
type powerTicks struct{ base float64 }

// Ticks implements plot.Ticker.
func (pt powerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return ticks
	}
	for e := math.Ceil(lo); e <= hi; e++ {
		ticks = append(ticks, plot.Tick{Value: e, Label: strconv.FormatFloat(math.Pow(pt.base, e), 'g', -1, 64)})
	}
	return ticks
}
