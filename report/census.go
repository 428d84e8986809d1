package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/landscape"
	"github.com/netgeom/netgeom/models"
)

// censusGlyphs are filled shapes (the distinct minima of panel (a));
// repeats of a minimum are drawn as rings under them.
var censusGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}

// CensusPlot draws a census in four panels: (a) train loss against
// log-volume per parameter, every converged end point, one colour per
// depth, distinct minima filled; (b) distinct minima and distinct
// stationary points per depth out of the restarts; (c) the distribution of
// the function distances between all pairs of converged end points, per
// quarter decade, with the threshold; (d) the empirical distribution
// function of the aligned relative parameter distances between distinct
// minima.
func CensusPlot(path string, res *landscape.TakeCensusResult) error {
	if res == nil || len(res.Depths) == 0 {
		return fmt.Errorf("plot %s: %w", path, errors.New("no depths"))
	}
	pa, err := censusFlatnessPanel(path, res)
	if err != nil {
		return err
	}
	pb, err := censusCountPanel(path, res)
	if err != nil {
		return err
	}
	pc, err := censusDistancePanel(path, res)
	if err != nil {
		return err
	}
	pd, err := censusParamPanel(path, res)
	if err != nil {
		return err
	}
	return SaveGrid([][]*plot.Plot{{pa, pb}, {pc, pd}}, 15*vg.Inch, 11*vg.Inch, path)
}

func censusColor(i int) color.Color { return Palette[i%len(Palette)] }

// censusFlatnessPanel is panel (a): loss against flatness.
func censusFlatnessPanel(path string, res *landscape.TakeCensusResult) (*plot.Plot, error) {
	pa := plot.New()
	pa.Title.Text = "loss against flatness (filled: distinct minima)"
	pa.X.Label.Text = "log-volume / P = -1/(2P) sum log lambda"
	pa.Y.Label.Text = "train loss (mean cross-entropy)"
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, d := range res.Depths {
		var reps, rest plotter.XYs
		for _, p := range d.Points {
			if p.Index != 0 {
				continue
			}
			xy := plotter.XY{X: p.LogVolume / float64(d.Params), Y: p.TrainLoss}
			xlo, xhi = math.Min(xlo, xy.X), math.Max(xhi, xy.X)
			ylo, yhi = math.Min(ylo, xy.Y), math.Max(yhi, xy.Y)
			if p.Representative {
				reps = append(reps, xy)
			} else {
				rest = append(rest, xy)
			}
		}
		var legendThumb plot.Thumbnailer
		for k, set := range []plotter.XYs{rest, reps} {
			if len(set) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(set)
			if err != nil {
				return nil, fmt.Errorf("plot %s: %w", path, err)
			}
			sc.GlyphStyle.Color = censusColor(i)
			sc.GlyphStyle.Radius = vg.Points(3)
			if k == 0 {
				sc.GlyphStyle.Shape = draw.RingGlyph{}
			} else {
				sc.GlyphStyle.Shape = censusGlyphs[i%len(censusGlyphs)]
				legendThumb = sc
			}
			pa.Add(sc)
		}
		if legendThumb != nil {
			pa.Legend.Add(fmt.Sprintf("depth %d (%s, P %d)", d.Depth, models.FormatArch(d.Widths), d.Params), legendThumb)
		}
	}
	if ylo <= yhi { // room above the points for the legend
		span := math.Max(yhi-ylo, 1e-3*math.Abs(yhi))
		pa.Y.Min, pa.Y.Max = ylo-0.05*span, yhi+0.06*span*float64(len(res.Depths)+2)
		span = math.Max(xhi-xlo, 1e-3*math.Abs(xhi))
		pa.X.Min, pa.X.Max = xlo-0.04*span, xhi+0.04*span
	}
	pa.X.Tick.Marker = ExactTicks{}
	pa.Y.Tick.Marker = ExactTicks{}
	pa.Legend.Top = true
	pa.Add(plotter.NewGrid())
	return pa, nil
}

