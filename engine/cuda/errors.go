package cuda

import (
	"errors"
	"fmt"
	"strings"

	"github.com/netgeom/netgeom/engine"
)

// cuResult is the driver API's CUresult.
type cuResult int32

// The CUresult codes this package reacts to (cuda.h).
const (
	cudaSuccess                     cuResult = 0
	cudaErrorInvalidValue           cuResult = 1
	cudaErrorOutOfMemory            cuResult = 2
	cudaErrorNotInitialized         cuResult = 3
	cudaErrorDeinitialized          cuResult = 4
	cudaErrorStubLibrary            cuResult = 34
	cudaErrorInsufficientDriver     cuResult = 35 // the runtime's cudaErrorInsufficientDriver; some drivers return it too
	cudaErrorDeviceUnavailable      cuResult = 46
	cudaErrorNoDevice               cuResult = 100
	cudaErrorInvalidDevice          cuResult = 101
	cudaErrorDeviceNotLicensed      cuResult = 102
	cudaErrorInvalidImage           cuResult = 200
	cudaErrorInvalidContext         cuResult = 201
	cudaErrorNoBinaryForGPU         cuResult = 209
	cudaErrorInvalidPTX             cuResult = 218
	cudaErrorJITCompilerNotFound    cuResult = 221
	cudaErrorUnsupportedPTXVersion  cuResult = 222
	cudaErrorJITCompilationDisabled cuResult = 223
	cudaErrorSharedObjectInitFailed cuResult = 303
	cudaErrorOperatingSystem        cuResult = 304
	cudaErrorInvalidHandle          cuResult = 400
	cudaErrorNotFound               cuResult = 500
	cudaErrorIllegalAddress         cuResult = 700
	cudaErrorLaunchOutOfResources   cuResult = 701
	cudaErrorLaunchFailed           cuResult = 719
	cudaErrorSystemNotReady         cuResult = 802
	cudaErrorSystemDriverMismatch   cuResult = 803
	cudaErrorCompatNotSupported     cuResult = 804
	cudaErrorUnknown                cuResult = 999
)

// cuResultNames are the names of the codes above, used when the driver's
// cuGetErrorName cannot say (a code it does not know, or no driver at all).
var cuResultNames = map[cuResult]string{
	cudaSuccess:                     "CUDA_SUCCESS",
	cudaErrorInvalidValue:           "CUDA_ERROR_INVALID_VALUE",
	cudaErrorOutOfMemory:            "CUDA_ERROR_OUT_OF_MEMORY",
	cudaErrorNotInitialized:         "CUDA_ERROR_NOT_INITIALIZED",
	cudaErrorDeinitialized:          "CUDA_ERROR_DEINITIALIZED",
	cudaErrorStubLibrary:            "CUDA_ERROR_STUB_LIBRARY",
	cudaErrorInsufficientDriver:     "CUDA_ERROR_INSUFFICIENT_DRIVER",
	cudaErrorDeviceUnavailable:      "CUDA_ERROR_DEVICE_UNAVAILABLE",
	cudaErrorNoDevice:               "CUDA_ERROR_NO_DEVICE",
	cudaErrorInvalidDevice:          "CUDA_ERROR_INVALID_DEVICE",
	cudaErrorDeviceNotLicensed:      "CUDA_ERROR_DEVICE_NOT_LICENSED",
	cudaErrorInvalidImage:           "CUDA_ERROR_INVALID_IMAGE",
	cudaErrorInvalidContext:         "CUDA_ERROR_INVALID_CONTEXT",
	cudaErrorNoBinaryForGPU:         "CUDA_ERROR_NO_BINARY_FOR_GPU",
	cudaErrorInvalidPTX:             "CUDA_ERROR_INVALID_PTX",
	cudaErrorJITCompilerNotFound:    "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
	cudaErrorUnsupportedPTXVersion:  "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
	cudaErrorJITCompilationDisabled: "CUDA_ERROR_JIT_COMPILATION_DISABLED",
	cudaErrorSharedObjectInitFailed: "CUDA_ERROR_SHARED_OBJECT_INIT_FAILED",
	cudaErrorOperatingSystem:        "CUDA_ERROR_OPERATING_SYSTEM",
	cudaErrorInvalidHandle:          "CUDA_ERROR_INVALID_HANDLE",
	cudaErrorNotFound:               "CUDA_ERROR_NOT_FOUND",
	cudaErrorIllegalAddress:         "CUDA_ERROR_ILLEGAL_ADDRESS",
	cudaErrorLaunchOutOfResources:   "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
	cudaErrorLaunchFailed:           "CUDA_ERROR_LAUNCH_FAILED",
	cudaErrorSystemNotReady:         "CUDA_ERROR_SYSTEM_NOT_READY",
	cudaErrorSystemDriverMismatch:   "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
	cudaErrorCompatNotSupported:     "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
	cudaErrorUnknown:                "CUDA_ERROR_UNKNOWN",
}

