// Package activation provides the scalar activation functions of deep
// networks (tanh, erf, ReLU, sigmoid, GELU, ...) together with their first
// three derivatives, looked up by name or by a stable integer ID.
//
// Entry points: Lookup (by name, case-insensitive; "logistic" and
// "hardtanh" are aliases), ByID, and Names (the canonical names in ID order).
// A Func carries Phi, its derivatives D1, D2, D3, its Kinks and whether it is
// Odd. GELU is the exact form, x times the standard normal CDF of x
// (Hendrycks and Gimpel 2016), swish is
// x sigmoid(x) (Ramachandran, Zoph and Le 2017).
//
// It is a leaf package. Mean-field quadrature code integrates Phi, D1 and D2
// against Gaussians and uses Kinks to split integrals where phi is not
// infinitely differentiable, and Odd for sign-flip symmetries. Compute
// backends select kernels by ID; the integer values of the ID constants are
// part of the API and must never be reordered (CUDA kernels switch on them).
//
// Conventions at kinks. Derivatives of non-smooth activations are the
// classical derivatives away from the kinks, extended by a fixed one-sided
// choice at the kinks themselves; distributional (Dirac delta) parts are
// ignored:
//
//   - relu: D1(x) = 1 for x > 0 and 0 for x <= 0; D2 = D3 = 0
//     everywhere (the Dirac delta at 0 in the second derivative is
//     ignored).
//   - hard-tanh: D1(x) = 1 on the open interval (-1, 1) and 0 elsewhere
//     (including x = ±1); D2 = D3 = 0 everywhere (the Dirac deltas at ±1
//     are ignored).
//
// Callers that need the delta contributions (e.g. E[D2] for relu) must
// add them themselves using Kinks.
//
// Numerics: sigmoid, softplus and swish are evaluated without overflow for
// any finite x (in particular |x| up to 1e3); tanh derivatives are written in
// terms of t = tanh(x); erf and gelu derivatives are Gaussian densities times
// polynomials, which underflow cleanly to 0 in the tails.
package activation
