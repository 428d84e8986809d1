package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// This file evaluates a Network on a data set: the loss, its gradient by
// backpropagation, Hessian-vector products by Pearlmutter's R-operator and
// Gauss-Newton products, all through the passes of stack.go over the
// network's layers. Every pass is batched: a chunk of up to Chunk samples
// is one matrix with a sample per column, every layer one set of gemms
// over it, and the chunks' contributions are summed in order (so results
// are reproducible bit for bit for a given chunk size, backend and BLAS).
//
// With the layers' passes (R{f} = d/dr f(theta + r v) at r = 0), the exact
// Hessian-vector product H v of the mean loss is: a forward pass keeping
// the second-order state, a backward pass from dL/dz, the R-forward pass
// along v (R{x_0} = 0), the loss's Hessian in the logits, R{dL/dz} = H_z
// R{z}, and the R-backward pass, which accumulates H v. The Gauss-Newton
// product G v = J^T H_z J v (J = dz/dtheta) keeps only the terms through
// the loss's curvature: the same R-forward pass (R{z} = J v), then a plain
// backward pass of H_z R{z} (Schraudolph, Neural Computation 2002). G is
// positive semi-definite when H_z is (both losses).

// DefaultChunk is the number of samples one batched pass handles at a time
// when no chunk size is given.
const DefaultChunk = 4096

// Evaluator computes a Network's loss, gradient, Hessian-vector and
// Gauss-Newton products over data sets, Chunk samples per batched pass. It
// owns scratch buffers sized for one chunk (every layer's input, output
// and state, allocated as the passes first need them); it is not safe for
// concurrent use.
type Evaluator struct {
	net   *Network
	chunk int
	tp    *tape
	sc    *engine.Scope
}

// NewEvaluator returns an evaluator for chunks of up to chunk samples (0:
// DefaultChunk).
func (n *Network) NewEvaluator(chunk int) (*Evaluator, error) {
	if chunk < 0 {
		return nil, fmt.Errorf("network: chunk %d; want >= 1 (or 0 for the default %d)", chunk, DefaultChunk)
	}
	if chunk == 0 {
		chunk = DefaultChunk
	}
	return &Evaluator{net: n, chunk: chunk, tp: newTape(n.b, n.st, chunk, 0, nil), sc: engine.NewScope(n.b)}, nil
}

// Close releases the scratch.
func (e *Evaluator) Close() error {
	return errors.Join(e.tp.close(), e.sc.Close())
}

// Chunk is the number of samples per batched pass.
func (e *Evaluator) Chunk() int { return e.chunk }

// Net is the network the evaluator evaluates.
func (e *Evaluator) Net() *Network { return e.net }

// colView returns columns [lo, lo+cols) of the rows x N matrix x.
func (e *Evaluator) colView(x engine.Buffer, rows, lo, cols int) (engine.Buffer, error) {
	return e.net.b.Slice(x, lo*rows, cols*rows)
}

// on returns the passes over samples [lo, lo+cols) of d on tape tp, and
// the chunk's targets.
func (e *Evaluator) on(tp *tape, d *Data, lo, cols int) (*passes, engine.Buffer, error) {
	x, err := e.colView(d.X, d.D, lo, cols)
	if err != nil {
		return nil, nil, err
	}
	t, err := e.colView(d.T, d.C, lo, cols)
	if err != nil {
		return nil, nil, err
	}
	return &passes{st: e.net.st, tp: tp, sc: e.sc, lo: lo, cols: cols, x0: x}, t, nil
}

func (e *Evaluator) checkData(d *Data) error {
	if d == nil {
		return errors.New("network: nil data")
	}
	n := e.net
	if d.D != n.spec.Widths[0] || d.C != n.spec.Widths[n.Depth()] {
		return fmt.Errorf("network: data has %d features and %d targets per sample; the network %s takes %d and gives %d",
			d.D, d.C, n.spec.Describe(), n.spec.Widths[0], n.spec.Widths[n.Depth()])
	}
	if d.N < 1 {
		return errors.New("network: data has no samples")
	}
	return nil
}

