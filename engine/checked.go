package engine

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/netgeom/netgeom/activation"
)

// Checked returns the Backend that serves every op with k after checking
// its arguments: buffer ownership (a buffer of another backend, a freed
// one, a nil one), dtypes, shapes and the other conditions listed on
// Kernels. The checks are the same for every backend, so all of them
// refuse the same bad calls with the same messages.
//
// The Backend it returns is safe for concurrent use (see the package
// documentation): its bookkeeping is guarded by a read-write lock that ops
// hold for reading, so ops on different buffers run at the same time, and
// Free and Close hold for writing, so they wait for the ops in flight.
func Checked[M any](k Kernels[M]) Backend {
	limit, limitWhy := k.MaxInt()
	return &checked[M]{k: k, dt: k.DType(), limit: limit, limitWhy: limitWhy}
}

type checked[M any] struct {
	k        Kernels[M]
	dt       DType // of every buffer
	limit    int
	limitWhy string

	mu     sync.RWMutex // held for reading by ops, for writing by Free and Close
	closed bool
}

// allocation is shared by a buffer and its views, so freeing the parent
// invalidates every view.
type allocation[M any] struct {
	mem   M
	freed bool
}

type buffer[M any] struct {
	owner *checked[M]
	alloc *allocation[M]
	mem   M // the handle of element 0 of this buffer (a view's own)
	n     int
	view  bool
}

func (x *buffer[M]) Len() int     { return x.n }
func (x *buffer[M]) DType() DType { return x.owner.dt }

// Info implements Backend; Info.DType is the backend's precision.
func (c *checked[M]) Info() Info {
	in := c.k.Info()
	in.DType = c.dt.String()
	return in
}

// DType is the element type of every buffer of the backend (DTypeOf).
func (c *checked[M]) DType() DType { return c.dt }

// Close implements Backend; a second Close is a no-op.
func (c *checked[M]) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.k.Close()
}

// open is called by every op with c.mu held for reading.
func (c *checked[M]) open(op string) error {
	if c.closed {
		return fmt.Errorf("%s: %w", op, ErrClosed)
	}
	return nil
}

// get returns the buffer behind x, or an error naming the op.
func (c *checked[M]) get(op string, x Buffer) (*buffer[M], error) {
	if x == nil {
		return nil, fmt.Errorf("%s: nil buffer", op)
	}
	buf, ok := x.(*buffer[M])
	if !ok || buf == nil || buf.owner != c {
		if buf == nil && ok {
			return nil, fmt.Errorf("%s: nil buffer", op)
		}
		if x.DType() != c.dt {
			return nil, fmt.Errorf("%s: %w: a %v buffer on a %v backend", op, ErrDType, x.DType(), c.dt)
		}
		return nil, fmt.Errorf("%s: %w", op, ErrForeign)
	}
	if buf.alloc.freed {
		return nil, fmt.Errorf("%s: %w", op, ErrFreed)
	}
	return buf, nil
}

func (c *checked[M]) get2(op string, x, y Buffer) (*buffer[M], *buffer[M], error) {
	bx, err := c.get(op, x)
	if err != nil {
		return nil, nil, err
	}
	by, err := c.get(op, y)
	if err != nil {
		return nil, nil, err
	}
	return bx, by, nil
}

func (c *checked[M]) get3(op string, x, y, z Buffer) (*buffer[M], *buffer[M], *buffer[M], error) {
	bx, by, err := c.get2(op, x, y)
	if err != nil {
		return nil, nil, nil, err
	}
	bz, err := c.get(op, z)
	if err != nil {
		return nil, nil, nil, err
	}
	return bx, by, bz, nil
}

// fits checks that sizes fit the kernels' integers.
func (c *checked[M]) fits(op string, vals ...int) error {
	for _, v := range vals {
		if v > c.limit {
			return fmt.Errorf("%s: %w: size %d exceeds %s", op, ErrShape, v, c.limitWhy)
		}
	}
	return nil
}

func actFunc(op string, id activation.ID) (activation.Func, error) {
	f, err := activation.ByID(id)
	if err != nil {
		return f, fmt.Errorf("%s: %w", op, err)
	}
	return f, nil
}

