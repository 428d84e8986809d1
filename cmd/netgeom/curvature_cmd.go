package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/report"
)

func init() { register(newCurvatureCmd) }

// curvatureLayer is one row of `netgeom curvature`. Theory fields are null
// where mean field has no prediction.
type curvatureLayer struct {
	Layer                 int      `json:"layer"`
	Q                     float64  `json:"q"`
	QTheory               *float64 `json:"q_theory"`
	Length                float64  `json:"length"`
	LengthTheory          *float64 `json:"length_theory"`
	KappaBar              float64  `json:"kappa_bar"`
	KappaBarTheory        *float64 `json:"kappa_bar_theory"`
	GrassmannLength       float64  `json:"grassmann_length"`
	GrassmannLengthTheory *float64 `json:"grassmann_length_theory"`
	PCA95                 *int     `json:"pca95"`
}

type curvatureResult struct {
	Activation string           `json:"activation"`
	SigmaW     float64          `json:"sigma_w"`
	SigmaB     float64          `json:"sigma_b"`
	Width      int              `json:"width"`
	Depth      int              `json:"depth"`
	Points     int              `json:"points"`
	Weights    string           `json:"weights"`
	Kinds      string           `json:"kinds,omitempty"`
	TokenDim   int              `json:"token_dim,omitempty"`
	Residual   bool             `json:"residual,omitempty"`
	Seed       uint64           `json:"seed"`
	QInput     float64          `json:"q_input"`
	Backend    string           `json:"backend"`
	Seconds    float64          `json:"seconds"`
	Layers     []curvatureLayer `json:"layers"`
}

