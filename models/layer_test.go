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
	layer layer
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

// harness runs one layer as a network of one step through the passes of
// stack.go (the passes every network runs), with the input's gradient and
// R-tangent wanted too.
type harness struct {
	b engine.Backend
	c layerCase
	p *passes
	// theta and dtheta of the last calls: the passes read their views.
	theta, dtheta engine.Buffer
}

func newHarness(t testing.TB, b engine.Backend, c layerCase) *harness {
	t.Helper()
	np := numParams(c.layer)
	st := &stack{steps: []step{{layer: c.layer, num: 1, np: np}}, np: np, last: []int{0, 0}}
	tp := newTape(b, st, c.batch, 0, nil)
	h := &harness{b: b, c: c, p: &passes{st: st, tp: tp, sc: engine.NewScope(b), cols: c.batch, inputGrad: true}}
	t.Cleanup(func() { tp.close(); h.p.sc.Close() })
	return h
}

// upOrNil uploads v, or returns nil for an empty v (a layer without
// parameters).
func upOrNil(t testing.TB, b engine.Backend, v []float64) engine.Buffer {
	if len(v) == 0 {
		return nil
	}
	return up(t, b, v)
}

// forward returns y = f(theta, x), keeping the state of every later pass.
func (h *harness) forward(t testing.TB, theta, x []float64) []float64 {
	t.Helper()
	h.theta = upOrNil(t, h.b, theta)
	h.p.x0 = up(t, h.b, x)
	y, err := h.p.forward(h.theta, needSecond)
	if err != nil {
		t.Fatal(err)
	}
	return down(t, h.b, y)
}

// set uploads v into the chunk's buffer of an item.
func (h *harness) set(t testing.TB, kind itemKind, i int, v []float64) {
	t.Helper()
	x := h.p.buf(kind, i, 0)
	if err := h.p.sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := h.b.Upload(x, v); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) get(t testing.TB, kind itemKind, i int) []float64 {
	t.Helper()
	x := h.p.buf(kind, i, 0)
	if err := h.p.sc.Err(); err != nil {
		t.Fatal(err)
	}
	return down(t, h.b, x)
}

