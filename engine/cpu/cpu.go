package cpu

import (
	"bufio"
	"errors"
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

// Backend runs every engine op on the CPU.
type Backend struct {
	impl     level
	blasName string
	why      string // why this BLAS
	threads  int
	details  map[string]string
	closed   bool
}

// New opens a CPU backend.
func New(opt Options) (*Backend, error) {
	choice := strings.ToLower(opt.BLAS)
	if choice == "" {
		choice = strings.ToLower(os.Getenv("NETGEOM_BLAS"))
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
	b := &Backend{threads: threads, details: map[string]string{}}
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
		return nil, fmt.Errorf("cpu backend: unknown BLAS %q: valid values are openblas, gonum", choice)
	}
	b.details["blas_reason"] = b.why
	return b, nil
}

func (b *Backend) useOpenBLAS(o *openBLAS, why string) {
	b.impl, b.blasName, b.why = o, "openblas", why
	b.details["openblas_path"] = o.path
	if o.config != "" {
		b.details["openblas_config"] = o.config
	}
}

// BLAS names the BLAS in use: "openblas" or "gonum".
func (b *Backend) BLAS() string { return b.blasName }

// Info implements engine.Backend.
func (b *Backend) Info() engine.Info {
	d := map[string]string{}
	for k, v := range b.details {
		d[k] = v
	}
	return engine.Info{Backend: "cpu", Device: cpuModel(), BLAS: b.blasName, Threads: b.threads, Details: d}
}

// Close implements engine.Backend.
func (b *Backend) Close() error {
	b.closed = true
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

// allocation is shared by a buffer and its views, so freeing the parent
// invalidates every view.
type allocation struct{ freed bool }

type buffer struct {
	owner *Backend
	data  []float64
	alloc *allocation
	view  bool
}

func (x *buffer) Len() int            { return len(x.data) }
func (x *buffer) DType() engine.DType { return engine.Float64 }

// Alloc implements engine.Backend.
func (b *Backend) Alloc(dt engine.DType, n int) (engine.Buffer, error) {
	if b.closed {
		return nil, errors.New("cpu backend: closed")
	}
	if dt != engine.Float64 {
		return nil, fmt.Errorf("alloc: %w: %v buffers are not implemented yet; use float64", engine.ErrDType, dt)
	}
	if n < 0 {
		return nil, fmt.Errorf("alloc: %w: %d elements; want >= 0", engine.ErrShape, n)
	}
	if uint64(n) > math.MaxInt64/8 {
		return nil, fmt.Errorf("alloc: %w: %d float64 elements", engine.ErrOutOfMemory, n)
	}
	return &buffer{owner: b, data: make([]float64, n), alloc: &allocation{}}, nil
}

// get returns the backend's own buffer behind x, or an error naming the op.
func (b *Backend) get(op string, x engine.Buffer) (*buffer, error) {
	if x == nil {
		return nil, fmt.Errorf("%s: nil buffer", op)
	}
	buf, ok := x.(*buffer)
	if !ok || buf.owner != b {
		if x.DType() != engine.Float64 {
			return nil, fmt.Errorf("%s: %w: %v", op, engine.ErrDType, x.DType())
		}
		return nil, fmt.Errorf("%s: %w", op, engine.ErrForeign)
	}
	if buf.alloc.freed {
		return nil, fmt.Errorf("%s: %w", op, engine.ErrFreed)
	}
	return buf, nil
}

func (b *Backend) data(op string, xs ...engine.Buffer) ([][]float64, error) {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		buf, err := b.get(op, x)
		if err != nil {
			return nil, err
		}
		out[i] = buf.data
	}
	return out, nil
}

// Free implements engine.Backend.
func (b *Backend) Free(x engine.Buffer) error {
	buf, err := b.get("free", x)
	if err != nil {
		return err
	}
	if buf.view {
		return errors.New("free: the buffer is a view; free its parent")
	}
	buf.alloc.freed = true
	buf.data = nil
	return nil
}

// Slice implements engine.Backend.
func (b *Backend) Slice(x engine.Buffer, off, n int) (engine.Buffer, error) {
	buf, err := b.get("slice", x)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off > len(buf.data)-n {
		return nil, fmt.Errorf("slice: %w: [%d, %d+%d) outside a buffer of %d elements", engine.ErrShape, off, off, n, len(buf.data))
	}
	return &buffer{owner: b, data: buf.data[off : off+n : off+n], alloc: buf.alloc, view: true}, nil
}

// Upload implements engine.Backend.
func (b *Backend) Upload(dst engine.Buffer, src []float64) error {
	d, err := b.get("upload", dst)
	if err != nil {
		return err
	}
	if len(src) != len(d.data) {
		return fmt.Errorf("upload: %w: %d host elements into a buffer of %d", engine.ErrShape, len(src), len(d.data))
	}
	copy(d.data, src)
	return nil
}

// Download implements engine.Backend.
func (b *Backend) Download(dst []float64, src engine.Buffer) error {
	s, err := b.get("download", src)
	if err != nil {
		return err
	}
	if len(dst) != len(s.data) {
		return fmt.Errorf("download: %w: a buffer of %d elements into %d host elements", engine.ErrShape, len(s.data), len(dst))
	}
	copy(dst, s.data)
	return nil
}

// Copy implements engine.Backend.
func (b *Backend) Copy(dst, src engine.Buffer) error {
	d, err := b.data("copy", dst, src)
	if err != nil {
		return err
	}
	if len(d[0]) != len(d[1]) {
		return fmt.Errorf("copy: %w: source has %d elements, destination %d", engine.ErrShape, len(d[1]), len(d[0]))
	}
	copy(d[0], d[1])
	return nil
}

// Fill implements engine.Backend.
func (b *Backend) Fill(dst engine.Buffer, v float64) error {
	d, err := b.get("fill", dst)
	if err != nil {
		return err
	}
	b.parallel(len(d.data), func(lo, hi int) {
		s := d.data[lo:hi]
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

// fits32 checks that sizes fit OpenBLAS's 32-bit integers.
func (b *Backend) fits32(op string, vals ...int) error {
	if b.blasName != "openblas" {
		return nil
	}
	for _, v := range vals {
		if v > math.MaxInt32 {
			return fmt.Errorf("%s: %w: size %d exceeds OpenBLAS's 32-bit integers", op, engine.ErrShape, v)
		}
	}
	return nil
}

// Gemm implements engine.Backend. A column-major product C = op(A) op(B) is
// the row-major product C^T = op(B)^T op(A)^T, so gonum's row-major Dgemm is
// called with the operands swapped.
func (b *Backend) Gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a engine.Buffer, lda int, bb engine.Buffer, ldb int, beta float64, c engine.Buffer, ldc int) error {
	d, err := b.data("gemm", a, bb, c)
	if err != nil {
		return err
	}
	if err := engine.CheckGemm(tA, tB, m, n, k, lda, len(d[0]), ldb, len(d[1]), ldc, len(d[2])); err != nil {
		return err
	}
	if err := b.fits32("gemm", m, n, k, lda, ldb, ldc); err != nil {
		return err
	}
	b.gemm(tA, tB, m, n, k, alpha, d[0], lda, d[1], ldb, beta, d[2], ldc)
	return nil
}

func (b *Backend) gemm(tA, tB engine.Transpose, m, n, k int, alpha float64, a []float64, lda int, bb []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
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

// GemmStridedBatched implements engine.Backend.
func (b *Backend) GemmStridedBatched(tA, tB engine.Transpose, m, n, k int, alpha float64, a engine.Buffer, lda, strideA int, bb engine.Buffer, ldb, strideB int, beta float64, c engine.Buffer, ldc, strideC int, batch int) error {
	const op = "gemm strided batched"
	d, err := b.data(op, a, bb, c)
	if err != nil {
		return err
	}
	if err := engine.CheckGemmStridedBatched(tA, tB, m, n, k, lda, strideA, len(d[0]), ldb, strideB, len(d[1]), ldc, strideC, len(d[2]), batch); err != nil || batch == 0 {
		return err
	}
	if err := b.fits32(op, m, n, k, lda, ldb, ldc); err != nil {
		return err
	}
	if m*n*k <= smallGemm {
		// Many tiny products (attention's T x T scores of each sample):
		// a call into BLAS per product costs more than the product.
		b.parallelCols(max(1, m*n*k), batch, func(i int) {
			smallGemmKernel(tA, tB, m, n, k, alpha, d[0][i*strideA:], lda, d[1][i*strideB:], ldb, beta, d[2][i*strideC:], ldc)
		})
		return nil
	}
	for i := 0; i < batch; i++ {
		b.gemm(tA, tB, m, n, k, alpha, d[0][i*strideA:], lda, d[1][i*strideB:], ldb, beta, d[2][i*strideC:], ldc)
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

// Gemv implements engine.Backend. Column-major y = op(A) x is row-major
// y = op'(A^T) x with A^T n x m.
func (b *Backend) Gemv(tA engine.Transpose, m, n int, alpha float64, a engine.Buffer, lda int, x engine.Buffer, incx int, beta float64, y engine.Buffer, incy int) error {
	d, err := b.data("gemv", a, x, y)
	if err != nil {
		return err
	}
	if err := engine.CheckMatrix("gemv", "A", m, n, lda, len(d[0])); err != nil {
		return err
	}
	xn, yn := n, m
	if tA == engine.Trans {
		xn, yn = m, n
	}
	if err := engine.CheckVector("gemv", "x", xn, incx, len(d[1])); err != nil {
		return err
	}
	if err := engine.CheckVector("gemv", "y", yn, incy, len(d[2])); err != nil {
		return err
	}
	if err := b.fits32("gemv", m, n, lda, incx, incy); err != nil {
		return err
	}
	if yn == 0 {
		return nil
	}
	if xn == 0 {
		ys := d[2]
		for i := 0; i < yn; i++ {
			if beta == 0 {
				ys[i*incy] = 0
			} else {
				ys[i*incy] *= beta
			}
		}
		return nil
	}
	rt := blas.Trans
	if tA == engine.Trans {
		rt = blas.NoTrans
	}
	b.impl.Dgemv(rt, n, m, alpha, d[0][:engine.MatrixSpan(m, n, lda)], lda,
		d[1][:engine.VectorSpan(xn, incx)], incx, beta, d[2][:engine.VectorSpan(yn, incy)], incy)
	return nil
}

// Dot implements engine.Backend.
func (b *Backend) Dot(n int, x engine.Buffer, incx int, y engine.Buffer, incy int) (float64, error) {
	d, err := b.data("dot", x, y)
	if err != nil {
		return 0, err
	}
	if err := engine.CheckVector("dot", "x", n, incx, len(d[0])); err != nil {
		return 0, err
	}
	if err := engine.CheckVector("dot", "y", n, incy, len(d[1])); err != nil {
		return 0, err
	}
	if err := b.fits32("dot", n, incx, incy); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return b.impl.Ddot(n, d[0][:engine.VectorSpan(n, incx)], incx, d[1][:engine.VectorSpan(n, incy)], incy), nil
}

// Axpy implements engine.Backend.
func (b *Backend) Axpy(n int, alpha float64, x engine.Buffer, incx int, y engine.Buffer, incy int) error {
	d, err := b.data("axpy", x, y)
	if err != nil {
		return err
	}
	if err := engine.CheckVector("axpy", "x", n, incx, len(d[0])); err != nil {
		return err
	}
	if err := engine.CheckVector("axpy", "y", n, incy, len(d[1])); err != nil {
		return err
	}
	if err := b.fits32("axpy", n, incx, incy); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	b.impl.Daxpy(n, alpha, d[0][:engine.VectorSpan(n, incx)], incx, d[1][:engine.VectorSpan(n, incy)], incy)
	return nil
}

// Scal implements engine.Backend.
func (b *Backend) Scal(n int, alpha float64, x engine.Buffer, incx int) error {
	d, err := b.get("scal", x)
	if err != nil {
		return err
	}
	if err := engine.CheckVector("scal", "x", n, incx, len(d.data)); err != nil {
		return err
	}
	if err := b.fits32("scal", n, incx); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	b.impl.Dscal(n, alpha, d.data[:engine.VectorSpan(n, incx)], incx)
	return nil
}

// Nrm2 implements engine.Backend.
func (b *Backend) Nrm2(n int, x engine.Buffer, incx int) (float64, error) {
	d, err := b.get("nrm2", x)
	if err != nil {
		return 0, err
	}
	if err := engine.CheckVector("nrm2", "x", n, incx, len(d.data)); err != nil {
		return 0, err
	}
	if err := b.fits32("nrm2", n, incx); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	return b.impl.Dnrm2(n, d.data[:engine.VectorSpan(n, incx)], incx), nil
}

// FillNormal implements engine.Backend: each chunk draws its own range of
// the Philox stream, so the result does not depend on the chunking.
func (b *Backend) FillNormal(dst engine.Buffer, seed, stream, start uint64, std float64) error {
	d, err := b.get("fill normal", dst)
	if err != nil {
		return err
	}
	if math.IsNaN(std) || math.IsInf(std, 0) {
		return fmt.Errorf("fill normal: standard deviation %v; want a finite number", std)
	}
	b.parallel(len(d.data), func(lo, hi int) {
		s := d.data[lo:hi]
		rng.FillNormal(s, seed, stream, start+uint64(lo))
		if std != 1 {
			for i := range s {
				s[i] *= std
			}
		}
	})
	return nil
}

func actFunc(op string, id activation.ID) (activation.Func, error) {
	f, err := activation.ByID(id)
	if err != nil {
		return f, fmt.Errorf("%s: %w", op, err)
	}
	return f, nil
}

// Activate implements engine.Backend.
func (b *Backend) Activate(act activation.ID, h, x engine.Buffer) error {
	return b.ActivateDerivative(act, 0, h, x)
}

// ActivateDerivative implements engine.Backend.
func (b *Backend) ActivateDerivative(act activation.ID, order int, h, out engine.Buffer) error {
	const op = "activate"
	f, err := actFunc(op, act)
	if err != nil {
		return err
	}
	if err := engine.CheckOrder(order); err != nil {
		return err
	}
	d, err := b.data(op, h, out)
	if err != nil {
		return err
	}
	if err := engine.CheckSameLen(op, len(d[0]), len(d[1])); err != nil {
		return err
	}
	fn := [...]func(float64) float64{f.Phi, f.D1, f.D2, f.D3}[order]
	hs, os := d[0], d[1]
	b.parallel(len(hs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			os[i] = fn(hs[i])
		}
	})
	return nil
}

// ActivateJet implements engine.Backend. The order of operations is fixed
// (and mirrored by the CUDA kernel): dx = d1*v, ddx = (d2*v)*v + d1*a, each
// product rounded before the sum.
func (b *Backend) ActivateJet(act activation.ID, h, v, a, x, dx, ddx engine.Buffer) error {
	const op = "activate jet"
	f, err := actFunc(op, act)
	if err != nil {
		return err
	}
	d, err := b.data(op, h, v, a, x, dx, ddx)
	if err != nil {
		return err
	}
	n := len(d[0])
	if err := engine.CheckSameLen(op, n, len(d[1]), len(d[2]), len(d[3]), len(d[4]), len(d[5])); err != nil {
		return err
	}
	hs, vs, as, xs, dxs, ddxs := d[0], d[1], d[2], d[3], d[4], d[5]
	b.parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			hh, vv, aa := hs[i], vs[i], as[i]
			d1, d2 := f.D1(hh), f.D2(hh)
			xs[i] = f.Phi(hh)
			dxs[i] = d1 * vv
			ddxs[i] = float64(float64(d2*vv)*vv) + float64(d1*aa)
		}
	})
	return nil
}

// ActivateBackward implements engine.Backend.
func (b *Backend) ActivateBackward(act activation.ID, h, gx, gh engine.Buffer) error {
	const op = "activate backward"
	f, err := actFunc(op, act)
	if err != nil {
		return err
	}
	d, err := b.data(op, h, gx, gh)
	if err != nil {
		return err
	}
	if err := engine.CheckSameLen(op, len(d[0]), len(d[1]), len(d[2])); err != nil {
		return err
	}
	hs, gxs, ghs := d[0], d[1], d[2]
	b.parallel(len(hs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ghs[i] = f.D1(hs[i]) * gxs[i]
		}
	})
	return nil
}

// AddBias implements engine.Backend.
func (b *Backend) AddBias(m, n int, bias engine.Buffer, c engine.Buffer, ldc int) error {
	const op = "add bias"
	d, err := b.data(op, bias, c)
	if err != nil {
		return err
	}
	if err := engine.CheckVector(op, "bias", m, 1, len(d[0])); err != nil {
		return err
	}
	if err := engine.CheckMatrix(op, "C", m, n, ldc, len(d[1])); err != nil {
		return err
	}
	bs, cs := d[0][:m], d[1]
	b.parallelCols(m, n, func(j int) {
		col := cs[j*ldc : j*ldc+m]
		for i := range col {
			col[i] += bs[i]
		}
	})
	return nil
}

// Hadamard implements engine.Backend.
func (b *Backend) Hadamard(x, y, z engine.Buffer) error {
	const op = "hadamard"
	d, err := b.data(op, x, y, z)
	if err != nil {
		return err
	}
	if err := engine.CheckSameLen(op, len(d[0]), len(d[1]), len(d[2])); err != nil {
		return err
	}
	xs, ys, zs := d[0], d[1], d[2]
	b.parallel(len(xs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			zs[i] = xs[i] * ys[i]
		}
	})
	return nil
}

// ColumnDots implements engine.Backend. Each column's sum runs in index
// order on one goroutine.
func (b *Backend) ColumnDots(m, n int, a engine.Buffer, lda int, bb engine.Buffer, ldb int, out engine.Buffer) error {
	const op = "column dots"
	d, err := b.data(op, a, bb, out)
	if err != nil {
		return err
	}
	if err := engine.CheckMatrix(op, "A", m, n, lda, len(d[0])); err != nil {
		return err
	}
	if err := engine.CheckMatrix(op, "B", m, n, ldb, len(d[1])); err != nil {
		return err
	}
	if err := engine.CheckVector(op, "out", n, 1, len(d[2])); err != nil {
		return err
	}
	as, bs, os := d[0], d[1], d[2]
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
