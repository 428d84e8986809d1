package models

import (
	"math"

	"github.com/netgeom/netgeom/engine"
)

// attention is single-head dot-product self-attention over a sequence of T
// tokens of dimension D per sample (Vaswani et al., "Attention is all you
// need", NeurIPS 2017). A sample is the D x T column-major matrix X of its
// tokens (token i is column i), so a batch of n samples is the D x (T n)
// matrix of all tokens, and InDim = OutDim = D T. With s = 1/sqrt(D),
//
//	Q = Wq X,  K = Wk X,  V = Wv X              (D x T each)
//	S = s K^T Q                                 (T x T: S[j,i] = s k_j . q_i)
//	A = softmax(S), column by column (over the keys j, for each query i)
//	Y = V A  (+ X when residual)
//
// The parameters are one part, Wq, Wk, Wv (D x D each, column-major), in
// this order: 3 D^2 numbers. The per-sample T x T products run as one
// strided batched Gemm over the samples; the softmax subtracts each
// column's maximum first (engine.Backend.Softmax), so logits of any size
// give finite weights. The passes, with G = gy, J = diag(A) - A A^T the
// softmax Jacobian of each column and <,> the column dot products:
//
//	backward     dV = G A^T,  dA = V^T G,  dS = J dA,  dQ = s K dS,  dK = s Q dS^T
//	             gWq += dQ X^T,  gWk += dK X^T,  gWv += dV X^T
//	             gx = Wq^T dQ + Wk^T dK + Wv^T dV  (+ G when residual)
//	R-forward    RQ = dWq X + Wq RX (likewise RK, RV),  RS = s (RK^T Q + K^T RQ),
//	             RA = J RS,  RY = RV A + V RA  (+ RX when residual)
//	R-backward   RdV = RG A^T + G RA^T,  RdA = RV^T G + V^T RG
//	             RdS = J RdA + RA * dA - A <RA, dA> - RA <A, dA>
//	             RdQ = s (RK dS + K RdS),  RdK = s (RQ dS^T + Q RdS^T)
//	             rgWq += RdQ X^T + dQ RX^T  (likewise Wk, Wv)
//	             rgx = dWq^T dQ + Wq^T RdQ + dWk^T dK + Wk^T RdK + dWv^T dV + Wv^T RdV
//	             (+ RG when residual)
type attention struct {
	d, t     int
	residual bool
}

const (
	slotQ = iota
	slotK
	slotV
	slotA
	slotDQ
	slotDK
	slotDV
	slotDA
	slotDS
	slotRQ
	slotRK
	slotRV
	slotRA
)

func (a *attention) inDim() int         { return a.d * a.t }
func (a *attention) outDim() int        { return a.d * a.t }
func (a *attention) parts() []int       { return []int{3 * a.d * a.d} }
func (a *attention) readsInput() bool   { return true }
func (a *attention) readsOutGrad() bool { return true }
func (a *attention) slots() []slot {
	nd, ns := a.d*a.t, a.t*a.t
	return []slot{
		slotQ: {fwdSlot, nd}, slotK: {fwdSlot, nd}, slotV: {fwdSlot, nd}, slotA: {fwdSlot, ns},
		slotDQ: {bwdSlot, nd}, slotDK: {bwdSlot, nd}, slotDV: {bwdSlot, nd}, slotDA: {bwdSlot, ns}, slotDS: {bwdSlot, ns},
		slotRQ: {rSlot, nd}, slotRK: {rSlot, nd}, slotRV: {rSlot, nd}, slotRA: {rSlot, ns},
	}
}

func (a *attention) scale() float64 { return 1 / math.Sqrt(float64(a.d)) }

// pass is one call's view of the layer: the frame and its batch of n
// samples (n = cols, or the points of a jet).
type pass struct {
	*attention
	f *frame
	n int
}

// bmat is a batch of same-shaped per-sample matrices stored one after the
// other: matrix i has rows x cols elements starting at i rows cols.
type bmat struct {
	x          engine.Buffer
	rows, cols int
}

// tok and sq wrap a buffer as the batch of D x T token matrices or of T x T
// score matrices.
func (p pass) tok(x engine.Buffer) bmat { return bmat{x, p.d, p.t} }
func (p pass) sq(x engine.Buffer) bmat  { return bmat{x, p.t, p.t} }

