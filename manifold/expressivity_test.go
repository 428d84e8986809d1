package manifold

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// TestFitErrorsLinearNetwork: the last layer of a linear network on half a
// circle x(theta) = r (u0 cos theta + u1 sin theta) spans exactly
// {1, cos theta, sin theta}, so FitErrors must equal a direct least-squares
// fit on that 3-function basis (QR on the host: the independent oracle), in
// both the feature-space branch (N+1 <= P) and the sample-space one
// (N+1 > P). Tolerance 1e-9: the Gram matrices square the condition number,
// so their rounding (1e-16 relative) reaches the fit at about 1e-12 here.
func TestFitErrorsLinearNetwork(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct{ N, P int }{{8, 60}, {40, 25}} {
		net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: []int{c.N, c.N, c.N}, Act: mustAct(t, "linear"), SigmaW: 1.2, SigmaB: 0.4, Seed: 3})
		x, err := HalfCircle(c.N, c.P, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		const K = 4
		y, _ := FourierTargets(c.P, K)
		got, err := FitErrors(b, net, x, c.P, y, 2*K, 0)
		if err != nil {
			t.Fatal(err)
		}
		basis := mat.NewDense(c.P, 3, nil)
		for j := 0; j < c.P; j++ {
			th := math.Pi * float64(j) / float64(c.P-1)
			basis.Set(j, 0, 1)
			basis.Set(j, 1, math.Cos(th))
			basis.Set(j, 2, math.Sin(th))
		}
		var qr mat.QR
		qr.Factorize(basis)
		for k := 0; k < 2*K; k++ {
			yk := mat.NewVecDense(c.P, append([]float64(nil), y[k*c.P:(k+1)*c.P]...))
			var coef mat.VecDense
			if err := qr.SolveVecTo(&coef, false, yk); err != nil {
				t.Fatal(err)
			}
			var fit mat.VecDense
			fit.MulVec(basis, &coef)
			want := 1 - mat.Norm(&fit, 2)/mat.Norm(yk, 2)
			if !(math.Abs(got[k]-want) <= 1e-9) {
				t.Errorf("N %d P %d target %d: error %v, direct least squares %v", c.N, c.P, k, got[k], want)
			}
		}
	}
}