// censusCountPanel is panel (b): distinct points per depth.
func censusCountPanel(path string, res *landscape.TakeCensusResult) (*plot.Plot, error) {
	pb := plot.New()
	pb.Title.Text = fmt.Sprintf("distinct points out of %d restarts (function distance < %g)", res.Restarts, res.Threshold)
	pb.X.Label.Text = "depth (hidden layers)"
	pb.Y.Label.Text = "count"
	top := 1.15 * float64(res.Restarts)
	for _, d := range res.Depths {
		if e := d.MinimaEstimate; e != nil {
			top = math.Max(top, 1.15*e.Upper)
		}
	}
	logY := top > 1.15*float64(res.Restarts)
	var dm, ds, conv plotter.XYs
	add := func(xy *plotter.XYs, x float64, n int) {
		if n > 0 || !logY { // a logarithmic axis has no 0
			*xy = append(*xy, plotter.XY{X: x, Y: float64(n)})
		}
	}
	for _, d := range res.Depths {
		x := float64(d.Depth)
		add(&dm, x, d.DistinctMinima)
		add(&ds, x, d.DistinctStationary)
		add(&conv, x, d.Converged)
	}
	for k, s := range []struct {
		name string
		xy   plotter.XYs
		dash bool
	}{{"distinct minima", dm, false}, {"distinct stationary points", ds, true}, {"converged restarts", conv, true}} {
		if len(s.xy) == 0 {
			continue
		}
		l, pts, err := plotter.NewLinePoints(s.xy)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		c := []color.Color{color.RGBA{R: 30, G: 60, B: 160, A: 255}, color.RGBA{R: 200, G: 50, B: 40, A: 255}, color.Gray{Y: 120}}[k]
		l.Color, pts.Color = c, c
		pts.Shape = censusGlyphs[k]
		if s.dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		pb.Add(l, pts)
		pb.Legend.Add(s.name, l, pts)
	}
	// The Chao1 estimate of the minima descent reaches, with its 95%
	// interval: it may exceed the restarts, and then the axis is
	// logarithmic.
	var est intervalPoints
	for _, d := range res.Depths {
		if e := d.MinimaEstimate; e != nil {
			est.XYs = append(est.XYs, plotter.XY{X: float64(d.Depth) + 0.08, Y: e.Chao1})
			est.YErrors = append(est.YErrors, struct{ Low, High float64 }{e.Chao1 - e.Lower, e.Upper - e.Chao1})
		}
	}
	if len(est.XYs) > 0 {
		sc, err := plotter.NewScatter(est.XYs)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		bars, err := plotter.NewYErrorBars(est)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		c := color.RGBA{R: 30, G: 140, B: 60, A: 255}
		sc.Color, bars.Color = c, c
		sc.Shape = draw.CrossGlyph{}
		pb.Add(sc, bars)
		pb.Legend.Add("Chao1 estimate of the minima (95% interval)", sc)
	}
	pb.Y.Min, pb.Y.Max = 0, top
	if logY {
		pb.Y.Min = 0.8
		pb.Y.Scale = plot.LogScale{}
	}
	pb.X.Min, pb.X.Max = float64(res.Depths[0].Depth)-0.3, float64(res.Depths[len(res.Depths)-1].Depth)+0.3
	pb.X.Tick.Marker = censusDepthTicks{}
	pb.Y.Tick.Marker = ExactTicks{}
	if _, ok := pb.Y.Scale.(plot.LogScale); ok {
		pb.Y.Tick.Marker = LogTicks{}
	}
	pb.Legend.Top = true
	pb.Legend.Left = true
	pb.Add(plotter.NewGrid())
	return pb, nil
}

