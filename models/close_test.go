package models

import (
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
)

// TestCloseReturnsEverything: every type of the package that holds
// buffers (Network, Data, Evaluator, Hessian in both modes, Jacobian)
// gives back every element it allocated on Close, after each of its
// operations has run (with a product layer, whose passes take scratch), so the live count on a counting backend is exactly
// zero at the end; a second Close is harmless and returns nil.
func TestCloseReturnsEverything(t *testing.T) {
	c := &countingBackend{Backend: enginetest.Open(t), sizes: map[engine.Buffer]int{}}
	spec := mixedSpec(t, CrossEntropy)
	n, err := NewNetwork(c, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetParams(randVec(n.NumParams(), 71, 0.5)); err != nil {
		t.Fatal(err)
	}
	d, _, _ := smallData(t, c, 5, 6, 3, CrossEntropy, 72)
	e, err := n.NewEvaluator(2)
	if err != nil {
		t.Fatal(err)
	}
	v, err := n.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	out, err := n.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(v, randVec(n.NumParams(), 73, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Gradient(n.Params(), d, out); err != nil {
		t.Fatal(err)
	}
	if err := e.HVP(n.Params(), d, v, out); err != nil {
		t.Fatal(err)
	}
	if err := e.GaussNewton(n.Params(), d, v, out); err != nil {
		t.Fatal(err)
	}
	var closers []interface{ Close() error }
	for _, gn := range []bool{false, true} {
		h, err := NewHessian(n, n.Params(), d, HessianOptions{Chunk: 2, GaussNewton: gn})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Apply(v, out); err != nil {
			t.Fatal(err)
		}
		closers = append(closers, h)
	}
	rn, err := NewRandomNetwork(RandomSpec{Widths: []int{4, 5, 3}, Act: act(t, "tanh"), SigmaW: 1.2, SigmaB: 0.1, Seed: 3,
		Kinds: []layerkind.Kind{layerkind.Product, layerkind.Dense}})
	if err != nil {
		t.Fatal(err)
	}
	j, err := rn.NewJacobian(c, []float64{0.1, -0.4, 0.3, 0.8})
	if err != nil {
		t.Fatal(err)
	}
	jx, jv, ju := up(t, c, []float64{1, 0, -1, 2}), alloc(t, c, 3), alloc(t, c, 4)
	if err := j.Apply(jx, jv); err != nil {
		t.Fatal(err)
	}
	if err := j.ApplyTranspose(jv, ju); err != nil {
		t.Fatal(err)
	}
	for _, x := range []engine.Buffer{v, out, jx, jv, ju} {
		if err := c.Free(x); err != nil {
			t.Fatal(err)
		}
	}
	closers = append(closers, j, e, d, n)
	for _, x := range closers {
		if err := x.Close(); err != nil {
			t.Fatalf("%T: Close: %v", x, err)
		}
		if err := x.Close(); err != nil {
			t.Errorf("%T: second Close: %v", x, err)
		}
	}
	if c.live != 0 || len(c.sizes) != 0 {
		t.Errorf("after Close: %d elements still allocated in %d buffers", c.live, len(c.sizes))
	}
}
