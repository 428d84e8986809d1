package spectrum

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"

	"github.com/netgeom/netgeom/engine"
)

// Which selects the end of the spectrum that Lanczos converges.
type Which int

const (
	// Largest selects the algebraically largest eigenvalues.
	Largest Which = iota
	// Smallest selects the algebraically smallest eigenvalues.
	Smallest
	// LargestMagnitude selects the eigenvalues largest in absolute value.
	LargestMagnitude
)

func (w Which) String() string {
	switch w {
	case Largest:
		return "largest"
	case Smallest:
		return "smallest"
	case LargestMagnitude:
		return "largest-magnitude"
	}
	return fmt.Sprintf("Which(%d)", int(w))
}

// DefaultTol is the default relative residual tolerance of Lanczos.
const DefaultTol = 1e-10

// floorRel sets the scale below which the convergence test turns absolute:
// a Ritz value theta is converged when its residual bound is at most
// Tol * max(|theta|, floorRel * ||A||), with ||A|| estimated by the largest
// |Ritz value| seen. Without the floor an eigenvalue at 0 (a Hessian's null
// space) could never converge, its bound stalling at the rounding level;
// with it, eigenvalues below 1e-3 ||A|| are found to Tol * 1e-3 ||A||
// absolute (1e-13 ||A|| by default).
const floorRel = 1e-3

// LanczosOptions configure Lanczos. Zero values take the defaults.
type LanczosOptions struct {
	// K is the number of eigenpairs wanted, 1 <= K <= Dim.
	K int
	// Which end of the spectrum.
	Which Which
	// MaxBasis caps the Krylov basis: the backend holds MaxBasis+1 vectors
	// of length Dim (memory 8 (MaxBasis+1) Dim bytes). When the basis is
	// full, Lanczos restarts thickly, keeping the best K + (MaxBasis-K)/2
	// Ritz vectors. Default min(Dim, max(4K, 40)); it must be at least K+2
	// unless it is >= Dim (then the basis can span the whole space and the
	// result is exact).
	MaxBasis int
	// MaxMatVecs caps the operator applications; default
	// max(1000, 20 MaxBasis), and at least MaxBasis (convergence is first
	// tested when the basis has filled). Lanczos returns Converged = false,
	// not an error, when it runs out.
	MaxMatVecs int
	// Tol is the relative residual tolerance: converged when every wanted
	// Ritz pair has residual bound <= Tol * max(|theta|, 1e-3 ||A||).
	// Default DefaultTol (1e-10).
	Tol float64
	// Vectors asks for the Ritz vectors (new buffers the caller frees).
	Vectors bool
	// Verify guards against eigenpairs the Krylov space missed, above all
	// further copies of a repeated eigenvalue (a single start vector sees
	// one direction of each eigenspace). After convergence the K pairs are
	// locked and Lanczos starts again from a fresh random vector orthogonal
	// to them, converging K+1 pairs; if a new pair beats a locked one, the
	// round repeats. It costs at least one more convergence (a full basis
	// of products or more per round).
	Verify bool
	// Seed picks the start vector (Philox normals, stream 0).
	Seed uint64
	// Progress, when set, is called at every convergence check with the
	// operator applications so far and the largest relative residual
	// bound / max(|theta|, 1e-3 ||A||) of the wanted pairs (converged when
	// it is <= Tol).
	Progress func(matvecs int, maxResidual float64)
}

// Eigenpair is one Ritz pair: Value approximates an eigenvalue and
// Residual bounds ||A y - Value y|| for the unit Ritz vector y (exactly
// equal to it in exact arithmetic, up to the part of restarts with fresh
// vectors). Vector is nil unless LanczosOptions.Vectors was set; then it is
// a new backend buffer of length Dim that the caller frees.
type Eigenpair struct {
	Value, Residual float64
	Vector          engine.Buffer
}

