package cuda

import (
	"errors"
	"math"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/engine/rng"
)

// The tests in this file run on a real GPU. Without one they are skipped
// with the reason, unless NETGEOM_REQUIRE_CUDA=1 (the GPU bundle sets it),
// where a missing GPU fails them.

// openGPU opens the real CUDA backend or skips the test.
func openGPU(t testing.TB, opt Options) engine.Backend {
	t.Helper()
	b, _ := openGPUDevice(t, opt)
	return b
}

// openGPUDevice opens the real CUDA backend and returns its device too, or
// skips the test.
func openGPUDevice(t testing.TB, opt Options) (engine.Backend, *device) {
	t.Helper()
	d, err := openDevice(opt)
	if err != nil {
		if os.Getenv("NETGEOM_REQUIRE_CUDA") == "1" {
			t.Fatalf("NETGEOM_REQUIRE_CUDA=1 but CUDA cannot be opened: %v", err)
		}
		t.Skip("SKIP: no CUDA device: " + err.Error())
	}
	return engine.Checked[devptr](d), d
}

// TestConformanceGPU runs the conformance suite on the GPU with cuBLAS
// (or, where cuBLAS is not installed, with the kernels, and says so), in
// both dtypes.
func TestConformanceGPU(t *testing.T) {
	b := openGPU(t, Options{})
	in := b.Info()
	t.Logf("device %s; driver %s; BLAS %s: %s; cuBLAS %s", in.Device, in.Details["driver"], in.BLAS, in.Details["blas_reason"], in.Details["cublas"])
	b.Close()
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) engine.Backend { return openGPU(t, Options{DType: dt}) })
		})
	}
}

// TestConformanceGPUKernels runs the suite with netgeom's own BLAS kernels,
// the fallback used where cuBLAS is missing, in both dtypes.
func TestConformanceGPUKernels(t *testing.T) {
	openGPU(t, Options{BLAS: "kernels"}).Close()
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) engine.Backend { return openGPU(t, Options{BLAS: "kernels", DType: dt}) })
		})
	}
}

// cpuNormals fills dst like rng.FillNormal, in parallel chunks (each chunk
// is its own range of the stream, so the result does not depend on them).
func cpuNormals(dst []float64, seed, stream, start uint64) {
	const chunk = 1 << 16
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for lo := 0; lo < len(dst); lo += chunk {
		hi := min(lo+chunk, len(dst))
		wg.Add(1)
		sem <- struct{}{}
		go func(lo, hi int) {
			defer wg.Done()
			rng.FillNormal(dst[lo:hi], seed, stream, start+uint64(lo))
			<-sem
		}(lo, hi)
	}
	wg.Wait()
}

// TestGPUNormalsBitExact: 10^7 + 1 normals from an odd start, a scaled
// fill and a fill whose indices wrap equal engine/rng's bit for bit; in
// float32, rounded once, as the CPU backend's float32 stores them.
func TestGPUNormalsBitExact(t *testing.T) {
	for _, dt := range []engine.DType{engine.Float64, engine.Float32} {
		b := openGPU(t, Options{DType: dt})
		for _, c := range []struct {
			seed, stream, start uint64
			std                 float64
		}{
			{0x5eed, 3, 1<<40 + 1, 1},
			{1, 0, 0, 0.37},
			{math.MaxUint64, math.MaxUint64, math.MaxUint64 - 5, 1}, // indices wrap
		} {
			checkNormalsBitExact(t, b, 10_000_001, c.seed, c.stream, c.start, c.std)
		}
		b.Close()
	}
}

// TestGPURepeatableLarge: large cuBLAS and kernel calls repeat to the bit
// (one stream, one handle, no atomics).
func TestGPURepeatableLarge(t *testing.T) {
	for _, blas := range []string{"", "kernels"} {
		b := openGPU(t, Options{BLAS: blas})
		const n = 2048
		A, _ := b.Alloc(engine.Float64, n*n)
		B, _ := b.Alloc(engine.Float64, n*n)
		C, _ := b.Alloc(engine.Float64, n*n)
		out, _ := b.Alloc(engine.Float64, n)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(b.FillNormal(A, 1, 0, 0, 1))
		must(b.FillNormal(B, 1, 1, 0, 1))
		run := func() ([]float64, []float64, float64) {
			must(b.Gemm(engine.NoTrans, engine.Trans, n, n, n, 1, A, n, B, n, 0, C, n))
			must(b.ColumnDots(n, n, C, n, C, n, out))
			nrm, err := b.Nrm2(n*n, C, 1)
			must(err)
			c, o := make([]float64, n*n), make([]float64, n)
			must(b.Download(c, C))
			must(b.Download(o, out))
			return c, o, nrm
		}
		c1, o1, n1 := run()
		c2, o2, n2 := run()
		if math.Float64bits(n1) != math.Float64bits(n2) {
			t.Errorf("BLAS %q: nrm2 %v then %v", b.Info().BLAS, n1, n2)
		}
		for i := range c1 {
			if math.Float64bits(c1[i]) != math.Float64bits(c2[i]) {
				t.Fatalf("BLAS %q: gemm element %d: %v then %v", b.Info().BLAS, i, c1[i], c2[i])
			}
		}
		for i := range o1 {
			if math.Float64bits(o1[i]) != math.Float64bits(o2[i]) {
				t.Fatalf("BLAS %q: column dot %d: %v then %v", b.Info().BLAS, i, o1[i], o2[i])
			}
		}
		b.Close()
	}
}

// TestGPUOutOfMemory: asking for more than the device has gives
// engine.ErrOutOfMemory with the sizes, and the backend stays usable.
func TestGPUOutOfMemory(t *testing.T) {
	b, d := openGPUDevice(t, Options{})
	defer b.Close()
	_, err := b.Alloc(engine.Float64, int(d.totalMem/8)+1<<28)
	if err == nil {
		t.Fatal("allocating more than the device memory succeeded")
	}
	if !errors.Is(err, engine.ErrOutOfMemory) {
		t.Fatalf("err = %v, want ErrOutOfMemory", err)
	}
	t.Logf("%v", err)
	x, err := b.Alloc(engine.Float64, 10)
	if err != nil {
		t.Fatalf("after an OOM: %v", err)
	}
	if err := b.Fill(x, 1); err != nil {
		t.Fatal(err)
	}
}
