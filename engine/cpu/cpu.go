package cpu

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/rng"
	"github.com/netgeom/netgeom/internal/memory"
)

func init() {
	engine.Register("cpu", func() (engine.Backend, error) { return New(Options{}) })
}

// Options configure a CPU backend. Zero values take the environment's
// settings (NETGEOM_BLAS, NETGEOM_THREADS) and then the defaults.
type Options struct {
	// BLAS is "openblas", "gonum", or "" for OpenBLAS when it loads.
	BLAS string
	// Threads is the BLAS and worker thread count; 0 means all cores.
	Threads int
}

// kernels runs every engine op on the CPU, on []float64 handles; New wraps
// it in engine.Checked, which checks every argument before a kernel runs.
// Its only state is set by New, so kernels of several goroutines run at the
// same time.
type kernels struct {
	impl     level
	blasName string
	why      string // why this BLAS
	threads  int
	details  map[string]string
	pool     pool // large freed buffers (pool.go)
}

// New opens a CPU backend.
func New(opt Options) (engine.Backend, error) {
	choice, from := strings.ToLower(strings.TrimSpace(opt.BLAS)), "Options.BLAS"
	if choice == "" {
		choice, from = strings.ToLower(strings.TrimSpace(os.Getenv("NETGEOM_BLAS"))), "NETGEOM_BLAS"
	}
	threads := opt.Threads
	if threads == 0 {
		if s := os.Getenv("NETGEOM_THREADS"); s != "" {
			t, err := strconv.Atoi(s)
			if err != nil || t < 1 {
				return nil, fmt.Errorf("cpu backend: NETGEOM_THREADS=%q: want a positive integer", s)
			}
			threads = t
		}
	}
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	if threads < 1 {
		return nil, fmt.Errorf("cpu backend: %d threads; want at least 1", threads)
	}
	b := &kernels{threads: threads, details: map[string]string{}}
	switch choice {
	case "", "auto":
		o, err := loadOpenBLAS(threads)
		if err == nil {
			b.useOpenBLAS(o, "OpenBLAS found")
		} else {
			b.impl, b.blasName = gonum.Implementation{}, "gonum"
			b.why = "pure-Go fallback: " + err.Error()
		}
	case "openblas":
		o, err := loadOpenBLAS(threads)
		if err != nil {
			return nil, fmt.Errorf("cpu backend: NETGEOM_BLAS=openblas but %w", err)
		}
		b.useOpenBLAS(o, "forced by NETGEOM_BLAS=openblas")
	case "gonum":
		b.impl, b.blasName = gonum.Implementation{}, "gonum"
		b.why = "forced by NETGEOM_BLAS=gonum"
	default:
		return nil, fmt.Errorf("cpu backend: %s=%q: valid values are openblas, gonum (or auto)", from, choice)
	}
	b.details["blas_reason"] = b.why
	return engine.Checked[[]float64](b), nil
}

func (b *kernels) useOpenBLAS(o *openBLAS, why string) {
	b.impl, b.blasName, b.why = o, "openblas", why
	inUse.Store(o)
	if o.threads != o.asked {
		// The whole backend runs OpenBLAS's count, so that Info tells the
		// truth; a warning says the count asked was not honoured.
		b.threads = o.threads
		b.details["threads_asked"] = strconv.Itoa(o.asked)
		engine.Warnf("cpu backend: %d threads asked (NETGEOM_THREADS or the machine's cores); this OpenBLAS runs at most %d, so it runs %d", o.asked, o.threads, o.threads)
	}
	b.details["openblas_path"] = o.path
	if o.config != "" {
		b.details["openblas_config"] = o.config
	}
}

// Info implements engine.Kernels.
func (b *kernels) Info() engine.Info {
	d := map[string]string{}
	for k, v := range b.details {
		d[k] = v
	}
	return engine.Info{Backend: "cpu", Device: cpuModel(), BLAS: b.blasName, Threads: b.threads, Details: d}
}

