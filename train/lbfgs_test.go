package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestTwoLoopIsDenseBFGS: L-BFGS's two-loop recursion gives the direction
// -H g of the dense BFGS inverse-Hessian update (Nocedal and Wright, eq.
// 6.17) started from H0 = (s.y / y.y) I of the newest pair and applied to
// the stored pairs oldest first, H <- (I - rho s y^T) H (I - rho y s^T) +
// rho s s^T, built here with gonum matrices. The pairs are y = A s for a
// random symmetric positive definite A (so s.y > 0), stored in a ring of
// 5 slots whose oldest pair is not in slot 0. Tolerance 1e-12 relative:
// both are a few dozen O(1) operations in float64.
func TestTwoLoopIsDenseBFGS(t *testing.T) {
	const P, m = 7, 5
	r := rand.New(rand.NewPCG(3, 4))
	B := mat.NewDense(P, P, nil)
	for i := 0; i < P; i++ {
		for j := 0; j < P; j++ {
			B.Set(i, j, r.NormFloat64())
		}
	}
	var A mat.Dense
	A.Mul(B.T(), B)
	for i := 0; i < P; i++ {
		A.Set(i, i, A.At(i, i)+1)
	}
	b := enginetest.Open(t)
	for _, stored := range []int{0, 1, 3, 5} {
		newest := (2 + stored - 1 + m) % m // pairs in slots 2, 3, 4, 0, 1
		sc := engine.NewScope(b)
		S, Y := make([]engine.Buffer, m), make([]engine.Buffer, m)
		hostS, hostY := make([][]float64, m), make([][]float64, m)
		rho := make([]float64, m)
		for k := 0; k < m; k++ {
			s := make([]float64, P)
			for i := range s {
				s[i] = r.NormFloat64()
			}
			var y mat.VecDense
			y.MulVec(&A, mat.NewVecDense(P, s))
			hostS[k], hostY[k] = s, y.RawVector().Data
			S[k], Y[k] = sc.FromHost(s), sc.FromHost(hostY[k])
			rho[k] = 1 / mat.Dot(mat.NewVecDense(P, s), &y)
		}
		g := make([]float64, P)
		for i := range g {
			g[i] = r.NormFloat64()
		}
		gb, d := sc.FromHost(g), sc.Alloc(P)
		twoLoop(sc, P, gb, d, S, Y, rho, make([]float64, m), stored, newest)
		got := make([]float64, P)
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		if err := b.Download(got, d); err != nil {
			t.Fatal(err)
		}
		sc.Close()

		// Dense BFGS from H0 = gamma I, oldest pair first.
		H := mat.NewDense(P, P, nil)
		gamma := 1.0
		if stored > 0 {
			sn, yn := mat.NewVecDense(P, hostS[newest]), mat.NewVecDense(P, hostY[newest])
			gamma = mat.Dot(sn, yn) / mat.Dot(yn, yn)
		}
		for i := 0; i < P; i++ {
			H.Set(i, i, gamma)
		}
		for k := stored - 1; k >= 0; k-- {
			i := (newest - k + m) % m
			s, y := mat.NewVecDense(P, hostS[i]), mat.NewVecDense(P, hostY[i])
			var V, left, next, ss mat.Dense
			V.Outer(-rho[i], y, s) // I - rho y s^T
			for j := 0; j < P; j++ {
				V.Set(j, j, V.At(j, j)+1)
			}
			left.Mul(V.T(), H)
			next.Mul(&left, &V)
			ss.Outer(rho[i], s, s)
			H.Add(&next, &ss)
		}
		var want mat.VecDense
		want.MulVec(H, mat.NewVecDense(P, g))
		scale := mat.Norm(&want, 2)
		for i := range got {
			if !(math.Abs(got[i]+want.AtVec(i)) <= 1e-12*scale) {
				t.Errorf("%d pairs: d[%d] = %.15g, dense BFGS -H g = %.15g", stored, i, got[i], -want.AtVec(i))
			}
		}
	}
}
