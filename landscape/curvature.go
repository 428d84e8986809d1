package landscape

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/spectrum"
)

// Defaults of CurvatureOptions.
const (
	DefaultDenseMax     = 2000
	DefaultEigTol       = 1e-6
	DefaultSLQVectors   = 10
	DefaultSLQSteps     = 100
	DefaultTraceSamples = 100
)

// CurvatureOptions configure MeasureCurvature. Zero values take the
// defaults named.
type CurvatureOptions struct {
	// WeightDecay adds WeightDecay * I to the loss Hessian: the Hessian of
	// the training objective mean loss + (wd/2) |theta|^2.
	WeightDecay float64
	// DenseMax: with at most this many parameters the Hessian is formed
	// densely from P Hessian-vector products (column i = H e_i),
	// symmetrised, and diagonalised by LAPACK (gonum's EigenSym): every
	// number is then exact to rounding. Above it, Lanczos, Hutchinson and
	// SLQ estimate them. Default DefaultDenseMax (2000); negative: never
	// dense.
	DenseMax int
	// EigTol sets the threshold tau = EigTol * max|lambda|: an eigenvalue
	// below -tau is negative (counts in the index), one above tau positive
	// (counts in the log-volume), the rest null. Default DefaultEigTol
	// (1e-6): far above the rounding of the dense eigenvalues (about 1e-15
	// max|lambda|) and below the weight decay's floor of the eigenvalues of
	// a minimum for any sensible decay.
	EigTol float64
	// SLQVectors and SLQSteps of the log-volume and index estimates, and
	// TraceSamples of Hutchinson's trace, above DenseMax. Defaults 10, 100
	// and 100.
	SLQVectors, SLQSteps, TraceSamples int
	// Seed of the random vectors above DenseMax.
	Seed uint64
	// Chunk is the samples per batched pass (0: the models default).
	Chunk int
}

func (o *CurvatureOptions) defaults() error {
	if !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0) {
		return fmt.Errorf("curvature: weight decay %v; want a finite number >= 0", o.WeightDecay)
	}
	if o.DenseMax == 0 {
		o.DenseMax = DefaultDenseMax
	}
	if o.EigTol == 0 {
		o.EigTol = DefaultEigTol
	}
	if !(o.EigTol > 0 && o.EigTol < 1) {
		return fmt.Errorf("curvature: eigenvalue tolerance %v; want 0 < tol < 1", o.EigTol)
	}
	if o.SLQVectors == 0 {
		o.SLQVectors = DefaultSLQVectors
	}
	if o.SLQSteps == 0 {
		o.SLQSteps = DefaultSLQSteps
	}
	if o.TraceSamples == 0 {
		o.TraceSamples = DefaultTraceSamples
	}
	if o.SLQVectors < 1 || o.SLQSteps < 1 || o.TraceSamples < 2 {
		return fmt.Errorf("curvature: %d SLQ vectors, %d SLQ steps, %d trace samples; want >= 1, >= 1, >= 2", o.SLQVectors, o.SLQSteps, o.TraceSamples)
	}
	return nil
}

// Curvature describes the Hessian H of the training objective at a point.
type Curvature struct {
	// Method is "dense" (exact to rounding) or "lanczos-slq" (extreme
	// eigenvalues by Lanczos, trace by Hutchinson, index, positive count
	// and log-volume by stochastic Lanczos quadrature: estimates).
	Method string `json:"method"`
	// MinEig and MaxEig are the extreme eigenvalues.
	MinEig float64 `json:"min_eig"`
	MaxEig float64 `json:"max_eig"`
	// Tol is the threshold tau = EigTol * max|lambda| of the counts.
	Tol float64 `json:"tol"`
	// Index counts the eigenvalues below -tau (0: a minimum), Null those in
	// [-tau, tau], Positive those above tau.
	Index    int `json:"index"`
	Null     int `json:"null"`
	Positive int `json:"positive"`
	// Trace is tr H.
	Trace float64 `json:"trace"`
	// LogVolume is -1/2 sum over the eigenvalues above tau of log(lambda):
	// the log of the volume, up to constants, of the Gaussian basin
	// exp(-theta^T H theta / 2) in the directions where H is positive.
	LogVolume float64 `json:"log_volume"`
}

// MeasureCurvature computes the Curvature of net's training objective
// (mean loss over d plus (WeightDecay/2) |theta|^2) at theta: densely and
// exactly when the parameter count is at most DenseMax, by estimates above.
// With eigs it also returns the dense eigenvalues, ascending (nil above
// DenseMax).
func MeasureCurvature(net *models.Network, theta engine.Buffer, d *models.Data, opt CurvatureOptions) (Curvature, []float64, error) {
	if err := opt.defaults(); err != nil {
		return Curvature{}, nil, err
	}
	h, err := models.NewHessian(net, theta, d, models.HessianOptions{Chunk: opt.Chunk})
	if err != nil {
		return Curvature{}, nil, err
	}
	defer h.Close()
	b := net.Backend()
	wd := opt.WeightDecay
	op := spectrum.Operator{Dim: h.Dim(), Apply: func(x, y engine.Buffer) error {
		if err := h.Apply(x, y); err != nil {
			return err
		}
		if wd == 0 {
			return nil
		}
		return b.Axpy(x.Len(), wd, x, 1, y, 1)
	}}
	if opt.DenseMax > 0 && h.Dim() <= opt.DenseMax {
		H, err := DenseOperator(b, op)
		if err != nil {
			return Curvature{}, nil, err
		}
		eigs, err := SymEigenvalues(H)
		if err != nil {
			return Curvature{}, nil, err
		}
		return CurvatureOf(eigs, opt.EigTol), eigs, nil
	}
	c, err := estimateCurvature(b, op, opt)
	return c, nil, err
}

