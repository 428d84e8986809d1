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
	engine.Register("cpu", func(dt engine.DType) (engine.Backend, error) { return New(Options{DType: dt}) })
}

// Options configure a CPU backend. Zero values take the environment's
// settings (NETGEOM_BLAS, NETGEOM_THREADS) and then the defaults.
type Options struct {
	// BLAS is "openblas", "gonum", or "" for OpenBLAS when it loads.
	BLAS string
	// Threads is the BLAS and worker thread count; 0 means all cores.
	Threads int
	// DType is the precision of every buffer: engine.Float64 (the zero
	// value) or engine.Float32 (float32 storage and products; see
	// engine.Float32 for what accumulates in float64).
	DType engine.DType
}

// kernels runs every engine op on the CPU, on []F handles (F the backend's
// precision); New wraps it in engine.Checked, which checks every argument
// before a kernel runs. Its only state is set by New, so kernels of several
// goroutines run at the same time.
type kernels[F float32 | float64] struct {
	impl     level // the float64 BLAS (also the source of the float32 one)
	la       linalg[F]
	blasName string
	why      string // why this BLAS
	threads  int
	details  map[string]string
	pool     pool[F] // large freed buffers (pool.go)
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
	if opt.DType != engine.Float64 && opt.DType != engine.Float32 {
		return nil, fmt.Errorf("cpu backend: DType %v: want float64 or float32", opt.DType)
	}
	b := &kernels[float64]{threads: threads, details: map[string]string{}}
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
	if opt.DType == engine.Float32 {
		s := &kernels[float32]{la: newLinalg32(b.impl), blasName: b.blasName, why: b.why, threads: b.threads, details: b.details}
		return engine.Checked[[]float32](s), nil
	}
	b.la = linalg64{b.impl}
	return engine.Checked[[]float64](b), nil
}

