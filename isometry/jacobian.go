package isometry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/internal/memory"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
	"github.com/netgeom/netgeom/spectrum"
)

// Method is how Jacobian obtains the spectrum of J^T J.
type Method int

const (
	// Dense builds J from jets (one per input coordinate) and takes its full
	// SVD: every singular value, for widths up to a thousand or so.
	Dense Method = iota
	// Lanczos never forms J: the largest squared singular value comes from
	// Lanczos on J^T J (J v forward, J^T u backward), the mean and second
	// moment from Hutchinson traces of J^T J and (J^T J)^2.
	Lanczos
)

// String returns "dense" or "lanczos".
func (m Method) String() string {
	switch m {
	case Dense:
		return "dense"
	case Lanczos:
		return "lanczos"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod reads "dense" or "lanczos".
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "dense":
		return Dense, nil
	case "lanczos":
		return Lanczos, nil
	}
	return 0, fmt.Errorf("method %q: want dense or lanczos", s)
}

// InputStream is the Philox stream of the random inputs: input p of a
// network of width N is normals p N .. p N + N - 1 of this stream, scaled by
// sqrt(q). (It is manifold.PairStream + 1, the stream netgeom's jacobian
// command has always used.)
const InputStream = uint64(1)<<62 + 2

// JacobianOptions describe a family of random networks (one per weight law
// and depth) and how to measure their Jacobians. The zero value of every
// field is the default its comment names.
type JacobianOptions struct {
	// Activation of every layer; the zero value (Name "") means tanh.
	Activation activation.Func
	// SigmaW is the weight scale (W_ij ~ N(0, SigmaW^2 / N) or its
	// orthogonal counterpart); 0 means the critical value (chi_1 = 1) at
	// SigmaB, where Pennington's variance formula applies.
	SigmaW float64
	// SigmaB is the bias standard deviation; default 0.
	SigmaB float64
	// Q is the squared length per coordinate of the inputs; 0 means q*, the
	// fixed point of the length map started at q = 1.
	Q float64
	// Width of every layer (and of the input), at least 2; 0 means 400.
	Width int
	// Depths to measure, each at least 1; nil means 2, 4, 8, 16, 32.
	Depths []int
	// Laws are the weight laws; nil means Gaussian and Orthogonal.
	Laws []models.WeightLaw
	// Inputs is the number of random inputs per network whose spectra are
	// averaged; 0 means 2.
	Inputs int
	// Method is Dense (the zero value) or Lanczos.
	Method Method
	// Samples is the number of Hutchinson vectors of the Lanczos method, at
	// least 2; 0 means 40. Dense ignores it.
	Samples int
	// Seed names the networks (models.RandomSpec.Seed), the inputs
	// (InputStream) and the Lanczos and Hutchinson vectors.
	Seed uint64
	// Progress, when set, is called after each input of each network.
	Progress options.Progress
}

// JacobianRow is one network's spectrum of J^T J (averaged over the inputs)
// beside the prediction. Mean and Variance are the averages over inputs;
// Max and Min are the extremes over inputs.
type JacobianRow struct {
	Weights    string  `json:"weights"` // the weight law
	Depth      int     `json:"depth"`
	Mean       float64 `json:"mean_sq_sv"`  // mean squared singular value
	MeanTheory float64 `json:"mean_theory"` // chi_1^L
	Variance   float64 `json:"var_sq_sv"`   // variance of the squared singular values
	// VarTheory is L (mu2/mu1^2 - 1 - s1); nil off criticality (chi_1 not
	// within 1e-6 of 1), where the formula does not apply.
	VarTheory *float64 `json:"var_theory"`
	Max       float64  `json:"max_sq_sv"`
	// Min is the smallest squared singular value; nil when the SVD cannot
	// resolve it (a singular value below N eps s_max, eps the machine
	// epsilon of the backend's dtype: rounding noise) and always with
	// Lanczos.
	Min *float64 `json:"min_sq_sv"`
	// Lanczos only: the last input's residual bound of Max, the operator
	// applications of all inputs, and the last input's standard errors of
	// the Hutchinson mean and second moment.
	MaxResidual  *float64 `json:"max_residual,omitempty"`
	MatVecs      int      `json:"matvecs,omitempty"`
	StdErrMean   *float64 `json:"mean_stderr,omitempty"`
	StdErrSecond *float64 `json:"second_moment_stderr,omitempty"`
}

