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
// and ToHost move slices. Ops(b) returns a Recorder, which runs a sequence of
// ops and stops at the first failure; NewScope(b) returns a Scope, a Recorder
// that also owns the buffers it allocates (scratch included) and frees them
// all on Close. For backends: Kernels is what one implements, Checked wraps
// it into the Backend that checks every op's arguments (shapes, ownership,
// freed buffers, dtypes) once for all backends, and Register makes it known
// to Open.
//
// Layout: matrices are column-major, as in BLAS and cuBLAS. A batch of B
// vectors of length N is an N x B matrix with one vector per column, stored
// contiguously (leading dimension N).
//
// Every op returns an error: bad shapes, a buffer from another backend, a
// freed buffer, a closed backend, or a buffer of the other dtype (a backend
// computes in float64, the reference, or in float32 where it was opened for
// it, and refuses the other dtype with ErrDType; DTypeOf says which). Ops on
// a GPU backend may run
// asynchronously; Download waits.
//
// Concurrency: a Backend is safe for concurrent use by several goroutines
// (the census's workers share one). Ops on different buffers may run at the
// same time: the CPU backend runs them in parallel, the CUDA backend queues
// them one at a time on its one worker thread. Several goroutines may read
// one buffer at once; a buffer that one goroutine writes must not be read
// or written by another until that op has returned (as with any memory).
// Free and Close wait for the ops in flight and exclude new ones while they
// run; after Close every op fails with ErrClosed. Checked enforces this
// with a read-write lock. A Recorder or a Scope is for one goroutine.
package engine
