package energy

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// ErrNotConverged is wrapped by the errors of searches that ended without
// reaching their gradient tolerance (their Point is still returned).
var ErrNotConverged = errors.New("not converged")

// Point is a stationary point: where it is, its energy, the norm of the
// gradient there, and its Hessian's character.
type Point struct {
	X        []float64 `json:"x"`
	Energy   float64   `json:"energy"`
	GradNorm float64   `json:"grad_norm"`
	Character
}

// QuenchOptions configure Quench. Zero values are the defaults.
type QuenchOptions struct {
	// GradTol is the gradient norm at which a minimisation has converged
	// (0: 1e-8).
	GradTol float64
	// MaxIter bounds the L-BFGS iterations (0: 10000).
	MaxIter int
	// MaxStep caps the length of one L-BFGS step (0: 0.1).
	MaxStep float64
	// ZeroTol is the threshold, relative to the largest eigenvalue
	// magnitude, under which a Hessian eigenvalue counts as zero (0:
	// 1e-8).
	ZeroTol float64
}

func (o QuenchOptions) normalize(op string) (QuenchOptions, error) {
	if err := checkNonNegative(op, optField{"GradTol", o.GradTol}, optField{"MaxIter", float64(o.MaxIter)}, optField{"MaxStep", o.MaxStep}, optField{"ZeroTol", o.ZeroTol}); err != nil {
		return o, err
	}
	if o.GradTol == 0 {
		o.GradTol = 1e-8
	}
	if o.MaxIter == 0 {
		o.MaxIter = 10000
	}
	if o.ZeroTol == 0 {
		o.ZeroTol = 1e-8
	}
	if o.MaxStep == 0 {
		o.MaxStep = 0.1
	}
	return o, nil
}

// Quench minimises obj from x0 by L-BFGS (memory 5) with every step
// capped at MaxStep and shortened while it raises the energy by more than
// rounding (as GMIN does: a quench stays in the basin it starts in, which
// a line search's long first step would not promise), until the gradient
// norm is at most GradTol; then, when Dim <= DenseLimit, Newton steps on
// the dense Hessian polish the point (to a hundredth of GradTol, where
// L-BFGS stalls on rounding), and the Hessian's spectrum gives its Index
// (0 for a minimum; a quench can stop on a saddle point when it starts on
// one), zero modes and log-determinant. The Hessian check costs Dim
// Hessian-vector products and a dense eigendecomposition. A quench that
// ends above GradTol returns its point and an error wrapping
// ErrNotConverged.
func Quench(obj Objective, x0 []float64, opt QuenchOptions) (Point, error) {
	opt, err := opt.normalize("energy.Quench")
	if err != nil {
		return Point{}, err
	}
	if err := checkDim(obj, x0, "the start"); err != nil {
		return Point{}, fmt.Errorf("quench: %w", err)
	}
	x := slices.Clone(x0)
	if err := lbfgs(obj, x, nil, opt.MaxIter, opt.MaxStep, opt.GradTol); err != nil {
		return Point{}, fmt.Errorf("quench: %w", err)
	}
	return finish(obj, x, opt, "quench")
}

// finish polishes x by Newton steps (when dense), and returns its Point,
// with ErrNotConverged when its gradient is above opt.GradTol.
func finish(obj Objective, x []float64, opt QuenchOptions, op string) (Point, error) {
	n := len(x)
	g := make([]float64, n)
	e, err := evalGrad(obj, x, g)
	if err != nil {
		return Point{}, fmt.Errorf("%s: %w", op, err)
	}
	var spec Spectrum
	if n <= DenseLimit {
		if x, e, err = newtonPolish(obj, x, g, opt.GradTol/100); err != nil {
			return Point{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	if spec, err = DenseSpectrum(obj, x); err != nil {
		return Point{}, fmt.Errorf("%s: %w", op, err)
	}
	p := Point{X: x, Energy: e, GradNorm: norm(g), Character: characterOf(spec.Values, opt.ZeroTol)}
	if !(p.GradNorm <= opt.GradTol) {
		return p, fmt.Errorf("%s: gradient norm %.3g above the tolerance %.3g: %w", op, p.GradNorm, opt.GradTol, ErrNotConverged)
	}
	return p, nil
}

// characterOf characterises vals with a zero threshold relative to the
// largest magnitude.
func characterOf(vals []float64, rel float64) Character {
	scale := 0.0
	for _, v := range vals {
		scale = math.Max(scale, math.Abs(v))
	}
	return Characterise(vals, rel*scale)
}

// newtonPolish takes up to 20 Newton steps x -= H^+ g from x (g, the
// gradient there, is updated in place), on the pseudo-inverse of the
// dense Hessian (eigenvalues within 1e-10 of the largest magnitude
// dropped), keeping a step only when it lowers the gradient norm, until
// the norm is at most tol. Newton's iteration converges to the nearby
// stationary point whatever its index.
func newtonPolish(obj Objective, x, g []float64, tol float64) ([]float64, float64, error) {
	n := len(x)
	e, err := evalGrad(obj, x, g)
	if err != nil {
		return x, e, err
	}
	gn := norm(g)
	xt := make([]float64, n)
	gt := make([]float64, n)
	for it := 0; it < 20 && gn > tol; it++ {
		s, err := DenseSpectrum(obj, x)
		if err != nil {
			return x, e, err
		}
		scale := math.Max(math.Abs(s.Values[0]), math.Abs(s.Values[n-1]))
		copy(xt, x)
		for i, lam := range s.Values {
			if math.Abs(lam) <= 1e-10*scale {
				continue
			}
			v := mat.Col(nil, i, s.Vectors)
			axpy(-dot(v, g)/lam, v, xt)
		}
		et, err := evalGrad(obj, xt, gt)
		if err != nil || !(norm(gt) < gn) {
			break
		}
		copy(x, xt)
		copy(g, gt)
		e, gn = et, norm(gt)
	}
	return x, e, nil
}
