package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// AttentionLayer is single-head dot-product self-attention over a sequence
// of T tokens of dimension D per sample. A sample is the D x T column-major
// matrix X of its tokens (token i is column i), so a batch of n samples is
// the D x (T n) matrix of all tokens, and InDim = OutDim = D T. With
// s = 1/sqrt(D),
//
//	Q = Wq X,  K = Wk X,  V = Wv X              (D x T each)
//	S = s K^T Q                                 (T x T: S[j,i] = s k_j . q_i)
//	A = softmax(S), column by column (over the keys j, for each query i)
//	Y = V A  (+ X when Residual)
//
// The parameters are Wq, Wk, Wv (D x D each, column-major), in this order:
// NumParams = 3 D^2. The per-sample T x T products run as one strided
// batched Gemm over the samples; the softmax subtracts each column's
// maximum first (engine.Backend.Softmax), so logits of any size give
// finite weights. It implements Layer.
type AttentionLayer struct {
	b        engine.Backend
	d, t     int
	residual bool
	sc       *engine.Scope // scratch buffers, and the ops of the call in progress
	batch    int
	stage    int
	hasRx    bool
}

// NewAttentionLayer returns a self-attention layer over T tokens of
// dimension D on b, with a residual connection Y = V A + X when residual.
func NewAttentionLayer(b engine.Backend, D, T int, residual bool) (*AttentionLayer, error) {
	if b == nil {
		return nil, errors.New("attention layer: nil backend")
	}
	if D < 1 || T < 1 {
		return nil, fmt.Errorf("attention layer: dimension %d, tokens %d; both must be >= 1", D, T)
	}
	return &AttentionLayer{b: b, d: D, t: T, residual: residual, sc: engine.NewScope(b)}, nil
}

// InDim is D T.
func (a *AttentionLayer) InDim() int { return a.d * a.t }

// OutDim is D T.
func (a *AttentionLayer) OutDim() int { return a.d * a.t }

// NumParams is 3 D^2.
func (a *AttentionLayer) NumParams() int { return 3 * a.d * a.d }

// Tokens is the number of tokens T per sample.
func (a *AttentionLayer) Tokens() int { return a.t }

// Dim is the token dimension D.
func (a *AttentionLayer) Dim() int { return a.d }

// Residual reports whether the layer adds its input to its output.
func (a *AttentionLayer) Residual() bool { return a.residual }

// Free releases the layer's scratch buffers.
func (a *AttentionLayer) Free() { a.sc.Close(); a.stage = 0 }

// AttentionStream is the Philox stream of matrix k (0: Wq, 1: Wk, 2: Wv)
// of an attention layer l: 2^60 + 4l + k, apart from the dense (2l,
// 2l + 1), product-factor (2^61 + ...) and manifold input (2^62 + ...)
// streams.
func AttentionStream(l, k int) uint64 { return 1<<60 | uint64(l)<<2 | uint64(k) }

// InitRandom fills theta with Gaussian weights N(0, sigmaW^2 / D), matrix
// k from AttentionStream(l, k) under seed; element (i, j) is normal i + j D
// of its stream.
func (a *AttentionLayer) InitRandom(theta engine.Buffer, seed uint64, l int, sigmaW float64) error {
	W, err := a.params("parameters", theta)
	if err != nil {
		return err
	}
	s := sigmaW / math.Sqrt(float64(a.d))
	ops := engine.Ops(a.b)
	for k := range 3 {
		ops.FillNormal(W[k], seed, AttentionStream(l, k), 0, s)
	}
	return ops.Err()
}

// params returns views Wq, Wk, Wv of theta.
func (a *AttentionLayer) params(what string, theta engine.Buffer) ([]engine.Buffer, error) {
	if err := checkLen("attention layer", what, theta, a.NumParams()); err != nil {
		return nil, err
	}
	dd := a.d * a.d
	return views(a.b, theta, dd, dd, dd)
}

