package spinglass

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// spheres is the product S^{n_1-1}(sqrt n_1) x ... x S^{n_L-1}(sqrt n_L):
// a point is the concatenation of L blocks, block l of length n_l and norm
// sqrt(n_l). The p-spin is the case L = 1.
type spheres struct {
	dims []int
	offs []int // offs[l] is where block l starts; offs[L] = d
	d    int   // ambient dimension sum n_l
	t    int   // tangent dimension d - L
}

func newSpheres(dims []int) spheres {
	g := spheres{dims: append([]int(nil), dims...), offs: make([]int, len(dims)+1)}
	for l, n := range dims {
		g.offs[l+1] = g.offs[l] + n
	}
	g.d = g.offs[len(dims)]
	g.t = g.d - len(dims)
	return g
}

func (g spheres) block(x []float64, l int) []float64 { return x[g.offs[l]:g.offs[l+1]] }

// normalize scales every block of x to norm sqrt(n_l); false when a block is
// zero or not finite.
func (g spheres) normalize(x []float64) bool {
	for l, n := range g.dims {
		b := g.block(x, l)
		var s float64
		for _, v := range b {
			s += v * v
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return false
		}
		f := math.Sqrt(float64(n) / s)
		for i := range b {
			b[i] *= f
		}
	}
	return true
}

// check validates a point: right length, finite, every block of norm
// sqrt(n_l) to a relative 1e-8.
func (g spheres) check(x []float64) error {
	if len(x) != g.d {
		return fmt.Errorf("spinglass: point of length %d; want %d", len(x), g.d)
	}
	for l, n := range g.dims {
		var s float64
		for _, v := range g.block(x, l) {
			s += v * v
		}
		if math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s-float64(n)) > 1e-8*float64(n) {
			return fmt.Errorf("spinglass: block %d of the point has squared norm %v; want %d (points lie on spheres of radius sqrt(n))", l, s, n)
		}
	}
	return nil
}

// local is the Riemannian data at one point: energy, the multipliers
// lambda_l = w_l . grad_l E / n_l, the gradient in tangent coordinates, the
// tangent Hessian once setHessian has run, and factorisations of it made on
// demand.
type local struct {
	e   float64
	lam []float64
	gt  []float64 // gradient in tangent coordinates (length t)
	gn  float64   // |gt|
	hv  []float64 // Householder vectors, block by block (length d)
	hvv []float64 // their squared norms

	th  []float64 // tangent Hessian, t x t row-major (after setHessian)
	eig []float64 // its eigenvalues, ascending (after values or vectors)
	vec []float64 // eigenvectors, t x t row-major: vec[i*t+k] is component i of vector k (after vectors)

	newton    []float64 // -th^{-1} gt when sign*th is positive definite
	newtonTry bool
	sq        *mat.SymDense // th^2 for Levenberg-Marquardt
	thg       []float64     // th gt
}

// householder applies H_l = I - 2 v v^T / (v^T v) to y (a block) in place.
func householder(v []float64, vv float64, y []float64) {
	var s float64
	for i := range v {
		s += v[i] * y[i]
	}
	f := 2 * s / vv
	for i := range v {
		y[i] -= f * v[i]
	}
}

// riem computes the energy, multipliers, frame and tangent gradient at x
// from the Euclidean gradient eg.
func (g spheres) riem(x []float64, e float64, eg []float64) *local {
	loc := &local{e: e, lam: make([]float64, len(g.dims)), gt: make([]float64, g.t), hv: make([]float64, g.d), hvv: make([]float64, len(g.dims))}
	y := make([]float64, g.d)
	copy(y, eg)
	for l, n := range g.dims {
		w, v := g.block(x, l), g.block(loc.hv, l)
		var dot float64
		for i := range w {
			dot += w[i] * eg[g.offs[l]+i]
		}
		loc.lam[l] = dot / float64(n)
		// H w = -sign(w_0) sqrt(n) e_0: columns 1.. of H span the tangent space.
		copy(v, w)
		sg := 1.0
		if w[0] < 0 {
			sg = -1
		}
		v[0] += sg * math.Sqrt(float64(n))
		var vv float64
		for _, a := range v {
			vv += a * a
		}
		loc.hvv[l] = vv
		yb := g.block(y, l)
		householder(v, vv, yb)
		copy(loc.gt[g.offs[l]-l:], yb[1:])
	}
	var s float64
	for _, a := range loc.gt {
		s += a * a
	}
	loc.gn = math.Sqrt(s)
	return loc
}

