package cpu

import (
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// level is the part of gonum's BLAS interface (row-major, as gonum defines
// it) that the backend uses. gonum's pure-Go Implementation satisfies it, and
// so does openBLAS below.
type level interface {
	Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	Dgemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int)
	Ddot(n int, x []float64, incX int, y []float64, incY int) float64
	Daxpy(n int, alpha float64, x []float64, incX int, y []float64, incY int)
	Dscal(n int, alpha float64, x []float64, incX int)
	Dnrm2(n int, x []float64, incX int) float64
}

var _ level = gonum.Implementation{}
var _ level = (*openBLAS)(nil)

// level32 is the float32 part the backend uses: gemm and gemv (the rest of
// a float32 backend's level-1 ops run in Go, accumulating in float64).
type level32 interface {
	Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int)
}

var _ level32 = gonum.Implementation{}
var _ level32 = (*openBLAS)(nil)

// linalg is the BLAS of one precision as the kernels call it: row-major
// gemm and gemv (gonum's convention) with float64 scalars, and level-1 ops
// whose results are float64.
type linalg[F float32 | float64] interface {
	gemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []F, lda int, b []F, ldb int, beta float64, c []F, ldc int)
	gemv(tA blas.Transpose, m, n int, alpha float64, a []F, lda int, x []F, incX int, beta float64, y []F, incY int)
	dot(n int, x []F, incX int, y []F, incY int) float64
	axpy(n int, alpha float64, x []F, incX int, y []F, incY int)
	scal(n int, alpha float64, x []F, incX int)
	nrm2(n int, x []F, incX int) float64
}

// linalg64 is the float64 BLAS, every op in the library.
type linalg64 struct{ level }

func (l linalg64) gemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	l.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
func (l linalg64) gemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	l.Dgemv(tA, m, n, alpha, a, lda, x, incX, beta, y, incY)
}
func (l linalg64) dot(n int, x []float64, incX int, y []float64, incY int) float64 {
	return l.Ddot(n, x, incX, y, incY)
}
func (l linalg64) axpy(n int, alpha float64, x []float64, incX int, y []float64, incY int) {
	l.Daxpy(n, alpha, x, incX, y, incY)
}
func (l linalg64) scal(n int, alpha float64, x []float64, incX int) { l.Dscal(n, alpha, x, incX) }
func (l linalg64) nrm2(n int, x []float64, incX int) float64        { return l.Dnrm2(n, x, incX) }

// linalg32 is the float32 BLAS: gemm and gemv in the library (float32
// products and sums, alpha and beta rounded to float32), the level-1 ops in
// Go with every sum in float64 and each stored result rounded once. The
// level-1 ops run in index order, so they repeat to the bit.
type linalg32 struct{ level32 }

// newLinalg32 takes OpenBLAS's float32 routines where the float64 BLAS is
// OpenBLAS with them, gonum's otherwise.
func newLinalg32(impl level) linalg32 {
	if o, ok := impl.(*openBLAS); ok && o.sgemm != nil && o.sgemv != nil {
		return linalg32{o}
	}
	return linalg32{gonum.Implementation{}}
}

func (l linalg32) gemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float32, lda int, b []float32, ldb int, beta float64, c []float32, ldc int) {
	l.Sgemm(tA, tB, m, n, k, float32(alpha), a, lda, b, ldb, float32(beta), c, ldc)
}
func (l linalg32) gemv(tA blas.Transpose, m, n int, alpha float64, a []float32, lda int, x []float32, incX int, beta float64, y []float32, incY int) {
	l.Sgemv(tA, m, n, float32(alpha), a, lda, x, incX, float32(beta), y, incY)
}
func (linalg32) dot(n int, x []float32, incX int, y []float32, incY int) float64 {
	s := 0.0
	for i := 0; i < n; i++ {
		s += float64(x[i*incX]) * float64(y[i*incY])
	}
	return s
}
func (linalg32) axpy(n int, alpha float64, x []float32, incX int, y []float32, incY int) {
	for i := 0; i < n; i++ {
		y[i*incY] = float32(float64(y[i*incY]) + float64(alpha*float64(x[i*incX])))
	}
}
func (linalg32) scal(n int, alpha float64, x []float32, incX int) {
	for i := 0; i < n; i++ {
		x[i*incX] = float32(alpha * float64(x[i*incX]))
	}
}

// nrm2 sums the squares in float64, where no float32's square overflows
// or underflows (they lie between 2^-298 and 2^256).
func (linalg32) nrm2(n int, x []float32, incX int) float64 {
	s := 0.0
	for i := 0; i < n; i++ {
		v := float64(x[i*incX])
		s += v * v
	}
	return math.Sqrt(s)
}