// bmat is a batch of same-shaped per-sample matrices stored one after the
// other: matrix i has rows x cols elements starting at i rows cols.
type bmat struct {
	x          engine.Buffer
	rows, cols int
}

// tok and sq wrap a buffer as the batch of D x T token matrices or of T x T
// score matrices.
func (a *AttentionLayer) tok(x engine.Buffer) bmat { return bmat{x, a.d, a.t} }
func (a *AttentionLayer) sq(x engine.Buffer) bmat  { return bmat{x, a.t, a.t} }

// mm records C = alpha op(A) op(B) + beta C for every sample of the batch
// (a strided batched Gemm).
func (a *AttentionLayer) mm(alpha float64, A bmat, tA engine.Transpose, B bmat, tB engine.Transpose, beta float64, C bmat) {
	k := A.cols
	if tA {
		k = A.rows
	}
	a.sc.GemmStridedBatched(tA, tB, C.rows, C.cols, k, alpha, A.x, A.rows, A.rows*A.cols, B.x, B.rows, B.rows*B.cols, beta, C.x, C.rows, C.rows*C.cols, a.batch)
}

// proj records out = W x + beta out for all D x (T n) tokens.
func (a *AttentionLayer) proj(W, x, out engine.Buffer, beta float64) {
	a.sc.Gemm(engine.NoTrans, engine.NoTrans, a.d, a.t*a.batch, a.d, 1, W, a.d, x, a.d, beta, out, a.d)
}

// projT records out = W^T g + beta out for all tokens.
func (a *AttentionLayer) projT(W, g, out engine.Buffer, beta float64) {
	a.sc.Gemm(engine.Trans, engine.NoTrans, a.d, a.t*a.batch, a.d, 1, W, a.d, g, a.d, beta, out, a.d)
}

// outer records the addition of g x^T (summed over all tokens) to the D x D
// matrix gW.
func (a *AttentionLayer) outer(g, x, gW engine.Buffer) {
	a.sc.Gemm(engine.NoTrans, engine.Trans, a.d, a.d, a.t*a.batch, 1, g, a.d, x, a.d, 1, gW, a.d)
}

// scratch returns the scratch buffers called names, n elements each.
func (a *AttentionLayer) scratch(n int, names ...string) []engine.Buffer {
	out := make([]engine.Buffer, len(names))
	for i, name := range names {
		out[i] = a.sc.Scratch(name, n)
	}
	return out
}

func (a *AttentionLayer) scale() float64 { return 1 / math.Sqrt(float64(a.d)) }

// start checks the batch size and the buffers of a call, and sets the
// batch.
func (a *AttentionLayer) start(batch int, bufs map[string]engine.Buffer) error {
	if batch < 1 {
		return fmt.Errorf("attention layer: batch %d; must be >= 1", batch)
	}
	for what, x := range bufs {
		if err := checkLen("attention layer", what, x, a.d*a.t*batch); err != nil {
			return err
		}
	}
	a.batch = batch
	return nil
}

// Forward computes Y and caches X, Q, K, V and A.
func (a *AttentionLayer) Forward(theta, x engine.Buffer, batch int, y engine.Buffer) error {
	W, err := a.params("parameters", theta)
	if err != nil {
		return err
	}
	a.stage = 0
	if err := a.start(batch, map[string]engine.Buffer{"input": x, "output": y}); err != nil {
		return err
	}
	nd, ns := a.d*a.t*batch, a.t*a.t*batch
	s := a.sc
	s.Reset()
	f := a.scratch(nd, "X", "Q", "K", "V")
	X, Q, K, V := f[0], f[1], f[2], f[3]
	g := a.scratch(ns, "S", "A")
	S, A := g[0], g[1]
	s.Copy(X, x)
	a.proj(W[0], x, Q, 0)
	a.proj(W[1], x, K, 0)
	a.proj(W[2], x, V, 0)
	a.mm(a.scale(), a.tok(K), engine.Trans, a.tok(Q), engine.NoTrans, 0, a.sq(S))
	s.Softmax(a.t, a.t*batch, S, a.t, A, a.t, false)
	a.mm(1, a.tok(V), engine.NoTrans, a.sq(A), engine.NoTrans, 0, a.tok(y))
	if a.residual {
		s.Axpy(nd, 1, x, 1, y, 1)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("attention layer: forward: %w", err)
	}
	a.stage = 1
	return nil
}

