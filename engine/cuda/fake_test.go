package cuda

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ebitengine/purego"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/cpu"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/kernels"
)

// The tests in this file run the CUDA backend against a fake driver and a
// fake cuBLAS (testdata/fakecuda) that execute the real kernels of package
// kernels on the CPU. They check, without a GPU, everything but the GPU:
// the purego bindings, argument marshalling, buffer offsets, launch shapes,
// the kernels' arithmetic and reduction trees, the fallback BLAS, resource
// release and the error paths. They need a C++ compiler (g++, or $CXX) and
// are skipped with a message without one.

var fake struct {
	once      sync.Once
	dir       string // temporary folder, removed by TestMain
	driver    string // fake libcuda.so.1
	cublasDir string // folder with the fake libcublas.so.12 and libcublasLt.so.12
	skip      string
	err       error

	set   func(key string, v int64)
	get   func(key string) int64
	reset func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fake.dir != "" {
		os.RemoveAll(fake.dir)
	}
	os.Exit(code)
}

func cxx() (string, error) {
	if c := os.Getenv("CXX"); c != "" {
		return exec.LookPath(c)
	}
	for _, c := range []string{"g++", "c++", "clang++"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no g++, c++ or clang++ on PATH and CXX not set")
}

func buildFake() {
	if runtime.GOOS != "linux" {
		fake.skip = "the fake CUDA driver is built for Linux only"
		return
	}
	cc, err := cxx()
	if err != nil {
		fake.skip = "no C++ compiler to build the fake CUDA driver: " + err.Error()
		return
	}
	for _, f := range []string{"testdata/fakecuda/fakecuda.cpp", "../../kernels/philox.cu"} {
		if _, err := os.Stat(f); err != nil {
			fake.skip = "the fake CUDA driver's sources are not here (a test binary run outside the source tree): " + err.Error()
			return
		}
	}
	fake.dir, err = os.MkdirTemp("", "netgeom-fakecuda-")
	if err != nil {
		fake.err = err
		return
	}
	src, err := filepath.Abs("testdata/fakecuda")
	if err != nil {
		fake.err = err
		return
	}
	kern, err := filepath.Abs("../../kernels")
	if err != nil {
		fake.err = err
		return
	}
	fake.driver = filepath.Join(fake.dir, "libcuda.so.1")
	fake.cublasDir = filepath.Join(fake.dir, "cublas")
	if err := os.Mkdir(fake.cublasDir, 0o755); err != nil {
		fake.err = err
		return
	}
	common := []string{"-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math", "-U_FORTIFY_SOURCE"}
	steps := [][]string{
		append(append([]string{}, common...), "-std=c++17", "-I"+src, "-I"+kern, filepath.Join(src, "fakecuda.cpp"), "-o", fake.driver),
		append(append([]string{}, common...), "-x", "c", "-Wl,-soname,libcublasLt.so.12", filepath.Join(src, "empty_lt.c"), "-o", filepath.Join(fake.cublasDir, "libcublasLt.so.12")),
		append(append([]string{}, common...), "-std=c++17", filepath.Join(src, "fakecublas.cpp"), "-o", filepath.Join(fake.cublasDir, "libcublas.so.12"), "-L"+fake.cublasDir, "-l:libcublasLt.so.12"),
	}
	for _, args := range steps {
		out, err := exec.Command(cc, args...).CombinedOutput()
		if err != nil {
			fake.err = fmt.Errorf("%s %s: %v\n%s", cc, strings.Join(args, " "), err, out)
			return
		}
	}
	lib, err := purego.Dlopen(fake.driver, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		fake.err = err
		return
	}
	purego.RegisterLibFunc(&fake.set, lib, "fakecuda_set")
	purego.RegisterLibFunc(&fake.get, lib, "fakecuda_get")
	purego.RegisterLibFunc(&fake.reset, lib, "fakecuda_reset")
}

// fakeGPU builds the fake driver once per process (or skips the test) and
// resets its injected failures.
func fakeGPU(t *testing.T) {
	t.Helper()
	fake.once.Do(buildFake)
	if fake.skip != "" {
		t.Skip("SKIP: " + fake.skip)
	}
	if fake.err != nil {
		t.Fatal(fake.err)
	}
	fake.reset()
}

func openFake(t *testing.T, opt Options) engine.Backend {
	t.Helper()
	opt.Driver = fake.driver
	b, err := New(opt)
	if err != nil {
		t.Fatalf("open on the fake driver: %v", err)
	}
	return b
}

// dtypes are the precisions every backend test runs in.
var dtypes = []engine.DType{engine.Float64, engine.Float32}

// TestFakeConformanceKernels runs the conformance suite on netgeom's own
// kernels, in both precisions (float32 on the _f32 kernels).
func TestFakeConformanceKernels(t *testing.T) {
	fakeGPU(t)
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) engine.Backend {
				b := openFake(t, Options{BLAS: "kernels", DType: dt})
				if got := b.Info().BLAS; got != "kernels" {
					t.Fatalf("BLAS %q, want kernels", got)
				}
				if got := engine.DTypeOf(b); got != dt {
					t.Fatalf("dtype %v, want %v", got, dt)
				}
				return b
			})
		})
	}
	if n := fake.get("bad_access"); n != 0 {
		t.Errorf("%d accesses outside an allocation", n)
	}
}

