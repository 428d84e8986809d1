package main

import (
	"fmt"
	"image/color"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newBoundaryCmd) }

type boundaryLayer struct {
	Layer        int     `json:"layer"`
	MaxCurvature float64 `json:"max_curvature"`
	MinCurvature float64 `json:"min_curvature"`
	MeanAbs      float64 `json:"mean_abs_curvature"`
}

func newBoundaryCmd(g *globals) *cobra.Command {
	var nf netFlags
	var points int
	var q float64
	var plotPath string
	cmd := &cobra.Command{
		Use:   "boundary",
		Short: "Principal curvatures of a random network's decision boundary, seen from the input of every layer",
		Long: `Draw a random readout G = beta . phi(h^L) - beta0 (beta0 splits random inputs in
half), find --points points on its decision boundary G = 0 by bisection, and
compute at each point, for every layer l, the principal curvatures of the
boundary as a surface in the space of h^l: the eigenvalues of
P grad^2 G P / |grad G| from exact second derivatives (jets). Poole et al.
(2016), figure 4G: the extreme curvatures grow as the boundary is pulled back
toward the input. Cost grows like width^2 per layer; widths of a few hundred.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if nf.width > 1000 {
				return fmt.Errorf("--width %d: the full Hessian needs width^2/2 jets per layer; use at most 1000", nf.width)
			}
			run, err := nf.open(g, q)
			if err != nil {
				return err
			}
			defer run.b.Close()
			act, net, q0, b := run.act, run.net, run.q0, run.b
			update, finish := progress(cmd, "boundary")
			opt := manifold.BoundaryOptions{Points: points, Q: q0, Seed: g.Seed, Progress: update}
			ro, pts, err := manifold.BoundaryPoints(b, net, opt)
			if err != nil {
				finish()
				return err
			}
			res, err := manifold.BoundaryCurvature(b, net, ro, pts, opt)
			finish()
			if err != nil {
				return err
			}
			rows := make([]boundaryLayer, len(res))
			t := table{Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, width %d, depth %d, %d boundary points, seed %d: principal curvatures (means over points)",
				act.Name, nf.sigmaW, nf.sigmaB, nf.width, nf.depth, points, g.Seed),
				Header: []string{"layer", "max_curvature", "min_curvature", "mean_abs_curvature"}}
			for i, r := range res {
				rows[i] = boundaryLayer{Layer: r.Layer, MaxCurvature: r.MaxMean, MinCurvature: r.MinMean, MeanAbs: r.AbsMean}
				t.Rows = append(t.Rows, []string{fmt.Sprint(r.Layer), fmtFloat(r.MaxMean), fmtFloat(r.MinMean), fmtFloat(r.AbsMean)})
			}
			out := map[string]any{"activation": act.Name, "sigma_w": nf.sigmaW, "sigma_b": nf.sigmaB, "width": nf.width, "depth": nf.depth,
				"points": points, "seed": g.Seed, "q_input": q0, "beta0": ro.Beta0, "layers": rows}
			return emitAndPlot(cmd, g, t, out, plotPath, func(path string) error { return boundaryPlot(path, res) })
		},
	}
	nf.add(cmd, 200, 10)
	fl := cmd.Flags()
	fl.IntVar(&points, "points", 10, "boundary points")
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the random inputs (default: q*)")
	fl.StringVar(&plotPath, "plot", "", "write the principal curvature spectra per layer here (.png or .svg)")
	return cmd
}

// boundaryPlot draws, per layer, the principal curvatures of every point
// sorted by index (Poole et al. figure 4G), averaged over points.
func boundaryPlot(path string, res []manifold.BoundaryLayer) error {
	p := plot.New()
	p.Title.Text = "decision boundary: principal curvatures (mean over points) by layer"
	p.X.Label.Text, p.Y.Label.Text = "index", "principal curvature"
	for _, r := range res {
		n := len(r.Curvatures[0])
		pts := make(plotter.XYs, n)
		for i := 0; i < n; i++ {
			for _, k := range r.Curvatures {
				pts[i].Y += k[i] / float64(len(r.Curvatures))
			}
			pts[i].X = float64(i)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		f := float64(r.Layer) / float64(max(1, len(res)-1))
		l.Color = color.RGBA{R: uint8(40 + 200*f), G: 60, B: uint8(220 - 180*f), A: 255}
		p.Add(l)
		if r.Layer == 0 || r.Layer == len(res)-1 || r.Layer == (len(res)-1)/2 {
			p.Legend.Add(fmt.Sprintf("layer %d", r.Layer), l)
		}
	}
	p.Legend.Top, p.Legend.Left = true, true
	return report.SaveGrid([][]*plot.Plot{{p}}, 8*vg.Inch, 5*vg.Inch, path)
}