// Alloc implements Backend.
func (c *checked[M]) Alloc(dt DType, n int) (Buffer, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open("alloc"); err != nil {
		return nil, err
	}
	if dt != c.dt {
		return nil, fmt.Errorf("alloc: %w: %v buffers on a backend that computes in %v; open a %v backend for them", ErrDType, dt, c.dt, dt)
	}
	if n < 0 {
		return nil, fmt.Errorf("alloc: %w: %d elements; want >= 0", ErrShape, n)
	}
	if uint64(n) > math.MaxInt64/8 {
		return nil, fmt.Errorf("alloc: %w: %d float64 elements", ErrOutOfMemory, n)
	}
	m, err := c.k.Alloc(n)
	if err != nil {
		return nil, err
	}
	return &buffer[M]{owner: c, alloc: &allocation[M]{mem: m}, mem: m, n: n}, nil
}

// Free implements Backend. It waits for the ops in flight (of every
// goroutine), so no op runs on memory being freed.
func (c *checked[M]) Free(x Buffer) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.open("free"); err != nil {
		return err
	}
	buf, err := c.get("free", x)
	if err != nil {
		return err
	}
	if buf.view {
		return errors.New("free: the buffer is a view; free its parent")
	}
	var zero M
	mem := buf.alloc.mem
	buf.alloc.freed, buf.alloc.mem, buf.mem = true, zero, zero
	return c.k.Free(mem)
}

// Slice implements Backend.
func (c *checked[M]) Slice(x Buffer, off, n int) (Buffer, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open("slice"); err != nil {
		return nil, err
	}
	buf, err := c.get("slice", x)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off > buf.n-n {
		return nil, fmt.Errorf("slice: %w: [%d, %d+%d) outside a buffer of %d elements", ErrShape, off, off, n, buf.n)
	}
	return &buffer[M]{owner: c, alloc: buf.alloc, mem: c.k.View(buf.mem, off, n), n: n, view: true}, nil
}

// Upload implements Backend.
func (c *checked[M]) Upload(dst Buffer, src []float64) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open("upload"); err != nil {
		return err
	}
	d, err := c.get("upload", dst)
	if err != nil {
		return err
	}
	if len(src) != d.n {
		return fmt.Errorf("upload: %w: %d host elements into a buffer of %d", ErrShape, len(src), d.n)
	}
	if d.n == 0 {
		return nil
	}
	return c.k.Upload(d.mem, src)
}

// Download implements Backend.
func (c *checked[M]) Download(dst []float64, src Buffer) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open("download"); err != nil {
		return err
	}
	s, err := c.get("download", src)
	if err != nil {
		return err
	}
	if len(dst) != s.n {
		return fmt.Errorf("download: %w: a buffer of %d elements into %d host elements", ErrShape, s.n, len(dst))
	}
	if s.n == 0 {
		return nil
	}
	return c.k.Download(dst, s.mem)
}

// Copy implements Backend.
func (c *checked[M]) Copy(dst, src Buffer) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open("copy"); err != nil {
		return err
	}
	d, s, err := c.get2("copy", dst, src)
	if err != nil {
		return err
	}
	if d.n != s.n {
		return fmt.Errorf("copy: %w: source has %d elements, destination %d", ErrShape, s.n, d.n)
	}
	if d.n == 0 {
		return nil
	}
	return c.k.Copy(d.mem, s.mem, d.n)
}

// Fill implements Backend.
func (c *checked[M]) Fill(dst Buffer, v float64) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open("fill"); err != nil {
		return err
	}
	d, err := c.get("fill", dst)
	if err != nil {
		return err
	}
	if d.n == 0 {
		return nil
	}
	return c.k.Fill(d.mem, d.n, v)
}

