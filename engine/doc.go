// Package engine is netgeom's compute layer: the Backend interface that every
// numerical package runs on, the Buffer handles it hands out, and backend
// selection. It knows nothing about networks. Backends live in sub-packages
// (engine/cpu, and engine/cuda for NVIDIA GPUs) and register themselves here
// when imported; engine/enginetest is the conformance suite every backend
// must pass.
//
// Entry points: Open("auto"|"cpu"|"cuda") returns a Backend (auto picks CUDA
// when its driver, a device and the kernels load, else the CPU, and Info says
// which and why); Backend's methods are the ops (buffers, BLAS, the Philox
// normal fill, fused activation jets, column reductions, softmax); FromHost
// and ToHost move slices; Register and Registered are for backends.
//
// Layout: matrices are column-major, as in BLAS and cuBLAS. A batch of B
// vectors of length N is an N x B matrix with one vector per column, stored
// contiguously (leading dimension N).
//
// Every op returns an error: bad shapes, a buffer from another backend, a
// freed buffer, or a float32 buffer (float64 is the reference dtype; float32
// is not implemented and is refused with ErrDType rather than computed
// wrongly). Ops on a GPU backend may run asynchronously; Download waits.
package engine