// tangentHessian returns U^T eh U - diag(lambda_l I) (t x t, row-major) for
// the Euclidean Hessian eh (d x d, symmetric).
func (g spheres) tangentHessian(loc *local, eh []float64) []float64 {
	d := g.d
	a := make([]float64, d*d)
	copy(a, eh)
	col := make([]float64, d)
	for l := range g.dims {
		v := g.block(loc.hv, l)
		lo, hi := g.offs[l], g.offs[l+1]
		// rows of block l: H_l A
		for j := 0; j < d; j++ {
			c := col[:hi-lo]
			for i := lo; i < hi; i++ {
				c[i-lo] = a[i*d+j]
			}
			householder(v, loc.hvv[l], c)
			for i := lo; i < hi; i++ {
				a[i*d+j] = c[i-lo]
			}
		}
		// columns of block l: A H_l
		for i := 0; i < d; i++ {
			householder(v, loc.hvv[l], a[i*d+lo:i*d+hi])
		}
	}
	t := g.t
	out := make([]float64, t*t)
	idx := make([]int, 0, t) // ambient index of tangent coordinate k
	for l := range g.dims {
		for i := g.offs[l] + 1; i < g.offs[l+1]; i++ {
			idx = append(idx, i)
		}
	}
	for r, i := range idx {
		for c, j := range idx {
			out[r*t+c] = a[i*d+j]
		}
	}
	k := 0
	for l, n := range g.dims {
		for range n - 1 {
			out[k*t+k] -= loc.lam[l]
			k++
		}
	}
	return out
}

// setHessian builds the tangent Hessian from the Euclidean Hessian eh.
func (g spheres) setHessian(loc *local, eh []float64) error {
	t := g.t
	th := g.tangentHessian(loc, eh)
	for i := 0; i < t; i++ { // symmetrise exactly
		for j := i + 1; j < t; j++ {
			m := 0.5 * (th[i*t+j] + th[j*t+i])
			th[i*t+j], th[j*t+i] = m, m
		}
	}
	if !finiteAll(th) {
		return fmt.Errorf("spinglass: the Hessian is not finite")
	}
	loc.th = th
	return nil
}

// values fills loc.eig (eigenvalues only).
func (g spheres) values(loc *local) error {
	if loc.eig != nil {
		return nil
	}
	t := g.t
	if t == 0 {
		loc.eig = []float64{}
		return nil
	}
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(t, append([]float64(nil), loc.th...)), false) {
		return fmt.Errorf("spinglass: the tangent Hessian's eigenvalues did not converge")
	}
	loc.eig = es.Values(nil)
	return nil
}

// vectors fills loc.eig and loc.vec.
func (g spheres) vectors(loc *local) error {
	if loc.vec != nil {
		return nil
	}
	t := g.t
	if t == 0 {
		loc.eig, loc.vec = []float64{}, []float64{}
		return nil
	}
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(t, append([]float64(nil), loc.th...)), true) {
		return fmt.Errorf("spinglass: the tangent Hessian's eigen-decomposition did not converge")
	}
	loc.eig = es.Values(nil)
	var v mat.Dense
	es.VectorsTo(&v)
	loc.vec = make([]float64, t*t)
	for i := 0; i < t; i++ {
		for k := 0; k < t; k++ {
			loc.vec[i*t+k] = v.At(i, k)
		}
	}
	return nil
}

// eigen builds the tangent Hessian from eh and its full eigen-decomposition.
func (g spheres) eigen(loc *local, eh []float64) error {
	if err := g.setHessian(loc, eh); err != nil {
		return err
	}
	return g.vectors(loc)
}

// newtonStep returns the Newton step -th^{-1} gt when sign*th is positive
// definite (by a Cholesky factorisation), else nil. It is cached.
func (g spheres) newtonStep(loc *local, sign float64) []float64 {
	if !loc.newtonTry {
		loc.newtonTry = true
		loc.newton = g.shiftedStep(loc, sign, 0)
	}
	return loc.newton
}

// shiftedStep returns -(th + sign tau I)^{-1} gt, the minimiser of the model
// sign (gt.c + c.th c/2) + tau |c|^2/2, when sign*th + tau I is positive
// definite, else nil.
func (g spheres) shiftedStep(loc *local, sign, tau float64) []float64 {
	t := g.t
	a := make([]float64, t*t)
	for i, v := range loc.th {
		a[i] = sign * v
	}
	for i := 0; i < t; i++ {
		a[i*t+i] += tau
	}
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(t, a)) {
		return nil
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, mat.NewVecDense(t, append([]float64(nil), loc.gt...))); err != nil {
		return nil
	}
	step := make([]float64, t)
	for i := range step {
		step[i] = -sign * x.AtVec(i)
	}
	if !finiteAll(step) {
		return nil
	}
	return step
}

