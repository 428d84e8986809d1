package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newExpressivityCmd) }

func newExpressivityCmd(g *globals) *cobra.Command {
	var actName, depthList, shallowList, plotPath string
	var sigmaW, sigmaB, q, cutoff float64
	var inputDim, width, points, functions, readout, repeats int
	cmd := &cobra.Command{
		Use:   "expressivity",
		Short: "Deep against shallow: how well the last layer's features fit a Fourier basis on half a circle",
		Long: `Feed --points inputs on half a great circle (in --input-dim dimensions, squared
length per coordinate --q) to deep networks of width --width and depth
--depths, and to one-layer networks of the widths --shallow-widths, each
followed by a random linear readout of width --readout, and fit the 2 x
--functions Fourier functions cos(2 pi k t), sin(2 pi k t), k =
1..functions (t in [0, 1] along the half circle) by least squares from the
readout's outputs. The error of a fit is 1 - cos(y, yhat), averaged over
--repeats networks per architecture (Poole et al. 2016, figure 5).

The defaults are the protocol of the authors' code: a unit half circle in
500 dimensions at 10,000 points, 398 targets, width 1000 and depths 1..13
(tanh layers; the authors' notebook counts the readout too), one-layer
widths 100..10,000, a readout of width 500, 5 networks each. The run takes
minutes; smaller settings run in seconds.

The features of a smooth curve have singular values that fall
exponentially, so the errors depend on the numerical rank: directions
below --rank-cutoff times the largest singular value count as zero
(default 2^-23, float32's resolution, the precision of the authors'
features). Before netgeom followed the authors' protocol it regressed on
the last layer's features plus a constant, with inputs of squared length 1
per coordinate, one network per architecture and a cutoff of 1e-6:
--readout 0 --q 1 --repeats 1 --points 1000 --functions 100 --width 500
--depths 1:8 --shallow-widths 50,100,200,500,1000,2000 --rank-cutoff 1e-6
gives that run's numbers.`,
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
			if err := explicitZero(cmd, "sigma-w", "input-dim", "q", "width", "points", "functions", "repeats", "rank-cutoff"); err != nil {
				return err
			}
			if readout < 0 {
				return fmt.Errorf("--readout %d: want a width >= 1, or 0 for none", readout)
			}
			ro := readout
			if ro == 0 {
				ro = -1 // the library's "none"
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "expressivity")
			res, err := manifold.Expressivity(cmd.Context(), b, manifold.ExpressivityOptions{Activation: act, SigmaW: sigmaW, SigmaB: sigmaB,
				InputDim: inputDim, Q: q, Width: width, Depths: depths, ShallowWidths: shallow, Points: points, Functions: functions,
				Readout: ro, RankCutoff: cutoff, Repeats: repeats, Seed: g.Seed, Progress: update})
			finish()
			if err != nil {
				return optionFlagError(err, map[string]string{"SigmaW": "sigma-w", "SigmaB": "sigma-b", "InputDim": "input-dim", "Q": "q",
					"Width": "width", "Depths": "depths", "ShallowWidths": "shallow-widths", "Points": "points", "Functions": "functions",
					"Readout": "readout", "RankCutoff": "rank-cutoff", "Repeats": "repeats"})
			}
			features := fmt.Sprintf("a linear readout of width %d", res.Readout)
			if res.Readout == 0 {
				features = "phi(h^L) plus a constant"
			}
			t := table{Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, %d points on half a circle of squared length %g per coordinate in %d dimensions, %d Fourier targets fitted from %s, mean over %d networks, seed %d: fit error 1 - cos",
				res.Activation, res.SigmaW, res.SigmaB, res.Points, res.Q, res.InputDim, len(res.Frequencies), features, res.Repeats, res.Seed),
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
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the inputs (default: 1/input-dim, a unit circle)")
	fl.IntVar(&width, "width", 1000, "width of the deep networks")
	fl.StringVar(&depthList, "depths", "1,3,5,7,9,11,13", "depths (tanh layers) of the deep networks (lo:hi or a list)")
	fl.StringVar(&shallowList, "shallow-widths", "100,190,370,710,1380,2680,5170,10000", "widths of the one-layer networks")
	fl.IntVar(&points, "points", 10000, "points on the half circle")
	fl.IntVar(&functions, "functions", 199, "Fourier frequencies (2 targets each)")
	fl.IntVar(&readout, "readout", 500, "width of the random linear readout regressed on (0: none, fit phi(h^L) plus a constant)")
	fl.IntVar(&repeats, "repeats", 5, "networks per architecture whose errors are averaged")
	fl.Float64Var(&cutoff, "rank-cutoff", manifold.DefaultRankCutoff, "relative singular value below which a direction of the features counts as zero (default 2^-23, float32's resolution)")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "write error against frequency here (.png or .svg)")
	npyFlag(cmd)
	return cmd
}
