package cuda

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/netgeom/netgeom/engine"
)

// Driver API constants (cuda.h).
const (
	attrMaxGridDimY        = 6
	attrMaxGridDimZ        = 7
	attrMultiprocessors    = 16
	attrPCIBusID           = 33
	attrPCIDeviceID        = 34
	attrPCIDomainID        = 50
	attrComputeCapMajor    = 75
	attrComputeCapMinor    = 76
	jitErrorLogBuffer      = 5
	jitErrorLogBufferBytes = 6
	jitLogVerbose          = 12
)

// driver is libcuda.so.1 with the functions netgeom calls, bound with
// purego. CUdevice is int32; CUcontext, CUmodule, CUfunction and CUstream
// are uintptr handles; CUdeviceptr is uint64; size_t is uint64 (64-bit
// Linux only).
type driver struct {
	path string

	cuInit                    func(flags uint32) cuResult
	cuDriverGetVersion        func(version *int32) cuResult
	cuDeviceGetCount          func(count *int32) cuResult
	cuDeviceGet               func(dev *int32, ordinal int32) cuResult
	cuDeviceGetName           func(name *byte, length int32, dev int32) cuResult
	cuDeviceGetAttribute      func(value *int32, attr int32, dev int32) cuResult
	cuDeviceTotalMem          func(bytes *uint64, dev int32) cuResult
	cuDevicePrimaryCtxRetain  func(ctx *uintptr, dev int32) cuResult
	cuDevicePrimaryCtxRelease func(dev int32) cuResult
	cuCtxSetCurrent           func(ctx uintptr) cuResult
	cuModuleLoadDataEx        func(mod *uintptr, image unsafe.Pointer, numOptions uint32, options *int32, values *uintptr) cuResult
	cuModuleUnload            func(mod uintptr) cuResult
	cuModuleGetFunction       func(fn *uintptr, mod uintptr, name *byte) cuResult
	cuLaunchKernel            func(fn uintptr, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes uint32, stream uintptr, params unsafe.Pointer, extra unsafe.Pointer) cuResult
	cuMemAlloc                func(ptr *uint64, bytes uint64) cuResult
	cuMemFree                 func(ptr uint64) cuResult
	cuMemGetInfo              func(free, total *uint64) cuResult
	cuMemcpyHtoDAsync         func(dst uint64, src unsafe.Pointer, bytes uint64, stream uintptr) cuResult
	cuMemcpyDtoHAsync         func(dst unsafe.Pointer, src uint64, bytes uint64, stream uintptr) cuResult
	cuMemcpyDtoDAsync         func(dst, src uint64, bytes uint64, stream uintptr) cuResult
	cuStreamCreate            func(stream *uintptr, flags uint32) cuResult
	cuStreamDestroy           func(stream uintptr) cuResult
	cuStreamSynchronize       func(stream uintptr) cuResult
	cuGetErrorName            func(code cuResult, name **byte) cuResult
	cuGetErrorString          func(code cuResult, desc **byte) cuResult
}

// symbol pairs a library symbol with the Go function variable it binds.
type symbol struct {
	name string
	fn   any // pointer to a func variable
}

// symbols is the driver's symbol table: every entry point netgeom uses,
// with the versioned names the CUDA headers map the plain names to.
func (d *driver) symbols() []symbol {
	return []symbol{
		{"cuInit", &d.cuInit},
		{"cuDriverGetVersion", &d.cuDriverGetVersion},
		{"cuDeviceGetCount", &d.cuDeviceGetCount},
		{"cuDeviceGet", &d.cuDeviceGet},
		{"cuDeviceGetName", &d.cuDeviceGetName},
		{"cuDeviceGetAttribute", &d.cuDeviceGetAttribute},
		{"cuDeviceTotalMem_v2", &d.cuDeviceTotalMem},
		{"cuDevicePrimaryCtxRetain", &d.cuDevicePrimaryCtxRetain},
		{"cuDevicePrimaryCtxRelease_v2", &d.cuDevicePrimaryCtxRelease},
		{"cuCtxSetCurrent", &d.cuCtxSetCurrent},
		{"cuModuleLoadDataEx", &d.cuModuleLoadDataEx},
		{"cuModuleUnload", &d.cuModuleUnload},
		{"cuModuleGetFunction", &d.cuModuleGetFunction},
		{"cuLaunchKernel", &d.cuLaunchKernel},
		{"cuMemAlloc_v2", &d.cuMemAlloc},
		{"cuMemFree_v2", &d.cuMemFree},
		{"cuMemGetInfo_v2", &d.cuMemGetInfo},
		{"cuMemcpyHtoDAsync_v2", &d.cuMemcpyHtoDAsync},
		{"cuMemcpyDtoHAsync_v2", &d.cuMemcpyDtoHAsync},
		{"cuMemcpyDtoDAsync_v2", &d.cuMemcpyDtoDAsync},
		{"cuStreamCreate", &d.cuStreamCreate},
		{"cuStreamDestroy_v2", &d.cuStreamDestroy},
		{"cuStreamSynchronize", &d.cuStreamSynchronize},
		{"cuGetErrorName", &d.cuGetErrorName},
		{"cuGetErrorString", &d.cuGetErrorString},
	}
}

