package engine

import "github.com/netgeom/netgeom/activation"

// Kernels is what a backend implements: the ops of Backend on its own
// memory handles, with every argument already checked. M is the handle of
// a run of float64 elements: a []float64 on the CPU, a device address on a
// GPU. Checked turns Kernels into a Backend; backends hand out only that
// Backend, so no kernel is ever called with unchecked arguments.
//
// What Checked guarantees before it calls a kernel:
//   - every handle comes from this Kernels' Alloc or View, and its
//     allocation has not been freed; the backend has not been closed;
//   - sizes, leading dimensions, increments and strides are >= 0 (>= 1
//     where BLAS says so) and every matrix and vector fits its buffer, as
//     the Check functions of this package define; outputs of a strided
//     batch do not overlap;
//   - every size, leading dimension, increment and stride is at most the
//     bound MaxInt returns;
//   - the op has work to do: a call whose result is empty (m, n or batch
//     0; an elementwise op on 0 elements; Upload, Download or Copy of 0
//     elements) returns before it reaches the kernel. Gemm with k = 0
//     (C = beta C), Gemv with an empty x (y = beta y) and ColumnDots with
//     m = 0 (zeros) do reach it;
//   - the activation exists and an order of ActivateDerivative is 0..3; the
//     standard deviation of FillNormal is finite.
//
// A kernel's errors reach the caller as they are, so they name the op
// ("gemm: cublasDgemm_v2: ...").
//
// Elementwise ops get the element count n; every handle then spans n
// elements. Handles that reach one call may alias only where Backend says
// they may (Copy's may overlap: it must behave like Go's copy).
//
// Checked serialises nothing but its own bookkeeping: kernels of different
// goroutines may run at the same time on different buffers, so a Kernels
// either is safe for that or serialises itself (the CUDA backend runs every
// call on one worker goroutine).
type Kernels[M any] interface {
	Info() Info
	// DType is the element type of every buffer of the backend: a
	// backend computes in one precision (open another for the other).
	DType() DType
	// Close releases the backend and every allocation still live.
	Close() error
	// MaxInt is the largest size, leading dimension, increment or stride
	// the kernels take (OpenBLAS's and cuBLAS's are 32-bit), and what sets
	// it, for the error message ("OpenBLAS's 32-bit integers").
	MaxInt() (int, string)

	// Alloc returns n zero-filled elements (n >= 0).
	Alloc(n int) (M, error)
	// Free releases an allocation (never a view).
	Free(m M) error
	// View returns the handle of elements [off, off+n) of m.
	View(m M, off, n int) M
	// Upload and Download copy len(src) or len(dst) elements.
	Upload(dst M, src []float64) error
	Download(dst []float64, src M) error
	Copy(dst, src M, n int) error
	Fill(dst M, n int, v float64) error

	Gemm(tA, tB Transpose, m, n, k int, alpha float64, a M, lda int, b M, ldb int, beta float64, c M, ldc int) error
	GemmStridedBatched(tA, tB Transpose, m, n, k int, alpha float64, a M, lda, strideA int, b M, ldb, strideB int, beta float64, c M, ldc, strideC int, batch int) error
	Gemv(tA Transpose, m, n int, alpha float64, a M, lda int, x M, incx int, beta float64, y M, incy int) error
	Dot(n int, x M, incx int, y M, incy int) (float64, error)
	Axpy(n int, alpha float64, x M, incx int, y M, incy int) error
	Scal(n int, alpha float64, x M, incx int) error
	Nrm2(n int, x M, incx int) (float64, error)

	FillNormal(dst M, n int, seed, stream, start uint64, std float64) error
	ActivateDerivative(f activation.Func, order, n int, h, out M) error
	ActivateJet(f activation.Func, n int, h, v, a, x, dx, ddx M) error
	ActivateBackward(f activation.Func, n int, h, gx, gh M) error
	AddBias(m, n int, bias M, c M, ldc int) error
	Hadamard(n int, x, y, z M) error
	ColumnDots(m, n int, a M, lda int, b M, ldb int, out M) error
	Softmax(m, n int, x M, ldx int, out M, ldo int, log bool) error
	ScaleColumns(m, n int, s M, x M, ldx int) error
}