// LanczosResult holds the K wanted pairs, best first (Largest: descending;
// Smallest: ascending; LargestMagnitude: descending |Value|).
type LanczosResult struct {
	Pairs []Eigenpair
	// MatVecs counts operator applications; Restarts counts thick restarts.
	MatVecs, Restarts int
	// Fresh counts random vectors brought in after the Krylov space was
	// exhausted (an invariant subspace: beta numerically 0) or by Verify.
	Fresh int
	// Exact reports that the basis spans the whole space: the values are
	// eigenvalues to rounding (Dim <= MaxBasis always ends this way).
	Exact bool
	// Converged reports that all K residual bounds met the tolerance.
	Converged bool
}

// Lanczos computes K extreme eigenpairs of the symmetric operator op by
// thick-restart Lanczos (Wu and Simon 2000) with full reorthogonalisation.
//
// The projected matrix H = V^T A V is kept densely on the host: in plain
// Lanczos it is tridiagonal (the Gram-Schmidt coefficients below the
// subdiagonal are rounding noise and are kept, so H is the exact Rayleigh
// quotient of the basis), after a thick restart it is an arrowhead. Its
// eigenpairs come from LAPACK's dsyev (gonum), at most MaxBasis rows.
//
// Convergence is first tested when the basis has filled (as in ARPACK): a
// handful of Ritz values can all have small residuals before the Krylov
// space has reached the wanted end of the spectrum. After that it is tested
// every min(10, MaxBasis/8) products and before every restart.
//
// Invariant subspaces: when the Krylov space of the start vector is
// exhausted (beta ~ 0), the remainder of the new vector is rounding noise.
// If it survives reorthogonalisation it is used as the next direction (a
// legitimate, if arbitrary, one: the coupling beta stays in H, nothing is
// lost). If it is numerically inside the span of the basis, Lanczos goes on
// with a fresh random vector orthogonal to the basis (stream Fresh of the
// seed) and adds the dropped residual, of size beta, to the residual bounds
// of the Ritz vectors. Either way the basis keeps growing until it spans
// the space, so when Dim <= MaxBasis the result is exact and eigenvalues of
// any multiplicity are all found.
//
// Multiplicities: with restarts (Dim > MaxBasis), a single-vector Krylov
// method sees one direction of each eigenspace in exact arithmetic; further
// copies of a repeated eigenvalue come in only through rounding or an
// exhausted Krylov space. They usually do (the tests find a triple
// eigenvalue inside the wanted set, and the 495-fold eigenvalue of a
// low-rank + identity matrix), but a copy at the edge of the wanted set can
// be missed when the other pairs converge first. Verify closes that gap at
// the price of at least one more convergence.
func Lanczos(b engine.Backend, op Operator, opt LanczosOptions) (LanczosResult, error) {
	const fn = "lanczos"
	if err := op.check(fn, b); err != nil {
		return LanczosResult{}, err
	}
	n := op.Dim
	if opt.K < 1 || opt.K > n {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: K = %d eigenpairs of a %d-dimensional operator; want 1 <= K <= Dim", opt.K, n)
	}
	if opt.Which < Largest || opt.Which > LargestMagnitude {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: unknown Which %d", int(opt.Which))
	}
	k := opt.K
	m := opt.MaxBasis
	switch {
	case m < 0:
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: MaxBasis %d; want >= 0 (0 for the default)", m)
	case m == 0:
		m = min(n, max(4*k, 40))
	case m >= n:
		m = n
	case m < k+2:
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: MaxBasis %d for K = %d; a restarted basis needs at least K+2 vectors (or >= Dim = %d)", m, k, n)
	}
	maxMV := opt.MaxMatVecs
	if maxMV < 0 {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: MaxMatVecs %d; want >= 0 (0 for the default)", maxMV)
	}
	if maxMV == 0 {
		maxMV = max(1000, 20*m)
	}
	if maxMV < m {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: MaxMatVecs %d is less than one fill of the basis (%d products)", maxMV, m)
	}
	tol := opt.Tol
	if tol == 0 {
		tol = DefaultTol
	}
	if !(tol > 0) || math.IsInf(tol, 0) {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: Tol %v; want a positive number", opt.Tol)
	}

	s, err := newBasis(b, n, m+1)
	if err != nil {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: %w", err)
	}
	defer s.free()
	lz := &lanczos{
		s: s, op: op, which: opt.Which, k: k, m: m, tol: tol,
		h:    make([]float64, m*m),
		leak: make([]float64, m+1),
		coef: make([]float64, m+1),
	}
	res, err := lz.run(opt.Seed, maxMV, opt.Verify, opt.Progress)
	if err != nil {
		return LanczosResult{}, fmt.Errorf("spectrum: lanczos: %w", err)
	}
	if opt.Vectors {
		for i := range res.Pairs {
			y, err := s.vector(lz.nb, lz.ritzVector(lz.order[i]))
			if err != nil {
				for _, p := range res.Pairs[:i] {
					_ = b.Free(p.Vector) // clean-up: the error returned is Ritz vector i's
				}
				return LanczosResult{}, fmt.Errorf("spectrum: lanczos: Ritz vector %d: %w", i, err)
			}
			res.Pairs[i].Vector = y
		}
	}
	return res, nil
}