// lmStep returns the Levenberg-Marquardt step -(th^2 + mu I)^{-1} th gt,
// or nil when the factorisation fails.
func (g spheres) lmStep(loc *local, mu float64) []float64 {
	t := g.t
	if loc.sq == nil {
		th := mat.NewDense(t, t, loc.th)
		var sq mat.Dense
		sq.Mul(th, th)
		s := mat.NewSymDense(t, nil)
		for i := 0; i < t; i++ {
			for j := i; j < t; j++ {
				s.SetSym(i, j, 0.5*(sq.At(i, j)+sq.At(j, i)))
			}
		}
		loc.sq = s
		loc.thg = make([]float64, t)
		for i := 0; i < t; i++ {
			var v float64
			for j, a := range loc.th[i*t : (i+1)*t] {
				v += a * loc.gt[j]
			}
			loc.thg[i] = v
		}
	}
	a := mat.NewSymDense(t, nil)
	a.CopySym(loc.sq)
	for i := 0; i < t; i++ {
		a.SetSym(i, i, a.At(i, i)+mu)
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		return nil
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, mat.NewVecDense(t, append([]float64(nil), loc.thg...))); err != nil {
		return nil
	}
	step := make([]float64, t)
	for i := range step {
		step[i] = -x.AtVec(i)
	}
	if !finiteAll(step) {
		return nil
	}
	return step
}

// index counts negative eigenvalues; minAbs is the smallest |eigenvalue|.
func index(eig []float64) (k int, minAbs float64) {
	minAbs = math.Inf(1)
	for _, v := range eig {
		if v < 0 {
			k++
		}
		minAbs = min(minAbs, math.Abs(v))
	}
	return k, minAbs
}

// lift maps tangent coordinates to an ambient tangent vector at loc's point.
func (g spheres) lift(loc *local, c []float64) []float64 {
	y := make([]float64, g.d)
	for l := range g.dims {
		yb := g.block(y, l)
		copy(yb[1:], c[g.offs[l]-l:g.offs[l+1]-l-1])
		householder(g.block(loc.hv, l), loc.hvv[l], yb)
	}
	return y
}

// retract returns the point x + y with every block rescaled to its sphere.
func (g spheres) retract(x, y []float64) ([]float64, bool) {
	z := make([]float64, g.d)
	for i := range z {
		z[i] = x[i] + y[i]
	}
	return z, g.normalize(z)
}

// riemGradient returns the ambient Riemannian gradient: block l is
// P_l grad_l E = grad_l E - lambda_l w_l.
func (g spheres) riemGradient(x, eg []float64) []float64 {
	out := make([]float64, g.d)
	for l, n := range g.dims {
		var dot float64
		lo := g.offs[l]
		for i := lo; i < g.offs[l+1]; i++ {
			dot += x[i] * eg[i]
		}
		lam := dot / float64(n)
		for i := lo; i < g.offs[l+1]; i++ {
			out[i] = eg[i] - lam*x[i]
		}
	}
	return out
}

// riemHessian returns the ambient Riemannian Hessian (d x d, row-major)
// P (Hess E) P - diag(lambda_l P_l), with P = diag(P_l), P_l = I - w_l w_l^T/n_l:
// on tangent vectors, xi . (this) xi is the second derivative of E along the
// geodesic with initial velocity xi; normal directions are in its kernel.
func (g spheres) riemHessian(x, eg, eh []float64) []float64 {
	d := g.d
	lam := make([]float64, len(g.dims))
	for l, n := range g.dims {
		var dot float64
		for i := g.offs[l]; i < g.offs[l+1]; i++ {
			dot += x[i] * eg[i]
		}
		lam[l] = dot / float64(n)
	}
	// P A P with P applied blockwise: (P a)_i = a_i - w_i (w_l . a_l)/n_l.
	proj := func(v []float64) {
		for l, n := range g.dims {
			lo, hi := g.offs[l], g.offs[l+1]
			var s float64
			for i := lo; i < hi; i++ {
				s += x[i] * v[i]
			}
			s /= float64(n)
			for i := lo; i < hi; i++ {
				v[i] -= s * x[i]
			}
		}
	}
	a := make([]float64, d*d)
	copy(a, eh)
	for i := 0; i < d; i++ {
		proj(a[i*d : (i+1)*d])
	}
	col := make([]float64, d)
	for j := 0; j < d; j++ {
		for i := 0; i < d; i++ {
			col[i] = a[i*d+j]
		}
		proj(col)
		for i := 0; i < d; i++ {
			a[i*d+j] = col[i]
		}
	}
	for l, n := range g.dims {
		lo, hi := g.offs[l], g.offs[l+1]
		for i := lo; i < hi; i++ {
			for j := lo; j < hi; j++ {
				p := -x[i] * x[j] / float64(n)
				if i == j {
					p++
				}
				a[i*d+j] -= lam[l] * p
			}
		}
	}
	return a
}
