package models

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
)

// mixedCase is a trainable network with layers of the given kinds (nil:
// all dense); every kind goes through the same passes, so these cases run
// the same checks on each.
type mixedCase struct {
	name   string
	widths []int
	kinds  []layerkind.Kind
	token  int
	resid  bool
	loss   Loss
}

var mixedCases = []mixedCase{
	{"product-hidden", []int{3, 4, 4, 3}, []layerkind.Kind{layerkind.Product, layerkind.Dense, layerkind.Dense}, 0, false, CrossEntropy},
	{"attention-residual", []int{4, 4, 3, 2}, []layerkind.Kind{layerkind.Attention, layerkind.Dense, layerkind.Product}, 2, true, SquaredError},
	{"attention", []int{6, 6, 5, 3}, []layerkind.Kind{layerkind.Attention, layerkind.Product, layerkind.Dense}, 3, false, CrossEntropy},
	{"every-kind", []int{6, 6, 6, 4, 3}, []layerkind.Kind{layerkind.Dense, layerkind.Attention, layerkind.Product, layerkind.Dense}, 2, true, SquaredError},
	{"dense", []int{3, 4, 4, 3}, nil, 0, false, CrossEntropy},
}

// mixedNet builds c's network with Glorot weights (gain 1.3) and N(0,
// 0.3^2) biases, as smallNet.
func mixedNet(t *testing.T, b engine.Backend, c mixedCase, seed uint64) *Network {
	t.Helper()
	n, err := NewNetwork(b, NetworkSpec{Widths: c.widths, Act: act(t, "tanh"), Loss: c.loss, Kinds: c.kinds, TokenDim: c.token, Residual: c.resid})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Initialize(Init{Scheme: InitGlorot, SigmaW: 1.3, SigmaB: 0.3}, seed); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMixedNetworkDerivatives: for networks with product and attention
// layers, through the Evaluator that train and hessian use (in chunks of 3
// of 7 samples, so that the chunks' shares are summed), the gradient
// against central differences of the loss in every parameter, H v against
// central differences of the gradient, the dense Hessian's symmetry, the
// cached Hessian operator (one primed chunk) against the uncached
// products, and the Gauss-Newton products against J^T H_z J with J by
// differences. Tolerances as in network_test.go (fdTol: truncation and
// rounding of the differences are ~1e-11 here, a wrong term is O(1));
// the cached and uncached products differ only in the order of the
// chunks' sums (1e-13).
func TestMixedNetworkDerivatives(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range mixedCases {
		t.Run(c.name, func(t *testing.T) {
			n := mixedNet(t, b, c, 51)
			defer n.Close()
			D, C := c.widths[0], c.widths[len(c.widths)-1]
			d, _, _ := smallData(t, b, 7, D, C, c.loss, 52)
			e := evaluator(t, n, 3)
			defer e.Close()
			theta, _ := n.HostParams()
			p := len(theta)

			lossL := checkGradientByDifferences(t, b, e, n, d)
			whole := evaluator(t, n, 0)
			defer whole.Close()
			lossW, _ := whole.Loss(n.Params(), d)
			closeTo(t, "loss in one chunk against chunks of 3", []float64{lossW}, []float64{lossL}, 1e-14)

			r := rand.New(rand.NewPCG(53, 53))
			gp, gm, hv := newParams(t, n), newParams(t, n), newParams(t, n)
			for k := range 2 {
				dir := make([]float64, p)
				for i := range dir {
					dir[i] = r.NormFloat64()
				}
				if err := e.HVP(n.Params(), d, up(t, b, dir), hv); err != nil {
					t.Fatal(err)
				}
				_, err1 := e.Gradient(shifted(t, b, theta, dir, fdStep), d, gp)
				_, err2 := e.Gradient(shifted(t, b, theta, dir, -fdStep), d, gm)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				pp, mm := down(t, b, gp), down(t, b, gm)
				want := make([]float64, p)
				for i := range want {
					want[i] = (pp[i] - mm[i]) / (2 * fdStep)
				}
				closeTo(t, fmt.Sprintf("H v (direction %d)", k), down(t, b, hv), want, fdTol)
			}

			uncached := denseOperator(t, b, p, func(v, out engine.Buffer) error { return e.HVP(n.Params(), d, v, out) })
			if asym := asymmetry(uncached, p); !(asym <= 1e-10) {
				t.Errorf("dense Hessian (%d x %d): max |H - H^T| / max |H| = %.3g > 1e-10", p, p, asym)
			}
			for _, chunk := range []int{0, 3} {
				h, err := NewHessian(n, n.Params(), d, HessianOptions{Chunk: chunk})
				if err != nil {
					t.Fatal(err)
				}
				cached := denseOperator(t, b, p, h.Apply)
				closeTo(t, fmt.Sprintf("Hessian operator (chunk %d) against Evaluator.HVP", chunk), cached, uncached, 1e-13)
				again := denseOperator(t, b, p, h.Apply)
				closeTo(t, "Hessian operator applied again", again, cached, 0)
				if h.Loss() != lossL && chunk == 3 {
					t.Errorf("Hessian's loss %v, Evaluator's %v", h.Loss(), lossL)
				}
				h.Close()
			}

			G := denseOperator(t, b, p, func(v, out engine.Buffer) error { return e.GaussNewton(n.Params(), d, v, out) })
			closeTo(t, "G against J^T H_z J (finite-difference J)", G, gaussNewtonByDifferences(t, b, e, n, d, c.loss), fdTol)
			h, err := NewHessian(n, n.Params(), d, HessianOptions{GaussNewton: true})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			closeTo(t, "Gauss-Newton operator against Evaluator.GaussNewton", denseOperator(t, b, p, h.Apply), G, 1e-13)
		})
	}
}

// TestInitMatchesRandomNetwork: the Gaussian scheme gives every layer of
// a trained network, of every kind, exactly the parameters of the random
// network of the same widths, kinds, sigmas and seed (the same Philox
// streams), bit for bit; Block lays out both alike, and its views of the
// flat vector are the tensors the random network draws.
func TestInitMatchesRandomNetwork(t *testing.T) {
	b := enginetest.Open(t)
	const sw, sb, seed = 1.4, 0.2, 9
	kinds := []layerkind.Kind{layerkind.Attention, layerkind.Product, layerkind.Dense, layerkind.Dense}
	widths := []int{6, 6, 5, 5, 2}
	n, err := NewNetwork(b, NetworkSpec{Widths: widths, Act: act(t, "tanh"), Loss: CrossEntropy, Kinds: kinds, TokenDim: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Initialize(Init{Scheme: InitGaussian, SigmaW: sw, SigmaB: sb}, seed); err != nil {
		t.Fatal(err)
	}
	rn, err := NewRandomNetwork(RandomSpec{Widths: widths, Act: act(t, "tanh"), SigmaW: sw, SigmaB: sb, Seed: seed, Kinds: kinds, TokenDim: 3})
	if err != nil {
		t.Fatal(err)
	}
	spec := n.Spec()
	off := 0
	for l := 1; l <= 4; l++ {
		blk := spec.Block(l)
		if blk.Off != off || blk.Kind != kinds[l-1] {
			t.Errorf("layer %d: block at %d of kind %v; want %d, %v", l, blk.Off, blk.Kind, off, kinds[l-1])
		}
		off += blk.Len
		if rb := rn.Spec().Block(l); rb.Off != blk.Off || rb.Len != blk.Len || len(rb.Tensors) != len(blk.Tensors) {
			t.Errorf("layer %d: random network's block %+v, trained %+v", l, rb, blk)
		}
		views, err := blk.Views(b, n.Params())
		if err != nil {
			t.Fatal(err)
		}
		want, err := rn.HostParams(l)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range views {
			closeTo(t, fmt.Sprintf("layer %d %s", l, blk.Tensors[i].Name), down(t, b, v), want[i], 0)
		}
	}
	if off != n.NumParams() {
		t.Errorf("blocks cover %d parameters of %d", off, n.NumParams())
	}
	if w := spec.Block(2).Weights(); len(w) != 2 || w[0].Name != "W" || w[1].Name != "V" || w[1].Len() != 30 {
		t.Errorf("weights of the product layer: %+v", w)
	}
	if w := spec.Block(1).Weights(); len(w) != 3 || w[2].Name != "Wv" || w[2].Len() != 9 {
		t.Errorf("weights of the attention layer: %+v", w)
	}
}

// TestMixedSpecErrors: specs that cannot be built are refused with the
// reason.
func TestMixedSpecErrors(t *testing.T) {
	a := act(t, "tanh")
	for _, c := range []struct {
		spec NetworkSpec
		want string
	}{
		{NetworkSpec{Widths: []int{4, 5, 2}, Act: a, Kinds: []layerkind.Kind{layerkind.Attention, layerkind.Dense}, TokenDim: 2}, "keeps the width"},
		{NetworkSpec{Widths: []int{6, 6, 2}, Act: a, Kinds: []layerkind.Kind{layerkind.Attention, layerkind.Dense}, TokenDim: 4}, "divides"},
		{NetworkSpec{Widths: []int{6, 6, 2}, Act: a, Kinds: []layerkind.Kind{layerkind.Attention, layerkind.Dense}}, "token dimension"},
		{NetworkSpec{Widths: []int{6, 6, 2}, Act: a, Kinds: []layerkind.Kind{layerkind.Product}}, "1 layer kinds for 2 layers"},
		{NetworkSpec{Widths: []int{6, 6, 2}, Act: a, Kinds: []layerkind.Kind{layerkind.Product, 7}}, "unknown kind"},
	} {
		err := c.spec.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v; want one containing %q", c.spec.Kinds, err, c.want)
		}
	}
}

// TestMixedCheckpointRoundTrip: a network with attention and product
// layers saves and loads back with its kinds, token dimension, residual
// flag and parameters bit for bit; a header whose kinds do not fit its
// widths is refused.
func TestMixedCheckpointRoundTrip(t *testing.T) {
	b := enginetest.Open(t)
	c := mixedCases[1]
	n := mixedNet(t, b, c, 71)
	defer n.Close()
	params, _ := n.HostParams()
	raw, err := EncodeCheckpoint(n.Spec(), CheckpointHeader{Seed: 71}, params)
	if err != nil {
		t.Fatal(err)
	}
	h, got, err := DecodeCheckpoint(raw, "mixed.ngm")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := h.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Describe() != n.Spec().Describe() || h.Kinds != "attention,dense,product" || !h.Residual || h.TokenDim != 2 {
		t.Errorf("loaded %s (kinds %q, token dim %d, residual %v); saved %s", spec.Describe(), h.Kinds, h.TokenDim, h.Residual, n.Spec().Describe())
	}
	closeTo(t, "parameters", got, params, 0)

	h.Kinds = "product,dense"
	if _, err := EncodeCheckpoint(spec, h, params); err != nil {
		t.Fatal(err) // Encode sets the kinds from the spec
	}
	h.Format = checkpointFormat
	if _, err := h.Spec(); err == nil || !strings.Contains(err.Error(), "kinds") {
		t.Errorf("header with 2 kinds for 3 layers: %v", err)
	}
	if _, _, err := DecodeCheckpoint(raw[:len(raw)-3], "cut.ngm"); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("truncated mixed checkpoint: %v", err)
	}
}

// TestDescribe: the architecture string names the kinds only when some
// layer is not dense (an explicit all-dense list reads like none), and the
// token dimension and residual connection only with attention.
func TestDescribe(t *testing.T) {
	D, P, A := layerkind.Dense, layerkind.Product, layerkind.Attention
	for _, c := range []struct {
		spec NetworkSpec
		want string
	}{
		{NetworkSpec{Widths: []int{4, 16, 16, 3}}, "4-16-16-3"},
		{NetworkSpec{Widths: []int{4, 16, 16, 3}, Kinds: []layerkind.Kind{D, D, D}}, "4-16-16-3"},
		{NetworkSpec{Widths: []int{4, 16, 16, 3}, Kinds: []layerkind.Kind{P, D, D}}, "4-16-16-3 (product,dense,dense)"},
		{NetworkSpec{Widths: []int{64, 64, 16, 10}, Kinds: []layerkind.Kind{A, D, D}, TokenDim: 8, Residual: true}, "64-64-16-10 (attention,dense,dense; token dim 8, residual)"},
		{NetworkSpec{Widths: []int{64, 64, 10}, Kinds: []layerkind.Kind{A, D}, TokenDim: 8}, "64-64-10 (attention,dense; token dim 8)"},
	} {
		if got := c.spec.Describe(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.spec, got, c.want)
		}
	}
}