// lanczos is the state of one run. Columns [0, nb) of the basis have known
// images: A V = V H + beta q e_{nb}^T + (dropped residuals), where q, the
// next Lanczos vector, is column nb, and leak[i] bounds the norm of the
// residual dropped from column i's image.
type lanczos struct {
	s     *basis
	op    Operator
	which Which
	k, m  int
	tol   float64

	nb   int       // basis vectors with known images
	h    []float64 // H, m x m, row-major, leading nb x nb block in use
	beta float64   // norm of the residual of column nb-1, now column nb
	leak []float64 // bounds on dropped residuals per column

	// The last eigendecomposition of H (valid for nb = eigNB).
	eigNB  int
	theta  []float64 // ascending
	vecs   []float64 // nb x nb row-major, column i = eigenvector i
	bound  []float64 // residual bound per Ritz pair
	order  []int     // Ritz pairs, wanted first
	anorm  float64   // largest |theta| seen (estimates ||A||)
	coef   []float64 // scratch for Gram-Schmidt coefficients
	fresh  int
	matvec int
}

func (lz *lanczos) run(seed uint64, maxMV int, verify bool, progress func(int, float64)) (LanczosResult, error) {
	s := lz.s
	// Start vector: Philox normals, stream 0, normalised.
	if err := s.b.FillNormal(s.col[0], seed, 0, 0, 1); err != nil {
		return LanczosResult{}, err
	}
	norm, err := s.b.Nrm2(s.n, s.col[0], 1)
	if err != nil {
		return LanczosResult{}, err
	}
	if !(norm > 0) || !finite(norm) {
		return LanczosResult{}, fmt.Errorf("start vector has norm %v", norm)
	}
	if err := s.normalize(0, norm); err != nil {
		return LanczosResult{}, err
	}
	want := lz.k         // pairs reported
	var locked []float64 // wanted values at the last verification lock
	checkEvery := max(1, min(10, lz.m/8))
	since := 0
	fill := true // no convergence test before the basis has filled up
	restarts := 0
	for {
		if lz.nb == lz.m && lz.m < s.n {
			if err := lz.restart(); err != nil {
				return LanczosResult{}, err
			}
			restarts++
		}
		if err := lz.step(seed); err != nil {
			return LanczosResult{}, err
		}
		since++
		exact := lz.nb == s.n
		full := lz.nb == lz.m
		if !exact && lz.matvec < maxMV && (fill && !full || !fill && since < checkEvery && !full) {
			continue
		}
		fill, since = false, 0
		if err := lz.eig(); err != nil {
			return LanczosResult{}, err
		}
		conv, worst := lz.converged()
		if progress != nil {
			progress(lz.matvec, worst)
		}
		if conv && verify && !exact && lz.matvec < maxMV {
			top := lz.values(want)
			if locked == nil || lz.improved(locked, top) {
				// Lock the wanted pairs and look again from a fresh
				// vector, now also converging one pair beyond them.
				locked = top
				lz.k = want + 1
				if err := lz.lock(want, seed); err != nil {
					return LanczosResult{}, err
				}
				fill = true
				continue
			}
		}
		if conv || exact || lz.matvec >= maxMV {
			res := LanczosResult{MatVecs: lz.matvec, Restarts: restarts, Fresh: lz.fresh, Exact: exact, Converged: conv}
			res.Pairs = make([]Eigenpair, want)
			for i := range res.Pairs {
				j := lz.order[i]
				res.Pairs[i] = Eigenpair{Value: lz.theta[j], Residual: lz.bound[j]}
			}
			return res, nil
		}
	}
}

