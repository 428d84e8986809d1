package energy

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/options"
)

// Objective is a smooth function of a parameter vector of length Dim:
// the energy (a loss, a potential) whose landscape is mapped.
type Objective interface {
	// Dim is the number of parameters.
	Dim() int
	// ValueGrad returns the value at x and, when grad is not nil, writes
	// the gradient at x into grad. It does not keep x or grad.
	ValueGrad(x, grad []float64) float64
	// HessVec writes the Hessian at x times v into hv.
	HessVec(x, v, hv []float64)
}

// Func adapts functions to an Objective.
type Func struct {
	// N is the number of parameters.
	N int
	// F returns the value at x and writes the gradient into grad unless
	// grad is nil.
	F func(x, grad []float64) float64
	// HV writes the Hessian at x times v into hv. nil: central
	// differences of the gradient (FiniteHessVec).
	HV func(x, v, hv []float64)
}

// Dim implements Objective.
func (f Func) Dim() int { return f.N }

// ValueGrad implements Objective.
func (f Func) ValueGrad(x, grad []float64) float64 { return f.F(x, grad) }

// HessVec implements Objective.
func (f Func) HessVec(x, v, hv []float64) {
	if f.HV != nil {
		f.HV(x, v, hv)
		return
	}
	FiniteHessVec(f, x, v, hv)
}

// FiniteHessVec writes an approximation of the Hessian of obj at x times v
// into hv: the central difference (g(x+h u) - g(x-h u)) / 2h |v| of the
// gradient along the unit vector u = v/|v|, with h = 6.06e-6 max(1,
// max|x_i|), the cube root of the machine epsilon, which balances the
// truncation error (h^2/6 times the third derivative) against the
// rounding error (eps |g| / h). For a function whose derivatives are of
// order one on the scale of x, the result has about 10 correct digits;
// it costs two gradient evaluations.
func FiniteHessVec(obj Objective, x, v, hv []float64) {
	n := len(x)
	nv := norm(v)
	if nv == 0 {
		clear(hv)
		return
	}
	scale := 1.0
	for _, xi := range x {
		scale = math.Max(scale, math.Abs(xi))
	}
	h := 6.06e-6 * scale
	xp := make([]float64, n)
	xm := make([]float64, n)
	gm := make([]float64, n)
	for i := range x {
		xp[i] = x[i] + h*v[i]/nv
		xm[i] = x[i] - h*v[i]/nv
	}
	obj.ValueGrad(xp, hv)
	obj.ValueGrad(xm, gm)
	for i := range hv {
		hv[i] = (hv[i] - gm[i]) / (2 * h) * nv
	}
}

// errNonFinite is the error of an objective that returned NaN or an
// infinity.
var errNonFinite = errors.New("the objective is not finite")

// evalGrad evaluates obj at x with its gradient, failing on a value or
// gradient that is not finite.
func evalGrad(obj Objective, x, g []float64) (float64, error) {
	e := obj.ValueGrad(x, g)
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return e, fmt.Errorf("%w: value %v", errNonFinite, e)
	}
	for i, gi := range g {
		if math.IsNaN(gi) || math.IsInf(gi, 0) {
			return e, fmt.Errorf("%w: gradient component %d is %v", errNonFinite, i, gi)
		}
	}
	return e, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

// axpy sets y += a x.
func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

// Euclidean is the Euclidean distance between two parameter vectors, the
// default distance of a Database.
func Euclidean(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return math.Sqrt(s)
}

// optField is an option's name and value, for checkNonNegative.
type optField struct {
	name string
	v    float64
}

// checkNonNegative returns an *options.Error for the first field that is
// negative, NaN or infinite.
func checkNonNegative(op string, fs ...optField) error {
	for _, f := range fs {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return &options.Error{Op: op, Field: f.name, Value: f.v, Want: "want a finite value >= 0 (0 for the default)"}
		}
	}
	return nil
}

func checkDim(obj Objective, x []float64, what string) error {
	if obj == nil {
		return errors.New("no objective")
	}
	if obj.Dim() < 1 {
		return fmt.Errorf("the objective has %d parameters; want at least 1", obj.Dim())
	}
	if len(x) != obj.Dim() {
		return fmt.Errorf("%s has %d components; the objective has %d parameters", what, len(x), obj.Dim())
	}
	for i, xi := range x {
		if math.IsNaN(xi) || math.IsInf(xi, 0) {
			return fmt.Errorf("%s component %d is %v", what, i, xi)
		}
	}
	return nil
}