// TestFakeConformanceCublas runs it with cuBLAS, in both precisions
// (float32 through cublasSgemm, cublasSgemmStridedBatched and
// cublasSgemv).
func TestFakeConformanceCublas(t *testing.T) {
	fakeGPU(t)
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) engine.Backend {
				b := openFake(t, Options{CUBLAS: fake.cublasDir, DType: dt})
				if got := b.Info().BLAS; got != "cublas" {
					t.Fatalf("BLAS %q, want cublas (%s)", got, b.Info().Details["blas_reason"])
				}
				if got := b.Info().DType; got != dt.String() {
					t.Fatalf("Info().DType %q, want %v", got, dt)
				}
				return b
			})
		})
	}
	if n := fake.get("bad_access"); n != 0 {
		t.Errorf("%d accesses outside an allocation", n)
	}
}

// TestFakeInfo: Info names the device, the driver and the cuBLAS loaded
// (and its libcublasLt, loaded first from the same folder).
func TestFakeInfo(t *testing.T) {
	fakeGPU(t)
	b := openFake(t, Options{CUBLAS: fake.cublasDir})
	defer b.Close()
	in := b.Info()
	want := map[string]string{
		"compute_capability": "8.0",
		"driver":             "CUDA 12.2 (" + fake.driver + ")",
		"cublas":             "12.2.5 (" + filepath.Join(fake.cublasDir, "libcublas.so.12") + ")",
		"cublaslt":           filepath.Join(fake.cublasDir, "libcublasLt.so.12"),
		"memory":             "1.00 GiB",
		"pci":                "0000:3b:00.0",
	}
	for k, v := range want {
		if in.Details[k] != v {
			t.Errorf("Details[%s] = %q, want %q", k, in.Details[k], v)
		}
	}
	if in.Backend != "cuda" || in.BLAS != "cublas" || !strings.HasPrefix(in.Device, "netgeom fake GPU") {
		t.Errorf("Info = %+v", in)
	}
	k := openFake(t, Options{BLAS: "kernels"})
	defer k.Close()
	if r := k.Info().Details["blas_reason"]; !strings.Contains(r, "NETGEOM_CUDA_BLAS=kernels") {
		t.Errorf("forced kernels: blas_reason %q", r)
	}
}