// censusDistancePanel is panel (c): the distribution of log10 function
// distances between all converged pairs, a step outline per depth.
func censusDistancePanel(path string, res *landscape.TakeCensusResult) (*plot.Plot, error) {
	pc := plot.New()
	pc.Title.Text = "function distance between converged end points (all pairs)"
	pc.X.Label.Text = "function distance (log scale)"
	pc.Y.Label.Text = "fraction of pairs per 1/4 decade"
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range res.Depths {
		for _, v := range d.PairDistances {
			if v > 0 {
				lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
			}
		}
	}
	if lo <= hi {
		lo, hi = math.Floor(lo*4)/4, math.Ceil(hi*4)/4+0.25
		lo = math.Min(lo, math.Log10(res.Threshold)-0.5)
		bins := int(math.Round((hi - lo) * 4))
		top, curves := 0.0, 0
		for i, d := range res.Depths {
			if len(d.PairDistances) == 0 {
				continue
			}
			counts := make([]float64, bins)
			for _, v := range d.PairDistances {
				k := 0
				if v > 0 {
					k = min(bins-1, max(0, int(math.Floor((math.Log10(v)-lo)*4))))
				}
				counts[k] += 1 / float64(len(d.PairDistances))
			}
			var xy plotter.XYs // a step outline
			for k, c := range counts {
				x0 := lo + float64(k)/4
				xy = append(xy, plotter.XY{X: x0, Y: c}, plotter.XY{X: x0 + 0.25, Y: c})
				top = math.Max(top, c)
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("plot %s: %w", path, err)
			}
			l.Color, l.Width = censusColor(i), vg.Points(1.5)
			pc.Add(l)
			pc.Legend.Add(fmt.Sprintf("depth %d", d.Depth), l)
			curves++
		}
		th, err := plotter.NewLine(plotter.XYs{{X: math.Log10(res.Threshold), Y: 0}, {X: math.Log10(res.Threshold), Y: 1.1 * top}})
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		th.Color, th.Dashes = color.Gray{Y: 60}, []vg.Length{vg.Points(4), vg.Points(3)}
		pc.Add(th)
		pc.Legend.Add(fmt.Sprintf("threshold %g", res.Threshold), th)
		// Room above the steps for the legend (one line per curve).
		pc.Y.Min, pc.Y.Max = 0, top*(1.1+0.07*float64(curves+1))
		pc.X.Min, pc.X.Max = lo, hi
	}
	pc.X.Tick.Marker = ExponentTicks{}
	pc.Y.Tick.Marker = ExactTicks{}
	pc.Legend.Top = true
	pc.Add(plotter.NewGrid())
	return pc, nil
}

// censusParamPanel is panel (d): the empirical distribution function of
// the aligned relative parameter distances between distinct minima.
func censusParamPanel(path string, res *landscape.TakeCensusResult) (*plot.Plot, error) {
	pd := plot.New()
	pd.Title.Text = "distinct minima: aligned parameter distance (distribution function)"
	pd.X.Label.Text = "|theta_a - align(theta_b)| / sqrt(|theta_a|^2 + |theta_b|^2)"
	pd.Y.Label.Text = "fraction of pairs <= x"
	for i, d := range res.Depths {
		if len(d.ParamDistances) == 0 {
			continue
		}
		s := append([]float64(nil), d.ParamDistances...)
		sort.Float64s(s)
		var xy plotter.XYs
		for k, v := range s {
			xy = append(xy, plotter.XY{X: v, Y: float64(k) / float64(len(s))}, plotter.XY{X: v, Y: float64(k+1) / float64(len(s))})
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color, l.Width = censusColor(i), vg.Points(1.5)
		pd.Add(l)
		pd.Legend.Add(fmt.Sprintf("depth %d (%d minima)", d.Depth, d.DistinctMinima), l)
	}
	pd.Y.Min, pd.Y.Max = 0, 1.05
	pd.X.Tick.Marker = ExactTicks{}
	pd.Y.Tick.Marker = ExactTicks{}
	// A distribution function is high on the right: the bottom right
	// corner is free for the legend.
	pd.Legend.Top = false
	pd.Legend.Left = false
	pd.Add(plotter.NewGrid())
	return pd, nil
}

// censusDepthTicks marks every integer of a depth axis (ExactTicks can
// mark half depths, which do not exist) and, on an axis of more than ten
// depths, the integer multiples of ExactTicks' step.
type censusDepthTicks struct{}

// Ticks implements plot.Ticker.
func (censusDepthTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi-lo > 10 {
		return ExactTicks{}.Ticks(lo, hi)
	}
	var t []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		t = append(t, plot.Tick{Value: v, Label: strconv.Itoa(int(v))})
	}
	return t
}
