package models

import (
	"cmp"
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// ProductLayer is a layer of multiplication neurons (docs/science.md section 7):
//
//	h = (W1 x + b1) * (W2 x + b2)   (elementwise)
//
// mapping In features to Out. Its parameters are, in this order, W1 (Out x
// In, column-major), b1 (Out), W2 (Out x In), b2 (Out): for each factor the
// layout of an MLP layer. It implements Layer.
type ProductLayer struct {
	b       engine.Backend
	in, out int
	sc      *engine.Scope // scratch buffers, and the ops of the call in progress
	batch   int
	stage   int // 0 none, 1 forward, 2 backward, 3 R-forward done
	hasRx   bool
}

// NewProductLayer returns a product layer from in to out features on b.
func NewProductLayer(b engine.Backend, in, out int) (*ProductLayer, error) {
	if b == nil {
		return nil, errors.New("product layer: nil backend")
	}
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("product layer: sizes %d -> %d; both must be >= 1", in, out)
	}
	return &ProductLayer{b: b, in: in, out: out, sc: engine.NewScope(b)}, nil
}

// InDim is the number of input features.
func (p *ProductLayer) InDim() int { return p.in }

// OutDim is the number of output features.
func (p *ProductLayer) OutDim() int { return p.out }

// NumParams is 2 Out (In + 1).
func (p *ProductLayer) NumParams() int { return 2 * p.out * (p.in + 1) }

// Free releases the layer's scratch buffers.
func (p *ProductLayer) Free() { p.sc.Close(); p.stage = 0 }

// params returns views W1, b1, W2, b2 of theta.
func (p *ProductLayer) params(what string, theta engine.Buffer) (W1, b1, W2, b2 engine.Buffer, err error) {
	if err = checkLen("product layer", what, theta, p.NumParams()); err != nil {
		return
	}
	v, err := views(p.b, theta, p.out*p.in, p.out, p.out*p.in, p.out)
	if err != nil {
		return
	}
	return v[0], v[1], v[2], v[3], nil
}

// InitRandom fills theta with Gaussian weights W_ij ~ N(0, sigmaW^2 / In)
// and biases ~ N(0, sigmaB^2) drawn by Philox under seed: the first factor
// from WeightStream(l) and BiasStream(l), the second from
// FactorWeightStream(l) and FactorBiasStream(l), exactly as layer l of a
// RandomDense with Kinds[l-1] = Product and the Gaussian law, so that a
// random product network and a stack of ProductLayers agree bit for bit.
func (p *ProductLayer) InitRandom(theta engine.Buffer, seed uint64, l int, sigmaW, sigmaB float64) error {
	W1, b1, W2, b2, err := p.params("parameters", theta)
	if err != nil {
		return err
	}
	s := sigmaW / math.Sqrt(float64(p.in))
	ops := engine.Ops(p.b)
	ops.FillNormal(W1, seed, WeightStream(l), 0, s)
	ops.FillNormal(b1, seed, BiasStream(l), 0, sigmaB)
	ops.FillNormal(W2, seed, FactorWeightStream(l), 0, s)
	ops.FillNormal(b2, seed, FactorBiasStream(l), 0, sigmaB)
	return ops.Err()
}

// affine records out = W x + bias + beta out for batch columns (bias may be
// nil).
func (p *ProductLayer) affine(W, bias, x, out engine.Buffer, batch int, beta float64) {
	p.sc.Gemm(engine.NoTrans, engine.NoTrans, p.out, batch, p.in, 1, W, p.out, x, p.in, beta, out, p.out)
	if bias != nil {
		p.sc.AddBias(p.out, batch, bias, out, p.out)
	}
}

// Forward sets y = (W1 x + b1) * (W2 x + b2) and caches x and both factors.
func (p *ProductLayer) Forward(theta, x engine.Buffer, batch int, y engine.Buffer) error {
	W1, b1, W2, b2, err := p.params("parameters", theta)
	if err != nil {
		return err
	}
	if batch < 1 {
		return fmt.Errorf("product layer: batch %d; must be >= 1", batch)
	}
	if err := cmp.Or(checkLen("product layer", "input", x, p.in*batch), checkLen("product layer", "output", y, p.out*batch)); err != nil {
		return err
	}
	p.stage, p.batch = 0, batch
	s := p.sc
	s.Reset()
	cx := s.Scratch("x", p.in*batch)
	u, w := s.Scratch("u", p.out*batch), s.Scratch("w", p.out*batch)
	s.Copy(cx, x)
	p.affine(W1, b1, x, u, batch, 0)
	p.affine(W2, b2, x, w, batch, 0)
	s.Hadamard(u, w, y)
	if err := s.Err(); err != nil {
		return fmt.Errorf("product layer: forward: %w", err)
	}
	p.stage = 1
	return nil
}

