package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/manifold"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/spectrum"
)

func init() { register(newJacobianCmd) }

type jacobianRow struct {
	Weights      string   `json:"weights"`
	Depth        int      `json:"depth"`
	Mean         float64  `json:"mean_sq_sv"`
	MeanTheory   float64  `json:"mean_theory"`
	Variance     float64  `json:"var_sq_sv"`
	VarTheory    *float64 `json:"var_theory"`
	Max          float64  `json:"max_sq_sv"`
	Min          *float64 `json:"min_sq_sv"`
	MaxResidual  *float64 `json:"max_residual,omitempty"`
	MatVecs      int      `json:"matvecs,omitempty"`
	StdErrMean   *float64 `json:"mean_stderr,omitempty"`
	StdErrSecond *float64 `json:"second_moment_stderr,omitempty"`
}

func newJacobianCmd(g *globals) *cobra.Command {
	var actName, depthList, lawList, method, plotPath string
	var sigmaW, sigmaB, q float64
	var width, inputs, samples int
	var critical bool
	cmd := &cobra.Command{
		Use:   "jacobian",
		Short: "Singular values of deep random networks' input-output Jacobians against Pennington's dynamical-isometry formulas",
		Long: `For each weight law in --weights and depth in --depths, compute the squared
singular values of the input-output Jacobian J = dh^L/dh^0 of a random
network at --inputs random inputs of length q* and report their mean and
variance beside Pennington et al. (2017): mean chi_1^L, and at chi_1 = 1 a
variance of L (mu2/mu1^2 - 1 - s1) (s1 = -1 Gaussian, 0 orthogonal).

--method dense builds J from jets and takes its full SVD (widths up to a
thousand or so); --method lanczos never forms J: the extreme values come from
Lanczos on J^T J (J v forward, J^T u backward), and the mean and second
moment from Hutchinson traces of J^T J and (J^T J)^2. --critical sets
sigma_w to the order-to-chaos boundary at --sigma-b.`,
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
			var laws []models.WeightLaw
			for _, s := range strings.Split(lawList, ",") {
				l, err := models.ParseWeightLaw(s)
				if err != nil {
					return fmt.Errorf("--weights: %w", err)
				}
				laws = append(laws, l)
			}
			if method != "dense" && method != "lanczos" {
				return fmt.Errorf("--method %q: want dense or lanczos", method)
			}
			if width < 2 || inputs < 1 || samples < 2 {
				return fmt.Errorf("need --width >= 2, --inputs >= 1 and --samples >= 2")
			}
			if critical {
				if sigmaW, err = meanfield.CriticalSigmaW(act, sigmaB, nil); err != nil {
					return err
				}
			}
			mf, err := meanfield.New(act, sigmaW, sigmaB, nil)
			if err != nil {
				return err
			}
			q0, err := inputQ(mf, q)
			if err != nil {
				return err
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "jacobian")
			var rows []jacobianRow
			total := len(laws) * len(depths) * inputs
			done := 0
			for _, law := range laws {
				for _, L := range depths {
					net, err := models.NewRandomDense(models.RandomSpec{Widths: models.UniformWidths(width, L), Act: act,
						SigmaW: sigmaW, SigmaB: sigmaB, Law: law, Seed: g.Seed, ActivateInput: true})
					if err != nil {
						finish()
						return err
					}
					row := jacobianRow{Weights: law.String(), Depth: L}
					mean, vth, ok, err := mf.JacobianMoments(q0, L, law == models.Orthogonal)
					if err != nil {
						finish()
						return err
					}
					row.MeanTheory = mean
					if ok {
						row.VarTheory = ptr(vth)
					}
					for p := 0; p < inputs; p++ {
						x := make([]float64, width)
						rng.FillNormal(x, g.Seed, manifold.PairStream+1, uint64(p*width))
						for i := range x {
							x[i] *= math.Sqrt(q0)
						}
						var r jacobianRow
						if method == "dense" {
							r, err = denseSpectrum(b, net, x)
						} else {
							r, err = lanczosSpectrum(b, net, x, samples, g.Seed)
						}
						if err != nil {
							finish()
							return fmt.Errorf("%v weights, depth %d: %w", law, L, err)
						}
						w := 1 / float64(inputs)
						row.Mean += w * r.Mean
						row.Variance += w * r.Variance
						row.Max = math.Max(row.Max, r.Max)
						if p == 0 || (r.Min != nil && row.Min != nil && *r.Min < *row.Min) {
							row.Min = r.Min
						} else if r.Min == nil {
							row.Min = nil
						}
						row.MaxResidual, row.MatVecs = r.MaxResidual, row.MatVecs+r.MatVecs
						row.StdErrMean, row.StdErrSecond = r.StdErrMean, r.StdErrSecond
						done++
						update(done, total)
					}
					rows = append(rows, row)
				}
			}
			finish()
			t := table{Title: fmt.Sprintf("%s, sigma_w %.6g, sigma_b %g (chi_1 %.6g at q* = %.6g), width %d, %d input(s), %s: squared singular values of J",
				act.Name, sigmaW, sigmaB, sigmaW*sigmaW*mustMoment(mf, q0), q0, width, inputs, method),
				Header: []string{"weights", "depth", "mean", "mean_theory", "variance", "variance_theory", "max", "min"}}
			for _, r := range rows {
				t.Rows = append(t.Rows, []string{r.Weights, fmt.Sprint(r.Depth), fmtFloat(r.Mean), fmtFloat(r.MeanTheory),
					fmtFloat(r.Variance), optFloat(r.VarTheory), fmtFloat(r.Max), optFloat(r.Min)})
			}
			out := map[string]any{"activation": act.Name, "sigma_w": sigmaW, "sigma_b": sigmaB, "q_star": q0, "width": width,
				"inputs": inputs, "method": method, "seed": g.Seed, "rows": rows}
			return emitAndPlot(cmd, g, t, out, plotPath, func(path string) error { return jacobianPlot(path, rows, laws) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&actName, "act", "tanh", "activation")
	fl.Float64Var(&sigmaW, "sigma-w", 1, "weight scale (ignored with --critical)")
	fl.Float64Var(&sigmaB, "sigma-b", 0.05, "bias standard deviation")
	fl.BoolVar(&critical, "critical", true, "set sigma_w to the critical value (chi_1 = 1) at --sigma-b")
	fl.Float64Var(&q, "q", 0, "squared length per coordinate of the inputs (default: q*)")
	fl.IntVar(&width, "width", 400, "width of every layer")
	fl.StringVar(&depthList, "depths", "2,4,8,16,32", "depths (a list or lo:hi)")
	fl.StringVar(&lawList, "weights", "gaussian,orthogonal", "weight laws, comma-separated")
	fl.IntVar(&inputs, "inputs", 2, "random inputs per network (results are averaged)")
	fl.StringVar(&method, "method", "dense", "dense (full SVD) or lanczos (matrix-free)")
	fl.IntVar(&samples, "samples", 40, "with --method lanczos: Hutchinson samples for the moments")
	fl.StringVar(&plotPath, "plot", "", "write mean and variance against depth here (.png or .svg)")
	return cmd
}

func mustMoment(m *meanfield.Model, q float64) float64 {
	mu1, err := m.DerivativeMoment(q, 1)
	if err != nil {
		return math.NaN()
	}
	return mu1
}

// denseSpectrum: J from jets, then its singular values.
func denseSpectrum(b engine.Backend, net *models.RandomDense, x []float64) (jacobianRow, error) {
	h, err := net.JacobianMatrix(b, x)
	if err != nil {
		return jacobianRow{}, err
	}
	N := len(x)
	J := mat.NewDense(N, N, nil)
	for j := 0; j < N; j++ {
		for i := 0; i < N; i++ {
			J.Set(i, j, h[j*N+i])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(J, mat.SVDNone) {
		return jacobianRow{}, fmt.Errorf("the SVD did not converge")
	}
	s := svd.Values(nil)
	var r jacobianRow
	for _, v := range s {
		r.Mean += v * v / float64(N)
	}
	for _, v := range s {
		r.Variance += (v*v - r.Mean) * (v*v - r.Mean) / float64(N)
	}
	// The SVD resolves singular values down to about N u s_max; below that
	// the smallest is rounding noise and is reported as unknown (null, "-").
	r.Max = s[0] * s[0]
	if s[N-1] > float64(N)*0x1p-52*s[0] {
		r.Min = ptr(s[N-1] * s[N-1])
	}
	return r, nil
}

// lanczosSpectrum: the largest squared singular value by Lanczos on J^T J,
// the mean tr(A)/N and second moment tr(A^2)/N by Hutchinson (A = J^T J).
func lanczosSpectrum(b engine.Backend, net *models.RandomDense, x []float64, samples int, seed uint64) (jacobianRow, error) {
	jac, err := net.NewJacobian(b, x)
	if err != nil {
		return jacobianRow{}, err
	}
	defer jac.Close()
	N := len(x)
	tmp, err := b.Alloc(engine.Float64, N)
	if err != nil {
		return jacobianRow{}, err
	}
	defer b.Free(tmp)
	mid, err := b.Alloc(engine.Float64, N)
	if err != nil {
		return jacobianRow{}, err
	}
	defer b.Free(mid)
	A := spectrum.Operator{Dim: N, Apply: func(v, y engine.Buffer) error { return jac.Gram(v, y, tmp) }}
	A2 := spectrum.Operator{Dim: N, Apply: func(v, y engine.Buffer) error {
		if err := jac.Gram(v, mid, tmp); err != nil {
			return err
		}
		return jac.Gram(mid, y, tmp)
	}}
	res, err := spectrum.Lanczos(b, A, spectrum.LanczosOptions{K: 1, Which: spectrum.Largest, Tol: 1e-8, Seed: seed})
	if err != nil {
		return jacobianRow{}, err
	}
	t1, err := spectrum.Trace(b, A, spectrum.TraceOptions{Samples: samples, Seed: seed})
	if err != nil {
		return jacobianRow{}, err
	}
	t2, err := spectrum.Trace(b, A2, spectrum.TraceOptions{Samples: samples, Seed: seed + 1})
	if err != nil {
		return jacobianRow{}, err
	}
	mean, second := t1.Value/float64(N), t2.Value/float64(N)
	return jacobianRow{Mean: mean, Variance: second - mean*mean, Max: res.Pairs[0].Value,
		MaxResidual: ptr(res.Pairs[0].Residual), MatVecs: res.MatVecs + 2*t1.Samples + 4*t2.Samples,
		StdErrMean: ptr(t1.StdErr / float64(N)), StdErrSecond: ptr(t2.StdErr / float64(N))}, nil
}

// jacobianPlot: mean and variance of the squared singular values against
// depth for each weight law, with the theory lines.
func jacobianPlot(path string, rows []jacobianRow, laws []models.WeightLaw) error {
	var panels []*plot.Plot
	for _, law := range laws {
		var depth, mean, meanTh, variance, varTh []float64
		for _, r := range rows {
			if r.Weights != law.String() {
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
		for _, s := range []report.LayerSeries{
			{Name: law.String() + " weights: mean squared singular value", Layers: depth, Measured: mean, Theory: meanTh, Label: "chi_1^L"},
			{Name: law.String() + " weights: variance", Layers: depth, Measured: variance, Theory: varTh, Label: "Pennington et al. 2017"},
		} {
			p, err := report.SeriesPlot(s)
			if err != nil {
				return err
			}
			p.X.Label.Text = "depth"
			panels = append(panels, p)
		}
	}
	return report.SaveGrid([][]*plot.Plot{panels[:min(2, len(panels))], panels[min(2, len(panels)):]}, 10*vg.Inch, 8*vg.Inch, path)
}
