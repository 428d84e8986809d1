package models

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/engine"
)

// Stack is a network of Layers (dense, product, attention, in any order
// whose widths chain) ending in a loss: the outputs z of the last layer are
// the logits of Loss, as for MLP. Its parameters are one flat buffer, the
// layers' parameter blocks one after the other (LayerParams gives the
// views). Loss, Gradient and HVP evaluate the mean loss over a batch, its
// gradient and exact Hessian-vector products (Pearlmutter's R-operator
// chained through the layers), with the conventions of MLP's Evaluator.
// The Stack owns its layers: Free frees them.
type Stack struct {
	b      engine.Backend
	layers []Layer
	loss   Loss
	off    []int
	np     int
	sc     *engine.Scope // scratch buffers
}

// NewStack chains layers (layer l's OutDim must equal layer l+1's InDim)
// under loss on b.
func NewStack(b engine.Backend, loss Loss, layers ...Layer) (*Stack, error) {
	if b == nil {
		return nil, errors.New("stack: nil backend")
	}
	if len(layers) == 0 {
		return nil, errors.New("stack: no layers")
	}
	if !loss.valid() {
		return nil, fmt.Errorf("stack: unknown loss %d", int(loss))
	}
	s := &Stack{b: b, layers: append([]Layer(nil), layers...), loss: loss, off: make([]int, len(layers)+1), sc: engine.NewScope(b)}
	for l, L := range layers {
		if l > 0 && layers[l-1].OutDim() != L.InDim() {
			return nil, fmt.Errorf("stack: layer %d gives %d features, layer %d takes %d", l, layers[l-1].OutDim(), l+1, L.InDim())
		}
		s.off[l+1] = s.off[l] + L.NumParams()
	}
	s.np = s.off[len(layers)]
	return s, nil
}

// NumParams is the length of the flat parameter vector.
func (s *Stack) NumParams() int { return s.np }

// Layers returns the layers, input first.
func (s *Stack) Layers() []Layer { return append([]Layer(nil), s.layers...) }

// InDim and OutDim are the first layer's input and the last layer's output
// widths.
func (s *Stack) InDim() int { return s.layers[0].InDim() }

// OutDim is the number of logits per sample.
func (s *Stack) OutDim() int { return s.layers[len(s.layers)-1].OutDim() }

// LayerParams returns the view of layer l's (0-based) parameters in theta.
func (s *Stack) LayerParams(theta engine.Buffer, l int) (engine.Buffer, error) {
	if l < 0 || l >= len(s.layers) {
		return nil, fmt.Errorf("stack: layer %d outside 0..%d", l, len(s.layers)-1)
	}
	if err := checkLen("stack", "parameters", theta, s.np); err != nil {
		return nil, err
	}
	return s.b.Slice(theta, s.off[l], s.off[l+1]-s.off[l])
}

// Free frees the layers and the stack's scratch.
func (s *Stack) Free() {
	for _, L := range s.layers {
		L.Free()
	}
	s.sc.Close()
}

// scratch returns n elements of the scratch buffer called name, or the
// error of its allocation: the stack's calls run the layers' own ops, each
// of which returns its error, so the stack's scope only allocates.
func (s *Stack) scratch(name string, n int) (engine.Buffer, error) {
	x := s.sc.Scratch(name, n)
	return x, s.sc.Reset()
}

// buf returns scratch buffer kind of layer l's outputs for batch samples.
func (s *Stack) buf(kind string, l, batch int) (engine.Buffer, error) {
	return s.scratch(fmt.Sprintf("%s%d", kind, l), s.layers[l].OutDim()*batch)
}

// forward runs the layers on x (InDim x batch) and returns the logits and
// the summed loss against t (OutDim x batch); with wantDelta it leaves
// dL/dz of the loss summed over the batch and divided by nTotal in "delta"
// (and softmax(z) in "p"): nTotal = batch for the batch's mean loss, the
// size of the whole set when the batch is one chunk of it.
func (s *Stack) forward(theta, x, t engine.Buffer, batch, nTotal int, wantDelta bool) (z engine.Buffer, sum float64, err error) {
	if err := cmp.Or(checkLen("stack", "parameters", theta, s.np), checkLen("stack", "inputs", x, s.InDim()*batch), checkLen("stack", "targets", t, s.OutDim()*batch)); err != nil {
		return nil, 0, err
	}
	in := x
	for l, L := range s.layers {
		th, err := s.LayerParams(theta, l)
		if err != nil {
			return nil, 0, err
		}
		y, err := s.buf("y", l, batch)
		if err != nil {
			return nil, 0, err
		}
		if err := L.Forward(th, in, batch, y); err != nil {
			return nil, 0, fmt.Errorf("stack: layer %d: %w", l, err)
		}
		in = y
	}
	c := s.OutDim()
	scratch, delta, p := s.sc.Scratch("scratch", c*batch), s.sc.Scratch("delta", c*batch), s.sc.Scratch("p", c*batch)
	if err := s.sc.Reset(); err != nil {
		return nil, 0, err
	}
	if !wantDelta {
		delta, p = nil, nil
	}
	sum, err = lossChunk(engine.Ops(s.b), s.loss, c, batch, nTotal, in, t, delta, p, scratch)
	if err != nil {
		return nil, 0, fmt.Errorf("stack: loss: %w", err)
	}
	return in, sum, nil
}