// Jet pushes the jet (x, v, a) through the layer: with u = W1 x + b1,
// u' = W1 v, u” = W1 a and likewise w for the second factor,
//
//	y = u w,  dy = u' w + u w',  ddy = u'' w + 2 u' w' + u w''.
func (p *ProductLayer) Jet(theta, x, v, a engine.Buffer, batch int, y, dy, ddy engine.Buffer) error {
	W1, b1, W2, b2, err := p.params("parameters", theta)
	if err != nil {
		return err
	}
	if batch < 1 {
		return fmt.Errorf("product layer: batch %d; must be >= 1", batch)
	}
	ni, no := p.in*batch, p.out*batch
	if err := cmp.Or(checkLen("product layer", "jet x", x, ni), checkLen("product layer", "jet v", v, ni), checkLen("product layer", "jet a", a, ni),
		checkLen("product layer", "jet y", y, no), checkLen("product layer", "jet dy", dy, no), checkLen("product layer", "jet ddy", ddy, no)); err != nil {
		return err
	}
	s := p.sc
	s.Reset()
	u0, u1, u2 := s.Scratch("ju0", no), s.Scratch("ju1", no), s.Scratch("ju2", no)
	w0, w1, w2 := s.Scratch("jw0", no), s.Scratch("jw1", no), s.Scratch("jw2", no)
	t := s.Scratch("jt", no)
	p.affine(W1, b1, x, u0, batch, 0)
	p.affine(W1, nil, v, u1, batch, 0)
	p.affine(W1, nil, a, u2, batch, 0)
	p.affine(W2, b2, x, w0, batch, 0)
	p.affine(W2, nil, v, w1, batch, 0)
	p.affine(W2, nil, a, w2, batch, 0)
	s.Hadamard(u0, w0, y)
	s.Hadamard(u1, w0, dy)
	s.Hadamard(u0, w1, t)
	s.Axpy(no, 1, t, 1, dy, 1)
	s.Hadamard(u2, w0, ddy)
	s.Hadamard(u0, w2, t)
	s.Axpy(no, 1, t, 1, ddy, 1)
	s.Hadamard(u1, w1, t)
	s.Axpy(no, 2, t, 1, ddy, 1)
	if err := s.Err(); err != nil {
		return fmt.Errorf("product layer: jet: %w", err)
	}
	return nil
}

// gradParams records the addition of the parameter gradient of the
// factors' cotangents gu, gw at input x to the W1, b1, W2, b2 views of g:
// gW1 += gu x^T, gb1 += gu 1, and the same for the second factor.
func (p *ProductLayer) gradParams(g, gu, gw, x engine.Buffer) {
	s := p.sc
	gW1, gb1, gW2, gb2, err := p.params("gradient", g)
	if s.Fail(err) != nil {
		return
	}
	o, n := ones(s, p.batch), p.batch
	s.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gu, p.out, x, p.in, 1, gW1, p.out)
	s.Gemv(engine.NoTrans, p.out, n, 1, gu, p.out, o, 1, 1, gb1, 1)
	s.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gw, p.out, x, p.in, 1, gW2, p.out)
	s.Gemv(engine.NoTrans, p.out, n, 1, gw, p.out, o, 1, 1, gb2, 1)
}

// Backward: gu = gy * w, gw = gy * u, gtheta += (gu x^T, gu 1, gw x^T,
// gw 1), gx = W1^T gu + W2^T gw.
func (p *ProductLayer) Backward(theta, gy, gx, gtheta engine.Buffer) error {
	if p.stage < 1 {
		return fmt.Errorf("product layer: backward: %w", errOrder)
	}
	W1, _, W2, _, err := p.params("parameters", theta)
	if err != nil {
		return err
	}
	n := p.batch
	if err := checkLen("product layer", "output gradient", gy, p.out*n); err != nil {
		return err
	}
	if gx != nil {
		if err := checkLen("product layer", "input gradient", gx, p.in*n); err != nil {
			return err
		}
	}
	s, no := p.sc, p.out*n
	s.Reset()
	u, w, g, gu, gw := s.Scratch("u", no), s.Scratch("w", no), s.Scratch("g", no), s.Scratch("gu", no), s.Scratch("gw", no)
	x := s.Scratch("x", p.in*n)
	s.Copy(g, gy)
	s.Hadamard(g, w, gu)
	s.Hadamard(g, u, gw)
	if gtheta != nil {
		p.gradParams(gtheta, gu, gw, x)
	}
	if gx != nil {
		s.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W1, p.out, gu, p.out, 0, gx, p.in)
		s.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W2, p.out, gw, p.out, 1, gx, p.in)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("product layer: backward: %w", err)
	}
	p.stage = 2
	return nil
}

