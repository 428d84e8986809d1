package models

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/layerkind"
)

var mixedKinds = []layerkind.Kind{layerkind.Product, layerkind.Dense, layerkind.Product, layerkind.Product}

// TestProductForwardMatchesReference: networks with product layers agree
// with the plain-Go reference pass (refForward multiplies the two host
// factors), for both weight laws and both input conventions. Tolerance as
// in TestForwardMatchesReference: a few ulps of the sums (O(1) here; the
// products of two O(1) factors stay O(1) at these scales).
func TestProductForwardMatchesReference(t *testing.T) {
	b := enginetest.Open(t)
	for _, law := range []WeightLaw{Gaussian, Orthogonal} {
		for _, actIn := range []bool{false, true} {
			n, err := NewRandomNetwork(RandomSpec{Widths: []int{7, 30, 20, 40, 5}, Act: act(t, "tanh"), SigmaW: 1.3, SigmaB: 0.3,
				Law: law, Seed: 9, ActivateInput: actIn, Kinds: mixedKinds})
			if err != nil {
				t.Fatal(err)
			}
			const batch = 3
			x := make([]float64, 7*batch)
			for i := range x {
				x[i] = math.Sin(float64(i))
			}
			out, err := n.Run(b, up(t, b, x), batch, RunOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := down(t, b, out)
			for j := 0; j < batch; j++ {
				want := refForward(t, n, x[j*7:(j+1)*7])
				for i, w := range want {
					if !(math.Abs(got[i+j*5]-w) <= 1e-13*(1+math.Abs(w))) {
						t.Errorf("%v activate-input %v: output[%d,%d] = %v, reference %v", law, actIn, i, j, got[i+j*5], w)
					}
				}
			}
		}
	}
}

// TestProductFactorsAreIndependentStreams: a product layer's first factor is
// the dense layer of the same spec (same streams) and its second factor is
// drawn from other streams (FactorWeightStream, FactorBiasStream), so the two
// differ; a dense layer has no second factor.
func TestProductFactorsAreIndependentStreams(t *testing.T) {
	spec := RandomSpec{Widths: []int{10, 10, 10}, Act: act(t, "tanh"), SigmaW: 1, SigmaB: 0.5, Seed: 3, Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Product}}
	n, _ := NewRandomNetwork(spec)
	dense, _ := NewRandomNetwork(RandomSpec{Widths: spec.Widths, Act: spec.Act, SigmaW: 1, SigmaB: 0.5, Seed: 3})
	par, err := n.HostParams(2)
	if err != nil {
		t.Fatal(err)
	}
	pd, _ := dense.HostParams(2)
	w, bb, v, c := par[0], par[1], par[2], par[3]
	wd, bd := pd[0], pd[1]
	for i := range w {
		if w[i] != wd[i] {
			t.Fatalf("first factor W[%d] = %v, dense layer's %v", i, w[i], wd[i])
		}
	}
	if bb[0] != bd[0] || v[0] == w[0] || c[0] == bb[0] {
		t.Errorf("streams: b %v / dense %v; V[0] %v vs W[0] %v; c[0] %v vs b[0] %v", bb[0], bd[0], v[0], w[0], c[0], bb[0])
	}
	want := make([]float64, 3)
	rng.FillNormal(want, 3, FactorWeightStream(2), 0)
	if v[0] != want[0]*(1/math.Sqrt(10)) { // HostParams scales by std = sigma_w / sqrt(N_in)
		t.Errorf("V[0] = %v, want normal 0 of FactorWeightStream(2) / sqrt(10) = %v", v[0], want[0]/math.Sqrt(10))
	}
	if p1, _ := n.HostParams(1); len(p1) != 2 {
		t.Errorf("a dense layer has %d tensors; want W and b", len(p1))
	}
}

