package models

import (
	"math"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/spectrum"
)

// mixedSpec is dense (6 -> 6, tanh) -> attention (D = 2, T = 3, residual)
// -> product (6 -> 4) -> dense (4 -> 3, linear): every layer kind in one
// network.
func mixedSpec(t *testing.T, loss Loss) NetworkSpec {
	return NetworkSpec{Widths: []int{6, 6, 6, 4, 3}, Act: act(t, "tanh"), Loss: loss, TokenDim: 2, Residual: true,
		Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Attention, layerkind.Product, layerkind.Dense}}
}

// TestHessianLanczosAllKinds: for the network of every layer kind (both
// losses, 4 samples), Lanczos on the Hessian operator (with thick
// restarts: a basis of 12, far below the parameter count) finds the 4
// largest and the 4 smallest eigenvalues of the dense Hessian assembled
// from HVP columns (symmetrised) and diagonalised by gonum's EigenSym: an
// independent dense solver on the same products. The HVP Hessian is
// symmetric to ~1e-10 relative (rounding), and Lanczos converges to a
// 1e-10 relative residual: tolerance 1e-7 of the spectral radius.
func TestHessianLanczosAllKinds(t *testing.T) {
	b := enginetest.Open(t)
	const N, K = 4, 4
	for _, loss := range []Loss{SquaredError, CrossEntropy} {
		n, err := NewNetwork(b, mixedSpec(t, loss))
		if err != nil {
			t.Fatal(err)
		}
		P := n.NumParams()
		if err := n.SetParams(randVec(P, 61, 0.6)); err != nil {
			t.Fatal(err)
		}
		tg := make([]float64, 3*N)
		labels := make([]int, N)
		for j := range N {
			labels[j] = (j + 1) % 3
			tg[j*3+labels[j]] = 1
		}
		d, err := NewData(b, randVec(6*N, 62, 1), 6, tg, 3, labels)
		if err != nil {
			t.Fatal(err)
		}
		op, err := NewHessian(n, n.Params(), d, HessianOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if op.Dim() != P {
			t.Fatalf("Dim %d, want NumParams %d", op.Dim(), P)
		}
		cols := denseOperator(t, b, P, op.Apply)
		H := mat.NewSymDense(P, nil)
		for i := range P {
			for j := i; j < P; j++ {
				H.SetSym(i, j, (cols[i*P+j]+cols[j*P+i])/2)
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
			res, err := spectrum.Lanczos(b, spectrum.Operator{Dim: op.Dim(), Apply: op.Apply}, spectrum.LanczosOptions{K: K, Which: which, MaxBasis: 12})
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
				if !(math.Abs(p.Value-want) <= 1e-7*radius) {
					t.Errorf("%v %v: eigenvalue %d = %.12g, dense %.12g (spectral radius %.3g)", loss, which, i, p.Value, want, radius)
				}
			}
		}
		op.Close()
		d.Close()
		n.Close()
	}
}

// TestHessianErrors: parameters of the wrong length and data that do not
// fit the network are refused.
func TestHessianErrors(t *testing.T) {
	b := enginetest.Open(t)
	n, err := NewNetwork(b, mixedSpec(t, SquaredError))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	d, _, _ := smallData(t, b, 2, 6, 3, SquaredError, 1)
	if _, err := NewHessian(n, alloc(t, b, n.NumParams()+1), d, HessianOptions{}); err == nil {
		t.Error("wrong parameter length: no error")
	}
	wrong, _, _ := smallData(t, b, 2, 5, 3, SquaredError, 1)
	if _, err := NewHessian(n, n.Params(), wrong, HessianOptions{}); err == nil || !strings.Contains(err.Error(), "features") {
		t.Errorf("data with 5 features for 6: %v", err)
	}
	h, err := NewHessian(n, n.Params(), d, HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Apply(alloc(t, b, 3), alloc(t, b, n.NumParams())); err == nil {
		t.Error("short direction: no error")
	}
}