// RForward: Ru = W1 rx + dW1 x + db1, Rw = W2 rx + dW2 x + db2,
// ry = Ru w + u Rw.
func (p *ProductLayer) RForward(theta, dtheta, rx, ry engine.Buffer) error {
	if p.stage < 2 {
		return fmt.Errorf("product layer: R-forward: %w", errOrder)
	}
	W1, _, W2, _, err := p.params("parameters", theta)
	if err != nil {
		return err
	}
	dW1, db1, dW2, db2, err := p.params("direction", dtheta)
	if err != nil {
		return err
	}
	n := p.batch
	if err := checkLen("product layer", "R output", ry, p.out*n); err != nil {
		return err
	}
	if rx != nil {
		if err := checkLen("product layer", "input tangent", rx, p.in*n); err != nil {
			return err
		}
	}
	s, no := p.sc, p.out*n
	s.Reset()
	u, w, ru, rw, t := s.Scratch("u", no), s.Scratch("w", no), s.Scratch("ru", no), s.Scratch("rw", no), s.Scratch("t", no)
	x := s.Scratch("x", p.in*n)
	p.affine(dW1, db1, x, ru, n, 0)
	p.affine(dW2, db2, x, rw, n, 0)
	p.hasRx = rx != nil
	if rx != nil {
		crx := s.Scratch("rx", p.in*n)
		s.Copy(crx, rx)
		p.affine(W1, nil, rx, ru, n, 1)
		p.affine(W2, nil, rx, rw, n, 1)
	}
	s.Hadamard(ru, w, ry)
	s.Hadamard(u, rw, t)
	s.Axpy(no, 1, t, 1, ry, 1)
	if err := s.Err(); err != nil {
		return fmt.Errorf("product layer: R-forward: %w", err)
	}
	p.stage = 3
	return nil
}

// RBackward: R{gu} = rgy w + gy Rw, R{gw} = rgy u + gy Ru,
// rgtheta += (R{gu} x^T + gu rx^T, R{gu} 1, and the same for w), and
// rgx = dW1^T gu + W1^T R{gu} + dW2^T gw + W2^T R{gw}.
func (p *ProductLayer) RBackward(theta, dtheta, rgy, rgx, rgtheta engine.Buffer) error {
	if p.stage < 3 {
		return fmt.Errorf("product layer: R-backward: %w", errOrder)
	}
	W1, _, W2, _, err := p.params("parameters", theta)
	if err != nil {
		return err
	}
	dW1, _, dW2, _, err := p.params("direction", dtheta)
	if err != nil {
		return err
	}
	n := p.batch
	if err := checkLen("product layer", "R output gradient", rgy, p.out*n); err != nil {
		return err
	}
	if rgx != nil {
		if err := checkLen("product layer", "R input gradient", rgx, p.in*n); err != nil {
			return err
		}
	}
	s, no := p.sc, p.out*n
	s.Reset()
	u, w, g, gu, gw := s.Scratch("u", no), s.Scratch("w", no), s.Scratch("g", no), s.Scratch("gu", no), s.Scratch("gw", no)
	ru, rw, rgu, rgw, t := s.Scratch("ru", no), s.Scratch("rw", no), s.Scratch("rgu", no), s.Scratch("rgw", no), s.Scratch("t", no)
	x := s.Scratch("x", p.in*n)
	s.Hadamard(rgy, w, rgu)
	s.Hadamard(g, rw, t)
	s.Axpy(no, 1, t, 1, rgu, 1)
	s.Hadamard(rgy, u, rgw)
	s.Hadamard(g, ru, t)
	s.Axpy(no, 1, t, 1, rgw, 1)
	if rgtheta != nil {
		p.gradParams(rgtheta, rgu, rgw, x)
		if p.hasRx {
			rx := s.Scratch("rx", p.in*n)
			gW1, _, gW2, _, err := p.params("R gradient", rgtheta)
			s.Fail(err)
			s.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gu, p.out, rx, p.in, 1, gW1, p.out)
			s.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gw, p.out, rx, p.in, 1, gW2, p.out)
		}
	}
	if rgx != nil {
		s.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W1, p.out, rgu, p.out, 0, rgx, p.in)
		s.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W2, p.out, rgw, p.out, 1, rgx, p.in)
		s.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, dW1, p.out, gu, p.out, 1, rgx, p.in)
		s.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, dW2, p.out, gw, p.out, 1, rgx, p.in)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("product layer: R-backward: %w", err)
	}
	return nil
}
