package models

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
)

func act(t testing.TB, name string) activation.Func {
	t.Helper()
	f, err := activation.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func up(t testing.TB, b engine.Backend, v []float64) engine.Buffer {
	t.Helper()
	x, err := b.Alloc(engine.Float64, len(v))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Upload(x, v); err != nil {
		t.Fatal(err)
	}
	return x
}

func down(t testing.TB, b engine.Backend, x engine.Buffer) []float64 {
	t.Helper()
	v := make([]float64, x.Len())
	if err := b.Download(v, x); err != nil {
		t.Fatal(err)
	}
	return v
}

// refForward is an independent plain-Go forward pass from the host weights.
func refForward(t *testing.T, n *RandomNetwork, x []float64) []float64 {
	h := append([]float64(nil), x...)
	for l := 1; l <= n.Depth(); l++ {
		par, err := n.HostParams(l)
		if err != nil {
			t.Fatal(err)
		}
		w, b := par[0], par[1]
		nIn, nOut := n.Width(l-1), n.Width(l)
		in := make([]float64, nIn)
		for i := range in {
			in[i] = h[i]
			if l > 1 || n.spec.ActivateInput {
				in[i] = n.spec.Act.Phi(h[i])
			}
		}
		affine := func(w, b []float64) []float64 {
			out := make([]float64, nOut)
			for i := 0; i < nOut; i++ {
				s := b[i]
				for j := 0; j < nIn; j++ {
					s += w[i+j*nOut] * in[j]
				}
				out[i] = s
			}
			return out
		}
		h = affine(w, b)
		if n.spec.Kind(l) == layerkind.Product {
			for i, f := range affine(par[2], par[3]) {
				h[i] *= f
			}
		}
	}
	return h
}

func TestForwardMatchesReference(t *testing.T) {
	b := enginetest.Open(t)
	for _, law := range []WeightLaw{Gaussian, Orthogonal} {
		for _, actIn := range []bool{false, true} {
			n, err := NewRandomNetwork(RandomSpec{Widths: []int{7, 30, 20, 40, 5}, Act: act(t, "tanh"), SigmaW: 1.7, SigmaB: 0.3, Law: law, Seed: 9, ActivateInput: actIn})
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
					// Different summation orders: a few ulps of the
					// sums of |terms| (which are O(1) here).
					if !(math.Abs(got[i+j*5]-w) <= 1e-13) {
						t.Errorf("%v activate-input %v: output[%d,%d] = %v, reference %v", law, actIn, i, j, got[i+j*5], w)
					}
				}
			}
		}
	}
}

// TestJetMatchesFiniteDifferences: along a curve h0(t) = p + t d + t^2/2 e
// through the network, the jet's v and a equal the first and second
// t-derivatives of the forward pass, estimated by 4th-order central
// differences with step 1e-3 (truncation O(step^4) ~ 1e-12, rounding
// ~ 1e-16/step^2 = 1e-10 for the second derivative): tolerance 1e-7.
func TestJetMatchesFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	for _, name := range []string{"tanh", "erf", "sin", "softplus", "gelu", "swish", "sigmoid"} {
		n, err := NewRandomNetwork(RandomSpec{Widths: []int{6, 25, 25, 25, 4}, Act: act(t, name), SigmaW: 2, SigmaB: 0.5, Seed: 3, ActivateInput: true})
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
			jetIn[6+i] = d[i] + t0*e[i] // h0'(t0)
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
				t.Errorf("%s: jet value %v, forward %v", name, jet[i], f0[i])
			}
			if !(math.Abs(jet[4+i]-v) <= 1e-7*(1+math.Abs(v))) {
				t.Errorf("%s: jet v[%d] = %v, finite difference %v", name, i, jet[4+i], v)
			}
			if !(math.Abs(jet[8+i]-a) <= 1e-6*(1+math.Abs(a))) {
				t.Errorf("%s: jet a[%d] = %v, finite difference %v", name, i, jet[8+i], a)
			}
		}
	}
}

