package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// blockTol: a block product skips only products with zero (a zero
// tangent before the block, zero direction blocks) and results it
// discards, so it equals the full product's entries up to the order of a
// few additions of zero-valued terms: 1e-13 of the largest entry leaves
// rounding room while a missing term (a skipped layer the block needs) is
// off by O(1).
const blockTol = 1e-13

// TestApplyBlockMatchesFull: for a dense tanh network and the network of
// every layer kind, for the Hessian and the Gauss-Newton matrix, every
// layer's block, every tensor's block and a block of two spans given out
// of order equal the corresponding submatrix of the dense operator
// assembled from full products (chunked passes: 11 samples in chunks of
// 4). Each block product counts as one product.
func TestApplyBlockMatchesFull(t *testing.T) {
	b := enginetest.Open(t)
	nets := map[string]*Network{"dense": smallNet(t, b, []int{3, 6, 5, 4}, "tanh", CrossEntropy, 31)}
	mixed, err := NewNetwork(b, mixedSpec(t, CrossEntropy))
	if err != nil {
		t.Fatal(err)
	}
	if err := mixed.SetParams(randVec(mixed.NumParams(), 32, 0.6)); err != nil {
		t.Fatal(err)
	}
	nets["all kinds"] = mixed
	for name, n := range nets {
		for _, gn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gauss-newton=%v", name, gn), func(t *testing.T) {
				spec := n.Spec()
				d, _, _ := smallData(t, b, 11, spec.Widths[0], spec.Widths[n.Depth()], CrossEntropy, 33)
				h, err := NewHessian(n, n.Params(), d, HessianOptions{Chunk: 4, GaussNewton: gn})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				P := h.Dim()
				full := denseOperator(t, b, P, h.Apply)
				var blocks [][]Span
				for l := 1; l <= n.Depth(); l++ {
					blk := spec.Block(l)
					blocks = append(blocks, []Span{{blk.Off, blk.Len}})
					for _, tn := range blk.Tensors {
						blocks = append(blocks, []Span{{tn.Off, tn.Len()}})
					}
				}
				last, first := spec.Block(n.Depth()).Tensors[0], spec.Block(1).Tensors[1]
				blocks = append(blocks, []Span{{last.Off, last.Len()}, {first.Off, first.Len()}})
				for _, spans := range blocks {
					var idx []int
					for _, s := range spans {
						for i := s.Off; i < s.Off+s.Len; i++ {
							idx = append(idx, i)
						}
					}
					m := len(idx)
					before := h.Products()
					got := denseOperator(t, b, m, func(v, out engine.Buffer) error { return h.ApplyBlock(spans, v, out) })
					if h.Products()-before != m {
						t.Errorf("spans %v: %d products counted for %d block products", spans, h.Products()-before, m)
					}
					want := make([]float64, m*m)
					for i, r := range idx {
						for j, c := range idx {
							want[i*m+j] = full[r*P+c]
						}
					}
					scale := maxAbs(full)
					for i := range want {
						if !(math.Abs(got[i]-want[i]) <= blockTol*scale) {
							t.Errorf("spans %v: block entry (%d, %d) = %.17g, want %.17g from the full products", spans, i/m, i%m, got[i], want[i])
							break
						}
					}
				}
			})
		}
	}
}

