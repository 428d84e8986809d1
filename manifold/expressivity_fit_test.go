package manifold

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestProjectionNormsAgainstSVD: |P y|^2 for the projection on the row
// space of a feature matrix X = A B of rank k (F x P, k < min(F, P), and
// full-rank ones; F not a multiple of the QR's panel width) against the
// independent oracle, gonum's SVD of X on the host: the left singular
// vectors of X^T with singular values above 1e-8 of the largest (the
// rank-k construction leaves the others at rounding level, 1e-15, the
// kept ones are above 1e-3). Both branches are exercised, F <= P (QR of
// X^T with the targets) and F > P (QR of X), and the rank must be k
// exactly. Tolerance 1e-10 relative to |y|^2: both are backward stable
// factorisations, whose rounding reaches |P y|^2 at about 1e-14.
func TestProjectionNormsAgainstSVD(t *testing.T) {
	b := enginetest.Open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ F, P, k int }{{30, 80, 12}, {90, 40, 25}, {20, 60, 20}, {50, 50, 50}, {70, 150, 70}, {150, 70, 40}} {
		a := mat.NewDense(c.F, c.k, nil)
		bb := mat.NewDense(c.k, c.P, nil)
		for i := 0; i < c.F; i++ {
			for j := 0; j < c.k; j++ {
				a.Set(i, j, rng.NormFloat64())
			}
		}
		for i := 0; i < c.k; i++ {
			for j := 0; j < c.P; j++ {
				bb.Set(i, j, rng.NormFloat64())
			}
		}
		var x mat.Dense
		x.Mul(a, bb)
		host := make([]float64, c.F*c.P) // column-major F x P
		for j := 0; j < c.P; j++ {
			for i := 0; i < c.F; i++ {
				host[i+j*c.F] = x.At(i, j)
			}
		}
		const T = 7
		y := make([]float64, c.P*T)
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		xb, err := engine.FromHost(b, host)
		if err != nil {
			t.Fatal(err)
		}
		got, rank, err := projectionNorms(b, xb, c.F, c.P, y, T, DefaultRankCutoff)
		b.Free(xb)
		if err != nil {
			t.Fatal(err)
		}
		if rank != c.k {
			t.Errorf("F %d P %d: rank %d; want %d", c.F, c.P, rank, c.k)
		}
		var svd mat.SVD
		if !svd.Factorize(x.T(), mat.SVDThin) {
			t.Fatal("svd failed")
		}
		var u mat.Dense
		svd.UTo(&u) // P x min(F, P)
		s := svd.Values(nil)
		for tt := 0; tt < T; tt++ {
			yk := y[tt*c.P : (tt+1)*c.P]
			want, y2 := 0.0, 0.0
			for _, v := range yk {
				y2 += v * v
			}
			for e, sv := range s {
				if sv <= 1e-8*s[0] {
					continue
				}
				d := 0.0
				for i := 0; i < c.P; i++ {
					d += u.At(i, e) * yk[i]
				}
				want += d * d
			}
			if !(math.Abs(got[tt]-want) <= 1e-10*y2) {
				t.Errorf("F %d P %d k %d, target %d: |Py|^2 %v, SVD %v (|y|^2 %v)", c.F, c.P, c.k, tt, got[tt], want, y2)
			}
		}
	}
}
