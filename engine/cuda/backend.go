package cuda

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/kernels"
)

func init() {
	engine.Register("cuda", func(dt engine.DType) (engine.Backend, error) {
		return New(Options{DType: dt})
	})
}

// Options configure a CUDA backend. Zero values take the environment's
// settings (see the package documentation) and then the defaults.
type Options struct {
	// Device is the GPU ordinal; 0 means NETGEOM_CUDA_DEVICE, else GPU 0.
	Device int
	// BLAS is "cublas", "kernels" (netgeom's own kernels), or "" for cuBLAS
	// when it loads and the kernels otherwise (NETGEOM_CUDA_BLAS).
	BLAS string
	// Driver is the path of the driver library; "" means NETGEOM_LIBCUDA,
	// else libcuda.so.1 on the loader path.
	Driver string
	// CUBLAS is a libcublas.so.N file or a folder holding one; "" means
	// NETGEOM_CUBLAS, else the search described in the package
	// documentation.
	CUBLAS string
	// DType is the precision of every buffer: engine.Float64 (the zero
	// value) or engine.Float32 (float storage, cuBLAS's S-routines for gemm
	// and gemv, everything else computed in double and rounded once; see
	// the package documentation).
	DType engine.DType
}

// device runs every engine op on one NVIDIA GPU, on device addresses; New
// wraps it in engine.Checked, which checks every argument before a kernel
// runs. Its calls run one at a time on one worker goroutine.
type device struct {
	drv *driver
	w   *worker

	mu     sync.Mutex // serialises calls; guards closed
	closed bool

	dt   engine.DType // of every buffer
	size int          // bytes per element: 8 or 4

	// Set up by open on the worker and read-only afterwards.
	dev           int32
	ordinal       int
	ctx           uintptr
	ctxHeld       bool
	stream        uintptr
	modules       map[string]uintptr
	funcs         map[*kernel]uintptr
	blas          *cublasHandle // nil: netgeom's own kernels
	blasWhy       string
	driverVersion int
	name          string
	totalMem      uint64
	maxBlocks     int
	expFMA        int32 // the activation kernels' exp path (hostexp.go)
	expWhy        string
	scratch       uint64 // device: maxPartials partial results, then scalars
	info          engine.Info

	// Used only on the worker.
	args kernelArgs
	live map[devptr]struct{} // allocations not freed yet
}

var errClosed = fmt.Errorf("cuda backend: %w", engine.ErrClosed)

// Scratch layout (float64 elements, whatever the backend's dtype).
const (
	scratchPartials = 0                   // maxPartials partial sums
	scratchScale    = maxPartials         // nrm2's scale
	scratchResult   = maxPartials + 1     // a reduction's result
	scratchLen      = maxPartials + 2 + 6 // a little spare
)

// New opens the CUDA backend on one GPU. Every reason it cannot (no driver,
// no device, a driver too old for the kernels, a GPU older than compute
// capability 8.0, a JIT failure) is an error wrapping engine.ErrUnavailable
// that says what to do.
func New(opt Options) (engine.Backend, error) {
	d, err := openDevice(opt)
	if err != nil {
		return nil, err
	}
	return engine.Checked[devptr](d), nil
}

