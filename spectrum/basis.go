package spectrum

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// eta is the reorthogonalisation threshold of Daniel, Gragg, Kaufman and
// Stewart (1976), as in ARPACK: a Gram-Schmidt pass that leaves less than
// eta of the vector's norm has cancelled badly and is repeated.
const eta = 0.7071067811865476 // 1/sqrt(2)

// basis is an orthonormal Krylov basis on the backend: up to cols vectors of
// length n, stored as the columns of one n x cols column-major buffer, so
// that projections against all of them are two Gemv calls.
type basis struct {
	b    engine.Backend
	sc   *engine.Scope // owns v and coef
	n    int
	cols int
	v    engine.Buffer   // n x cols
	col  []engine.Buffer // views of the columns
	coef engine.Buffer   // cols coefficients (V^T w)
	host []float64       // host copy of coef
}

func newBasis(b engine.Backend, n, cols int) (*basis, error) {
	if cols > math.MaxInt/n {
		return nil, fmt.Errorf("basis of %d vectors of length %d: %w", cols, n, engine.ErrOutOfMemory)
	}
	sc := engine.NewScope(b)
	s := &basis{b: b, sc: sc, n: n, cols: cols, v: sc.Alloc(n * cols), coef: sc.Alloc(cols), host: make([]float64, cols)}
	s.col = make([]engine.Buffer, cols)
	for j := range s.col {
		s.col[j] = sc.View(s.v, j*n, n)
	}
	if err := sc.Err(); err != nil {
		sc.Close()
		return nil, fmt.Errorf("basis of %d vectors of length %d: %w", cols, n, err)
	}
	return s, nil
}

func (s *basis) free() { s.sc.Close() }

// orth makes w orthogonal to columns [0, k) by classical Gram-Schmidt:
// h = V^T w, w -= V h, always twice, and a third time when the second pass
// removed more than 1 - eta of what was left. The coefficients of all passes
// are added into h[:k]. It returns the norm of what remains and whether w
// was numerically inside the span (zero, or still collapsing after three
// passes), in which case the remainder is rounding noise.
func (s *basis) orth(w engine.Buffer, k int, h []float64) (float64, bool, error) {
	before, err := s.b.Nrm2(s.n, w, 1)
	if err != nil {
		return 0, false, err
	}
	if !finite(before) {
		return 0, false, errNotFinite
	}
	if k == 0 || before == 0 {
		return before, before == 0, nil
	}
	after := before
	for pass := 1; pass <= 3; pass++ {
		if err := s.b.Gemv(engine.Trans, s.n, k, 1, s.v, s.n, w, 1, 0, s.coef, 1); err != nil {
			return 0, false, err
		}
		if err := s.b.Download(s.host, s.coef); err != nil {
			return 0, false, err
		}
		if err := s.b.Gemv(engine.NoTrans, s.n, k, -1, s.v, s.n, s.coef, 1, 1, w, 1); err != nil {
			return 0, false, err
		}
		if after, err = s.b.Nrm2(s.n, w, 1); err != nil {
			return 0, false, err
		}
		for i := 0; i < k; i++ {
			h[i] += s.host[i]
		}
		if !finite(after) {
			return 0, false, errNotFinite
		}
		if after == 0 {
			return 0, true, nil
		}
		if pass >= 2 && after > eta*before {
			return after, false, nil
		}
		before = after
	}
	return after, true, nil
}

// normalize scales column j to unit norm given its norm.
func (s *basis) normalize(j int, norm float64) error {
	return s.b.Scal(s.n, 1/norm, s.col[j], 1)
}

// fresh fills column j with a random unit vector orthogonal to columns
// [0, j): Philox normals (seed, stream), orthogonalised. It reports false
// when no such vector could be found in three tries (the columns span the
// space numerically).
func (s *basis) fresh(j int, seed, stream uint64, scratch []float64) (bool, error) {
	for try := uint64(0); try < 3; try++ {
		// Tries after the first draw from further along the same stream.
		if err := s.b.FillNormal(s.col[j], seed, stream, try*uint64(s.n), 1); err != nil {
			return false, err
		}
		norm, dependent, err := s.orth(s.col[j], j, scratch)
		if err != nil {
			return false, err
		}
		if !dependent && norm > 0 {
			return true, s.normalize(j, norm)
		}
	}
	return false, nil
}

// combineScratch is the most elements of scratch combine uses (32 MiB of
// float64); a variable so that tests can force many row blocks.
var combineScratch = 1 << 22

// combine overwrites columns [0, k) with V[:, :j] S, S a j x k column-major
// host matrix (the Ritz vectors of a restart). It works in row blocks through
// a scratch buffer, so the basis is rotated in place without a second copy of
// it.
func (s *basis) combine(j, k int, sm []float64) error {
	sc := engine.NewScope(s.b)
	defer sc.Close()
	sb := sc.Alloc(j * k)
	sc.Upload(sb, sm)
	rb := max(1, min(s.n, combineScratch/k))
	tmp := sc.Alloc(rb * k)
	for r0 := 0; r0 < s.n && sc.Err() == nil; r0 += rb {
		rows := min(rb, s.n-r0)
		blk := sc.View(s.v, r0, s.n*s.cols-r0)
		sc.Gemm(engine.NoTrans, engine.NoTrans, rows, k, j, 1, blk, s.n, sb, j, 0, tmp, rows)
		for c := 0; c < k; c++ {
			sc.Copy(sc.View(s.v, c*s.n+r0, rows), sc.View(tmp, c*rows, rows))
		}
	}
	return sc.Err()
}

// vector returns a new buffer holding V[:, :j] s.
func (s *basis) vector(j int, sv []float64) (engine.Buffer, error) {
	sc := engine.NewScope(s.b)
	defer sc.Close()
	y, sb := sc.Alloc(s.n), sc.Alloc(j)
	sc.Upload(sb, sv)
	sc.Gemv(engine.NoTrans, s.n, j, 1, s.v, s.n, sb, 1, 0, y, 1)
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return sc.Keep(y), nil
}