// Gemm implements Backend.
func (c *checked[M]) Gemm(tA, tB Transpose, m, n, k int, alpha float64, a Buffer, lda int, b Buffer, ldb int, beta float64, cc Buffer, ldc int) error {
	const op = "gemm"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	ba, bb, bc, err := c.get3(op, a, b, cc)
	if err != nil {
		return err
	}
	if err := CheckGemm(tA, tB, m, n, k, lda, ba.n, ldb, bb.n, ldc, bc.n); err != nil {
		return err
	}
	if err := c.fits(op, m, n, k, lda, ldb, ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	return c.k.Gemm(tA, tB, m, n, k, alpha, ba.mem, lda, bb.mem, ldb, beta, bc.mem, ldc)
}

// GemmStridedBatched implements Backend.
func (c *checked[M]) GemmStridedBatched(tA, tB Transpose, m, n, k int, alpha float64, a Buffer, lda, strideA int, b Buffer, ldb, strideB int, beta float64, cc Buffer, ldc, strideC int, batch int) error {
	const op = "gemm strided batched"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	ba, bb, bc, err := c.get3(op, a, b, cc)
	if err != nil {
		return err
	}
	if err := CheckGemmStridedBatched(tA, tB, m, n, k, lda, strideA, ba.n, ldb, strideB, bb.n, ldc, strideC, bc.n, batch); err != nil || batch == 0 {
		return err
	}
	if err := c.fits(op, m, n, k, lda, ldb, ldc); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	return c.k.GemmStridedBatched(tA, tB, m, n, k, alpha, ba.mem, lda, strideA, bb.mem, ldb, strideB, beta, bc.mem, ldc, strideC, batch)
}

// Gemv implements Backend.
func (c *checked[M]) Gemv(tA Transpose, m, n int, alpha float64, a Buffer, lda int, x Buffer, incx int, beta float64, y Buffer, incy int) error {
	const op = "gemv"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	ba, bx, by, err := c.get3(op, a, x, y)
	if err != nil {
		return err
	}
	if err := CheckMatrix(op, "A", m, n, lda, ba.n); err != nil {
		return err
	}
	xn, yn := n, m
	if tA == Trans {
		xn, yn = m, n
	}
	if err := CheckVector(op, "x", xn, incx, bx.n); err != nil {
		return err
	}
	if err := CheckVector(op, "y", yn, incy, by.n); err != nil {
		return err
	}
	if err := c.fits(op, m, n, lda, incx, incy); err != nil {
		return err
	}
	if yn == 0 {
		return nil
	}
	return c.k.Gemv(tA, m, n, alpha, ba.mem, lda, bx.mem, incx, beta, by.mem, incy)
}

// Dot implements Backend.
func (c *checked[M]) Dot(n int, x Buffer, incx int, y Buffer, incy int) (float64, error) {
	const op = "dot"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return 0, err
	}
	bx, by, err := c.get2(op, x, y)
	if err != nil {
		return 0, err
	}
	if err := CheckVector(op, "x", n, incx, bx.n); err != nil {
		return 0, err
	}
	if err := CheckVector(op, "y", n, incy, by.n); err != nil {
		return 0, err
	}
	if err := c.fits(op, n, incx, incy); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return c.k.Dot(n, bx.mem, incx, by.mem, incy)
}

// Axpy implements Backend.
func (c *checked[M]) Axpy(n int, alpha float64, x Buffer, incx int, y Buffer, incy int) error {
	const op = "axpy"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	bx, by, err := c.get2(op, x, y)
	if err != nil {
		return err
	}
	if err := CheckVector(op, "x", n, incx, bx.n); err != nil {
		return err
	}
	if err := CheckVector(op, "y", n, incy, by.n); err != nil {
		return err
	}
	if err := c.fits(op, n, incx, incy); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return c.k.Axpy(n, alpha, bx.mem, incx, by.mem, incy)
}

// Scal implements Backend.
func (c *checked[M]) Scal(n int, alpha float64, x Buffer, incx int) error {
	const op = "scal"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	bx, err := c.get(op, x)
	if err != nil {
		return err
	}
	if err := CheckVector(op, "x", n, incx, bx.n); err != nil {
		return err
	}
	if err := c.fits(op, n, incx); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return c.k.Scal(n, alpha, bx.mem, incx)
}

// Nrm2 implements Backend.
func (c *checked[M]) Nrm2(n int, x Buffer, incx int) (float64, error) {
	const op = "nrm2"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return 0, err
	}
	bx, err := c.get(op, x)
	if err != nil {
		return 0, err
	}
	if err := CheckVector(op, "x", n, incx, bx.n); err != nil {
		return 0, err
	}
	if err := c.fits(op, n, incx); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return c.k.Nrm2(n, bx.mem, incx)
}

// FillNormal implements Backend.
func (c *checked[M]) FillNormal(dst Buffer, seed, stream, start uint64, std float64) error {
	const op = "fill normal"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	d, err := c.get(op, dst)
	if err != nil {
		return err
	}
	if math.IsNaN(std) || math.IsInf(std, 0) {
		return fmt.Errorf("%s: standard deviation %v; want a finite number", op, std)
	}
	if d.n == 0 {
		return nil
	}
	return c.k.FillNormal(d.mem, d.n, seed, stream, start, std)
}

// ActivateDerivative implements Backend.
func (c *checked[M]) ActivateDerivative(act activation.ID, order int, h, out Buffer) error {
	const op = "activate"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	f, err := actFunc(op, act)
	if err != nil {
		return err
	}
	if err := CheckOrder(order); err != nil {
		return err
	}
	bh, bo, err := c.get2(op, h, out)
	if err != nil {
		return err
	}
	if err := CheckSameLen(op, bh.n, bo.n); err != nil {
		return err
	}
	if bh.n == 0 {
		return nil
	}
	return c.k.ActivateDerivative(f, order, bh.n, bh.mem, bo.mem)
}

