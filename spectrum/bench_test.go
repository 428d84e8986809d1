package spectrum

import (
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// benchDiag is a cheap operator of dimension n on b: diag(1, 2, ..., n)/n,
// so that a benchmark measures the Lanczos machinery more than the product.
func benchDiag(tb testing.TB, b engine.Backend, n int) Operator {
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(i+1) / float64(n)
	}
	return diagOp(tb, b, d)
}

// BenchmarkLanczosStep times one Lanczos step at Dim 1e5 with a basis of
// 40: the product, two (or three) Gram-Schmidt passes of two Gemv each
// over the basis, the norms and the scaling. When the basis fills it is cut
// back to 20 vectors, without a restart's cost, so every timed step runs
// against 21 to 40 basis vectors (30 on average).
func BenchmarkLanczosStep(bm *testing.B) {
	const n, m = 100_000, 40
	b := enginetest.Open(bm)
	op := benchDiag(bm, b, n)
	s, err := newBasis(b, n, m+1)
	if err != nil {
		bm.Fatal(err)
	}
	defer s.free()
	lz := &lanczos{s: s, op: op, k: 1, m: m, tol: DefaultTol,
		h: make([]float64, m*m), leak: make([]float64, m+1), coef: make([]float64, m+1)}
	if err := b.FillNormal(s.col[0], 1, 0, 0, 1); err != nil {
		bm.Fatal(err)
	}
	norm, _ := b.Nrm2(n, s.col[0], 1)
	s.normalize(0, norm)
	for lz.nb < m/2 {
		if err := lz.step(1); err != nil {
			bm.Fatal(err)
		}
	}
	bm.ResetTimer()
	for bm.Loop() {
		if lz.nb == m {
			lz.nb = m / 2
		}
		if err := lz.step(1); err != nil {
			bm.Fatal(err)
		}
	}
}

// BenchmarkLanczos times a whole run at Dim 1e5 on a Hessian-like
// spectrum (a bulk in (0, 1] and outliers 2, 3, ..., 6): the 5 largest
// pairs to the default Tol with the default basis; products and restarts
// are reported per run.
func BenchmarkLanczos(bm *testing.B) {
	const n = 100_000
	b := enginetest.Open(bm)
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(i+1) / float64(n)
	}
	copy(d, []float64{2, 3, 4, 5, 6})
	op := diagOp(bm, b, d)
	var res LanczosResult
	for bm.Loop() {
		var err error
		if res, err = Lanczos(b, op, LanczosOptions{K: 5}); err != nil {
			bm.Fatal(err)
		}
	}
	bm.ReportMetric(float64(res.MatVecs), "products/op")
	bm.ReportMetric(float64(res.Restarts), "restarts/op")
}

// BenchmarkSLQ times stochastic Lanczos quadrature at Dim 1e5: 4 vectors of
// 30 steps (120 products) of the diagonal operator.
func BenchmarkSLQ(bm *testing.B) {
	const n = 100_000
	b := enginetest.Open(bm)
	op := benchDiag(bm, b, n)
	for bm.Loop() {
		if _, err := SLQ(b, op, SLQOptions{Vectors: 4, Steps: 30, Seed: 1}); err != nil {
			bm.Fatal(err)
		}
	}
}
