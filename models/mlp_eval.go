package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// This file evaluates an MLP on a data set: the loss, its gradient by
// backpropagation, Hessian-vector products by Pearlmutter's R-operator and
// Gauss-Newton products. Every pass is batched: a chunk of up to Chunk
// samples is one matrix with a sample per column, every layer is one gemm
// over it, and the chunks' contributions are summed in order (so results are
// reproducible bit for bit for a given chunk size, backend and BLAS).
//
// Notation (layer l = 1..L, x_0 the input, z = y_L the logits):
//
//	forward      y_l = W_l x_{l-1} + b_l,  x_l = phi(y_l)
//	backward     delta_L = dL/dz,  g_{l-1} = W_l^T delta_l,  delta_{l-1} = phi'(y_{l-1}) g_{l-1}
//	gradient     dL/dW_l = delta_l x_{l-1}^T,  dL/db_l = delta_l 1
//
// The R-operator R{f} = d/dr f(theta + r v) at r = 0 applied to these
// (Pearlmutter 1994) gives the exact Hessian-vector product H v, with v =
// (V_l, c_l) in the parameters' layout:
//
//	R-forward    R{y_l} = W_l R{x_{l-1}} + V_l x_{l-1} + c_l,  R{x_0} = 0
//	             R{x_l} = phi'(y_l) R{y_l}
//	loss         R{delta_L} = H_z R{z}   (H_z: the loss's Hessian in z)
//	R-backward   R{g_{l-1}} = V_l^T delta_l + W_l^T R{delta_l}
//	             R{delta_{l-1}} = phi''(y_{l-1}) g_{l-1} R{y_{l-1}} + phi'(y_{l-1}) R{g_{l-1}}
//	product      (H v)_{W_l} = R{delta_l} x_{l-1}^T + delta_l R{x_{l-1}}^T,  (H v)_{b_l} = R{delta_l} 1
//
// The Gauss-Newton product G v = J^T H_z J v (J = dz/dtheta) keeps only the
// terms through the loss's curvature: the same R-forward (R{z} = J v), then
// a plain backward pass of H_z R{z} (no V_l^T delta_l, no phi'' term, no
// delta_l R{x}^T term). G is positive semi-definite when H_z is (both losses).

// DefaultChunk is the number of samples one batched pass handles at a time
// when no chunk size is given.
const DefaultChunk = 4096

// chunkState holds one chunk's per-layer matrices (w_l x cols, leading
// dimension w_l), index l = 0..L.
type chunkState struct {
	cols  int
	x0, t engine.Buffer   // input (D x cols) and targets (C x cols)
	x     []engine.Buffer // x_l, l = 1..L-1
	d1    []engine.Buffer // phi'(y_l), l = 1..L-1
	s     []engine.Buffer // phi''(y_l) g_l, l = 1..L-1 (second-order passes only)
	delta []engine.Buffer // dL/dy_l, l = 1..L
	p     engine.Buffer   // softmax(z) (cross-entropy), C x cols
}

// workspace is an Evaluator's scratch, sized for cap columns. The groups
// are allocated on first use: a gradient needs the state, an uncached HVP
// the phi^(2) buffers too, and only R-passes need the R-pass group.
type workspace struct {
	cap                   int
	z, scratch, tmp, ones engine.Buffer   // logits and loss scratch (C x cap), y_l and g_l (max width x cap), 1s (cap)
	x, d1, delta          []engine.Buffer // chunk state storage (uncached passes), index l
	p                     engine.Buffer   // softmax(z), C x cap
	s                     []engine.Buffer // phi''(y_l) g_l storage (uncached second-order passes)
	ry, rx, rd            []engine.Buffer // R-pass: R{y_l}, R{x_l}, R{delta_l}
	scratch2, dots        engine.Buffer   // the loss Hessian's scratch (C x cap) and column dots (cap)
	groups                []*engine.Scope // one per group, owning its buffers
}

// Evaluator computes an MLP's loss, gradient, Hessian-vector and
// Gauss-Newton products over data sets, Chunk samples per batched pass (by
// the dense passes of this file, or through a Stack of the network's layers
// when it has product or attention layers, mlp_stack.go). It
// owns scratch buffers sized for one chunk (up to about 8 sum(widths) Chunk
// float64s, allocated as the passes first need them); it is not safe for
// concurrent use.
type Evaluator struct {
	net   *MLP
	chunk int
	ws    workspace
	stack *Stack // the layers of a network with product or attention layers (nil: all dense)
}