// TestFakeCloseReleasesEverything: Close frees buffers (also those never
// freed), modules, the stream and the context, and later calls fail.
func TestFakeCloseReleasesEverything(t *testing.T) {
	fakeGPU(t)
	before := map[string]int64{}
	for _, k := range []string{"live_allocs", "modules", "ctx_retains", "streams"} {
		before[k] = fake.get(k)
	}
	b := openFake(t, Options{CUBLAS: fake.cublasDir})
	x, err := b.Alloc(engine.Float64, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Alloc(engine.Float64, 10); err != nil {
		t.Fatal(err)
	}
	if err := b.Free(x); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for k, v := range before {
		if got := fake.get(k); got != v {
			t.Errorf("after Close: %s = %d, want %d as before opening", k, got, v)
		}
	}
	if _, err := b.Alloc(engine.Float64, 1); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Alloc after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFakeNormalsBitExact: 2^20 + 3 normals from an odd start equal
// package rng's bit for bit (the GPU test does 10^7 on the device); in
// float32, std times rng's normal rounded once, which is what the CPU
// backend's float32 stores: a float32 network is the same on both.
func TestFakeNormalsBitExact(t *testing.T) {
	fakeGPU(t)
	for _, dt := range dtypes {
		for _, std := range []float64{1, 0.37} {
			b := openFake(t, Options{BLAS: "kernels", DType: dt})
			checkNormalsBitExact(t, b, 1<<20+3, 0x9e3779b97f4a7c15, 12, 1<<33+1, std)
			b.Close()
		}
	}
}

// checkNormalsBitExact compares b's FillNormal with rng.FillNormal (times
// std when std != 1, rounded to b's dtype), and for float32 with the CPU
// backend's float32 FillNormal.
func checkNormalsBitExact(t *testing.T, b engine.Backend, n int, seed, stream, start uint64, std float64) {
	t.Helper()
	dt := engine.DTypeOf(b)
	x, err := b.Alloc(dt, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.FillNormal(x, seed, stream, start, std); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, n)
	if err := b.Download(got, x); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, n)
	cpuNormals(want, seed, stream, start)
	for i := range want {
		w := want[i]
		if std != 1 {
			w *= std
		}
		if dt == engine.Float32 {
			w = float64(float32(w))
		}
		if math.Float64bits(got[i]) != math.Float64bits(w) {
			t.Fatalf("%v, seed %#x stream %d start %d std %v: normal %d is %v (%016x), rng's %v (%016x)",
				dt, seed, stream, start, std, i, got[i], math.Float64bits(got[i]), w, math.Float64bits(w))
		}
	}
	c, err := cpu.New(cpu.Options{BLAS: "gonum", Threads: 2, DType: dt})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	y, err := c.Alloc(dt, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.FillNormal(y, seed, stream, start, std); err != nil {
		t.Fatal(err)
	}
	if err := c.Download(want, y); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%v, std %v: normal %d is %v, the CPU backend's %v", dt, std, i, got[i], want[i])
		}
	}
}

