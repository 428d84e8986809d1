package cuda

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
)

func TestCuErrorText(t *testing.T) {
	e := &cuError{Call: "cuInit", Code: cudaErrorNoDevice, Name: "CUDA_ERROR_NO_DEVICE", Desc: "no CUDA-capable device is detected"}
	if got, want := e.Error(), "cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	// Without the driver's words, the package's own names serve.
	if got := (&cuError{Call: "cuMemAlloc_v2", Code: cudaErrorOutOfMemory}).Error(); got != "cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY" {
		t.Errorf("%q", got)
	}
	if got := (&cuError{Call: "x", Code: 12345}).Error(); got != "x: CUresult 12345" {
		t.Errorf("%q", got)
	}
	wrapped := fmt.Errorf("ctx: %w", e)
	if codeOf(wrapped) != cudaErrorNoDevice || codeOf(errors.New("x")) != -1 {
		t.Error("codeOf does not find the code in the chain")
	}
	if got := (&cublasError{Call: "cublasCreate_v2", Status: 1}).Error(); !strings.Contains(got, "CUBLAS_STATUS_NOT_INITIALIZED") || !strings.Contains(got, "driver may be too old") {
		t.Errorf("%q", got)
	}
	if cublasCheck("x", 0) != nil || cublasCheck("x", 99) == nil || !strings.Contains(cublasCheck("x", 99).Error(), "cublasStatus 99") {
		t.Error("cublasCheck")
	}
}

