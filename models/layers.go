package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/engine"
)

// Layer is one differentiable layer of a network over a backend, for the
// layer types beyond the dense layers of MLP (the product layer and
// dot-product self-attention). A layer maps InDim features per sample to
// OutDim features per sample; a batch is an InDim x batch column-major
// matrix (one column per sample). Its parameters theta are a flat buffer of
// NumParams float64s (typically a view of a network's parameter vector) and
// are passed to every call, so that an optimiser, a Hessian tool or a
// finite-difference test can evaluate any point.
//
// The calls of one evaluation come in this order, each using the state the
// earlier ones cached in the layer (copies, so the caller may reuse its
// buffers in between):
//
//  1. Forward(theta, x, batch, y): y = f(theta, x).
//  2. Backward(theta, gy, gx, gtheta): the vector-Jacobian products
//     gx = (df/dx)^T gy (overwritten; gx may be nil) and
//     gtheta += (df/dtheta)^T gy (accumulated; may be nil).
//  3. RForward(theta, dtheta, rx, ry): Pearlmutter's R-operator on the
//     forward pass along a parameter direction dtheta and an input tangent
//     rx (nil: zero, as for a network's input): ry = R{y} = (df/dtheta)
//     dtheta + (df/dx) rx.
//  4. RBackward(theta, dtheta, rgy, rgx, rgtheta): the R-operator on the
//     backward pass, with rgy = R{gy}: rgx = R{gx} (overwritten; may be
//     nil) and rgtheta += R{gtheta} (accumulated). Chained through a stack
//     of layers and a loss this gives the Hessian-vector product H dtheta
//     of the loss in the parameters.
//
// RForward and RBackward read only the state of Forward and Backward, so
// after one Forward and Backward they may be repeated for any number of
// directions (a Hessian assembled column by column, Lanczos).
//
// Jet(theta, x, v, a, batch, y, dy, ddy) pushes a second-order jet of an
// input curve through the layer at fixed parameters: with x(t) a curve of
// inputs and x = x(0), v = x'(0), a = x”(0), it writes y = f(x),
// dy = d/dt f(x(t)) and ddy = d^2/dt^2 f(x(t)) at t = 0 (for the curvature
// measures of package manifold). It does not disturb the cached state.
//
// A layer holds scratch buffers on its backend (an engine.Scope) sized for
// the largest batch seen; Free releases them. A layer is not safe for
// concurrent use.
type Layer interface {
	InDim() int
	OutDim() int
	NumParams() int
	Forward(theta, x engine.Buffer, batch int, y engine.Buffer) error
	Jet(theta, x, v, a engine.Buffer, batch int, y, dy, ddy engine.Buffer) error
	Backward(theta, gy, gx, gtheta engine.Buffer) error
	RForward(theta, dtheta, rx, ry engine.Buffer) error
	RBackward(theta, dtheta, rgy, rgx, rgtheta engine.Buffer) error
	Free()
}

// errOrder is returned when a layer's calls come out of order (Backward
// before Forward, and so on).
var errOrder = errors.New("layer calls out of order: Forward, Backward, RForward, RBackward")

// checkLen reports a buffer of the wrong length (nil is an error too).
func checkLen(layer, what string, x engine.Buffer, n int) error {
	if x == nil {
		return fmt.Errorf("%s: %s: nil buffer", layer, what)
	}
	if x.Len() != n {
		return fmt.Errorf("%s: %s: %w: %d elements, want %d", layer, what, engine.ErrShape, x.Len(), n)
	}
	return nil
}

// views returns consecutive views of the given lengths of x.
func views(b engine.Backend, x engine.Buffer, lens ...int) ([]engine.Buffer, error) {
	out := make([]engine.Buffer, len(lens))
	off := 0
	for i, n := range lens {
		v, err := b.Slice(x, off, n)
		if err != nil {
			return nil, err
		}
		out[i] = v
		off += n
	}
	return out, nil
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
