package cuda

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
)

// GPU benchmarks (skipped without a GPU). Every timed loop ends with a
// stream synchronisation, so the time covers the GPU work, not just the
// launches. Metrics: GFLOP/s for products; for the forward pass and the jet,
// also the gemm rate (dgemm or sgemm, by dtype) of the same product
// measured in the same run and the ratio of the two ("frac-of-gemm": 1
// would mean the elementwise work is free); normals/s for Philox; GB/s for
// transfers. Gemm, the forward pass and the jet run in both dtypes
// (a dtype= level), so float32's speed-up is a ratio from one run.

var clockStart = time.Now()

// nowSeconds is a monotonic clock in seconds.
func nowSeconds() float64 { return time.Since(clockStart).Seconds() }

// gpu is the backend the benchmarks time, with its device for the paths
// that bypass the engine (cuBLAS directly, the fallback kernel).
type gpu struct {
	engine.Backend
	d *device
}

// bench holds the backends of the benchmarks, by dtype.
var bench [2]struct {
	once sync.Once
	b    *gpu
	err  error
}

// benchDTypes are the dtypes of the benchmarks that compare them.
var benchDTypes = []engine.DType{engine.Float64, engine.Float32}

// benchBackend opens one GPU backend per dtype for all benchmarks (the JIT
// and cuBLAS initialisation are not what is measured).
func benchBackend(tb testing.TB, dt engine.DType) *gpu {
	s := &bench[dt]
	s.once.Do(func() {
		d, err := openDevice(Options{DType: dt})
		if err == nil {
			s.b = &gpu{engine.Checked[devptr](d), d}
		}
		s.err = err
	})
	if s.err != nil {
		tb.Skip("SKIP: no CUDA device: " + s.err.Error())
	}
	return s.b
}

// sync waits for the backend's stream.
func (b *device) sync() error {
	return b.do(func() error { return b.drv.check("cuStreamSynchronize", b.drv.cuStreamSynchronize(b.stream)) })
}

func benchAlloc(tb testing.TB, be *gpu, n int, seed uint64) engine.Buffer {
	tb.Helper()
	x, err := be.Alloc(engine.DTypeOf(be.Backend), n)
	if err != nil {
		tb.Fatal(err)
	}
	if err := be.FillNormal(x, seed, 0, 0, 1); err != nil {
		tb.Fatal(err)
	}
	return x
}

func benchFree(tb testing.TB, be *gpu, xs ...engine.Buffer) {
	for _, x := range xs {
		if err := be.Free(x); err != nil {
			tb.Fatal(err)
		}
	}
}