func (b *kernels[F]) useOpenBLAS(o *openBLAS, why string) {
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
func (b *kernels[F]) Info() engine.Info {
	d := map[string]string{}
	for k, v := range b.details {
		d[k] = v
	}
	return engine.Info{Backend: "cpu", Device: cpuModel(), BLAS: b.blasName, Threads: b.threads, Details: d}
}

// DType implements engine.Kernels.
func (b *kernels[F]) DType() engine.DType {
	var x F
	if _, ok := any(x).(float32); ok {
		return engine.Float32
	}
	return engine.Float64
}

// Close implements engine.Kernels: the memory is the collector's (the
// pool lets go of its buffers).
func (b *kernels[F]) Close() error {
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
func (b *kernels[F]) MaxInt() (int, string) {
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
func (b *kernels[F]) Alloc(n int) ([]F, error) {
	size := int64(b.DType().Size())
	if int64(n)*size >= poolMin {
		if x := b.pool.take(n); x != nil {
			b.parallel(n, func(lo, hi int) { clear(x[lo:hi]) })
			return x, nil
		}
	}
	if bytes := int64(n) * size; bytes >= bigAlloc {
		if err := memory.Check(bytes, fmt.Sprintf("a buffer of %d %vs", n, b.DType())); err != nil {
			return nil, fmt.Errorf("%w: %w", engine.ErrOutOfMemory, err)
		}
	}
	return make([]F, n), nil
}

// Free implements engine.Kernels: a large buffer goes to the pool when it
// fits there (pool.go); otherwise the collector frees the memory once the
// last view of it is gone.
func (b *kernels[F]) Free(x []F) error {
	b.pool.put(x)
	return nil
}

// View implements engine.Kernels.
func (b *kernels[F]) View(x []F, off, n int) []F { return x[off : off+n : off+n] }

// Upload implements engine.Kernels: float32 buffers take each number
// rounded once to the nearest float32.
func (b *kernels[F]) Upload(dst []F, src []float64) error {
	if d, ok := any(dst).([]float64); ok {
		copy(d, src)
		return nil
	}
	for i, v := range src {
		dst[i] = F(v)
	}
	return nil
}

// Download implements engine.Kernels (float32 widens exactly).
func (b *kernels[F]) Download(dst []float64, src []F) error {
	if s, ok := any(src).([]float64); ok {
		copy(dst, s)
		return nil
	}
	for i, v := range src {
		dst[i] = float64(v)
	}
	return nil
}

// Copy implements engine.Kernels.
func (b *kernels[F]) Copy(dst, src []F, _ int) error {
	copy(dst, src)
	return nil
}

// Fill implements engine.Kernels.
func (b *kernels[F]) Fill(dst []F, n int, v float64) error {
	f := F(v)
	b.parallel(n, func(lo, hi int) {
		s := dst[lo:hi]
		for i := range s {
			s[i] = f
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
// the row-major product C^T = op(B)^T op(A)^T, so gonum's row-major gemm is
// called with the operands swapped.
func (b *kernels[F]) Gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a []F, lda int, bb []F, ldb int, beta float64, c []F, ldc int) error {
	b.gemm(tA, tB, m, n, k, alpha, a, lda, bb, ldb, beta, c, ldc)
	return nil
}

func (b *kernels[F]) gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a []F, lda int, bb []F, ldb int, beta float64, c []F, ldc int) {
	if k == 0 {
		// C = beta C; BLAS's convention that beta = 0 overwrites C (NaN too).
		// No BLAS call: computed in float64 and rounded once, as the CUDA
		// backend's kernel does.
		for j := 0; j < n; j++ {
			col := c[j*ldc : j*ldc+m]
			for i := range col {
				if beta == 0 {
					col[i] = 0
				} else {
					col[i] = F(beta * float64(col[i]))
				}
			}
		}
		return
	}
	ar, ac := engine.StoredShape(tA, m, k)
	br, bc := engine.StoredShape(tB, k, n)
	b.la.gemm(toGonum(tB), toGonum(tA), n, m, k, alpha,
		bb[:engine.MatrixSpan(br, bc, ldb)], ldb,
		a[:engine.MatrixSpan(ar, ac, lda)], lda,
		beta, c[:engine.MatrixSpan(m, n, ldc)], ldc)
}

// GemmStridedBatched implements engine.Kernels.
func (b *kernels[F]) GemmStridedBatched(tA, tB engine.Transpose, m, n, k int, alpha float64, a []F, lda, strideA int, bb []F, ldb, strideB int, beta float64, c []F, ldc, strideC int, batch int) error {
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
// in index order, in float64 (for float32 buffers: the products exact, the
// result rounded once).
func smallGemmKernel[F float32 | float64](tA, tB engine.Transpose, m, n, k int, alpha float64, a []F, lda int, bb []F, ldb int, beta float64, c []F, ldc int) {
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
				s += float64(a[ia]) * float64(bb[ib])
				ia += ap
				ib += bp
			}
			if beta == 0 {
				c[r+col*ldc] = F(alpha * s)
			} else {
				c[r+col*ldc] = F(alpha*s + beta*float64(c[r+col*ldc]))
			}
		}
	}
}

// Gemv implements engine.Kernels. Column-major y = op(A) x is row-major
// y = op'(A^T) x with A^T n x m.
func (b *kernels[F]) Gemv(tA engine.Transpose, m, n int, alpha float64, a []F, lda int, x []F, incx int, beta float64, y []F, incy int) error {
	xn, yn := n, m
	if tA == engine.Trans {
		xn, yn = m, n
	}
	if xn == 0 {
		for i := 0; i < yn; i++ {
			if beta == 0 {
				y[i*incy] = 0
			} else {
				y[i*incy] = F(beta * float64(y[i*incy])) // as gemm with k = 0
			}
		}
		return nil
	}
	rt := blas.Trans
	if tA == engine.Trans {
		rt = blas.NoTrans
	}
	b.la.gemv(rt, n, m, alpha, a[:engine.MatrixSpan(m, n, lda)], lda,
		x[:engine.VectorSpan(xn, incx)], incx, beta, y[:engine.VectorSpan(yn, incy)], incy)
	return nil
}

// Dot implements engine.Kernels.
func (b *kernels[F]) Dot(n int, x []F, incx int, y []F, incy int) (float64, error) {
	return b.la.dot(n, x[:engine.VectorSpan(n, incx)], incx, y[:engine.VectorSpan(n, incy)], incy), nil
}

// Axpy implements engine.Kernels.
func (b *kernels[F]) Axpy(n int, alpha float64, x []F, incx int, y []F, incy int) error {
	b.la.axpy(n, alpha, x[:engine.VectorSpan(n, incx)], incx, y[:engine.VectorSpan(n, incy)], incy)
	return nil
}

// Scal implements engine.Kernels.
func (b *kernels[F]) Scal(n int, alpha float64, x []F, incx int) error {
	b.la.scal(n, alpha, x[:engine.VectorSpan(n, incx)], incx)
	return nil
}

// Nrm2 implements engine.Kernels.
func (b *kernels[F]) Nrm2(n int, x []F, incx int) (float64, error) {
	return b.la.nrm2(n, x[:engine.VectorSpan(n, incx)], incx), nil
}

// FillNormal implements engine.Kernels: each chunk draws its own range of
// the Philox stream, so the result does not depend on the chunking. A
// float32 buffer gets std times the float64 normal, rounded once: a
// float32 network is the float64 network rounded.
func (b *kernels[F]) FillNormal(dst []F, n int, seed, stream, start uint64, std float64) error {
	if d, ok := any(dst).([]float64); ok {
		b.parallel(n, func(lo, hi int) {
			s := d[lo:hi]
			rng.FillNormal(s, seed, stream, start+uint64(lo))
			if std != 1 {
				for i := range s {
					s[i] *= std
				}
			}
		})
		return nil
	}
	b.parallel(n, func(lo, hi int) {
		var tmp [chunk]float64
		for at := lo; at < hi; at += chunk {
			s := tmp[:min(chunk, hi-at)]
			rng.FillNormal(s, seed, stream, start+uint64(at))
			for i, v := range s {
				dst[at+i] = F(std * v)
			}
		}
	})
	return nil
}

// ActivateDerivative implements engine.Kernels. Every activation is
// evaluated in float64 (a float32 result rounded once).
func (b *kernels[F]) ActivateDerivative(f activation.Func, order, n int, hs, os []F) error {
	fn := [...]func(float64) float64{f.Phi, f.D1, f.D2, f.D3}[order]
	if h, ok := any(hs).([]float64); ok {
		o := any(os).([]float64)
		b.parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				o[i] = fn(h[i])
			}
		})
		return nil
	}
	b.parallel(n, func(lo, hi int) {
		var x [stage]float64
		for at := lo; at < hi; at += stage {
			m := min(stage, hi-at)
			widen(x[:m], hs[at:at+m])
			for i, v := range x[:m] {
				x[i] = fn(v)
			}
			narrow(os[at:at+m], x[:m])
		}
	})
	return nil
}

