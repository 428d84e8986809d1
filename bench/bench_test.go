package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
)

// cpuClock measures the CPU time (user and system, all threads) the
// process spends in a benchmark's timed loop: on a shared machine, where
// other jobs stretch the wall time, it is the steadier figure for
// comparing two implementations of the same arithmetic.
type cpuClock struct {
	b     *testing.B
	start time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPU resets b's timer and starts the CPU clock; report adds the
// metric cpu-ms/op.
func startCPU(b *testing.B) cpuClock {
	b.ResetTimer()
	return cpuClock{b, processCPU()}
}

func (c cpuClock) report() {
	c.b.ReportMetric(float64(processCPU()-c.start)/float64(time.Millisecond)/float64(c.b.N), "cpu-ms/op")
}

func open(b *testing.B, blasName string) engine.Backend {
	b.Helper()
	return openDType(b, blasName, engine.Float64)
}

// openDType opens a CPU backend that computes in dt.
func openDType(b *testing.B, blasName string, dt engine.DType) engine.Backend {
	b.Helper()
	be, err := cpu.New(cpu.Options{BLAS: blasName, DType: dt})
	if err != nil {
		b.Skipf("SKIP: %s: %v", blasName, err)
	}
	return be
}

// dtypes are the precisions the benchmarks compare, float64 first.
var dtypes = []engine.DType{engine.Float64, engine.Float32}

func filled(b *testing.B, be engine.Backend, n int, seed uint64) engine.Buffer {
	b.Helper()
	x, err := be.Alloc(engine.DTypeOf(be), n)
	if err != nil {
		b.Fatal(err)
	}
	if err := be.FillNormal(x, seed, 0, 0, 1); err != nil {
		b.Fatal(err)
	}
	return x
}

// BenchmarkGemm: square gemm through the engine, in float64 (dgemm) and
// float32 (sgemm); reports GFLOP/s (2n^3 flops per call).
func BenchmarkGemm(b *testing.B) {
	for _, blasName := range []string{"openblas", "gonum"} {
		for _, n := range []int{256, 512, 1024, 2048} {
			if blasName == "gonum" && n > 1024 {
				continue // minutes per call on 2 cores; the ratio is clear at 1024
			}
			for _, dt := range dtypes {
				b.Run(fmt.Sprintf("%s/n=%d/dtype=%v", blasName, n, dt), func(b *testing.B) {
					be := openDType(b, blasName, dt)
					A, B, C := filled(b, be, n*n, 1), filled(b, be, n*n, 2), filled(b, be, n*n, 3)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if err := be.Gemm(engine.NoTrans, engine.NoTrans, n, n, n, 1, A, n, B, n, 0, C, n); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkDirectOpenBLAS: the same products by cblas_dgemm with no engine
// in between, the reference for the engine's overhead.
func BenchmarkDirectOpenBLAS(b *testing.B) {
	for _, n := range []int{256, 512, 1024, 2048} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			a, bb, c := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
			for i := range a {
				a[i], bb[i] = r.NormFloat64(), r.NormFloat64()
			}
			if err := cpu.DirectDgemm(runtime.NumCPU(), n, n, n, a, bb, c); err != nil {
				b.Skipf("SKIP: %v", err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = cpu.DirectDgemm(runtime.NumCPU(), n, n, n, a, bb, c)
			}
			b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkActivateJet: the fused second-order jet x = phi(h), dx = phi'(h) v,
// ddx = phi”(h) v^2 + phi'(h) a over an N x B layer; reports elements/s
// and the memory traffic (6 float64 per element).
func BenchmarkActivateJet(b *testing.B) {
	for _, act := range []activation.ID{activation.Tanh, activation.ReLU, activation.Erf} {
		for _, n := range []int{1 << 16, 1 << 20} {
			b.Run(fmt.Sprintf("%v/n=%d", act, n), func(b *testing.B) {
				be := open(b, "")
				bufs := make([]engine.Buffer, 6)
				for i := range bufs {
					bufs[i] = filled(b, be, n, uint64(i))
				}
				b.SetBytes(int64(6 * 8 * n))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := be.ActivateJet(act, bufs[0], bufs[1], bufs[2], bufs[3], bufs[4], bufs[5]); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
			})
		}
	}
}

// BenchmarkFillNormal: Philox normals per second through the engine.
func BenchmarkFillNormal(b *testing.B) {
	be := open(b, "")
	const n = 1 << 20
	x, _ := be.Alloc(engine.Float64, n)
	b.SetBytes(8 * n)
	for i := 0; i < b.N; i++ {
		if err := be.FillNormal(x, 1, 0, uint64(i)*n, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mnormals/s")
}

// BenchmarkSmallOps: the fixed cost of one engine call (argument checks,
// dispatch, the kernel's setup) on 16-element operands, where the
// arithmetic is negligible; ns/op is per call.
func BenchmarkSmallOps(b *testing.B) {
	const n = 16
	be := open(b, "")
	x, y, z := filled(b, be, n, 1), filled(b, be, n, 2), filled(b, be, n, 3)
	ops := []struct {
		name string
		f    func() error
	}{
		{"axpy", func() error { return be.Axpy(n, 0.5, x, 1, y, 1) }},
		{"hadamard", func() error { return be.Hadamard(x, y, z) }},
		{"gemm4", func() error { return be.Gemm(engine.NoTrans, engine.NoTrans, 4, 4, 4, 1, x, 4, y, 4, 0, z, 4) }},
		{"dot", func() error { _, err := be.Dot(n, x, 1, y, 1); return err }},
		{"phi1", func() error { return be.ActivateDerivative(activation.Tanh, 1, x, z) }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := op.f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
