package models

import (
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
	ar      *arena
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
	return &ProductLayer{b: b, in: in, out: out, ar: newArena(b)}, nil
}

// InDim is the number of input features.
func (p *ProductLayer) InDim() int { return p.in }

// OutDim is the number of output features.
func (p *ProductLayer) OutDim() int { return p.out }

// NumParams is 2 Out (In + 1).
func (p *ProductLayer) NumParams() int { return 2 * p.out * (p.in + 1) }

// Free releases the layer's scratch buffers.
func (p *ProductLayer) Free() { p.ar.free(); p.stage = 0 }

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
	return firstErr(
		p.b.FillNormal(W1, seed, WeightStream(l), 0, s),
		p.b.FillNormal(b1, seed, BiasStream(l), 0, sigmaB),
		p.b.FillNormal(W2, seed, FactorWeightStream(l), 0, s),
		p.b.FillNormal(b2, seed, FactorBiasStream(l), 0, sigmaB),
	)
}

// affine sets out = W x + bias for batch columns (bias may be nil).
func (p *ProductLayer) affine(W, bias, x, out engine.Buffer, batch int, beta float64) error {
	errs := []error{p.b.Gemm(engine.NoTrans, engine.NoTrans, p.out, batch, p.in, 1, W, p.out, x, p.in, beta, out, p.out)}
	if bias != nil {
		errs = append(errs, p.b.AddBias(p.out, batch, bias, out, p.out))
	}
	return firstErr(errs...)
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
	if err := firstErr(checkLen("product layer", "input", x, p.in*batch), checkLen("product layer", "output", y, p.out*batch)); err != nil {
		return err
	}
	p.stage, p.batch = 0, batch
	cx, err := p.ar.get("x", p.in*batch)
	if err != nil {
		return err
	}
	f, err := p.ar.gets(p.out*batch, "u", "w")
	if err != nil {
		return err
	}
	u, w := f[0], f[1]
	if err := firstErr(
		p.b.Copy(cx, x),
		p.affine(W1, b1, x, u, batch, 0),
		p.affine(W2, b2, x, w, batch, 0),
		p.b.Hadamard(u, w, y),
	); err != nil {
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
	if err := firstErr(checkLen("product layer", "jet x", x, ni), checkLen("product layer", "jet v", v, ni), checkLen("product layer", "jet a", a, ni),
		checkLen("product layer", "jet y", y, no), checkLen("product layer", "jet dy", dy, no), checkLen("product layer", "jet ddy", ddy, no)); err != nil {
		return err
	}
	f, err := p.ar.gets(no, "ju0", "ju1", "ju2", "jw0", "jw1", "jw2", "jt")
	if err != nil {
		return err
	}
	u0, u1, u2, w0, w1, w2, t := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	b := p.b
	if err := firstErr(
		p.affine(W1, b1, x, u0, batch, 0), p.affine(W1, nil, v, u1, batch, 0), p.affine(W1, nil, a, u2, batch, 0),
		p.affine(W2, b2, x, w0, batch, 0), p.affine(W2, nil, v, w1, batch, 0), p.affine(W2, nil, a, w2, batch, 0),
		b.Hadamard(u0, w0, y),
		b.Hadamard(u1, w0, dy), b.Hadamard(u0, w1, t), b.Axpy(no, 1, t, 1, dy, 1),
		b.Hadamard(u2, w0, ddy), b.Hadamard(u0, w2, t), b.Axpy(no, 1, t, 1, ddy, 1),
		b.Hadamard(u1, w1, t), b.Axpy(no, 2, t, 1, ddy, 1),
	); err != nil {
		return fmt.Errorf("product layer: jet: %w", err)
	}
	return nil
}

// gradParams adds the parameter gradient of the factors' cotangents gu, gw
// at input x to the W1, b1, W2, b2 views of g: gW1 += gu x^T, gb1 += gu 1,
// and the same for the second factor.
func (p *ProductLayer) gradParams(g, gu, gw, x engine.Buffer) error {
	gW1, gb1, gW2, gb2, err := p.params("gradient", g)
	if err != nil {
		return err
	}
	ones, err := p.ar.ones(p.batch)
	if err != nil {
		return err
	}
	b, n := p.b, p.batch
	return firstErr(
		b.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gu, p.out, x, p.in, 1, gW1, p.out),
		b.Gemv(engine.NoTrans, p.out, n, 1, gu, p.out, ones, 1, 1, gb1, 1),
		b.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gw, p.out, x, p.in, 1, gW2, p.out),
		b.Gemv(engine.NoTrans, p.out, n, 1, gw, p.out, ones, 1, 1, gb2, 1),
	)
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
	f, err := p.ar.gets(p.out*n, "u", "w", "g", "gu", "gw")
	if err != nil {
		return err
	}
	u, w, g, gu, gw := f[0], f[1], f[2], f[3], f[4]
	x, err := p.ar.get("x", p.in*n)
	if err != nil {
		return err
	}
	b := p.b
	errs := []error{b.Copy(g, gy), b.Hadamard(g, w, gu), b.Hadamard(g, u, gw)}
	if gtheta != nil {
		errs = append(errs, p.gradParams(gtheta, gu, gw, x))
	}
	if gx != nil {
		errs = append(errs,
			b.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W1, p.out, gu, p.out, 0, gx, p.in),
			b.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W2, p.out, gw, p.out, 1, gx, p.in))
	}
	if err := firstErr(errs...); err != nil {
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
	f, err := p.ar.gets(p.out*n, "u", "w", "ru", "rw", "t")
	if err != nil {
		return err
	}
	u, w, ru, rw, t := f[0], f[1], f[2], f[3], f[4]
	x, err := p.ar.get("x", p.in*n)
	if err != nil {
		return err
	}
	b := p.b
	errs := []error{p.affine(dW1, db1, x, ru, n, 0), p.affine(dW2, db2, x, rw, n, 0)}
	p.hasRx = rx != nil
	if rx != nil {
		if err := checkLen("product layer", "input tangent", rx, p.in*n); err != nil {
			return err
		}
		crx, err := p.ar.get("rx", p.in*n)
		if err != nil {
			return err
		}
		errs = append(errs, b.Copy(crx, rx), p.affine(W1, nil, rx, ru, n, 1), p.affine(W2, nil, rx, rw, n, 1))
	}
	errs = append(errs, b.Hadamard(ru, w, ry), b.Hadamard(u, rw, t), b.Axpy(p.out*n, 1, t, 1, ry, 1))
	if err := firstErr(errs...); err != nil {
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
	f, err := p.ar.gets(p.out*n, "u", "w", "g", "gu", "gw", "ru", "rw", "rgu", "rgw", "t")
	if err != nil {
		return err
	}
	u, w, g, gu, gw, ru, rw, rgu, rgw, t := f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]
	x, err := p.ar.get("x", p.in*n)
	if err != nil {
		return err
	}
	b, no := p.b, p.out*n
	errs := []error{
		b.Hadamard(rgy, w, rgu), b.Hadamard(g, rw, t), b.Axpy(no, 1, t, 1, rgu, 1),
		b.Hadamard(rgy, u, rgw), b.Hadamard(g, ru, t), b.Axpy(no, 1, t, 1, rgw, 1),
	}
	if rgtheta != nil {
		errs = append(errs, p.gradParams(rgtheta, rgu, rgw, x))
		if p.hasRx {
			rx, err := p.ar.get("rx", p.in*n)
			if err != nil {
				return err
			}
			gW1, _, gW2, _, err := p.params("R gradient", rgtheta)
			if err != nil {
				return err
			}
			errs = append(errs,
				b.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gu, p.out, rx, p.in, 1, gW1, p.out),
				b.Gemm(engine.NoTrans, engine.Trans, p.out, p.in, n, 1, gw, p.out, rx, p.in, 1, gW2, p.out))
		}
	}
	if rgx != nil {
		errs = append(errs,
			b.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W1, p.out, rgu, p.out, 0, rgx, p.in),
			b.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, W2, p.out, rgw, p.out, 1, rgx, p.in),
			b.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, dW1, p.out, gu, p.out, 1, rgx, p.in),
			b.Gemm(engine.Trans, engine.NoTrans, p.in, n, p.out, 1, dW2, p.out, gw, p.out, 1, rgx, p.in))
	}
	if err := firstErr(errs...); err != nil {
		return fmt.Errorf("product layer: R-backward: %w", err)
	}
	return nil
}