// Jet pushes the jet (x, v, a) through the layer at fixed weights. With
// Q0, Q1, Q2 = Wq (x, v, a) and likewise K, V,
//
//	S1 = s (K1^T Q0 + K0^T Q1),  S2 = s (K2^T Q0 + 2 K1^T Q1 + K0^T Q2)
//	A1 = J S1,  A2 = J S2 + A1 * S1 - A1 <A0, S1> - A0 <A1, S1>
//	Y1 = V1 A0 + V0 A1,  Y2 = V2 A0 + 2 V1 A1 + V0 A2
//
// with J = diag(A0) - A0 A0^T the softmax Jacobian of each column and <,>
// the column dot products (plus v and a when Residual).
func (a *AttentionLayer) Jet(theta, x, v, acc engine.Buffer, batch int, y, dy, ddy engine.Buffer) error {
	W, err := a.params("parameters", theta)
	if err != nil {
		return err
	}
	saved := a.batch
	defer func() { a.batch = saved }()
	if err := a.start(batch, map[string]engine.Buffer{"jet x": x, "jet v": v, "jet a": acc, "jet y": y, "jet dy": dy, "jet ddy": ddy}); err != nil {
		return err
	}
	nd, ns, cols := a.d*a.t*batch, a.t*a.t*batch, a.t*batch
	b := a.sc
	b.Reset()
	f := a.scratch(nd, "jQ0", "jQ1", "jQ2", "jK0", "jK1", "jK2", "jV0", "jV1", "jV2")
	g := a.scratch(ns, "jS0", "jS1", "jS2", "jA0", "jA1", "jA2", "jT", "jT2")
	dots := b.Scratch("jdots", cols)
	var Q, K, V [3]bmat
	for i := range 3 {
		Q[i], K[i], V[i] = a.tok(f[i]), a.tok(f[3+i]), a.tok(f[6+i])
	}
	S0, S1, S2, A0, A1, A2, T1, T2 := g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	s, sq := a.scale(), a.sq
	in := []engine.Buffer{x, v, acc}
	for i := range 3 {
		a.proj(W[0], in[i], Q[i].x, 0)
		a.proj(W[1], in[i], K[i].x, 0)
		a.proj(W[2], in[i], V[i].x, 0)
	}
	a.mm(s, K[0], engine.Trans, Q[0], engine.NoTrans, 0, sq(S0))
	a.mm(s, K[1], engine.Trans, Q[0], engine.NoTrans, 0, sq(S1))
	a.mm(s, K[0], engine.Trans, Q[1], engine.NoTrans, 1, sq(S1))
	a.mm(s, K[2], engine.Trans, Q[0], engine.NoTrans, 0, sq(S2))
	a.mm(2*s, K[1], engine.Trans, Q[1], engine.NoTrans, 1, sq(S2))
	a.mm(s, K[0], engine.Trans, Q[2], engine.NoTrans, 1, sq(S2))
	b.Softmax(a.t, cols, S0, a.t, A0, a.t, false)
	softmaxJVP(&b.Recorder, a.t, cols, A0, S1, A1, T1, dots)
	softmaxJVP(&b.Recorder, a.t, cols, A0, S2, A2, T1, dots)
	b.Hadamard(A1, S1, T1)
	b.Axpy(ns, 1, T1, 1, A2, 1)
	b.ColumnDots(a.t, cols, A0, a.t, S1, a.t, dots)
	b.Copy(T2, A1)
	b.ScaleColumns(a.t, cols, dots, T2, a.t)
	b.Axpy(ns, -1, T2, 1, A2, 1)
	b.ColumnDots(a.t, cols, A1, a.t, S1, a.t, dots)
	b.Copy(T2, A0)
	b.ScaleColumns(a.t, cols, dots, T2, a.t)
	b.Axpy(ns, -1, T2, 1, A2, 1)
	a.mm(1, V[0], engine.NoTrans, sq(A0), engine.NoTrans, 0, a.tok(y))
	a.mm(1, V[1], engine.NoTrans, sq(A0), engine.NoTrans, 0, a.tok(dy))
	a.mm(1, V[0], engine.NoTrans, sq(A1), engine.NoTrans, 1, a.tok(dy))
	a.mm(1, V[2], engine.NoTrans, sq(A0), engine.NoTrans, 0, a.tok(ddy))
	a.mm(2, V[1], engine.NoTrans, sq(A1), engine.NoTrans, 1, a.tok(ddy))
	a.mm(1, V[0], engine.NoTrans, sq(A2), engine.NoTrans, 1, a.tok(ddy))
	if a.residual {
		b.Axpy(nd, 1, x, 1, y, 1)
		b.Axpy(nd, 1, v, 1, dy, 1)
		b.Axpy(nd, 1, acc, 1, ddy, 1)
	}
	if err := b.Err(); err != nil {
		return fmt.Errorf("attention layer: jet: %w", err)
	}
	return nil
}

