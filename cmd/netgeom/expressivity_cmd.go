package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newExpressivityCmd) }

func newExpressivityCmd(g *globals) *cobra.Command {
	var actName, depthList, shallowList, plotPath string
	var sigmaW, sigmaB, q float64
	var inputDim, width, points, functions int
	cmd := &cobra.Command{
		Use:   "expressivity",
		Short: "Deep against shallow: how well the last layer's features fit a Fourier basis on half a circle",
		Long: `Feed --points inputs on half a great circle (in --input-dim dimensions, squared
length per coordinate --q) to deep networks of width --width and depth
--depths, and to one-layer networks of the widths --shallow-widths, and fit
the 2 x --functions Fourier functions cos(2 pi k t), sin(2 pi k t), k =
1..functions (t in [0, 1] along the half circle) by least squares from the
last layer's features plus a constant. The error of a fit is 1 - cos(y, yhat)
(Poole et al. 2016, figure 5).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return fmt.Errorf("--act: %w", err)
			}
			depths, err := parseInts("depths", depthList)
			if err != nil {
				return err
			}
			shallow, err := parseInts("shallow-widths", shallowList)
			if err != nil {
				return err
			}
			if err := explicitZero(cmd, "sigma-w", "input-dim", "q", "width", "points", "functions"); err != nil {
				return err
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "expressivity")
			res, err := manifold.Expressivity(cmd.Context(), b, manifold.ExpressivityOptions{Activation: act, SigmaW: sigmaW, SigmaB: sigmaB,
				InputDim: inputDim, Q: q, Width: width, Depths: depths, ShallowWidths: shallow, Points: points, Functions: functions,
				Seed: g.Seed, Progress: update})
			finish()
			if err != nil {
				return optionFlagError(err, map[string]string{"SigmaW": "sigma-w", "SigmaB": "sigma-b", "InputDim": "input-dim", "Q": "q",
					"Width": "width", "Depths": "depths", "ShallowWidths": "shallow-widths", "Points": "points", "Functions": "functions"})
			}
			t := table{Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, %d points on half a circle in %d dimensions, %d Fourier targets, seed %d: fit error 1 - cos",
				res.Activation, res.SigmaW, res.SigmaB, res.Points, res.InputDim, len(res.Frequencies), res.Seed),
				Header: []string{"kind", "depth", "width", "neurons", "mean_error", "median_error"}}
			for _, r := range res.Networks {
				t.Rows = append(t.Rows, []string{r.Kind, fmt.Sprint(r.Depth), fmt.Sprint(r.Width), fmt.Sprint(r.Neurons()), fmtFloat(r.MeanError), fmtFloat(r.MedianError)})
			}
			return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return report.ExpressivityPlot(path, res) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&actName, "act", "tanh", "activation")
	fl.Float64Var(&sigmaW, "sigma-w", 4, "weight scale")
	fl.Float64Var(&sigmaB, "sigma-b", 0.3, "bias standard deviation")
	fl.IntVar(&inputDim, "input-dim", 500, "dimension of the input space")
	fl.Float64Var(&q, "q", 1, "squared length per coordinate of the inputs")
	fl.IntVar(&width, "width", 500, "width of the deep networks")
	fl.StringVar(&depthList, "depths", "1:8", "depths of the deep networks (lo:hi or a list)")
	fl.StringVar(&shallowList, "shallow-widths", "50,100,200,500,1000,2000", "widths of the one-layer networks")
	fl.IntVar(&points, "points", 1000, "points on the half circle")
	fl.IntVar(&functions, "functions", 100, "Fourier frequencies (2 targets each)")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "write error against frequency here (.png or .svg)")
	return cmd
}
