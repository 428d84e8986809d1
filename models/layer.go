package models

import (
	"math"

	"github.com/netgeom/netgeom/engine"
)

// This file defines what every layer kind implements, once: the forward
// pass, the second-order jet, the backward pass (vector-Jacobian products,
// for gradients and Gauss-Newton products) and Pearlmutter's R-operator on
// both (Hessian-vector products). Trained networks (Network, evaluated by
// Evaluator and Hessian) and random networks (RandomNetwork.Run, Jacobian)
// are sequences of the same layers and drive them through the same calls;
// they differ only in where the parameters come from (a flat vector, or
// Philox streams) and where the state between the calls lives (the tape, stack.go).
//
// A layer holds no buffers. What its later calls need from its earlier
// ones lies in slots: buffers of a fixed number of numbers per sample,
// allocated by the caller (for one chunk of samples, or for the whole data
// set when a Hessian operator keeps the passes) and handed to every call
// in a frame.

// need says what a forward pass keeps for the passes after it.
type need int

const (
	needValues need = iota // the outputs only (losses, logits, random networks)
	needFirst              // and what backward reads (gradients, Gauss-Newton products)
	needSecond             // and what the R-operator's backward pass reads (Hessian-vector products)
)

// slotClass says which call writes a slot and which calls read it.
type slotClass int

const (
	fwdSlot  slotClass = iota // written by forward at needFirst or more; read by every later call
	fwd2Slot                  // written by forward at needSecond; turned by backward(second) into what rbackward reads
	bwdSlot                   // written by backward; read by rbackward
	rSlot                     // written by rforward; read by rbackward
)

// slot is one buffer of a layer's state: size numbers per sample.
type slot struct {
	class slotClass
	size  int
}

// params gives a layer its parameters one part at a time (part k of the
// layer's layout, parts[k] numbers): views of a flat parameter vector for
// a trained network, numbers drawn from Philox into a shared buffer for a
// random one (so that a part is valid only until the next part is asked
// for: a layer uses each part before it asks for the next).
type params interface {
	part(k int) (engine.Buffer, error)
}

// layer is the arithmetic of one layer kind between InDim and OutDim
// features per sample. A batch of n samples is an InDim x n column-major
// matrix (one sample per column); a jet batch of n points is an InDim x 3n
// matrix [x | v | a] (values, first and second derivatives along a curve).
//
// The calls of one evaluation come in the order forward, backward,
// rforward, rbackward, each reading the slots the earlier ones wrote
// (rforward and rbackward may then be repeated for other directions). In
// backward, theta is the layer's parameter block (parts one after the
// other) and gtheta, where not nil, accumulates the parameter gradient; in
// rforward and rbackward dtheta is the block of the parameter direction
// (nil: zero) and rgtheta accumulates the Hessian-vector product. Every op
// runs on the frame's scope, which records the first failure.
type layer interface {
	inDim() int
	outDim() int
	// parts are the sizes of the parameter parts, in layout order; their
	// sum is the layer's parameter count.
	parts() []int
	// slots lists the layer's state; frame.st holds them in this order.
	slots() []slot
	// readsInput and readsOutGrad say whether backward and the R passes
	// read the layer's input x and its output gradient gy: the caller
	// keeps them (between chunks, in a Hessian operator) only then.
	readsInput() bool
	readsOutGrad() bool

	forward(f *frame, p params, n need)
	jet(f *frame, p params)
	backward(f *frame, theta, gtheta engine.Buffer, second bool)
	rforward(f *frame, theta, dtheta engine.Buffer)
	rbackward(f *frame, theta, dtheta, rgtheta engine.Buffer)
}

// frame is what one call of a layer works on: cols samples (cols points
// for a jet, whose buffers hold 3 cols columns).
type frame struct {
	cols     int
	x, y     engine.Buffer   // input and output
	gy, gx   engine.Buffer   // dL/dy; dL/dx (nil: not wanted)
	rx, ry   engine.Buffer   // R{x} (nil: zero, as for a network's input), R{y}
	rgy, rgx engine.Buffer   // R{dL/dy}; R{dL/dx} (nil: not wanted)
	st       []engine.Buffer // the slots, in the layer's order (nil where not kept)
	sc       *engine.Scope   // the call's ops and its temporary buffers
	// spare, when not nil, is a buffer of at least OutDim cols numbers the
	// layer may overwrite once it has read x (a random network's input
	// buffers are dead after the layer).
	spare engine.Buffer
	// vec asks for matrix-vector products (gemv) instead of gemm when
	// cols is 1 (the input-output Jacobian's products, which have always
	// been gemv).
	vec bool
}

