package main

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newCurvatureCmd) }

func newCurvatureCmd(g *globals) *cobra.Command {
	var nf netFlags
	var points, chunk int
	var q, period float64
	var plotPath, curveFile string
	var openCurve bool
	var kinds, storeWeights string
	cmd := &cobra.Command{
		Use:   "curvature",
		Short: "Push a great circle through a random network and measure length, curvature and Grassmannian length per layer against mean field",
		Long: `Push a great circle of --points points, scaled to the fixed point q* of the
length map (or --q), through a deep random network as second-order jets, and
print for every layer the measured and predicted q, Euclidean length, kbar =
sqrt(N) kappa and Grassmannian length, and the number of principal components
that hold 95% of the points' variance (Poole et al. 2016, figures 3 and 4).

With no flags it runs their chaotic example (tanh, sigma_w = 4, sigma_b = 0.3,
width 1000, depth 20, 500 points); --plot FILE draws their figure.

--kinds names the layers' kinds as a comma list (dense, product, attention),
cycled over the depth: --kinds dense,attention,dense --depth 6 gives dense,
attention, dense, dense, attention, dense. An attention layer reads its width
N as N / D tokens of dimension D = --token-dim (which must divide --width) and
is single-head self-attention with Wq, Wk, Wv ~ N(0, sigma_w^2 / D), no bias,
plus its input with --residual. Mean field here describes dense layers only:
the theory columns are null for every layer at or after the first product or
attention layer.

--chunk runs the points in batches (less memory; no principal components).
The weights are then kept in memory for all batches when they take at most
half of the free memory (--store-weights auto), or always, or never (drawn
again for every batch, one layer's weights in memory at a time); the numbers
are the same either way, and the output says which it was.

--dtype float32 computes in float32 (sgemm, at twice dgemm's rate on the
CPU; the weights the float64 normals rounded once; column sums in float64):
on the CPU, q, length, kbar and Grassmannian length agree with float64 to
about 1e-7 in the ordered phase and in shallow chaotic networks, 1e-4 at depth 20 and sigma_w 4
(rounding grows with chaos).`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{float32Ready: "manifold.TestCurvatureFloat32"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := curvatureOptions(&nf, kinds, points, chunk, q)
			if err != nil {
				return err
			}
			opts.Seed, opts.StoreWeights = g.Seed, storeWeights
			if s := storeWeights; s != manifold.StoreAuto && s != manifold.StoreAlways && s != manifold.StoreNever {
				return fmt.Errorf("--store-weights %q: want auto, always or never", s)
			}
			if curveFile != "" {
				// A user curve: the network's input width is the curve's;
				// mean field predicts circles only, so no theory columns.
				f, err := os.Open(curveFile)
				if err != nil {
					return err
				}
				opts.Curve, err = manifold.ReadCurve(f, curveFile, !openCurve, period)
				f.Close()
				if err != nil {
					return err
				}
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "curvature")
			opts.Progress, opts.Figure = update, plotPath != ""
			res, err := manifold.Curvature(cmd.Context(), b, opts)
			finish()
			if errors.Is(err, manifold.ErrNoQStar) {
				return fmt.Errorf("%w (--q)", err)
			} else if err != nil {
				return err
			}
			if res.NoTheory != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: no mean-field prediction: %s\n", res.NoTheory)
			}
			input := fmt.Sprintf("a great circle of %d points at q = %.6g", res.Points, res.QInput)
			if c := opts.Curve; c != nil {
				input = fmt.Sprintf("the curve in %s (%d points in %d dimensions)", curveFile, c.Points, c.Width)
			}
			where := ""
			if opts.Chunk > 0 && opts.Chunk < res.Points {
				where = ", weights drawn per layer for each batch"
				if res.WeightsStored {
					where = ", weights stored for all batches"
				}
			}
			t := table{
				Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, width %d, %s weights, %s, seed %d (%s%s, %.2fs)",
					res.Activation, res.SigmaW, res.SigmaB, res.Width, res.Weights, input, res.Seed, res.Backend+dtypeNote(res.DType), where, res.Seconds),
				Header: []string{"layer", "q", "q_theory", "length", "length_theory", "kappa_bar", "kappa_bar_theory", "grassmann_length", "grassmann_length_theory", "pca95"},
			}
			for _, r := range res.Layers {
				pca := "-"
				if r.PCA95 != nil {
					pca = fmt.Sprint(*r.PCA95)
				}
				t.Rows = append(t.Rows, []string{fmt.Sprint(r.Layer), fmtFloat(r.Q), optFloat(r.QTheory), fmtFloat(r.Length), optFloat(r.LengthTheory),
					fmtFloat(r.KappaBar), optFloat(r.KappaBarTheory), fmtFloat(r.GrassmannLength), optFloat(r.GrassmannLengthTheory), pca})
			}
			return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return report.CurvaturePlot(path, res) })
		},
	}
	nf.add(cmd, 1000, 20)
	fl := cmd.Flags()
	fl.IntVar(&points, "points", 500, "points on the circle")
	fl.IntVar(&chunk, "chunk", 0, "points per batch (0: all; principal components need all)")
	fl.StringVar(&storeWeights, "store-weights", "auto", "with --chunk: keep the weights in memory for all batches: auto (when they take at most half the free memory), always or never")
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the input circle (default: q* of the length map)")
	outputFlag(cmd, &plotPath, "plot", "", "figure", "write the figure here (.png or .svg)")
	fl.StringVar(&curveFile, "curve", "", "measure this curve instead of a great circle: CSV, one sample per line, 3N numbers (point, first and second derivative); fed in as layer 0 (a pre-activation)")
	fl.BoolVar(&openCurve, "open", false, "with --curve: the curve is open (samples span [0, period], ends included); default closed (samples span one period)")
	fl.Float64Var(&period, "period", 2*math.Pi, "with --curve: the parameter range the samples span")
	fl.StringVar(&kinds, "kinds", "", "comma list of layer kinds (dense, product, attention) cycled over the depth (default: all dense); no theory at or after the first non-dense layer")
	fl.IntVar(&nf.tokenDim, "token-dim", 0, "token dimension D of attention layers (must divide --width)")
	fl.BoolVar(&nf.residual, "residual", false, "attention layers add their input to their output")
	npyFlag(cmd)
	return cmd
}