// openDevice opens the device that New wraps.
func openDevice(opt Options) (*device, error) {
	choice := strings.ToLower(strings.TrimSpace(opt.BLAS))
	if choice == "" {
		choice = strings.ToLower(strings.TrimSpace(os.Getenv("NETGEOM_CUDA_BLAS")))
	}
	switch choice {
	case "", "auto", "cublas", "kernels":
	default:
		return nil, fmt.Errorf("cuda backend: unknown BLAS %q: valid values are cublas, kernels", choice)
	}
	ordinal := opt.Device
	if ordinal == 0 {
		if s := os.Getenv("NETGEOM_CUDA_DEVICE"); s != "" {
			d, err := strconv.Atoi(s)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("cuda backend: NETGEOM_CUDA_DEVICE=%q: want a GPU number >= 0", s)
			}
			ordinal = d
		}
	}
	if ordinal < 0 {
		return nil, fmt.Errorf("cuda backend: device %d; want a GPU number >= 0", ordinal)
	}
	if opt.DType != engine.Float64 && opt.DType != engine.Float32 {
		return nil, fmt.Errorf("cuda backend: %w %v: want float64 or float32", engine.ErrDType, opt.DType)
	}
	fs := osFileSystem()
	if opt.CUBLAS != "" {
		getenv := fs.getenv
		fs.getenv = func(k string) string {
			if k == "NETGEOM_CUBLAS" {
				return opt.CUBLAS
			}
			return getenv(k)
		}
	}
	drv, err := loadDriver(opt.Driver)
	if err != nil {
		return nil, fmt.Errorf("cuda: %w", err)
	}
	b := &device{drv: drv, w: startWorker(), ordinal: ordinal, live: map[devptr]struct{}{}, dt: opt.DType, size: opt.DType.Size()}
	b.expFMA, b.expWhy = hostExpFMA()
	if err := b.w.run(func() error { return b.open(choice, fs) }); err != nil {
		b.w.stop()
		return nil, fmt.Errorf("cuda: %w", err)
	}
	return b, nil
}