// values returns the first k wanted Ritz values.
func (lz *lanczos) values(k int) []float64 {
	v := make([]float64, k)
	for i := range v {
		v[i] = lz.theta[lz.order[i]]
	}
	return v
}

// improved reports whether any of the wanted values now beats the one
// locked at its position by more than the two residual tolerances: a pair
// the earlier Krylov space had missed.
func (lz *lanczos) improved(old, now []float64) bool {
	for i := range old {
		d := lz.tol * (max(math.Abs(old[i]), floorRel*lz.anorm) + max(math.Abs(now[i]), floorRel*lz.anorm))
		var gain float64
		switch lz.which {
		case Largest:
			gain = now[i] - old[i]
		case Smallest:
			gain = old[i] - now[i]
		case LargestMagnitude:
			gain = math.Abs(now[i]) - math.Abs(old[i])
		}
		if gain > d {
			return true
		}
	}
	return false
}

// step applies A to column nb, orthogonalises the image against columns
// [0, nb] into column nb+1, and grows H by one row and column.
func (lz *lanczos) step(seed uint64) error {
	s, j := lz.s, lz.nb
	w := s.col[j+1]
	lz.matvec++
	if err := lz.op.apply("lanczos", s.col[j], w, lz.matvec); err != nil {
		return err
	}
	c := lz.coef[:j+1]
	clear(c)
	beta, dependent, err := s.orth(w, j+1, c)
	if err != nil {
		return fmt.Errorf("product %d: %w", lz.matvec, err)
	}
	for i := 0; i <= j; i++ {
		lz.h[i*lz.m+j] = c[i]
		lz.h[j*lz.m+i] = c[i]
	}
	lz.nb = j + 1
	lz.beta = beta
	if lz.nb == s.n {
		// The basis spans the space: the remainder is rounding noise.
		lz.leak[j] += beta
		lz.beta = 0
		return nil
	}
	if !dependent {
		return s.normalize(j+1, beta)
	}
	// Invariant subspace: drop the residual (bounded by beta) and go on
	// with a fresh random vector orthogonal to the basis.
	lz.leak[j] += beta
	lz.beta = 0
	lz.fresh++
	ok, err := s.fresh(j+1, seed, uint64(lz.fresh), lz.coef)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no random vector orthogonal to a basis of %d vectors in dimension %d", lz.nb, s.n)
	}
	return nil
}

// eig diagonalises the leading nb x nb block of H and computes the residual
// bounds and the wanted order of the Ritz pairs.
func (lz *lanczos) eig() error {
	nb := lz.nb
	if lz.eigNB == nb {
		return nil
	}
	a := make([]float64, nb*nb)
	for i := 0; i < nb; i++ {
		copy(a[i*nb:(i+1)*nb], lz.h[i*lz.m:i*lz.m+nb])
	}
	theta := make([]float64, nb)
	work := make([]float64, max(1, 3*nb))
	sym := blas64.Symmetric{Uplo: blas.Upper, N: nb, Stride: nb, Data: a}
	lapack64.Syev(lapack.EVCompute, sym, theta, work, -1)
	work = make([]float64, max(len(work), int(work[0])))
	if !lapack64.Syev(lapack.EVCompute, sym, theta, work, len(work)) {
		return fmt.Errorf("dsyev did not converge on the %d x %d projected matrix", nb, nb)
	}
	lz.theta, lz.vecs, lz.eigNB = theta, a, nb
	lz.bound = make([]float64, nb)
	for i := 0; i < nb; i++ {
		r := lz.beta * math.Abs(a[(nb-1)*nb+i])
		for c := 0; c < nb; c++ {
			if lz.leak[c] != 0 {
				r += lz.leak[c] * math.Abs(a[c*nb+i])
			}
		}
		lz.bound[i] = r
		lz.anorm = max(lz.anorm, math.Abs(theta[i]))
	}
	lz.order = wantedOrder(theta, lz.which)
	return nil
}