// NewEvaluator allocates the scratch for chunks of up to chunk samples
// (0: DefaultChunk).
func (n *MLP) NewEvaluator(chunk int) (*Evaluator, error) {
	if chunk < 0 {
		return nil, fmt.Errorf("mlp: chunk %d; want >= 1 (or 0 for the default %d)", chunk, DefaultChunk)
	}
	if chunk == 0 {
		chunk = DefaultChunk
	}
	e := &Evaluator{net: n, chunk: chunk}
	e.ws.cap = chunk
	L, c := n.Depth(), n.spec.Widths[n.Depth()]
	maxW := 0
	for _, w := range n.spec.Widths {
		maxW = max(maxW, w)
	}
	if !n.spec.Dense() {
		// The Stack's layers hold their own scratch; the dense passes'
		// workspace would go unused.
		var err error
		if e.stack, err = newSpecStack(n.b, n.spec); err != nil {
			return nil, err
		}
		return e, nil
	}
	err := e.group(func(get func(int) engine.Buffer) {
		e.ws.z, e.ws.scratch, e.ws.tmp, e.ws.ones = get(c), get(c), get(maxW), get(1)
		e.ws.x, e.ws.d1, e.ws.delta, e.ws.s = make([]engine.Buffer, L+1), make([]engine.Buffer, L+1), make([]engine.Buffer, L+1), make([]engine.Buffer, L+1)
		e.ws.ry, e.ws.rx, e.ws.rd = make([]engine.Buffer, L+1), make([]engine.Buffer, L+1), make([]engine.Buffer, L+1)
	})
	if err == nil {
		err = n.b.Fill(e.ws.ones, 1)
	}
	if err != nil {
		e.Free()
		return nil, err
	}
	return e, nil
}

// group allocates buffers of rows x chunk elements through get, in a
// Scope of their own; on failure it frees that group's buffers and returns
// the first error.
func (e *Evaluator) group(f func(get func(rows int) engine.Buffer)) error {
	sc := engine.NewScope(e.net.b)
	f(func(rows int) engine.Buffer { return sc.Alloc(rows * e.chunk) })
	if err := sc.Err(); err != nil {
		sc.Close()
		return fmt.Errorf("mlp: evaluator scratch for %d samples: %w", e.chunk, err)
	}
	e.ws.groups = append(e.ws.groups, sc)
	return nil
}

// needState allocates the chunk-state storage of uncached passes (and the
// phi^(2) buffers when second), once.
func (e *Evaluator) needState(second bool) error {
	L := e.net.Depth()
	w := e.net.spec.Widths
	if e.ws.p == nil {
		if err := e.group(func(get func(int) engine.Buffer) {
			for l := 1; l <= L; l++ {
				if l < L {
					e.ws.x[l], e.ws.d1[l] = get(w[l]), get(w[l])
				}
				e.ws.delta[l] = get(w[l])
			}
			e.ws.p = get(w[L])
		}); err != nil {
			e.ws.p = nil
			return err
		}
	}
	if second && L > 1 && e.ws.s[1] == nil {
		if err := e.group(func(get func(int) engine.Buffer) {
			for l := 1; l < L; l++ {
				e.ws.s[l] = get(w[l])
			}
		}); err != nil {
			clear(e.ws.s)
			return err
		}
	}
	return nil
}

// needRPass allocates the R-pass buffers, once.
func (e *Evaluator) needRPass() error {
	if e.ws.dots != nil {
		return nil
	}
	L := e.net.Depth()
	w := e.net.spec.Widths
	err := e.group(func(get func(int) engine.Buffer) {
		for l := 1; l <= L; l++ {
			e.ws.ry[l], e.ws.rd[l] = get(w[l]), get(w[l])
			if l < L {
				e.ws.rx[l] = get(w[l])
			}
		}
		e.ws.scratch2, e.ws.dots = get(w[L]), get(1)
	})
	if err != nil {
		e.ws.dots = nil
	}
	return err
}

// Free releases the scratch.
func (e *Evaluator) Free() {
	for _, sc := range e.ws.groups {
		sc.Close()
	}
	e.ws.groups = nil
	if e.stack != nil {
		e.stack.Free()
		e.stack = nil
	}
}

// Chunk is the number of samples per batched pass.
func (e *Evaluator) Chunk() int { return e.chunk }

