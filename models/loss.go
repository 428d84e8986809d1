package models

import (
	"fmt"
	"strings"

	"github.com/netgeom/netgeom/engine"
)

// Loss names the loss of a trainable network. Every loss is the mean over
// the N samples of a data set (not the sum), so that its value, gradient
// and Hessian do not grow with N.
type Loss int

const (
	// CrossEntropy is the softmax cross-entropy of the logits z against
	// targets t (one-hot, or any probability vectors: columns summing to 1):
	//
	//	L = (1/N) sum_j -t_j . log softmax(z_j)
	//
	// with log softmax computed stably (the column maximum subtracted
	// before the exp). dL/dz_j = (p_j - t_j)/N with p_j = softmax(z_j), and
	// the Hessian in z_j is (diag(p_j) - p_j p_j^T)/N.
	CrossEntropy Loss = iota
	// SquaredError is half the squared distance of the outputs to the
	// targets: L = (1/N) sum_j (1/2) |z_j - t_j|^2; dL/dz_j = (z_j - t_j)/N,
	// Hessian I/N.
	SquaredError
)

func (l Loss) String() string {
	switch l {
	case CrossEntropy:
		return "cross-entropy"
	case SquaredError:
		return "squared-error"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// LossNames are the canonical loss names, as ParseLoss accepts them.
func LossNames() []string { return []string{"cross-entropy", "squared-error"} }

// ParseLoss reads a loss name: "cross-entropy" (also "ce", "xent",
// "softmax") or "squared-error" (also "squared", "mse", "se").
func ParseLoss(s string) (Loss, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cross-entropy", "crossentropy", "ce", "xent", "softmax":
		return CrossEntropy, nil
	case "squared-error", "squared", "mse", "se":
		return SquaredError, nil
	}
	return 0, fmt.Errorf("unknown loss %q: valid losses are %s", s, strings.Join(LossNames(), ", "))
}

func (l Loss) valid() bool { return l == CrossEntropy || l == SquaredError }

// lossChunk evaluates the loss of cols samples (out of n in all) on the
// backend: z and t are C x cols (leading dimension C). It returns the sum
// of the per-sample losses (not yet divided by n) and, when delta is not
// nil, writes dL/dz = (p - t)/n or (z - t)/n into delta (C x cols). For
// cross-entropy it leaves softmax(z) in p (C x cols) when p is not nil;
// scratch (C x cols) is overwritten. It runs its ops on ops and returns
// ops' first error.
func lossChunk(ops *engine.Recorder, loss Loss, c, cols, n int, z, t, delta, p, scratch engine.Buffer) (float64, error) {
	size := c * cols
	var sum float64
	switch loss {
	case CrossEntropy:
		ops.Softmax(c, cols, z, c, scratch, c, true)
		dot, _ := ops.Dot(size, t, 1, scratch, 1)
		sum = -dot
		if delta == nil && p == nil {
			break
		}
		prob := p
		if prob == nil {
			prob = scratch
		}
		ops.Softmax(c, cols, z, c, prob, c, false)
		if delta != nil {
			ops.Copy(delta, prob)
			ops.Axpy(size, -1, t, 1, delta, 1)
			ops.Scal(size, 1/float64(n), delta, 1)
		}
	case SquaredError:
		diff := delta
		if diff == nil {
			diff = scratch
		}
		ops.Copy(diff, z)
		ops.Axpy(size, -1, t, 1, diff, 1)
		sq, _ := ops.Dot(size, diff, 1, diff, 1)
		if delta != nil {
			ops.Scal(size, 1/float64(n), delta, 1)
		}
		sum = 0.5 * sq
	default:
		ops.Fail(fmt.Errorf("unknown loss %d", int(loss)))
	}
	if err := ops.Err(); err != nil {
		return 0, err
	}
	return sum, nil
}

// lossHessian records out = H_z rz for cols samples out of n, where H_z is
// the Hessian of the loss in the logits (C x cols, leading dimension C):
// cross-entropy (p * rz - p (p . rz))/n per column, with p = softmax(z)
// given; squared error rz/n. scratch (C x cols) and dots (cols) are
// overwritten; out must not alias rz.
func lossHessian(ops *engine.Recorder, loss Loss, c, cols, n int, p, rz, out, scratch, dots engine.Buffer) {
	size := c * cols
	switch loss {
	case CrossEntropy:
		ops.ColumnDots(c, cols, p, c, rz, c, dots)
		ops.Hadamard(p, rz, out)
		ops.Copy(scratch, p)
		ops.ScaleColumns(c, cols, dots, scratch, c)
		ops.Axpy(size, -1, scratch, 1, out, 1)
		ops.Scal(size, 1/float64(n), out, 1)
	case SquaredError:
		ops.Copy(out, rz)
		ops.Scal(size, 1/float64(n), out, 1)
	default:
		ops.Fail(fmt.Errorf("unknown loss %d", int(loss)))
	}
}
