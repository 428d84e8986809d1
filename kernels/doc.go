// Package kernels holds netgeom's CUDA C kernels (*.cu) and the PTX built
// from them (*.ptx), both embedded in the binary. The CUDA backend
// (engine/cuda) hands the PTX to the driver, which JIT-compiles it for the
// GPU it finds; nothing CUDA is needed to build netgeom.
//
// Entry points: Modules lists the embedded modules and Lookup returns one by
// name. A Module holds its CUDA C Source and its PTX; Header parses the PTX's
// header (source hash, nvcc version and flags), Entries lists its kernels with
// their parameter types, and Check fails when the PTX was not built from the
// source.
//
// Each .cu file states the nvcc flags it needs on a line
// "// nvcc-flags: ...", and build.sh (`make kernels`) compiles it with
// nvcc -ptx -arch=compute_80 and those flags. The PTX starts with a header
// recording the SHA-256 of its source, the nvcc version and the flags; the
// tests fail when a .cu file changed and its PTX was not rebuilt. Files whose
// results must equal the CPU backend's bit for bit (philox.cu, and the
// elementwise ops) are compiled with -fmad=false. README.md says how to get
// nvcc.
package kernels