func TestOrthogonalWeights(t *testing.T) {
	for _, shape := range [][2]int{{40, 40}, {60, 25}, {25, 60}} {
		n, err := NewRandomNetwork(RandomSpec{Widths: []int{shape[1], shape[0]}, Act: act(t, "tanh"), SigmaW: 1.5, Law: Orthogonal, Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		par, err := n.HostParams(1)
		if err != nil {
			t.Fatal(err)
		}
		w := par[0]
		rows, cols := shape[0], shape[1]
		scale := 1.5 * math.Sqrt(max(1, float64(rows)/float64(cols)))
		// Columns (tall) or rows (wide) orthonormal after removing the scale:
		// QR in float64 gives orthogonality to ~1e-14 at these sizes.
		k := min(rows, cols)
		for p := 0; p < k; p++ {
			for q := 0; q < k; q++ {
				s := 0.0
				for r := 0; r < max(rows, cols); r++ {
					var x, y float64
					if rows >= cols {
						x, y = w[r+p*rows], w[r+q*rows]
					} else {
						x, y = w[p+r*rows], w[q+r*rows]
					}
					s += x * y
				}
				want := 0.0
				if p == q {
					want = scale * scale
				}
				if !(math.Abs(s-want) <= 1e-12*scale*scale) {
					t.Fatalf("%dx%d orthogonal: Gram[%d,%d] = %v, want %v", rows, cols, p, q, s, want)
				}
			}
		}
	}
}

// TestMaterialisedEqualsRegenerated: weights drawn on the backend and on the
// host are the same Philox numbers, so both runs agree to the bit.
func TestMaterialisedEqualsRegenerated(t *testing.T) {
	b := enginetest.Open(t)
	spec := RandomSpec{Widths: UniformWidths(50, 6), Act: act(t, "tanh"), SigmaW: 2.5, SigmaB: 0.3, Seed: 11, ActivateInput: true}
	lazy, _ := NewRandomNetwork(spec)
	kept, _ := NewRandomNetwork(spec)
	if err := kept.Materialise(); err != nil {
		t.Fatal(err)
	}
	x := make([]float64, 50*3*4)
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
	g1, g2 := down(t, b, o1), down(t, b, o2)
	for i := range g1 {
		if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
			t.Fatalf("element %d: regenerated %v, materialised %v", i, g1[i], g2[i])
		}
	}
}

// countingBackend tracks the elements held by live buffers.
type countingBackend struct {
	engine.Backend
	live, peak int
	sizes      map[engine.Buffer]int
}

func (c *countingBackend) Alloc(dt engine.DType, n int) (engine.Buffer, error) {
	x, err := c.Backend.Alloc(dt, n)
	if err == nil {
		c.sizes[x] = n
		c.live += n
		c.peak = max(c.peak, c.live)
	}
	return x, err
}

func (c *countingBackend) Free(x engine.Buffer) error {
	c.live -= c.sizes[x]
	delete(c.sizes, x)
	return c.Backend.Free(x)
}

// TestMemoryIndependentOfDepth: a pass holds one layer's weights plus the
// batch, whatever the depth.
func TestMemoryIndependentOfDepth(t *testing.T) {
	peak := func(depth int) int {
		c := &countingBackend{Backend: enginetest.Open(t), sizes: map[engine.Buffer]int{}}
		n, _ := NewRandomNetwork(RandomSpec{Widths: UniformWidths(64, depth), Act: act(t, "tanh"), SigmaW: 1, Seed: 1, ActivateInput: true})
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
	p2, p40 := peak(2), peak(40)
	// input + ping-pong activations (the last one handed over as the
	// output) + one weight matrix + one bias
	want := 64*24 + 2*64*24 + 64*64 + 64
	if p2 != want || p40 != want {
		t.Errorf("peak elements: depth 2: %d, depth 40: %d; want %d for both", p2, p40, want)
	}
}

func TestSpecErrors(t *testing.T) {
	tanh := act(t, "tanh")
	for _, s := range []RandomSpec{
		{Widths: nil, Act: tanh},
		{Widths: []int{3, 0, 3}, Act: tanh},
		{Widths: []int{3, 3}},
		{Widths: []int{3, 3}, Act: tanh, SigmaW: -1},
		{Widths: []int{3, 3}, Act: tanh, SigmaB: math.NaN()},
		{Widths: []int{3, 3}, Act: tanh, SigmaW: math.Inf(1)},
	} {
		if _, err := NewRandomNetwork(s); err == nil {
			t.Errorf("spec %+v: no error", s)
		}
	}
	if _, err := ParseWeightLaw("uniform"); err == nil {
		t.Error("weight law uniform: no error")
	}
	b := enginetest.Open(t)
	n, _ := NewRandomNetwork(RandomSpec{Widths: []int{3, 3}, Act: tanh, SigmaW: 1})
	in := up(t, b, make([]float64, 5))
	if _, err := n.Run(b, in, 2, RunOptions{}, nil); err == nil {
		t.Error("input of the wrong length: no error")
	}
	if _, err := n.Run(b, up(t, b, make([]float64, 6)), 2, RunOptions{From: 1, To: 2}, nil); err == nil {
		t.Error("layers beyond the depth: no error")
	}
}

// refRandomAttention is an independent plain-Go single-head attention over the
// T = len(x)/D tokens of x (token i = x[iD : iD+D]) with the weights of
// attention layer l drawn on the host from AttentionStream(l, k):
// y_i = sum_j softmax_j(k_j . q_i / sqrt(D)) v_j (+ x_i when residual).
func refRandomAttention(t *testing.T, b engine.Backend, seed uint64, l, D int, sigmaW float64, residual bool, x []float64) []float64 {
	T := len(x) / D
	W := make([][]float64, 3)
	for k := range W {
		buf, err := b.Alloc(engine.Float64, D*D)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.FillNormal(buf, seed, AttentionStream(l, k), 0, sigmaW/math.Sqrt(float64(D))); err != nil {
			t.Fatal(err)
		}
		W[k] = down(t, b, buf)
		b.Free(buf)
	}
	proj := func(w []float64, i int) []float64 { // w (column-major) times token i
		o := make([]float64, D)
		for r := 0; r < D; r++ {
			for c := 0; c < D; c++ {
				o[r] += w[r+c*D] * x[i*D+c]
			}
		}
		return o
	}
	y := make([]float64, len(x))
	for i := 0; i < T; i++ {
		q := proj(W[0], i)
		logits := make([]float64, T)
		m := math.Inf(-1)
		for j := 0; j < T; j++ {
			k := proj(W[1], j)
			for c := range k {
				logits[j] += k[c] * q[c]
			}
			logits[j] /= math.Sqrt(float64(D))
			m = math.Max(m, logits[j])
		}
		z := 0.0
		for j := range logits {
			logits[j] = math.Exp(logits[j] - m)
			z += logits[j]
		}
		for j := 0; j < T; j++ {
			v := proj(W[2], j)
			for c := range v {
				y[i*D+c] += logits[j] / z * v[c]
			}
		}
		if residual {
			for c := 0; c < D; c++ {
				y[i*D+c] += x[i*D+c]
			}
		}
	}
	return y
}

// TestAttentionForwardMatchesReference: a network of one attention layer
// (linear activation, raw input) is the plain-Go attention above; sums of
// O(1) terms in different orders: 1e-13.
func TestAttentionForwardMatchesReference(t *testing.T) {
	b := enginetest.Open(t)
	for _, residual := range []bool{false, true} {
		const D, T, batch = 3, 4, 2
		n, err := NewRandomNetwork(RandomSpec{Widths: []int{D * T, D * T}, Act: act(t, "linear"), SigmaW: 1.4, SigmaB: 0.7, Seed: 5,
			Kinds: []layerkind.Kind{layerkind.Attention}, TokenDim: D, Residual: residual})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, D*T*batch)
		for i := range x {
			x[i] = math.Sin(1.3*float64(i) + 0.2)
		}
		out, err := n.Run(b, up(t, b, x), batch, RunOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := down(t, b, out)
		for s := 0; s < batch; s++ {
			want := refRandomAttention(t, b, 5, 1, D, 1.4, residual, x[s*D*T:(s+1)*D*T])
			for i, w := range want {
				if g := got[s*D*T+i]; !(math.Abs(g-w) <= 1e-13) {
					t.Errorf("residual %v: output[%d, sample %d] = %v, reference %v", residual, i, s, g, w)
				}
			}
		}
	}
}

// TestAttentionJetMatchesFiniteDifferences: as TestJetMatchesFiniteDifferences
// for networks with attention layers (mixed with dense and product layers,
// with and without residual), over a batch of two curves: the jet's v and
// a equal 4th-order central differences of the forward pass (step 1e-3:
// truncation ~1e-12, rounding ~1e-10 on the second derivative), tolerances
// 1e-7 and 1e-6 relative to 1 + |value|.
func TestAttentionJetMatchesFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	const D, T, batch = 3, 4, 2
	const N = D * T
	cases := []struct {
		kinds    []layerkind.Kind
		residual bool
		act      string
	}{
		{[]layerkind.Kind{layerkind.Dense, layerkind.Attention, layerkind.Dense}, false, "tanh"},
		{[]layerkind.Kind{layerkind.Attention, layerkind.Product, layerkind.Attention}, true, "gelu"},
		{[]layerkind.Kind{layerkind.Attention, layerkind.Attention, layerkind.Dense}, true, "sin"},
	}
	for _, c := range cases {
		n, err := NewRandomNetwork(RandomSpec{Widths: UniformWidths(N, 3), Act: act(t, c.act), SigmaW: 1.5, SigmaB: 0.4, Seed: 7,
			ActivateInput: true, Kinds: c.kinds, TokenDim: D, Residual: c.residual})
		if err != nil {
			t.Fatal(err)
		}
		p, d, e := make([]float64, N*batch), make([]float64, N*batch), make([]float64, N*batch)
		for i := range p {
			p[i] = math.Sin(0.7*float64(i) + 0.1)
			d[i] = math.Cos(1.1 * float64(i))
			e[i] = 0.5 * math.Sin(2.3*float64(i)+1)
		}
		curve := func(s float64) []float64 {
			h := make([]float64, N*batch)
			for i := range h {
				h[i] = p[i] + s*d[i] + s*s/2*e[i]
			}
			return h
		}
		const t0, step = 0.2, 1e-3
		jetIn := append(curve(t0), make([]float64, 2*N*batch)...)
		for i := range d {
			jetIn[N*batch+i] = d[i] + t0*e[i]
			jetIn[2*N*batch+i] = e[i]
		}
		out, err := n.Run(b, up(t, b, jetIn), batch, RunOptions{Jet: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		jet := down(t, b, out)
		f := func(s float64) []float64 {
			o, err := n.Run(b, up(t, b, curve(s)), batch, RunOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return down(t, b, o)
		}
		fm2, fm1, f0, fp1, fp2 := f(t0-2*step), f(t0-step), f(t0), f(t0+step), f(t0+2*step)
		for i := 0; i < N*batch; i++ {
			v := (fm2[i] - 8*fm1[i] + 8*fp1[i] - fp2[i]) / (12 * step)
			a := (-fm2[i] + 16*fm1[i] - 30*f0[i] + 16*fp1[i] - fp2[i]) / (12 * step * step)
			if !(math.Abs(jet[i]-f0[i]) <= 1e-13*(1+math.Abs(f0[i]))) {
				t.Errorf("%v: jet value %v, forward %v", c.kinds, jet[i], f0[i])
			}
			if !(math.Abs(jet[N*batch+i]-v) <= 1e-7*(1+math.Abs(v))) {
				t.Errorf("%v: jet v[%d] = %v, finite difference %v", c.kinds, i, jet[N*batch+i], v)
			}
			if !(math.Abs(jet[2*N*batch+i]-a) <= 1e-6*(1+math.Abs(a))) {
				t.Errorf("%v: jet a[%d] = %v, finite difference %v", c.kinds, i, jet[2*N*batch+i], a)
			}
		}
	}
}

// TestAttentionSpecErrors: attention needs a token dimension that divides
// the width, and keeps the width; its parameters are Wq, Wk, Wv. The
// spec's errors name the layer (from 1) and the numbers at fault.
func TestAttentionSpecErrors(t *testing.T) {
	tanh := act(t, "tanh")
	for _, c := range []struct {
		spec RandomSpec
		want string
	}{
		{RandomSpec{Widths: []int{6, 6}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Attention}}, "attention layer 1: token dimension 0; give TokenDim >= 1"},
		{RandomSpec{Widths: []int{5, 7, 7}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Attention}, TokenDim: 2}, "attention layer 2: width 7 is not a whole number of tokens of dimension 2"},
		{RandomSpec{Widths: []int{6, 8}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Attention}, TokenDim: 2}, "attention layer 1 maps width 6 to 8; attention keeps the width"},
		{RandomSpec{Widths: []int{6, 6, 6}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Dense}}, "1 layer kinds for 2 layers"},
		{RandomSpec{Widths: []int{6, 6, 6}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Dense, 9}}, "layer 2 has unknown kind 9"},
		{RandomSpec{Widths: []int{6, 0}, Act: tanh}, "width 0 of layer 1"},
		{RandomSpec{Act: tanh}, "no widths"},
	} {
		if _, err := NewRandomNetwork(c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v; want one mentioning %q", c.spec, err, c.want)
		}
	}
	n, err := NewRandomNetwork(RandomSpec{Widths: []int{6, 6, 6}, Act: tanh, SigmaW: 1, Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Attention}, TokenDim: 3})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := n.HostParams(2); err != nil || len(p) != 3 || len(p[2]) != 9 {
		t.Errorf("HostParams of an attention layer: %d tensors, %v; want Wq, Wk, Wv of 3 x 3", len(p), err)
	}
	if err := n.Materialise(); err != nil {
		t.Errorf("Materialise with an attention layer: %v", err)
	}
	// One width is a network of no layers; widths of 1 and tokens of
	// dimension 1 are allowed.
	if _, err := NewRandomNetwork(RandomSpec{Widths: []int{1}, Act: tanh}); err != nil {
		t.Errorf("a single width of 1: %v", err)
	}
	if _, err := NewRandomNetwork(RandomSpec{Widths: []int{4, 4}, Act: tanh, Kinds: []layerkind.Kind{layerkind.Attention}, TokenDim: 1}); err != nil {
		t.Errorf("attention with tokens of dimension 1: %v", err)
	}
	if k, err := layerkind.Parse("attention"); err != nil || k != layerkind.Attention {
		t.Errorf("layerkind.Parse(attention) = %v, %v", k, err)
	}
}

