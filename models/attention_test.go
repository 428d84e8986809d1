package models

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
)

// refAttention is an independent plain-Go forward pass of the attention
// layer: per sample and query i, the logits of the keys j, the softmax with
// the column maximum subtracted, and the weighted sum of the values.
func refAttention(D, T, batch int, residual bool, theta, x []float64) []float64 {
	dd := D * D
	Wq, Wk, Wv := theta[:dd], theta[dd:2*dd], theta[2*dd:]
	apply := func(W, v []float64) []float64 { // W (D x D col-major) v
		out := make([]float64, D)
		for r := range D {
			for c := range D {
				out[r] += W[r+c*D] * v[c]
			}
		}
		return out
	}
	y := make([]float64, len(x))
	for n := range batch {
		tok := func(i int) []float64 { return x[(n*T+i)*D : (n*T+i+1)*D] }
		q, k, v := make([][]float64, T), make([][]float64, T), make([][]float64, T)
		for i := range T {
			q[i], k[i], v[i] = apply(Wq, tok(i)), apply(Wk, tok(i)), apply(Wv, tok(i))
		}
		for i := range T {
			logit := make([]float64, T)
			mx := math.Inf(-1)
			for j := range T {
				for r := range D {
					logit[j] += k[j][r] * q[i][r]
				}
				logit[j] /= math.Sqrt(float64(D))
				mx = math.Max(mx, logit[j])
			}
			sum := 0.0
			for j := range T {
				logit[j] = math.Exp(logit[j] - mx)
				sum += logit[j]
			}
			out := y[(n*T+i)*D : (n*T+i+1)*D]
			for j := range T {
				for r := range D {
					out[r] += logit[j] / sum * v[j][r]
				}
			}
			if residual {
				for r := range D {
					out[r] += tok(i)[r]
				}
			}
		}
	}
	return y
}

// TestAttentionForwardReference: Forward against refAttention (rounding
// only: 1e-13 relative), with and without the residual, 3 samples.
func TestAttentionForwardReference(t *testing.T) {
	b := enginetest.Open(t)
	const D, T, N = 4, 5, 3
	for _, res := range []bool{false, true} {
		a := &attention{d: D, t: T, residual: res}
		theta, x := randVec(numParams(a), 21, 0.9), randVec(D*T*N, 22, 1.3)
		got := forwardHost(t, b, layerCase{layer: a, batch: N}, theta, x)
		within(t, "attention forward vs reference", relErr(got, refAttention(D, T, N, res, theta, x)), 1e-13)
	}
}

// TestAttentionLargeLogits: tokens on a circle of radius rho with Wq = Wk =
// I, Wv = I give logits S[j,i] = rho^2 cos(t_i - t_j) / sqrt(2) of up to
// 1e3, where exp overflows (exp(1e3) = +Inf); neighbouring keys differ by
// O(1), so the weights are not one-hot. Forward must match the reference
// (which subtracts the maximum too, with its own summation order: logits
// of 1e3 carry rounding ~1e-13 absolute, so 1e-11 relative); Jet, Backward
// and the R-passes must be finite.
func TestAttentionLargeLogits(t *testing.T) {
	b := enginetest.Open(t)
	const D, T, N = 2, 6, 2
	a := &attention{d: D, t: T, residual: true}
	c := layerCase{layer: a, batch: N}
	theta := make([]float64, numParams(a))
	for k := range 3 {
		theta[k*D*D], theta[k*D*D+3] = 1, 1
	}
	rho := math.Sqrt(1e3 * math.Sqrt(2))
	x := make([]float64, D*T*N)
	for n := range N {
		for i := range T {
			ang := 0.04*float64(i) + 0.5*float64(n)
			x[(n*T+i)*D], x[(n*T+i)*D+1] = rho*math.Cos(ang), rho*math.Sin(ang)
		}
	}
	if !math.IsInf(math.Exp(rho*rho/math.Sqrt(2)), 1) {
		t.Fatal("test logits do not overflow a naive exp")
	}
	want := refAttention(D, T, N, true, theta, x)
	got := forwardHost(t, b, c, theta, x)
	within(t, "attention at logits 1e3 vs reference", relErr(got, want), 1e-11)
	// The weights are spread: the output is not just the nearest token
	// (with the residual, y_i - x_i = sum_j A_ji x_j differs from x_i).
	spread := 0.0
	for i := range got {
		spread = math.Max(spread, math.Abs(got[i]-2*x[i]))
	}
	if spread < 1e-3*rho {
		t.Errorf("attention weights look one-hot (spread %.3g); the test does not probe the softmax", spread)
	}
	// Derivatives at these logits are finite.
	n := D * T * N
	v, acc := randVec(n, 23, 1), randVec(n, 24, 1)
	y, dy, ddy := jetHost(t, b, c, theta, x, v, acc)
	gth, gx := gradients(t, b, c, randVec(n, 25, 1), theta, x)
	c.theta, c.x = theta, x
	rgth, rgx := hvp(t, b, c, randVec(n, 25, 1), randVec(numParams(a), 26, 1), v)
	for name, vals := range map[string][]float64{"y": y, "dy": dy, "ddy": ddy, "gx": gx, "gtheta": gth, "rgx": rgx, "rgtheta": rgth} {
		for _, e := range vals {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				t.Fatalf("%s is not finite at logits 1e3: %v", name, e)
			}
		}
	}
}

// TestProductLayerMatchesRandomNet: the product layer at the parameters
// drawn for layer 1 of a random network with Kinds = {Product} (linear
// activation, raw input) computes what the network's Run does: the same
// layer through the same passes, to the bit.
func TestProductLayerMatchesRandomNet(t *testing.T) {
	b := enginetest.Open(t)
	const in, out, N = 5, 7, 4
	net, err := NewRandomNetwork(RandomSpec{Widths: []int{in, out}, Act: act(t, "linear"), SigmaW: 1.3, SigmaB: 0.4, Seed: 9, Kinds: []layerkind.Kind{layerkind.Product}})
	if err != nil {
		t.Fatal(err)
	}
	par, err := net.HostParams(1)
	if err != nil {
		t.Fatal(err)
	}
	var theta []float64
	for _, p := range par {
		theta = append(theta, p...)
	}
	x := randVec(in*N, 31, 1)
	got := forwardHost(t, b, layerCase{layer: &product{in: in, out: out}, batch: N}, theta, x)
	o, err := net.Run(b, up(t, b, x), N, RunOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "product layer vs random network", got, down(t, b, o), 0)
}
