// Package netgeom is the root of the netgeom module, a Go library and
// command-line tool for the geometry of deep networks: how wide random
// networks bend input manifolds and where the order-to-chaos transition
// lies (Poole et al. 2016, Schoenholz et al. 2017, Pennington et al.
// 2017), what loss surfaces look like (Hessian spectra, minima across
// depth, spin glasses), and the geometry of trained networks. This package
// holds no code; it documents where to start.
//
// Every experiment is a function Name(ctx, backend, NameOptions) returning
// (*NameResult, error) in the package of its science: meanfield (pure
// scalar theory, no backend), manifold (Curvature, Propagate,
// DecisionBoundary, Expressivity, Carve), isometry (Jacobian), train (Run,
// LoadModel), landscape (HessianSpectrum, TakeCensus, Connect, Explore,
// Compare), geometry (ModelSensitivity, ModelPullback) and spinglass
// (PSpinStudy, LayeredStudy, FormatCounts). They run on a compute backend from
// engine.Open; import github.com/netgeom/netgeom/engine/cpu (and
// .../engine/cuda for NVIDIA GPUs) for their side effect of registering
// the backends. Package report draws their results; options holds the
// error and progress types they share. The example below is the program in
// the README's library section.
//
// The formulas, their sources and the conventions (layer 0 is the input,
// q per neuron, kbar = sqrt(N) kappa) are in docs/science.md; the model
// file format in docs/checkpoint.md.
package netgeom