// wantedOrder returns the indices of theta (ascending) with the wanted ones
// first.
func wantedOrder(theta []float64, which Which) []int {
	nb := len(theta)
	idx := make([]int, nb)
	for i := range idx {
		idx[i] = i
	}
	switch which {
	case Largest:
		slices.Reverse(idx)
	case LargestMagnitude:
		slices.SortStableFunc(idx, func(a, b int) int {
			x, y := math.Abs(theta[a]), math.Abs(theta[b])
			switch {
			case x > y:
				return -1
			case x < y:
				return 1
			}
			return b - a // larger value first among equal magnitudes
		})
	}
	return idx
}

// converged reports whether the k wanted pairs meet the tolerance, and the
// largest of their relative residual bounds.
func (lz *lanczos) converged() (bool, float64) {
	ok, worst := true, 0.0
	for _, i := range lz.order[:lz.k] {
		scale := max(math.Abs(lz.theta[i]), floorRel*lz.anorm)
		rel := 0.0
		switch {
		case scale > 0:
			rel = lz.bound[i] / scale
		case lz.bound[i] > 0:
			rel = math.Inf(1)
		}
		if !(rel <= lz.tol) {
			ok = false
		}
		worst = max(worst, rel)
	}
	return ok, worst
}

func (lz *lanczos) ritzVector(i int) []float64 {
	nb := lz.nb
	v := make([]float64, nb)
	for r := 0; r < nb; r++ {
		v[r] = lz.vecs[r*nb+i]
	}
	return v
}

// lock keeps only the k best Ritz vectors, whose residual bounds become
// dropped residuals, and continues from a fresh random vector orthogonal to
// them.
func (lz *lanczos) lock(k int, seed uint64) error {
	if err := lz.keep(k, true); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	lz.fresh++
	lz.beta = 0
	ok, err := lz.s.fresh(k, seed, uint64(lz.fresh), lz.coef)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	if !ok {
		return fmt.Errorf("lock: no random vector orthogonal to %d locked vectors in dimension %d", k, lz.s.n)
	}
	return nil
}

// restart keeps the best K + (m-K)/2 Ritz vectors of the full basis
// (columns [0, kk)), moves the pending Lanczos vector q to column kk, and
// makes H diagonal. The couplings of q to the kept vectors, beta s_last,
// come back exactly as Gram-Schmidt coefficients in the next step.
func (lz *lanczos) restart() error {
	kk := lz.k + (lz.m-lz.k)/2
	q := lz.nb // the pending Lanczos vector's column
	if err := lz.keep(kk, false); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if err := lz.s.b.Copy(lz.s.col[kk], lz.s.col[q]); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}

// keep replaces the basis by its kk best Ritz vectors (columns [0, kk)) and
// H by their Ritz values. With drop, the residual beta s_last of each kept
// vector is added to its dropped residual, because the pending Lanczos
// vector will not join the basis.
func (lz *lanczos) keep(kk int, drop bool) error {
	if err := lz.eig(); err != nil {
		return err
	}
	nb := lz.nb
	sm := make([]float64, nb*kk) // column-major nb x kk
	leak := make([]float64, len(lz.leak))
	for c, i := range lz.order[:kk] {
		for r := 0; r < nb; r++ {
			x := lz.vecs[r*nb+i]
			sm[c*nb+r] = x
			leak[c] += lz.leak[r] * math.Abs(x)
		}
		if drop {
			leak[c] += lz.beta * math.Abs(lz.vecs[(nb-1)*nb+i])
		}
	}
	if err := lz.s.combine(nb, kk, sm); err != nil {
		return err
	}
	clear(lz.h)
	for c, i := range lz.order[:kk] {
		lz.h[c*lz.m+c] = lz.theta[i]
	}
	lz.leak = leak
	lz.nb = kk
	lz.eigNB = 0
	return nil
}
