package engine

import (
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/activation"
)

// Recorder runs ops on a backend until one fails and remembers that
// failure: from then on every op is a no-op that returns the first error,
// so a sequence of ops reads as straight-line code with one check at the
// end, and no op runs on the garbage a failed one left behind:
//
//	ops := engine.Ops(b)
//	ops.Gemm(engine.NoTrans, engine.NoTrans, m, n, k, 1, W, m, x, k, 0, h, m)
//	ops.AddBias(m, n, bias, h, m)
//	ops.ActivateDerivative(act, 0, h, y)
//	if err := ops.Err(); err != nil {
//		return fmt.Errorf("layer %d: %w", l, err)
//	}
//
// Each op returns the error it recorded (or the earlier one), like the
// Backend method of its name. A Recorder is for one goroutine.
type Recorder struct {
	b   Backend
	err error
}

// Ops returns a Recorder of ops on b.
func Ops(b Backend) *Recorder { return &Recorder{b: b} }

// Backend is the backend the ops run on.
func (r *Recorder) Backend() Backend { return r.b }

// Err is the first error recorded, or nil.
func (r *Recorder) Err() error { return r.err }

// Fail records err (a check of the caller's, or a helper's error) unless an
// earlier error is recorded, and returns the first error. Fail(nil)
// records nothing.
func (r *Recorder) Fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return r.err
}

// Reset returns the first error and forgets it, for a Recorder that lives
// across calls (a Scope holding a layer's scratch buffers): each call
// starts with a Reset so that an earlier call's failure does not stop it.
func (r *Recorder) Reset() error {
	err := r.err
	r.err = nil
	return err
}

// View returns the view of elements [off, off+n) of x (Backend.Slice), or
// nil after a failure.
func (r *Recorder) View(x Buffer, off, n int) Buffer {
	if r.err != nil {
		return nil
	}
	v, err := r.b.Slice(x, off, n)
	if err != nil {
		r.err = err
		return nil
	}
	return v
}

// Upload is Backend.Upload.
func (r *Recorder) Upload(dst Buffer, src []float64) error {
	if r.err == nil {
		r.err = r.b.Upload(dst, src)
	}
	return r.err
}

// Download is Backend.Download.
func (r *Recorder) Download(dst []float64, src Buffer) error {
	if r.err == nil {
		r.err = r.b.Download(dst, src)
	}
	return r.err
}

// Copy is Backend.Copy.
func (r *Recorder) Copy(dst, src Buffer) error {
	if r.err == nil {
		r.err = r.b.Copy(dst, src)
	}
	return r.err
}

// Fill is Backend.Fill.
func (r *Recorder) Fill(dst Buffer, v float64) error {
	if r.err == nil {
		r.err = r.b.Fill(dst, v)
	}
	return r.err
}

