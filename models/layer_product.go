package models

import "github.com/netgeom/netgeom/engine"

// product is a layer of multiplication neurons (docs/science.md section 7):
//
//	y = u * w,  u = W1 x + b1,  w = W2 x + b2   (elementwise)
//
// mapping In features to Out. Its parameters are two parts, one per
// factor, each laid out as a dense layer's: W1 (Out x In, column-major),
// b1 (Out), then W2, b2. With v = (dW1, db1, dW2, db2):
//
//	backward     gu = gy * w,  gw = gy * u,
//	             gtheta += (gu x^T, gu 1, gw x^T, gw 1),  gx = W1^T gu + W2^T gw
//	R-forward    R{u} = dW1 x + db1 + W1 R{x} (likewise R{w}),  R{y} = R{u} w + u R{w}
//	R-backward   R{gu} = R{gy} w + gy R{w},  R{gw} = R{gy} u + gy R{u},
//	             rgtheta += (R{gu} x^T + gu R{x}^T, R{gu} 1, and the same for w),
//	             R{gx} = W1^T R{gu} + W2^T R{gw} + dW1^T gu + dW2^T gw
type product struct{ in, out int }

const (
	slotU  = iota // u
	slotW         // w
	slotGU        // gu
	slotGW        // gw
	slotRU        // R{u}
	slotRW        // R{w}
)

func (l *product) inDim() int         { return l.in }
func (l *product) outDim() int        { return l.out }
func (l *product) parts() []int       { n := l.out*l.in + l.out; return []int{n, n} }
func (l *product) readsInput() bool   { return true }
func (l *product) readsOutGrad() bool { return true }
func (l *product) slots() []slot {
	o := l.out
	return []slot{slotU: {fwdSlot, o}, slotW: {fwdSlot, o}, slotGU: {bwdSlot, o}, slotGW: {bwdSlot, o}, slotRU: {rSlot, o}, slotRW: {rSlot, o}}
}

// wb returns the views W and b of one factor's part.
func (l *product) wb(s *engine.Scope, part engine.Buffer) (W, b engine.Buffer) {
	v := split(s, part, l.out*l.in, l.out)
	return v[0], v[1]
}

// factors returns the views W1, b1, W2, b2 of a parameter block.
func (l *product) factors(s *engine.Scope, theta engine.Buffer) []engine.Buffer {
	n := l.out * l.in
	return split(s, theta, n, l.out, n, l.out)
}

// affine records out = W x + b over cols columns, b added to the first
// bcols of them (the values of a jet), with factor k's part of p.
func (l *product) affine(f *frame, p params, k int, x engine.Buffer, cols, bcols int, out engine.Buffer) {
	th, err := p.part(k)
	if f.sc.Fail(err) != nil {
		return
	}
	W, b := l.wb(f.sc, th)
	mul(f, engine.NoTrans, l.out, l.in, W, x, cols, 0, out)
	f.sc.AddBias(l.out, bcols, b, out, l.out)
}

func (l *product) forward(f *frame, p params, n need) {
	s, no := f.sc, l.out*f.cols
	u, w := f.y, s.Scratch("product w", no)
	if n >= needFirst {
		u, w = f.st[slotU], f.st[slotW]
	}
	l.affine(f, p, 0, f.x, f.cols, f.cols, u)
	l.affine(f, p, 1, f.x, f.cols, f.cols, w)
	s.Hadamard(u, w, f.y)
}

// jet: both factors' jets by one product each over the 3 cols columns,
// then Leibniz's rule (multiplyJets).
func (l *product) jet(f *frame, p params) {
	s, no := f.sc, l.out*f.cols
	w := s.Scratch("product w", 3*no)
	l.affine(f, p, 0, f.x, 3*f.cols, f.cols, f.y)
	l.affine(f, p, 1, f.x, 3*f.cols, f.cols, w)
	t := f.spare
	if t == nil || t.Len() < no {
		t = s.Scratch("product t", no)
	} else {
		t = s.View(t, 0, no)
	}
	multiplyJets(&s.Recorder, f.y, w, t, no, true)
}