// Close implements engine.Kernels: the memory is the collector's (the
// pool lets go of its buffers).
func (b *kernels) Close() error {
	b.pool.empty()
	return nil
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				return fmt.Sprintf("%s (%d cores)", strings.TrimSpace(v), runtime.NumCPU())
			}
		}
	}
	return fmt.Sprintf("%s/%s (%d cores)", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

// MaxInt implements engine.Kernels: OpenBLAS takes 32-bit integers.
func (b *kernels) MaxInt() (int, string) {
	if b.blasName == "openblas" {
		return math.MaxInt32, "OpenBLAS's 32-bit integers"
	}
	return math.MaxInt, "the largest int"
}

// bigAlloc is the size from which Alloc first asks whether the memory is
// there (reading /proc costs microseconds; small buffers are not worth it).
const bigAlloc = 64 << 20

// Alloc implements engine.Kernels. A large buffer that the machine (or an
// address-space or cgroup limit) cannot hold is refused with
// engine.ErrOutOfMemory and the sizes, before Go's allocator would end
// the process.
func (b *kernels) Alloc(n int) ([]float64, error) {
	if int64(n)*8 >= poolMin {
		if x := b.pool.take(n); x != nil {
			b.parallel(n, func(lo, hi int) { clear(x[lo:hi]) })
			return x, nil
		}
	}
	if bytes := int64(n) * 8; bytes >= bigAlloc {
		if err := memory.Check(bytes, fmt.Sprintf("a buffer of %d float64s", n)); err != nil {
			return nil, fmt.Errorf("%w: %w", engine.ErrOutOfMemory, err)
		}
	}
	return make([]float64, n), nil
}

// Free implements engine.Kernels: a large buffer goes to the pool when it
// fits there (pool.go); otherwise the collector frees the memory once the
// last view of it is gone.
func (b *kernels) Free(x []float64) error {
	b.pool.put(x)
	return nil
}

// View implements engine.Kernels.
func (b *kernels) View(x []float64, off, n int) []float64 { return x[off : off+n : off+n] }

// Upload implements engine.Kernels.
func (b *kernels) Upload(dst, src []float64) error {
	copy(dst, src)
	return nil
}

// Download implements engine.Kernels.
func (b *kernels) Download(dst, src []float64) error {
	copy(dst, src)
	return nil
}

// Copy implements engine.Kernels.
func (b *kernels) Copy(dst, src []float64, _ int) error {
	copy(dst, src)
	return nil
}

// Fill implements engine.Kernels.
func (b *kernels) Fill(dst []float64, n int, v float64) error {
	b.parallel(n, func(lo, hi int) {
		s := dst[lo:hi]
		for i := range s {
			s[i] = v
		}
	})
	return nil
}

func toGonum(t engine.Transpose) blas.Transpose {
	if t == engine.Trans {
		return blas.Trans
	}
	return blas.NoTrans
}

// Gemm implements engine.Kernels. A column-major product C = op(A) op(B) is
// the row-major product C^T = op(B)^T op(A)^T, so gonum's row-major Dgemm is
// called with the operands swapped.
func (b *kernels) Gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a []float64, lda int, bb []float64, ldb int, beta float64, c []float64, ldc int) error {
	b.gemm(tA, tB, m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc)
	return nil
}

func (b *kernels) gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a []float64, lda int, bb []float64, ldb int, beta float64, c []float64, ldc int) {
	if k == 0 {
		// C = beta C; BLAS's convention that beta = 0 overwrites C (NaN too).
		for j := 0; j < n; j++ {
			col := c[j*ldc : j*ldc+m]
			for i := range col {
				if beta == 0 {
					col[i] = 0
				} else {
					col[i] *= beta
				}
			}
		}
		return
	}
	ar, ac := engine.StoredShape(tA, m, k)
	br, bc := engine.StoredShape(tB, k, n)
	b.impl.Dgemm(toGonum(tB), toGonum(tA), n, m, k, alpha,
		bb[:engine.MatrixSpan(br, bc, ldb)], ldb,
		a[:engine.MatrixSpan(ar, ac, lda)], lda,
		beta, c[:engine.MatrixSpan(m, n, ldc)], ldc)
}

// GemmStridedBatched implements engine.Kernels.
func (b *kernels) GemmStridedBatched(tA, tB engine.Transpose, m, n, k int, alpha float64, a []float64, lda, strideA int, bb []float64, ldb, strideB int, beta float64, c []float64, ldc, strideC int, batch int) error {
	if m*n*k <= smallGemm {
		// Many tiny products (attention's T x T scores of each sample):
		// a call into BLAS per product costs more than the product.
		b.parallelCols(max(1, m*n*k), batch, func(i int) {
			smallGemmKernel(tA, tB, m, n, k, alpha, a[i*strideA:], lda, bb[i*strideB:], ldb, beta, c[i*strideC:], ldc)
		})
		return nil
	}
	for i := 0; i < batch; i++ {
		b.gemm(tA, tB, m, n, k, alpha, a[i*strideA:], lda, bb[i*strideB:], ldb, beta, c[i*strideC:], ldc)
	}
	return nil
}

// smallGemm is the largest m n k for which GemmStridedBatched computes each
// product in Go (smallGemmKernel) instead of calling BLAS once per product.
const smallGemm = 16 * 16 * 16

// smallGemmKernel sets the column-major m x n matrix C = alpha op(A) op(B)
// + beta C (C not read when beta is 0, as BLAS), each element's sum over k
// in index order.
func smallGemmKernel(tA, tB engine.Transpose, m, n, k int, alpha float64, a []float64, lda int, bb []float64, ldb int, beta float64, c []float64, ldc int) {
	// Element strides of op(A)[r, p] and op(B)[p, col].
	ar, ap := 1, lda
	if tA == engine.Trans {
		ar, ap = lda, 1
	}
	bp, bc := 1, ldb
	if tB == engine.Trans {
		bp, bc = ldb, 1
	}
	for col := 0; col < n; col++ {
		for r := 0; r < m; r++ {
			s := 0.0
			ia, ib := r*ar, col*bc
			for p := 0; p < k; p++ {
				s += a[ia] * bb[ib]
				ia += ap
				ib += bp
			}
			if beta == 0 {
				c[r+col*ldc] = alpha * s
			} else {
				c[r+col*ldc] = alpha*s + beta*c[r+col*ldc]
			}
		}
	}
}