// TestProductJetMatchesFiniteDifferences: through networks with product
// layers, the jet's v and a equal the first and second derivatives of the
// forward pass along a curve h0(t) = p + t d + t^2/2 e, estimated by
// 4th-order central differences with step 1e-3 (truncation O(step^4 f^(6))
// ~ 1e-10 at these scales, rounding ~ 1e-16/step^2 = 1e-10 for the second
// derivative): tolerance 1e-7 and 1e-6 relative. Covers tanh, a kink-free
// polynomial network (linear activation: products of affine maps), and
// both input conventions.
func TestProductJetMatchesFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct {
		act   string
		actIn bool
		kinds []layerkind.Kind
	}{
		{"tanh", true, mixedKinds},
		{"tanh", false, []layerkind.Kind{layerkind.Product, layerkind.Product, layerkind.Product, layerkind.Dense}},
		{"linear", false, []layerkind.Kind{layerkind.Product, layerkind.Product, layerkind.Product, layerkind.Product}},
		{"softplus", true, []layerkind.Kind{layerkind.Dense, layerkind.Product, layerkind.Dense, layerkind.Product}},
	} {
		n, err := NewRandomNetwork(RandomSpec{Widths: []int{6, 25, 25, 25, 4}, Act: act(t, c.act), SigmaW: 1.2, SigmaB: 0.5, Seed: 3, ActivateInput: c.actIn, Kinds: c.kinds})
		if err != nil {
			t.Fatal(err)
		}
		p := []float64{0.3, -1, 0.5, 0.2, 1.1, -0.4}
		d := []float64{1, 0.5, -0.3, 0.8, -0.2, 0.1}
		e := []float64{-0.5, 0.2, 0.7, -0.1, 0.3, 0.9}
		curve := func(t float64) []float64 {
			h := make([]float64, 6)
			for i := range h {
				h[i] = p[i] + t*d[i] + t*t/2*e[i]
			}
			return h
		}
		const t0, step = 0.2, 1e-3
		jetIn := append(append(curve(t0), d...), e...)
		for i := range d {
			jetIn[6+i] = d[i] + t0*e[i]
		}
		out, err := n.Run(b, up(t, b, jetIn), 1, RunOptions{Jet: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jet := down(t, b, out)
		f := func(s float64) []float64 {
			o, err := n.Run(b, up(t, b, curve(s)), 1, RunOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return down(t, b, o)
		}
		fm2, fm1, f0, fp1, fp2 := f(t0-2*step), f(t0-step), f(t0), f(t0+step), f(t0+2*step)
		for i := 0; i < 4; i++ {
			v := (fm2[i] - 8*fm1[i] + 8*fp1[i] - fp2[i]) / (12 * step)
			a := (-fm2[i] + 16*fm1[i] - 30*f0[i] + 16*fp1[i] - fp2[i]) / (12 * step * step)
			if !(math.Abs(jet[i]-f0[i]) <= 1e-14*(1+math.Abs(f0[i]))) {
				t.Errorf("%s %v: jet value %v, forward %v", c.act, c.kinds, jet[i], f0[i])
			}
			if !(math.Abs(jet[4+i]-v) <= 1e-7*(1+math.Abs(v))) {
				t.Errorf("%s %v: jet v[%d] = %v, finite difference %v", c.act, c.kinds, i, jet[4+i], v)
			}
			if !(math.Abs(jet[8+i]-a) <= 1e-6*(1+math.Abs(a))) {
				t.Errorf("%s %v: jet a[%d] = %v, finite difference %v", c.act, c.kinds, i, jet[8+i], a)
			}
		}
	}
}

// TestProductJetOfQuadratic: one product layer with linear activation on a
// straight line x(t) = p + t d is the quadratic h(t) = (A + t B)(C + t D)
// with A = W p + b, B = W d, C = V p + c, D = V d, so exactly
//
//	dh/dt = B C + A D + 2 t B D,  d2h/dt2 = 2 B D
//
// an independent closed form (rounding only: 1e-13 relative).
func TestProductJetOfQuadratic(t *testing.T) {
	b := enginetest.Open(t)
	const nIn, nOut, B = 5, 7, 3
	n, _ := NewRandomNetwork(RandomSpec{Widths: []int{nIn, nOut}, Act: act(t, "linear"), SigmaW: 1.1, SigmaB: 0.4, Seed: 8, Kinds: []layerkind.Kind{layerkind.Product}})
	par, _ := n.HostParams(1)
	W, bw, V, cv := par[0], par[1], par[2], par[3]
	p, d := make([]float64, nIn*B), make([]float64, nIn*B)
	rng.FillNormal(p, 1, 7, 0)
	rng.FillNormal(d, 1, 8, 0)
	ts := []float64{0, 0.3, -1.2}
	jet := make([]float64, 3*nIn*B)
	for j := 0; j < B; j++ {
		for i := 0; i < nIn; i++ {
			jet[j*nIn+i] = p[j*nIn+i] + ts[j]*d[j*nIn+i]
			jet[nIn*B+j*nIn+i] = d[j*nIn+i]
		}
	}
	out, err := n.Run(b, up(t, b, jet), B, RunOptions{Jet: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := down(t, b, out)
	aff := func(M, off, x []float64, bias bool) []float64 {
		y := make([]float64, nOut)
		for i := range y {
			if bias {
				y[i] = off[i]
			}
			for k := 0; k < nIn; k++ {
				y[i] += M[i+k*nOut] * x[k]
			}
		}
		return y
	}
	for j := 0; j < B; j++ {
		pj, dj := p[j*nIn:(j+1)*nIn], d[j*nIn:(j+1)*nIn]
		A, Bv, C, D := aff(W, bw, pj, true), aff(W, nil, dj, false), aff(V, cv, pj, true), aff(V, nil, dj, false)
		for i := 0; i < nOut; i++ {
			tt := ts[j]
			want := [3]float64{(A[i] + tt*Bv[i]) * (C[i] + tt*D[i]), Bv[i]*C[i] + A[i]*D[i] + 2*tt*Bv[i]*D[i], 2 * Bv[i] * D[i]}
			for k := 0; k < 3; k++ {
				g := got[k*nOut*B+j*nOut+i]
				if !(math.Abs(g-want[k]) <= 1e-13*(1+math.Abs(want[k]))) {
					t.Errorf("point %d neuron %d: jet part %d = %v, closed form %v", j, i, k, g, want[k])
				}
			}
		}
	}
}

// TestDenseKindsBitIdentical: Kinds all Dense is the same network as nil
// Kinds, bit for bit (the dense path is untouched by product support).
func TestDenseKindsBitIdentical(t *testing.T) {
	b := enginetest.Open(t)
	spec := RandomSpec{Widths: UniformWidths(20, 4), Act: act(t, "tanh"), SigmaW: 2, SigmaB: 0.3, Seed: 2, ActivateInput: true}
	plain, _ := NewRandomNetwork(spec)
	spec.Kinds = []layerkind.Kind{layerkind.Dense, layerkind.Dense, layerkind.Dense, layerkind.Dense}
	kinded, _ := NewRandomNetwork(spec)
	x := make([]float64, 20*3*2)
	for i := range x {
		x[i] = math.Cos(float64(i))
	}
	o1, _ := plain.Run(b, up(t, b, x), 2, RunOptions{Jet: true}, nil)
	o2, _ := kinded.Run(b, up(t, b, x), 2, RunOptions{Jet: true}, nil)
	g1, g2 := down(t, b, o1), down(t, b, o2)
	for i := range g1 {
		if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
			t.Fatalf("element %d: nil kinds %v, dense kinds %v", i, g1[i], g2[i])
		}
	}
}

// TestProductMaterialisedEqualsRegenerated: both factors drawn on the
// backend equal the host draws to the bit, for Gaussian weights, and a
// partial pass From..To composes to the full pass exactly.
func TestProductMaterialisedEqualsRegenerated(t *testing.T) {
	b := enginetest.Open(t)
	spec := RandomSpec{Widths: UniformWidths(30, 4), Act: act(t, "tanh"), SigmaW: 1.5, SigmaB: 0.3, Seed: 11, ActivateInput: true, Kinds: mixedKinds}
	lazy, _ := NewRandomNetwork(spec)
	kept, _ := NewRandomNetwork(spec)
	if err := kept.Materialise(); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 30*3*4)
	for i := range x {
		x[i] = math.Cos(float64(i) * 0.37)
	}
	o1, err := lazy.Run(b, up(t, b, x), 4, RunOptions{Jet: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := kept.Run(b, up(t, b, x), 4, RunOptions{Jet: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mid, _ := lazy.Run(b, up(t, b, x), 4, RunOptions{To: 2, Jet: true}, nil)
	o3, err := lazy.Run(b, mid, 4, RunOptions{From: 2, Jet: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g1, g2, g3 := down(t, b, o1), down(t, b, o2), down(t, b, o3)
	for i := range g1 {
		if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) || math.Float64bits(g1[i]) != math.Float64bits(g3[i]) {
			t.Fatalf("element %d: regenerated %v, materialised %v, in two passes %v", i, g1[i], g2[i], g3[i])
		}
	}
}

// TestProductMemory: a pass with product layers holds one more
// activation-sized buffer (the second factor) than a dense pass, and no
// second weight matrix (the factors share the weight buffer in turn),
// whatever the depth.
func TestProductMemory(t *testing.T) {
	peak := func(depth int) int {
		c := &countingBackend{Backend: enginetest.Open(t), sizes: map[engine.Buffer]int{}}
		kinds := make([]layerkind.Kind, depth)
		for i := range kinds {
			kinds[i] = layerkind.Product
		}
		n, _ := NewRandomNetwork(RandomSpec{Widths: UniformWidths(64, depth), Act: act(t, "tanh"), SigmaW: 1, Seed: 1, ActivateInput: true, Kinds: kinds})
		in, _ := c.Alloc(engine.Float64, 64*3*8)
		out, err := n.Run(c, in, 8, RunOptions{Jet: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Free(out)
		c.Free(in)
		if c.live != 0 {
			t.Fatalf("depth %d: %d elements still allocated after the pass", depth, c.live)
		}
		return c.peak
	}
	want := 64*24 + 3*64*24 + 64*64 + 64 // the last activation buffer is the output
	if p2, p40 := peak(2), peak(40); p2 != want || p40 != want {
		t.Errorf("peak elements: depth 2: %d, depth 40: %d; want %d for both", p2, p40, want)
	}
}

// TestProductJacobian: with product layers, J v equals the dense Jacobian
// from jets (checked against finite differences above) times v, and J^T is
// its adjoint, to rounding (1e-12 relative), for both input conventions and
// rectangular widths.
func TestProductJacobian(t *testing.T) {
	b := enginetest.Open(t)
	for _, actIn := range []bool{false, true} {
		n, _ := NewRandomNetwork(RandomSpec{Widths: []int{7, 20, 13, 9}, Act: act(t, "tanh"), SigmaW: 1.4, SigmaB: 0.2, Seed: 5,
			ActivateInput: actIn, Kinds: []layerkind.Kind{layerkind.Product, layerkind.Dense, layerkind.Product}})
		x := make([]float64, 7)
		rng.FillNormal(x, 1, 1, 0)
		J := denseJacobian(t, b, n, x)
		jac, err := n.NewJacobian(b, x)
		if err != nil {
			t.Fatal(err)
		}
		v, u := make([]float64, 7), make([]float64, 9)
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
		for i := range got {
			want := 0.0
			for k := 0; k < 7; k++ {
				want += J.At(i, k) * v[k]
			}
			if !(math.Abs(got[i]-want) <= 1e-12*(1+math.Abs(want))) {
				t.Errorf("activate-input %v: (J v)[%d] = %v, dense %v", actIn, i, got[i], want)
			}
		}
		for k := range gotT {
			want := 0.0
			for i := 0; i < 9; i++ {
				want += J.At(i, k) * u[i]
			}
			if !(math.Abs(gotT[k]-want) <= 1e-12*(1+math.Abs(want))) {
				t.Errorf("activate-input %v: (J^T u)[%d] = %v, dense %v", actIn, k, gotT[k], want)
			}
		}
		jac.Close()
	}
}

func TestProductSpecErrors(t *testing.T) {
	tanh := act(t, "tanh")
	for _, s := range []RandomSpec{
		{Widths: []int{3, 3, 3}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Product}},
		{Widths: []int{3, 3}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Kind(7)}},
	} {
		if _, err := NewRandomNetwork(s); err == nil {
			t.Errorf("spec %+v: no error", s)
		}
	}
}
