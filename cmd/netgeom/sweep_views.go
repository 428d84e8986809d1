package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/sweep"
)

// sweepView is how merge shows the sweeps of one command: a table of a
// summary per point and a figure.
type sweepView struct {
	table func(sp sweep.Spec, recs []sweep.Record) (table, any, error)
	plot  func(path string, sp sweep.Spec, recs []sweep.Record) error
}

// sweepViews are the views by sweepCommand.
var sweepViews = map[string]sweepView{
	"curvature": {table: curvatureSweepTable, plot: curvatureSweepPlot},
}

// curvaturePoint is a point of a curvature sweep: its coordinates and the
// summary of its run.
type curvaturePoint struct {
	Index   int                       `json:"index"`
	Point   json.RawMessage           `json:"point"`
	Summary manifold.CurvatureSummary `json:"summary"`
}

// curvatureSummaries decodes and summarises every record of a curvature
// sweep.
func curvatureSummaries(recs []sweep.Record) ([]curvaturePoint, []*manifold.CurvatureResult, error) {
	pts := make([]curvaturePoint, len(recs))
	res := make([]*manifold.CurvatureResult, len(recs))
	for k, r := range recs {
		if r.Failed() {
			return nil, nil, fmt.Errorf("point %d failed (%s): a summary needs every point", r.Index, r.Error)
		}
		var c manifold.CurvatureResult
		if err := json.Unmarshal(r.Result, &c); err != nil {
			return nil, nil, fmt.Errorf("point %d: not a curvature result: %w", r.Index, err)
		}
		s, err := manifold.SummarizeCurvature(&c)
		if err != nil {
			return nil, nil, fmt.Errorf("point %d: %w", r.Index, err)
		}
		pts[k], res[k] = curvaturePoint{Index: r.Index, Point: r.Point, Summary: s}, &c
	}
	return pts, res, nil
}

func curvatureSweepTable(sp sweep.Spec, recs []sweep.Record) (table, any, error) {
	pts, _, err := curvatureSummaries(recs)
	if err != nil {
		return table{}, nil, err
	}
	t := table{Title: fmt.Sprintf("curvature sweep of %d points: chi_1 measured from the growth of the circle's length, (L^D/L^0)^(2/D); kbar at saturation (mean over the second half of the layers); the Grassmannian length's growth per layer (second half)", len(pts))}
	t.Header = []string{"index"}
	for _, a := range sp.Grid {
		t.Header = append(t.Header, a.Name)
	}
	t.Header = append(t.Header, "chi1", "chi1_theory", "kappa_bar", "kappa_bar_theory", "grassmann_rate", "grassmann_rate_theory")
	for _, p := range pts {
		row := append([]string{strconv.Itoa(p.Index)}, sp.Grid.Values(p.Index)...)
		s := p.Summary
		t.Rows = append(t.Rows, append(row, fmtFloat(s.Chi1), optFloat(s.Chi1Theory), fmtFloat(s.KappaBar), optFloat(s.KappaBarTheory),
			fmtFloat(s.GrassmannRate), optFloat(s.GrassmannRateTheory)))
	}
	return t, pts, nil
}

