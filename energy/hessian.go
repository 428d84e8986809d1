package energy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// DenseLimit is the largest number of parameters for which the lowest
// Hessian modes are taken from the dense Hessian (Dim Hessian-vector
// products and a dense eigendecomposition); above it they come from
// Lanczos iterations.
const DenseLimit = 200

// Hessian returns the Hessian of obj at x, built column by column from
// Dim Hessian-vector products and symmetrised ((H + H^T)/2, which removes
// the asymmetry of finite differences).
func Hessian(obj Objective, x []float64) *mat.SymDense {
	n := len(x)
	cols := mat.NewDense(n, n, nil)
	e := make([]float64, n)
	hv := make([]float64, n)
	for j := range n {
		e[j] = 1
		obj.HessVec(x, e, hv)
		e[j] = 0
		cols.SetCol(j, hv)
	}
	h := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			h.SetSym(i, j, (cols.At(i, j)+cols.At(j, i))/2)
		}
	}
	return h
}

// Spectrum is the Hessian's eigendecomposition at a point, eigenvalues
// ascending.
type Spectrum struct {
	Values  []float64
	Vectors *mat.Dense // column i is the unit eigenvector of Values[i]
}

// DenseSpectrum returns the eigenvalues and eigenvectors of the Hessian of
// obj at x.
func DenseSpectrum(obj Objective, x []float64) (Spectrum, error) {
	var es mat.EigenSym
	if !es.Factorize(Hessian(obj, x), true) {
		return Spectrum{}, errors.New("the Hessian's eigendecomposition did not converge")
	}
	var vec mat.Dense
	es.VectorsTo(&vec)
	vals := es.Values(nil)
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Spectrum{}, fmt.Errorf("%w: a Hessian eigenvalue is %v", errNonFinite, v)
		}
	}
	return Spectrum{Values: vals, Vectors: &vec}, nil
}

// LowestModes returns the k lowest eigenvalues of the Hessian of obj at x,
// ascending, and their unit eigenvectors: from the dense Hessian when Dim
// <= DenseLimit, else by Lanczos (LanczosLowest) with tolerance 1e-8
// relative to the largest Ritz value and a start vector drawn from seed.
func LowestModes(obj Objective, x []float64, k int, seed uint64) ([]float64, [][]float64, error) {
	n := len(x)
	if k < 1 || k > n {
		return nil, nil, fmt.Errorf("%d lowest modes of a %d-parameter Hessian; want 1 to %d", k, n, n)
	}
	if n > DenseLimit {
		return LanczosLowest(func(v, hv []float64) { obj.HessVec(x, v, hv) }, n, k, 1e-8, seed)
	}
	s, err := DenseSpectrum(obj, x)
	if err != nil {
		return nil, nil, err
	}
	vecs := make([][]float64, k)
	for i := range k {
		vecs[i] = mat.Col(nil, i, s.Vectors)
	}
	return s.Values[:k], vecs, nil
}