// TestSpecBoundaries: NetworkSpec.Check and ParseArch at their edges:
// widths of 1, two widths, tokens of dimension 1 are taken; the attention
// error names the widths it maps between; an unknown init scheme prints
// its number.
func TestSpecBoundaries(t *testing.T) {
	a := act(t, "tanh")
	A := layerkind.Attention
	for _, s := range []NetworkSpec{
		{Widths: []int{1, 1}, Act: a},
		{Widths: []int{4, 4, 2}, Act: a, Kinds: []layerkind.Kind{A, layerkind.Dense}, TokenDim: 1},
	} {
		if err := s.Check(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	err := NetworkSpec{Widths: []int{4, 6, 2}, Act: a, Kinds: []layerkind.Kind{A, layerkind.Dense}, TokenDim: 2}.Check()
	if err == nil || !strings.Contains(err.Error(), "layer 1 is attention, which keeps the width, but maps 4 to 6 features") {
		t.Errorf("attention 4 -> 6: %v", err)
	}
	if w, err := ParseArch("1-1"); err != nil || !slices.Equal(w, []int{1, 1}) {
		t.Errorf("ParseArch(1-1) = %v, %v", w, err)
	}
	for _, bad := range []string{"4", "4-0-3", "4--3"} {
		if _, err := ParseArch(bad); err == nil {
			t.Errorf("ParseArch(%q): no error", bad)
		}
	}
	if got := InitScheme(len(initNames)).String(); got != fmt.Sprintf("InitScheme(%d)", len(initNames)) {
		t.Errorf("unknown init scheme: %q", got)
	}
	if got := InitOrthogonal.String(); got != "orthogonal" {
		t.Errorf("InitOrthogonal: %q", got)
	}
}