// curvatureSweepPlot draws a curvature sweep over sigma-w and sigma-b as a
// finite-width phase diagram beside mean field's. Another axis may run
// over seeds (the measured chi_1 of a (sigma_w, sigma_b) is the geometric
// mean over them); any other must have one value.
func curvatureSweepPlot(path string, sp sweep.Spec, recs []sweep.Record) error {
	pos := map[string]int{}
	for m, a := range sp.Grid {
		pos[a.Name] = m
		if a.Name != "sigma-w" && a.Name != "sigma-b" && a.Name != "seed" && len(a.Values) > 1 {
			return fmt.Errorf("--plot: the phase diagram is over sigma-w and sigma-b (and seeds); the axis %s has %d values", a.Name, len(a.Values))
		}
	}
	iw, okw := pos["sigma-w"]
	ib, okb := pos["sigma-b"]
	if !okw || !okb || len(sp.Grid[iw].Values) < 2 || len(sp.Grid[ib].Values) < 2 {
		return fmt.Errorf("--plot: a curvature sweep is drawn as a phase diagram: give it axes sigma-w and sigma-b of 2 values or more")
	}
	_, res, err := curvatureSummaries(recs)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	parse := func(vs []string) ([]float64, error) {
		out := make([]float64, len(vs))
		for k, v := range vs {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	sws, err1 := parse(sp.Grid[iw].Values)
	sbs, err2 := parse(sp.Grid[ib].Values)
	if err1 != nil || err2 != nil || !slices.IsSorted(sws) || !slices.IsSorted(sbs) {
		return fmt.Errorf("--plot: the values of sigma-w and sigma-b must be numbers in increasing order")
	}
	// The geometric mean of chi_1 over the other axes (seeds).
	sum := make([][]float64, len(sbs))
	cnt := make([][]int, len(sbs))
	for i := range sbs {
		sum[i], cnt[i] = make([]float64, len(sws)), make([]int, len(sws))
	}
	var (
		act, widths        string
		depth, points, per int
	)
	for k, r := range recs {
		c := res[k]
		if act == "" {
			act, depth, points, widths = c.Activation, c.Depth, c.Points, strconv.Itoa(c.Width)
		} else if c.Activation != act || c.Depth != depth {
			return fmt.Errorf("--plot: the points have different activations or depths")
		}
		s, _ := manifold.SummarizeCurvature(c)
		vals := sp.Grid.Values(r.Index)
		j := slices.Index(sp.Grid[iw].Values, vals[iw])
		i := slices.Index(sp.Grid[ib].Values, vals[ib])
		sum[i][j] += math.Log(s.Chi1)
		cnt[i][j]++
		per = cnt[i][j]
	}
	measured := make([][]float64, len(sbs))
	for i := range sbs {
		measured[i] = make([]float64, len(sws))
		for j := range sws {
			measured[i][j] = math.NaN()
			if cnt[i][j] > 0 {
				measured[i][j] = math.Exp(sum[i][j] / float64(cnt[i][j]))
			}
		}
	}
	f, err := activation.Lookup(act)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	// Mean field on a grid about four times finer whose cells tile the
	// measured grid's (which reach half a cell beyond its ends, as its heat
	// map is drawn; sigma_w above 0, sigma_b at least 0), and its boundary
	// on the same sigma_b.
	fine := func(xs []float64, n int, floor float64) []float64 {
		k := len(xs)
		lo, hi := math.Max(xs[0]-(xs[1]-xs[0])/2, floor), xs[k-1]+(xs[k-1]-xs[k-2])/2
		out := make([]float64, n)
		for k := range out {
			out[k] = lo + (hi-lo)*(float64(k)+0.5)/float64(n)
		}
		return out
	}
	tsw, tsb := fine(sws, min(4*len(sws), 161), 1e-3), fine(sbs, min(4*len(sbs), 161), 0)
	grid, err := meanfield.PhaseGrid(f, tsw, tsb, meanfield.Options{})
	if err != nil {
		return fmt.Errorf("--plot: mean field: %w", err)
	}
	theory := make([][]float64, len(tsb))
	for i, row := range grid {
		for _, p := range row {
			theory[i] = append(theory[i], p.Chi1)
		}
	}
	crit, err := meanfield.CriticalCurve(f, tsb, meanfield.Options{})
	if err != nil {
		return fmt.Errorf("--plot: mean field: %w", err)
	}
	seeds := "one seed per point"
	if per > 1 {
		seeds = fmt.Sprintf("geometric mean over %d seeds per point", per)
	}
	title := fmt.Sprintf("%s, width %s, depth %d: chi_1 measured as the growth per layer of the squared length of a great circle (%d points at q*; %s),\nbeside mean field's; the order-to-chaos boundary (chi_1 = 1) measured and predicted on both",
		act, widths, depth, points, seeds)
	return report.FiniteWidthPhasePlot(path, report.FiniteWidthPhase{Title: title, SigmaW: sws, SigmaB: sbs, Measured: measured,
		TheorySW: tsw, TheorySB: tsb, Theory: theory, CriticalSB: tsb, CriticalSW: crit})
}