// open sets the backend up on the worker thread; on failure it releases
// what it made.
func (b *device) open(blasChoice string, fs fileSystem) (err error) {
	d := b.drv
	defer func() {
		if err != nil {
			_ = b.release()
		}
	}()
	var ver int32
	if d.cuDriverGetVersion(&ver) == cudaSuccess {
		b.driverVersion = int(ver)
	}
	if e := d.check("cuInit", d.cuInit(0)); e != nil {
		return errInit(e, d.path, b.driverVersion)
	}
	var count int32
	if e := d.check("cuDeviceGetCount", d.cuDeviceGetCount(&count)); e != nil {
		return errInit(e, d.path, b.driverVersion)
	}
	if count == 0 {
		return errInit(&cuError{Call: "cuDeviceGetCount", Code: cudaErrorNoDevice, Desc: "the driver counts 0 GPUs"}, d.path, b.driverVersion)
	}
	if b.ordinal >= int(count) {
		return fmt.Errorf("%w: GPU %d asked (NETGEOM_CUDA_DEVICE), but the driver sees %d GPU(s), numbered from 0; nvidia-smi -L lists them", engine.ErrUnavailable, b.ordinal, count)
	}
	if e := d.check("cuDeviceGet", d.cuDeviceGet(&b.dev, int32(b.ordinal))); e != nil {
		return errInit(e, d.path, b.driverVersion)
	}
	var nameBuf [256]byte
	if e := d.check("cuDeviceGetName", d.cuDeviceGetName(&nameBuf[0], int32(len(nameBuf)), b.dev)); e != nil {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, e)
	}
	b.name = cString(&nameBuf[0])
	attr := func(a int32, what string) (int, error) {
		var v int32
		if e := d.check("cuDeviceGetAttribute("+what+")", d.cuDeviceGetAttribute(&v, a, b.dev)); e != nil {
			return 0, fmt.Errorf("%w: %w", engine.ErrUnavailable, e)
		}
		return int(v), nil
	}
	vals := map[string]int{}
	for _, a := range []struct {
		id   int32
		name string
	}{
		{attrComputeCapMajor, "cc_major"}, {attrComputeCapMinor, "cc_minor"}, {attrMultiprocessors, "sms"},
		{attrPCIDomainID, "pci_domain"}, {attrPCIBusID, "pci_bus"}, {attrPCIDeviceID, "pci_device"},
		{attrMaxGridDimY, "grid_y"}, {attrMaxGridDimZ, "grid_z"},
	} {
		v, err := attr(a.id, a.name)
		if err != nil {
			return err
		}
		vals[a.name] = v
	}
	if e := d.check("cuDeviceTotalMem_v2", d.cuDeviceTotalMem(&b.totalMem, b.dev)); e != nil {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, e)
	}
	if vals["cc_major"] < 8 {
		return fmt.Errorf("%w: GPU %d (%s) has compute capability %d.%d; netgeom's kernels are PTX for %s and need compute capability 8.0 (Ampere) or newer",
			engine.ErrUnavailable, b.ordinal, b.name, vals["cc_major"], vals["cc_minor"], kernels.Arch)
	}
	if vals["grid_y"] < maxGridYZ || vals["grid_z"] < maxGridYZ {
		return fmt.Errorf("%w: GPU %s allows grids of only %d x %d in y and z; netgeom assumes %d", engine.ErrUnavailable, b.name, vals["grid_y"], vals["grid_z"], maxGridYZ)
	}
	b.maxBlocks = max(1, vals["sms"]) * 32

	mods, err := kernels.Modules()
	if err != nil {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
	}
	isaMaj, isaMin := 0, 0
	for _, m := range mods {
		a, c, err := m.ISAVersion()
		if err != nil {
			return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
		}
		if a > isaMaj || (a == isaMaj && c > isaMin) {
			isaMaj, isaMin = a, c
		}
	}
	if err := errDriverTooOld(b.driverVersion, isaMaj, isaMin); err != nil {
		return err
	}

	if e := d.check("cuDevicePrimaryCtxRetain", d.cuDevicePrimaryCtxRetain(&b.ctx, b.dev)); e != nil {
		return errInit(e, d.path, b.driverVersion)
	}
	b.ctxHeld = true
	if e := d.check("cuCtxSetCurrent", d.cuCtxSetCurrent(b.ctx)); e != nil {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, e)
	}
	if e := d.check("cuStreamCreate", d.cuStreamCreate(&b.stream, 0)); e != nil {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, e)
	}
	b.modules = map[string]uintptr{}
	for _, m := range mods {
		h, err := b.loadModule(m, isaMaj, isaMin)
		if err != nil {
			return err
		}
		b.modules[m.Name] = h
	}
	b.funcs = map[*kernel]uintptr{}
	for _, k := range allKernels {
		mod, ok := b.modules[k.module]
		if !ok {
			return fmt.Errorf("%w: internal error: no kernels module %q for %s", engine.ErrUnavailable, k.module, k.name)
		}
		sym := k.symbol(b.dt)
		name := append([]byte(sym), 0)
		var fn uintptr
		if e := d.check("cuModuleGetFunction("+sym+")", d.cuModuleGetFunction(&fn, mod, &name[0])); e != nil {
			return fmt.Errorf("%w: %w", engine.ErrUnavailable, e)
		}
		b.funcs[k] = fn
	}
	if err := b.allocDevice("open", &b.scratch, scratchLen*8); err != nil {
		return fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
	}

	switch blasChoice {
	case "kernels":
		b.blasWhy = "netgeom's own kernels, forced by NETGEOM_CUDA_BLAS=kernels"
	default:
		cands, named := cublasCandidates(fs)
		h, why := openCublas(cands, b.stream)
		switch {
		case h != nil:
			b.blas = h
			b.blasWhy = "cuBLAS found"
			if blasChoice == "cublas" {
				b.blasWhy = "cuBLAS, forced by NETGEOM_CUDA_BLAS=cublas"
			}
		case named || blasChoice == "cublas":
			what := "NETGEOM_CUDA_BLAS=cublas"
			if named {
				what = "NETGEOM_CUBLAS=" + fs.getenv("NETGEOM_CUBLAS")
			}
			return fmt.Errorf("%w: %s but cuBLAS cannot be loaded: %s", engine.ErrUnavailable, what, strings.Join(why, "; "))
		default:
			b.blasWhy = "cuBLAS not found (libcublas.so.13, .12 or .11 on the loader path, in the CUDA toolkit folders or in Python wheels; set NETGEOM_CUBLAS to name it): gemm and the level-1 ops run on netgeom's own kernels (slower)"
			if len(why) > 0 {
				b.blasWhy = "cuBLAS could not be loaded (" + strings.Join(why, "; ") + "): gemm and the level-1 ops run on netgeom's own kernels (slower)"
			}
		}
	}
	b.info = b.makeInfo(vals, isaMaj, isaMin)
	return nil
}

