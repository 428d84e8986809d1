package models

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
)

// denseJacobian is JacobianMatrix as a gonum matrix (its jets are checked
// against finite differences in random_test.go).
func denseJacobian(t *testing.T, b engine.Backend, n *RandomNetwork, x []float64) *mat.Dense {
	h, err := n.JacobianMatrix(b, x)
	if err != nil {
		t.Fatal(err)
	}
	NL, N0 := n.Width(n.Depth()), n.Width(0)
	J := mat.NewDense(NL, N0, nil)
	for j := 0; j < N0; j++ {
		for i := 0; i < NL; i++ {
			J.Set(i, j, h[j*NL+i])
		}
	}
	return J
}

// TestJacobianProducts: J v equals the dense Jacobian from jets times v,
// and J^T is its adjoint, <J v, u> = <v, J^T u>, to rounding (1e-12
// relative), for rectangular widths and both input conventions.
func TestJacobianProducts(t *testing.T) {
	b := enginetest.Open(t)
	for _, actIn := range []bool{false, true} {
		n, _ := NewRandomNetwork(RandomSpec{Widths: []int{7, 20, 13, 9}, Act: act(t, "tanh"), SigmaW: 1.8, SigmaB: 0.2, Seed: 5, ActivateInput: actIn})
		x := make([]float64, 7)
		rng.FillNormal(x, 1, 1, 0)
		J := denseJacobian(t, b, n, x)
		jac, err := n.NewJacobian(b, x)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, 7)
		u := make([]float64, 9)
		rng.FillNormal(v, 2, 2, 0)
		rng.FillNormal(u, 3, 3, 0)
		jv, _ := b.Alloc(engine.Float64, 9)
		jtu, _ := b.Alloc(engine.Float64, 7)
		if err := jac.Apply(up(t, b, v), jv); err != nil {
			t.Fatal(err)
		}
		if err := jac.ApplyTranspose(up(t, b, u), jtu); err != nil {
			t.Fatal(err)
		}
		got, gotT := down(t, b, jv), down(t, b, jtu)
		var want mat.VecDense
		want.MulVec(J, mat.NewVecDense(7, v))
		for i := range got {
			if !(math.Abs(got[i]-want.AtVec(i)) <= 1e-12*(1+math.Abs(want.AtVec(i)))) {
				t.Errorf("activate-input %v: (J v)[%d] = %v, dense %v", actIn, i, got[i], want.AtVec(i))
			}
		}
		lhs, rhs := 0.0, 0.0
		for i := range got {
			lhs += got[i] * u[i]
		}
		for i := range gotT {
			rhs += v[i] * gotT[i]
		}
		if !(math.Abs(lhs-rhs) <= 1e-12*(math.Abs(lhs)+1)) {
			t.Errorf("activate-input %v: <Jv,u> = %v, <v,J^T u> = %v", actIn, lhs, rhs)
		}
		jac.Close()
	}
}

// TestJacobianGramEigenvalues: the eigenvalues of J^T J through Gram are
// the squared singular values of the dense J (gonum's SVD): checked on the
// full operator by building J^T J column by column, to 1e-10 relative.
func TestJacobianGramEigenvalues(t *testing.T) {
	b := enginetest.Open(t)
	const N = 30
	n, _ := NewRandomNetwork(RandomSpec{Widths: UniformWidths(N, 6), Act: act(t, "erf"), SigmaW: 1.2, SigmaB: 0.1, Law: Orthogonal, Seed: 8, ActivateInput: true})
	x := make([]float64, N)
	rng.FillNormal(x, 4, 4, 0)
	J := denseJacobian(t, b, n, x)
	var svd mat.SVD
	svd.Factorize(J, mat.SVDNone)
	want := svd.Values(nil)
	jac, err := n.NewJacobian(b, x)
	if err != nil {
		t.Fatal(err)
	}
	defer jac.Close()
	G := mat.NewSymDense(N, nil)
	tmp, _ := b.Alloc(engine.Float64, N)
	y, _ := b.Alloc(engine.Float64, N)
	for j := 0; j < N; j++ {
		e := make([]float64, N)
		e[j] = 1
		if err := jac.Gram(up(t, b, e), y, tmp); err != nil {
			t.Fatal(err)
		}
		col := down(t, b, y)
		for i := 0; i <= j; i++ {
			G.SetSym(i, j, col[i])
		}
	}
	var eig mat.EigenSym
	eig.Factorize(G, false)
	got := eig.Values(nil)
	sort.Sort(sort.Reverse(sort.Float64Slice(got)))
	for i := range want {
		if !(math.Abs(got[i]-want[i]*want[i]) <= 1e-10*want[0]*want[0]) {
			t.Errorf("eigenvalue %d of J^T J = %v, squared singular value %v", i, got[i], want[i]*want[i])
		}
	}
}
