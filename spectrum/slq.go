package spectrum

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"

	"github.com/netgeom/netgeom/engine"
)

// SLQOptions configure stochastic Lanczos quadrature.
type SLQOptions struct {
	// Vectors is the number of random probe vectors, >= 1.
	Vectors int
	// Steps is the number of Lanczos steps per vector, >= 1 (capped at
	// Dim). The quadrature for one vector is exact for polynomials of
	// degree < 2 Steps.
	Steps int
	// Seed picks the probe vectors: vector k holds the signs of the Philox
	// normals of stream k (Rademacher), scaled to unit length.
	Seed uint64
}

// Quadrature is the result of SLQ: for each probe vector v, the Gauss
// quadrature nodes (Ritz values of its Lanczos tridiagonal) and weights
// (squared first components of the tridiagonal's eigenvectors, summing to
// 1) of its spectral measure sum_i (u_i.v)^2 delta(x - lambda_i). Their mean
// over vectors estimates the spectral measure (1/Dim) sum_i delta(x -
// lambda_i), whose mean is unbiased for Rademacher vectors.
type Quadrature struct {
	Dim     int
	Nodes   [][]float64 // per vector, ascending
	Weights [][]float64 // per vector, summing to 1
	MatVecs int
}

// exhausted is the relative size of beta below which SLQ takes the Krylov
// space of a probe vector as exhausted: stopping there moves the nodes by at
// most beta and loses weight O(beta^2), while going on would only add nodes
// of weight ~ beta^2 built from rounding noise.
const exhausted = 1e-10

// SLQ runs stochastic Lanczos quadrature: for each of opt.Vectors probe
// vectors, opt.Steps steps of Lanczos with full reorthogonalisation (the
// basis, Steps+1 vectors of length Dim, is held on the backend and reused
// across vectors). The tridiagonal is diagonalised on the host by LAPACK's
// dsteqr (gonum). When the Krylov space of a vector is exhausted early
// (beta numerically 0: the vector lies in an invariant subspace of
// dimension j < Steps), its quadrature has the j nodes reached so far,
// which is exact for that vector.
func SLQ(b engine.Backend, op Operator, opt SLQOptions) (Quadrature, error) {
	const fn = "slq"
	if err := op.check(fn, b); err != nil {
		return Quadrature{}, err
	}
	if opt.Vectors < 1 {
		return Quadrature{}, fmt.Errorf("spectrum: slq: %d probe vectors; want >= 1", opt.Vectors)
	}
	if opt.Steps < 1 {
		return Quadrature{}, fmt.Errorf("spectrum: slq: %d Lanczos steps; want >= 1", opt.Steps)
	}
	n := op.Dim
	steps := min(opt.Steps, n)
	s, err := newBasis(b, n, steps+1)
	if err != nil {
		return Quadrature{}, fmt.Errorf("spectrum: slq: %w", err)
	}
	defer s.free()
	q := Quadrature{Dim: n}
	coef := make([]float64, steps+1)
	alpha := make([]float64, 0, steps)
	beta := make([]float64, 0, steps)
	scale := 1 / math.Sqrt(float64(n))
	for v := 0; v < opt.Vectors; v++ {
		if err := fillRademacher(b, s.col[0], s.col[1], opt.Seed, uint64(v)); err != nil {
			return Quadrature{}, fmt.Errorf("spectrum: slq: probe vector %d: %w", v, err)
		}
		if err := b.Scal(n, scale, s.col[0], 1); err != nil {
			return Quadrature{}, fmt.Errorf("spectrum: slq: %w", err)
		}
		alpha, beta = alpha[:0], beta[:0]
		tscale := 0.0 // largest |alpha|, beta so far: a lower bound on ||A||
		for j := 0; j < steps; j++ {
			q.MatVecs++
			if err := op.apply(fn, s.col[j], s.col[j+1], q.MatVecs); err != nil {
				return Quadrature{}, err
			}
			c := coef[:j+1]
			clear(c)
			norm, dependent, err := s.orth(s.col[j+1], j+1, c)
			if err != nil {
				return Quadrature{}, fmt.Errorf("spectrum: slq: vector %d, step %d: %w", v, j, err)
			}
			alpha = append(alpha, c[j])
			tscale = max(tscale, math.Abs(c[j]), norm)
			if dependent || j == steps-1 || norm <= exhausted*tscale {
				break
			}
			beta = append(beta, norm)
			if err := s.normalize(j+1, norm); err != nil {
				return Quadrature{}, fmt.Errorf("spectrum: slq: %w", err)
			}
		}
		nodes, weights, err := gaussRule(alpha, beta)
		if err != nil {
			return Quadrature{}, fmt.Errorf("spectrum: slq: vector %d: %w", v, err)
		}
		q.Nodes = append(q.Nodes, nodes)
		q.Weights = append(q.Weights, weights)
	}
	return q, nil
}