// JacobianResult is the outcome of Jacobian. Its JSON fields are in
// alphabetical order, the order netgeom's jacobian command has always
// printed them in.
type JacobianResult struct {
	Activation string `json:"activation"`
	// DType is the precision J was computed in ("float64" or "float32":
	// the backend's, engine.DTypeOf); the SVD, Lanczos and the traces run
	// in float64 either way.
	DType  string `json:"dtype"`
	Inputs int    `json:"inputs"`
	Method string `json:"method"`
	// QStar is the inputs' squared length per coordinate (Options.Q, or q*).
	QStar float64 `json:"q_star"`
	// Rows: one per weight law and depth, laws outermost, in the order of
	// the options.
	Rows   []JacobianRow `json:"rows"`
	Seed   uint64        `json:"seed"`
	SigmaB float64       `json:"sigma_b"`
	SigmaW float64       `json:"sigma_w"` // the weight scale used (the critical one by default)
	Width  int           `json:"width"`
	// Chi1 = SigmaW^2 mu_1 at QStar (NaN when the moment fails); not in
	// the JSON encoding.
	Chi1 float64 `json:"-"`
}

// withDefaults fills the zero fields and checks the rest.
func (o JacobianOptions) withDefaults() (JacobianOptions, error) {
	if o.Activation.Name == "" {
		act, err := activation.Lookup("tanh")
		if err != nil {
			return o, err
		}
		o.Activation = act
	}
	if o.Width == 0 {
		o.Width = 400
	}
	if o.Depths == nil {
		o.Depths = []int{2, 4, 8, 16, 32}
	}
	if o.Laws == nil {
		o.Laws = []models.WeightLaw{models.Gaussian, models.Orthogonal}
	}
	if o.Inputs == 0 {
		o.Inputs = 2
	}
	if o.Samples == 0 {
		o.Samples = 40
	}
	switch {
	case o.Activation.Phi == nil:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Activation", Value: o.Activation.Name, Want: "want an activation from activation.Lookup"}
	case !(o.SigmaW >= 0) || math.IsInf(o.SigmaW, 0):
		return o, &options.Error{Op: "isometry.Jacobian", Field: "SigmaW", Value: o.SigmaW, Want: "want a finite value > 0, or 0 for the critical value"}
	case !(o.SigmaB >= 0) || math.IsInf(o.SigmaB, 0):
		return o, &options.Error{Op: "isometry.Jacobian", Field: "SigmaB", Value: o.SigmaB, Want: "want a finite value >= 0"}
	case !(o.Q >= 0) || math.IsInf(o.Q, 0):
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Q", Value: o.Q, Want: "want a finite q > 0, or 0 for q*"}
	case o.Width < 2:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Width", Value: o.Width, Want: "want at least 2"}
	case len(o.Depths) == 0:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Depths", Value: o.Depths, Want: "want at least one depth"}
	case len(o.Laws) == 0:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Laws", Value: o.Laws, Want: "want at least one weight law"}
	case o.Inputs < 1:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Inputs", Value: o.Inputs, Want: "want at least 1"}
	case o.Method != Dense && o.Method != Lanczos:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Method", Value: o.Method, Want: "want Dense or Lanczos"}
	case o.Samples < 2:
		return o, &options.Error{Op: "isometry.Jacobian", Field: "Samples", Value: o.Samples, Want: "want at least 2 (a standard error needs two)"}
	}
	for _, L := range o.Depths {
		if L < 1 {
			return o, &options.Error{Op: "isometry.Jacobian", Field: "Depths", Value: o.Depths, Want: "every depth must be at least 1"}
		}
	}
	for _, l := range o.Laws {
		if l != models.Gaussian && l != models.Orthogonal {
			return o, &options.Error{Op: "isometry.Jacobian", Field: "Laws", Value: o.Laws, Want: "want Gaussian or Orthogonal"}
		}
	}
	return o, nil
}