// TestStoredEqualsRegenerated: weights stored on the backend once (Store)
// are the numbers each pass would draw, so forward passes and jets agree
// to the bit with a network that draws them, for dense, product and
// attention layers and orthogonal weights, over two passes; the store
// holds 8 bytes a parameter, a pass then allocates no weight buffer, and
// Close returns the network to drawing.
func TestStoredEqualsRegenerated(t *testing.T) {
	b := enginetest.Open(t)
	specs := []RandomSpec{
		{Widths: UniformWidths(24, 4), Act: act(t, "tanh"), SigmaW: 2.5, SigmaB: 0.3, Seed: 11, ActivateInput: true},
		{Widths: UniformWidths(24, 3), Act: act(t, "erf"), SigmaW: 1.5, SigmaB: 0.1, Seed: 5, Law: Orthogonal},
		{Widths: UniformWidths(24, 3), Act: act(t, "tanh"), SigmaW: 1.2, SigmaB: 0.2, Seed: 7, TokenDim: 6,
			Kinds: []layerkind.Kind{layerkind.Product, layerkind.Attention, layerkind.Dense}},
	}
	for si, spec := range specs {
		drawn, err := NewRandomNetwork(spec)
		if err != nil {
			t.Fatal(err)
		}
		kept, _ := NewRandomNetwork(spec)
		if err := kept.Store(b); err != nil {
			t.Fatal(err)
		}
		if !kept.Stored() || kept.StoredBytes() != 8*int64(kept.st.np) {
			t.Fatalf("spec %d: stored %v, %d bytes for %d parameters", si, kept.Stored(), kept.StoredBytes(), kept.st.np)
		}
		x := make([]float64, 24*3*5)
		for i := range x {
			x[i] = math.Sin(float64(i) * 0.29)
		}
		for _, jet := range []bool{false, true} {
			cols := 15
			if jet {
				cols = 5
			}
			for pass := 0; pass < 2; pass++ {
				o1, err := drawn.Run(b, up(t, b, x), cols, RunOptions{Jet: jet}, nil)
				if err != nil {
					t.Fatal(err)
				}
				o2, err := kept.Run(b, up(t, b, x), cols, RunOptions{Jet: jet}, nil)
				if err != nil {
					t.Fatal(err)
				}
				g1, g2 := down(t, b, o1), down(t, b, o2)
				for i := range g1 {
					if math.Float64bits(g1[i]) != math.Float64bits(g2[i]) {
						t.Fatalf("spec %d jet %v pass %d element %d: drawn %v, stored %v", si, jet, pass, i, g1[i], g2[i])
					}
				}
			}
		}
		if err := kept.Close(); err != nil || kept.Stored() {
			t.Fatalf("close: %v, still stored %v", err, kept.Stored())
		}
	}
}

