package models

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
)

// Shared finite-difference checks for every Layer. The scalar test function
// is
//
//	L(theta, x) = <r, y> + 1/2 |y|^2,   y = f(theta, x)
//
// with r fixed: its output gradient gy = r + y and R{gy} = R{y} exercise
// every term of Backward, RForward and RBackward (a nonzero R{gy}, the
// curvature of the layer itself and the input tangent).

// randVec returns n Philox normals of stream s times scale.
func randVec(n int, s uint64, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.Normal(77, s, uint64(i))
	}
	return v
}

// fd4 returns the fourth-order central first and second differences of f
// at step h: (f(-2h) - 8 f(-h) + 8 f(h) - f(2h))/12h and (-f(-2h) + 16 f(-h)
// - 30 f(0) + 16 f(h) - f(2h))/12h^2, elementwise.
func fd4(f func(s float64) []float64, h float64) (d1, d2 []float64) {
	m2, m1, z, p1, p2 := f(-2*h), f(-h), f(0), f(h), f(2*h)
	d1, d2 = make([]float64, len(z)), make([]float64, len(z))
	for i := range z {
		d1[i] = (m2[i] - 8*m1[i] + 8*p1[i] - p2[i]) / (12 * h)
		d2[i] = (-m2[i] + 16*m1[i] - 30*z[i] + 16*p1[i] - p2[i]) / (12 * h * h)
	}
	return d1, d2
}

// axpy returns x + s y.
func axpy(x []float64, s float64, y []float64) []float64 {
	z := make([]float64, len(x))
	for i := range x {
		z[i] = x[i] + s*y[i]
	}
	return z
}

// relErr is max |got - want| / max(1, max |want|).
func relErr(got, want []float64) float64 {
	e := 0.0
	for i := range got {
		e = math.Max(e, math.Abs(got[i]-want[i]))
	}
	return e / math.Max(1, maxAbs(want))
}

// layerCase is a layer at a point (theta, x) with a batch of inputs.
type layerCase struct {
	name  string
	layer Layer
	theta []float64
	x     []float64
	batch int
	h     float64 // finite-difference step; 0 means 1e-3
}

func (c layerCase) step() float64 {
	if c.h == 0 {
		return 1e-3
	}
	return c.h
}

func forwardHost(t *testing.T, b engine.Backend, c layerCase, theta, x []float64) []float64 {
	t.Helper()
	y, err := b.Alloc(engine.Float64, c.layer.OutDim()*c.batch)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(y)
	if err := c.layer.Forward(up(t, b, theta), up(t, b, x), c.batch, y); err != nil {
		t.Fatal(err)
	}
	return down(t, b, y)
}