// chunks calls f for consecutive sample ranges of at most e.chunk samples.
func (e *Evaluator) chunks(d *Data, f func(lo, cols int) error) error {
	for lo := 0; lo < d.N; lo += e.chunk {
		if err := f(lo, min(e.chunk, d.N-lo)); err != nil {
			return err
		}
	}
	return nil
}

func (e *Evaluator) check(d *Data, bufs map[string]engine.Buffer) error {
	if err := e.checkData(d); err != nil {
		return err
	}
	for what, x := range bufs {
		if err := e.net.checkParams(what, x); err != nil {
			return err
		}
	}
	return nil
}

// logitsChunk runs the network on samples [lo, lo+cols) of d and returns
// their logits (a view valid until the next pass) and summed loss.
func (e *Evaluator) logitsChunk(theta engine.Buffer, d *Data, lo, cols int) (engine.Buffer, float64, error) {
	p, t, err := e.on(e.tp, d, lo, cols)
	if err != nil {
		return nil, 0, err
	}
	z, err := p.forward(theta, needValues)
	if err != nil {
		return nil, 0, err
	}
	sum, err := p.loss(e.net.spec.Loss, t, d.N, false)
	return z, sum, err
}

// Loss returns the mean loss over d at parameters theta.
func (e *Evaluator) Loss(theta engine.Buffer, d *Data) (float64, error) {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta}); err != nil {
		return 0, err
	}
	total := 0.0
	err := e.chunks(d, func(lo, cols int) error {
		_, s, err := e.logitsChunk(theta, d, lo, cols)
		total += s
		return err
	})
	return total / float64(d.N), err
}

// Gradient sets grad to the gradient of the mean loss over d at theta (by
// backpropagation) and returns the loss.
func (e *Evaluator) Gradient(theta engine.Buffer, d *Data, grad engine.Buffer) (float64, error) {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta, "gradient": grad}); err != nil {
		return 0, err
	}
	if err := e.net.b.Fill(grad, 0); err != nil {
		return 0, err
	}
	total := 0.0
	err := e.chunks(d, func(lo, cols int) error {
		p, t, err := e.on(e.tp, d, lo, cols)
		if err != nil {
			return err
		}
		if _, err := p.forward(theta, needFirst); err != nil {
			return err
		}
		s, err := p.loss(e.net.spec.Loss, t, d.N, true)
		if err != nil {
			return err
		}
		total += s
		return p.backward(theta, grad, false)
	})
	return total / float64(d.N), err
}

// HVP sets hv to H v, the Hessian of the mean loss over d at theta times v,
// exactly (to rounding) by the R-operator. It reruns the forward and
// backward passes; for many products at one point, NewHessian caches them.
func (e *Evaluator) HVP(theta engine.Buffer, d *Data, v, hv engine.Buffer) error {
	return e.product(theta, d, v, hv, false)
}

// GaussNewton sets out to G v = J^T H_z J v, the Gauss-Newton part of the
// Hessian of the mean loss over d at theta, times v.
func (e *Evaluator) GaussNewton(theta engine.Buffer, d *Data, v, out engine.Buffer) error {
	return e.product(theta, d, v, out, true)
}

func (e *Evaluator) product(theta engine.Buffer, d *Data, v, out engine.Buffer, gn bool) error {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta, "direction": v, "product": out}); err != nil {
		return err
	}
	if err := e.net.b.Fill(out, 0); err != nil {
		return err
	}
	return e.chunks(d, func(lo, cols int) error {
		p, t, err := e.on(e.tp, d, lo, cols)
		if err != nil {
			return err
		}
		if err := e.prime(p, theta, t, d.N, gn); err != nil {
			return err
		}
		return e.rproduct(p, theta, v, nil, d.N, out, gn)
	})
}

// prime runs the forward pass (and for an exact Hessian the backward
// pass) whose state the R-passes read, and returns the chunk's loss.
func (e *Evaluator) prime(p *passes, theta, t engine.Buffer, nTotal int, gn bool) error {
	_, err := e.primeLoss(p, theta, t, nTotal, gn)
	return err
}

func (e *Evaluator) primeLoss(p *passes, theta, t engine.Buffer, nTotal int, gn bool) (float64, error) {
	n := needSecond
	if gn {
		n = needFirst
	}
	if _, err := p.forward(theta, n); err != nil {
		return 0, err
	}
	sum, err := p.loss(e.net.spec.Loss, t, nTotal, true)
	if err != nil {
		return 0, err
	}
	if !gn {
		err = p.backward(theta, nil, false)
	}
	return sum, err
}