func newCurvatureCmd(g *globals) *cobra.Command {
	var nf netFlags
	var points, chunk int
	var q, period float64
	var plotPath, curveFile string
	var openCurve bool
	var kinds string
	cmd := &cobra.Command{
		Use:   "curvature",
		Short: "Push a great circle through a random network and measure length, curvature and Grassmannian length per layer against mean field",
		Long: `Push a great circle of --points points, scaled to the fixed point q* of the
length map (or --q), through a deep random network as second-order jets, and
print for every layer the measured and predicted q, Euclidean length, kbar =
sqrt(N) kappa and Grassmannian length, and the number of principal components
that hold 95% of the points' variance (Poole et al. 2016, figures 3 and 4).

With no flags it runs their chaotic example (tanh, sigma_w = 4, sigma_b = 0.3,
width 1000, depth 20, 500 points) and writes curvature.png.

--kinds names the layers' kinds as a comma list (dense, product, attention),
cycled over the depth: --kinds dense,attention,dense --depth 6 gives dense,
attention, dense, dense, attention, dense. An attention layer reads its width
N as N / D tokens of dimension D = --token-dim (which must divide --width) and
is single-head self-attention with Wq, Wk, Wv ~ N(0, sigma_w^2 / D), no bias,
plus its input with --residual. Mean field here describes dense layers only:
the theory columns are null for every layer at or after the first product or
attention layer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if points < 3 {
				return fmt.Errorf("--points %d: want at least 3", points)
			}
			if kinds != "" {
				var err error
				if nf.kinds, err = parseKinds(kinds); err != nil {
					return fmt.Errorf("--kinds: %w", err)
				}
			}
			var run netRun
			var circle *manifold.Curve
			if curveFile != "" {
				// A user curve: the network's input width is the curve's;
				// mean field predicts circles only, so no theory columns.
				f, err := os.Open(curveFile)
				if err != nil {
					return err
				}
				circle, err = manifold.ReadCurve(f, curveFile, !openCurve, period)
				f.Close()
				if err != nil {
					return err
				}
				points = circle.Points
				if run.act, run.net, run.mf, err = nf.build(g.Seed, circle.Width); err != nil {
					return err
				}
				if run.b, err = engine.Open(g.Backend); err != nil {
					return err
				}
			} else {
				var err error
				if run, err = nf.open(g, q); err != nil {
					return err
				}
				if circle, err = manifold.Circle(nf.width, points, run.q0, g.Seed); err != nil {
					run.b.Close()
					return err
				}
			}
			defer run.b.Close()
			act, net, mf, q0, b := run.act, run.net, run.mf, run.q0, run.b
			update, finish := progress(cmd, "curvature")
			start := time.Now()
			stats, err := manifold.Simulate(b, net, circle, manifold.SimOptions{Chunk: chunk, Gram: true, Progress: update})
			finish()
			if err != nil {
				return err
			}
			res := curvatureResult{Activation: act.Name, SigmaW: nf.sigmaW, SigmaB: nf.sigmaB, Width: nf.width, Depth: nf.depth,
				Points: points, Weights: nf.weights, Seed: g.Seed, QInput: q0, Backend: b.Info().Backend, Seconds: time.Since(start).Seconds()}
			if nf.kinds != nil {
				res.Kinds, res.TokenDim, res.Residual = kinds, nf.tokenDim, nf.residual
			}
			theory, terr := mf.Circle(q0, nf.depth)
			if curveFile != "" {
				terr = errors.New("a user curve")
			} else if terr != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: no mean-field prediction: %v\n", terr)
			}
			sqrtN := math.Sqrt(float64(nf.width))
			noTheoryFrom := nf.firstNonDense()
			for _, s := range stats {
				row := curvatureLayer{Layer: s.Layer, Q: s.Q, Length: s.Length, KappaBar: s.KappaBar, GrassmannLength: s.GrassmannLength}
				if s.PCA != nil {
					row.PCA95 = ptr(s.PCA95)
				}
				if terr == nil && s.Layer < noTheoryFrom {
					th := theory[s.Layer]
					row.QTheory, row.LengthTheory = ptr(th.Q), ptr(sqrtN*th.Length)
					row.KappaBarTheory, row.GrassmannLengthTheory = ptr(th.Kbar), ptr(th.GrassmannLength)
				}
				res.Layers = append(res.Layers, row)
			}
			input := fmt.Sprintf("a great circle of %d points at q = %.6g", points, q0)
			if curveFile != "" {
				input = fmt.Sprintf("the curve in %s (%d points in %d dimensions)", curveFile, points, circle.Width)
			}
			t := table{
				Title: fmt.Sprintf("%s, sigma_w %g, sigma_b %g, width %d, %s weights, %s, seed %d (%s, %.2fs)",
					act.Name, nf.sigmaW, nf.sigmaB, nf.width, nf.weights, input, g.Seed, res.Backend, res.Seconds),
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
			return emitAndPlot(cmd, g, t, res, plotPath, func(path string) error { return curvaturePlot(path, res, stats, mf, q0, circle) })
		},
	}
	nf.add(cmd, 1000, 20)
	fl := cmd.Flags()
	fl.IntVar(&points, "points", 500, "points on the circle")
	fl.IntVar(&chunk, "chunk", 0, "points per batch (0: all; principal components need all)")
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the input circle (default: q* of the length map)")
	fl.StringVar(&plotPath, "plot", "curvature.png", "write the figure here (.png or .svg; empty: no figure)")
	fl.StringVar(&curveFile, "curve", "", "measure this curve instead of a great circle: CSV, one sample per line, 3N numbers (point, first and second derivative); fed in as layer 0 (a pre-activation)")
	fl.BoolVar(&openCurve, "open", false, "with --curve: the curve is open (samples span [0, period], ends included); default closed (samples span one period)")
	fl.Float64Var(&period, "period", 2*math.Pi, "with --curve: the parameter range the samples span")
	fl.StringVar(&kinds, "kinds", "", "comma list of layer kinds (dense, product, attention) cycled over the depth (default: all dense); no theory at or after the first non-dense layer")
	fl.IntVar(&nf.tokenDim, "token-dim", 0, "token dimension D of attention layers (must divide --width)")
	fl.BoolVar(&nf.residual, "residual", false, "attention layers add their input to their output")
	return cmd
}

// curvaturePlot draws q, L^E, kbar and L^G against depth with their theory
// lines, the autocorrelation at three layers, and the circle's projections
// on its top principal components at three layers.
func curvaturePlot(path string, res curvatureResult, stats []manifold.LayerStats, mf *meanfield.Model, q0 float64, c *manifold.Curve) error {
	n := len(res.Layers)
	layers := make([]float64, n)
	get := func(f func(curvatureLayer) float64) []float64 {
		v := make([]float64, n)
		for i, r := range res.Layers {
			v[i] = f(r)
		}
		return v
	}
	theory := func(f func(curvatureLayer) *float64) []float64 {
		v := make([]float64, n)
		for i, r := range res.Layers {
			if p := f(r); p != nil {
				v[i] = *p
			} else {
				return nil
			}
		}
		return v
	}
	for i := range layers {
		layers[i] = float64(i)
	}
	series := []report.LayerSeries{
		{Name: "q (length per neuron)", Measured: get(func(r curvatureLayer) float64 { return r.Q }), Theory: theory(func(r curvatureLayer) *float64 { return r.QTheory })},
		{Name: "Euclidean length L^E", Log: true, Measured: get(func(r curvatureLayer) float64 { return r.Length }), Theory: theory(func(r curvatureLayer) *float64 { return r.LengthTheory })},
		{Name: "kbar = sqrt(N) kappa", Measured: get(func(r curvatureLayer) float64 { return r.KappaBar }), Theory: theory(func(r curvatureLayer) *float64 { return r.KappaBarTheory })},
		{Name: "Grassmannian length L^G", Log: true, Measured: get(func(r curvatureLayer) float64 { return r.GrassmannLength }), Theory: theory(func(r curvatureLayer) *float64 { return r.GrassmannLengthTheory })},
	}
	var top []*plot.Plot
	for _, s := range series {
		s.Layers = layers
		p, err := report.SeriesPlot(s)
		if err != nil {
			return err
		}
		top = append(top, p)
	}
	// Three layers spread over the depth, as Poole's 5, 10, 15 of 20.
	picks := []int{max(1, res.Depth/4), max(1, res.Depth/2), max(1, 3*res.Depth/4)}
	var acs []report.Autocorrelation
	var bottom []*plot.Plot
	for _, l := range picks {
		s := stats[l]
		if s.Autocorr == nil {
			continue
		}
		ac := report.Autocorrelation{Layer: l}
		step := c.Step()
		stride := max(1, len(s.Autocorr)/25)
		for k := 0; k < len(s.Autocorr); k += stride {
			ac.Offsets = append(ac.Offsets, float64(k)*step)
			ac.Measured = append(ac.Measured, s.Autocorr[k])
			if res.Layers[l].QTheory == nil {
				continue // no mean-field theory at this layer
			}
			traj, err := mf.CorrelationTrajectory(q0, math.Cos(float64(k)*step), l)
			if err != nil {
				ac.Theory = nil
				break
			}
			ac.Theory = append(ac.Theory, traj[l])
		}
		if ac.Theory != nil && len(ac.Theory) != len(ac.Offsets) {
			ac.Theory = nil
		}
		acs = append(acs, ac)
	}
	if len(acs) > 0 {
		p, err := report.AutocorrelationPlot(acs)
		if err != nil {
			return err
		}
		bottom = append(bottom, p)
	}
	for _, l := range picks {
		s := stats[l]
		if s.Projections[0] == nil {
			continue
		}
		p, err := report.ProjectionPlot(report.Projection{Layer: l, PC1: s.Projections[0], PC2: s.Projections[1], Closed: c.Closed})
		if err != nil {
			return err
		}
		bottom = append(bottom, p)
	}
	panels := [][]*plot.Plot{top}
	if len(bottom) > 0 {
		panels = append(panels, bottom)
	}
	return report.SaveGrid(panels, 16*vg.Inch, 8*vg.Inch, path)
}
