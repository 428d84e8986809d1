package models

import (
	"cmp"
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestStackOfDenseEqualsMLP: a Stack of DenseLayers (tanh hidden, linear
// output) with an MLP's parameters gives the MLP Evaluator's loss, gradient
// and HVP (independent implementations of the same maths, same layout):
// 1e-12 relative (rounding, different op orders).
func TestStackOfDenseEqualsMLP(t *testing.T) {
	b := enginetest.Open(t)
	widths := []int{3, 5, 4, 2}
	for _, loss := range []Loss{SquaredError, CrossEntropy} {
		net := smallNet(t, b, widths, "tanh", loss, 4)
		data, _, _ := smallData(t, b, 7, 3, 2, loss, 5)
		var layers []Layer
		for l := 1; l < len(widths); l++ {
			id := act(t, "tanh").ID
			if l == len(widths)-1 {
				id = act(t, "linear").ID
			}
			d, err := NewDenseLayer(b, widths[l-1], widths[l], id)
			if err != nil {
				t.Fatal(err)
			}
			layers = append(layers, d)
		}
		s, err := NewStack(b, loss, layers...)
		if err != nil {
			t.Fatal(err)
		}
		if s.NumParams() != net.NumParams() {
			t.Fatalf("stack has %d parameters, MLP %d", s.NumParams(), net.NumParams())
		}
		e := evaluator(t, net, 3)
		theta := net.Params()
		g1, g2 := alloc(t, b, s.NumParams()), alloc(t, b, s.NumParams())
		l1, err := s.Gradient(theta, data.X, data.T, data.N, g1)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := e.Gradient(theta, data, g2)
		if err != nil {
			t.Fatal(err)
		}
		within(t, loss.String()+" loss vs MLP", math.Abs(l1-l2)/math.Max(1, math.Abs(l2)), 1e-13)
		within(t, loss.String()+" gradient vs MLP", relErr(down(t, b, g1), down(t, b, g2)), 1e-12)
		v := up(t, b, randVec(s.NumParams(), 41, 1))
		if err := s.HVP(theta, data.X, data.T, data.N, v, g1); err != nil {
			t.Fatal(err)
		}
		if err := e.HVP(theta, data, v, g2); err != nil {
			t.Fatal(err)
		}
		within(t, loss.String()+" HVP vs MLP", relErr(down(t, b, g1), down(t, b, g2)), 1e-12)
		s.Free()
		e.Free()
		net.Free()
	}
}

// mixedStack is dense (6 -> 6, tanh) -> attention (D = 2, T = 3,
// residual) -> product (6 -> 4) -> dense (4 -> 3, linear).
func mixedStack(t *testing.T, b engine.Backend, loss Loss) *Stack {
	d1, err1 := NewDenseLayer(b, 6, 6, act(t, "tanh").ID)
	at, err2 := NewAttentionLayer(b, 2, 3, true)
	pr, err3 := NewProductLayer(b, 6, 4)
	d2, err4 := NewDenseLayer(b, 4, 3, act(t, "linear").ID)
	if err := cmp.Or(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	s, err := NewStack(b, loss, d1, at, pr, d2)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStackDerivatives: a stack of every layer type, both losses, batch 4.
// Gradient vs 4th-order differences of the loss; HVP vs 4th-order
// differences of the gradient; both at h = 2.5e-4 (truncation ~1e-12
// relative, rounding ~eps/h ~1e-12): 1e-8. The Hessian assembled from
// HVPs is symmetric to 1e-10 relative (rounding only). The jet of the
// logits along an input curve vs differences of Outputs: 1e-8 and 1e-6.
func TestStackDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	const N, h = 4, 2.5e-4
	for _, loss := range []Loss{SquaredError, CrossEntropy} {
		s := mixedStack(t, b, loss)
		P := s.NumParams()
		theta := randVec(P, 51, 0.6)
		x := up(t, b, randVec(6*N, 52, 1))
		tg := make([]float64, 3*N)
		for j := range N {
			tg[j*3+j%3] = 1
		}
		tb := up(t, b, tg)
		grad := func(th []float64) []float64 {
			g := alloc(t, b, P)
			if _, err := s.Gradient(up(t, b, th), x, tb, N, g); err != nil {
				t.Fatal(err)
			}
			return down(t, b, g)
		}
		lossAt := func(th []float64) []float64 {
			l, err := s.Loss(up(t, b, th), x, tb, N)
			if err != nil {
				t.Fatal(err)
			}
			return []float64{l}
		}
		g := grad(theta)
		fg := make([]float64, P)
		for k := range P {
			e := make([]float64, P)
			e[k] = 1
			d, _ := fd4(func(s float64) []float64 { return lossAt(axpy(theta, s, e)) }, h)
			fg[k] = d[0]
		}
		within(t, loss.String()+" stack gradient vs finite differences", relErr(g, fg), 1e-8)

		hvp := func(v []float64) []float64 {
			hv := alloc(t, b, P)
			if err := s.HVP(up(t, b, theta), x, tb, N, up(t, b, v), hv); err != nil {
				t.Fatal(err)
			}
			return down(t, b, hv)
		}
		v := randVec(P, 53, 1)
		d, _ := fd4(func(s float64) []float64 { return grad(axpy(theta, s, v)) }, h)
		within(t, loss.String()+" stack HVP vs finite differences", relErr(hvp(v), d), 1e-8)

		H := make([]float64, P*P)
		for k := range P {
			e := make([]float64, P)
			e[k] = 1
			copy(H[k*P:], hvp(e))
		}
		asym := 0.0
		for i := range P {
			for j := range i {
				asym = math.Max(asym, math.Abs(H[i*P+j]-H[j*P+i]))
			}
		}
		within(t, loss.String()+" stack Hessian asymmetry", asym/maxAbs(H), 1e-10)

		xv, vv, av := randVec(6*N, 54, 1), randVec(6*N, 55, 1), randVec(6*N, 56, 1)
		out := func(s2 float64) []float64 {
			z := alloc(t, b, 3*N)
			if err := s.Outputs(up(t, b, theta), up(t, b, axpy(axpy(xv, s2, vv), s2*s2/2, av)), N, z); err != nil {
				t.Fatal(err)
			}
			return down(t, b, z)
		}
		y, dy, ddy := alloc(t, b, 3*N), alloc(t, b, 3*N), alloc(t, b, 3*N)
		if err := s.Jet(up(t, b, theta), up(t, b, xv), up(t, b, vv), up(t, b, av), N, y, dy, ddy); err != nil {
			t.Fatal(err)
		}
		d1, d2 := fd4(out, h)
		within(t, loss.String()+" stack jet value", relErr(down(t, b, y), out(0)), 1e-14)
		within(t, loss.String()+" stack jet dy", relErr(down(t, b, dy), d1), 1e-8)
		within(t, loss.String()+" stack jet ddy", relErr(down(t, b, ddy), d2), 1e-6)
		s.Free()
	}
}