// curvatureOptions reads the flags into the library's options. Zero
// flags that the library would take as its defaults (--width, --depth,
// --sigma-w, --points) are refused here.
func curvatureOptions(nf *netFlags, kinds string, points, chunk int, q float64) (manifold.CurvatureOptions, error) {
	o := manifold.CurvatureOptions{Activation: nf.act, SigmaW: nf.sigmaW, SigmaB: nf.sigmaB, Width: nf.width, Depth: nf.depth,
		TokenDim: nf.tokenDim, Residual: nf.residual, Points: points, Chunk: chunk, Q: q}
	switch {
	case points < 3:
		return o, fmt.Errorf("--points %d: want at least 3", points)
	case nf.width < 2:
		return o, fmt.Errorf("--width %d: want at least 2", nf.width)
	case nf.depth < 1:
		return o, fmt.Errorf("--depth %d: want at least 1", nf.depth)
	case nf.sigmaW == 0:
		return o, errors.New("--sigma-w 0: every input would map to the biases; want sigma_w > 0")
	case q < 0 || math.IsNaN(q):
		return o, fmt.Errorf("--q %v: want q > 0", q)
	}
	if nf.act == "" {
		return o, errors.New("--act: give an activation")
	}
	var err error
	if o.Weights, err = models.ParseWeightLaw(nf.weights); err != nil {
		return o, fmt.Errorf("--weights: %w", err)
	}
	if kinds != "" {
		if o.Kinds, err = layerkind.ParseList(kinds); err != nil {
			return o, fmt.Errorf("--kinds: %w", err)
		}
	}
	return o, nil
}
