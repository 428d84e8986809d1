package report

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/netgeom/netgeom/landscape"
)

// intervalPoints are points with asymmetric vertical error bars.
type intervalPoints struct {
	plotter.XYs
	plotter.YErrors
}

// ComparePlot draws a landscape comparison in four panels, each a
// statistic against depth with its 95% interval as an error bar, one
// colour per data set and weight decay (offset slightly in depth so the
// bars do not overlap): (a) the Chao1 estimate of the distinct minima
// (log scale, filled) with the distinct minima seen as open circles; (b) the median
// aligned relative distance between distinct minima; (c) and (d) the slope
// of the data loss and of the regularised objective on the log-volume per
// parameter, with zero marked.
func ComparePlot(path string, res *landscape.CompareResult) error {
	if res == nil || len(res.Runs) == 0 {
		return fmt.Errorf("plot %s: %w", path, errors.New("no runs"))
	}
	type stat struct {
		title, ylabel string
		get           func(d landscape.DepthMeasure) *landscape.Interval
		log, zero     bool
	}
	stats := []stat{
		{"(a) minima descent reaches: Chao1 estimate (open: seen)", "distinct minima", func(d landscape.DepthMeasure) *landscape.Interval {
			if e := d.Estimate; e != nil {
				return &landscape.Interval{Value: e.Chao1, Lower: e.Lower, Upper: e.Upper}
			}
			return nil
		}, true, false},
		{"(b) clustering: median aligned distance between minima", "relative distance", func(d landscape.DepthMeasure) *landscape.Interval { return d.Distance }, false, false},
		{"(c) trade-off: slope of the data loss on log-volume/P", "slope", func(d landscape.DepthMeasure) *landscape.Interval { return d.SlopeLoss }, false, true},
		{"(d) trade-off: slope of the objective on log-volume/P", "slope", func(d landscape.DepthMeasure) *landscape.Interval { return d.SlopeObjective }, false, true},
	}
	lo, hi := res.Depths[0], res.Depths[len(res.Depths)-1]
	var panels []*plot.Plot
	for _, s := range stats {
		ylo, yhi := math.Inf(1), math.Inf(-1)
		p := plot.New()
		p.Title.Text = s.title
		p.X.Label.Text = "depth (hidden layers)"
		p.Y.Label.Text = s.ylabel
		if s.log {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = LogTicks{}
		}
		if s.zero {
			z, err := plotter.NewLine(plotter.XYs{{X: float64(lo) - 0.4, Y: 0}, {X: float64(hi) + 0.4, Y: 0}})
			if err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
			z.Color, z.Dashes = Palette[len(Palette)-1], []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(z)
		}
		for k, r := range res.Runs {
			off := 0.25 * (float64(k) - float64(len(res.Runs)-1)/2) / float64(max(len(res.Runs)-1, 1))
			var pts intervalPoints
			var seen plotter.XYs
			for _, d := range r.Depths {
				x := float64(d.Depth) + off
				if s.log && d.DistinctMinima > 0 {
					seen = append(seen, plotter.XY{X: x, Y: float64(d.DistinctMinima)})
				}
				iv := s.get(d)
				if iv == nil {
					continue
				}
				ylo, yhi = math.Min(ylo, iv.Lower), math.Max(yhi, iv.Upper)
				pts.XYs = append(pts.XYs, plotter.XY{X: x, Y: iv.Value})
				pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{iv.Value - iv.Lower, iv.Upper - iv.Value})
			}
			c := Palette[k%len(Palette)]
			name := fmt.Sprintf("%s, wd %g", r.Data, r.WeightDecay)
			if len(pts.XYs) > 0 {
				l, sc, err := plotter.NewLinePoints(pts.XYs)
				if err != nil {
					return fmt.Errorf("plot %s: %w", path, err)
				}
				l.Color, sc.Color = c, c
				sc.Shape = draw.CircleGlyph{}
				bars, err := plotter.NewYErrorBars(pts)
				if err != nil {
					return fmt.Errorf("plot %s: %w", path, err)
				}
				bars.Color = c
				p.Add(l, sc, bars)
				p.Legend.Add(name, l, sc)
			}
			if len(seen) > 0 {
				o, err := plotter.NewScatter(seen)
				if err != nil {
					return fmt.Errorf("plot %s: %w", path, err)
				}
				o.Color = c
				o.Shape = draw.RingGlyph{}
				p.Add(o)
			}
		}
		// Room above the data for the legend: a third of the height.
		switch {
		case math.IsInf(yhi, -1):
		case s.log:
			p.Y.Min, p.Y.Max = math.Max(0.8, 0.8*ylo), math.Max(yhi, 1)*math.Pow(math.Max(yhi, 1)/math.Max(0.8*ylo, 0.8), 0.35)
		default:
			if s.zero {
				ylo, yhi = math.Min(ylo, 0), math.Max(yhi, 0)
			}
			span := math.Max(yhi-ylo, 1e-12)
			p.Y.Min, p.Y.Max = ylo-0.05*span, yhi+0.6*span
		}
		p.X.Min, p.X.Max = float64(lo)-0.4, float64(hi)+0.4
		p.X.Tick.Marker = censusDepthTicks{}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		panels = append(panels, p)
	}
	return SaveGrid([][]*plot.Plot{{panels[0], panels[1]}, {panels[2], panels[3]}}, 15*vg.Inch, 11*vg.Inch, path)
}