// CBLAS enumerations.
const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// openBLAS calls libopenblas.so.0's CBLAS entry points, bound at run time
// with purego (no cgo). Callers have checked every argument; the slices are
// passed as pointers to their first element.
type openBLAS struct {
	path    string
	config  string
	asked   int // the thread count asked for
	threads int // the thread count OpenBLAS runs (its build may cap it)

	dgemm func(order, tA, tB, m, n, k int32, alpha float64, a unsafe.Pointer, lda int32, b unsafe.Pointer, ldb int32, beta float64, c unsafe.Pointer, ldc int32)
	dgemv func(order, tA, m, n int32, alpha float64, a unsafe.Pointer, lda int32, x unsafe.Pointer, incX int32, beta float64, y unsafe.Pointer, incY int32)
	ddot  func(n int32, x unsafe.Pointer, incX int32, y unsafe.Pointer, incY int32) float64
	daxpy func(n int32, alpha float64, x unsafe.Pointer, incX int32, y unsafe.Pointer, incY int32)
	dscal func(n int32, alpha float64, x unsafe.Pointer, incX int32)
	dnrm2 func(n int32, x unsafe.Pointer, incX int32) float64

	// sgemm and sgemv are the float32 products (nil where missing).
	sgemm func(order, tA, tB, m, n, k int32, alpha float32, a unsafe.Pointer, lda int32, b unsafe.Pointer, ldb int32, beta float32, c unsafe.Pointer, ldc int32)
	sgemv func(order, tA, m, n int32, alpha float32, a unsafe.Pointer, lda int32, x unsafe.Pointer, incX int32, beta float32, y unsafe.Pointer, incY int32)

	// dsyevd is LAPACK's (Fortran) symmetric eigensolver, nil where the
	// library lacks it: every argument by reference, then the hidden
	// lengths of the two character arguments.
	dsyevd func(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info unsafe.Pointer, jobzLen, uploLen uintptr)
}

// openBLASNames are the sonames tried, in order.
var openBLASNames = []string{"libopenblas.so.0", "libopenblas.so"}

var (
	openOnce   sync.Once
	openResult *openBLAS
	openErr    error
)

// loadOpenBLAS loads OpenBLAS once per process and pins its thread count:
// OpenBLAS splits work by thread, so its results depend on the count, and a
// fixed count makes repeated runs agree to the bit.
func loadOpenBLAS(threads int) (*openBLAS, error) {
	openOnce.Do(func() { openResult, openErr = dlopenOpenBLAS(threads) })
	if openErr != nil {
		return nil, openErr
	}
	if openResult.asked != threads {
		return nil, fmt.Errorf("openblas already loaded with %d threads; %d asked", openResult.asked, threads)
	}
	return openResult, nil
}

func dlopenOpenBLAS(threads int) (*openBLAS, error) {
	names := openBLASNames
	if p := os.Getenv("NETGEOM_OPENBLAS"); p != "" {
		names = []string{p}
	}
	quietThreads()
	var lib uintptr
	var path string
	var errs []string
	for _, name := range names {
		h, err := purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil {
			lib, path = h, name
			break
		}
		errs = append(errs, err.Error())
	}
	if lib == 0 {
		return nil, fmt.Errorf("cannot load OpenBLAS (%s); on Debian/Ubuntu: apt-get install libopenblas0", strings.Join(errs, "; "))
	}
	o := &openBLAS{path: path, asked: threads, threads: threads}
	syms := []struct {
		fn   any
		name string
	}{
		{&o.dgemm, "cblas_dgemm"}, {&o.dgemv, "cblas_dgemv"}, {&o.ddot, "cblas_ddot"},
		{&o.daxpy, "cblas_daxpy"}, {&o.dscal, "cblas_dscal"}, {&o.dnrm2, "cblas_dnrm2"},
	}
	for _, s := range syms {
		if _, err := purego.Dlsym(lib, s.name); err != nil {
			return nil, fmt.Errorf("%s lacks %s: %v", path, s.name, err)
		}
		purego.RegisterLibFunc(s.fn, lib, s.name)
	}
	var setThreads func(int32)
	var getThreads func() int32
	for _, s := range []struct {
		fn   any
		name string
	}{{&setThreads, "openblas_set_num_threads"}, {&getThreads, "openblas_get_num_threads"}} {
		if _, err := purego.Dlsym(lib, s.name); err != nil {
			return nil, fmt.Errorf("%s is not OpenBLAS (no %s): cannot pin its thread count", path, s.name)
		}
		purego.RegisterLibFunc(s.fn, lib, s.name)
	}
	setThreads(int32(threads))
	if got := int(getThreads()); got != threads {
		// Its build caps the count (NUM_THREADS): run with the cap, which
		// is as fixed a count as the one asked, and say so.
		if got < 1 || got > threads {
			return nil, fmt.Errorf("%s: asked for %d threads, it runs %d", path, threads, got)
		}
		o.threads = got
	}
	for _, s := range []struct {
		fn   any
		name string
	}{{&o.sgemm, "cblas_sgemm"}, {&o.sgemv, "cblas_sgemv"}} {
		if _, err := purego.Dlsym(lib, s.name); err == nil {
			purego.RegisterLibFunc(s.fn, lib, s.name)
		}
	}
	if _, err := purego.Dlsym(lib, "dsyevd_"); err == nil {
		purego.RegisterLibFunc(&o.dsyevd, lib, "dsyevd_")
	}
	if _, err := purego.Dlsym(lib, "openblas_get_config"); err == nil {
		var config func() string
		purego.RegisterLibFunc(&config, lib, "openblas_get_config")
		o.config = strings.TrimSpace(config())
	}
	return o, nil
}

