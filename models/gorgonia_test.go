package models

import (
	"fmt"
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	_ "go4.org/unsafe/assume-no-moving-gc" // gorgonia's dependency panics at start on new Go releases without it
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gorgoniaLossGrad builds the same network and loss as an expression graph
// in gorgonia (an independent reverse-mode automatic differentiation) and
// returns the loss and its gradient in the MLP's parameter layout.
//
// The graph works with samples as rows: X is N x D row-major, which is the
// memory of the engine's D x N column-major matrix, and a layer is
// Y = X W^T + 1 b^T; W_l stored column-major (w_l x w_{l-1}) is the
// row-major matrix W_l^T (w_{l-1} x w_l), so the same slice backs both and
// gorgonia's gradient of W^T is the gradient of W in the MLP's layout. The
// softmax cross-entropy is written out as sum(T * (Z - log(sum(exp(Z))))),
// with no shift (the logits of these small nets are O(1)).
func gorgoniaLossGrad(t *testing.T, widths []int, actName string, loss Loss, params, x, tg []float64) (float64, []float64) {
	t.Helper()
	g := G.NewGraph()
	n := len(x) / widths[0]
	L := len(widths) - 1
	mat := func(name string, rows, cols int, data []float64) *G.Node {
		return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float64(nil), data...)))))
	}
	must := func(nd *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return nd
	}
	var wrt []*G.Node
	h := mat("x", n, widths[0], x)
	off := 0
	for l := 1; l <= L; l++ {
		nIn, nOut := widths[l-1], widths[l]
		wt := mat(fmt.Sprintf("W%d", l), nIn, nOut, params[off:off+nIn*nOut])
		off += nIn * nOut
		bb := mat(fmt.Sprintf("b%d", l), 1, nOut, params[off:off+nOut])
		off += nOut
		wrt = append(wrt, wt, bb)
		y := must(G.BroadcastAdd(must(G.Mul(h, wt)), bb, nil, []byte{0}))
		if l == L {
			h = y
			break
		}
		switch actName {
		case "tanh":
			h = must(G.Tanh(y))
		case "sigmoid":
			h = must(G.Sigmoid(y))
		case "relu":
			h = must(G.Rectify(y))
		case "softplus":
			h = must(G.Softplus(y))
		case "sin":
			h = must(G.Sin(y))
		case "swish":
			h = must(G.HadamardProd(y, must(G.Sigmoid(y))))
		case "linear":
			h = y
		default:
			t.Fatalf("no gorgonia form for %s", actName)
		}
	}
	c := widths[L]
	target := mat("t", n, c, tg)
	var total *G.Node
	switch loss {
	case CrossEntropy:
		lse := must(G.Reshape(must(G.Log(must(G.Sum(must(G.Exp(h)), 1)))), tensor.Shape{n, 1}))
		logp := must(G.BroadcastSub(h, lse, nil, []byte{1}))
		total = must(G.Mul(must(G.Sum(must(G.HadamardProd(target, logp)))), G.NewConstant(-1/float64(n))))
	case SquaredError:
		total = must(G.Mul(must(G.Sum(must(G.Square(must(G.Sub(h, target)))))), G.NewConstant(0.5/float64(n))))
	}
	grads, err := G.Grad(total, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	var grad []float64
	for _, gr := range grads {
		grad = append(grad, gr.Value().Data().([]float64)...)
	}
	return total.Value().Data().(float64), grad
}

// TestGradientAgainstGorgonia: loss and gradient against gorgonia's
// automatic differentiation on small 3-layer nets, both losses, the
// activations gorgonia has (tanh, sigmoid, relu, softplus, sin; swish
// composed as y sigmoid(y); linear). Both compute the same expressions in
// float64 with different summation orders and elementary-function
// implementations, so they agree to rounding: 1e-12 relative (observed
// ~1e-15), where a wrong term is off by O(1).
func TestGradientAgainstGorgonia(t *testing.T) {
	b := enginetest.Open(t)
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		for _, a := range []string{"tanh", "sigmoid", "relu", "softplus", "sin", "swish", "linear"} {
			t.Run(loss.String()+"/"+a, func(t *testing.T) {
				widths := []int{4, 6, 5, 3}
				n := smallNet(t, b, widths, a, loss, 61)
				d, x, tg := smallData(t, b, 10, 4, 3, loss, 62)
				e := evaluator(t, n, 4) // chunks of 4: the oracle also checks the chunked sums
				defer e.Close()
				grad := newParams(t, n)
				l, err := e.Gradient(n.Params(), d, grad)
				if err != nil {
					t.Fatal(err)
				}
				params, _ := n.HostParams()
				wantL, wantG := gorgoniaLossGrad(t, widths, a, loss, params, x, tg)
				if !(math.Abs(l-wantL) <= 1e-12*math.Abs(wantL)) {
					t.Errorf("loss %.17g, gorgonia %.17g", l, wantL)
				}
				closeTo(t, "gradient against gorgonia", down(t, b, grad), wantG, 1e-12)
			})
		}
	}
}
