package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// Tolerances of the finite-difference oracles. Central differences of a
// smooth function with step h err by h^2 f^(3)/6 (truncation) plus about
// u |f| / h (rounding, u = 2^-53): with h = 1e-5 and the O(1) losses and
// gradients of these small nets, both are ~1e-11, so 1e-7 (relative to the
// largest entry, and absolute below 1) leaves a factor of 10^3-10^4 of
// margin while any wrong term in a derivative (a missing phi^(2) or V^T delta
// term, a wrong sign, a missing 1/N) is off by O(1).
const (
	fdStep = 1e-5
	fdTol  = 1e-7
)

// smallNet builds a network of the given widths, activation and loss with
// Glorot weights (gain 1.3) and N(0, 0.3^2) biases, so that no bias is 0
// and pre-activations reach the curved part of every activation.
func smallNet(t testing.TB, b engine.Backend, widths []int, actName string, loss Loss, seed uint64) *Network {
	t.Helper()
	n, err := NewNetwork(b, NetworkSpec{Widths: widths, Act: act(t, actName), Loss: loss})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Initialize(Init{Scheme: InitGlorot, SigmaW: 1.3, SigmaB: 0.3}, seed); err != nil {
		t.Fatal(err)
	}
	return n
}

// smallData returns n samples of d standard normal features with random
// labels in [0, c): one-hot targets for cross-entropy, and for squared error
// the one-hot vectors plus noise (so that no residual is exactly 0).
func smallData(t testing.TB, b engine.Backend, n, d, c int, loss Loss, seed uint64) (*Data, []float64, []float64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 77))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	tg := make([]float64, n*c)
	labels := make([]int, n)
	for j := range labels {
		labels[j] = r.IntN(c)
		tg[j*c+labels[j]] = 1
		if loss == SquaredError {
			for i := 0; i < c; i++ {
				tg[j*c+i] += 0.3 * r.NormFloat64()
			}
		}
	}
	data, err := NewData(b, x, d, tg, c, labels)
	if err != nil {
		t.Fatal(err)
	}
	return data, x, tg
}