// Backward: with G = gy,
//
//	dV = G A^T,  dA = V^T G,  dS = J dA,  dQ = s K dS,  dK = s Q dS^T
//	gWq += dQ X^T,  gWk += dK X^T,  gWv += dV X^T
//	gx = Wq^T dQ + Wk^T dK + Wv^T dV  (+ G when Residual)
func (a *AttentionLayer) Backward(theta, gy, gx, gtheta engine.Buffer) error {
	if a.stage < 1 {
		return fmt.Errorf("attention layer: backward: %w", errOrder)
	}
	W, err := a.params("parameters", theta)
	if err != nil {
		return err
	}
	bufs := map[string]engine.Buffer{"output gradient": gy}
	if gx != nil {
		bufs["input gradient"] = gx
	}
	if err := a.start(a.batch, bufs); err != nil {
		return err
	}
	var gW []engine.Buffer
	if gtheta != nil {
		if gW, err = a.params("gradient", gtheta); err != nil {
			return err
		}
	}
	nd, ns, cols := a.d*a.t*a.batch, a.t*a.t*a.batch, a.t*a.batch
	b := a.sc
	b.Reset()
	f := a.scratch(nd, "X", "Q", "K", "V", "G", "dQ", "dK", "dV")
	X, Q, K, V, G, dQ, dK, dV := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
	g := a.scratch(ns, "A", "dA", "dS", "T")
	A, dA, dS, T := g[0], g[1], g[2], g[3]
	dots := b.Scratch("dots", cols)
	s, tok, sq := a.scale(), a.tok, a.sq
	b.Copy(G, gy)
	a.mm(1, tok(G), engine.NoTrans, sq(A), engine.Trans, 0, tok(dV))
	a.mm(1, tok(V), engine.Trans, tok(G), engine.NoTrans, 0, sq(dA))
	softmaxJVP(&b.Recorder, a.t, cols, A, dA, dS, T, dots)
	a.mm(s, tok(K), engine.NoTrans, sq(dS), engine.NoTrans, 0, tok(dQ))
	a.mm(s, tok(Q), engine.NoTrans, sq(dS), engine.Trans, 0, tok(dK))
	if gtheta != nil {
		a.outer(dQ, X, gW[0])
		a.outer(dK, X, gW[1])
		a.outer(dV, X, gW[2])
	}
	if gx != nil {
		a.projT(W[0], dQ, gx, 0)
		a.projT(W[1], dK, gx, 1)
		a.projT(W[2], dV, gx, 1)
		if a.residual {
			b.Axpy(nd, 1, G, 1, gx, 1)
		}
	}
	if err := b.Err(); err != nil {
		return fmt.Errorf("attention layer: backward: %w", err)
	}
	a.stage = 2
	return nil
}