// backward propagates gy = dL/dz (OutDim x batch; nil: the "delta" of
// forward) down the layers, adding the gradient to grad when it is not nil.
func (s *Stack) backward(theta, gy, grad engine.Buffer, batch int) error {
	if gy == nil {
		var err error
		if gy, err = s.scratch("delta", s.OutDim()*batch); err != nil {
			return err
		}
	}
	for l := len(s.layers) - 1; l >= 0; l-- {
		th, err := s.LayerParams(theta, l)
		if err != nil {
			return err
		}
		var g engine.Buffer
		if grad != nil {
			if g, err = s.LayerParams(grad, l); err != nil {
				return err
			}
		}
		var gx engine.Buffer
		if l > 0 {
			if gx, err = s.buf("g", l-1, batch); err != nil {
				return err
			}
		}
		if err := s.layers[l].Backward(th, gy, gx, g); err != nil {
			return fmt.Errorf("stack: layer %d: %w", l, err)
		}
		gy = gx
	}
	return nil
}

// Loss returns the mean loss over the batch x (InDim x batch) with targets
// t (OutDim x batch: one-hot for cross-entropy).
func (s *Stack) Loss(theta, x, t engine.Buffer, batch int) (float64, error) {
	_, sum, err := s.forward(theta, x, t, batch, batch, false)
	return sum / float64(batch), err
}

// Gradient sets grad to the gradient of the mean loss in the parameters
// and returns the loss.
func (s *Stack) Gradient(theta, x, t engine.Buffer, batch int, grad engine.Buffer) (float64, error) {
	if err := checkLen("stack", "gradient", grad, s.np); err != nil {
		return 0, err
	}
	_, sum, err := s.forward(theta, x, t, batch, batch, true)
	if err != nil {
		return 0, err
	}
	if err := s.b.Fill(grad, 0); err != nil {
		return 0, err
	}
	return sum / float64(batch), s.backward(theta, nil, grad, batch)
}

// HVP sets hv to H v, the Hessian of the mean loss in the parameters times
// v, by the R-operator: a forward and backward pass, the R-forward pass of
// every layer along v, the loss Hessian on the logits' tangent, and the
// R-backward pass.
func (s *Stack) HVP(theta, x, t engine.Buffer, batch int, v, hv engine.Buffer) error {
	return s.product(theta, x, t, batch, v, hv, false)
}

// GaussNewton sets out to G v = J^T H_z J v, the Gauss-Newton part of the
// Hessian of the mean loss over the batch (J = dz/dtheta, H_z the loss's
// Hessian in the logits), as MLP's Evaluator.GaussNewton: the R-forward
// pass gives J v, the loss Hessian H_z J v, and a plain backward pass of
// that through the layers J^T H_z J v.
func (s *Stack) GaussNewton(theta, x, t engine.Buffer, batch int, v, out engine.Buffer) error {
	return s.product(theta, x, t, batch, v, out, true)
}

// product is HVP (gn false) or GaussNewton (gn true) over one batch.
func (s *Stack) product(theta, x, t engine.Buffer, batch int, v, out engine.Buffer, gn bool) error {
	if err := cmp.Or(checkLen("stack", "direction", v, s.np), checkLen("stack", "product", out, s.np)); err != nil {
		return err
	}
	if _, err := s.prime(theta, x, t, batch, batch); err != nil {
		return err
	}
	if err := s.b.Fill(out, 0); err != nil {
		return err
	}
	return s.rproduct(theta, v, batch, batch, out, gn)
}

// prime runs the forward and backward passes whose state the R-passes of
// rproduct read, for a batch that is a chunk of nTotal samples, and
// returns the batch's summed loss.
func (s *Stack) prime(theta, x, t engine.Buffer, batch, nTotal int) (float64, error) {
	_, sum, err := s.forward(theta, x, t, batch, nTotal, true)
	if err != nil {
		return 0, err
	}
	return sum, s.backward(theta, nil, nil, batch)
}