func newParams(t testing.TB, n *Network) engine.Buffer {
	t.Helper()
	p, err := n.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func evaluator(t testing.TB, n *Network, chunk int) *Evaluator {
	t.Helper()
	e, err := n.NewEvaluator(chunk)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// closeTo checks |got - want| <= tol max(1, max|want|) elementwise.
func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := math.Max(1, maxAbs(want))
	bad := 0
	for i := range want {
		if !(math.Abs(got[i]-want[i]) <= tol*scale) {
			if bad < 5 {
				t.Errorf("%s[%d] = %.15g, want %.15g (|diff| %.3g > %.3g)", what, i, got[i], want[i], math.Abs(got[i]-want[i]), tol*scale)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values out of tolerance", what, bad, len(want))
	}
}

// shifted returns theta + h dir as a new buffer (host arithmetic).
func shifted(t testing.TB, b engine.Backend, theta []float64, dir []float64, h float64) engine.Buffer {
	t.Helper()
	p := make([]float64, len(theta))
	for i := range p {
		p[i] = theta[i] + h*dir[i]
	}
	return up(t, b, p)
}

var allActs = activation.Names()

// secondOrderActs have a second derivative that is not 0 almost everywhere
// (relu and hard-tanh are piecewise linear: phi^(2) = 0 a.e.; linear is
// included, its phi^(2) is 0 everywhere and exact).
var secondOrderActs = []string{"tanh", "erf", "sigmoid", "softplus", "sin", "gelu", "swish", "linear"}

// TestGradientFiniteDifferences: the loss's gradient by backpropagation
// against central differences of the loss in every parameter, for every
// activation and both losses, on a 3-layer net (including relu and
// hard-tanh: with standard normal inputs no pre-activation comes within h
// of a kink, where a difference quotient would straddle it).
func TestGradientFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		for _, a := range allActs {
			t.Run(loss.String()+"/"+a, func(t *testing.T) {
				n := smallNet(t, b, []int{3, 5, 4, 3}, a, loss, 11)
				d, _, _ := smallData(t, b, 9, 3, 3, loss, 12)
				e := evaluator(t, n, 0)
				defer e.Close()
				checkGradientByDifferences(t, b, e, n, d)
			})
		}
	}
}

// checkGradientByDifferences checks e's gradient of the mean loss over d
// at n's parameters against central differences of e.Loss in every
// parameter (fdTol), and that Gradient returns Loss's value; it returns
// the loss.
func checkGradientByDifferences(t *testing.T, b engine.Backend, e *Evaluator, n *Network, d *Data) float64 {
	t.Helper()
	g := newParams(t, n)
	lossV, err := e.Gradient(n.Params(), d, g)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := e.Loss(n.Params(), d)
	if err != nil {
		t.Fatal(err)
	}
	if lossV != l2 {
		t.Errorf("Gradient's loss %v != Loss %v", lossV, l2)
	}
	theta, err := n.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	fd := make([]float64, len(theta))
	unit := make([]float64, len(theta))
	for i := range theta {
		unit[i] = 1
		lp, err1 := e.Loss(shifted(t, b, theta, unit, fdStep), d)
		lm, err2 := e.Loss(shifted(t, b, theta, unit, -fdStep), d)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		fd[i] = (lp - lm) / (2 * fdStep)
		unit[i] = 0
	}
	closeTo(t, "gradient", down(t, b, g), fd, fdTol)
	return l2
}

// TestHVPFiniteDifferences: the R-operator's H v against central
// differences of the backpropagated gradient, (g(theta + h v) - g(theta -
// h v)) / 2h, for three random directions, every activation with a second
// derivative and both losses, on a 3-layer net.
func TestHVPFiniteDifferences(t *testing.T) {
	b := enginetest.Open(t)
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		for _, a := range secondOrderActs {
			t.Run(loss.String()+"/"+a, func(t *testing.T) {
				n := smallNet(t, b, []int{3, 6, 5, 4}, a, loss, 21)
				d, _, _ := smallData(t, b, 11, 3, 4, loss, 22)
				e := evaluator(t, n, 0)
				defer e.Close()
				theta, _ := n.HostParams()
				r := rand.New(rand.NewPCG(23, 23))
				gp, gm, hv := newParams(t, n), newParams(t, n), newParams(t, n)
				for k := 0; k < 3; k++ {
					dir := make([]float64, len(theta))
					for i := range dir {
						dir[i] = r.NormFloat64()
					}
					if err := e.HVP(n.Params(), d, up(t, b, dir), hv); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Gradient(shifted(t, b, theta, dir, fdStep), d, gp); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Gradient(shifted(t, b, theta, dir, -fdStep), d, gm); err != nil {
						t.Fatal(err)
					}
					p, m := down(t, b, gp), down(t, b, gm)
					fd := make([]float64, len(p))
					for i := range fd {
						fd[i] = (p[i] - m[i]) / (2 * fdStep)
					}
					closeTo(t, fmt.Sprintf("H v (direction %d)", k), down(t, b, hv), fd, fdTol)
				}
			})
		}
	}
}

// denseOperator assembles the P x P matrix (row-major) of apply from its
// products with the P unit vectors.
func denseOperator(t *testing.T, b engine.Backend, p int, apply func(v, out engine.Buffer) error) []float64 {
	t.Helper()
	h := make([]float64, p*p)
	unit := make([]float64, p)
	v, out := up(t, b, unit), up(t, b, unit)
	for j := 0; j < p; j++ {
		unit[j] = 1
		if err := b.Upload(v, unit); err != nil {
			t.Fatal(err)
		}
		if err := apply(v, out); err != nil {
			t.Fatal(err)
		}
		col := down(t, b, out)
		for i := 0; i < p; i++ {
			h[i*p+j] = col[i]
		}
		unit[j] = 0
	}
	return h
}

// asymmetry is max |H_ij - H_ji| / max |H_ij|.
func asymmetry(h []float64, p int) float64 {
	worst := 0.0
	for i := 0; i < p; i++ {
		for j := 0; j < i; j++ {
			worst = math.Max(worst, math.Abs(h[i*p+j]-h[j*p+i]))
		}
	}
	return worst / maxAbs(h)
}