// Jacobian measures, for each weight law and depth of opts, the squared
// singular values of the input-output Jacobian J = dh^L/dh^0 of one random
// network at opts.Inputs random inputs of squared length N q (q = q* by
// default), and sets beside them Pennington et al.'s predictions (the
// package comment): the mean chi_1^L and, at chi_1 = 1, the variance
// L (mu2/mu1^2 - 1 - s1). ctx is checked after every input.
func Jacobian(ctx context.Context, b engine.Backend, opts JacobianOptions) (*JacobianResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	// The dense method's peak is about 26 N^2 numbers (the N x N Jacobian
	// built on the backend and the host, the SVD's factors and workspace,
	// a layer's weights; measured 19 to 27 at widths 400 and 1200), the
	// matrix-free one's a layer's weights and a few vectors; plus 40 MiB
	// for the program.
	n := float64(o.Width)
	need := 8 * 2 * n * n
	if o.Method == Dense {
		need = 8 * 26 * n * n
	}
	if err := memory.Check(memory.Bytes(need+40<<20), fmt.Sprintf("the Jacobian spectra at width %d (%s)", o.Width, o.Method)); err != nil {
		return nil, fmt.Errorf("isometry: %w: lower the width, or use the lanczos method", err)
	}
	act := o.Activation
	if o.SigmaW == 0 {
		if o.SigmaW, err = meanfield.CriticalSigmaW(act, o.SigmaB, meanfield.Options{}); err != nil {
			return nil, err
		}
	}
	mf, err := meanfield.New(act, o.SigmaW, o.SigmaB, meanfield.Options{})
	if err != nil {
		return nil, err
	}
	q := o.Q
	if q == 0 {
		fp, err := mf.FixedLength(1)
		if errors.Is(err, meanfield.ErrNoFixedPoint) {
			return nil, &options.Error{Op: "isometry.Jacobian", Field: "Q", Value: 0.0, Want: fmt.Sprintf("0 asks for q*, which does not exist here (%v): give a q > 0", err)}
		}
		if err != nil {
			return nil, err
		}
		if fp.Q == 0 {
			return nil, &options.Error{Op: "isometry.Jacobian", Field: "Q", Value: 0.0, Want: "0 asks for q*, which is 0 here (the length map sends every input to 0): give a q > 0"}
		}
		q = fp.Q
	}
	res := &JacobianResult{Activation: act.Name, DType: engine.DTypeOf(b).String(), Inputs: o.Inputs, Method: o.Method.String(), QStar: q, Seed: o.Seed,
		SigmaB: o.SigmaB, SigmaW: o.SigmaW, Width: o.Width, Chi1: math.NaN()}
	if mu1, err := mf.DerivativeMoment(q, 1); err == nil {
		res.Chi1 = o.SigmaW * o.SigmaW * mu1
	}
	total := len(o.Laws) * len(o.Depths) * o.Inputs
	done := 0
	for _, law := range o.Laws {
		for _, L := range o.Depths {
			net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(o.Width, L), Act: act,
				SigmaW: o.SigmaW, SigmaB: o.SigmaB, Law: law, Seed: o.Seed, ActivateInput: true})
			if err != nil {
				return nil, err
			}
			row := JacobianRow{Weights: law.String(), Depth: L}
			mean, vth, ok, err := mf.JacobianMoments(q, L, law == models.Orthogonal)
			if err != nil {
				return nil, err
			}
			row.MeanTheory = mean
			if ok {
				row.VarTheory = &vth
			}
			for p := 0; p < o.Inputs; p++ {
				x := Input(o.Width, p, q, o.Seed)
				var r JacobianRow
				if o.Method == Dense {
					r, err = denseSpectrum(b, net, x)
				} else {
					r, err = lanczosSpectrum(b, net, x, o.Samples, o.Seed)
				}
				if err != nil {
					return nil, fmt.Errorf("%v weights, depth %d: %w", law, L, err)
				}
				w := 1 / float64(o.Inputs)
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
				if o.Progress != nil {
					o.Progress(done, total)
				}
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			res.Rows = append(res.Rows, row)
		}
	}
	return res, nil
}