// Gemm is Backend.Gemm.
func (r *Recorder) Gemm(tA, tB Transpose, m, n, k int, alpha float64, a Buffer, lda int, b Buffer, ldb int, beta float64, c Buffer, ldc int) error {
	if r.err == nil {
		r.err = r.b.Gemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
	return r.err
}

// GemmStridedBatched is Backend.GemmStridedBatched.
func (r *Recorder) GemmStridedBatched(tA, tB Transpose, m, n, k int, alpha float64, a Buffer, lda, strideA int, b Buffer, ldb, strideB int, beta float64, c Buffer, ldc, strideC int, batch int) error {
	if r.err == nil {
		r.err = r.b.GemmStridedBatched(tA, tB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch)
	}
	return r.err
}

// Gemv is Backend.Gemv.
func (r *Recorder) Gemv(tA Transpose, m, n int, alpha float64, a Buffer, lda int, x Buffer, incx int, beta float64, y Buffer, incy int) error {
	if r.err == nil {
		r.err = r.b.Gemv(tA, m, n, alpha, a, lda, x, incx, beta, y, incy)
	}
	return r.err
}

// Dot is Backend.Dot; it returns 0 after a failure.
func (r *Recorder) Dot(n int, x Buffer, incx int, y Buffer, incy int) (float64, error) {
	if r.err != nil {
		return 0, r.err
	}
	s, err := r.b.Dot(n, x, incx, y, incy)
	r.err = err
	return s, err
}

// Axpy is Backend.Axpy.
func (r *Recorder) Axpy(n int, alpha float64, x Buffer, incx int, y Buffer, incy int) error {
	if r.err == nil {
		r.err = r.b.Axpy(n, alpha, x, incx, y, incy)
	}
	return r.err
}

// Scal is Backend.Scal.
func (r *Recorder) Scal(n int, alpha float64, x Buffer, incx int) error {
	if r.err == nil {
		r.err = r.b.Scal(n, alpha, x, incx)
	}
	return r.err
}

// Nrm2 is Backend.Nrm2; it returns 0 after a failure.
func (r *Recorder) Nrm2(n int, x Buffer, incx int) (float64, error) {
	if r.err != nil {
		return 0, r.err
	}
	s, err := r.b.Nrm2(n, x, incx)
	r.err = err
	return s, err
}

// FillNormal is Backend.FillNormal.
func (r *Recorder) FillNormal(dst Buffer, seed, stream, start uint64, std float64) error {
	if r.err == nil {
		r.err = r.b.FillNormal(dst, seed, stream, start, std)
	}
	return r.err
}

// ActivateDerivative is Backend.ActivateDerivative (order 0: phi itself).
func (r *Recorder) ActivateDerivative(act activation.ID, order int, h, out Buffer) error {
	if r.err == nil {
		r.err = r.b.ActivateDerivative(act, order, h, out)
	}
	return r.err
}

// ActivateJet is Backend.ActivateJet.
func (r *Recorder) ActivateJet(act activation.ID, h, v, a, x, dx, ddx Buffer) error {
	if r.err == nil {
		r.err = r.b.ActivateJet(act, h, v, a, x, dx, ddx)
	}
	return r.err
}

// ActivateBackward is Backend.ActivateBackward.
func (r *Recorder) ActivateBackward(act activation.ID, h, gx, gh Buffer) error {
	if r.err == nil {
		r.err = r.b.ActivateBackward(act, h, gx, gh)
	}
	return r.err
}

// AddBias is Backend.AddBias.
func (r *Recorder) AddBias(m, n int, bias Buffer, c Buffer, ldc int) error {
	if r.err == nil {
		r.err = r.b.AddBias(m, n, bias, c, ldc)
	}
	return r.err
}

// Hadamard is Backend.Hadamard.
func (r *Recorder) Hadamard(x, y, z Buffer) error {
	if r.err == nil {
		r.err = r.b.Hadamard(x, y, z)
	}
	return r.err
}

// ColumnDots is Backend.ColumnDots.
func (r *Recorder) ColumnDots(m, n int, a Buffer, lda int, b Buffer, ldb int, out Buffer) error {
	if r.err == nil {
		r.err = r.b.ColumnDots(m, n, a, lda, b, ldb, out)
	}
	return r.err
}

// Softmax is Backend.Softmax.
func (r *Recorder) Softmax(m, n int, x Buffer, ldx int, out Buffer, ldo int, log bool) error {
	if r.err == nil {
		r.err = r.b.Softmax(m, n, x, ldx, out, ldo, log)
	}
	return r.err
}

// ScaleColumns is Backend.ScaleColumns.
func (r *Recorder) ScaleColumns(m, n int, s Buffer, x Buffer, ldx int) error {
	if r.err == nil {
		r.err = r.b.ScaleColumns(m, n, s, x, ldx)
	}
	return r.err
}

// Scope owns buffers on a backend: those it allocates (Alloc, FromHost) and
// named scratch buffers that grow on demand (Scratch). It is a Recorder, so
// a failed allocation and a failed op alike are remembered and stop what
// follows, and Close frees everything it owns:
//
//	s := engine.NewScope(b)
//	defer s.Close()
//	x, y := s.Alloc(n), s.Alloc(n)
//	s.Copy(y, x)
//	s.Axpy(n, -1, z, 1, y, 1)
//	if err := s.Err(); err != nil {
//		return err
//	}
//
// After a failure Alloc, FromHost, Scratch and View return nil. A Scope
// may outlive one call (a layer keeps its scratch buffers in one, and Resets
// it at the start of each call); after Close it is empty and may be used
// again. A Scope is for one goroutine.
type Scope struct {
	Recorder
	owned []Buffer
	named map[string]Buffer
}

// NewScope returns an empty Scope on b.
func NewScope(b Backend) *Scope { return &Scope{Recorder: Recorder{b: b}} }

// Alloc returns a zero-filled buffer of n elements, of the backend's
// dtype (DTypeOf), that Close frees.
func (s *Scope) Alloc(n int) Buffer {
	if s.err != nil {
		return nil
	}
	x, err := s.b.Alloc(DTypeOf(s.b), n)
	if err != nil {
		s.err = err
		return nil
	}
	s.owned = append(s.owned, x)
	return x
}

// FromHost returns a buffer holding a copy of v that Close frees.
func (s *Scope) FromHost(v []float64) Buffer {
	x := s.Alloc(len(v))
	if s.Upload(x, v) != nil {
		return nil
	}
	return x
}

// Scratch returns n elements of the scratch buffer called name: a view of
// the buffer allocated under that name by an earlier call, or of a new one
// when that is too short (the old one is freed, and with it the views
// handed out before). The contents are whatever the buffer last held.
func (s *Scope) Scratch(name string, n int) Buffer {
	if s.err != nil {
		return nil
	}
	if x, ok := s.named[name]; ok {
		if x.Len() >= n {
			return s.View(x, 0, n)
		}
		delete(s.named, name)
		if err := s.b.Free(x); err != nil {
			s.err = fmt.Errorf("scratch %s: %w", name, err)
			return nil
		}
	}
	x, err := s.b.Alloc(DTypeOf(s.b), n)
	if err != nil {
		s.err = fmt.Errorf("scratch %s (%d elements): %w", name, n, err)
		return nil
	}
	if s.named == nil {
		s.named = map[string]Buffer{}
	}
	s.named[name] = x
	return s.View(x, 0, n)
}

// Keep hands x, a buffer of Alloc or FromHost, over to the caller: Close
// will not free it. It returns x.
func (s *Scope) Keep(x Buffer) Buffer {
	for i, y := range s.owned {
		if y == x {
			s.owned = append(s.owned[:i], s.owned[i+1:]...)
			break
		}
	}
	return x
}

// Close frees every buffer the scope owns (the views it handed out become
// invalid) and returns the errors of the frees, if any (errors.Join). The
// first error of the ops is Err's, not Close's.
func (s *Scope) Close() error {
	var errs []error
	for _, x := range s.owned {
		errs = append(errs, s.b.Free(x))
	}
	for _, x := range s.named {
		errs = append(errs, s.b.Free(x))
	}
	s.owned, s.named = nil, nil
	return errors.Join(errs...)
}
