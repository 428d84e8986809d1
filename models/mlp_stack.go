package models

import (
	"fmt"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/layerkind"
)

// This file evaluates networks with product or attention layers: their
// Evaluator runs a Stack of Layers (its own, so that its cached passes
// belong to it) chunk by chunk, with the loss normalised over the whole
// data set as in the dense passes of mlp_eval.go.

// newSpecStack builds the Stack of layers that spec describes on b: dense
// layers with the hidden activation (linear at the output), product and
// attention layers.
func newSpecStack(b engine.Backend, spec MLPSpec) (*Stack, error) {
	L := len(spec.Widths) - 1
	layers := make([]Layer, 0, L)
	fail := func(err error) (*Stack, error) {
		for _, layer := range layers {
			layer.Free()
		}
		return nil, err
	}
	for l := 1; l <= L; l++ {
		nIn, nOut := spec.Widths[l-1], spec.Widths[l]
		var layer Layer
		var err error
		switch spec.Kind(l) {
		case layerkind.Product:
			layer, err = NewProductLayer(b, nIn, nOut)
		case layerkind.Attention:
			layer, err = NewAttentionLayer(b, spec.TokenDim, nOut/spec.TokenDim, spec.Residual)
		default:
			act := spec.Act.ID
			if l == L {
				act = activation.Linear
			}
			layer, err = NewDenseLayer(b, nIn, nOut, act)
		}
		if err != nil {
			return fail(fmt.Errorf("mlp: layer %d: %w", l, err))
		}
		layers = append(layers, layer)
	}
	s, err := NewStack(b, spec.Loss, layers...)
	if err != nil {
		return fail(fmt.Errorf("mlp: %w", err))
	}
	return s, nil
}

// logitsChunk runs the network on samples [lo, lo+cols) of d and returns
// their logits (a view valid until the next pass) and summed loss.
func (e *Evaluator) logitsChunk(theta engine.Buffer, d *Data, lo, cols int) (z engine.Buffer, sum float64, err error) {
	if e.stack != nil {
		x, t, err := e.chunkData(d, lo, cols)
		if err != nil {
			return nil, 0, err
		}
		return e.stack.forward(theta, x, t, cols, d.N, false)
	}
	st, err := e.scratchState(d, lo, cols, false)
	if err != nil {
		return nil, 0, err
	}
	if sum, err = e.forward(theta, st, d.N, false, false); err != nil {
		return nil, 0, err
	}
	z, err = e.view(e.ws.z, d.C*cols)
	return z, sum, err
}

// stackGradientChunk adds the gradient of samples [lo, lo+cols)' share of
// the mean loss over d to grad and returns their summed loss.
func (e *Evaluator) stackGradientChunk(theta engine.Buffer, d *Data, lo, cols int, grad engine.Buffer) (float64, error) {
	x, t, err := e.chunkData(d, lo, cols)
	if err != nil {
		return 0, err
	}
	_, sum, err := e.stack.forward(theta, x, t, cols, d.N, true)
	if err != nil {
		return 0, err
	}
	return sum, e.stack.backward(theta, nil, grad, cols)
}

// stackProductChunk adds samples [lo, lo+cols)' share of H v (or G v) of
// the mean loss over d to out and returns their summed loss; with primed
// the stack already holds those samples' forward and backward passes at
// theta.
func (e *Evaluator) stackProductChunk(theta engine.Buffer, d *Data, lo, cols int, v, out engine.Buffer, gn, primed bool) (float64, error) {
	sum := 0.0
	if !primed {
		x, t, err := e.chunkData(d, lo, cols)
		if err != nil {
			return 0, err
		}
		if sum, err = e.stack.prime(theta, x, t, cols, d.N); err != nil {
			return 0, err
		}
	}
	return sum, e.stack.rproduct(theta, v, cols, d.N, out, gn)
}

// buildStack prepares the Hessian operator of a network with product or
// attention layers: when the data fit in one chunk the forward and
// backward passes run once here and every product costs the R-passes
// only; otherwise each product reruns them chunk by chunk (the layers
// keep one chunk's state).
func (h *Hessian) buildStack() error {
	e, d := h.e, h.data
	if d.N > e.chunk {
		loss, err := e.Loss(h.theta, d)
		h.loss = loss
		return err
	}
	x, t, err := e.chunkData(d, 0, d.N)
	if err != nil {
		return err
	}
	sum, err := e.stack.prime(h.theta, x, t, d.N, d.N)
	if err != nil {
		return err
	}
	h.loss, h.primed = sum/float64(d.N), true
	return nil
}

// applyStack is Apply for a network with product or attention layers.
func (h *Hessian) applyStack(v, out engine.Buffer) error {
	return h.e.chunks(h.data, func(lo, cols int) error {
		_, err := h.e.stackProductChunk(h.theta, h.data, lo, cols, v, out, h.gn, h.primed)
		return err
	})
}

// LayerOutputs runs the network on d at theta, Chunk samples at a time, and
// calls visit for each chunk [lo, lo+cols) and layer l = 1..L with the
// layer's outputs x_l (w_l x cols, column-major; x_L the logits), a view
// valid only during the call.
func (e *Evaluator) LayerOutputs(theta engine.Buffer, d *Data, visit func(l, lo, cols int, x engine.Buffer) error) error {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta}); err != nil {
		return err
	}
	L := e.net.Depth()
	return e.chunks(d, func(lo, cols int) error {
		outs := make([]engine.Buffer, L+1)
		if e.stack != nil {
			x, t, err := e.chunkData(d, lo, cols)
			if err != nil {
				return err
			}
			if _, _, err := e.stack.forward(theta, x, t, cols, d.N, false); err != nil {
				return err
			}
			for l := 1; l <= L; l++ {
				if outs[l], err = e.stack.buf("y", l-1, cols); err != nil {
					return err
				}
			}
		} else {
			st, err := e.scratchState(d, lo, cols, false)
			if err != nil {
				return err
			}
			if _, err := e.forward(theta, st, d.N, false, false); err != nil {
				return err
			}
			copy(outs[1:L], st.x[1:L])
			if outs[L], err = e.view(e.ws.z, d.C*cols); err != nil {
				return err
			}
		}
		for l := 1; l <= L; l++ {
			if err := visit(l, lo, cols, outs[l]); err != nil {
				return err
			}
		}
		return nil
	})
}
