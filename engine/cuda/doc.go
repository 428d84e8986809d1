// Package cuda is netgeom's CUDA backend. It binds the NVIDIA driver
// (libcuda.so.1) and cuBLAS at run time with purego, so nothing CUDA is
// needed to build and CGO_ENABLED=0 builds the same program; a machine
// without a GPU builds and tests the same binary, and New explains why it
// cannot open.
//
// Design:
//
//   - The driver API is used directly, with the primary context
//     (cuDevicePrimaryCtxRetain, cuCtxSetCurrent) and the versioned symbols
//     (cuMemAlloc_v2, cuMemcpyHtoDAsync_v2, ...). gorgonia.org/cu is not used:
//     it cannot build against CUDA 13.
//   - Every GPU call of a backend runs on one goroutine locked to its OS
//     thread, on one stream, with one cuBLAS handle in the default math mode
//     and atomics disallowed, so repeated runs give the same bits.
//   - The kernels that are not BLAS (activations with their jets and
//     backward pass, bias add, Hadamard products, column reductions, the
//     Philox normal fill, fills) are CUDA C in package kernels, compiled to
//     PTX for compute_80 and JIT-compiled by the driver when the backend
//     opens. The Philox fill is a transcription of engine/rng compiled with
//     -fmad=false: its normals equal the CPU backend's bit for bit.
//   - cuBLAS (libcublas.so.13, .12 or .11) is searched on the loader path, in
//     the usual toolkit folders, in Python wheels (site-packages/nvidia/cu13/lib,
//     nvidia/cublas/lib) and at NETGEOM_CUBLAS, with libcublasLt loaded from
//     the same folder first. Without it, gemm, gemv and the level-1 ops run on
//     netgeom's own kernels (deterministic, slower), and Info says so.
//   - Two precisions (Options.DType, engine.OpenDType): float64, and
//     float32 with float buffers (half the memory), gemm and gemv in float
//     (cublasSgemm, cublasSgemmStridedBatched, cublasSgemv in the default
//     math mode, so no TF32; or the _f32 fallback kernel), and everything
//     else on netgeom's _f32 kernels, which compute in double from the float
//     inputs and round each result once: dot, nrm2 and column dots sum in
//     double, and the elementwise ops, activations, softmax and the normal
//     fill give the CPU backend's float32 results to the bit (a float32
//     random network is the float64 one rounded, on either backend).
//
// Environment:
//
//	NETGEOM_LIBCUDA=PATH          the driver library (default libcuda.so.1)
//	NETGEOM_CUBLAS=PATH           cuBLAS: a libcublas.so.N file or the folder
//	                              holding it; failing to load it is an error
//	NETGEOM_CUDA_BLAS=cublas|kernels
//	                              force cuBLAS (an error if it cannot load)
//	                              or netgeom's own BLAS kernels
//	NETGEOM_CUDA_DEVICE=N         the GPU to use (default 0)
//
// Errors name what to do: no driver, no device, a driver too old for the
// PTX, a PTX JIT failure (with the JIT log), a GPU older than compute
// capability 8.0, and out-of-memory errors that wrap engine.ErrOutOfMemory
// with the bytes asked and free. Every reason New cannot open wraps
// engine.ErrUnavailable, so engine.Open("auto") falls back to the CPU and
// reports why.
//
// Importing this package registers the "cuda" backend with engine.Open,
// which is how netgeom uses it; New opens one with explicit Options (device,
// BLAS, library paths). The package implements only the kernels
// (engine.Kernels on device addresses): New wraps them in engine.Checked,
// which checks every op's arguments before any GPU call; Info().BLAS names
// the BLAS in use.
package cuda