// gaussRule diagonalises the symmetric tridiagonal matrix with diagonal
// alpha and off-diagonal beta: nodes are its eigenvalues (ascending),
// weights the squared first components of its eigenvectors, normalised to
// sum to 1.
func gaussRule(alpha, beta []float64) ([]float64, []float64, error) {
	k := len(alpha)
	d := slices.Clone(alpha)
	e := make([]float64, max(0, k-1))
	copy(e, beta)
	z := make([]float64, k*k)
	work := make([]float64, max(1, 2*k-2))
	if !(gonum.Implementation{}).Dsteqr(lapack.EVTridiag, k, d, e, z, k, work) {
		return nil, nil, fmt.Errorf("dsteqr did not converge on the %d x %d tridiagonal", k, k)
	}
	w := make([]float64, k)
	sum := 0.0
	for i := range w {
		w[i] = z[i] * z[i] // row 0 of the row-major eigenvector matrix
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return d, w, nil
}

// Measure returns the averaged spectral measure: every node of every vector
// with its weight divided by the number of vectors, sorted by node. The
// weights sum to 1.
func (q Quadrature) Measure() (x, w []float64) {
	nv := float64(len(q.Nodes))
	type atom struct{ x, w float64 }
	var atoms []atom
	for v := range q.Nodes {
		for i, t := range q.Nodes[v] {
			atoms = append(atoms, atom{t, q.Weights[v][i] / nv})
		}
	}
	slices.SortStableFunc(atoms, func(a, b atom) int {
		switch {
		case a.x < b.x:
			return -1
		case a.x > b.x:
			return 1
		}
		return 0
	})
	x, w = make([]float64, len(atoms)), make([]float64, len(atoms))
	for i, a := range atoms {
		x[i], w[i] = a.x, a.w
	}
	return x, w
}

// Integrate returns the mean over vectors of sum_i w_i f(theta_i), which
// estimates (1/Dim) tr f(A); Dim * Integrate(f) estimates tr f(A) (for
// example the log-determinant with f = log on a positive definite A). It
// returns NaN for an empty quadrature.
func (q Quadrature) Integrate(f func(float64) float64) float64 {
	if len(q.Nodes) == 0 {
		return math.NaN()
	}
	total := 0.0
	for v := range q.Nodes {
		s := 0.0
		for i, t := range q.Nodes[v] {
			s += q.Weights[v][i] * f(t)
		}
		total += s
	}
	return total / float64(len(q.Nodes))
}

// Density evaluates the spectral density smoothed by a Gaussian of standard
// deviation sigma, (1/V) sum_v sum_i w_vi N(x; theta_vi, sigma^2), at the
// grid points. It integrates to 1 over the real line; inside is the exact
// fraction of that mass between the first and the last grid point (from
// erf), so a grid that misses part of the spectrum shows it. The grid must
// be non-empty and ascending, sigma positive and finite.
func (q Quadrature) Density(grid []float64, sigma float64) (density []float64, inside float64, err error) {
	if len(q.Nodes) == 0 {
		return nil, 0, fmt.Errorf("spectrum: density: empty quadrature")
	}
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return nil, 0, fmt.Errorf("spectrum: density: sigma %v; want a positive number", sigma)
	}
	if len(grid) == 0 {
		return nil, 0, fmt.Errorf("spectrum: density: empty grid")
	}
	for i, x := range grid {
		if !finite(x) || i > 0 && x < grid[i-1] {
			return nil, 0, fmt.Errorf("spectrum: density: grid point %d is %v; want finite ascending points", i, x)
		}
	}
	nodes, weights := q.Measure()
	density = make([]float64, len(grid))
	norm := 1 / (sigma * math.Sqrt(2*math.Pi))
	lo, hi := grid[0], grid[len(grid)-1]
	for k, t := range nodes {
		w := weights[k]
		for i, x := range grid {
			z := (x - t) / sigma
			density[i] += w * norm * math.Exp(-0.5*z*z)
		}
		inside += w * 0.5 * (math.Erf((hi-t)/(sigma*math.Sqrt2)) - math.Erf((lo-t)/(sigma*math.Sqrt2)))
	}
	return density, inside, nil
}

// DefaultGrid returns points equally spaced grid points from the smallest
// node minus pad to the largest node plus pad (pad >= 0; 5 sigma keeps all
// but 6e-7 of a Gaussian-smoothed density inside).
func DefaultGrid(q Quadrature, points int, pad float64) ([]float64, error) {
	if points < 2 {
		return nil, fmt.Errorf("spectrum: grid: %d points; want >= 2", points)
	}
	if !(pad >= 0) || math.IsInf(pad, 0) {
		return nil, fmt.Errorf("spectrum: grid: pad %v; want a finite number >= 0", pad)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ns := range q.Nodes {
		for _, t := range ns {
			lo, hi = min(lo, t), max(hi, t)
		}
	}
	if lo > hi {
		return nil, fmt.Errorf("spectrum: grid: empty quadrature")
	}
	lo, hi = lo-pad, hi+pad
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5 // a single point mass and no pad
	}
	grid := make([]float64, points)
	for i := range grid {
		grid[i] = lo + (hi-lo)*float64(i)/float64(points-1)
	}
	return grid, nil
}