// TestFakeConcurrentCalls: calls from many goroutines are serialised on the
// one worker thread and each gets its own result.
func TestFakeConcurrentCalls(t *testing.T) {
	fakeGPU(t)
	b := openFake(t, Options{BLAS: "kernels"})
	defer b.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			x, err := b.Alloc(engine.Float64, 1000)
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < 20; i++ {
				if err := b.Fill(x, float64(g)); err != nil {
					errs <- err
					return
				}
				s, err := b.Dot(1000, x, 1, x, 1)
				if err != nil {
					errs <- err
					return
				}
				if s != 1000*float64(g*g) {
					errs <- fmt.Errorf("goroutine %d: dot %v, want %v", g, s, 1000*float64(g*g))
					return
				}
			}
			errs <- b.Free(x)
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestFakeOpenErrors: every way opening can fail gives an error wrapping
// engine.ErrUnavailable that says what to do.
func TestFakeOpenErrors(t *testing.T) {
	fakeGPU(t)
	// The PTX ISA of the embedded kernels, and the CUDA version it needs.
	isa := ""
	need := 0
	mods, err := kernels.Modules()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		a, c, err := m.ISAVersion()
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := ptxISAToCUDA(a, c); ok && v > need {
			need, isa = v, fmt.Sprintf("%d.%d", a, c)
		}
	}
	if need <= 11040 {
		t.Fatalf("kernels need CUDA %d; this test assumes more than 11.4", need)
	}
	for _, tc := range []struct {
		key   string
		value int64
		want  []string
	}{
		{"init_result", 100, []string{"no CUDA device", "CUDA_ERROR_NO_DEVICE", "nvidia-smi"}},
		{"init_result", 34, []string{"stub library", "LD_LIBRARY_PATH"}},
		{"init_result", 999, []string{"failed to initialise", "dmesg"}},
		{"device_count", 0, []string{"no CUDA device", "0 GPUs"}},
		{"driver_version", 11040, []string{"too old", "CUDA 11.4", "PTX ISA " + isa, "CUDA " + cudaVersionString(need) + " or newer"}},
		{"cc_major", 7, []string{"compute capability 7.0", "8.0 (Ampere) or newer"}},
		{"jit_fail", 218, []string{"PTX JIT compilation of kernels", "CUDA_ERROR_INVALID_PTX", "PTX JIT log:", "fake JIT failure"}},
		{"jit_fail", 222, []string{"cannot JIT-compile PTX ISA " + isa, "update the NVIDIA driver"}},
		{"jit_fail", 209, []string{"compute_80", "fake JIT failure"}},
	} {
		t.Run(fmt.Sprintf("%s=%d", tc.key, tc.value), func(t *testing.T) {
			fake.reset()
			fake.set(tc.key, tc.value)
			before := fake.get("ctx_retains")
			b, err := New(Options{Driver: fake.driver, BLAS: "kernels"})
			if err == nil {
				b.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, engine.ErrUnavailable) {
				t.Errorf("error does not wrap ErrUnavailable: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
			if got := fake.get("ctx_retains"); got != before {
				t.Errorf("a failed open left %d context retains behind", got-before)
			}
		})
	}
	fake.reset()
	t.Setenv("NETGEOM_CUDA_DEVICE", "3")
	if _, err := New(Options{Driver: fake.driver, BLAS: "kernels"}); err == nil || !strings.Contains(err.Error(), "sees 1 GPU(s)") {
		t.Errorf("device 3 of 1: %v", err)
	}
	t.Setenv("NETGEOM_CUDA_DEVICE", "x")
	if _, err := New(Options{Driver: fake.driver}); err == nil || !strings.Contains(err.Error(), "NETGEOM_CUDA_DEVICE") {
		t.Errorf("NETGEOM_CUDA_DEVICE=x: %v", err)
	}
}

// TestFakeCublasChoice: a cuBLAS the user names must load; a forced cuBLAS
// that cannot load is an error; a bad BLAS name is refused.
func TestFakeCublasChoice(t *testing.T) {
	fakeGPU(t)
	empty := t.TempDir()
	_, err := New(Options{Driver: fake.driver, CUBLAS: empty})
	if err == nil || !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "NETGEOM_CUBLAS="+empty) {
		t.Errorf("NETGEOM_CUBLAS naming an empty folder: %v", err)
	}
	_, err = New(Options{Driver: fake.driver, CUBLAS: filepath.Join(empty, "libcublas.so.12")})
	if err == nil || !strings.Contains(err.Error(), "cannot be loaded") {
		t.Errorf("NETGEOM_CUBLAS naming a missing file: %v", err)
	}
	if _, err := New(Options{Driver: fake.driver, BLAS: "mkl"}); err == nil || !strings.Contains(err.Error(), "unknown BLAS") {
		t.Errorf("BLAS mkl: %v", err)
	}
	// A file named directly loads its folder's libcublasLt first too.
	b, err := New(Options{Driver: fake.driver, CUBLAS: filepath.Join(fake.cublasDir, "libcublas.so.12")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.Info().BLAS; got != "cublas" {
		t.Errorf("BLAS %q", got)
	}
}

// TestFakeOutOfMemory: an allocation the device cannot serve wraps
// engine.ErrOutOfMemory and says what was asked and what is free.
func TestFakeOutOfMemory(t *testing.T) {
	fakeGPU(t)
	b := openFake(t, Options{BLAS: "kernels"})
	defer b.Close()
	fake.set("mem_limit", 64<<20)
	defer fake.reset()
	x, err := b.Alloc(engine.Float64, 4<<20) // 32 MiB: fits
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Alloc(engine.Float64, 8<<20) // 64 MiB more: does not
	if !errors.Is(err, engine.ErrOutOfMemory) {
		t.Fatalf("err = %v, want ErrOutOfMemory", err)
	}
	for _, w := range []string{"asked for 64.0 MiB (67108864 bytes)", "free of 64.0 MiB", "netgeom fake GPU", "CUDA_ERROR_OUT_OF_MEMORY"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("OOM error lacks %q: %v", w, err)
		}
	}
	if err := b.Free(x); err != nil {
		t.Fatal(err)
	}
}

// TestFakeKernelFailureSurfaces: a fault reported at synchronisation comes
// back from the next op that waits, with a hint.
func TestFakeKernelFailureSurfaces(t *testing.T) {
	fakeGPU(t)
	b := openFake(t, Options{BLAS: "kernels"})
	defer b.Close()
	defer fake.reset()
	x, err := b.Alloc(engine.Float64, 4)
	if err != nil {
		t.Fatal(err)
	}
	fake.set("sync_result", 700)
	err = b.Download(make([]float64, 4), x)
	if err == nil || !strings.Contains(err.Error(), "CUDA_ERROR_ILLEGAL_ADDRESS") || !strings.Contains(err.Error(), "a kernel failed") {
		t.Errorf("download after a fault: %v", err)
	}
}

// TestFakeOverlappingCopy: Copy between overlapping views behaves like Go's
// copy, in both dtypes (the views and the byte count scale with the
// element size).
func TestFakeOverlappingCopy(t *testing.T) {
	fakeGPU(t)
	for _, dt := range dtypes {
		b := openFake(t, Options{BLAS: "kernels", DType: dt})
		src := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		x, _ := b.Alloc(dt, 10)
		if err := b.Upload(x, src); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ to, from int }{{3, 0}, {0, 3}} {
			lo, _ := b.Slice(x, c.from, 6)
			hi, _ := b.Slice(x, c.to, 6)
			if err := b.Copy(hi, lo); err != nil {
				t.Fatal(err)
			}
			want := append([]float64(nil), src...)
			copy(want[c.to:c.to+6], want[c.from:c.from+6])
			got := make([]float64, 10)
			if err := b.Download(got, x); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%v: overlapping copy %d <- %d: %v, want %v", dt, c.to, c.from, got, want)
				}
			}
			if err := b.Upload(x, src); err != nil {
				t.Fatal(err)
			}
		}
		b.Close()
	}
}

