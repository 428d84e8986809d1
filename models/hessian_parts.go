package models

import (
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/engine"
)

// This file holds the products of a Hessian operator with parts of the
// network: a diagonal block of the parameter Hessian, and the Hessian of
// the loss with respect to one layer's activations. Both run the R-passes
// only over the layers they involve (passes.only), so a block of the last
// layers costs a fraction of a full product.

// Span is a run [Off, Off+Len) of a network's flat parameter vector.
type Span struct{ Off, Len int }

// blockScratch returns the operator's two full-length scratch vectors for
// block products; x is zero outside the spans of the call in progress.
func (h *Hessian) blockScratch() (x, y engine.Buffer, err error) {
	if h.bx == nil {
		s := engine.NewScope(h.e.net.b)
		h.bx, h.by = s.Alloc(h.Dim()), s.Alloc(h.Dim()) // zero-filled
		if err := s.Err(); err != nil {
			s.Close()
			h.bx, h.by = nil, nil
			return nil, nil, fmt.Errorf("network: block product scratch: %w", err)
		}
		h.bsc = s
	}
	return h.bx, h.by, nil
}

// checkSpans checks that spans lie in the parameters without overlapping
// and returns their total length.
func (h *Hessian) checkSpans(spans []Span) (int, error) {
	if len(spans) == 0 {
		return 0, errors.New("network: block product: no parameter spans")
	}
	dim, n := h.Dim(), 0
	for i, s := range spans {
		if s.Off < 0 || s.Len < 1 || s.Off > dim-s.Len {
			return 0, fmt.Errorf("network: block product: span %d [%d, %d) is not a non-empty range of the %d parameters", i, s.Off, s.Off+s.Len, dim)
		}
		for j, t := range spans[:i] {
			if s.Off < t.Off+t.Len && t.Off < s.Off+s.Len {
				return 0, fmt.Errorf("network: block product: spans %d [%d, %d) and %d [%d, %d) overlap", j, t.Off, t.Off+t.Len, i, s.Off, s.Off+s.Len)
			}
		}
		n += s.Len
	}
	return n, nil
}

// ApplyBlock sets out to the product of v with the diagonal block of the
// operator (Hessian or Gauss-Newton matrix) on the parameters in spans,
// taken in the order given: v and out have the spans' total length. It is
// the full product of v padded with zeros, restricted to the spans, but
// the R-passes start at the first layer the spans touch and compute
// parameter products only for the layers they touch: a block of the last
// layers of a deep or wide-input network costs a fraction of Apply. Each
// call counts as one product.
func (h *Hessian) ApplyBlock(spans []Span, v, out engine.Buffer) error {
	n, err := h.checkSpans(spans)
	if err != nil {
		return err
	}
	b := h.e.net.b
	if v == nil || out == nil || v.Len() != n || out.Len() != n {
		return fmt.Errorf("network: block product: direction and product must have the block's %d elements", n)
	}
	x, y, err := h.blockScratch()
	if err != nil {
		return err
	}
	ops := engine.Ops(b)
	at := 0
	for _, s := range spans {
		ops.Copy(ops.View(x, s.Off, s.Len), ops.View(v, at, s.Len))
		at += s.Len
	}
	if err := ops.Err(); err != nil {
		return err
	}
	// The steps whose parameter blocks meet the spans.
	steps := h.e.net.st.steps
	lo, hi := len(steps), 0
	for i, st := range steps {
		for _, s := range spans {
			if st.np > 0 && s.Off < st.off+st.np && st.off < s.Off+s.Len {
				lo, hi = min(lo, i), max(hi, i+1)
			}
		}
	}
	err = h.apply(&restriction{From: lo, Lo: lo, Hi: hi}, x, y, nil)
	at = 0
	for _, s := range spans {
		ops.Copy(ops.View(out, at, s.Len), ops.View(y, s.Off, s.Len))
		ops.Fill(ops.View(x, s.Off, s.Len), 0) // x is zero again for the next call
		at += s.Len
	}
	return errors.Join(err, ops.Err())
}

// ActivationDim is the number of activations of layer l (0: the input
// features, L: the outputs), the dimension of ApplyActivations(l).
func (h *Hessian) ActivationDim(l int) (int, error) {
	net := h.e.net
	if l < 0 || l > net.Depth() {
		return 0, fmt.Errorf("network: activations of layer %d: want a layer from 0 (the input) to %d (the outputs)", l, net.Depth())
	}
	return net.Width(l), nil
}

// ApplyActivations sets out to A u, where A is the mean over the data of
// the Hessian of each sample's loss with respect to the activations of
// layer l (its outputs after the activation function; l = 0: the input
// features, l = L: the logits), or its Gauss-Newton part for a
// Gauss-Newton operator. u and out have ActivationDim(l) elements. Each
// call counts as one product; it runs the R-passes from layer l on.
func (h *Hessian) ApplyActivations(l int, u, out engine.Buffer) error {
	w, err := h.ActivationDim(l)
	if err != nil {
		return err
	}
	if u == nil || out == nil || u.Len() != w || out.Len() != w {
		return fmt.Errorf("network: activation product at layer %d: direction and product must have the layer's %d elements", l, w)
	}
	from := 0
	if l > 0 {
		from = h.e.net.st.last[l] + 1
	}
	return h.apply(&restriction{From: from}, nil, out, u)
}

// apply runs the operator's product over the data under restriction r:
// with u nil, out = H v over the parameters; otherwise out = the sum over
// the samples of R{g} at step r.From's input for the input tangent u in
// every column (v is nil then).
func (h *Hessian) apply(r *restriction, v, out, u engine.Buffer) error {
	b := h.e.net.b
	h.products++
	if err := b.Fill(out, 0); err != nil {
		return err
	}
	w := 0
	if u != nil {
		w = u.Len()
	}
	return h.e.chunks(h.data, func(lo, cols int) error {
		p, _, err := h.e.on(h.tp, h.data, lo, cols)
		if err != nil {
			return err
		}
		p.second, p.only = !h.gn, r
		if u == nil {
			return h.e.rproduct(p, h.theta, v, nil, h.data.N, out, h.gn)
		}
		// Every column's input tangent is u; R{g} at the layer, summed
		// over the columns, adds the chunk's share of the mean.
		p.inputGrad = true
		rx := p.buf(chainRX, r.From, 0)
		p.sc.Fill(rx, 0)
		p.sc.AddBias(w, cols, u, rx, w)
		if err := p.sc.Err(); err != nil {
			p.sc.Reset()
			return err
		}
		if err := h.e.rproduct(p, h.theta, nil, rx, h.data.N, nil, h.gn); err != nil {
			return err
		}
		p.sc.Gemv(engine.NoTrans, w, cols, 1, p.buf(chainRG, r.From, 0), w, ones(p.sc, cols), 1, 1, out, 1)
		err = p.sc.Err()
		p.sc.Reset()
		return err
	})
}