// bindSymbols looks every symbol up with lookup and, when all are found,
// binds each Go function variable to its address with purego. Nothing is
// bound when one is missing; the error lists every missing name.
func bindSymbols(lib string, syms []symbol, lookup func(name string) (uintptr, error)) error {
	addrs := make([]uintptr, len(syms))
	var missing []string
	for i, s := range syms {
		a, err := lookup(s.name)
		if err != nil || a == 0 {
			missing = append(missing, s.name)
			continue
		}
		addrs[i] = a
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s lacks %s", lib, strings.Join(missing, ", "))
	}
	for i, s := range syms {
		purego.RegisterFunc(s.fn, addrs[i])
	}
	return nil
}

// dlopen opens a shared library, local to netgeom's lookups.
func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
}

func dlsymFrom(lib uintptr) func(string) (uintptr, error) {
	return func(name string) (uintptr, error) { return purego.Dlsym(lib, name) }
}

// defaultDriverPaths are tried in order when NETGEOM_LIBCUDA is not set:
// the loader path, then WSL2's driver folder.
var defaultDriverPaths = []string{"libcuda.so.1", "/usr/lib/wsl/lib/libcuda.so.1"}

var (
	driversMu sync.Mutex
	drivers   = map[string]*driver{} // loaded drivers by path
)

// loadDriver loads the driver library at path (or, for "", at
// NETGEOM_LIBCUDA or the default paths) once per process and binds its
// symbols. A library that cannot be found gives an error wrapping
// engine.ErrUnavailable that says libcuda.so.1 was not found.
func loadDriver(path string) (*driver, error) {
	paths, named := []string{path}, path
	if path == "" {
		paths = defaultDriverPaths
		if p := os.Getenv("NETGEOM_LIBCUDA"); p != "" {
			paths, named = []string{p}, "NETGEOM_LIBCUDA="+p
		}
	}
	driversMu.Lock()
	defer driversMu.Unlock()
	var errs []string
	for _, p := range paths {
		if d, ok := drivers[p]; ok {
			return d, nil
		}
		lib, err := dlopen(p)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		d := &driver{path: p}
		if err := bindSymbols(p, d.symbols(), dlsymFrom(lib)); err != nil {
			return nil, fmt.Errorf("%w: the NVIDIA driver library is too old for netgeom (it needs a driver for CUDA 11.8 or newer): %w", engine.ErrUnavailable, err)
		}
		drivers[p] = d
		return d, nil
	}
	if named != "" {
		return nil, fmt.Errorf("%w: the NVIDIA driver library %s could not be loaded [%s]", engine.ErrUnavailable, named, strings.Join(errs, "; "))
	}
	return nil, fmt.Errorf("%w: libcuda.so.1 was not found: no NVIDIA driver is installed on this machine, or it is not on the loader path (set NETGEOM_LIBCUDA=/path/to/libcuda.so.1) [%s]",
		engine.ErrUnavailable, strings.Join(errs, "; "))
}

// cString reads a NUL-terminated C string.
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var n int
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// check turns a CUresult into nil or a *cuError with the driver's name and
// description of the code.
func (d *driver) check(call string, r cuResult) error {
	if r == cudaSuccess {
		return nil
	}
	e := &cuError{Call: call, Code: r}
	var p *byte
	if d.cuGetErrorName(r, &p) == cudaSuccess {
		e.Name = cString(p)
	}
	p = nil
	if d.cuGetErrorString(r, &p) == cudaSuccess {
		e.Desc = cString(p)
	}
	return e
}
