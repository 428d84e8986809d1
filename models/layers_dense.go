package models

import (
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
	ar      *arena
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
	return &DenseLayer{b: b, in: in, out: out, act: act, ar: newArena(b)}, nil
}

// InDim is the number of input features.
func (l *DenseLayer) InDim() int { return l.in }

// OutDim is the number of output features.
func (l *DenseLayer) OutDim() int { return l.out }

// NumParams is Out (In + 1).
func (l *DenseLayer) NumParams() int { return l.out * (l.in + 1) }

// Free releases the layer's scratch buffers.
func (l *DenseLayer) Free() { l.ar.free(); l.stage = 0 }

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
	return firstErr(
		l.b.FillNormal(W, seed, WeightStream(layer), 0, sigmaW/sqrtInt(l.in)),
		l.b.FillNormal(bias, seed, BiasStream(layer), 0, sigmaB),
	)
}

func (l *DenseLayer) gemm(tA engine.Transpose, W, x, out engine.Buffer, beta float64) error {
	if tA {
		return l.b.Gemm(engine.Trans, engine.NoTrans, l.in, l.batch, l.out, 1, W, l.out, x, l.out, beta, out, l.in)
	}
	return l.b.Gemm(engine.NoTrans, engine.NoTrans, l.out, l.batch, l.in, 1, W, l.out, x, l.in, beta, out, l.out)
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
	if err := firstErr(checkLen("dense layer", "input", x, l.in*batch), checkLen("dense layer", "output", y, l.out*batch)); err != nil {
		return err
	}
	l.stage, l.batch = 0, batch
	cx, err := l.ar.get("x", l.in*batch)
	if err != nil {
		return err
	}
	f, err := l.ar.gets(l.out*batch, "h", "d1", "d2")
	if err != nil {
		return err
	}
	h, d1, d2 := f[0], f[1], f[2]
	b := l.b
	if err := firstErr(
		b.Copy(cx, x), l.gemm(engine.NoTrans, W, x, h, 0), b.AddBias(l.out, batch, bias, h, l.out),
		b.ActivateDerivative(l.act, 1, h, d1), b.ActivateDerivative(l.act, 2, h, d2), b.ActivateDerivative(l.act, 0, h, y),
	); err != nil {
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
	if err := firstErr(checkLen("dense layer", "jet x", x, ni), checkLen("dense layer", "jet v", v, ni), checkLen("dense layer", "jet a", a, ni),
		checkLen("dense layer", "jet y", y, no), checkLen("dense layer", "jet dy", dy, no), checkLen("dense layer", "jet ddy", ddy, no)); err != nil {
		return err
	}
	saved := l.batch
	defer func() { l.batch = saved }()
	l.batch = batch
	f, err := l.ar.gets(no, "jh0", "jh1", "jh2")
	if err != nil {
		return err
	}
	if err := firstErr(
		l.gemm(engine.NoTrans, W, x, f[0], 0), l.b.AddBias(l.out, batch, bias, f[0], l.out),
		l.gemm(engine.NoTrans, W, v, f[1], 0), l.gemm(engine.NoTrans, W, a, f[2], 0),
		l.b.ActivateJet(l.act, f[0], f[1], f[2], y, dy, ddy),
	); err != nil {
		return fmt.Errorf("dense layer: jet: %w", err)
	}
	return nil
}

// addGrad adds (gh x^T, gh 1) to the W and b views of g.
func (l *DenseLayer) addGrad(g, gh, x engine.Buffer) error {
	gW, gb, err := l.params("gradient", g)
	if err != nil {
		return err
	}
	ones, err := l.ar.ones(l.batch)
	if err != nil {
		return err
	}
	return firstErr(
		l.b.Gemm(engine.NoTrans, engine.Trans, l.out, l.in, l.batch, 1, gh, l.out, x, l.in, 1, gW, l.out),
		l.b.Gemv(engine.NoTrans, l.out, l.batch, 1, gh, l.out, ones, 1, 1, gb, 1),
	)
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
	f, err := l.ar.gets(l.out*l.batch, "d1", "g", "gh")
	if err != nil {
		return err
	}
	x, err := l.ar.get("x", l.in*l.batch)
	if err != nil {
		return err
	}
	errs := []error{l.b.Copy(f[1], gy), l.b.Hadamard(f[0], f[1], f[2])}
	if gtheta != nil {
		errs = append(errs, l.addGrad(gtheta, f[2], x))
	}
	if gx != nil {
		errs = append(errs, l.gemm(engine.Trans, W, f[2], gx, 0))
	}
	if err := firstErr(errs...); err != nil {
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
	f, err := l.ar.gets(l.out*l.batch, "d1", "rh")
	if err != nil {
		return err
	}
	x, err := l.ar.get("x", l.in*l.batch)
	if err != nil {
		return err
	}
	errs := []error{l.gemm(engine.NoTrans, dW, x, f[1], 0), l.b.AddBias(l.out, l.batch, db, f[1], l.out)}
	l.hasRx = rx != nil
	if rx != nil {
		if err := checkLen("dense layer", "input tangent", rx, l.in*l.batch); err != nil {
			return err
		}
		crx, err := l.ar.get("rx", l.in*l.batch)
		if err != nil {
			return err
		}
		errs = append(errs, l.b.Copy(crx, rx), l.gemm(engine.NoTrans, W, rx, f[1], 1))
	}
	errs = append(errs, l.b.Hadamard(f[0], f[1], ry))
	if err := firstErr(errs...); err != nil {
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
	f, err := l.ar.gets(l.out*l.batch, "d1", "d2", "g", "gh", "rh", "rgh", "t")
	if err != nil {
		return err
	}
	d1, d2, g, gh, rh, rgh, t := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	x, err := l.ar.get("x", l.in*l.batch)
	if err != nil {
		return err
	}
	b, no := l.b, l.out*l.batch
	errs := []error{b.Hadamard(d2, rh, t), b.Hadamard(t, g, t), b.Hadamard(d1, rgy, rgh), b.Axpy(no, 1, t, 1, rgh, 1)}
	if rgtheta != nil {
		errs = append(errs, l.addGrad(rgtheta, rgh, x))
		if l.hasRx {
			rx, err := l.ar.get("rx", l.in*l.batch)
			if err != nil {
				return err
			}
			gW, _, err := l.params("R gradient", rgtheta)
			if err != nil {
				return err
			}
			errs = append(errs, b.Gemm(engine.NoTrans, engine.Trans, l.out, l.in, l.batch, 1, gh, l.out, rx, l.in, 1, gW, l.out))
		}
	}
	if rgx != nil {
		errs = append(errs, l.gemm(engine.Trans, W, rgh, rgx, 0), l.gemm(engine.Trans, dW, gh, rgx, 1))
	}
	if err := firstErr(errs...); err != nil {
		return fmt.Errorf("dense layer: R-backward: %w", err)
	}
	return nil
}
