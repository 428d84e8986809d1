package cuda

import (
	"fmt"
	"strings"
	"sync"
)

// cuBLAS constants (cublas_api.h).
const (
	cublasOpN               = 0
	cublasOpT               = 1
	cublasPointerModeHost   = 0
	cublasDefaultMath       = 0
	cublasAtomicsNotAllowed = 0
)

// cublasLib is a loaded libcublas with the functions netgeom calls, bound
// with purego. The handle is a uintptr, device pointers are uint64, scalars
// are passed by host pointer (CUBLAS_POINTER_MODE_HOST), int is int32 and
// the batched strides are long long (int64).
type cublasLib struct {
	path string
	lt   string

	create         func(handle *uintptr) cublasStatus
	destroy        func(handle uintptr) cublasStatus
	setStream      func(handle uintptr, stream uintptr) cublasStatus
	setPointerMode func(handle uintptr, mode int32) cublasStatus
	setMathMode    func(handle uintptr, mode int32) cublasStatus
	setAtomicsMode func(handle uintptr, mode int32) cublasStatus
	getVersion     func(handle uintptr, version *int32) cublasStatus
	dgemm          func(handle uintptr, tA, tB int32, m, n, k int32, alpha *float64, a uint64, lda int32, b uint64, ldb int32, beta *float64, c uint64, ldc int32) cublasStatus
	dgemmBatched   func(handle uintptr, tA, tB int32, m, n, k int32, alpha *float64, a uint64, lda int32, strideA int64, b uint64, ldb int32, strideB int64, beta *float64, c uint64, ldc int32, strideC int64, batch int32) cublasStatus
	dgemv          func(handle uintptr, t int32, m, n int32, alpha *float64, a uint64, lda int32, x uint64, incx int32, beta *float64, y uint64, incy int32) cublasStatus
	ddot           func(handle uintptr, n int32, x uint64, incx int32, y uint64, incy int32, result *float64) cublasStatus
	daxpy          func(handle uintptr, n int32, alpha *float64, x uint64, incx int32, y uint64, incy int32) cublasStatus
	dscal          func(handle uintptr, n int32, alpha *float64, x uint64, incx int32) cublasStatus
	dnrm2          func(handle uintptr, n int32, x uint64, incx int32, result *float64) cublasStatus
	sgemm          func(handle uintptr, tA, tB int32, m, n, k int32, alpha *float32, a uint64, lda int32, b uint64, ldb int32, beta *float32, c uint64, ldc int32) cublasStatus
	sgemmBatched   func(handle uintptr, tA, tB int32, m, n, k int32, alpha *float32, a uint64, lda int32, strideA int64, b uint64, ldb int32, strideB int64, beta *float32, c uint64, ldc int32, strideC int64, batch int32) cublasStatus
	sgemv          func(handle uintptr, t int32, m, n int32, alpha *float32, a uint64, lda int32, x uint64, incx int32, beta *float32, y uint64, incy int32) cublasStatus
}

// symbols is cuBLAS's symbol table (the _v2 API of cublas_v2.h).
func (c *cublasLib) symbols() []symbol {
	return []symbol{
		{"cublasCreate_v2", &c.create},
		{"cublasDestroy_v2", &c.destroy},
		{"cublasSetStream_v2", &c.setStream},
		{"cublasSetPointerMode_v2", &c.setPointerMode},
		{"cublasSetMathMode", &c.setMathMode},
		{"cublasSetAtomicsMode", &c.setAtomicsMode},
		{"cublasGetVersion_v2", &c.getVersion},
		{"cublasDgemm_v2", &c.dgemm},
		{"cublasDgemmStridedBatched", &c.dgemmBatched},
		{"cublasDgemv_v2", &c.dgemv},
		{"cublasDdot_v2", &c.ddot},
		{"cublasDaxpy_v2", &c.daxpy},
		{"cublasDscal_v2", &c.dscal},
		{"cublasDnrm2_v2", &c.dnrm2},
		{"cublasSgemm_v2", &c.sgemm},
		{"cublasSgemmStridedBatched", &c.sgemmBatched},
		{"cublasSgemv_v2", &c.sgemv},
	}
}