// RForward: RQ = dWq X + Wq RX (likewise RK, RV), RS = s (RK^T Q + K^T RQ),
// RA = J RS, RY = RV A + V RA (+ RX when Residual).
func (a *AttentionLayer) RForward(theta, dtheta, rx, ry engine.Buffer) error {
	if a.stage < 2 {
		return fmt.Errorf("attention layer: R-forward: %w", errOrder)
	}
	W, err := a.params("parameters", theta)
	if err != nil {
		return err
	}
	dW, err := a.params("direction", dtheta)
	if err != nil {
		return err
	}
	bufs := map[string]engine.Buffer{"R output": ry}
	if rx != nil {
		bufs["input tangent"] = rx
	}
	if err := a.start(a.batch, bufs); err != nil {
		return err
	}
	nd, ns, cols := a.d*a.t*a.batch, a.t*a.t*a.batch, a.t*a.batch
	b := a.sc
	b.Reset()
	f := a.scratch(nd, "X", "Q", "K", "V", "RX", "RQ", "RK", "RV")
	X, Q, K, V, RX, RQ, RK, RV := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
	g := a.scratch(ns, "A", "RS", "RA", "T")
	A, RS, RA, T := g[0], g[1], g[2], g[3]
	dots := b.Scratch("dots", cols)
	s, tok, sq := a.scale(), a.tok, a.sq
	a.proj(dW[0], X, RQ, 0)
	a.proj(dW[1], X, RK, 0)
	a.proj(dW[2], X, RV, 0)
	a.hasRx = rx != nil
	if rx != nil {
		b.Copy(RX, rx)
		a.proj(W[0], rx, RQ, 1)
		a.proj(W[1], rx, RK, 1)
		a.proj(W[2], rx, RV, 1)
	}
	a.mm(s, tok(RK), engine.Trans, tok(Q), engine.NoTrans, 0, sq(RS))
	a.mm(s, tok(K), engine.Trans, tok(RQ), engine.NoTrans, 1, sq(RS))
	softmaxJVP(&b.Recorder, a.t, cols, A, RS, RA, T, dots)
	a.mm(1, tok(RV), engine.NoTrans, sq(A), engine.NoTrans, 0, tok(ry))
	a.mm(1, tok(V), engine.NoTrans, sq(RA), engine.NoTrans, 1, tok(ry))
	if a.residual && rx != nil {
		b.Axpy(nd, 1, rx, 1, ry, 1)
	}
	if err := b.Err(); err != nil {
		return fmt.Errorf("attention layer: R-forward: %w", err)
	}
	a.stage = 3
	return nil
}

