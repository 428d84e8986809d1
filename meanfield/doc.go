// Package meanfield computes the mean-field theory of wide random deep
// networks (Poole et al. 2016, Schoenholz et al. 2017) for any activation of
// package activation and weight and bias scales (sigma_w, sigma_b): the
// length map and its fixed point q*, the two-input covariance map and the
// correlation map (C-map) with its stable fixed point c*, the slopes chi_1
// and chi_2, the depth scales xi_q and xi_c, the phase (ordered, critical,
// chaotic), the critical sigma_w and the order-to-chaos curve, the
// layer-by-layer length and curvature of a great circle pushed through the
// network (Poole's eq. 8), and phase grids over (sigma_w, sigma_b). It also
// gives the derivative moments mu_k of Pennington, Schoenholz and Ganguli
// (2017) that predict the spectrum of the input-output Jacobian, and the mean
// field of networks with product (multiplication-neuron) layers. The
// formulas, their sources and the conventions are in docs/science.md
// sections 2, 3, 4 and 7.
//
// Entry points: New (or NewVar) builds a Model; Model.Analyze gives q*, c*,
// chi_1, chi_2, xi_q, xi_c and the phase at once; Model.LengthMap,
// FixedLength, CovarianceMap, CMap, Chi1, Chi2, Moments and Expect2 are the
// pieces; Model.Circle and CorrelationTrajectory give layer-by-layer
// predictions; CriticalSigmaW, CriticalCurve and PhaseGrid scan parameters;
// Model.DerivativeMoment and JacobianMoments serve Jacobian spectra; the
// Product* and Stack* methods and SigmaWForChi1 handle product layers
// (product.go states their derivations). The closed forms ErfKernel,
// ReLUKernel, ... are exported as test references.
//
// It is pure scalar numerics and imports no compute backend.
//
// # Parameters
//
// A Model holds the variances sigma_w^2 and sigma_b^2 (New takes standard
// deviations, NewVar variances, so sigma_w^2 = 2 is exact for ReLU).
// Negative or non-finite parameters are errors.
//
// # Integrals
//
// Gaussian expectations E[f(sqrt(q) z)] and E[f(u1) g(u2)] are computed in
// one of three ways.
//
//   - Smooth activations, rule Sinc (the default): the trapezoidal (sinc)
//     rule in z on [-9, 9] (the Gaussian mass outside is below 3e-19) with step
//     h = 2^(-l/2). For integrands analytic in a strip it converges
//     exponentially in 1/h, uniformly in q. The level l is the smallest whose
//     result differs from level l+1 by at most Tol times E|f| (the difference
//     estimates level l's error; the finer level is far more accurate); it is
//     found once per activation and bucket of q (factors of sqrt 2) and
//     cached. 1-D moments are returned at level l+1 with the difference as
//     error estimate. 2-D integrals are tensor products of the same rule
//     (truncated to the disk of radius 8, halved by symmetry for odd
//     activations) at the level that E[phi^2] and E[phi'^2] need; Expect2
//     and Analyze report the difference between levels l and l+1.
//   - Smooth activations, rule GaussHermite: Gauss-Hermite of order
//     n = round(10 * 2^(l/2)), adapted and compared in the same way. It is
//     kept for comparison: for tanh it is accurate at small q but converges
//     slowly once tanh(sqrt(q) z) is steep, because its nodes spread out to
//     |z| ~ 2 sqrt(n) where the weight is negligible. Measured relative errors
//     of E[tanh(sqrt(q) z)^2] at q = 40: 2e-2 (n = 100), 3e-4 (n = 400),
//     1.4e-6 (n = 1000); for E[tanh'^2] 0.47, 2e-2, 2.5e-4. The sinc rule
//     reaches 1e-12 there with about 400 nodes, which is why it is the
//     default; the phase grid (sigma_b up to 4) reaches q* ~ 40.
//   - Piecewise-linear activations (relu, hard-tanh; detected from Kinks and
//     a vanishing second derivative between them): exact Gaussian integrals.
//     1-D moments are sums of truncated normal moments (erfc and the normal
//     density); 2-D expectations are sums over pairs of pieces of truncated
//     bivariate normal moments, with the orthant probability by Genz's
//     algorithm (Drezner-Wesolowsky, 20-point Gauss-Legendre). The accuracy
//     is that of the bivariate normal probability, about 1e-15 absolute.
//     Linear (D2 = 0, no kinks) uses the same exact forms. Plain
//     Gauss-Hermite converges only algebraically on kinks: the measured
//     error of E[relu'(u1) relu'(u2)] at c = 0.5 is 6e-2, 6e-3 and 2e-3 at
//     n = 25, 100 and 400.
//
// Closed forms for erf, relu and linear (ErfKernel, ReLUKernel, ...) live
// beside the quadrature and are the tests' references. Activations with kinks
// that are not piecewise linear are not supported (an error).
//
// Kinks follow the activation package's conventions: Dirac deltas of the second
// derivative D2 are ignored, so chi_2 = 0 for piecewise-linear activations (their mean-field
// curvature recursion transports the input curvature only), while the length
// map slope V'(q) (used by xi_q) is computed from the Stein form
// E[z phi(u) phi'(u)]/sqrt(q), which needs no second derivative and is exact
// for kinks.
//
// # Fixed points
//
// The length map V(q) = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 is iterated
// from a starting q0 (up to 200 layers, converged when a layer moves q by
// less than 1e-14 q); when that is slow or grows, the fixed point is
// bracketed (by doubling or halving) and found by the Illinois method. No
// finite fixed point (relu at sigma_w^2 > 2, or at sigma_w^2 = 2 with
// sigma_b > 0; linear at sigma_w > 1, or at sigma_w = 1 with sigma_b > 0) is
// reported as an error that matches ErrNoFixedPoint with errors.Is (and is a
// *NoFixedPointError); a fixed point reached from below must attract
// (V'(q*) < 1 - 1e-12), which separates a real root from sigma_b^2 lost to
// rounding against a huge q. At relu sigma_w^2 = 2, sigma_b = 0 (linear
// sigma_w = 1, sigma_b = 0) every q is fixed and q* = q0 exactly. When
// sigma_b = 0 and phi(0) = 0, q = 0 is a fixed
// point; it is the answer (exactly 0) when the iteration falls into it, which
// for tanh happens for sigma_w <= 1. At q* = 0 chi_1 = sigma_w^2 phi'(0)^2,
// xi_q = -1/log(chi_1), and c* is reported as 1: both inputs shrink to the
// origin and their distance falls by chi_1 per layer, which is what xi_c
// (= -1/log chi_1, as in the ordered phase) then measures.
//
// The C-map at q* is C(c) = (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2)/q*. By
// Mehler's expansion it is a power series in c with non-negative
// coefficients, hence increasing and convex on [0, 1] with C(1) = 1 and
// C'(1) = chi_1. So on [0, 1] it has besides c = 1 at most one more fixed
// point, which exists exactly when chi_1 > 1 and is then stable; it is found
// by Newton's method from c = 0 (monotone for a convex function). When
// chi_1 <= 1, c* = 1 (its only fixed point in [0, 1]). Negative correlations
// are not considered.
//
// Depth scales: 1/xi_q = -log V'(q*) with V'(q*) = chi_1 + sigma_w^2
// E[phi D2], and 1/xi_c = -log C'(c*) (= -log chi_1 in the ordered
// phase). Where the argument of the logarithm is 1 (the critical point), the
// depth scale is +Inf; it is never NaN.
//
// # Circle through the network (Poole eq. 8)
//
// Layer 0 is the input great circle h^0(theta) = sqrt(N q0)(u0 cos theta +
// u1 sin theta), fed to the network as a pre-activation (Poole's code; Poole's
// paper calls it h^1, netgeom numbers it 0 everywhere, see docs/science.md
// section 1): q^0 = q0, gbar^0 = q0, kbar^0 = 1/sqrt(q0). Layer l+1 applies
// gbar^{l+1} = chi_1 gbar^l and kbar_{l+1}^2 = 3 chi_2/chi_1^2 + kbar_l^2/chi_1
// with chi_1 and chi_2 evaluated at q^l, the length of the layer's input (the
// transient q^l when q0 != q*; at q0 = q* they are the fixed-point values).
// Lengths are reported per sqrt(N): Length = L^E/sqrt(N) = 2 pi sqrt(gbar),
// since N is not a mean-field parameter (package manifold and `netgeom
// curvature` report the full L^E: multiply by sqrt(N) to compare); the
// Grassmannian length L^G = 2 pi sqrt(gbar) kbar does not depend on N.
package meanfield