// Gemv implements engine.Kernels. Column-major y = op(A) x is row-major
// y = op'(A^T) x with A^T n x m.
func (b *kernels) Gemv(tA engine.Transpose, m, n int, alpha float64, a []float64, lda int, x []float64, incx int, beta float64, y []float64, incy int) error {
	xn, yn := n, m
	if tA == engine.Trans {
		xn, yn = m, n
	}
	if xn == 0 {
		for i := 0; i < yn; i++ {
			if beta == 0 {
				y[i*incy] = 0
			} else {
				y[i*incy] *= beta
			}
		}
		return nil
	}
	rt := blas.Trans
	if tA == engine.Trans {
		rt = blas.NoTrans
	}
	b.impl.Dgemv(rt, n, m, alpha, a[:engine.MatrixSpan(m, n, lda)], lda,
		x[:engine.VectorSpan(xn, incx)], incx, beta, y[:engine.VectorSpan(yn, incy)], incy)
	return nil
}

// Dot implements engine.Kernels.
func (b *kernels) Dot(n int, x []float64, incx int, y []float64, incy int) (float64, error) {
	return b.impl.Ddot(n, x[:engine.VectorSpan(n, incx)], incx, y[:engine.VectorSpan(n, incy)], incy), nil
}

// Axpy implements engine.Kernels.
func (b *kernels) Axpy(n int, alpha float64, x []float64, incx int, y []float64, incy int) error {
	b.impl.Daxpy(n, alpha, x[:engine.VectorSpan(n, incx)], incx, y[:engine.VectorSpan(n, incy)], incy)
	return nil
}

// Scal implements engine.Kernels.
func (b *kernels) Scal(n int, alpha float64, x []float64, incx int) error {
	b.impl.Dscal(n, alpha, x[:engine.VectorSpan(n, incx)], incx)
	return nil
}

// Nrm2 implements engine.Kernels.
func (b *kernels) Nrm2(n int, x []float64, incx int) (float64, error) {
	return b.impl.Dnrm2(n, x[:engine.VectorSpan(n, incx)], incx), nil
}

// FillNormal implements engine.Kernels: each chunk draws its own range of
// the Philox stream, so the result does not depend on the chunking.
func (b *kernels) FillNormal(dst []float64, n int, seed, stream, start uint64, std float64) error {
	b.parallel(n, func(lo, hi int) {
		s := dst[lo:hi]
		rng.FillNormal(s, seed, stream, start+uint64(lo))
		if std != 1 {
			for i := range s {
				s[i] *= std
			}
		}
	})
	return nil
}

// ActivateDerivative implements engine.Kernels.
func (b *kernels) ActivateDerivative(f activation.Func, order, n int, hs, os []float64) error {
	fn := [...]func(float64) float64{f.Phi, f.D1, f.D2, f.D3}[order]
	b.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			os[i] = fn(hs[i])
		}
	})
	return nil
}

// ActivateJet implements engine.Kernels. The order of operations is fixed
// (and mirrored by the CUDA kernel): dx = d1*v, ddx = (d2*v)*v + d1*a, each
// product rounded before the sum.
func (b *kernels) ActivateJet(f activation.Func, n int, hs, vs, as, xs, dxs, ddxs []float64) error {
	b.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			hh, vv, aa := hs[i], vs[i], as[i]
			phi, d1, d2 := f.Jet(hh)
			xs[i] = phi
			dxs[i] = d1 * vv
			ddxs[i] = float64(float64(d2*vv)*vv) + float64(d1*aa)
		}
	})
	return nil
}

// ActivateBackward implements engine.Kernels.
func (b *kernels) ActivateBackward(f activation.Func, n int, hs, gxs, ghs []float64) error {
	b.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ghs[i] = f.D1(hs[i]) * gxs[i]
		}
	})
	return nil
}

// AddBias implements engine.Kernels.
func (b *kernels) AddBias(m, n int, bias, cs []float64, ldc int) error {
	bs := bias[:m]
	b.parallelCols(m, n, func(j int) {
		col := cs[j*ldc : j*ldc+m]
		for i := range col {
			col[i] += bs[i]
		}
	})
	return nil
}

// Hadamard implements engine.Kernels.
func (b *kernels) Hadamard(n int, xs, ys, zs []float64) error {
	b.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			zs[i] = xs[i] * ys[i]
		}
	})
	return nil
}

// ColumnDots implements engine.Kernels. Each column's sum runs in index
// order on one goroutine.
func (b *kernels) ColumnDots(m, n int, as []float64, lda int, bs []float64, ldb int, os []float64) error {
	b.parallelCols(m, n, func(j int) {
		ca, cb := as[j*lda:j*lda+m], bs[j*ldb:j*ldb+m]
		s := 0.0
		for i := range ca {
			s += float64(ca[i] * cb[i])
		}
		os[j] = s
	})
	return nil
}