// CurvatureOf summarises eigenvalues (any order) with the threshold tau =
// eigTol * max|lambda|.
func CurvatureOf(eigs []float64, eigTol float64) Curvature {
	c := Curvature{Method: "dense", MinEig: math.Inf(1), MaxEig: math.Inf(-1)}
	scale := 0.0
	for _, v := range eigs {
		c.MinEig, c.MaxEig = math.Min(c.MinEig, v), math.Max(c.MaxEig, v)
		scale = math.Max(scale, math.Abs(v))
	}
	c.Tol = eigTol * scale
	// Sum the logs in ascending order of eigenvalue for a reproducible sum
	// whatever the input order.
	sorted := append([]float64(nil), eigs...)
	sort.Float64s(sorted)
	for _, v := range sorted {
		c.Trace += v
		switch {
		case v < -c.Tol:
			c.Index++
		case v > c.Tol:
			c.Positive++
			c.LogVolume -= 0.5 * math.Log(v)
		default:
			c.Null++
		}
	}
	return c
}

// DenseOperator forms the matrix of a symmetric operator column by column
// (column i = A e_i, Dim products) and returns its symmetric part (A +
// A^T)/2, which removes the rounding asymmetry of the products.
func DenseOperator(b engine.Backend, op spectrum.Operator) (*mat.SymDense, error) {
	n := op.Dim
	if n < 1 || op.Apply == nil {
		return nil, fmt.Errorf("dense operator: dimension %d or no Apply", n)
	}
	x, err := b.Alloc(engine.DTypeOf(b), n)
	if err != nil {
		return nil, err
	}
	defer b.Free(x)
	y, err := b.Alloc(engine.DTypeOf(b), n)
	if err != nil {
		return nil, err
	}
	defer b.Free(y)
	e := make([]float64, n)
	cols := make([]float64, n*n) // column i at [i*n, (i+1)*n)
	for i := 0; i < n; i++ {
		e[i] = 1
		if i > 0 {
			e[i-1] = 0
		}
		if err := b.Upload(x, e); err != nil {
			return nil, err
		}
		if err := op.Apply(x, y); err != nil {
			return nil, fmt.Errorf("dense operator: product %d: %w", i, err)
		}
		if err := b.Download(cols[i*n:(i+1)*n], y); err != nil {
			return nil, err
		}
	}
	S := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			v := 0.5 * (cols[j*n+i] + cols[i*n+j])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("dense operator: entry (%d, %d) is %v", i, j, v)
			}
			S.SetSym(i, j, v)
		}
	}
	return S, nil
}

// SymEigenvalues returns the eigenvalues of a symmetric matrix, ascending.
func SymEigenvalues(S *mat.SymDense) ([]float64, error) {
	var es mat.EigenSym
	if !es.Factorize(S, false) {
		return nil, fmt.Errorf("eigenvalues: the symmetric eigensolver did not converge")
	}
	return es.Values(nil), nil
}

// estimateCurvature: Lanczos for the extreme eigenvalues, Hutchinson for
// the trace, SLQ for the counts and the log-volume.
func estimateCurvature(b engine.Backend, op spectrum.Operator, opt CurvatureOptions) (Curvature, error) {
	c := Curvature{Method: "lanczos-slq"}
	lopt := spectrum.LanczosOptions{K: 1, Tol: 1e-8, Seed: opt.Seed}
	top, err := spectrum.Lanczos(b, op, lopt)
	if err != nil {
		return c, err
	}
	lopt.Which = spectrum.Smallest
	bot, err := spectrum.Lanczos(b, op, lopt)
	if err != nil {
		return c, err
	}
	c.MaxEig, c.MinEig = top.Pairs[0].Value, bot.Pairs[0].Value
	c.Tol = opt.EigTol * math.Max(math.Abs(c.MaxEig), math.Abs(c.MinEig))
	tr, err := spectrum.Trace(b, op, spectrum.TraceOptions{Samples: opt.TraceSamples, Seed: opt.Seed})
	if err != nil {
		return c, err
	}
	c.Trace = tr.Value
	q, err := spectrum.SLQ(b, op, spectrum.SLQOptions{Vectors: opt.SLQVectors, Steps: opt.SLQSteps, Seed: opt.Seed})
	if err != nil {
		return c, err
	}
	c.LogVolume, c.Index, c.Positive = slqLogVolume(q, c.Tol)
	c.Null = q.Dim - c.Index - c.Positive
	return c, nil
}

// slqLogVolume returns the SLQ estimates of -1/2 sum_{lambda > tau}
// log(lambda) (= -1/2 Dim Integrate(f), f(x) = log x above tau and 0
// below) and of the numbers of eigenvalues below -tau and above tau
// (Dim times the quadrature's mass there, rounded).
func slqLogVolume(q spectrum.Quadrature, tau float64) (float64, int, int) {
	n := float64(q.Dim)
	logv := -0.5 * n * q.Integrate(func(x float64) float64 {
		if x > tau {
			return math.Log(x)
		}
		return 0
	})
	neg := n * q.Integrate(func(x float64) float64 {
		if x < -tau {
			return 1
		}
		return 0
	})
	pos := n * q.Integrate(func(x float64) float64 {
		if x > tau {
			return 1
		}
		return 0
	})
	return logv, int(math.Round(neg)), int(math.Round(pos))
}