// Net is the network the evaluator evaluates.
func (e *Evaluator) Net() *MLP { return e.net }

// view returns the first size elements of x.
func (e *Evaluator) view(x engine.Buffer, size int) (engine.Buffer, error) {
	return e.net.b.Slice(x, 0, size)
}

// colView returns columns [lo, lo+cols) of the rows x N matrix x.
func (e *Evaluator) colView(x engine.Buffer, rows, lo, cols int) (engine.Buffer, error) {
	return e.net.b.Slice(x, lo*rows, cols*rows)
}

// chunkData returns views of samples [lo, lo+cols) of d's inputs and
// targets.
func (e *Evaluator) chunkData(d *Data, lo, cols int) (x, t engine.Buffer, err error) {
	if x, err = e.colView(d.X, d.D, lo, cols); err != nil {
		return nil, nil, err
	}
	t, err = e.colView(d.T, d.C, lo, cols)
	return x, t, err
}

func (e *Evaluator) checkData(d *Data) error {
	if d == nil {
		return errors.New("mlp: nil data")
	}
	n := e.net
	if d.D != n.spec.Widths[0] || d.C != n.spec.Widths[n.Depth()] {
		return fmt.Errorf("mlp: data has %d features and %d targets per sample; the network %s takes %d and gives %d",
			d.D, d.C, n.spec.Describe(), n.spec.Widths[0], n.spec.Widths[n.Depth()])
	}
	if d.N < 1 {
		return errors.New("mlp: data has no samples")
	}
	return nil
}

// scratchState returns a chunk state for samples [lo, lo+cols) of d whose
// per-layer matrices are views of the workspace.
func (e *Evaluator) scratchState(d *Data, lo, cols int, second bool) (*chunkState, error) {
	if err := e.needState(second); err != nil {
		return nil, err
	}
	n := e.net
	L := n.Depth()
	st := &chunkState{cols: cols, x: make([]engine.Buffer, L+1), d1: make([]engine.Buffer, L+1),
		s: make([]engine.Buffer, L+1), delta: make([]engine.Buffer, L+1)}
	var err error
	if st.x0, st.t, err = e.chunkData(d, lo, cols); err != nil {
		return nil, err
	}
	for l := 1; l <= L; l++ {
		size := n.spec.Widths[l] * cols
		if l < L {
			for _, pair := range [][2][]engine.Buffer{{st.x, e.ws.x}, {st.d1, e.ws.d1}, {st.s, e.ws.s}} {
				if pair[1][l] == nil {
					continue // phi'' storage of a first-order pass
				}
				if pair[0][l], err = e.view(pair[1][l], size); err != nil {
					return nil, err
				}
			}
		}
		if st.delta[l], err = e.view(e.ws.delta[l], size); err != nil {
			return nil, err
		}
	}
	if st.p, err = e.view(e.ws.p, d.C*cols); err != nil {
		return nil, err
	}
	return st, nil
}

// forward runs the network on a chunk, fills x_l and phi'(y_l) (and
// phi^(2)(y_l) into s_l when second), and returns the chunk's summed loss;
// with wantDelta it also sets delta_L = dL/dz (and p for cross-entropy).
func (e *Evaluator) forward(theta engine.Buffer, st *chunkState, nTotal int, second, wantDelta bool) (float64, error) {
	n, ops := e.net, engine.Ops(e.net.b)
	L, cols := n.Depth(), st.cols
	in := st.x0
	for l := 1; l <= L; l++ {
		nIn, nOut := n.spec.Widths[l-1], n.spec.Widths[l]
		W, bias, err := n.LayerParams(theta, l)
		if err != nil {
			return 0, err
		}
		var y engine.Buffer
		if l < L {
			y, err = e.view(e.ws.tmp, nOut*cols)
		} else {
			y, err = e.view(e.ws.z, nOut*cols)
		}
		if err != nil {
			return 0, err
		}
		ops.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, W, nOut, in, nIn, 0, y, nOut)
		ops.AddBias(nOut, cols, bias, y, nOut)
		if l < L {
			act := n.spec.Act.ID
			ops.ActivateDerivative(act, 1, y, st.d1[l])
			if second {
				ops.ActivateDerivative(act, 2, y, st.s[l])
			}
			ops.ActivateDerivative(act, 0, y, st.x[l])
		}
		if err := ops.Err(); err != nil {
			return 0, fmt.Errorf("mlp: layer %d: %w", l, err)
		}
		if l == L {
			break
		}
		in = st.x[l]
	}
	c := n.spec.Widths[L]
	z, err := e.view(e.ws.z, c*cols)
	if err != nil {
		return 0, err
	}
	scratch, err := e.view(e.ws.scratch, c*cols)
	if err != nil {
		return 0, err
	}
	var delta, p engine.Buffer
	if wantDelta {
		delta = st.delta[L]
		if n.spec.Loss == CrossEntropy {
			p = st.p
		}
	}
	sum, err := lossChunk(ops, n.spec.Loss, c, cols, nTotal, z, st.t, delta, p, scratch)
	if err != nil {
		return 0, fmt.Errorf("mlp: loss: %w", err)
	}
	return sum, nil
}

