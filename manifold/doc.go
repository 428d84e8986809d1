// Package manifold pushes input manifolds (great circles, user curves, pairs
// of points, paths) through random deep networks (models.RandomNetwork) and
// measures, layer by layer, what the network does to them, after Poole,
// Lahiri, Raghu, Sohl-Dickstein and Ganguli, "Exponential expressivity in
// deep neural networks through transient chaos" (NeurIPS 2016). Definitions,
// formulas and conventions are in docs/science.md sections 3 and 7.
//
// Curves travel as second-order jets [h | v | a] (value, first and second
// derivative along the curve), so every measure is exact to rounding: the
// mean squared length q = |h|^2 / N, the metric gbar = |v|^2 / N, the
// Euclidean length L^E (the full length, not divided by sqrt(N) as the
// meanfield predictions are), the extrinsic curvature kappa = sqrt((v.v)(a.a)
// - (v.a)^2) / (v.v)^(3/2) and its width-scaled form kbar = sqrt(N) kappa,
// the Grassmannian length L^G = integral kappa sqrt(g) dtheta, the
// principal-component spectrum of the points (from the B x B Gram matrix,
// never N x N), and the autocorrelation c(dtheta) along the curve. Layer 0 is
// the input, fed to the network as a pre-activation when the network's spec
// says so (models.RandomSpec.ActivateInput). Statistics are computed on the
// backend where the layer lives; only per-point scalars and the Gram matrix
// come back to the host.
//
// Entry points:
//
//   - The experiments, each Name(ctx, backend, NameOptions) returning
//     (*NameResult, error) with an *options.Error for an option it cannot
//     use: Curvature (a great circle or a user curve through a random
//     network, per-layer measures beside mean field: Poole et al. figures 3
//     and 4), Propagate (pairs of inputs, figure 2), DecisionBoundary
//     (figure 4G), Expressivity (deep against shallow, figure 5) and Carve
//     (additive against multiplicative networks at matched chi_1). The
//     netgeom commands of the same names call them; report draws their
//     results. The pieces below are what they are built from.
//   - Curves and their measures: Circle (a great circle at a given q, from
//     Philox stream CircleStream), ReadCurve (a user curve), Simulate (the
//     measures of every layer, as LayerStats; Recorder.Observe is the
//     models.Observer behind it).
//   - Pairs of inputs: PropagatePairs, the measured q^l and correlation c^l
//     beside the length and correlation maps (Poole et al., figure 2).
//   - Decision boundaries: BoundaryPoints and BoundaryCurvature, the
//     principal curvatures of a random readout's boundary seen from every
//     layer (figure 4G).
//   - Deep against shallow: HalfCircle, FourierTargets and FitErrors
//     (figure 5).
//   - Pieces and sign changes along a path: CirclePath, LinePath and
//     CountAlongPath (linear pieces of relu networks; sign changes of product
//     networks, whose readouts are polynomials when the activation is
//     linear).
package manifold
