package models

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/spectrum"
)

// TestStackHessianOperatorLanczos: for the mixed stack (dense, attention,
// product, dense; both losses, batch 4), Lanczos on the Hessian operator
// (with thick restarts: a basis of 12, far below the parameter count)
// finds the 4 largest and the 4 smallest eigenvalues of the dense Hessian
// assembled from HVP columns (symmetrised) and diagonalised by gonum's
// EigenSym: an independent dense solver on the same products. The HVP
// Hessian is symmetric to ~1e-10 relative (rounding), and Lanczos converges
// to a 1e-10 relative residual: tolerance 1e-7 of the spectral radius.
func TestStackHessianOperatorLanczos(t *testing.T) {
	b := enginetest.Open(t)
	const N, K = 4, 4
	for _, loss := range []Loss{SquaredError, CrossEntropy} {
		s := mixedStack(t, b, loss)
		P := s.NumParams()
		theta := up(t, b, randVec(P, 61, 0.6))
		x := up(t, b, randVec(6*N, 62, 1))
		tg := make([]float64, 3*N)
		for j := range N {
			tg[j*3+(j+1)%3] = 1
		}
		tb := up(t, b, tg)
		op, err := s.HessianOperator(theta, x, tb, N)
		if err != nil {
			t.Fatal(err)
		}
		if op.Dim != P {
			t.Fatalf("Dim %d, want NumParams %d", op.Dim, P)
		}
		// Dense Hessian, column k = H e_k.
		H := mat.NewSymDense(P, nil)
		cols := make([][]float64, P)
		e, hv := alloc(t, b, P), alloc(t, b, P)
		for k := range P {
			unit := make([]float64, P)
			unit[k] = 1
			if err := b.Upload(e, unit); err != nil {
				t.Fatal(err)
			}
			if err := op.Apply(e, hv); err != nil {
				t.Fatal(err)
			}
			cols[k] = down(t, b, hv)
		}
		for i := range P {
			for j := i; j < P; j++ {
				H.SetSym(i, j, (cols[j][i]+cols[i][j])/2)
			}
		}
		var es mat.EigenSym
		if !es.Factorize(H, false) {
			t.Fatal("EigenSym failed")
		}
		ev := es.Values(nil) // ascending
		sort.Float64s(ev)
		radius := math.Max(math.Abs(ev[0]), math.Abs(ev[P-1]))
		for _, which := range []spectrum.Which{spectrum.Largest, spectrum.Smallest} {
			res, err := spectrum.Lanczos(b, spectrum.Operator(op), spectrum.LanczosOptions{K: K, Which: which, MaxBasis: 12})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Converged || res.Restarts == 0 {
				t.Errorf("%v %v: converged %v after %d restarts; want convergence with restarts", loss, which, res.Converged, res.Restarts)
			}
			for i, p := range res.Pairs {
				want := ev[P-1-i]
				if which == spectrum.Smallest {
					want = ev[i]
				}
				if math.Abs(p.Value-want) > 1e-7*radius {
					t.Errorf("%v %v: eigenvalue %d = %.12g, dense %.12g (spectral radius %.3g)", loss, which, i, p.Value, want, radius)
				}
			}
		}
		s.Free()
	}
}

// TestStackHessianOperatorErrors: wrong lengths and batch are errors.
func TestStackHessianOperatorErrors(t *testing.T) {
	b := enginetest.Open(t)
	s := mixedStack(t, b, SquaredError)
	defer s.Free()
	P := s.NumParams()
	good := func(n int) engine.Buffer { return alloc(t, b, n) }
	if _, err := s.HessianOperator(good(P), good(6*2), good(3*2), 0); err == nil {
		t.Error("batch 0: no error")
	}
	if _, err := s.HessianOperator(good(P+1), good(6*2), good(3*2), 2); err == nil {
		t.Error("wrong parameter length: no error")
	}
	if _, err := s.HessianOperator(good(P), good(6*3), good(3*2), 2); err == nil {
		t.Error("wrong input length: no error")
	}
	if _, err := s.HessianOperator(good(P), good(6*2), good(3*3), 2); err == nil {
		t.Error("wrong target length: no error")
	}
}