// rproduct adds H v (gn false) or G v (gn true) of the primed batch, a
// chunk of nTotal samples, to acc. After a Gauss-Newton product the
// layers' backward state is that of H_z J v, so the batch must be primed
// again before an exact Hessian product.
func (s *Stack) rproduct(theta, v engine.Buffer, batch, nTotal int, acc engine.Buffer, gn bool) error {
	var rx engine.Buffer
	for l, L := range s.layers {
		th, err := s.LayerParams(theta, l)
		if err != nil {
			return err
		}
		dth, err := s.LayerParams(v, l)
		if err != nil {
			return err
		}
		ry, err := s.buf("ry", l, batch)
		if err != nil {
			return err
		}
		if err := L.RForward(th, dth, rx, ry); err != nil {
			return fmt.Errorf("stack: layer %d: %w", l, err)
		}
		rx = ry
	}
	c := s.OutDim()
	p, rd, scratch := s.sc.Scratch("p", c*batch), s.sc.Scratch("rd", c*batch), s.sc.Scratch("scratch", c*batch)
	dots := s.sc.Scratch("dots", batch)
	if err := s.sc.Reset(); err != nil {
		return err
	}
	ops := engine.Ops(s.b)
	lossHessian(ops, s.loss, c, batch, nTotal, p, rx, rd, scratch, dots)
	if err := ops.Err(); err != nil {
		return fmt.Errorf("stack: loss Hessian: %w", err)
	}
	if gn {
		return s.backward(theta, rd, acc, batch)
	}
	rgy := rd
	for l := len(s.layers) - 1; l >= 0; l-- {
		th, err := s.LayerParams(theta, l)
		if err != nil {
			return err
		}
		dth, err := s.LayerParams(v, l)
		if err != nil {
			return err
		}
		out, err := s.LayerParams(acc, l)
		if err != nil {
			return err
		}
		var rgx engine.Buffer
		if l > 0 {
			if rgx, err = s.buf("rg", l-1, batch); err != nil {
				return err
			}
		}
		if err := s.layers[l].RBackward(th, dth, rgy, rgx, out); err != nil {
			return fmt.Errorf("stack: layer %d: %w", l, err)
		}
		rgy = rgx
	}
	return nil
}

// Jet pushes the second-order jet (x, v, a) of an input curve through all
// layers at parameters theta and writes the output jet (y, dy, ddy), each
// OutDim x batch: the curvature input of package manifold.
func (s *Stack) Jet(theta, x, v, a engine.Buffer, batch int, y, dy, ddy engine.Buffer) error {
	if err := checkLen("stack", "parameters", theta, s.np); err != nil {
		return err
	}
	for l, L := range s.layers {
		th, err := s.LayerParams(theta, l)
		if err != nil {
			return err
		}
		oy, ody, oddy := y, dy, ddy
		if l < len(s.layers)-1 {
			f := make([]engine.Buffer, 3)
			for k, kind := range []string{"jy", "jdy", "jddy"} {
				// Alternate two sets so a layer never writes its input.
				if f[k], err = s.scratch(fmt.Sprintf("%s%d", kind, l%2), L.OutDim()*batch); err != nil {
					return err
				}
			}
			oy, ody, oddy = f[0], f[1], f[2]
		}
		if err := L.Jet(th, x, v, a, batch, oy, ody, oddy); err != nil {
			return fmt.Errorf("stack: layer %d: %w", l, err)
		}
		x, v, a = oy, ody, oddy
	}
	return nil
}

// Outputs writes the logits z (OutDim x batch) of the batch x at theta.
func (s *Stack) Outputs(theta, x engine.Buffer, batch int, z engine.Buffer) error {
	if err := cmp.Or(checkLen("stack", "parameters", theta, s.np), checkLen("stack", "inputs", x, s.InDim()*batch), checkLen("stack", "outputs", z, s.OutDim()*batch)); err != nil {
		return err
	}
	in := x
	for l, L := range s.layers {
		th, err := s.LayerParams(theta, l)
		if err != nil {
			return err
		}
		y := z
		if l < len(s.layers)-1 {
			if y, err = s.buf("y", l, batch); err != nil {
				return err
			}
		}
		if err := L.Forward(th, in, batch, y); err != nil {
			return fmt.Errorf("stack: layer %d: %w", l, err)
		}
		in = y
	}
	return nil
}
