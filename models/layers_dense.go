package models

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
)

// DenseLayer is the Layer form of a dense layer, y = phi(W x + b), with W
// Out x In (column-major) and then b (Out) as its parameters: the layout of
// one MLP layer, so that an MLP's output layer is a DenseLayer with the
// linear activation and its hidden layers DenseLayers with the network's.
// It lets a Stack mix dense layers with product and attention layers.
type DenseLayer struct {
	b       engine.Backend
	in, out int
	act     activation.ID
	sc      *engine.Scope // scratch buffers, and the ops of the call in progress
	batch   int
	stage   int
	hasRx   bool
}

// NewDenseLayer returns a dense layer from in to out features with the
// activation act (activation.Func.ID; the linear one for an output layer).
func NewDenseLayer(b engine.Backend, in, out int, act activation.ID) (*DenseLayer, error) {
	if b == nil {
		return nil, errors.New("dense layer: nil backend")
	}
	if in < 1 || out < 1 {
		return nil, fmt.Errorf("dense layer: sizes %d -> %d; both must be >= 1", in, out)
	}
	if _, err := activation.ByID(act); err != nil {
		return nil, fmt.Errorf("dense layer: %w", err)
	}
	return &DenseLayer{b: b, in: in, out: out, act: act, sc: engine.NewScope(b)}, nil
}

// InDim is the number of input features.
func (l *DenseLayer) InDim() int { return l.in }

// OutDim is the number of output features.
func (l *DenseLayer) OutDim() int { return l.out }

// NumParams is Out (In + 1).
func (l *DenseLayer) NumParams() int { return l.out * (l.in + 1) }

// Free releases the layer's scratch buffers.
func (l *DenseLayer) Free() { l.sc.Close(); l.stage = 0 }

func (l *DenseLayer) params(what string, theta engine.Buffer) (W, bias engine.Buffer, err error) {
	if err = checkLen("dense layer", what, theta, l.NumParams()); err != nil {
		return
	}
	v, err := views(l.b, theta, l.out*l.in, l.out)
	if err != nil {
		return
	}
	return v[0], v[1], nil
}

// InitRandom fills theta as layer l of a Gaussian RandomDense under seed:
// W_ij ~ N(0, sigmaW^2 / In) from WeightStream(l), b_i ~ N(0, sigmaB^2)
// from BiasStream(l).
func (l *DenseLayer) InitRandom(theta engine.Buffer, seed uint64, layer int, sigmaW, sigmaB float64) error {
	W, bias, err := l.params("parameters", theta)
	if err != nil {
		return err
	}
	ops := engine.Ops(l.b)
	ops.FillNormal(W, seed, WeightStream(layer), 0, sigmaW/sqrtInt(l.in))
	ops.FillNormal(bias, seed, BiasStream(layer), 0, sigmaB)
	return ops.Err()
}

// gemm records out = op(W) x + beta out on the layer's scope.
func (l *DenseLayer) gemm(tA engine.Transpose, W, x, out engine.Buffer, beta float64) {
	if tA {
		l.sc.Gemm(engine.Trans, engine.NoTrans, l.in, l.batch, l.out, 1, W, l.out, x, l.out, beta, out, l.in)
		return
	}
	l.sc.Gemm(engine.NoTrans, engine.NoTrans, l.out, l.batch, l.in, 1, W, l.out, x, l.in, beta, out, l.out)
}

