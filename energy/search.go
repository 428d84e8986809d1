package energy

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/netgeom/netgeom/options"
)

// ErrWrongIndex is wrapped by the error of a search for stationary points
// of one index that converged to a point of another.
var ErrWrongIndex = errors.New("converged to a stationary point of another index")

// SearchOptions configure FindStationary. Zero values are the defaults.
type SearchOptions struct {
	// Index is the Hessian index sought: the number of modes followed
	// uphill (0: 1, a transition state).
	Index int
	// GradTol is the gradient norm at which the search has converged (0:
	// 1e-8).
	GradTol float64
	// MaxIter bounds the eigenvector-following cycles (0: 1000).
	MaxIter int
	// MaxStep caps the length of the uphill step along each mode and of
	// each step of the minimisation in the other directions (0: 0.1).
	MaxStep float64
	// TangentIter is the number of L-BFGS steps in the directions
	// orthogonal to the uphill modes per cycle (0: 10).
	TangentIter int
	// ZeroTol is the relative threshold of a zero eigenvalue
	// (QuenchOptions.ZeroTol; 0: 1e-8).
	ZeroTol float64
	// Seed draws the Lanczos start vectors (used when Dim > DenseLimit).
	Seed uint64
}

func (o SearchOptions) normalize() (SearchOptions, error) {
	if err := checkNonNegative("energy.FindStationary", optField{"Index", float64(o.Index)}, optField{"GradTol", o.GradTol}, optField{"MaxIter", float64(o.MaxIter)},
		optField{"MaxStep", o.MaxStep}, optField{"TangentIter", float64(o.TangentIter)}, optField{"ZeroTol", o.ZeroTol}); err != nil {
		return o, err
	}
	if o.Index == 0 {
		o.Index = 1
	}
	if o.GradTol == 0 {
		o.GradTol = 1e-8
	}
	if o.MaxIter == 0 {
		o.MaxIter = 1000
	}
	if o.MaxStep == 0 {
		o.MaxStep = 0.1
	}
	if o.TangentIter == 0 {
		o.TangentIter = 10
	}
	if o.ZeroTol == 0 {
		o.ZeroTol = 1e-8
	}
	return o, nil
}

// FindStationary searches from x0 for a stationary point of Hessian index
// opt.Index by hybrid eigenvector-following (Munro and Wales, Phys. Rev. B
// 59, 3969 (1999); Kumeda, Wales and Munro, Chem. Phys. Lett. 341, 185
// (2001)), generalised to k modes: each cycle finds the k lowest Hessian
// eigenpairs (lambda_i, v_i) (LowestModes), steps uphill along each v_i by
// the eigenvector-following step 2 g_i / (|lambda_i| (1 + sqrt(1 + 4
// g_i^2 / lambda_i^2))) with g_i = g . v_i (capped at MaxStep), then
// minimises for TangentIter L-BFGS steps in the space orthogonal to the
// v_i. Once the gradient norm is below sqrt(GradTol) it tries Newton
// steps on the dense Hessian (Dim <= DenseLimit), kept when they reach
// GradTol at the wanted index. The point found is checked by the dense
// Hessian's spectrum: a point of another index is returned with an error
// wrapping ErrWrongIndex; one not converged, with ErrNotConverged.
func FindStationary(obj Objective, x0 []float64, opt SearchOptions) (Point, error) {
	opt, err := opt.normalize()
	if err != nil {
		return Point{}, err
	}
	if err := checkDim(obj, x0, "the start"); err != nil {
		return Point{}, fmt.Errorf("stationary-point search: %w", err)
	}
	n := len(x0)
	if opt.Index > n {
		return Point{}, &options.Error{Op: "energy.FindStationary", Field: "Index", Value: opt.Index, Want: fmt.Sprintf("want at most the %d parameters", n)}
	}
	qopt := QuenchOptions{GradTol: opt.GradTol, ZeroTol: opt.ZeroTol}
	x := slices.Clone(x0)
	g := make([]float64, n)
	for it := 0; it < opt.MaxIter; it++ {
		if _, err := evalGrad(obj, x, g); err != nil {
			return Point{}, fmt.Errorf("stationary-point search: %w", err)
		}
		gn := norm(g)
		if gn <= math.Sqrt(opt.GradTol) && n <= DenseLimit {
			p, err := finish(obj, slices.Clone(x), qopt, "stationary-point search")
			if err == nil && p.Index == opt.Index {
				return p, nil
			}
		}
		if gn <= opt.GradTol {
			break
		}
		vals, vecs, err := LowestModes(obj, x, opt.Index, opt.Seed+uint64(it))
		if err != nil {
			return Point{}, fmt.Errorf("stationary-point search: %w", err)
		}
		for i, v := range vecs {
			gi := dot(g, v)
			lam := math.Abs(vals[i])
			var h float64
			if lam == 0 {
				h = math.Copysign(opt.MaxStep, gi)
			} else {
				h = 2 * gi / (lam * (1 + math.Sqrt(1+4*gi*gi/(lam*lam))))
			}
			h = math.Max(-opt.MaxStep, math.Min(opt.MaxStep, h))
			axpy(h, v, x)
		}
		if err := lbfgs(obj, x, vecs, opt.TangentIter, opt.MaxStep, opt.GradTol/10); err != nil {
			return Point{}, fmt.Errorf("stationary-point search: %w", err)
		}
	}
	p, err := finish(obj, x, qopt, "stationary-point search")
	if err != nil {
		return p, err
	}
	if p.Index != opt.Index {
		return p, fmt.Errorf("stationary-point search: a point of index %d (lowest eigenvalue %.4g, gradient norm %.3g), not %d: %w", p.Index, p.Lowest, p.GradNorm, opt.Index, ErrWrongIndex)
	}
	return p, nil
}