// TestHessianSymmetric: the dense Hessian assembled from P Hessian-vector
// products (by the cached operator) is symmetric to 1e-10 relative for every
// activation with a second derivative and both losses. The R-operator
// computes each column by a different sequence of products, so only a
// correct (symmetric) Hessian agrees with its transpose; rounding alone
// leaves ~1e-15. It also checks the cached operator against the uncached
// Evaluator.HVP, and that relu and hard-tanh (phi^(2) = 0 a.e.) give a
// symmetric matrix too.
func TestHessianSymmetric(t *testing.T) {
	b := enginetest.Open(t)
	acts := append(append([]string(nil), secondOrderActs...), "relu", "hard-tanh")
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		for _, a := range acts {
			t.Run(loss.String()+"/"+a, func(t *testing.T) {
				n := smallNet(t, b, []int{3, 5, 4, 3}, a, loss, 31)
				d, _, _ := smallData(t, b, 13, 3, 3, loss, 32)
				h, err := NewHessian(n, n.Params(), d, HessianOptions{Chunk: 5})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				p := n.NumParams()
				dense := denseOperator(t, b, p, h.Apply)
				if h.Products() != p {
					t.Errorf("Products() = %d after %d products", h.Products(), p)
				}
				asym := asymmetry(dense, p)
				if !(asym <= 1e-10) {
					t.Errorf("dense Hessian (%d x %d): max |H - H^T| / max |H| = %.3g > 1e-10", p, p, asym)
				}
				t.Logf("P = %d: max |H - H^T| / max |H| = %.3g", p, asym)
				// The cached operator and the evaluator's own passes.
				e := evaluator(t, n, 5)
				defer e.Close()
				uncached := denseOperator(t, b, p, func(v, out engine.Buffer) error { return e.HVP(n.Params(), d, v, out) })
				closeTo(t, "cached H against Evaluator.HVP", dense, uncached, 1e-13)
				l, _ := e.Loss(n.Params(), d)
				if h.Loss() != l {
					t.Errorf("Hessian's loss %v, Evaluator's %v", h.Loss(), l)
				}
			})
		}
	}
}

// TestGaussNewton: the Gauss-Newton product against J^T H_z J assembled
// from an independent Jacobian (central differences of the logits in every
// parameter) and the loss's Hessian in z written out densely; G is positive
// semi-definite (smallest eigenvalue >= -1e-12 max |G|); and for a network
// with no hidden layer and squared error (a linear least-squares problem)
// G equals the Hessian.
func TestGaussNewton(t *testing.T) {
	b := enginetest.Open(t)
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		for _, a := range []string{"tanh", "softplus", "relu"} {
			t.Run(loss.String()+"/"+a, func(t *testing.T) {
				const N, D, C = 6, 3, 3
				n := smallNet(t, b, []int{D, 4, C}, a, loss, 41)
				d, _, _ := smallData(t, b, N, D, C, loss, 42)
				h, err := NewHessian(n, n.Params(), d, HessianOptions{GaussNewton: true})
				if err != nil {
					t.Fatal(err)
				}
				defer h.Close()
				p := n.NumParams()
				G := denseOperator(t, b, p, h.Apply)
				e := evaluator(t, n, 0)
				defer e.Close()
				viaEval := denseOperator(t, b, p, func(v, out engine.Buffer) error { return e.GaussNewton(n.Params(), d, v, out) })
				closeTo(t, "cached G against Evaluator.GaussNewton", G, viaEval, 1e-13)

				want := gaussNewtonByDifferences(t, b, e, n, d, loss)
				closeTo(t, "G against J^T H_z J (finite-difference J)", G, want, fdTol)

				var eig mat.EigenSym
				if !eig.Factorize(mat.NewSymDense(p, symmetrize(G, p)), false) {
					t.Fatal("eigendecomposition failed")
				}
				if lo := eig.Values(nil)[0]; lo < -1e-12*maxAbs(G) {
					t.Errorf("Gauss-Newton matrix has eigenvalue %.3g < 0 (max |G| %.3g)", lo, maxAbs(G))
				}
			})
		}
	}
	t.Run("linear least squares: G = H", func(t *testing.T) {
		n := smallNet(t, b, []int{4, 3}, "tanh", SquaredError, 43)
		d, _, _ := smallData(t, b, 10, 4, 3, SquaredError, 44)
		e := evaluator(t, n, 0)
		defer e.Close()
		p := n.NumParams()
		H := denseOperator(t, b, p, func(v, out engine.Buffer) error { return e.HVP(n.Params(), d, v, out) })
		G := denseOperator(t, b, p, func(v, out engine.Buffer) error { return e.GaussNewton(n.Params(), d, v, out) })
		closeTo(t, "G against H", G, H, 1e-14)
	})
}