// cuError is a failed driver call: the call, the code, and the driver's name
// and description of the code (when it could give them).
type cuError struct {
	Call string
	Code cuResult
	Name string // "CUDA_ERROR_NO_DEVICE"
	Desc string // "no CUDA-capable device is detected"
}

func (e *cuError) Error() string {
	name := e.Name
	if name == "" {
		name = cuResultNames[e.Code]
	}
	if name == "" {
		name = fmt.Sprintf("CUresult %d", int(e.Code))
	}
	if e.Desc != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Call, name, e.Desc)
	}
	return fmt.Sprintf("%s: %s", e.Call, name)
}

// codeOf returns the CUresult of a driver error in err's chain, or -1.
func codeOf(err error) cuResult {
	var ce *cuError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// cublasStatus is cuBLAS's cublasStatus_t.
type cublasStatus int32

var cublasStatusNames = map[cublasStatus]string{
	0:  "CUBLAS_STATUS_SUCCESS",
	1:  "CUBLAS_STATUS_NOT_INITIALIZED",
	3:  "CUBLAS_STATUS_ALLOC_FAILED",
	7:  "CUBLAS_STATUS_INVALID_VALUE",
	8:  "CUBLAS_STATUS_ARCH_MISMATCH",
	11: "CUBLAS_STATUS_MAPPING_ERROR",
	13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR",
	15: "CUBLAS_STATUS_NOT_SUPPORTED",
	16: "CUBLAS_STATUS_LICENSE_ERROR",
}

// cublasError is a failed cuBLAS call.
type cublasError struct {
	Call   string
	Status cublasStatus
}

func (e *cublasError) Error() string {
	name, ok := cublasStatusNames[e.Status]
	if !ok {
		name = fmt.Sprintf("cublasStatus %d", int(e.Status))
	}
	msg := e.Call + ": " + name
	switch e.Status {
	case 1:
		msg += " (cuBLAS could not initialise: the driver may be too old for this cuBLAS, or the GPU is unusable)"
	case 3:
		msg += " (cuBLAS could not allocate device memory)"
	case 8:
		msg += " (this GPU lacks a feature cuBLAS needs)"
	}
	return msg
}

func cublasCheck(call string, st cublasStatus) error {
	if st == 0 {
		return nil
	}
	return &cublasError{Call: call, Status: st}
}

// cudaVersionString formats a driver API version (cuDriverGetVersion,
// 1000*major + 10*minor) as "major.minor".
func cudaVersionString(v int) string {
	if v <= 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d.%d", v/1000, (v%1000)/10)
}

// ptxISAToCUDA returns the CUDA version (1000*major + 10*minor) that
// introduced PTX ISA major.minor, or false when this table does not know it.
// A driver can JIT PTX only up to the ISA of its own CUDA version.
func ptxISAToCUDA(major, minor int) (int, bool) {
	switch {
	case major == 6 && minor >= 0 && minor <= 5:
		// 6.0 CUDA 9.0, 6.1 9.1, 6.2 9.2, 6.3 10.0, 6.4 10.1, 6.5 10.2
		return [...]int{9000, 9010, 9020, 10000, 10010, 10020}[minor], true
	case major == 7 && minor >= 0 && minor <= 8:
		return 11000 + 10*minor, true
	case major == 8 && minor >= 0 && minor <= 5:
		return 12000 + 10*minor, true
	case major == 8 && minor >= 6 && minor <= 8:
		return 12000 + 10*(minor+1), true // 8.6 CUDA 12.7, 8.7 12.8, 8.8 12.9
	case major == 9 && minor == 0:
		return 13000, true
	}
	return 0, false
}

// errDriverTooOld returns an error (wrapping engine.ErrUnavailable) when a
// driver of API version `driver` cannot JIT PTX ISA major.minor, else nil.
// An ISA this package does not know is left to the driver to refuse.
func errDriverTooOld(driver, major, minor int) error {
	need, ok := ptxISAToCUDA(major, minor)
	if !ok || driver >= need {
		return nil
	}
	return fmt.Errorf("%w: the NVIDIA driver is too old: it supports CUDA %s, and netgeom's kernels are PTX ISA %d.%d, which needs a driver for CUDA %s or newer; update the NVIDIA driver (see nvidia-smi for the current one)",
		engine.ErrUnavailable, cudaVersionString(driver), major, minor, cudaVersionString(need))
}

// errInit explains a failed cuInit, cuDeviceGetCount or cuDeviceGet in
// terms a user can act on. lib is the driver library's path; driver its API
// version (0 if unknown).
func errInit(err error, lib string, driver int) error {
	ver := ""
	if driver > 0 {
		ver = ", driver for CUDA " + cudaVersionString(driver)
	}
	var hint string
	switch codeOf(err) {
	case cudaErrorNoDevice:
		hint = fmt.Sprintf("no CUDA device: the NVIDIA driver library loaded (%s%s) but sees no GPU; check nvidia-smi and that /dev/nvidia0 exists (in a container, start it with --gpus all)", lib, ver)
	case cudaErrorStubLibrary:
		hint = fmt.Sprintf("%s is the CUDA toolkit's stub library, not the NVIDIA driver: install the driver, or take the toolkit's lib64/stubs folder off LD_LIBRARY_PATH", lib)
	case cudaErrorInsufficientDriver, cudaErrorSystemDriverMismatch, cudaErrorCompatNotSupported:
		hint = fmt.Sprintf("the NVIDIA driver library (%s%s) does not match the kernel driver, or is too old for this GPU: reinstall or update the NVIDIA driver and reboot", lib, ver)
	case cudaErrorDeviceUnavailable:
		hint = "the GPU is unavailable: it may be in exclusive-process compute mode and in use by another process (see nvidia-smi)"
	case cudaErrorInvalidDevice:
		hint = "no GPU with that number (NETGEOM_CUDA_DEVICE); nvidia-smi -L lists them"
	case cudaErrorNotInitialized, cudaErrorUnknown, cudaErrorOperatingSystem, cudaErrorSystemNotReady:
		hint = fmt.Sprintf("the NVIDIA driver (%s%s) failed to initialise: the kernel module may not be loaded or the GPU may be in a bad state; run nvidia-smi and check dmesg", lib, ver)
	default:
		hint = fmt.Sprintf("the NVIDIA driver (%s%s) failed to initialise", lib, ver)
	}
	return fmt.Errorf("%w: %s: %w", engine.ErrUnavailable, hint, err)
}

// errModuleLoad explains a failed cuModuleLoadDataEx of kernel module `mod`;
// jitLog is the JIT compiler's error log.
func errModuleLoad(mod string, err error, jitLog string, driver, isaMajor, isaMinor int) error {
	jitLog = strings.TrimSpace(jitLog)
	withLog := ""
	if jitLog != "" {
		withLog = "\nPTX JIT log:\n" + jitLog
	}
	switch codeOf(err) {
	case cudaErrorUnsupportedPTXVersion:
		if e := errDriverTooOld(driver, isaMajor, isaMinor); e != nil {
			return fmt.Errorf("%w (loading kernels %s: %w)", e, mod, err)
		}
		return fmt.Errorf("%w: the NVIDIA driver (CUDA %s) cannot JIT-compile PTX ISA %d.%d of kernels %s: update the NVIDIA driver: %w%s",
			engine.ErrUnavailable, cudaVersionString(driver), isaMajor, isaMinor, mod, err, withLog)
	case cudaErrorNoBinaryForGPU:
		return fmt.Errorf("%w: kernels %s cannot run on this GPU: they are PTX for compute_80 (Ampere) and newer: %w%s", engine.ErrUnavailable, mod, err, withLog)
	case cudaErrorJITCompilerNotFound:
		return fmt.Errorf("%w: the driver's PTX JIT compiler (libnvidia-ptxjitcompiler.so.1) is missing: install the full NVIDIA driver: %w", engine.ErrUnavailable, err)
	case cudaErrorJITCompilationDisabled:
		return fmt.Errorf("%w: PTX JIT compilation is disabled (CUDA_DISABLE_PTX_JIT?), and netgeom's kernels are shipped as PTX: %w", engine.ErrUnavailable, err)
	case cudaErrorOutOfMemory:
		return fmt.Errorf("%w: loading kernels %s: %w: %w", engine.ErrUnavailable, mod, engine.ErrOutOfMemory, err)
	}
	return fmt.Errorf("%w: PTX JIT compilation of kernels %s failed (a bug in netgeom's kernels or in the driver; please report it with this message): %w%s",
		engine.ErrUnavailable, mod, err, withLog)
}

// errOutOfMemory is the error of an allocation the device could not serve.
// It wraps engine.ErrOutOfMemory and says how much was asked and how much
// is free.
func errOutOfMemory(op string, asked, free, total uint64, device string, cause error) error {
	return fmt.Errorf("%s: %w on %s: asked for %s (%d bytes), %s free of %s; free buffers or use smaller batches: %w",
		op, engine.ErrOutOfMemory, device, formatBytes(asked), asked, formatBytes(free), formatBytes(total), cause)
}

// formatBytes writes n in binary units: "512 B", "1.50 KiB", "79.6 GiB".
func formatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	suffix := "KMGTPE"[exp : exp+1]
	if v < 10 {
		return fmt.Sprintf("%.2f %siB", v, suffix)
	}
	return fmt.Sprintf("%.1f %siB", v, suffix)
}