func ptr[F float32 | float64](s []F) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

func cblasTranspose(t blas.Transpose) int32 {
	if t == blas.NoTrans {
		return cblasNoTrans
	}
	return cblasTrans
}

func (o *openBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	o.dgemm(cblasRowMajor, cblasTranspose(tA), cblasTranspose(tB), int32(m), int32(n), int32(k), alpha, ptr(a), int32(lda), ptr(b), int32(ldb), beta, ptr(c), int32(ldc))
}

func (o *openBLAS) Dgemv(tA blas.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incX int, beta float64, y []float64, incY int) {
	o.dgemv(cblasRowMajor, cblasTranspose(tA), int32(m), int32(n), alpha, ptr(a), int32(lda), ptr(x), int32(incX), beta, ptr(y), int32(incY))
}

func (o *openBLAS) Ddot(n int, x []float64, incX int, y []float64, incY int) float64 {
	return o.ddot(int32(n), ptr(x), int32(incX), ptr(y), int32(incY))
}

func (o *openBLAS) Daxpy(n int, alpha float64, x []float64, incX int, y []float64, incY int) {
	o.daxpy(int32(n), alpha, ptr(x), int32(incX), ptr(y), int32(incY))
}

func (o *openBLAS) Dscal(n int, alpha float64, x []float64, incX int) {
	o.dscal(int32(n), alpha, ptr(x), int32(incX))
}

func (o *openBLAS) Dnrm2(n int, x []float64, incX int) float64 {
	return o.dnrm2(int32(n), ptr(x), int32(incX))
}

func (o *openBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	o.sgemm(cblasRowMajor, cblasTranspose(tA), cblasTranspose(tB), int32(m), int32(n), int32(k), alpha, ptr(a), int32(lda), ptr(b), int32(ldb), beta, ptr(c), int32(ldc))
}

func (o *openBLAS) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	o.sgemv(cblasRowMajor, cblasTranspose(tA), int32(m), int32(n), alpha, ptr(a), int32(lda), ptr(x), int32(incX), beta, ptr(y), int32(incY))
}

// DirectDgemm calls OpenBLAS's cblas_dgemm on host slices with no engine
// layer in between: C = A B for column-major m x k A, k x n B and m x n C
// with tight leading dimensions. It exists so that benchmarks can measure
// OpenBLAS's own rate beside the engine's in the same run. It loads OpenBLAS
// with the given thread count, or returns the loader's error.
func DirectDgemm(threads, m, n, k int, a, b, c []float64) error {
	o, err := loadOpenBLAS(threads)
	if err != nil {
		return err
	}
	if len(a) < m*k || len(b) < k*n || len(c) < m*n {
		return fmt.Errorf("direct dgemm: slices shorter than %dx%dx%d", m, n, k)
	}
	const colMajor = 102
	o.dgemm(colMajor, cblasNoTrans, cblasNoTrans, int32(m), int32(n), int32(k), 1, ptr(a), int32(m), ptr(b), int32(k), 0, ptr(c), int32(m))
	return nil
}

// threadTimeout is the OPENBLAS_THREAD_TIMEOUT netgeom sets when the user
// has not: OpenBLAS's idle threads spin for about 2^n cycles before they
// sleep, and its default (n = 28, a tenth of a second) keeps them spinning
// through the elementwise work netgeom does between products, on the same
// cores. At 4 (OpenBLAS's minimum) a forward pass at width 2048 took about
// 10% less CPU time and ran up to 10% faster (bench/RESULTS.md).
const threadTimeout = "4"

// quietThreads puts OPENBLAS_THREAD_TIMEOUT into the C environment, which
// OpenBLAS reads when it is loaded, unless the process was started with
// it. Go's os.Setenv does not reach the C environment in a build without
// cgo, so setenv is called in libc; where that fails nothing is changed.
func quietThreads() {
	if _, set := os.LookupEnv("OPENBLAS_THREAD_TIMEOUT"); set {
		return
	}
	libc, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return
	}
	if _, err := purego.Dlsym(libc, "setenv"); err != nil {
		return
	}
	var setenv func(name, value string, overwrite int32) int32
	purego.RegisterLibFunc(&setenv, libc, "setenv")
	setenv("OPENBLAS_THREAD_TIMEOUT", threadTimeout, 0)
}
