package report

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/isometry"
)

// JacobianPlot draws, for each weight law of res (one row of panels each),
// the mean and the variance of the squared singular values of J against
// depth, measured (points) beside Pennington et al.'s predictions (lines:
// chi_1^L and, at criticality, L (mu2/mu1^2 - 1 - s1)). Every axis has
// ticks whose labels equal their values; a panel whose values span more
// than a decade (off criticality) has a logarithmic y axis.
func JacobianPlot(path string, res *isometry.JacobianResult) error {
	grid, err := jacobianPanels(res)
	if err != nil {
		return err
	}
	return SaveGrid(grid, 10*vg.Inch, 4*vg.Inch*vg.Length(len(grid)), path)
}

// jacobianPanels builds JacobianPlot's panels, one row per weight law.
func jacobianPanels(res *isometry.JacobianResult) ([][]*plot.Plot, error) {
	var laws []string
	for _, r := range res.Rows {
		if len(laws) == 0 || laws[len(laws)-1] != r.Weights {
			laws = append(laws, r.Weights)
		}
	}
	var grid [][]*plot.Plot
	for _, law := range laws {
		var depth, mean, meanTh, variance, varTh []float64
		for _, r := range res.Rows {
			if r.Weights != law {
				continue
			}
			depth = append(depth, float64(r.Depth))
			mean, meanTh, variance = append(mean, r.Mean), append(meanTh, r.MeanTheory), append(variance, r.Variance)
			if r.VarTheory != nil {
				varTh = append(varTh, *r.VarTheory)
			}
		}
		if len(varTh) != len(depth) {
			varTh = nil
		}
		meanSeries := LayerSeries{Name: law + " weights: mean squared singular value", Layers: depth, Measured: mean, Theory: meanTh,
			Label: "chi_1^L", Log: spansDecade(mean, meanTh)}
		varSeries := LayerSeries{Name: law + " weights: variance of the squared singular values", Layers: depth, Measured: variance,
			Theory: varTh, Label: "Pennington et al. 2017", Log: spansDecade(variance, varTh)}
		var row []*plot.Plot
		for _, s := range []LayerSeries{meanSeries, varSeries} {
			p, err := SeriesPlot(s)
			if err != nil {
				return nil, err
			}
			p.X.Label.Text = "depth L"
			p.X.Tick.Marker = ExactTicks{}
			if s.Log {
				p.Y.Tick.Marker = LogTicks{}
			} else {
				p.Y.Tick.Marker = ExactTicks{}
			}
			// A band above the data holds the legend: top right for the
			// mean, top left for the rising variance.
			lo, hi := seriesRange(s.Measured, s.Theory)
			if s.Log {
				p.Y.Max = hi * math.Pow(hi/lo, 0.2)
			} else if hi > lo {
				p.Y.Max = hi + 0.2*(hi-lo)
			}
			p.Legend.Top = true
			p.Legend.Left = s.Name == varSeries.Name
			row = append(row, p)
		}
		grid = append(grid, row)
	}
	if len(grid) == 0 {
		grid = [][]*plot.Plot{{plot.New()}}
	}
	return grid, nil
}

// spansDecade reports whether the positive values of the series span more
// than a factor of ten (and so read better on a log axis); a non-positive
// value rules the log axis out.
func spansDecade(series ...[]float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s {
			if !(v > 0) {
				return false
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return hi > 10*lo
}

// seriesRange is the range of the finite values of the series.
func seriesRange(series ...[]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, v := range s {
			if !math.IsInf(v, 0) && !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return lo, hi
}