// ActivateJet implements Backend.
func (c *checked[M]) ActivateJet(act activation.ID, h, v, a, x, dx, ddx Buffer) error {
	const op = "activate jet"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	f, err := actFunc(op, act)
	if err != nil {
		return err
	}
	bh, bv, ba, err := c.get3(op, h, v, a)
	if err != nil {
		return err
	}
	bx, bdx, bddx, err := c.get3(op, x, dx, ddx)
	if err != nil {
		return err
	}
	n := bh.n
	if err := CheckSameLen(op, n, bv.n, ba.n, bx.n, bdx.n, bddx.n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return c.k.ActivateJet(f, n, bh.mem, bv.mem, ba.mem, bx.mem, bdx.mem, bddx.mem)
}

// ActivateBackward implements Backend.
func (c *checked[M]) ActivateBackward(act activation.ID, h, gx, gh Buffer) error {
	const op = "activate backward"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	f, err := actFunc(op, act)
	if err != nil {
		return err
	}
	bh, bgx, bgh, err := c.get3(op, h, gx, gh)
	if err != nil {
		return err
	}
	if err := CheckSameLen(op, bh.n, bgx.n, bgh.n); err != nil {
		return err
	}
	if bh.n == 0 {
		return nil
	}
	return c.k.ActivateBackward(f, bh.n, bh.mem, bgx.mem, bgh.mem)
}

// AddBias implements Backend.
func (c *checked[M]) AddBias(m, n int, bias Buffer, cc Buffer, ldc int) error {
	const op = "add bias"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	bb, bc, err := c.get2(op, bias, cc)
	if err != nil {
		return err
	}
	if err := CheckVector(op, "bias", m, 1, bb.n); err != nil {
		return err
	}
	if err := CheckMatrix(op, "C", m, n, ldc, bc.n); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	return c.k.AddBias(m, n, bb.mem, bc.mem, ldc)
}

// Hadamard implements Backend.
func (c *checked[M]) Hadamard(x, y, z Buffer) error {
	const op = "hadamard"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	bx, by, bz, err := c.get3(op, x, y, z)
	if err != nil {
		return err
	}
	if err := CheckSameLen(op, bx.n, by.n, bz.n); err != nil {
		return err
	}
	if bx.n == 0 {
		return nil
	}
	return c.k.Hadamard(bx.n, bx.mem, by.mem, bz.mem)
}

// ColumnDots implements Backend.
func (c *checked[M]) ColumnDots(m, n int, a Buffer, lda int, b Buffer, ldb int, out Buffer) error {
	const op = "column dots"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	ba, bb, bo, err := c.get3(op, a, b, out)
	if err != nil {
		return err
	}
	if err := CheckMatrix(op, "A", m, n, lda, ba.n); err != nil {
		return err
	}
	if err := CheckMatrix(op, "B", m, n, ldb, bb.n); err != nil {
		return err
	}
	if err := CheckVector(op, "out", n, 1, bo.n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return c.k.ColumnDots(m, n, ba.mem, lda, bb.mem, ldb, bo.mem)
}

// Softmax implements Backend.
func (c *checked[M]) Softmax(m, n int, x Buffer, ldx int, out Buffer, ldo int, log bool) error {
	const op = "softmax"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	bx, bo, err := c.get2(op, x, out)
	if err != nil {
		return err
	}
	if err := CheckMatrix(op, "X", m, n, ldx, bx.n); err != nil {
		return err
	}
	if err := CheckMatrix(op, "Out", m, n, ldo, bo.n); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	return c.k.Softmax(m, n, bx.mem, ldx, bo.mem, ldo, log)
}

// ScaleColumns implements Backend.
func (c *checked[M]) ScaleColumns(m, n int, s Buffer, x Buffer, ldx int) error {
	const op = "scale columns"
	c.mu.RLock()
	defer c.mu.RUnlock()
	if err := c.open(op); err != nil {
		return err
	}
	bs, bx, err := c.get2(op, s, x)
	if err != nil {
		return err
	}
	if err := CheckVector(op, "s", n, 1, bs.n); err != nil {
		return err
	}
	if err := CheckMatrix(op, "X", m, n, ldx, bx.n); err != nil {
		return err
	}
	if m == 0 || n == 0 {
		return nil
	}
	return c.k.ScaleColumns(m, n, bs.mem, bx.mem, ldx)
}
