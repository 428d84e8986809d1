package spectrum

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
)

// Operator is a symmetric linear map y = A x on backend buffers of length
// Dim. Apply must overwrite y (it is not zeroed first) and must not write x,
// which may be a view into a Krylov basis. Symmetry is the caller's promise:
// nothing here can check it cheaply.
type Operator struct {
	Dim   int
	Apply func(x, y engine.Buffer) error
}

func (op Operator) check(fn string, b engine.Backend) error {
	if b == nil {
		return fmt.Errorf("spectrum: %s: nil backend", fn)
	}
	if op.Dim < 1 {
		return fmt.Errorf("spectrum: %s: operator dimension %d; want >= 1", fn, op.Dim)
	}
	if op.Apply == nil {
		return fmt.Errorf("spectrum: %s: operator has no Apply function", fn)
	}
	return nil
}

// apply runs the operator and reports a failure with context.
func (op Operator) apply(fn string, x, y engine.Buffer, matvec int) error {
	if err := op.Apply(x, y); err != nil {
		return fmt.Errorf("spectrum: %s: operator (product %d): %w", fn, matvec, err)
	}
	return nil
}

var errNotFinite = errors.New("non-finite value (NaN or Inf): the operator or its input overflowed")

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// fillRademacher sets z to a vector of independent +-1 entries: the signs of
// the Philox normals (seed, stream, 0..len-1), computed on the backend as
// 2 relu'(g) - 1. scratch (same length as z) is overwritten.
func fillRademacher(b engine.Backend, z, scratch engine.Buffer, seed, stream uint64) error {
	n := z.Len()
	if err := b.FillNormal(scratch, seed, stream, 0, 1); err != nil {
		return err
	}
	if err := b.ActivateDerivative(activation.ReLU, 1, scratch, z); err != nil { // 1 where g > 0, else 0
		return err
	}
	if err := b.Scal(n, 2, z, 1); err != nil {
		return err
	}
	if err := b.Fill(scratch, -1); err != nil {
		return err
	}
	return b.Axpy(n, 1, scratch, 1, z, 1)
}
