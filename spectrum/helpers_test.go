package spectrum

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
)

func mustUpload(t testing.TB, b engine.Backend, v []float64) engine.Buffer {
	t.Helper()
	buf, err := b.Alloc(engine.Float64, len(v))
	if err != nil {
		t.Fatalf("alloc: %v", err)
	}
	if err := b.Upload(buf, v); err != nil {
		t.Fatalf("upload: %v", err)
	}
	return buf
}

func mustDownload(t testing.TB, b engine.Backend, x engine.Buffer) []float64 {
	t.Helper()
	v := make([]float64, x.Len())
	if err := b.Download(v, x); err != nil {
		t.Fatalf("download: %v", err)
	}
	return v
}

// denseOp is the operator y = A x of an n x n symmetric matrix held on the
// backend (row-major = column-major for a symmetric matrix), by one Gemv.
func denseOp(t testing.TB, b engine.Backend, a []float64, n int) Operator {
	buf := mustUpload(t, b, a)
	return Operator{Dim: n, Apply: func(x, y engine.Buffer) error {
		return b.Gemv(engine.NoTrans, n, n, 1, buf, n, x, 1, 0, y, 1)
	}}
}

// spectralOp is A = Q diag(d) Q^T for an n x n orthogonal Q (column-major),
// applied as Gemv, Hadamard, Gemv without forming A.
func spectralOp(t testing.TB, b engine.Backend, q []float64, d []float64) Operator {
	n := len(d)
	qb, db := mustUpload(t, b, q), mustUpload(t, b, d)
	tmp, err := b.Alloc(engine.Float64, n)
	if err != nil {
		t.Fatal(err)
	}
	return Operator{Dim: n, Apply: func(x, y engine.Buffer) error {
		if err := b.Gemv(engine.Trans, n, n, 1, qb, n, x, 1, 0, tmp, 1); err != nil {
			return err
		}
		if err := b.Hadamard(db, tmp, tmp); err != nil {
			return err
		}
		return b.Gemv(engine.NoTrans, n, n, 1, qb, n, tmp, 1, 0, y, 1)
	}}
}

// diagOp is A = diag(d).
func diagOp(t testing.TB, b engine.Backend, d []float64) Operator {
	db := mustUpload(t, b, d)
	return Operator{Dim: len(d), Apply: func(x, y engine.Buffer) error {
		return b.Hadamard(db, x, y)
	}}
}

// goe returns a symmetric n x n matrix with N(0, 1/n) entries (N(0, 2/n) on
// the diagonal): spectrum near the semicircle on [-2, 2].
func goe(r *rand.Rand, n int) []float64 {
	a := make([]float64, n*n)
	s := 1 / math.Sqrt(float64(n))
	for i := 0; i < n; i++ {
		a[i*n+i] = math.Sqrt2 * s * r.NormFloat64()
		for j := i + 1; j < n; j++ {
			x := s * r.NormFloat64()
			a[i*n+j], a[j*n+i] = x, x
		}
	}
	return a
}

// orthogonal returns a Haar-like random orthogonal n x n matrix (Q of the QR
// of a Gaussian matrix, signs fixed by R's diagonal), column-major.
func orthogonal(r *rand.Rand, n int) []float64 {
	g := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g.Set(i, j, r.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	out := make([]float64, n*n)
	for j := 0; j < n; j++ {
		sign := 1.0
		if rr.At(j, j) < 0 {
			sign = -1
		}
		for i := 0; i < n; i++ {
			out[j*n+i] = sign * q.At(i, j)
		}
	}
	return out
}

// rotated forms Q diag(d) Q^T densely (row-major, symmetric).
func rotated(q []float64, d []float64) []float64 {
	n := len(d)
	qm := mat.NewDense(n, n, nil)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			qm.Set(i, j, q[j*n+i])
		}
	}
	var qd, a mat.Dense
	qd.Apply(func(i, j int, v float64) float64 { return v * d[j] }, qm)
	a.Mul(&qd, qm.T())
	out := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			out[i*n+j] = 0.5 * (a.At(i, j) + a.At(j, i))
		}
	}
	return out
}

// eigenvalues of a dense symmetric matrix by gonum (the oracle), ascending.
func eigenvalues(t testing.TB, a []float64, n int) []float64 {
	t.Helper()
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(n, slices.Clone(a)), false) {
		t.Fatal("EigenSym did not converge")
	}
	return es.Values(nil)
}

// wanted returns the k wanted eigenvalues of ev in the order Lanczos
// reports them, sorted here independently of the code under test. Among
// equal magnitudes the larger value comes first.
func wanted(ev []float64, k int, which Which) []float64 {
	out := slices.Clone(ev)
	switch which {
	case Largest:
		slices.SortFunc(out, func(a, b float64) int { return cmpFloat(b, a) })
	case Smallest:
		slices.Sort(out)
	case LargestMagnitude:
		slices.SortFunc(out, func(a, b float64) int {
			if c := cmpFloat(math.Abs(b), math.Abs(a)); c != 0 {
				return c
			}
			return cmpFloat(b, a)
		})
	}
	return out[:k]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
