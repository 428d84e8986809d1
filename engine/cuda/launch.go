package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/netgeom/netgeom/engine"
)

// devptr is a device address (CUdeviceptr) passed to a kernel.
type devptr uint64

// kernel names one __global__ function of package kernels and its
// parameters, one letter each: p a device pointer (devptr), l a long long
// (int64), u an unsigned long long (uint64), i an int (int32), d a double
// (float64). TestKernelSignatures checks every signature against the PTX.
//
// A kernel that reads or writes the caller's buffers comes in both
// precisions: name on double buffers and name_f32 on float buffers, with
// the same signature (scalars stay double); the backend loads the one of
// its dtype. The reductions' final kernels work on the float64 scratch only.
type kernel struct {
	module string // kernels module (file name without .cu)
	name   string
	sig    string
	typed  bool // a name_f32 variant exists
}

// symbol is the kernel's function name for buffers of dtype dt.
func (k *kernel) symbol(dt engine.DType) string {
	if k.typed && dt == engine.Float32 {
		return k.name + "_f32"
	}
	return k.name
}

// The kernels of package kernels that the backend launches.
var (
	kFillNormal    = &kernel{"philox", "netgeom_fill_normal", "pluuud", true}
	kAct           = &kernel{"activation", "netgeom_act", "iiippl", true}
	kActJet        = &kernel{"activation", "netgeom_act_jet", "iippppppl", true}
	kActBackward   = &kernel{"activation", "netgeom_act_backward", "iipppl", true}
	kFill          = &kernel{"elementwise", "netgeom_fill", "pld", true}
	kHadamard      = &kernel{"elementwise", "netgeom_hadamard", "pppl", true}
	kAddBias       = &kernel{"elementwise", "netgeom_add_bias", "llppl", true}
	kScaleMatrix   = &kernel{"elementwise", "netgeom_scale_matrix", "lldplll", true}
	kAxpy          = &kernel{"elementwise", "netgeom_axpy", "ldplpl", true}
	kScal          = &kernel{"elementwise", "netgeom_scal", "ldpl", true}
	kColumnDots    = &kernel{"reduce", "netgeom_column_dots", "llplplp", true}
	kDotPartial    = &kernel{"reduce", "netgeom_dot_partial", "lplplp", true}
	kSumFinal      = &kernel{"reduce", "netgeom_sum_final", "ipp", false}
	kAbsmaxPartial = &kernel{"reduce", "netgeom_absmax_partial", "lplp", true}
	kAbsmaxFinal   = &kernel{"reduce", "netgeom_absmax_final", "ipp", false}
	kSumsqPartial  = &kernel{"reduce", "netgeom_sumsq_partial", "lplpp", true}
	kNrm2Final     = &kernel{"reduce", "netgeom_nrm2_final", "ippp", false}
	kGemm          = &kernel{"gemm", "netgeom_gemm", "iillldpllplldpll", true}
	kSoftmax       = &kernel{"activation", "netgeom_softmax", "iillplpl", true}
	kScaleColumns  = &kernel{"elementwise", "netgeom_scale_columns", "llppl", true}
)

// allKernels lists every kernel the backend resolves when it opens.
var allKernels = []*kernel{
	kFillNormal, kAct, kActJet, kActBackward, kFill, kHadamard, kAddBias, kScaleMatrix,
	kAxpy, kScal, kColumnDots, kDotPartial, kSumFinal, kAbsmaxPartial, kAbsmaxFinal,
	kSumsqPartial, kNrm2Final, kGemm, kSoftmax, kScaleColumns,
}

// Launch geometry.
const (
	blockSize    = 256 // threads per block of the 1-D kernels; reduce.cu's NG_RB
	gemmTile     = 16  // gemm.cu's NG_TS
	maxGridYZ    = 65535
	maxPartials  = 256 // blocks of a multi-block reduction; also the scratch size
	maxKernelArg = 16
)

// kernelArgs holds a launch's argument values and the pointers to them that
// cuLaunchKernel reads. It lives in the device (on the heap, where the Go
// collector does not move it) and is used only on the worker thread.
type kernelArgs struct {
	vals [maxKernelArg]uint64
	ptrs [maxKernelArg]uintptr
}

// pack checks args against the kernel's signature and stores them.
func (ka *kernelArgs) pack(k *kernel, args []any) error {
	if len(args) != len(k.sig) || len(args) > maxKernelArg {
		return fmt.Errorf("internal error: kernel %s takes %d arguments, %d given", k.name, len(k.sig), len(args))
	}
	for i, a := range args {
		var ok bool
		var v uint64
		switch x := a.(type) {
		case devptr:
			v, ok = uint64(x), k.sig[i] == 'p'
		case int64:
			v, ok = uint64(x), k.sig[i] == 'l'
		case uint64:
			v, ok = x, k.sig[i] == 'u'
		case int32:
			v, ok = uint64(uint32(x)), k.sig[i] == 'i'
		case float64:
			v, ok = math.Float64bits(x), k.sig[i] == 'd'
		}
		if !ok {
			return fmt.Errorf("internal error: kernel %s argument %d is %T; the signature says %q", k.name, i, a, k.sig[i])
		}
		ka.vals[i] = v
		ka.ptrs[i] = uintptr(unsafe.Pointer(&ka.vals[i]))
	}
	return nil
}

// dim3 is a CUDA grid or block shape.
type dim3 struct{ x, y, z uint32 }

// launch runs kernel k on the backend's stream. It must run on the worker.
func (b *device) launch(k *kernel, grid, block dim3, shared uint32, args ...any) error {
	fn, ok := b.funcs[k]
	if !ok {
		return fmt.Errorf("internal error: kernel %s not loaded", k.name)
	}
	if err := b.args.pack(k, args); err != nil {
		return err
	}
	r := b.drv.cuLaunchKernel(fn, grid.x, grid.y, grid.z, block.x, block.y, block.z, shared, b.stream,
		unsafe.Pointer(&b.args.ptrs[0]), nil)
	return b.drv.check("cuLaunchKernel "+k.name, r)
}

// grid1D is the grid of a grid-stride loop over n items: one thread per
// item up to a cap of blocks per multiprocessor (the loop covers the rest).
// Results never depend on it.
func (b *device) grid1D(n int) dim3 {
	blocks := (n + blockSize - 1) / blockSize
	return dim3{uint32(max(1, min(blocks, b.maxBlocks))), 1, 1}
}

// launch1D launches a grid-stride kernel over n items (a no-op for n = 0).
func (b *device) launch1D(k *kernel, n int, args ...any) error {
	if n == 0 {
		return nil
	}
	return b.launch(k, b.grid1D(n), dim3{blockSize, 1, 1}, 0, args...)
}

// partials is the block count of a multi-block reduction over n elements:
// it depends on n only, so the reduction tree, and the bits, do too.
func partials(n int) int {
	return max(1, min(maxPartials, (n+blockSize-1)/blockSize))
}