func alloc(t testing.TB, b engine.Backend, n int) engine.Buffer {
	t.Helper()
	x, err := b.Alloc(engine.Float64, n)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// scalarLoss is L = <r, y> + |y|^2/2 and its output gradient r + y.
func scalarLoss(r, y []float64) (float64, []float64) {
	l, g := 0.0, make([]float64, len(y))
	for i := range y {
		l += r[i]*y[i] + 0.5*y[i]*y[i]
		g[i] = r[i] + y[i]
	}
	return l, g
}

// gradients runs Forward and Backward with gy = r + y and returns
// (gtheta, gx).
func gradients(t *testing.T, b engine.Backend, c layerCase, r, theta, x []float64) ([]float64, []float64) {
	t.Helper()
	y := forwardHost(t, b, c, theta, x)
	_, gy := scalarLoss(r, y)
	gx, gth := alloc(t, b, len(x)), alloc(t, b, len(theta))
	if err := c.layer.Backward(up(t, b, theta), up(t, b, gy), gx, gth); err != nil {
		t.Fatal(err)
	}
	return down(t, b, gth), down(t, b, gx)
}

// hvp returns (R{gtheta}, R{gx}) along (dtheta, rx): the Hessian of L in
// (theta, x) applied to (dtheta, rx).
func hvp(t *testing.T, b engine.Backend, c layerCase, r, dtheta, rx []float64) ([]float64, []float64) {
	t.Helper()
	gradients(t, b, c, r, c.theta, c.x)
	th := up(t, b, c.theta)
	dth := up(t, b, dtheta)
	ry := alloc(t, b, c.layer.OutDim()*c.batch)
	var rxb engine.Buffer
	if rx != nil {
		rxb = up(t, b, rx)
	}
	if err := c.layer.RForward(th, dth, rxb, ry); err != nil {
		t.Fatal(err)
	}
	rgx, rgth := alloc(t, b, len(c.x)), alloc(t, b, len(c.theta))
	// R{gy} = R{r + y} = R{y}.
	if err := c.layer.RBackward(th, dth, ry, rgx, rgth); err != nil {
		t.Fatal(err)
	}
	return down(t, b, rgth), down(t, b, rgx)
}

// checkLayer runs every finite-difference check on c.
func checkLayer(t *testing.T, b engine.Backend, c layerCase) {
	L := c.layer
	nIn, nOut, P := L.InDim()*c.batch, L.OutDim()*c.batch, L.NumParams()
	v, a := randVec(nIn, 11, 1), randVec(nIn, 12, 1)
	r := randVec(nOut, 13, 1)

	// Jet: y, dy, ddy of the curve x(s) = x + s v + s^2/2 a at s = 0 against
	// 4th-order differences at h = 1e-3: truncation ~h^4 f^(5) ~ 1e-12,
	// rounding ~ eps |f| / h ~ 1e-13 (first) and eps |f| / h^2 ~ 1e-10
	// (second), so 1e-8 and 1e-6 relative leave margin.
	t.Run(c.name+"/jet", func(t *testing.T) {
		y, dy, ddy := alloc(t, b, nOut), alloc(t, b, nOut), alloc(t, b, nOut)
		if err := L.Jet(up(t, b, c.theta), up(t, b, c.x), up(t, b, v), up(t, b, a), c.batch, y, dy, ddy); err != nil {
			t.Fatal(err)
		}
		curve := func(s float64) []float64 {
			return forwardHost(t, b, c, c.theta, axpy(axpy(c.x, s, v), s*s/2, a))
		}
		d1, d2 := fd4(curve, c.step())
		within(t, "jet value differs from Forward", relErr(down(t, b, y), curve(0)), 1e-14)
		within(t, "jet dy vs finite differences", relErr(down(t, b, dy), d1), 1e-8)
		within(t, "jet ddy vs finite differences", relErr(down(t, b, ddy), d2), 1e-6)
	})

	// Backward: every component of (gtheta, gx) against 4th-order
	// differences of L at h = 1e-3 (truncation ~1e-12, rounding ~
	// eps |L| / h ~ 1e-12): 1e-8 relative.
	t.Run(c.name+"/gradient", func(t *testing.T) {
		r := r
		gth, gx := gradients(t, b, c, r, c.theta, c.x)
		loss := func(theta, x []float64) []float64 {
			l, _ := scalarLoss(r, forwardHost(t, b, c, theta, x))
			return []float64{l}
		}
		fth, fx := make([]float64, P), make([]float64, nIn)
		for k := range P {
			e := make([]float64, P)
			e[k] = 1
			d, _ := fd4(func(s float64) []float64 { return loss(axpy(c.theta, s, e), c.x) }, c.step())
			fth[k] = d[0]
		}
		for k := range nIn {
			e := make([]float64, nIn)
			e[k] = 1
			d, _ := fd4(func(s float64) []float64 { return loss(c.theta, axpy(c.x, s, e)) }, c.step())
			fx[k] = d[0]
		}
		within(t, "parameter gradient vs finite differences", relErr(gth, fth), 1e-8)
		within(t, "input gradient vs finite differences", relErr(gx, fx), 1e-8)
	})

	// R-operator: (R{gtheta}, R{gx}) along (dtheta, rx) against 4th-order
	// differences of the gradient along the same direction, h = 1e-3:
	// 1e-8 relative; once with rx = nil (a first layer: parameters only).
	t.Run(c.name+"/hvp", func(t *testing.T) {
		dth, rx := randVec(P, 14, 1), randVec(nIn, 15, 1)
		for _, withX := range []bool{true, false} {
			var rxIn []float64
			step := make([]float64, nIn)
			if withX {
				rxIn, step = rx, rx
			}
			hth, hx := hvp(t, b, c, r, dth, rxIn)
			g := func(s float64) []float64 {
				gt, gx := gradients(t, b, c, r, axpy(c.theta, s, dth), axpy(c.x, s, step))
				return append(gt, gx...)
			}
			d, _ := fd4(g, c.step())
			within(t, "HVP vs finite differences of the gradient", relErr(append(hth, hx...), d), 1e-8)
		}
	})

	// Symmetry: the full Hessian of L in (theta, x), assembled column by
	// column from R-operator products, is symmetric to 1e-10 relative (the
	// two triangles come from different formulas, so only rounding
	// separates them: ~1e-15 expected).
	t.Run(c.name+"/symmetric", func(t *testing.T) {
		n := P + nIn
		H := make([]float64, n*n)
		for k := range n {
			e := make([]float64, n)
			e[k] = 1
			ht, hx := hvp(t, b, c, r, e[:P], e[P:])
			copy(H[k*n:], ht)
			copy(H[k*n+P:], hx)
		}
		asym, mx := 0.0, maxAbs(H)
		for i := range n {
			for j := range i {
				asym = math.Max(asym, math.Abs(H[i*n+j]-H[j*n+i]))
			}
		}
		t.Logf("Hessian %d x %d: asymmetry %.3g of max %.3g", n, n, asym, mx)
		if mx == 0 || asym > 1e-10*mx {
			t.Errorf("Hessian asymmetry %.3g of max %.3g", asym, mx)
		}
	})
}

func TestProductLayerDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	p, err := NewProductLayer(b, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Free()
	checkLayer(t, b, layerCase{name: "product", layer: p, theta: randVec(p.NumParams(), 1, 0.7), x: randVec(4*3, 2, 1), batch: 3})
}

func TestAttentionLayerDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	for _, res := range []bool{false, true} {
		a, err := NewAttentionLayer(b, 3, 4, res)
		if err != nil {
			t.Fatal(err)
		}
		name := "attention"
		if res {
			name += "+residual"
		}
		// The softmax makes the fifth derivatives larger than the product
		// layer's: at h = 1e-3 the truncation error is ~1e-9 (it drops 256x
		// at h = 2.5e-4, so it is truncation); h = 2.5e-4 leaves ~1e-11
		// with the second-difference rounding eps |f| / h^2 ~ 1e-9.
		checkLayer(t, b, layerCase{name: name, layer: a, theta: randVec(a.NumParams(), 3, 0.8), x: randVec(3*4*2, 4, 1), batch: 2, h: 2.5e-4})
		a.Free()
	}
}

// within logs the error e of what and fails when it exceeds tol.
func within(t *testing.T, what string, e, tol float64) {
	t.Helper()
	t.Logf("%s: error %.3g (tolerance %.0g)", what, e, tol)
	if !(e <= tol) {
		t.Errorf("%s: error %.3g exceeds %.0g", what, e, tol)
	}
}

func TestDenseLayerDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	for _, name := range []string{"tanh", "softplus"} {
		l, err := NewDenseLayer(b, 4, 3, act(t, name).ID)
		if err != nil {
			t.Fatal(err)
		}
		checkLayer(t, b, layerCase{name: "dense-" + name, layer: l, theta: randVec(l.NumParams(), 5, 0.9), x: randVec(4*3, 6, 1), batch: 3, h: 2.5e-4})
		l.Free()
	}
}