// timeLoop runs f b.N times and synchronises; it returns the seconds per call.
func timeLoop(b *testing.B, be *gpu, f func() error) float64 {
	b.Helper()
	if err := f(); err != nil { // warm up (and check) once
		b.Fatal(err)
	}
	if err := be.d.sync(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.d.sync(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	return b.Elapsed().Seconds() / float64(b.N)
}

// rawAlloc allocates n normals on the device with nothing of the engine in
// between, for the paths that bypass it.
func rawAlloc(tb testing.TB, d *device, n int, seed uint64) devptr {
	tb.Helper()
	p, err := d.Alloc(n)
	if err == nil {
		err = d.FillNormal(p, n, seed, 0, 0, 1)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func rawFree(tb testing.TB, d *device, ps ...devptr) {
	for _, p := range ps {
		if err := d.Free(p); err != nil {
			tb.Fatal(err)
		}
	}
}

// directDgemm calls cuBLAS's dgemm with nothing of the engine in between
// but the worker hop: C = A B, column-major, tight leading dimensions.
func (b *device) directDgemm(m, n, k int, pa, pb, pc devptr) error {
	return b.do(func() error {
		if b.blas == nil {
			return fmt.Errorf("cuBLAS is not loaded (%s)", b.blasWhy)
		}
		one, zero := 1.0, 0.0
		return cublasCheck("cublasDgemm_v2", b.blas.lib.dgemm(b.blas.h, cublasOpN, cublasOpN, int32(m), int32(n), int32(k),
			&one, uint64(pa), int32(m), uint64(pb), int32(k), &zero, uint64(pc), int32(m)))
	})
}

func gflops(m, n, k int, sec float64) float64 {
	return 2 * float64(m) * float64(n) * float64(k) / sec / 1e9
}

// BenchmarkGPUDgemm: square dgemm through the engine (Gemm) and by cuBLAS
// directly, and netgeom's fallback kernel, in GFLOP/s; and sgemm through
// the engine of a float32 backend ("engine-float32").
func BenchmarkGPUDgemm(b *testing.B) {
	for _, n := range benchSizes.dgemm {
		for _, path := range []string{"engine", "engine-float32", "cublas-direct", "kernels"} {
			b.Run(fmt.Sprintf("%s/n=%d", path, n), func(b *testing.B) {
				dt := engine.Float64
				if path == "engine-float32" {
					dt = engine.Float32
				}
				be := benchBackend(b, dt)
				if path == "kernels" && n > benchSizes.kernelGemmMax {
					b.Skip("the fallback kernel is too slow to time at this size")
				}
				var f func() error
				switch path {
				case "engine", "engine-float32":
					A, B, C := benchAlloc(b, be, n*n, 1), benchAlloc(b, be, n*n, 2), benchAlloc(b, be, n*n, 3)
					defer benchFree(b, be, A, B, C)
					f = func() error { return be.Gemm(engine.NoTrans, engine.NoTrans, n, n, n, 1, A, n, B, n, 0, C, n) }
				case "cublas-direct", "kernels":
					if path == "cublas-direct" && be.d.blas == nil {
						b.Skip("SKIP: cuBLAS not loaded: " + be.d.blasWhy)
					}
					A, B, C := rawAlloc(b, be.d, n*n, 1), rawAlloc(b, be.d, n*n, 2), rawAlloc(b, be.d, n*n, 3)
					defer rawFree(b, be.d, A, B, C)
					f = func() error { return be.d.directDgemm(n, n, n, A, B, C) }
					if path == "kernels" {
						f = func() error { return be.d.do(func() error { return be.d.gemmKernel(n, n, n, A, B, C) }) }
					}
				}
				sec := timeLoop(b, be, f)
				b.ReportMetric(gflops(n, n, n, sec), "GFLOP/s")
			})
		}
	}
}

// gemmKernel runs netgeom's fallback gemm whatever BLAS is loaded.
func (b *device) gemmKernel(m, n, k int, A, B, C devptr) error {
	saved := b.blas
	b.blas = nil
	defer func() { b.blas = saved }()
	return b.gemm(engine.NoTrans, engine.NoTrans, m, n, k, 1, A, m, 0, B, k, 0, 0, C, m, 0, 1)
}

type layerShape struct{ width, batch int }

// benchSizes are the problem sizes of the benchmarks (the smoke test under
// the fake driver shrinks them).
var benchSizes = struct {
	dgemm         []int
	kernelGemmMax int
	layers        []layerShape
	normals       int
	transfer      int // float64s
}{
	dgemm:         []int{1024, 2048, 4096, 8192},
	kernelGemmMax: 4096,
	layers: []layerShape{
		{1024, 1024}, {2048, 1024}, {4096, 1024}, {4096, 4096}, {8192, 1024}, {8192, 4096}, {16384, 1024}, {16384, 4096},
	},
	normals:  1 << 26,
	transfer: 32 << 20,
}

// gemmRate measures the GFLOP/s of C = W X for W n x n and X n x cols.
func gemmRate(b *testing.B, be *gpu, n, cols int, W, X, C engine.Buffer) float64 {
	b.Helper()
	const reps = 5
	f := func() error { return be.Gemm(engine.NoTrans, engine.NoTrans, n, cols, n, 1, W, n, X, n, 0, C, n) }
	if err := f(); err != nil {
		b.Fatal(err)
	}
	if err := be.d.sync(); err != nil {
		b.Fatal(err)
	}
	start := nowSeconds()
	for i := 0; i < reps; i++ {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	if err := be.d.sync(); err != nil {
		b.Fatal(err)
	}
	return gflops(n, cols, n, (nowSeconds()-start)/reps)
}

// BenchmarkGPUForward: one dense layer, h = W x + b, x' = tanh(h), for a
// batch of inputs: the rate in GFLOP/s of its gemm, and as a fraction of
// the plain gemm rate of the same product.
func BenchmarkGPUForward(b *testing.B) {
	for _, s := range benchSizes.layers {
		for _, dt := range benchDTypes {
			b.Run(fmt.Sprintf("width=%d/batch=%d/dtype=%v", s.width, s.batch, dt), func(b *testing.B) {
				benchForward(b, benchBackend(b, dt), s)
			})
		}
	}
}

func benchForward(b *testing.B, be *gpu, s layerShape) {
	n, B := s.width, s.batch
	W, X, bias := benchAlloc(b, be, n*n, 1), benchAlloc(b, be, n*B, 2), benchAlloc(b, be, n, 3)
	H, Y := benchAlloc(b, be, n*B, 4), benchAlloc(b, be, n*B, 5)
	defer benchFree(b, be, W, X, bias, H, Y)
	ref := gemmRate(b, be, n, B, W, X, H)
	sec := timeLoop(b, be, func() error {
		if err := be.Gemm(engine.NoTrans, engine.NoTrans, n, B, n, 1, W, n, X, n, 0, H, n); err != nil {
			return err
		}
		if err := be.AddBias(n, B, bias, H, n); err != nil {
			return err
		}
		return be.ActivateDerivative(activation.Tanh, 0, H, Y)
	})
	rate := gflops(n, B, n, sec)
	b.ReportMetric(rate, "GFLOP/s")
	b.ReportMetric(ref, "gemm-GFLOP/s")
	b.ReportMetric(rate/ref, "frac-of-gemm")
}

// BenchmarkGPUJet: the second-order jet through one dense layer: the value
// and both directional derivatives in one gemm of 3*batch columns, the bias
// on the value, then the fused activation jet.
func BenchmarkGPUJet(b *testing.B) {
	for _, s := range benchSizes.layers {
		for _, dt := range benchDTypes {
			b.Run(fmt.Sprintf("width=%d/batch=%d/dtype=%v", s.width, s.batch, dt), func(b *testing.B) {
				benchJet(b, benchBackend(b, dt), s)
			})
		}
	}
}

func benchJet(b *testing.B, be *gpu, s layerShape) {
	n, B := s.width, s.batch
	W, X, bias := benchAlloc(b, be, n*n, 1), benchAlloc(b, be, 3*n*B, 2), benchAlloc(b, be, n, 3)
	H, Y := benchAlloc(b, be, 3*n*B, 4), benchAlloc(b, be, 3*n*B, 5)
	defer benchFree(b, be, W, X, bias, H, Y)
	view := func(buf engine.Buffer, i int) engine.Buffer {
		v, err := be.Slice(buf, i*n*B, n*B)
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
	h, v, a := view(H, 0), view(H, 1), view(H, 2)
	x, dx, ddx := view(Y, 0), view(Y, 1), view(Y, 2)
	ref := gemmRate(b, be, n, 3*B, W, X, H)
	sec := timeLoop(b, be, func() error {
		if err := be.Gemm(engine.NoTrans, engine.NoTrans, n, 3*B, n, 1, W, n, X, n, 0, H, n); err != nil {
			return err
		}
		if err := be.AddBias(n, B, bias, h, n); err != nil {
			return err
		}
		return be.ActivateJet(activation.Tanh, h, v, a, x, dx, ddx)
	})
	rate := gflops(n, 3*B, n, sec)
	b.ReportMetric(rate, "GFLOP/s")
	b.ReportMetric(ref, "gemm-GFLOP/s")
	b.ReportMetric(rate/ref, "frac-of-gemm")
}

// BenchmarkGPUFillNormal: Philox normals per second.
func BenchmarkGPUFillNormal(b *testing.B) {
	be := benchBackend(b, engine.Float64)
	n := benchSizes.normals
	x := benchAlloc(b, be, n, 1)
	defer benchFree(b, be, x)
	i := uint64(0)
	b.SetBytes(int64(8 * n))
	sec := timeLoop(b, be, func() error {
		i++
		return be.FillNormal(x, 1, 0, i*uint64(n), 1)
	})
	b.ReportMetric(float64(n)/sec/1e9, "Gnormals/s")
}

// BenchmarkGPUTransfer: host to device (Upload) and device to host
// (Download) of 256 MiB from ordinary (pageable) Go memory.
func BenchmarkGPUTransfer(b *testing.B) {
	n := benchSizes.transfer
	for _, dir := range []string{"upload", "download"} {
		b.Run(dir, func(b *testing.B) {
			be := benchBackend(b, engine.Float64)
			x := benchAlloc(b, be, n, 1)
			defer benchFree(b, be, x)
			host := make([]float64, n)
			b.SetBytes(int64(8 * n))
			sec := timeLoop(b, be, func() error {
				if dir == "upload" {
					return be.Upload(x, host)
				}
				return be.Download(host, x)
			})
			b.ReportMetric(float64(8*n)/sec/1e9, "GB/s")
		})
	}
}