// RBackward applies R to every line of Backward, with RG = rgy:
//
//	RdV = RG A^T + G RA^T,  RdA = RV^T G + V^T RG
//	RdS = J RdA + RA * dA - A <RA, dA> - RA <A, dA>
//	RdQ = s (RK dS + K RdS),  RdK = s (RQ dS^T + Q RdS^T)
//	rgWq += RdQ X^T + dQ RX^T  (likewise Wk, Wv)
//	rgx = dWq^T dQ + Wq^T RdQ + dWk^T dK + Wk^T RdK + dWv^T dV + Wv^T RdV
//	      (+ RG when Residual)
func (a *AttentionLayer) RBackward(theta, dtheta, rgy, rgx, rgtheta engine.Buffer) error {
	if a.stage < 3 {
		return fmt.Errorf("attention layer: R-backward: %w", errOrder)
	}
	W, err := a.params("parameters", theta)
	if err != nil {
		return err
	}
	dW, err := a.params("direction", dtheta)
	if err != nil {
		return err
	}
	bufs := map[string]engine.Buffer{"R output gradient": rgy}
	if rgx != nil {
		bufs["R input gradient"] = rgx
	}
	if err := a.start(a.batch, bufs); err != nil {
		return err
	}
	var gW []engine.Buffer
	if rgtheta != nil {
		if gW, err = a.params("R gradient", rgtheta); err != nil {
			return err
		}
	}
	nd, ns, cols := a.d*a.t*a.batch, a.t*a.t*a.batch, a.t*a.batch
	b := a.sc
	b.Reset()
	f := a.scratch(nd, "X", "Q", "K", "V", "G", "dQ", "dK", "dV", "RX", "RQ", "RK", "RV", "RdQ", "RdK", "RdV")
	X, Q, K, V, G, dQ, dK, dV := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]
	RX, RQ, RK, RV, RdQ, RdK, RdV := f[8], f[9], f[10], f[11], f[12], f[13], f[14]
	g := a.scratch(ns, "A", "dA", "dS", "RA", "RdA", "RdS", "T", "T2")
	A, dA, dS, RA, RdA, RdS, T, T2 := g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	dots := b.Scratch("dots", cols)
	s, tok, sq := a.scale(), a.tok, a.sq
	a.mm(1, tok(rgy), engine.NoTrans, sq(A), engine.Trans, 0, tok(RdV))
	a.mm(1, tok(G), engine.NoTrans, sq(RA), engine.Trans, 1, tok(RdV))
	a.mm(1, tok(RV), engine.Trans, tok(G), engine.NoTrans, 0, sq(RdA))
	a.mm(1, tok(V), engine.Trans, tok(rgy), engine.NoTrans, 1, sq(RdA))
	softmaxJVP(&b.Recorder, a.t, cols, A, RdA, RdS, T, dots)
	b.Hadamard(RA, dA, T)
	b.Axpy(ns, 1, T, 1, RdS, 1)
	b.ColumnDots(a.t, cols, RA, a.t, dA, a.t, dots)
	b.Copy(T2, A)
	b.ScaleColumns(a.t, cols, dots, T2, a.t)
	b.Axpy(ns, -1, T2, 1, RdS, 1)
	b.ColumnDots(a.t, cols, A, a.t, dA, a.t, dots)
	b.Copy(T2, RA)
	b.ScaleColumns(a.t, cols, dots, T2, a.t)
	b.Axpy(ns, -1, T2, 1, RdS, 1)
	a.mm(s, tok(RK), engine.NoTrans, sq(dS), engine.NoTrans, 0, tok(RdQ))
	a.mm(s, tok(K), engine.NoTrans, sq(RdS), engine.NoTrans, 1, tok(RdQ))
	a.mm(s, tok(RQ), engine.NoTrans, sq(dS), engine.Trans, 0, tok(RdK))
	a.mm(s, tok(Q), engine.NoTrans, sq(RdS), engine.Trans, 1, tok(RdK))
	if rgtheta != nil {
		a.outer(RdQ, X, gW[0])
		a.outer(RdK, X, gW[1])
		a.outer(RdV, X, gW[2])
		if a.hasRx {
			a.outer(dQ, RX, gW[0])
			a.outer(dK, RX, gW[1])
			a.outer(dV, RX, gW[2])
		}
	}
	if rgx != nil {
		a.projT(W[0], RdQ, rgx, 0)
		a.projT(W[1], RdK, rgx, 1)
		a.projT(W[2], RdV, rgx, 1)
		a.projT(dW[0], dQ, rgx, 1)
		a.projT(dW[1], dK, rgx, 1)
		a.projT(dW[2], dV, rgx, 1)
		if a.residual {
			b.Axpy(nd, 1, rgy, 1, rgx, 1)
		}
	}
	if err := b.Err(); err != nil {
		return fmt.Errorf("attention layer: R-backward: %w", err)
	}
	return nil
}