// Forward sets y = phi(W x + b) and caches x, phi'(h) and phi”(h).
func (l *DenseLayer) Forward(theta, x engine.Buffer, batch int, y engine.Buffer) error {
	W, bias, err := l.params("parameters", theta)
	if err != nil {
		return err
	}
	if batch < 1 {
		return fmt.Errorf("dense layer: batch %d; must be >= 1", batch)
	}
	if err := cmp.Or(checkLen("dense layer", "input", x, l.in*batch), checkLen("dense layer", "output", y, l.out*batch)); err != nil {
		return err
	}
	l.stage, l.batch = 0, batch
	s, no := l.sc, l.out*batch
	s.Reset()
	cx := s.Scratch("x", l.in*batch)
	h, d1, d2 := s.Scratch("h", no), s.Scratch("d1", no), s.Scratch("d2", no)
	s.Copy(cx, x)
	l.gemm(engine.NoTrans, W, x, h, 0)
	s.AddBias(l.out, batch, bias, h, l.out)
	s.ActivateDerivative(l.act, 1, h, d1)
	s.ActivateDerivative(l.act, 2, h, d2)
	s.ActivateDerivative(l.act, 0, h, y)
	if err := s.Err(); err != nil {
		return fmt.Errorf("dense layer: forward: %w", err)
	}
	l.stage = 1
	return nil
}

// Jet: h = W x + b, h' = W v, h” = W a, then engine.Backend.ActivateJet.
func (l *DenseLayer) Jet(theta, x, v, a engine.Buffer, batch int, y, dy, ddy engine.Buffer) error {
	W, bias, err := l.params("parameters", theta)
	if err != nil {
		return err
	}
	if batch < 1 {
		return fmt.Errorf("dense layer: batch %d; must be >= 1", batch)
	}
	ni, no := l.in*batch, l.out*batch
	if err := cmp.Or(checkLen("dense layer", "jet x", x, ni), checkLen("dense layer", "jet v", v, ni), checkLen("dense layer", "jet a", a, ni),
		checkLen("dense layer", "jet y", y, no), checkLen("dense layer", "jet dy", dy, no), checkLen("dense layer", "jet ddy", ddy, no)); err != nil {
		return err
	}
	saved := l.batch
	defer func() { l.batch = saved }()
	l.batch = batch
	s := l.sc
	s.Reset()
	h0, h1, h2 := s.Scratch("jh0", no), s.Scratch("jh1", no), s.Scratch("jh2", no)
	l.gemm(engine.NoTrans, W, x, h0, 0)
	s.AddBias(l.out, batch, bias, h0, l.out)
	l.gemm(engine.NoTrans, W, v, h1, 0)
	l.gemm(engine.NoTrans, W, a, h2, 0)
	s.ActivateJet(l.act, h0, h1, h2, y, dy, ddy)
	if err := s.Err(); err != nil {
		return fmt.Errorf("dense layer: jet: %w", err)
	}
	return nil
}

// addGrad records the addition of (gh x^T, gh 1) to the W and b views of g.
func (l *DenseLayer) addGrad(g, gh, x engine.Buffer) {
	s := l.sc
	gW, gb, err := l.params("gradient", g)
	if s.Fail(err) != nil {
		return
	}
	o := ones(s, l.batch)
	s.Gemm(engine.NoTrans, engine.Trans, l.out, l.in, l.batch, 1, gh, l.out, x, l.in, 1, gW, l.out)
	s.Gemv(engine.NoTrans, l.out, l.batch, 1, gh, l.out, o, 1, 1, gb, 1)
}

// Backward: gh = phi'(h) gy, gtheta += (gh x^T, gh 1), gx = W^T gh.
func (l *DenseLayer) Backward(theta, gy, gx, gtheta engine.Buffer) error {
	if l.stage < 1 {
		return fmt.Errorf("dense layer: backward: %w", errOrder)
	}
	W, _, err := l.params("parameters", theta)
	if err != nil {
		return err
	}
	if err := checkLen("dense layer", "output gradient", gy, l.out*l.batch); err != nil {
		return err
	}
	if gx != nil {
		if err := checkLen("dense layer", "input gradient", gx, l.in*l.batch); err != nil {
			return err
		}
	}
	s, no := l.sc, l.out*l.batch
	s.Reset()
	d1, g, gh := s.Scratch("d1", no), s.Scratch("g", no), s.Scratch("gh", no)
	x := s.Scratch("x", l.in*l.batch)
	s.Copy(g, gy)
	s.Hadamard(d1, g, gh)
	if gtheta != nil {
		l.addGrad(gtheta, gh, x)
	}
	if gx != nil {
		l.gemm(engine.Trans, W, gh, gx, 0)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("dense layer: backward: %w", err)
	}
	l.stage = 2
	return nil
}