// mm records C = alpha op(A) op(B) + beta C for every sample of the batch
// (a strided batched Gemm).
func (p pass) mm(alpha float64, A bmat, tA engine.Transpose, B bmat, tB engine.Transpose, beta float64, C bmat) {
	k := A.cols
	if tA {
		k = A.rows
	}
	p.f.sc.GemmStridedBatched(tA, tB, C.rows, C.cols, k, alpha, A.x, A.rows, A.rows*A.cols, B.x, B.rows, B.rows*B.cols, beta, C.x, C.rows, C.rows*C.cols, p.n)
}

// proj records out = W x + beta out for all D x (T n) tokens; projT out =
// W^T g + beta out.
func (p pass) proj(W, x, out engine.Buffer, beta float64) {
	mul(p.f, engine.NoTrans, p.d, p.d, W, x, p.t*p.n, beta, out)
}

func (p pass) projT(W, g, out engine.Buffer, beta float64) {
	mul(p.f, engine.Trans, p.d, p.d, W, g, p.t*p.n, beta, out)
}

// outer records the addition of g x^T (summed over all tokens) to the D x D
// matrix gW.
func (p pass) outer(g, x, gW engine.Buffer) { outer(p.f, p.d, p.d, g, x, p.t*p.n, gW, nil) }

// scratch returns the temporary buffers called names, m elements each.
func (p pass) scratch(m int, names ...string) []engine.Buffer {
	out := make([]engine.Buffer, len(names))
	for i, name := range names {
		out[i] = p.f.sc.Scratch("attention "+name, m)
	}
	return out
}

// weights returns the views Wq, Wk, Wv of a parameter block.
func (p pass) weights(theta engine.Buffer) []engine.Buffer {
	dd := p.d * p.d
	return split(p.f.sc, theta, dd, dd, dd)
}

func (a *attention) forward(f *frame, pr params, n need) {
	p := pass{a, f, f.cols}
	th, err := pr.part(0)
	if f.sc.Fail(err) != nil {
		return
	}
	W := p.weights(th)
	nd, ns := a.d*a.t*f.cols, a.t*a.t*f.cols
	var Q, K, V, A engine.Buffer
	if n >= needFirst {
		Q, K, V, A = f.st[slotQ], f.st[slotK], f.st[slotV], f.st[slotA]
	} else {
		b := p.scratch(nd, "Q", "K", "V")
		Q, K, V, A = b[0], b[1], b[2], p.scratch(ns, "A")[0]
	}
	S := p.scratch(ns, "S")[0]
	p.proj(W[0], f.x, Q, 0)
	p.proj(W[1], f.x, K, 0)
	p.proj(W[2], f.x, V, 0)
	p.mm(a.scale(), p.tok(K), engine.Trans, p.tok(Q), engine.NoTrans, 0, p.sq(S))
	f.sc.Softmax(a.t, a.t*f.cols, S, a.t, A, a.t, false)
	p.mm(1, p.tok(V), engine.NoTrans, p.sq(A), engine.NoTrans, 0, p.tok(f.y))
	if a.residual {
		f.sc.Axpy(nd, 1, f.x, 1, f.y, 1)
	}
}