// gaussNewtonByDifferences returns J^T H_z J densely (P x P, row-major):
// J the logits' Jacobian in the parameters by central differences of
// e.Logits at n's parameters, H_z the loss's Hessian in the logits per
// sample, (diag(p) - p p^T)/N for cross-entropy and I/N for squared error,
// written out from its definition.
func gaussNewtonByDifferences(t *testing.T, b engine.Backend, e *Evaluator, n *Network, d *Data, loss Loss) []float64 {
	t.Helper()
	N, C, p := d.N, d.C, n.NumParams()
	// Jacobian of the logits by central differences: J is (N C) x P.
	theta, _ := n.HostParams()
	z0, err := e.Logits(n.Params(), d)
	if err != nil {
		t.Fatal(err)
	}
	J := make([]float64, len(z0)*p)
	unit := make([]float64, p)
	for k := 0; k < p; k++ {
		unit[k] = 1
		zp, _ := e.Logits(shifted(t, b, theta, unit, fdStep), d)
		zm, _ := e.Logits(shifted(t, b, theta, unit, -fdStep), d)
		for i := range zp {
			J[i*p+k] = (zp[i] - zm[i]) / (2 * fdStep)
		}
		unit[k] = 0
	}
	// H_z, block diagonal: per sample (diag(p) - p p^T)/N or I/N.
	Hz := mat.NewDense(N*C, N*C, nil)
	for j := 0; j < N; j++ {
		z := z0[j*C : (j+1)*C]
		pr := make([]float64, C)
		if loss == CrossEntropy {
			mx, s := math.Inf(-1), 0.0
			for _, v := range z {
				mx = math.Max(mx, v)
			}
			for i, v := range z {
				pr[i] = math.Exp(v - mx)
				s += pr[i]
			}
			for i := range pr {
				pr[i] /= s
			}
		}
		for i := 0; i < C; i++ {
			for k := 0; k < C; k++ {
				v := 0.0
				if loss == CrossEntropy {
					v = -pr[i] * pr[k]
					if i == k {
						v += pr[i]
					}
				} else if i == k {
					v = 1
				}
				Hz.Set(j*C+i, j*C+k, v/float64(N))
			}
		}
	}
	Jm := mat.NewDense(N*C, p, J)
	var tmp, want mat.Dense
	tmp.Mul(Hz, Jm)
	want.Mul(Jm.T(), &tmp)
	return want.RawMatrix().Data
}

func symmetrize(h []float64, p int) []float64 {
	s := make([]float64, len(h))
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			s[i*p+j] = 0.5 * (h[i*p+j] + h[j*p+i])
		}
	}
	return s
}

// TestChunking: the loss, gradient and HVP do not depend on how the samples
// are split into batched passes beyond rounding (the chunks' sums are added
// in a different order: 1e-13 relative).
func TestChunking(t *testing.T) {
	b := enginetest.Open(t)
	n := smallNet(t, b, []int{5, 7, 3}, "tanh", CrossEntropy, 51)
	d, _, _ := smallData(t, b, 23, 5, 3, CrossEntropy, 52)
	r := rand.New(rand.NewPCG(53, 53))
	dir := make([]float64, n.NumParams())
	for i := range dir {
		dir[i] = r.NormFloat64()
	}
	v := up(t, b, dir)
	var ref [][]float64
	for _, chunk := range []int{0, 1, 4, 23, 100} {
		e := evaluator(t, n, chunk)
		g, hv := newParams(t, n), newParams(t, n)
		l, err := e.Gradient(n.Params(), d, g)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.HVP(n.Params(), d, v, hv); err != nil {
			t.Fatal(err)
		}
		got := [][]float64{{l}, down(t, b, g), down(t, b, hv)}
		if ref == nil {
			ref = got
		} else {
			for i, what := range []string{"loss", "gradient", "H v"} {
				closeTo(t, fmt.Sprintf("chunk %d: %s", chunk, what), got[i], ref[i], 1e-13)
			}
		}
		e.Close()
	}
}