func (b *device) makeInfo(vals map[string]int, isaMaj, isaMin int) engine.Info {
	d := map[string]string{
		"device_ordinal":     strconv.Itoa(b.ordinal),
		"compute_capability": fmt.Sprintf("%d.%d", vals["cc_major"], vals["cc_minor"]),
		"memory":             formatBytes(b.totalMem),
		"multiprocessors":    strconv.Itoa(vals["sms"]),
		"pci":                fmt.Sprintf("%04x:%02x:%02x.0", vals["pci_domain"], vals["pci_bus"], vals["pci_device"]),
		"driver":             "CUDA " + cudaVersionString(b.driverVersion) + " (" + b.drv.path + ")",
		"kernels":            fmt.Sprintf("PTX ISA %d.%d for %s, JIT-compiled by the driver", isaMaj, isaMin, kernels.Arch),
		"blas_reason":        b.blasWhy,
		"exp":                b.expWhy,
	}
	if b.dt == engine.Float32 {
		d["float32"] = "float buffers; gemm and gemv in float (cuBLAS's S-routines, default math mode: no TF32), " +
			"dot, nrm2 and column dots summed in double, elementwise ops and activations computed in double and rounded once"
	}
	blasName := "kernels"
	if b.blas != nil {
		blasName = "cublas"
		d["cublas"] = cublasVersionString(b.blas.version) + " (" + b.blas.lib.path + ")"
		if b.blas.lib.lt != "" {
			d["cublaslt"] = b.blas.lib.lt
		}
	}
	return engine.Info{
		Backend: "cuda",
		Device:  fmt.Sprintf("%s (compute capability %d.%d, %s)", b.name, vals["cc_major"], vals["cc_minor"], formatBytes(b.totalMem)),
		BLAS:    blasName,
		Threads: 1, // one host thread issues every GPU call
		Details: d,
	}
}

// loadModule JIT-compiles one PTX module, capturing the JIT error log.
func (b *device) loadModule(m kernels.Module, isaMaj, isaMin int) (uintptr, error) {
	img := m.Image()
	logBuf := make([]byte, 64<<10)
	opts := []int32{jitErrorLogBuffer, jitErrorLogBufferBytes}
	vals := []uintptr{uintptr(unsafe.Pointer(&logBuf[0])), uintptr(len(logBuf))}
	var mod uintptr
	r := b.drv.cuModuleLoadDataEx(&mod, unsafe.Pointer(&img[0]), uint32(len(opts)), &opts[0], &vals[0])
	runtime.KeepAlive(img)
	runtime.KeepAlive(logBuf)
	if err := b.drv.check("cuModuleLoadDataEx("+m.Name+")", r); err != nil {
		return 0, errModuleLoad(m.Name, err, jitLog(logBuf, vals[1]), b.driverVersion, isaMaj, isaMin)
	}
	return mod, nil
}

// jitLog returns the log the JIT wrote into buf; filled is what the driver
// reported back through CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES.
func jitLog(buf []byte, filled uintptr) string {
	n := len(buf)
	if filled < uintptr(n) {
		n = int(filled)
	}
	s := buf[:n]
	for i, c := range s {
		if c == 0 {
			s = s[:i]
			break
		}
	}
	return strings.TrimSpace(string(s))
}

