package engine

import (
	"errors"
	"fmt"

	"github.com/netgeom/netgeom/activation"
)

// DType is the element type of a Buffer.
type DType int

const (
	// Float64 is the reference dtype, complete on every backend.
	Float64 DType = iota
	// Float32 is single precision: a backend opened for it (OpenDType, or
	// the CPU and CUDA backends' Options.DType) stores every buffer in
	// float32, takes and returns float64 on the host, runs Gemm and Gemv in
	// float32 with alpha and beta rounded to float32 (as a float32 BLAS
	// takes them), accumulates the reductions that return a number (Dot,
	// Nrm2, ColumnDots) in float64, and computes the other ops in float64
	// from the float32 inputs, rounding each result once.
	Float32
)

func (d DType) String() string {
	switch d {
	case Float64:
		return "float64"
	case Float32:
		return "float32"
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// Size is the number of bytes of one element.
func (d DType) Size() int {
	if d == Float32 {
		return 4
	}
	return 8
}

// Epsilon is the machine epsilon of the dtype: the gap between 1 and the
// next larger number (2^-52 for float64, 2^-23 for float32).
func (d DType) Epsilon() float64 {
	if d == Float32 {
		return 0x1p-23
	}
	return 0x1p-52
}

// DTypeOf is the element type of b's buffers: every backend computes in one
// precision (Float64 unless it was opened for another).
func DTypeOf(b Backend) DType {
	if d, ok := b.(interface{ DType() DType }); ok {
		return d.DType()
	}
	return Float64
}

// Transpose selects op(A) = A or A^T in Gemm and Gemv.
type Transpose bool

const (
	// NoTrans uses the matrix as stored.
	NoTrans Transpose = false
	// Trans uses its transpose.
	Trans Transpose = true
)

func (t Transpose) String() string {
	if t {
		return "T"
	}
	return "N"
}

// Errors that callers may test for with errors.Is.
var (
	// ErrDType: the op does not support the buffer's dtype.
	ErrDType = errors.New("unsupported dtype")
	// ErrShape: sizes, strides or leading dimensions do not fit the buffers.
	ErrShape = errors.New("bad shape")
	// ErrForeign: a buffer belongs to another backend.
	ErrForeign = errors.New("buffer from another backend")
	// ErrFreed: a buffer was used after Free.
	ErrFreed = errors.New("buffer used after free")
	// ErrOutOfMemory: the backend could not allocate.
	ErrOutOfMemory = errors.New("out of memory")
	// ErrUnavailable: a backend cannot be opened on this machine.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrClosed: the backend was closed.
	ErrClosed = errors.New("backend closed")
)

// Buffer is a handle to a backend's memory: a contiguous run of Len elements
// of one dtype. Views made by Backend.Slice share memory with their parent.
type Buffer interface {
	Len() int
	DType() DType
}

// Info describes an opened backend for `netgeom devices` and logs.
type Info struct {
	Backend string            `json:"backend"`           // "cpu" or "cuda"
	Device  string            `json:"device"`            // CPU model or GPU name
	BLAS    string            `json:"blas"`              // "openblas", "gonum", "cublas", ...
	Threads int               `json:"threads"`           // BLAS / worker threads
	DType   string            `json:"dtype"`             // the precision of every buffer: "float64" or "float32"
	Reason  string            `json:"reason,omitempty"`  // why this backend (for "auto")
	Details map[string]string `json:"details,omitempty"` // free-form facts: library paths, versions
}

// Backend is the set of operations the science needs. All matrices are
// column-major; every buffer argument must come from this backend.
//
// Shapes follow BLAS: Gemm computes C = alpha op(A) op(B) + beta C with op(A)
// m x k, op(B) k x n, C m x n; lda >= max(1, rows of A as stored), and so on.
// A zero-size op (m, n or k = 0 where BLAS allows it) is a valid no-op.
type Backend interface {
	Info() Info
	// Close releases the backend; buffers become invalid.
	Close() error

	// Alloc returns a zero-filled buffer of n elements.
	Alloc(dt DType, n int) (Buffer, error)
	// Free releases a buffer. Views of it become invalid too. Freeing a view
	// is an error.
	Free(b Buffer) error
	// Slice returns a view of elements [off, off+n) of b, sharing memory.
	Slice(b Buffer, off, n int) (Buffer, error)
	// Upload copies src into dst; len(src) must equal dst.Len().
	Upload(dst Buffer, src []float64) error
	// Download copies src into dst; len(dst) must equal src.Len().
	Download(dst []float64, src Buffer) error
	// Copy copies src into dst (same length; they must not overlap).
	Copy(dst, src Buffer) error
	// Fill sets every element of dst to v.
	Fill(dst Buffer, v float64) error

	// Gemm: C = alpha op(A) op(B) + beta C.
	Gemm(tA, tB Transpose, m, n, k int, alpha float64, a Buffer, lda int, b Buffer, ldb int, beta float64, c Buffer, ldc int) error
	// GemmStridedBatched runs batch Gemms; matrix i of A starts at element
	// i*strideA, likewise for B and C.
	GemmStridedBatched(tA, tB Transpose, m, n, k int, alpha float64, a Buffer, lda, strideA int, b Buffer, ldb, strideB int, beta float64, c Buffer, ldc, strideC int, batch int) error
	// Gemv: y = alpha op(A) x + beta y, A is m x n as stored.
	Gemv(tA Transpose, m, n int, alpha float64, a Buffer, lda int, x Buffer, incx int, beta float64, y Buffer, incy int) error
	// Dot returns sum_i x[i*incx] y[i*incy] over n elements.
	Dot(n int, x Buffer, incx int, y Buffer, incy int) (float64, error)
	// Axpy: y += alpha x.
	Axpy(n int, alpha float64, x Buffer, incx int, y Buffer, incy int) error
	// Scal: x *= alpha.
	Scal(n int, alpha float64, x Buffer, incx int) error
	// Nrm2 returns the Euclidean norm of n elements of x.
	Nrm2(n int, x Buffer, incx int) (float64, error)

	// FillNormal sets dst[j] = std * rng.Normal(seed, stream, start+j): the
	// Philox4x32-10 normals of package engine/rng, bit for bit on every
	// backend.
	FillNormal(dst Buffer, seed, stream, start uint64, std float64) error

	// ActivateDerivative: out = phi^(order)(h) elementwise (same length),
	// order 0..3; order 0 applies phi itself.
	ActivateDerivative(act activation.ID, order int, h, out Buffer) error
	// ActivateJet pushes a second-order jet through phi, elementwise:
	// x = phi(h), dx = phi'(h) v, ddx = phi''(h) v^2 + phi'(h) a.
	// All six buffers have the same length; outputs must not alias inputs.
	ActivateJet(act activation.ID, h, v, a, x, dx, ddx Buffer) error
	// ActivateBackward: gh = phi'(h) gx (the vector-Jacobian product).
	ActivateBackward(act activation.ID, h, gx, gh Buffer) error
	// AddBias adds bias (length m) to every column of the m x n matrix C.
	AddBias(m, n int, bias Buffer, c Buffer, ldc int) error
	// Hadamard: z = x * y elementwise (z may alias x or y).
	Hadamard(x, y, z Buffer) error
	// ColumnDots: out[j] = sum_i A[i,j] B[i,j] for the m x n matrices A, B.
	ColumnDots(m, n int, a Buffer, lda int, b Buffer, ldb int, out Buffer) error

	// Softmax applies the softmax (log = false) or the log-softmax (log =
	// true) to every column of the m x n matrix X and writes it to the m x n
	// matrix Out: with d_i = x_i - max_k x_k (the column's maximum subtracted
	// first, so that no exp overflows),
	//
	//	softmax:     out_i = exp(d_i) / sum_k exp(d_k)
	//	log-softmax: out_i = d_i - log(sum_k exp(d_k))
	//
	// Each column's sum runs in index order. Out may be X itself (ldo = ldx)
	// for an in-place call; otherwise the two must not overlap.
	Softmax(m, n int, x Buffer, ldx int, out Buffer, ldo int, log bool) error
	// ScaleColumns scales column j of the m x n matrix X by s[j]:
	// X[:, j] *= s[j], one rounding per element (s has n elements).
	ScaleColumns(m, n int, s Buffer, x Buffer, ldx int) error
}