// TestCrossEntropyLargeLogits: logits of order 1e3 (weights scaled up) give
// a finite loss equal to the closed form, and finite gradients: the
// log-sum-exp subtracts the maximum first.
func TestCrossEntropyLargeLogits(t *testing.T) {
	b := enginetest.Open(t)
	n, err := NewNetwork(b, NetworkSpec{Widths: []int{2, 3}, Act: act(t, "tanh"), Loss: CrossEntropy})
	if err != nil {
		t.Fatal(err)
	}
	// z = W x + b with W = 0, b = (1000, 990, -1000): loss = -log softmax(z)_label.
	p := make([]float64, n.NumParams())
	bo := n.Spec().Block(1).Tensors[1].Off
	copy(p[bo:], []float64{1000, 990, -1000})
	if err := n.SetParams(p); err != nil {
		t.Fatal(err)
	}
	d, err := NewData(b, []float64{1, 2, 3, 4}, 2, []float64{0, 1, 0, 0, 0, 1}, 3, []int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	e := evaluator(t, n, 0)
	g := newParams(t, n)
	l, err := e.Gradient(n.Params(), d, g)
	if err != nil {
		t.Fatal(err)
	}
	// sample 1: -log(e^-10 / (1 + e^-10)) = 10 + log1p(e^-10); sample 2: 2000 + log1p(e^-10 + ...).
	want := 0.5 * ((10 + math.Log1p(math.Exp(-10))) + (2000 + math.Log1p(math.Exp(-10))))
	if !(math.Abs(l-want) <= 1e-12*want) {
		t.Errorf("loss %.17g, want %.17g", l, want)
	}
	for i, v := range down(t, b, g) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("gradient[%d] = %v", i, v)
		}
	}
	_, acc, err := e.Evaluate(n.Params(), d)
	if err != nil || acc != 0 {
		t.Errorf("accuracy %v (err %v), want 0: both samples predict class 0", acc, err)
	}
}