// project removes from w its components along the orthonormal vs.
func project(w []float64, vs [][]float64) {
	for _, v := range vs {
		axpy(-dot(w, v), v, w)
	}
}

// lbfgs takes up to iters L-BFGS steps (memory 5) on obj restricted to
// the affine space through x orthogonal to the orthonormal vs (none: the
// whole space), in place: the gradient and every step are projected, a
// step is capped at maxStep and halved up to 10 times while it raises the
// energy by more than 1e-13 max(1, |E|) (rounding), and the first step
// (and any restart, when the direction is not downhill) is steepest
// descent scaled by firstStep. It stops early when the projected
// gradient's norm is at most tol, or when no step lowers the energy.
func lbfgs(obj Objective, x []float64, vs [][]float64, iters int, maxStep, tol float64) error {
	const mem = 5
	n := len(x)
	g := make([]float64, n)
	e, err := evalGrad(obj, x, g)
	if err != nil {
		return err
	}
	project(g, vs)
	var ss, ys [][]float64
	d := make([]float64, n)
	xt := make([]float64, n)
	gt := make([]float64, n)
	alpha := make([]float64, mem)
	for it := 0; it < iters && norm(g) > tol; it++ {
		// Two-loop recursion.
		copy(d, g)
		for i := len(ss) - 1; i >= 0; i-- {
			alpha[i] = dot(ss[i], d) / dot(ys[i], ss[i])
			axpy(-alpha[i], ys[i], d)
		}
		if k := len(ss) - 1; k >= 0 {
			gamma := dot(ss[k], ys[k]) / dot(ys[k], ys[k])
			for i := range d {
				d[i] *= gamma
			}
		} else {
			// First step: Newton's along -g, on the curvature there.
			s := firstStep(obj, x, g, vs, maxStep)
			for i := range d {
				d[i] *= s
			}
		}
		for i := range ss {
			beta := dot(ys[i], d) / dot(ys[i], ss[i])
			axpy(alpha[i]-beta, ss[i], d)
		}
		for i := range d {
			d[i] = -d[i]
		}
		project(d, vs)
		if dot(d, g) >= 0 { // not a descent direction: restart
			ss, ys = nil, nil
			copy(d, g)
			s := -firstStep(obj, x, g, vs, maxStep)
			for i := range d {
				d[i] *= s
			}
		}
		if dn := norm(d); dn > maxStep {
			for i := range d {
				d[i] *= maxStep / dn
			}
		}
		var et float64
		ok := false
		for try := 0; try < 10; try++ {
			copy(xt, x)
			axpy(1, d, xt)
			if et, err = evalGrad(obj, xt, gt); err != nil {
				return err
			}
			if et <= e+1e-13*math.Max(1, math.Abs(e)) {
				ok = true
				break
			}
			for i := range d {
				d[i] /= 2
			}
		}
		if !ok {
			return nil // no descent along the projected direction at this precision
		}
		project(gt, vs)
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range s {
			s[i] = xt[i] - x[i]
			y[i] = gt[i] - g[i]
		}
		if dot(s, y) > 1e-300 {
			ss, ys = append(ss, s), append(ys, y)
			if len(ss) > mem {
				ss, ys = ss[1:], ys[1:]
			}
		}
		copy(x, xt)
		copy(g, gt)
		e = et
	}
	return nil
}

// firstStep is the multiple of the projected gradient g that a steepest
// descent step from x takes when there is no history: Newton's 1/c on the
// curvature c = g.Hg/|g|^2 along g (one Hessian-vector product), which
// keeps the step in scale with the gradient as it vanishes, or maxStep/10
// in length where that curvature is not positive.
func firstStep(obj Objective, x, g []float64, vs [][]float64, maxStep float64) float64 {
	gg := dot(g, g)
	if gg == 0 {
		return 0
	}
	hg := make([]float64, len(g))
	obj.HessVec(x, g, hg)
	project(hg, vs)
	if c := dot(g, hg) / gg; c > 0 && !math.IsInf(c, 0) {
		return 1 / c
	}
	return 0.1 * maxStep / math.Sqrt(gg)
}