// parts of a flat block: the views theta[off_k, off_k + size_k).
type block struct {
	b     engine.Backend
	theta engine.Buffer
	sizes []int
}

func (p block) part(k int) (engine.Buffer, error) {
	off := 0
	for _, s := range p.sizes[:k] {
		off += s
	}
	return p.b.Slice(p.theta, off, p.sizes[k])
}

// numParams is the parameter count of l.
func numParams(l layer) int {
	n := 0
	for _, p := range l.parts() {
		n += p
	}
	return n
}

// split records the views of x of the given consecutive lengths on s (nil
// views after a failure).
func split(s *engine.Scope, x engine.Buffer, lens ...int) []engine.Buffer {
	out := make([]engine.Buffer, len(lens))
	off := 0
	for i, n := range lens {
		out[i] = s.View(x, off, n)
		off += n
	}
	return out
}

// third returns block k (0, 1, 2) of a jet buffer holding three blocks of
// n numbers.
func third(s *engine.Scope, x engine.Buffer, k, n int) engine.Buffer { return s.View(x, k*n, n) }

// mul records out = op(W) x + beta out for a layer's m x k weight matrix W
// (m = rows, k = columns as stored) over cols columns: W x (k x cols in, m
// x cols out) or, with trans, W^T x (m x cols in, k x cols out). With
// f.vec and one column it is a gemv.
func mul(f *frame, trans engine.Transpose, m, k int, W, x engine.Buffer, cols int, beta float64, out engine.Buffer) {
	s := f.sc
	if f.vec && cols == 1 {
		s.Gemv(trans, m, k, 1, W, m, x, 1, beta, out, 1)
		return
	}
	if trans {
		s.Gemm(engine.Trans, engine.NoTrans, k, cols, m, 1, W, m, x, m, beta, out, k)
		return
	}
	s.Gemm(engine.NoTrans, engine.NoTrans, m, cols, k, 1, W, m, x, k, beta, out, m)
}

// outer records gW += g x^T (m x k) and, when gb is not nil, gb += g 1,
// summing over cols columns: the parameter gradient of an affine map.
func outer(f *frame, m, k int, g, x engine.Buffer, cols int, gW, gb engine.Buffer) {
	s := f.sc
	s.Gemm(engine.NoTrans, engine.Trans, m, k, cols, 1, g, m, x, k, 1, gW, m)
	if gb != nil {
		s.Gemv(engine.NoTrans, m, cols, 1, g, m, ones(s, cols), 1, 1, gb, 1)
	}
}

// softmaxJVP records out = J(a) s column by column for the m x n matrix a
// of softmax columns, J(a) = diag(a) - a a^T the (symmetric) Jacobian of
// the softmax: out = a * (s - 1 <a, s>). It serves the tangent (forward)
// and the vector-Jacobian product (backward) alike. tmp (m n) and dots (n)
// are overwritten; out must not alias a or s.
func softmaxJVP(ops *engine.Recorder, m, n int, a, s, out, tmp, dots engine.Buffer) {
	ops.ColumnDots(m, n, a, m, s, m, dots)
	ops.Hadamard(a, s, out)
	ops.Copy(tmp, a)
	ops.ScaleColumns(m, n, dots, tmp, m)
	ops.Axpy(m*n, -1, tmp, 1, out, 1)
}

// ones returns the scratch vector "ones" of sc, n elements re-filled with
// ones at each call.
func ones(sc *engine.Scope, n int) engine.Buffer {
	o := sc.Scratch("ones", n)
	sc.Fill(o, 1)
	return o
}

// sqrtInt is sqrt(n) as a float64.
func sqrtInt(n int) float64 { return math.Sqrt(float64(n)) }