// ActivateJet implements engine.Kernels. The order of operations is fixed
// (and mirrored by the CUDA kernel): dx = d1*v, ddx = (d2*v)*v + d1*a, each
// product rounded before the sum, in float64 (float32 results rounded
// once at the end).
func (b *kernels[F]) ActivateJet(f activation.Func, n int, hs, vs, as, xs, dxs, ddxs []F) error {
	jet := func(hh, vv, aa float64) (float64, float64, float64) {
		phi, d1, d2 := f.Jet(hh)
		return phi, d1 * vv, float64(float64(d2*vv)*vv) + float64(d1*aa)
	}
	if h, ok := any(hs).([]float64); ok {
		v, a := any(vs).([]float64), any(as).([]float64)
		x, dx, ddx := any(xs).([]float64), any(dxs).([]float64), any(ddxs).([]float64)
		b.parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				x[i], dx[i], ddx[i] = jet(h[i], v[i], a[i])
			}
		})
		return nil
	}
	b.parallel(n, func(lo, hi int) {
		var h, v, a [stage]float64
		for at := lo; at < hi; at += stage {
			m := min(stage, hi-at)
			widen(h[:m], hs[at:at+m])
			widen(v[:m], vs[at:at+m])
			widen(a[:m], as[at:at+m])
			for i := range m {
				h[i], v[i], a[i] = jet(h[i], v[i], a[i])
			}
			narrow(xs[at:at+m], h[:m])
			narrow(dxs[at:at+m], v[:m])
			narrow(ddxs[at:at+m], a[:m])
		}
	})
	return nil
}

// ActivateBackward implements engine.Kernels.
func (b *kernels[F]) ActivateBackward(f activation.Func, n int, hs, gxs, ghs []F) error {
	if h, ok := any(hs).([]float64); ok {
		gx, gh := any(gxs).([]float64), any(ghs).([]float64)
		b.parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				gh[i] = f.D1(h[i]) * gx[i]
			}
		})
		return nil
	}
	b.parallel(n, func(lo, hi int) {
		var h, g [stage]float64
		for at := lo; at < hi; at += stage {
			m := min(stage, hi-at)
			widen(h[:m], hs[at:at+m])
			widen(g[:m], gxs[at:at+m])
			for i := range m {
				h[i] = f.D1(h[i]) * g[i]
			}
			narrow(ghs[at:at+m], h[:m])
		}
	})
	return nil
}

// stage is the block of a float32 elementwise op widened to float64 at a
// time: converting inside the loop of the arithmetic ties every iteration
// to the last through the conversion's register (a false dependency the
// processor does not break), which made float32 tanh 1.7 times slower than
// float64's; converting a block in a loop of its own does not.
const stage = 1024

// widen sets dst[i] = float64(src[i]).
func widen[F float32 | float64](dst []float64, src []F) {
	for i, v := range src {
		dst[i] = float64(v)
	}
}

// narrow sets dst[i] = F(src[i]), rounding once.
func narrow[F float32 | float64](dst []F, src []float64) {
	for i, v := range src {
		dst[i] = F(v)
	}
}

// AddBias implements engine.Kernels.
func (b *kernels[F]) AddBias(m, n int, bias, cs []F, ldc int) error {
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
func (b *kernels[F]) Hadamard(n int, xs, ys, zs []F) error {
	b.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			zs[i] = xs[i] * ys[i]
		}
	})
	return nil
}

// ColumnDots implements engine.Kernels. Each column's sum runs in index
// order on one goroutine, in float64 (float32 products are exact there).
func (b *kernels[F]) ColumnDots(m, n int, as []F, lda int, bs []F, ldb int, os []F) error {
	b.parallelCols(m, n, func(j int) {
		ca, cb := as[j*lda:j*lda+m], bs[j*ldb:j*ldb+m]
		s := 0.0
		for i := range ca {
			s += float64(float64(ca[i]) * float64(cb[i]))
		}
		os[j] = F(s)
	})
	return nil
}