// jet pushes the jet (x, v, a) through the layer at fixed weights. With
// Q0, Q1, Q2 = Wq (x, v, a) and likewise K, V,
//
//	S1 = s (K1^T Q0 + K0^T Q1),  S2 = s (K2^T Q0 + 2 K1^T Q1 + K0^T Q2)
//	A1 = J S1,  A2 = J S2 + A1 * S1 - A1 <A0, S1> - A0 <A1, S1>
//	Y1 = V1 A0 + V0 A1,  Y2 = V2 A0 + 2 V1 A1 + V0 A2
//
// (plus v and a when residual).
func (a *attention) jet(f *frame, pr params) {
	p := pass{a, f, f.cols}
	th, err := pr.part(0)
	if f.sc.Fail(err) != nil {
		return
	}
	W := p.weights(th)
	b := f.sc
	nd, ns, cols := a.d*a.t*f.cols, a.t*a.t*f.cols, a.t*f.cols
	in := []engine.Buffer{third(b, f.x, 0, nd), third(b, f.x, 1, nd), third(b, f.x, 2, nd)}
	y, dy, ddy := third(b, f.y, 0, nd), third(b, f.y, 1, nd), third(b, f.y, 2, nd)
	q := p.scratch(nd, "jQ0", "jQ1", "jQ2", "jK0", "jK1", "jK2", "jV0", "jV1", "jV2")
	g := p.scratch(ns, "jS0", "jS1", "jS2", "jA0", "jA1", "jA2", "jT", "jT2")
	dots := b.Scratch("attention jdots", cols)
	var Q, K, V [3]bmat
	for i := range 3 {
		Q[i], K[i], V[i] = p.tok(q[i]), p.tok(q[3+i]), p.tok(q[6+i])
	}
	S0, S1, S2, A0, A1, A2, T1, T2 := g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	s, sq := a.scale(), p.sq
	for i := range 3 {
		p.proj(W[0], in[i], Q[i].x, 0)
		p.proj(W[1], in[i], K[i].x, 0)
		p.proj(W[2], in[i], V[i].x, 0)
	}
	p.mm(s, K[0], engine.Trans, Q[0], engine.NoTrans, 0, sq(S0))
	p.mm(s, K[1], engine.Trans, Q[0], engine.NoTrans, 0, sq(S1))
	p.mm(s, K[0], engine.Trans, Q[1], engine.NoTrans, 1, sq(S1))
	p.mm(s, K[2], engine.Trans, Q[0], engine.NoTrans, 0, sq(S2))
	p.mm(2*s, K[1], engine.Trans, Q[1], engine.NoTrans, 1, sq(S2))
	p.mm(s, K[0], engine.Trans, Q[2], engine.NoTrans, 1, sq(S2))
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
	p.mm(1, V[0], engine.NoTrans, sq(A0), engine.NoTrans, 0, p.tok(y))
	p.mm(1, V[1], engine.NoTrans, sq(A0), engine.NoTrans, 0, p.tok(dy))
	p.mm(1, V[0], engine.NoTrans, sq(A1), engine.NoTrans, 1, p.tok(dy))
	p.mm(1, V[2], engine.NoTrans, sq(A0), engine.NoTrans, 0, p.tok(ddy))
	p.mm(2, V[1], engine.NoTrans, sq(A1), engine.NoTrans, 1, p.tok(ddy))
	p.mm(1, V[0], engine.NoTrans, sq(A2), engine.NoTrans, 1, p.tok(ddy))
	if a.residual {
		b.Axpy(nd, 1, in[0], 1, y, 1)
		b.Axpy(nd, 1, in[1], 1, dy, 1)
		b.Axpy(nd, 1, in[2], 1, ddy, 1)
	}
}

func (a *attention) backward(f *frame, theta, gtheta engine.Buffer, _ bool) {
	p := pass{a, f, f.cols}
	b := f.sc
	nd, ns, cols := a.d*a.t*f.cols, a.t*a.t*f.cols, a.t*f.cols
	X, Q, K, V, A, G := f.x, f.st[slotQ], f.st[slotK], f.st[slotV], f.st[slotA], f.gy
	dQ, dK, dV, dA, dS := f.st[slotDQ], f.st[slotDK], f.st[slotDV], f.st[slotDA], f.st[slotDS]
	T := p.scratch(ns, "T")[0]
	dots := b.Scratch("attention dots", cols)
	s, tok, sq := a.scale(), p.tok, p.sq
	p.mm(1, tok(G), engine.NoTrans, sq(A), engine.Trans, 0, tok(dV))
	p.mm(1, tok(V), engine.Trans, tok(G), engine.NoTrans, 0, sq(dA))
	softmaxJVP(&b.Recorder, a.t, cols, A, dA, dS, T, dots)
	p.mm(s, tok(K), engine.NoTrans, sq(dS), engine.NoTrans, 0, tok(dQ))
	p.mm(s, tok(Q), engine.NoTrans, sq(dS), engine.Trans, 0, tok(dK))
	if gtheta != nil {
		gW := p.weights(gtheta)
		p.outer(dQ, X, gW[0])
		p.outer(dK, X, gW[1])
		p.outer(dV, X, gW[2])
	}
	if f.gx != nil {
		W := p.weights(theta)
		p.projT(W[0], dQ, f.gx, 0)
		p.projT(W[1], dK, f.gx, 1)
		p.projT(W[2], dV, f.gx, 1)
		if a.residual {
			b.Axpy(nd, 1, G, 1, f.gx, 1)
		}
	}
}