// Input returns random input p of a width-N network: N normals of
// InputStream from position p N under seed, times sqrt(q).
func Input(width, p int, q float64, seed uint64) []float64 {
	x := make([]float64, width)
	rng.FillNormal(x, seed, InputStream, uint64(p*width))
	for i := range x {
		x[i] *= math.Sqrt(q)
	}
	return x
}

// denseSpectrum: J from jets, then its singular values.
func denseSpectrum(b engine.Backend, net *models.RandomNetwork, x []float64) (JacobianRow, error) {
	h, err := net.JacobianMatrix(b, x)
	if err != nil {
		return JacobianRow{}, err
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
		return JacobianRow{}, fmt.Errorf("the SVD did not converge")
	}
	s := svd.Values(nil)
	var r JacobianRow
	for _, v := range s {
		r.Mean += v * v / float64(N)
	}
	for _, v := range s {
		r.Variance += (v*v - r.Mean) * (v*v - r.Mean) / float64(N)
	}
	// The SVD resolves singular values down to about N eps s_max, eps the
	// machine epsilon of the dtype J was computed in (a float32 J carries
	// float32's rounding, which the float64 SVD cannot undo); below that
	// the smallest is rounding noise and is reported as unknown (nil).
	r.Max = s[0] * s[0]
	if s[N-1] > float64(N)*engine.DTypeOf(b).Epsilon()*s[0] {
		m := s[N-1] * s[N-1]
		r.Min = &m
	}
	return r, nil
}

// lanczosSpectrum: the largest squared singular value by Lanczos on J^T J,
// the mean tr(A)/N and second moment tr(A^2)/N by Hutchinson (A = J^T J).
func lanczosSpectrum(b engine.Backend, net *models.RandomNetwork, x []float64, samples int, seed uint64) (JacobianRow, error) {
	jac, err := net.NewJacobian(b, x)
	if err != nil {
		return JacobianRow{}, err
	}
	defer jac.Close()
	N := len(x)
	tmp, err := b.Alloc(engine.DTypeOf(b), N)
	if err != nil {
		return JacobianRow{}, err
	}
	defer b.Free(tmp)
	mid, err := b.Alloc(engine.DTypeOf(b), N)
	if err != nil {
		return JacobianRow{}, err
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
		return JacobianRow{}, err
	}
	t1, err := spectrum.Trace(b, A, spectrum.TraceOptions{Samples: samples, Seed: seed})
	if err != nil {
		return JacobianRow{}, err
	}
	t2, err := spectrum.Trace(b, A2, spectrum.TraceOptions{Samples: samples, Seed: seed + 1})
	if err != nil {
		return JacobianRow{}, err
	}
	mean, second := t1.Value/float64(N), t2.Value/float64(N)
	resid, seMean, seSecond := res.Pairs[0].Residual, t1.StdErr/float64(N), t2.StdErr/float64(N)
	return JacobianRow{Mean: mean, Variance: second - mean*mean, Max: res.Pairs[0].Value,
		MaxResidual: &resid, MatVecs: res.MatVecs + 2*t1.Samples + 4*t2.Samples,
		StdErrMean: &seMean, StdErrSecond: &seSecond}, nil
}