// RForward: Rh = W rx + dW x + db, ry = phi'(h) Rh.
func (l *DenseLayer) RForward(theta, dtheta, rx, ry engine.Buffer) error {
	if l.stage < 2 {
		return fmt.Errorf("dense layer: R-forward: %w", errOrder)
	}
	W, _, err := l.params("parameters", theta)
	if err != nil {
		return err
	}
	dW, db, err := l.params("direction", dtheta)
	if err != nil {
		return err
	}
	if err := checkLen("dense layer", "R output", ry, l.out*l.batch); err != nil {
		return err
	}
	if rx != nil {
		if err := checkLen("dense layer", "input tangent", rx, l.in*l.batch); err != nil {
			return err
		}
	}
	s, no := l.sc, l.out*l.batch
	s.Reset()
	d1, rh := s.Scratch("d1", no), s.Scratch("rh", no)
	x := s.Scratch("x", l.in*l.batch)
	l.gemm(engine.NoTrans, dW, x, rh, 0)
	s.AddBias(l.out, l.batch, db, rh, l.out)
	l.hasRx = rx != nil
	if rx != nil {
		crx := s.Scratch("rx", l.in*l.batch)
		s.Copy(crx, rx)
		l.gemm(engine.NoTrans, W, rx, rh, 1)
	}
	s.Hadamard(d1, rh, ry)
	if err := s.Err(); err != nil {
		return fmt.Errorf("dense layer: R-forward: %w", err)
	}
	l.stage = 3
	return nil
}

// RBackward: R{gh} = phi”(h) Rh gy + phi'(h) rgy, rgtheta += (R{gh} x^T
// + gh rx^T, R{gh} 1), rgx = W^T R{gh} + dW^T gh.
func (l *DenseLayer) RBackward(theta, dtheta, rgy, rgx, rgtheta engine.Buffer) error {
	if l.stage < 3 {
		return fmt.Errorf("dense layer: R-backward: %w", errOrder)
	}
	W, _, err := l.params("parameters", theta)
	if err != nil {
		return err
	}
	dW, _, err := l.params("direction", dtheta)
	if err != nil {
		return err
	}
	if err := checkLen("dense layer", "R output gradient", rgy, l.out*l.batch); err != nil {
		return err
	}
	if rgx != nil {
		if err := checkLen("dense layer", "R input gradient", rgx, l.in*l.batch); err != nil {
			return err
		}
	}
	s, no := l.sc, l.out*l.batch
	s.Reset()
	d1, d2, g, gh := s.Scratch("d1", no), s.Scratch("d2", no), s.Scratch("g", no), s.Scratch("gh", no)
	rh, rgh, t := s.Scratch("rh", no), s.Scratch("rgh", no), s.Scratch("t", no)
	x := s.Scratch("x", l.in*l.batch)
	s.Hadamard(d2, rh, t)
	s.Hadamard(t, g, t)
	s.Hadamard(d1, rgy, rgh)
	s.Axpy(no, 1, t, 1, rgh, 1)
	if rgtheta != nil {
		l.addGrad(rgtheta, rgh, x)
		if l.hasRx {
			rx := s.Scratch("rx", l.in*l.batch)
			gW, _, err := l.params("R gradient", rgtheta)
			s.Fail(err)
			s.Gemm(engine.NoTrans, engine.Trans, l.out, l.in, l.batch, 1, gh, l.out, rx, l.in, 1, gW, l.out)
		}
	}
	if rgx != nil {
		l.gemm(engine.Trans, W, rgh, rgx, 0)
		l.gemm(engine.Trans, dW, gh, rgx, 1)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("dense layer: R-backward: %w", err)
	}
	return nil
}