// backward propagates delta_L down to delta_1, turning s_l = phi^(2)(y_l)
// into phi^(2)(y_l) g_l when second, and adds the chunk's gradient to grad
// when grad is not nil.
func (e *Evaluator) backward(theta engine.Buffer, st *chunkState, grad engine.Buffer, second bool) error {
	n, ops := e.net, engine.Ops(e.net.b)
	L, cols := n.Depth(), st.cols
	for l := L; l >= 1; l-- {
		nIn, nOut := n.spec.Widths[l-1], n.spec.Widths[l]
		in := st.x0
		if l > 1 {
			in = st.x[l-1]
		}
		if grad != nil {
			gW, gb, err := n.LayerParams(grad, l)
			if err != nil {
				return err
			}
			ops.Gemm(engine.NoTrans, engine.Trans, nOut, nIn, cols, 1, st.delta[l], nOut, in, nIn, 1, gW, nOut)
			ops.Gemv(engine.NoTrans, nOut, cols, 1, st.delta[l], nOut, e.ws.ones, 1, 1, gb, 1)
			if err := ops.Err(); err != nil {
				return fmt.Errorf("mlp: backward layer %d: %w", l, err)
			}
		}
		if l == 1 {
			break
		}
		W, _, err := n.LayerParams(theta, l)
		if err != nil {
			return err
		}
		g, err := e.view(e.ws.tmp, nIn*cols)
		if err != nil {
			return err
		}
		ops.Gemm(engine.Trans, engine.NoTrans, nIn, cols, nOut, 1, W, nOut, st.delta[l], nOut, 0, g, nIn)
		if second {
			ops.Hadamard(st.s[l-1], g, st.s[l-1])
		}
		ops.Hadamard(st.d1[l-1], g, st.delta[l-1])
		if err := ops.Err(); err != nil {
			return fmt.Errorf("mlp: backward layer %d: %w", l, err)
		}
	}
	return nil
}