var (
	cublasMu     sync.Mutex
	cublasLoaded = map[string]*cublasLib{} // by path
)

// loadCublas loads one candidate (its libcublasLt first) once per process
// and binds the symbols.
func loadCublas(c libCandidate) (*cublasLib, error) {
	cublasMu.Lock()
	defer cublasMu.Unlock()
	if l, ok := cublasLoaded[c.Path]; ok {
		return l, nil
	}
	if c.Lt != "" {
		if _, err := dlopen(c.Lt); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Lt, err)
		}
	}
	lib, err := dlopen(c.Path)
	if err != nil {
		return nil, err
	}
	l := &cublasLib{path: c.Path, lt: c.Lt}
	if err := bindSymbols(c.Path, l.symbols(), dlsymFrom(lib)); err != nil {
		return nil, err
	}
	cublasLoaded[c.Path] = l
	return l, nil
}

// cublasHandle is an initialised cuBLAS context bound to a stream.
type cublasHandle struct {
	lib     *cublasLib
	h       uintptr
	version int // cublasGetVersion: major*10000 + minor*100 + patch (11+)
}

// newCublasHandle creates a handle on the calling thread's current context,
// bound to stream, with host pointer mode, the default math mode and
// atomics disallowed (deterministic results).
func newCublasHandle(lib *cublasLib, stream uintptr) (*cublasHandle, error) {
	var h uintptr
	if err := cublasCheck("cublasCreate_v2", lib.create(&h)); err != nil {
		return nil, err
	}
	ch := &cublasHandle{lib: lib, h: h}
	steps := []struct {
		call string
		f    func() cublasStatus
	}{
		{"cublasSetStream_v2", func() cublasStatus { return lib.setStream(h, stream) }},
		{"cublasSetPointerMode_v2", func() cublasStatus { return lib.setPointerMode(h, cublasPointerModeHost) }},
		{"cublasSetMathMode", func() cublasStatus { return lib.setMathMode(h, cublasDefaultMath) }},
		{"cublasSetAtomicsMode", func() cublasStatus { return lib.setAtomicsMode(h, cublasAtomicsNotAllowed) }},
	}
	for _, s := range steps {
		if err := cublasCheck(s.call, s.f()); err != nil {
			lib.destroy(h)
			return nil, err
		}
	}
	var v int32
	if err := cublasCheck("cublasGetVersion_v2", lib.getVersion(h, &v)); err != nil {
		lib.destroy(h)
		return nil, err
	}
	ch.version = int(v)
	return ch, nil
}

func (h *cublasHandle) close() error {
	return cublasCheck("cublasDestroy_v2", h.lib.destroy(h.h))
}

// cublasVersionString formats cublasGetVersion's number: 120205 -> "12.2.5"
// (cuBLAS 11 and later encode major*10000 + minor*100 + patch).
func cublasVersionString(v int) string {
	if v <= 0 {
		return "unknown"
	}
	if v < 100000 { // cuBLAS 10 and older: major*1000 + minor*100 + patch
		return fmt.Sprintf("%d.%d.%d", v/1000, (v%1000)/100, v%100)
	}
	return fmt.Sprintf("%d.%d.%d", v/10000, (v%10000)/100, v%100)
}

// openCublas tries the candidates in order on the calling (worker) thread
// and returns the first that loads and initialises, with the reasons the
// others failed.
func openCublas(cands []libCandidate, stream uintptr) (*cublasHandle, []string) {
	var why []string
	for _, c := range cands {
		lib, err := loadCublas(c)
		if err != nil {
			why = append(why, firstLine(err.Error()))
			continue
		}
		h, err := newCublasHandle(lib, stream)
		if err != nil {
			why = append(why, c.Path+": "+err.Error())
			continue
		}
		return h, why
	}
	return nil, why
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