// release frees everything open made, in reverse order. It runs on the
// worker.
func (b *device) release() error {
	d := b.drv
	var errs []error
	for p := range b.live {
		errs = append(errs, d.check("cuMemFree_v2", d.cuMemFree(uint64(p))))
		delete(b.live, p)
	}
	if b.blas != nil {
		errs = append(errs, b.blas.close())
		b.blas = nil
	}
	if b.scratch != 0 {
		errs = append(errs, d.check("cuMemFree_v2", d.cuMemFree(b.scratch)))
		b.scratch = 0
	}
	for name, m := range b.modules {
		errs = append(errs, d.check("cuModuleUnload("+name+")", d.cuModuleUnload(m)))
	}
	b.modules = nil
	if b.stream != 0 {
		errs = append(errs, d.check("cuStreamDestroy_v2", d.cuStreamDestroy(b.stream)))
		b.stream = 0
	}
	if b.ctxHeld {
		errs = append(errs, d.check("cuDevicePrimaryCtxRelease_v2", d.cuDevicePrimaryCtxRelease(b.dev)))
		b.ctxHeld = false
	}
	return errors.Join(errs...)
}

// DType implements engine.Kernels: the precision the backend was opened
// for.
func (b *device) DType() engine.DType { return b.dt }

// Info implements engine.Kernels.
func (b *device) Info() engine.Info {
	in := b.info
	in.Details = map[string]string{}
	for k, v := range b.info.Details {
		in.Details[k] = v
	}
	return in
}

// BLAS names the BLAS in use: "cublas" or "kernels".
func (b *device) BLAS() string { return b.info.BLAS }

// Close implements engine.Kernels: it frees every buffer, the kernels, the
// cuBLAS handle and the stream, and releases the primary context.
func (b *device) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.w.run(b.release)
	b.w.stop()
	if err != nil {
		return fmt.Errorf("cuda backend: close: %w", err)
	}
	return nil
}

// do runs f on the worker, serialised with every other call.
func (b *device) do(f func() error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errClosed
	}
	return b.w.run(f)
}

// at is the device address of float64 element i of p (the scratch).
func (p devptr) at(i int) devptr { return p + devptr(i)*8 }

// elem is the device address of element i of buffer memory p, in the
// backend's dtype.
func (b *device) elem(p devptr, i int) devptr { return p + devptr(i)*devptr(b.size) }

// allocDevice allocates bytes of device memory into *p; an out-of-memory
// error says how much was asked and how much is free. It runs on the
// worker.
func (b *device) allocDevice(op string, p *uint64, bytes uint64) error {
	r := b.drv.cuMemAlloc(p, bytes)
	if r == cudaSuccess {
		return nil
	}
	err := b.drv.check("cuMemAlloc_v2", r)
	if r == cudaErrorOutOfMemory {
		var free, total uint64
		if b.drv.cuMemGetInfo(&free, &total) != cudaSuccess {
			free, total = 0, b.totalMem
		}
		return errOutOfMemory(op, bytes, free, total, b.name, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// MaxInt implements engine.Kernels: cuBLAS takes 32-bit integers, netgeom's
// own kernels 64-bit ones.
func (b *device) MaxInt() (int, string) {
	if b.blas != nil {
		return math.MaxInt32, "cuBLAS's 32-bit integers"
	}
	return math.MaxInt, "the largest int"
}

// Alloc implements engine.Kernels. An empty allocation is the address 0.
func (b *device) Alloc(n int) (devptr, error) {
	var p uint64
	err := b.do(func() error {
		if n == 0 {
			return nil
		}
		if err := b.allocDevice("alloc", &p, uint64(n)*uint64(b.size)); err != nil {
			return err
		}
		b.live[devptr(p)] = struct{}{}
		if err := b.launch1D(kFill, n, devptr(p), int64(n), 0.0); err != nil {
			return fmt.Errorf("alloc: zero fill: %w", err)
		}
		return nil
	})
	return devptr(p), err
}

// Free implements engine.Kernels.
func (b *device) Free(p devptr) error {
	return b.do(func() error {
		if p == 0 {
			return nil
		}
		delete(b.live, p)
		// cuMemFree waits for the work queued on the memory.
		if err := b.drv.check("cuMemFree_v2", b.drv.cuMemFree(uint64(p))); err != nil {
			return fmt.Errorf("free: %w", err)
		}
		return nil
	})
}

// View implements engine.Kernels.
func (b *device) View(p devptr, off, _ int) devptr { return b.elem(p, off) }