// TestApplyActivations checks the Hessian in a layer's activations
// against three independent facts:
//   - for l < L, shifting layer l's activations by u in every sample is
//     shifting layer l+1's bias by W u, so A u = W^T dg_b, where dg_b is
//     the change of the loss's bias gradient (backpropagation, not the
//     R-operator) along W u by central differences (error ~1e-11, fdTol);
//   - at the logits (l = L) A is the mean loss Hessian in z: the identity
//     for squared error, (1/N) sum_j diag(p_j) - p_j p_j^T for
//     cross-entropy, p_j the softmax of the logits (1e-13: the closed form
//     and the products differ by rounding only);
//   - the Gauss-Newton part equals the Hessian at the logits and before the
//     linear output layer (z is linear in those activations), and differs
//     from it deeper (the tanh layer's curvature).
func TestApplyActivations(t *testing.T) {
	b := enginetest.Open(t)
	widths := []int{3, 6, 5, 4}
	L := len(widths) - 1
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		t.Run(loss.String(), func(t *testing.T) {
			n := smallNet(t, b, widths, "tanh", loss, 41)
			d, _, _ := smallData(t, b, 11, 3, 4, loss, 42)
			e := evaluator(t, n, 0)
			defer e.Close()
			h, err := NewHessian(n, n.Params(), d, HessianOptions{Chunk: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			g, err := NewHessian(n, n.Params(), d, HessianOptions{Chunk: 5, GaussNewton: true})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			theta, _ := n.HostParams()
			spec := n.Spec()
			r := rand.New(rand.NewPCG(43, 43))
			gp, gm := newParams(t, n), newParams(t, n)
			for l := 0; l <= L; l++ {
				w, err := h.ActivationDim(l)
				if err != nil || w != widths[l] {
					t.Fatalf("ActivationDim(%d) = %d, %v; want %d", l, w, err, widths[l])
				}
				A := denseOperator(t, b, w, func(u, out engine.Buffer) error { return h.ApplyActivations(l, u, out) })
				G := denseOperator(t, b, w, func(u, out engine.Buffer) error { return g.ApplyActivations(l, u, out) })
				diff := 0.0
				for i := range A {
					diff = math.Max(diff, math.Abs(A[i]-G[i]))
				}
				if l >= L-1 && diff > 1e-13*maxAbs(A) {
					t.Errorf("layer %d: Gauss-Newton part differs from the Hessian by %.3g; z is linear in these activations", l, diff)
				}
				if l < L-1 && diff < 1e-6*maxAbs(A) {
					t.Errorf("layer %d: Gauss-Newton part equals the Hessian (diff %.3g); the tanh layer's curvature is missing", l, diff)
				}
				if l == L {
					closeTo(t, "A at the logits", A, logitHessian(t, b, e, n, d, loss), 1e-13)
					continue
				}
				Wt := spec.Block(l + 1).Tensors
				W, bias := theta[Wt[0].Off:Wt[0].Off+Wt[0].Len()], Wt[1]
				for k := 0; k < 2; k++ {
					u := make([]float64, w)
					for i := range u {
						u[i] = r.NormFloat64()
					}
					dir := make([]float64, len(theta)) // W u in layer l+1's bias
					for i := 0; i < bias.Rows; i++ {
						for j := 0; j < w; j++ {
							dir[bias.Off+i] += W[j*bias.Rows+i] * u[j]
						}
					}
					if _, err := e.Gradient(shifted(t, b, theta, dir, fdStep), d, gp); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Gradient(shifted(t, b, theta, dir, -fdStep), d, gm); err != nil {
						t.Fatal(err)
					}
					p, m := down(t, b, gp), down(t, b, gm)
					want := make([]float64, w)
					for j := 0; j < w; j++ {
						for i := 0; i < bias.Rows; i++ {
							want[j] += W[j*bias.Rows+i] * (p[bias.Off+i] - m[bias.Off+i]) / (2 * fdStep)
						}
					}
					got := make([]float64, w)
					for i := range got {
						for j := range u {
							got[i] += A[i*w+j] * u[j]
						}
					}
					closeTo(t, fmt.Sprintf("layer %d: A u (direction %d)", l, k), got, want, fdTol)
				}
			}
		})
	}
}

// logitHessian is the mean loss Hessian in the logits by its closed form.
func logitHessian(t *testing.T, b engine.Backend, e *Evaluator, n *Network, d *Data, loss Loss) []float64 {
	c := d.C
	want := make([]float64, c*c)
	if loss == SquaredError {
		for i := 0; i < c; i++ {
			want[i*c+i] = 1
		}
		return want
	}
	z, err := e.Logits(n.Params(), d)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < d.N; j++ {
		col := z[j*c : (j+1)*c]
		mx, sum := math.Inf(-1), 0.0
		for _, v := range col {
			mx = math.Max(mx, v)
		}
		p := make([]float64, c)
		for i, v := range col {
			p[i] = math.Exp(v - mx)
			sum += p[i]
		}
		for i := range p {
			p[i] /= sum
		}
		for i := 0; i < c; i++ {
			want[i*c+i] += p[i] / float64(d.N)
			for k := 0; k < c; k++ {
				want[i*c+k] -= p[i] * p[k] / float64(d.N)
			}
		}
	}
	return want
}

// TestHessianPartErrors: bad spans, layers and lengths are errors that
// say what was wrong.
func TestHessianPartErrors(t *testing.T) {
	b := enginetest.Open(t)
	n := smallNet(t, b, []int{3, 6, 4}, "tanh", CrossEntropy, 51)
	d, _, _ := smallData(t, b, 5, 3, 4, CrossEntropy, 52)
	h, err := NewHessian(n, n.Params(), d, HessianOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	P := h.Dim()
	v3, out3 := up(t, b, make([]float64, 3)), up(t, b, make([]float64, 3))
	for _, c := range []struct {
		spans []Span
		want  string
	}{
		{nil, "no parameter spans"},
		{[]Span{{-1, 3}}, "span 0 [-1, 2) is not a non-empty range"},
		{[]Span{{P - 2, 3}}, fmt.Sprintf("span 0 [%d, %d) is not a non-empty range of the %d parameters", P-2, P+1, P)},
		{[]Span{{0, 0}}, "not a non-empty range"},
		{[]Span{{0, 2}, {1, 1}}, "spans 0 [0, 2) and 1 [1, 2) overlap"},
		{[]Span{{5, 2}, {4, 2}}, "spans 0 [5, 7) and 1 [4, 6) overlap"},
		{[]Span{{0, 4}}, "must have the block's 4 elements"},
	} {
		if err := h.ApplyBlock(c.spans, v3, out3); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ApplyBlock(%v): %v, want an error containing %q", c.spans, err, c.want)
		}
	}
	// Adjacent spans do not overlap; a span may end at the last parameter.
	for _, sp := range [][]Span{{{0, 2}, {2, 1}}, {{2, 1}, {0, 2}}} {
		if err := h.ApplyBlock(sp, v3, out3); err != nil {
			t.Errorf("adjacent spans %v: %v", sp, err)
		}
	}
	if err := h.ApplyBlock([]Span{{P - 3, 3}}, v3, out3); err != nil {
		t.Errorf("span [P-3, P): %v", err)
	}
	for _, l := range []int{-1, 3} {
		if err := h.ApplyActivations(l, v3, out3); err == nil || !strings.Contains(err.Error(), "want a layer from 0 (the input) to 2") {
			t.Errorf("ApplyActivations(%d): %v, want a layer-range error", l, err)
		}
	}
	if err := h.ApplyActivations(1, v3, out3); err == nil || !strings.Contains(err.Error(), "the layer's 6 elements") {
		t.Errorf("ApplyActivations(1) with 3 elements: %v, want a length error", err)
	}
}