func TestVersionStrings(t *testing.T) {
	for v, want := range map[int]string{12020: "12.2", 11080: "11.8", 13000: "13.0", 0: "unknown"} {
		if got := cudaVersionString(v); got != want {
			t.Errorf("cudaVersionString(%d) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[int]string{120205: "12.2.5", 110803: "11.8.3", 130001: "13.0.1", 10201: "10.2.1", 0: "unknown"} {
		if got := cublasVersionString(v); got != want {
			t.Errorf("cublasVersionString(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestPTXISAToCUDA(t *testing.T) {
	for _, c := range []struct {
		maj, min, want int
		ok             bool
	}{
		{7, 8, 11080, true}, {7, 0, 11000, true}, {8, 0, 12000, true}, {8, 5, 12050, true},
		{8, 6, 12070, true}, {8, 8, 12090, true}, {9, 0, 13000, true}, {6, 5, 10020, true},
		{9, 9, 0, false}, {5, 0, 0, false},
	} {
		got, ok := ptxISAToCUDA(c.maj, c.min)
		if got != c.want || ok != c.ok {
			t.Errorf("ptxISAToCUDA(%d.%d) = %d, %v; want %d, %v", c.maj, c.min, got, ok, c.want, c.ok)
		}
	}
}

func TestErrDriverTooOld(t *testing.T) {
	if err := errDriverTooOld(12020, 7, 8); err != nil {
		t.Errorf("CUDA 12.2 driver, PTX 7.8: %v", err)
	}
	if err := errDriverTooOld(11080, 7, 8); err != nil {
		t.Errorf("CUDA 11.8 driver, PTX 7.8: %v", err)
	}
	if err := errDriverTooOld(12020, 99, 0); err != nil {
		t.Errorf("unknown ISA is left to the driver: %v", err)
	}
	err := errDriverTooOld(11040, 7, 8)
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("not ErrUnavailable: %v", err)
	}
	for _, w := range []string{"too old", "CUDA 11.4", "PTX ISA 7.8", "CUDA 11.8 or newer", "update the NVIDIA driver"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
}

func TestErrInit(t *testing.T) {
	for code, want := range map[cuResult][]string{
		cudaErrorNoDevice:             {"no CUDA device", "libcuda.so.1, driver for CUDA 12.2", "--gpus all"},
		cudaErrorStubLibrary:          {"stub library", "LD_LIBRARY_PATH"},
		cudaErrorInsufficientDriver:   {"does not match the kernel driver", "reboot"},
		cudaErrorSystemDriverMismatch: {"does not match the kernel driver"},
		cudaErrorDeviceUnavailable:    {"exclusive-process"},
		cudaErrorInvalidDevice:        {"NETGEOM_CUDA_DEVICE", "nvidia-smi -L"},
		cudaErrorUnknown:              {"failed to initialise", "dmesg"},
		cudaErrorNotInitialized:       {"kernel module"},
		42:                            {"failed to initialise"},
	} {
		err := errInit(&cuError{Call: "cuInit", Code: code}, "libcuda.so.1", 12020)
		if !errors.Is(err, engine.ErrUnavailable) {
			t.Errorf("code %d: not ErrUnavailable: %v", code, err)
		}
		if codeOf(err) != code {
			t.Errorf("code %d: the driver error is not wrapped: %v", code, err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("code %d: %q lacks %q", code, err, w)
			}
		}
	}
}

func TestErrModuleLoad(t *testing.T) {
	log := "ptxas application ptx input, line 12; error   : Unknown symbol 'x'\n"
	for code, want := range map[cuResult][]string{
		cudaErrorInvalidPTX:             {"PTX JIT compilation of kernels gemm failed", "please report", "PTX JIT log:\nptxas application ptx input, line 12"},
		cudaErrorUnsupportedPTXVersion:  {"too old", "CUDA 11.4", "CUDA 11.8 or newer"},
		cudaErrorNoBinaryForGPU:         {"compute_80", "PTX JIT log:"},
		cudaErrorJITCompilerNotFound:    {"libnvidia-ptxjitcompiler.so.1"},
		cudaErrorJITCompilationDisabled: {"CUDA_DISABLE_PTX_JIT"},
	} {
		err := errModuleLoad("gemm", &cuError{Call: "cuModuleLoadDataEx(gemm)", Code: code}, log, 11040, 7, 8)
		if !errors.Is(err, engine.ErrUnavailable) {
			t.Errorf("code %d: not ErrUnavailable: %v", code, err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("code %d: %q lacks %q", code, err, w)
			}
		}
	}
	// A driver new enough that still refuses the ISA: say so, with the log.
	err := errModuleLoad("gemm", &cuError{Call: "c", Code: cudaErrorUnsupportedPTXVersion}, log, 12020, 7, 8)
	if !strings.Contains(err.Error(), "cannot JIT-compile PTX ISA 7.8") || !strings.Contains(err.Error(), "Unknown symbol") {
		t.Errorf("%v", err)
	}
	err = errModuleLoad("gemm", &cuError{Call: "c", Code: cudaErrorOutOfMemory}, "", 12020, 7, 8)
	if !errors.Is(err, engine.ErrOutOfMemory) || !errors.Is(err, engine.ErrUnavailable) {
		t.Errorf("OOM while loading: %v", err)
	}
}

func TestErrOutOfMemory(t *testing.T) {
	cause := &cuError{Call: "cuMemAlloc_v2", Code: cudaErrorOutOfMemory}
	err := errOutOfMemory("alloc", 3<<30, 1<<29, 80<<30, "NVIDIA H100", cause)
	if !errors.Is(err, engine.ErrOutOfMemory) || codeOf(err) != cudaErrorOutOfMemory {
		t.Fatalf("%v", err)
	}
	want := "alloc: out of memory on NVIDIA H100: asked for 3.00 GiB (3221225472 bytes), 512.0 MiB free of 80.0 GiB; free buffers or use smaller batches: cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY"
	if err.Error() != want {
		t.Errorf("got  %q\nwant %q", err, want)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 1536: "1.50 KiB", 10 << 20: "10.0 MiB",
		85899345920: "80.0 GiB", 1 << 40: "1.00 TiB", 1<<64 - 1: "16.0 EiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestJITLog(t *testing.T) {
	buf := make([]byte, 32)
	copy(buf, "  error: bad\n\x00junk")
	if got := jitLog(buf, 14); got != "error: bad" {
		t.Errorf("%q", got)
	}
	if got := jitLog(buf, 1000); got != "error: bad" { // size larger than the buffer
		t.Errorf("%q", got)
	}
	if got := jitLog(buf, 0); got != "" {
		t.Errorf("%q", got)
	}
}