// TestFakeBenchmarksSmoke runs every GPU benchmark once, at small sizes, on
// the fake driver: the benchmark code itself is checked before it meets a
// GPU.
func TestFakeBenchmarksSmoke(t *testing.T) {
	fakeGPU(t)
	saved := benchSizes
	for _, dt := range dtypes {
		d, err := openDevice(Options{Driver: fake.driver, CUBLAS: fake.cublasDir, DType: dt})
		if err != nil {
			t.Fatal(err)
		}
		be := &gpu{engine.Checked[devptr](d), d}
		defer be.Close()
		s := &bench[dt]
		savedB := s.b
		defer func() { s.b = savedB }()
		s.once.Do(func() {})
		s.b, s.err = be, nil
	}
	benchSizes.dgemm, benchSizes.kernelGemmMax = []int{48}, 48
	benchSizes.layers = []layerShape{{32, 8}}
	benchSizes.normals, benchSizes.transfer = 1000, 1000
	bt := flag.Lookup("test.benchtime")
	oldBT := bt.Value.String()
	if err := bt.Value.Set("1x"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		benchSizes = saved
		_ = bt.Value.Set(oldBT)
	}()
	for name, f := range map[string]func(*testing.B){
		"Dgemm": BenchmarkGPUDgemm, "Forward": BenchmarkGPUForward, "Jet": BenchmarkGPUJet,
		"FillNormal": BenchmarkGPUFillNormal, "Transfer": BenchmarkGPUTransfer,
	} {
		failed := false
		testing.Benchmark(func(b *testing.B) {
			f(b)
			failed = failed || b.Failed()
		})
		if failed {
			t.Errorf("BenchmarkGPU%s failed under the fake driver", name)
		}
	}
}