// TestOrthogonaliseHaarSigns: orthogonalise returns the Q of G's QR
// factorisation with R's diagonal made positive (Mezzadri 2007), which is
// what makes Q Haar-distributed. Checked without a QR: for a tall G (rows
// >= cols) W has orthonormal columns and W^T G = R is upper triangular with
// a positive diagonal; for a wide G, W = Q^T of G^T = Q R, so W has
// orthonormal rows and W G^T = R. Tolerance 1e-13 (a few ulp of Householder
// QR on 3 to 7 rows).
func TestOrthogonaliseHaarSigns(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	for _, sh := range [][2]int{{7, 3}, {4, 4}, {3, 6}} {
		rows, cols := sh[0], sh[1]
		g := make([]float64, rows*cols)
		for i := range g {
			g[i] = r.NormFloat64()
		}
		w := append([]float64(nil), g...)
		orthogonalise(w, rows, cols)
		at := func(x []float64, i, j int) float64 { return x[i+j*rows] } // column-major rows x cols
		// P = W^T G (cols x cols) when tall, W G^T (rows x rows) when wide;
		// O = W^T W or W W^T, which must be the identity.
		k := min(rows, cols)
		for a := 0; a < k; a++ {
			for c := 0; c < k; c++ {
				var p, o float64
				if rows >= cols {
					for i := 0; i < rows; i++ {
						p += at(w, i, a) * at(g, i, c)
						o += at(w, i, a) * at(w, i, c)
					}
				} else {
					for j := 0; j < cols; j++ {
						p += at(w, a, j) * at(g, c, j)
						o += at(w, a, j) * at(w, c, j)
					}
				}
				if want := map[bool]float64{true: 1, false: 0}[a == c]; !(math.Abs(o-want) <= 1e-13) {
					t.Errorf("%dx%d: (orthonormality)[%d][%d] = %g, want %v", rows, cols, a, c, o, want)
				}
				if a > c && !(math.Abs(p) <= 1e-13) {
					t.Errorf("%dx%d: R[%d][%d] = %g below the diagonal, want 0", rows, cols, a, c, p)
				}
				if a == c && !(p > 0) {
					t.Errorf("%dx%d: R[%d][%d] = %g, want a positive diagonal (Haar sign convention)", rows, cols, a, a, p)
				}
			}
		}
	}
}