func (a *attention) rforward(f *frame, theta, dtheta engine.Buffer) {
	p := pass{a, f, f.cols}
	b := f.sc
	nd, ns, cols := a.d*a.t*f.cols, a.t*a.t*f.cols, a.t*f.cols
	X, Q, K, V, A := f.x, f.st[slotQ], f.st[slotK], f.st[slotV], f.st[slotA]
	RQ, RK, RV, RA := f.st[slotRQ], f.st[slotRK], f.st[slotRV], f.st[slotRA]
	r := p.scratch(ns, "RS", "T")
	RS, T := r[0], r[1]
	dots := b.Scratch("attention dots", cols)
	s, tok, sq := a.scale(), p.tok, p.sq
	beta := 0.0
	if dtheta != nil {
		dW := p.weights(dtheta)
		p.proj(dW[0], X, RQ, 0)
		p.proj(dW[1], X, RK, 0)
		p.proj(dW[2], X, RV, 0)
		beta = 1
	}
	if f.rx != nil {
		W := p.weights(theta)
		p.proj(W[0], f.rx, RQ, beta)
		p.proj(W[1], f.rx, RK, beta)
		p.proj(W[2], f.rx, RV, beta)
	} else if dtheta == nil {
		for _, x := range []engine.Buffer{RQ, RK, RV} {
			b.Fill(x, 0)
		}
	}
	p.mm(s, tok(RK), engine.Trans, tok(Q), engine.NoTrans, 0, sq(RS))
	p.mm(s, tok(K), engine.Trans, tok(RQ), engine.NoTrans, 1, sq(RS))
	softmaxJVP(&b.Recorder, a.t, cols, A, RS, RA, T, dots)
	p.mm(1, tok(RV), engine.NoTrans, sq(A), engine.NoTrans, 0, tok(f.ry))
	p.mm(1, tok(V), engine.NoTrans, sq(RA), engine.NoTrans, 1, tok(f.ry))
	if a.residual && f.rx != nil {
		b.Axpy(nd, 1, f.rx, 1, f.ry, 1)
	}
}

func (a *attention) rbackward(f *frame, theta, dtheta, rgtheta engine.Buffer) {
	p := pass{a, f, f.cols}
	b := f.sc
	nd, ns, cols := a.d*a.t*f.cols, a.t*a.t*f.cols, a.t*f.cols
	X, Q, K, V, A, G, RX := f.x, f.st[slotQ], f.st[slotK], f.st[slotV], f.st[slotA], f.gy, f.rx
	dQ, dK, dV, dA, dS := f.st[slotDQ], f.st[slotDK], f.st[slotDV], f.st[slotDA], f.st[slotDS]
	RQ, RK, RV, RA := f.st[slotRQ], f.st[slotRK], f.st[slotRV], f.st[slotRA]
	r := p.scratch(nd, "RdQ", "RdK", "RdV")
	RdQ, RdK, RdV := r[0], r[1], r[2]
	g := p.scratch(ns, "RdA", "RdS", "T", "T2")
	RdA, RdS, T, T2 := g[0], g[1], g[2], g[3]
	dots := b.Scratch("attention dots", cols)
	s, tok, sq := a.scale(), p.tok, p.sq
	p.mm(1, tok(f.rgy), engine.NoTrans, sq(A), engine.Trans, 0, tok(RdV))
	p.mm(1, tok(G), engine.NoTrans, sq(RA), engine.Trans, 1, tok(RdV))
	p.mm(1, tok(RV), engine.Trans, tok(G), engine.NoTrans, 0, sq(RdA))
	p.mm(1, tok(V), engine.Trans, tok(f.rgy), engine.NoTrans, 1, sq(RdA))
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
	p.mm(s, tok(RK), engine.NoTrans, sq(dS), engine.NoTrans, 0, tok(RdQ))
	p.mm(s, tok(K), engine.NoTrans, sq(RdS), engine.NoTrans, 1, tok(RdQ))
	p.mm(s, tok(RQ), engine.NoTrans, sq(dS), engine.Trans, 0, tok(RdK))
	p.mm(s, tok(Q), engine.NoTrans, sq(RdS), engine.Trans, 1, tok(RdK))
	if rgtheta != nil {
		gW := p.weights(rgtheta)
		p.outer(RdQ, X, gW[0])
		p.outer(RdK, X, gW[1])
		p.outer(RdV, X, gW[2])
		if RX != nil {
			p.outer(dQ, RX, gW[0])
			p.outer(dK, RX, gW[1])
			p.outer(dV, RX, gW[2])
		}
	}
	if f.rgx != nil {
		W := p.weights(theta)
		p.projT(W[0], RdQ, f.rgx, 0)
		p.projT(W[1], RdK, f.rgx, 1)
		p.projT(W[2], RdV, f.rgx, 1)
		if dtheta != nil {
			dW := p.weights(dtheta)
			p.projT(dW[0], dQ, f.rgx, 1)
			p.projT(dW[1], dK, f.rgx, 1)
			p.projT(dW[2], dV, f.rgx, 1)
		}
		if a.residual {
			b.Axpy(nd, 1, f.rgy, 1, f.rgx, 1)
		}
	}
}