// TestFakeScaleMatchesCPU: C = beta C (a gemm with k = 0, a gemv with an
// empty x), which no BLAS computes, gives the CPU backend's bits in both
// dtypes: beta times C in float64, rounded once (beta = 0.1 is not a
// float32, so rounding it first would differ in about a third of the
// elements).
func TestFakeScaleMatchesCPU(t *testing.T) {
	fakeGPU(t)
	for _, dt := range dtypes {
		g := openFake(t, Options{BLAS: "kernels", DType: dt})
		c, err := cpu.New(cpu.Options{BLAS: "gonum", Threads: 2, DType: dt})
		if err != nil {
			t.Fatal(err)
		}
		const m, n = 37, 29
		r := make([]float64, m*n)
		for i := range r {
			r[i] = math.Sin(float64(i)) * 3
		}
		for _, op := range []struct {
			what string
			run  func(b engine.Backend, x, empty engine.Buffer) error
		}{
			{"gemm with k = 0", func(b engine.Backend, x, empty engine.Buffer) error {
				return b.Gemm(engine.NoTrans, engine.NoTrans, m, n, 0, 1, empty, m, empty, 1, 0.1, x, m)
			}},
			{"gemv with an empty x", func(b engine.Backend, x, empty engine.Buffer) error {
				return b.Gemv(engine.NoTrans, m*n, 0, 1, empty, m*n, empty, 1, 0.1, x, 1)
			}},
		} {
			var got [2][]float64
			for i, b := range []engine.Backend{g, c} {
				x, err := b.Alloc(dt, m*n)
				if err != nil {
					t.Fatal(err)
				}
				empty, err := b.Alloc(dt, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := b.Upload(x, r); err != nil {
					t.Fatal(err)
				}
				if err := op.run(b, x, empty); err != nil {
					t.Fatalf("%v %s: %v", dt, op.what, err)
				}
				got[i] = make([]float64, m*n)
				if err := b.Download(got[i], x); err != nil {
					t.Fatal(err)
				}
			}
			for i := range got[0] {
				if math.Float64bits(got[0][i]) != math.Float64bits(got[1][i]) {
					t.Fatalf("%v %s: element %d is %v, the CPU's %v", dt, op.what, i, got[0][i], got[1][i])
				}
			}
		}
		g.Close()
		c.Close()
	}
}

// TestFakeOpenDType: engine.OpenDType opens the registered CUDA backend in
// float32 (and "auto" picks it), found through NETGEOM_LIBCUDA and
// NETGEOM_CUBLAS.
func TestFakeOpenDType(t *testing.T) {
	fakeGPU(t)
	t.Setenv("NETGEOM_LIBCUDA", fake.driver)
	t.Setenv("NETGEOM_CUBLAS", fake.cublasDir)
	for _, name := range []string{"cuda", "auto"} {
		b, err := engine.OpenDType(name, engine.Float32)
		if err != nil {
			t.Fatalf("OpenDType(%q, float32): %v", name, err)
		}
		if in := b.Info(); engine.DTypeOf(b) != engine.Float32 || in.Backend != "cuda" || in.DType != "float32" || in.BLAS != "cublas" {
			t.Errorf("OpenDType(%q, float32): dtype %v, Info %+v", name, engine.DTypeOf(b), in)
		}
		b.Close()
	}
}
