// Package cpu is netgeom's CPU backend: gonum's BLAS interface served by
// OpenBLAS (libopenblas.so.0, loaded at run time with purego, so no cgo is
// needed to build) when it loads, and by gonum's pure-Go BLAS otherwise.
//
// Importing this package registers the "cpu" backend with engine.Open, which
// is how netgeom uses it; New opens one with explicit Options, and
// DirectDgemm calls OpenBLAS's cblas_dgemm directly (for the roofline
// benchmark). The package implements only the kernels (engine.Kernels on
// []float64, or on []float32 for a backend opened with Options.DType
// engine.Float32; see engine.Float32 and DESIGN.md for what accumulates in
// float64): New wraps them in engine.Checked, which checks every op's
// arguments; Info().BLAS names the BLAS in use.
//
// Environment:
//
//	NETGEOM_BLAS=gonum|openblas   force a BLAS; forcing openblas where it
//	                              cannot load is an error, not a fallback
//	NETGEOM_OPENBLAS=PATH         load OpenBLAS from this path
//	NETGEOM_THREADS=N             BLAS and worker threads (default: all cores)
//
// Reproducibility: OpenBLAS's results depend on its thread count, so the
// backend pins it; elementwise ops and reductions run in fixed chunks on a
// fixed number of goroutines and every output element is computed by exactly
// one goroutine in a fixed order, so the same call gives the same bits every
// run on the same machine and settings.
package cpu
