package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newBoundaryCmd) }

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
P grad^2 G P / |grad G| from exact second derivatives. Poole et al.
(2016), figure 4G: the extreme curvatures grow as the boundary is pulled back
toward the input. Cost grows like width^2 per layer; widths of a few hundred.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := explicitZero(cmd, "points"); err != nil {
				return err
			}
			run, err := nf.open(g, q)
			if err != nil {
				return err
			}
			defer run.b.Close()
			update, finish := progress(cmd, "boundary")
			res, err := manifold.DecisionBoundary(cmd.Context(), run.b, manifold.DecisionBoundaryOptions{Net: run.net, Points: points,
				Q: run.q0, Seed: g.Seed, Progress: update})
			finish()
			if err != nil {
				return optionFlagError(err, map[string]string{"Net width": "width", "Points": "points", "Q": "q"})
			}
			t := table{Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, width %d, depth %d, %d boundary points, seed %d: principal curvatures (means over points)",
				res.Activation, res.SigmaW, res.SigmaB, res.Width, res.Depth, res.Points, res.Seed),
				Header: []string{"layer", "max_curvature", "min_curvature", "mean_abs_curvature"}}
			for _, r := range res.Layers {
				t.Rows = append(t.Rows, []string{fmt.Sprint(r.Layer), fmtFloat(r.MaxCurvature), fmtFloat(r.MinCurvature), fmtFloat(r.MeanAbs)})
			}
			return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return report.BoundaryPlot(path, res) })
		},
	}
	nf.add(cmd, 200, 10)
	fl := cmd.Flags()
	fl.IntVar(&points, "points", 10, "boundary points")
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the random inputs (default: q*)")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "write the principal curvature spectra per layer here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}