// TestInit: the gaussian scheme reproduces RandomNetwork's weights bit for
// bit (same Philox streams; TestInitMatchesRandomNetwork checks every
// kind); glorot and he have the variances they name
// (sample variance of 40000 normals within 3%: its relative standard error
// is sqrt(2/40000) = 0.7%); orthogonal weights have W^T W = I (tall) to
// 1e-12.
func TestInit(t *testing.T) {
	b := enginetest.Open(t)
	widths := []int{200, 200, 50}
	tanh := act(t, "tanh")
	rd, err := NewRandomNetwork(RandomSpec{Widths: widths, Act: tanh, SigmaW: 1.7, SigmaB: 0.2, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNetwork(b, NetworkSpec{Widths: widths, Act: tanh})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Initialize(Init{Scheme: InitGaussian, SigmaW: 1.7, SigmaB: 0.2}, 9); err != nil {
		t.Fatal(err)
	}
	layer := func(l int) (W, bias engine.Buffer) {
		v, err := n.Spec().Block(l).Views(b, n.Params())
		if err != nil {
			t.Fatal(err)
		}
		return v[0], v[1]
	}
	for l := 1; l <= 2; l++ {
		W, bias := layer(l)
		par, _ := rd.HostParams(l)
		w, bb := par[0], par[1]
		for i, v := range down(t, b, W) {
			if v != w[i] {
				t.Fatalf("layer %d: W[%d] = %v, RandomNetwork %v", l, i, v, w[i])
			}
		}
		for i, v := range down(t, b, bias) {
			if v != bb[i] {
				t.Fatalf("layer %d: b[%d] = %v, RandomNetwork %v", l, i, v, bb[i])
			}
		}
	}
	for _, c := range []struct {
		scheme InitScheme
		want   float64 // variance of layer 1's weights
	}{{InitGlorot, 2.0 / 400}, {InitHe, 2.0 / 200}} {
		if err := n.Initialize(Init{Scheme: c.scheme}, 3); err != nil {
			t.Fatal(err)
		}
		W, bias := layer(1)
		w := down(t, b, W)
		s := 0.0
		for _, v := range w {
			s += v * v
		}
		if v := s / float64(len(w)); !(math.Abs(v/c.want-1) <= 0.03) {
			t.Errorf("%v: weight variance %.4g, want %.4g", c.scheme, v, c.want)
		}
		if maxAbs(down(t, b, bias)) != 0 {
			t.Errorf("%v: biases not 0 with sigma_b = 0", c.scheme)
		}
	}
	if err := n.Initialize(Init{Scheme: InitOrthogonal}, 4); err != nil {
		t.Fatal(err)
	}
	W, _ := layer(2) // 50 x 200: orthonormal rows scaled by sqrt(max(1, 50/200)) = 1
	w := down(t, b, W)
	for i := 0; i < 50; i++ {
		for k := 0; k < 50; k++ {
			dot := 0.0
			for j := 0; j < 200; j++ {
				dot += w[i+j*50] * w[k+j*50]
			}
			want := 0.0
			if i == k {
				want = 1
			}
			if !(math.Abs(dot-want) <= 1e-12) {
				t.Fatalf("orthogonal: (W W^T)[%d,%d] = %v, want %v", i, k, dot, want)
			}
		}
	}
	// A tall layer (6 x 3): orthonormal columns scaled by sqrt(6/3), so
	// W^T W = 2 I, and with gain 1.5, 4.5 I.
	tall := smallNet(t, b, []int{3, 6, 2}, "tanh", CrossEntropy, 1)
	for _, c := range []struct{ gain, want float64 }{{0, 2}, {1.5, 4.5}} {
		if err := tall.Initialize(Init{Scheme: InitOrthogonal, SigmaW: c.gain}, 5); err != nil {
			t.Fatal(err)
		}
		theta, err := tall.HostParams()
		if err != nil {
			t.Fatal(err)
		}
		w := theta[tall.Spec().Block(1).Tensors[0].Off:][:18]
		for i := 0; i < 3; i++ {
			for k := 0; k < 3; k++ {
				dot := 0.0
				for j := 0; j < 6; j++ {
					dot += w[j+i*6] * w[j+k*6]
				}
				want := 0.0
				if i == k {
					want = c.want
				}
				if !(math.Abs(dot-want) <= 1e-12) {
					t.Fatalf("orthogonal 6 x 3, gain %v: (W^T W)[%d,%d] = %v, want %v", c.gain, i, k, dot, want)
				}
			}
		}
	}
}

// TestMLPErrors: bad specs, data and buffers give errors that say what is
// wrong, never a panic.
func TestMLPErrors(t *testing.T) {
	b := enginetest.Open(t)
	tanh := act(t, "tanh")
	for _, c := range []struct {
		spec NetworkSpec
		want string
	}{
		{NetworkSpec{Widths: []int{3}, Act: tanh}, "at least two"},
		{NetworkSpec{Widths: []int{3, 0, 2}, Act: tanh}, "width 0"},
		{NetworkSpec{Widths: []int{3, 2}}, "no activation"},
		{NetworkSpec{Widths: []int{3, 2}, Act: tanh, Loss: Loss(7)}, "unknown loss"},
	} {
		if _, err := NewNetwork(b, c.spec); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewNetwork(%+v): err = %v, want one mentioning %q", c.spec.Widths, err, c.want)
		}
	}
	n := smallNet(t, b, []int{3, 4, 2}, "tanh", CrossEntropy, 1)
	e := evaluator(t, n, 0)
	d, _, _ := smallData(t, b, 5, 4, 2, CrossEntropy, 1) // 4 features, the net takes 3
	if _, err := e.Loss(n.Params(), d); err == nil || !strings.Contains(err.Error(), "features") {
		t.Errorf("wrong feature count: err = %v", err)
	}
	d3, _, _ := smallData(t, b, 5, 3, 2, CrossEntropy, 1)
	short := up(t, b, make([]float64, 5))
	if _, err := e.Gradient(n.Params(), d3, short); err == nil {
		t.Error("gradient buffer of the wrong length: no error")
	}
	if err := n.Initialize(Init{Scheme: InitGaussian, SigmaW: math.NaN()}, 1); err == nil {
		t.Error("sigma_w NaN: no error")
	}
	if _, err := NewData(b, []float64{1, math.Inf(1)}, 2, []float64{1, 0}, 2, []int{0}); err == nil {
		t.Error("infinite feature: no error")
	}
	if _, err := NewData(b, []float64{1, 2}, 2, []float64{1, 0}, 2, []int{2}); err == nil {
		t.Error("label out of range: no error")
	}
	for _, s := range []string{"4-16-x", "4", "4--3", "0-3", "4-1.5-3"} {
		if _, err := ParseArch(s); err == nil {
			t.Errorf("ParseArch(%q): no error", s)
		}
	}
	if w, err := ParseArch("4-16-16-3"); err != nil || FormatArch(w) != "4-16-16-3" {
		t.Errorf("ParseArch(4-16-16-3) = %v, %v", w, err)
	}
	for _, s := range []string{"cross-entropy", "squared-error"} {
		l, err := ParseLoss(s)
		if err != nil || l.String() != s {
			t.Errorf("ParseLoss(%q) = %v, %v", s, l, err)
		}
	}
	for _, s := range InitNames() {
		i, err := ParseInit(s)
		if err != nil || i.String() != s {
			t.Errorf("ParseInit(%q) = %v, %v", s, i, err)
		}
	}
}