// LanczosLowest returns the k lowest eigenvalues, ascending, and unit
// eigenvectors of the symmetric n x n operator apply (apply(v, hv) writes
// the operator times v into hv), by the Lanczos iteration with full
// reorthogonalisation and explicit restarts: Krylov spaces of dimension
// min(n, max(4k+20, 40)) are built from the start vector (random, drawn
// from seed, then the sum of the current Ritz vectors), until every wanted
// Ritz pair has a residual |A u - theta u| at most tol times the largest
// Ritz value's magnitude, for at most 50 restarts.
func LanczosLowest(apply func(v, hv []float64), n, k int, tol float64, seed uint64) ([]float64, [][]float64, error) {
	if k < 1 || k > n {
		return nil, nil, fmt.Errorf("lanczos: %d lowest modes of a %d x %d operator", k, n, n)
	}
	m := min(n, max(4*k+20, 40))
	rng := rand.New(rand.NewPCG(seed, 0x1a2c05))
	start := make([]float64, n)
	for i := range start {
		start[i] = rng.NormFloat64()
	}
	q := make([][]float64, m)
	w := make([]float64, n)
	var vals []float64
	var vecs [][]float64
	for restart := 0; restart < 50; restart++ {
		nq := norm(start)
		if nq == 0 {
			return nil, nil, errors.New("lanczos: zero start vector")
		}
		alpha := make([]float64, 0, m)
		beta := make([]float64, 0, m)
		q[0] = make([]float64, n)
		for i := range start {
			q[0][i] = start[i] / nq
		}
		steps := 0
		for j := 0; j < m; j++ {
			apply(q[j], w)
			a := dot(w, q[j])
			alpha = append(alpha, a)
			steps = j + 1
			// Full reorthogonalisation, twice (Kahan's "twice is enough").
			for range 2 {
				for i := 0; i <= j; i++ {
					axpy(-dot(w, q[i]), q[i], w)
				}
			}
			b := norm(w)
			if j == m-1 || b <= 1e-14*math.Abs(a)+1e-300 {
				break
			}
			beta = append(beta, b)
			q[j+1] = make([]float64, n)
			for i := range w {
				q[j+1][i] = w[i] / b
			}
		}
		if steps < k {
			return nil, nil, fmt.Errorf("lanczos: the Krylov space closed at dimension %d, below the %d modes wanted", steps, k)
		}
		t := mat.NewSymDense(steps, nil)
		for i := range steps {
			t.SetSym(i, i, alpha[i])
			if i+1 < steps {
				t.SetSym(i, i+1, beta[i])
			}
		}
		var es mat.EigenSym
		if !es.Factorize(t, true) {
			return nil, nil, errors.New("lanczos: the tridiagonal eigendecomposition did not converge")
		}
		theta := es.Values(nil)
		var s mat.Dense
		es.VectorsTo(&s)
		scale := math.Max(math.Abs(theta[0]), math.Abs(theta[steps-1]))
		vals = make([]float64, k)
		vecs = make([][]float64, k)
		converged := true
		for i := range k {
			vals[i] = theta[i]
			u := make([]float64, n)
			for j := range steps {
				axpy(s.At(j, i), q[j], u)
			}
			nu := norm(u)
			for j := range u {
				u[j] /= nu
			}
			vecs[i] = u
			apply(u, w)
			axpy(-theta[i], u, w)
			if norm(w) > tol*math.Max(scale, 1e-300) {
				converged = false
			}
		}
		if converged {
			return vals, vecs, nil
		}
		clear(start)
		for i := range k {
			axpy(1, vecs[i], start)
		}
	}
	return vals, vecs, fmt.Errorf("lanczos: %d lowest modes not converged to %g after 50 restarts", k, tol)
}

// Character is what the Hessian says about a stationary point.
type Character struct {
	// Index is the number of eigenvalues below -ZeroTol (0: a minimum, 1:
	// a transition state).
	Index int `json:"index"`
	// Zero counts the eigenvalues within ZeroTol of zero (symmetries and
	// flat directions); LogAbsDet is the sum of log|lambda| over the
	// others (the harmonic approximation's log-determinant).
	Zero      int     `json:"zero"`
	LogAbsDet float64 `json:"log_abs_det"`
	// Lowest is the lowest eigenvalue.
	Lowest float64 `json:"lowest"`
}

// Characterise returns the Character of the Hessian spectrum vals (any
// order) with zero threshold zeroTol.
func Characterise(vals []float64, zeroTol float64) Character {
	c := Character{Lowest: math.Inf(1)}
	sorted := append([]float64(nil), vals...)
	sort.Float64s(sorted)
	for _, v := range sorted {
		c.Lowest = math.Min(c.Lowest, v)
		switch {
		case v < -zeroTol:
			c.Index++
			c.LogAbsDet += math.Log(-v)
		case v <= zeroTol:
			c.Zero++
		default:
			c.LogAbsDet += math.Log(v)
		}
	}
	return c
}