// rpass adds the chunk's Hessian-vector product H v (or Gauss-Newton
// product G v when gn) to out. st must hold a second-order forward and
// backward pass (for gn: a forward pass with delta_L and p).
func (e *Evaluator) rpass(theta, v engine.Buffer, st *chunkState, nTotal int, out engine.Buffer, gn bool) error {
	if err := e.needRPass(); err != nil {
		return err
	}
	n, ops := e.net, engine.Ops(e.net.b)
	L, cols := n.Depth(), st.cols
	ry, rx, rd := make([]engine.Buffer, L+1), make([]engine.Buffer, L+1), make([]engine.Buffer, L+1)
	for l := 1; l <= L; l++ {
		size := n.spec.Widths[l] * cols
		var err error
		if ry[l], err = e.view(e.ws.ry[l], size); err != nil {
			return err
		}
		if rd[l], err = e.view(e.ws.rd[l], size); err != nil {
			return err
		}
		if l < L {
			if rx[l], err = e.view(e.ws.rx[l], size); err != nil {
				return err
			}
		}
	}
	// R-forward.
	for l := 1; l <= L; l++ {
		nIn, nOut := n.spec.Widths[l-1], n.spec.Widths[l]
		W, _, err := n.LayerParams(theta, l)
		if err != nil {
			return err
		}
		V, c, err := n.LayerParams(v, l)
		if err != nil {
			return err
		}
		if l == 1 {
			ops.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, V, nOut, st.x0, nIn, 0, ry[l], nOut)
		} else {
			ops.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, W, nOut, rx[l-1], nIn, 0, ry[l], nOut)
			ops.Gemm(engine.NoTrans, engine.NoTrans, nOut, cols, nIn, 1, V, nOut, st.x[l-1], nIn, 1, ry[l], nOut)
		}
		ops.AddBias(nOut, cols, c, ry[l], nOut)
		if l < L {
			ops.Hadamard(st.d1[l], ry[l], rx[l])
		}
		if err := ops.Err(); err != nil {
			return fmt.Errorf("mlp: R-forward layer %d: %w", l, err)
		}
	}
	// Through the loss.
	C := n.spec.Widths[L]
	scratch, err := e.view(e.ws.scratch2, C*cols)
	if err != nil {
		return err
	}
	dots, err := e.view(e.ws.dots, cols)
	if err != nil {
		return err
	}
	lossHessian(ops, n.spec.Loss, C, cols, nTotal, st.p, ry[L], rd[L], scratch, dots)
	if err := ops.Err(); err != nil {
		return fmt.Errorf("mlp: loss Hessian: %w", err)
	}
	// R-backward.
	for l := L; l >= 1; l-- {
		nIn, nOut := n.spec.Widths[l-1], n.spec.Widths[l]
		in := st.x0
		if l > 1 {
			in = st.x[l-1]
		}
		oW, ob, err := n.LayerParams(out, l)
		if err != nil {
			return err
		}
		ops.Gemm(engine.NoTrans, engine.Trans, nOut, nIn, cols, 1, rd[l], nOut, in, nIn, 1, oW, nOut)
		ops.Gemv(engine.NoTrans, nOut, cols, 1, rd[l], nOut, e.ws.ones, 1, 1, ob, 1)
		if l > 1 && !gn {
			ops.Gemm(engine.NoTrans, engine.Trans, nOut, nIn, cols, 1, st.delta[l], nOut, rx[l-1], nIn, 1, oW, nOut)
		}
		if l > 1 {
			W, _, err := n.LayerParams(theta, l)
			if err != nil {
				return err
			}
			V, _, err := n.LayerParams(v, l)
			if err != nil {
				return err
			}
			ops.Gemm(engine.Trans, engine.NoTrans, nIn, cols, nOut, 1, W, nOut, rd[l], nOut, 0, rd[l-1], nIn)
			if !gn {
				ops.Gemm(engine.Trans, engine.NoTrans, nIn, cols, nOut, 1, V, nOut, st.delta[l], nOut, 1, rd[l-1], nIn)
			}
			ops.Hadamard(st.d1[l-1], rd[l-1], rd[l-1])
			if !gn {
				ops.Hadamard(st.s[l-1], ry[l-1], ry[l-1])
				ops.Axpy(nIn*cols, 1, ry[l-1], 1, rd[l-1], 1)
			}
		}
		if err := ops.Err(); err != nil {
			return fmt.Errorf("mlp: R-backward layer %d: %w", l, err)
		}
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
		if e.stack != nil {
			s, err := e.stackGradientChunk(theta, d, lo, cols, grad)
			total += s
			return err
		}
		st, err := e.scratchState(d, lo, cols, false)
		if err != nil {
			return err
		}
		s, err := e.forward(theta, st, d.N, false, true)
		if err != nil {
			return err
		}
		total += s
		return e.backward(theta, st, grad, false)
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
		if e.stack != nil {
			_, err := e.stackProductChunk(theta, d, lo, cols, v, out, gn, false)
			return err
		}
		st, err := e.scratchState(d, lo, cols, !gn)
		if err != nil {
			return err
		}
		if _, err := e.forward(theta, st, d.N, !gn, true); err != nil {
			return err
		}
		if !gn {
			if err := e.backward(theta, st, nil, true); err != nil {
				return err
			}
		}
		return e.rpass(theta, v, st, d.N, out, gn)
	})
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

// HessianOptions configure NewHessian.
type HessianOptions struct {
	// Chunk is the number of samples per batched pass (0: DefaultChunk).
	Chunk int
	// GaussNewton makes Apply compute Gauss-Newton products J^T H_z J v
	// instead of Hessian-vector products.
	GaussNewton bool
}