// multiplyJets records the replacement of the jet of u (value, first and
// second derivative) in U by that of the product u * w, with the jet of w
// in V, elementwise:
//
//	h = u w,  h' = u' w + u w',  h'' = u'' w + 2 u' w' + u w''
//
// Each of U and V holds three blocks of n elements (one block when jet is
// false: h = u w only); S is scratch of n elements. The blocks are
// overwritten second derivatives first, then first derivatives, then
// values, so each uses only blocks of u not yet replaced.
func multiplyJets(ops *engine.Recorder, U, V, S engine.Buffer, n int, jet bool) {
	blk := func(x engine.Buffer, k int) engine.Buffer { return ops.View(x, k*n, n) }
	u0, v0 := blk(U, 0), blk(V, 0)
	if jet {
		u1, u2, v1, v2 := blk(U, 1), blk(U, 2), blk(V, 1), blk(V, 2)
		ops.Hadamard(u2, v0, u2) // u'' w
		ops.Hadamard(u1, v1, S)  // u' w'
		ops.Axpy(n, 2, S, 1, u2, 1)
		ops.Hadamard(u0, v2, S) // u w''
		ops.Axpy(n, 1, S, 1, u2, 1)
		ops.Hadamard(u1, v0, u1) // u' w
		ops.Hadamard(u0, v1, S)  // u w'
		ops.Axpy(n, 1, S, 1, u1, 1)
	}
	ops.Hadamard(u0, v0, u0)
}

func (l *product) backward(f *frame, theta, gtheta engine.Buffer, _ bool) {
	s := f.sc
	gu, gw := f.st[slotGU], f.st[slotGW]
	s.Hadamard(f.gy, f.st[slotW], gu)
	s.Hadamard(f.gy, f.st[slotU], gw)
	if gtheta != nil {
		g := l.factors(s, gtheta)
		outer(f, l.out, l.in, gu, f.x, f.cols, g[0], g[1])
		outer(f, l.out, l.in, gw, f.x, f.cols, g[2], g[3])
	}
	if f.gx != nil {
		th := l.factors(s, theta)
		mul(f, engine.Trans, l.out, l.in, th[0], gu, f.cols, 0, f.gx)
		mul(f, engine.Trans, l.out, l.in, th[2], gw, f.cols, 1, f.gx)
	}
}

func (l *product) rforward(f *frame, theta, dtheta engine.Buffer) {
	s, no := f.sc, l.out*f.cols
	ru, rw := f.st[slotRU], f.st[slotRW]
	beta := 0.0
	if dtheta != nil {
		d := l.factors(s, dtheta)
		mul(f, engine.NoTrans, l.out, l.in, d[0], f.x, f.cols, 0, ru)
		s.AddBias(l.out, f.cols, d[1], ru, l.out)
		mul(f, engine.NoTrans, l.out, l.in, d[2], f.x, f.cols, 0, rw)
		s.AddBias(l.out, f.cols, d[3], rw, l.out)
		beta = 1
	}
	if f.rx != nil {
		th := l.factors(s, theta)
		mul(f, engine.NoTrans, l.out, l.in, th[0], f.rx, f.cols, beta, ru)
		mul(f, engine.NoTrans, l.out, l.in, th[2], f.rx, f.cols, beta, rw)
	} else if dtheta == nil {
		s.Fill(ru, 0)
		s.Fill(rw, 0)
	}
	t := s.Scratch("product t", no)
	s.Hadamard(ru, f.st[slotW], f.ry)
	s.Hadamard(f.st[slotU], rw, t)
	s.Axpy(no, 1, t, 1, f.ry, 1)
}

func (l *product) rbackward(f *frame, theta, dtheta, rgtheta engine.Buffer) {
	s, no := f.sc, l.out*f.cols
	u, w, gu, gw := f.st[slotU], f.st[slotW], f.st[slotGU], f.st[slotGW]
	ru, rw := f.st[slotRU], f.st[slotRW]
	rgu, rgw, t := s.Scratch("product rgu", no), s.Scratch("product rgw", no), s.Scratch("product t", no)
	s.Hadamard(f.rgy, w, rgu)
	s.Hadamard(f.gy, rw, t)
	s.Axpy(no, 1, t, 1, rgu, 1)
	s.Hadamard(f.rgy, u, rgw)
	s.Hadamard(f.gy, ru, t)
	s.Axpy(no, 1, t, 1, rgw, 1)
	if rgtheta != nil {
		g := l.factors(s, rgtheta)
		outer(f, l.out, l.in, rgu, f.x, f.cols, g[0], g[1])
		outer(f, l.out, l.in, rgw, f.x, f.cols, g[2], g[3])
		if f.rx != nil {
			outer(f, l.out, l.in, gu, f.rx, f.cols, g[0], nil)
			outer(f, l.out, l.in, gw, f.rx, f.cols, g[2], nil)
		}
	}
	if f.rgx != nil {
		th := l.factors(s, theta)
		mul(f, engine.Trans, l.out, l.in, th[0], rgu, f.cols, 0, f.rgx)
		mul(f, engine.Trans, l.out, l.in, th[2], rgw, f.cols, 1, f.rgx)
		if dtheta != nil {
			d := l.factors(s, dtheta)
			mul(f, engine.Trans, l.out, l.in, d[0], gu, f.cols, 1, f.rgx)
			mul(f, engine.Trans, l.out, l.in, d[2], gw, f.cols, 1, f.rgx)
		}
	}
}