func forwardHost(t *testing.T, b engine.Backend, c layerCase, theta, x []float64) []float64 {
	t.Helper()
	return newHarness(t, b, c).forward(t, theta, x)
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

// gradients runs forward and backward with gy = r + y and returns
// (gtheta, gx).
func (h *harness) gradients(t *testing.T, r, theta, x []float64) ([]float64, []float64) {
	t.Helper()
	y := h.forward(t, theta, x)
	_, gy := scalarLoss(r, y)
	h.set(t, chainG, 1, gy)
	gth := upOrNil(t, h.b, make([]float64, len(theta)))
	if err := h.p.backward(h.theta, gth, false); err != nil {
		t.Fatal(err)
	}
	var g []float64
	if gth != nil {
		g = down(t, h.b, gth)
	}
	return g, h.get(t, chainG, 0)
}

func gradients(t *testing.T, b engine.Backend, c layerCase, r, theta, x []float64) ([]float64, []float64) {
	return newHarness(t, b, c).gradients(t, r, theta, x)
}

// hvp returns (R{gtheta}, R{gx}) along (dtheta, rx): the Hessian of L in
// (theta, x) applied to (dtheta, rx).
func hvp(t *testing.T, b engine.Backend, c layerCase, r, dtheta, rx []float64) ([]float64, []float64) {
	t.Helper()
	h := newHarness(t, b, c)
	h.gradients(t, r, c.theta, c.x)
	h.dtheta = upOrNil(t, b, dtheta)
	var rxb engine.Buffer
	if rx != nil {
		rxb = up(t, b, rx)
	}
	if err := h.p.rforward(h.theta, h.dtheta, rxb); err != nil {
		t.Fatal(err)
	}
	// R{gy} = R{r + y} = R{y}.
	h.set(t, chainRG, 1, h.get(t, chainRX, 1))
	rgth := upOrNil(t, b, make([]float64, len(c.theta)))
	if err := h.p.rbackward(h.theta, h.dtheta, rgth); err != nil {
		t.Fatal(err)
	}
	var g []float64
	if rgth != nil {
		g = down(t, b, rgth)
	}
	return g, h.get(t, chainRG, 0)
}

// jetHost pushes the jet (x, v, a) through the layer and returns (y, dy,
// ddy).
func jetHost(t *testing.T, b engine.Backend, c layerCase, theta, x, v, a []float64) ([]float64, []float64, []float64) {
	t.Helper()
	L := c.layer
	sc := engine.NewScope(b)
	defer sc.Close()
	no := L.outDim() * c.batch
	y := alloc(t, b, 3*no)
	f := &frame{cols: c.batch, x: up(t, b, append(append(append([]float64(nil), x...), v...), a...)), y: y, sc: sc}
	L.jet(f, block{b, upOrNil(t, b, theta), L.parts()})
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	out := down(t, b, y)
	return out[:no], out[no : 2*no], out[2*no:]
}

// checkLayer runs every finite-difference check on c.
func checkLayer(t *testing.T, b engine.Backend, c layerCase) {
	L := c.layer
	nIn, nOut, P := L.inDim()*c.batch, L.outDim()*c.batch, numParams(L)
	v, a := randVec(nIn, 11, 1), randVec(nIn, 12, 1)
	r := randVec(nOut, 13, 1)

	// Jet: y, dy, ddy of the curve x(s) = x + s v + s^2/2 a at s = 0 against
	// 4th-order differences at h = 1e-3: truncation ~h^4 f^(5) ~ 1e-12,
	// rounding ~ eps |f| / h ~ 1e-13 (first) and eps |f| / h^2 ~ 1e-10
	// (second), so 1e-8 and 1e-6 relative leave margin.
	t.Run(c.name+"/jet", func(t *testing.T) {
		y, dy, ddy := jetHost(t, b, c, c.theta, c.x, v, a)
		curve := func(s float64) []float64 {
			return forwardHost(t, b, c, c.theta, axpy(axpy(c.x, s, v), s*s/2, a))
		}
		d1, d2 := fd4(curve, c.step())
		within(t, "jet value differs from the forward pass", relErr(y, curve(0)), 1e-14)
		within(t, "jet dy vs finite differences", relErr(dy, d1), 1e-8)
		within(t, "jet ddy vs finite differences", relErr(ddy, d2), 1e-6)
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
	p := &product{in: 4, out: 3}
	checkLayer(t, b, layerCase{name: "product", layer: p, theta: randVec(numParams(p), 1, 0.7), x: randVec(4*3, 2, 1), batch: 3})
}

func TestAttentionLayerDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	for _, res := range []bool{false, true} {
		a := &attention{d: 3, t: 4, residual: res}
		name := "attention"
		if res {
			name += "+residual"
		}
		// The softmax makes the fifth derivatives larger than the product
		// layer's: at h = 1e-3 the truncation error is ~1e-9 (it drops 256x
		// at h = 2.5e-4, so it is truncation); h = 2.5e-4 leaves ~1e-11
		// with the second-difference rounding eps |f| / h^2 ~ 1e-9.
		checkLayer(t, b, layerCase{name: name, layer: a, theta: randVec(numParams(a), 3, 0.8), x: randVec(3*4*2, 4, 1), batch: 2, h: 2.5e-4})
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

// TestDenseLayerDerivatives: the affine map of a dense layer, and the
// activation layer that follows it (which has no parameters: its checks
// are on the input side only).
func TestDenseLayerDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	d := &dense{in: 4, out: 3}
	checkLayer(t, b, layerCase{name: "dense", layer: d, theta: randVec(numParams(d), 5, 0.9), x: randVec(4*3, 6, 1), batch: 3, h: 2.5e-4})
	for _, name := range []string{"tanh", "softplus", "sin"} {
		a := &activate{n: 4, act: act(t, name).ID}
		checkLayer(t, b, layerCase{name: "activation-" + name, layer: a, x: randVec(4*3, 7, 1.2), batch: 3, h: 2.5e-4})
	}
}