// Hessian is the Hessian (or the Gauss-Newton matrix) of an MLP's mean loss
// over a data set at fixed parameters, as an operator. NewHessian runs the
// forward and backward passes once and keeps what the R-operator needs (per
// hidden layer and sample: x_l, phi'(y_l), phi^(2)(y_l) g_l, delta_l; per
// output: delta_L and softmax(z)), so each product costs the R-passes
// only: about twice the gemm work of a forward pass. The cache takes
// (4 sum(hidden widths) + 2 C) N float64s besides the evaluator's scratch.
// For a network with product or attention layers the layers keep the
// passes of one chunk: with the data in one chunk (N <= Chunk) products
// cost the R-passes only, otherwise each product reruns the forward and
// backward passes chunk by chunk.
type Hessian struct {
	e        *Evaluator
	theta    engine.Buffer // a copy of the parameters
	data     *Data
	gn       bool
	states   []*chunkState
	cache    *engine.Scope // the whole-data buffers of the states
	loss     float64
	products int
	primed   bool // a Stack network's one chunk is primed (mlp_stack.go)
}

// NewHessian builds the Hessian operator of net's mean loss over d at theta
// (copied, so later changes to theta do not affect it). The operator reads
// d's inputs at every product: d must outlive it.
func NewHessian(net *MLP, theta engine.Buffer, d *Data, opt HessianOptions) (*Hessian, error) {
	e, err := net.NewEvaluator(opt.Chunk)
	if err != nil {
		return nil, err
	}
	h := &Hessian{e: e, data: d, gn: opt.GaussNewton}
	if err := h.build(theta); err != nil {
		h.Free()
		return nil, err
	}
	return h, nil
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
	if e.stack != nil {
		return h.buildStack()
	}
	L := n.Depth()
	// Whole-data buffers: per hidden layer x, d1, s, delta; delta_L and p.
	h.cache = engine.NewScope(b)
	full := make([][4]engine.Buffer, L+1)
	for l := 1; l <= L; l++ {
		size := n.spec.Widths[l] * d.N
		k := 4
		if l == L {
			k = 2 // delta and p
		}
		for i := 0; i < k; i++ {
			if h.gn && l < L && i == 2 {
				continue // phi'' g: the Gauss-Newton product does not use it
			}
			full[l][i] = h.cache.Alloc(size)
		}
	}
	if err := h.cache.Err(); err != nil {
		return fmt.Errorf("mlp: Hessian cache: %w", err)
	}
	total := 0.0
	err = e.chunks(d, func(lo, cols int) error {
		st := &chunkState{cols: cols, x: make([]engine.Buffer, L+1), d1: make([]engine.Buffer, L+1),
			s: make([]engine.Buffer, L+1), delta: make([]engine.Buffer, L+1)}
		var err error
		if st.x0, st.t, err = e.chunkData(d, lo, cols); err != nil {
			return err
		}
		for l := 1; l <= L; l++ {
			w := n.spec.Widths[l]
			if l < L {
				for i, dst := range []*engine.Buffer{&st.x[l], &st.d1[l], &st.s[l], &st.delta[l]} {
					if full[l][i] == nil {
						continue
					}
					if *dst, err = e.colView(full[l][i], w, lo, cols); err != nil {
						return err
					}
				}
			} else {
				if st.delta[l], err = e.colView(full[l][0], w, lo, cols); err != nil {
					return err
				}
				if st.p, err = e.colView(full[l][1], w, lo, cols); err != nil {
					return err
				}
			}
		}
		s, err := e.forward(h.theta, st, d.N, !h.gn, true)
		if err != nil {
			return err
		}
		total += s
		if !h.gn {
			if err := e.backward(h.theta, st, nil, true); err != nil {
				return err
			}
		}
		h.states = append(h.states, st)
		return nil
	})
	h.loss = total / float64(d.N)
	return err
}

// Dim is the operator's dimension: the number of parameters.
func (h *Hessian) Dim() int { return h.e.net.nParams }

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
	h.products++
	if err := n.b.Fill(out, 0); err != nil {
		return err
	}
	if h.e.stack != nil {
		return h.applyStack(v, out)
	}
	for _, st := range h.states {
		if err := h.e.rpass(h.theta, v, st, h.data.N, out, h.gn); err != nil {
			return err
		}
	}
	return nil
}

// Free releases the cache, the parameter copy and the scratch.
func (h *Hessian) Free() {
	b := h.e.net.b
	if h.cache != nil {
		h.cache.Close()
	}
	h.cache, h.states = nil, nil
	if h.theta != nil {
		b.Free(h.theta)
		h.theta = nil
	}
	h.e.Free()
}