// rproduct adds the primed chunk's share of H v (or G v when gn) to out,
// for the parameter direction v and the input tangent rx at step p.from()
// (nil: zero; with p.inputGrad, R{g} there is left in the tape).
func (e *Evaluator) rproduct(p *passes, theta, v, rx engine.Buffer, nTotal int, out engine.Buffer, gn bool) error {
	if err := p.rforward(theta, v, rx); err != nil {
		return err
	}
	if err := p.lossHessian(e.net.spec.Loss, nTotal); err != nil {
		return err
	}
	if gn {
		return p.backward(theta, out, true)
	}
	return p.rbackward(theta, v, out)
}

// Logits returns the network's outputs z on d at theta, C x N column-major
// on the host (sample j at [j*C, (j+1)*C)).
func (e *Evaluator) Logits(theta engine.Buffer, d *Data) ([]float64, error) {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta}); err != nil {
		return nil, err
	}
	out := make([]float64, d.C*d.N)
	err := e.chunks(d, func(lo, cols int) error {
		z, _, err := e.logitsChunk(theta, d, lo, cols)
		if err != nil {
			return err
		}
		return e.net.b.Download(out[lo*d.C:(lo+cols)*d.C], z)
	})
	return out, err
}

// Evaluate returns the mean loss over d at theta and the accuracy: the
// fraction of samples whose largest logit is at their label (the first
// largest on ties). Accuracy is NaN when d has no labels.
func (e *Evaluator) Evaluate(theta engine.Buffer, d *Data) (loss, accuracy float64, err error) {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta}); err != nil {
		return 0, 0, err
	}
	total, correct := 0.0, 0
	z := make([]float64, d.C*min(e.chunk, d.N))
	err = e.chunks(d, func(lo, cols int) error {
		zb, s, err := e.logitsChunk(theta, d, lo, cols)
		if err != nil {
			return err
		}
		total += s
		if d.Labels == nil {
			return nil
		}
		if err := e.net.b.Download(z[:d.C*cols], zb); err != nil {
			return err
		}
		for j := 0; j < cols; j++ {
			if argmax(z[j*d.C:(j+1)*d.C]) == d.Labels[lo+j] {
				correct++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	accuracy = float64(correct) / float64(d.N)
	if d.Labels == nil {
		accuracy = math.NaN()
	}
	return total / float64(d.N), accuracy, nil
}

func argmax(v []float64) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// LayerOutputs runs the network on d at theta, Chunk samples at a time, and
// calls visit for each chunk [lo, lo+cols) and layer l = 1..L with the
// layer's outputs x_l (w_l x cols, column-major; x_L the logits), a view
// valid only during the call.
func (e *Evaluator) LayerOutputs(theta engine.Buffer, d *Data, visit func(l, lo, cols int, x engine.Buffer) error) error {
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta}); err != nil {
		return err
	}
	st := e.net.st
	return e.chunks(d, func(lo, cols int) error {
		p, _, err := e.on(e.tp, d, lo, cols)
		if err != nil {
			return err
		}
		if _, err := p.forward(theta, needValues); err != nil {
			return err
		}
		for l := 1; l < len(st.last); l++ {
			x := p.buf(chainX, st.last[l]+1, 0)
			if err := p.sc.Err(); err != nil {
				return err
			}
			if err := visit(l, lo, cols, x); err != nil {
				return err
			}
		}
		return nil
	})
}

// HessianOptions configure NewHessian.
type HessianOptions struct {
	// Chunk is the number of samples per batched pass (0: DefaultChunk).
	Chunk int
	// GaussNewton makes Apply compute Gauss-Newton products J^T H_z J v
	// instead of Hessian-vector products.
	GaussNewton bool
}

// Hessian is the Hessian (or the Gauss-Newton matrix) of a Network's mean
// loss over a data set at fixed parameters, as an operator. NewHessian
// runs the forward and backward passes once, over every chunk, and keeps
// what the R-operator reads (every layer's input and output gradient and
// its state: for a dense hidden layer x_l, phi'(y_l), phi^(2)(y_l) g_l and
// dL/dy_l per sample; for the output delta and softmax(z)), so each
// product costs the R-passes only: about twice the gemm work of a forward
// pass. For an all-dense network the cache takes (4 sum(hidden widths) +
// 2 C) N float64s besides the evaluator's scratch.
type Hessian struct {
	e        *Evaluator
	theta    engine.Buffer // a copy of the parameters
	data     *Data
	gn       bool
	tp       *tape // the cache: whole-data buffers, and one chunk's R-pass buffers
	loss     float64
	products int
	// bx and by are ApplyBlock's full-length scratch vectors (owned by
	// bsc), allocated on its first call.
	bx, by engine.Buffer
	bsc    *engine.Scope
}

// NewHessian builds the Hessian operator of net's mean loss over d at theta
// (copied, so later changes to theta do not affect it). The operator reads
// d's inputs at every product: d must outlive it.
func NewHessian(net *Network, theta engine.Buffer, d *Data, opt HessianOptions) (*Hessian, error) {
	e, err := net.NewEvaluator(opt.Chunk)
	if err != nil {
		return nil, err
	}
	h := &Hessian{e: e, data: d, gn: opt.GaussNewton}
	if err := h.build(theta); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// cached says which tape buffers the operator keeps for the whole data
// set: what the R-passes read of the forward and backward passes.
func (h *Hessian) cached(it item) bool {
	steps := h.e.net.st.steps
	switch it.kind {
	case chainX:
		return it.i < len(steps) && steps[it.i].readsInput()
	case chainG:
		return !h.gn && it.i > 0 && steps[it.i-1].readsOutGrad()
	case slotBuf:
		switch steps[it.i].slots()[it.k].class {
		case fwdSlot:
			return true
		case fwd2Slot, bwdSlot:
			return !h.gn
		}
	case probs:
		return true
	}
	return false
}

func (h *Hessian) build(theta engine.Buffer) error {
	e, n, b, d := h.e, h.e.net, h.e.net.b, h.data
	if err := e.check(d, map[string]engine.Buffer{"parameters": theta}); err != nil {
		return err
	}
	var err error
	if h.theta, err = n.NewParams(); err != nil {
		return err
	}
	if err := b.Copy(h.theta, theta); err != nil {
		return err
	}
	h.tp = newTape(b, n.st, e.chunk, d.N, h.cached)
	total := 0.0
	err = e.chunks(d, func(lo, cols int) error {
		p, t, err := e.on(h.tp, d, lo, cols)
		if err != nil {
			return err
		}
		s, err := e.primeLoss(p, h.theta, t, d.N, h.gn)
		total += s
		if err != nil {
			return fmt.Errorf("network: Hessian cache: %w", err)
		}
		return nil
	})
	h.loss = total / float64(d.N)
	return err
}

// Dim is the operator's dimension: the number of parameters.
func (h *Hessian) Dim() int { return h.e.net.st.np }

// Loss is the mean loss at the operator's point.
func (h *Hessian) Loss() float64 { return h.loss }

// Products counts the calls of Apply so far.
func (h *Hessian) Products() int { return h.products }

// GaussNewton reports whether Apply computes Gauss-Newton products.
func (h *Hessian) GaussNewton() bool { return h.gn }

// Apply sets out = H v (or G v); v and out have NumParams elements and must
// not overlap. v is not written.
func (h *Hessian) Apply(v, out engine.Buffer) error {
	n := h.e.net
	if err := n.checkParams("direction", v); err != nil {
		return err
	}
	if err := n.checkParams("product", out); err != nil {
		return err
	}
	return h.apply(nil, v, out, nil)
}

// Close releases the cache, the parameter copy and the scratch.
func (h *Hessian) Close() error {
	var errs []error
	if h.bsc != nil {
		errs = append(errs, h.bsc.Close())
		h.bsc, h.bx, h.by = nil, nil, nil
	}
	if h.tp != nil {
		errs = append(errs, h.tp.close())
		h.tp = nil
	}
	if h.theta != nil {
		errs = append(errs, h.e.net.b.Free(h.theta))
		h.theta = nil
	}
	return errors.Join(append(errs, h.e.Close())...)
}
