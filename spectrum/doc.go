// Package spectrum computes eigenvalues of symmetric linear operators that are
// given only as matrix-vector products on an engine backend: loss Hessians
// (Hessian-vector products by the R-operator), Gauss-Newton matrices, input
// Hessians and J^T J of network Jacobians. The dimension P may be 10^5 to
// 10^7, so every vector of length P lives in a backend buffer; only small
// projected problems (at most a few hundred rows) are solved on the host,
// with gonum's LAPACK.
//
// The formulas and the conventions are in docs/science.md section 5. Entry
// points: Lanczos, SLQ (with Quadrature.Density, Integrate and Measure, and
// DefaultGrid) and Trace, each on an Operator.
//
// Three tools:
//
//   - Lanczos: a few extreme eigenpairs (largest, smallest or largest in
//     magnitude) by thick-restart Lanczos (Wu and Simon, SIAM J. Matrix
//     Anal. Appl. 2000) with full reorthogonalisation. The
//     Krylov basis is one Dim x (MaxBasis+1) column-major buffer on the
//     backend; every new vector is orthogonalised against all basis vectors
//     by classical Gram-Schmidt, twice (and a third time when the second pass
//     still removes most of it), with two Gemv calls per pass. Each Ritz
//     value carries the residual bound |beta s_last| (plus any residual that
//     a restart with a fresh vector dropped), which is ||A y - theta y|| in
//     exact arithmetic.
//   - SLQ: stochastic Lanczos quadrature (Ubaru, Chen and Saad, SIAM J.
//     Matrix Anal. Appl. 2017; Ghorbani, Krishnan and Xiao, ICML 2019) for
//     the spectral density and for traces tr f(A).
//   - Trace: Hutchinson's estimator (Hutchinson 1989) with Rademacher
//     vectors, and its standard error.
//
// Random vectors. Every random vector comes from the backend's Philox
// normals (Backend.FillNormal), so results are reproducible bit for bit from
// the seed on a given backend and BLAS: vector k of a run uses stream k of
// the seed (Lanczos: stream 0 for the start vector and stream i for the i-th
// fresh vector, after a breakdown or a Verify lock; SLQ and Trace: stream k
// for sample k, so with equal seeds they use the same sign vectors).
// Rademacher vectors are the signs of those normals, formed on the backend
// as 2 relu'(g) - 1 with relu'(g) = 1 for g > 0 and 0 otherwise (package
// activation's convention), so a normal exactly 0 maps to -1; P(g = 0) is 0
// for the Box-Muller normals and every entry is exactly +1 or -1.
//
// Operators. Operator.Apply(x, y) must set y = A x for buffers of length Dim
// from the same backend; x may be a view into the Krylov basis and must not
// be written. Every function here checks its arguments and returns errors
// with context; none panics on bad input.
package spectrum
