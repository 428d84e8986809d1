// Command netgeom measures the geometry of deep networks: how random and
// trained networks bend input manifolds, where the order-to-chaos transition
// lies, and what their loss surfaces look like. Each analysis is a
// subcommand (`netgeom help` lists them, `netgeom help CMD` explains one);
// every subcommand prints a table by default and takes --format json, jsonl
// or csv, and --seed and --backend auto|cpu|cuda are global.
//
// Random networks and mean field: meanfield, phase, propagate, curvature,
// boundary, expressivity, jacobian, carve. Trained networks: train (writes a
// .ngm model file, specified in docs/checkpoint.md), hessian, sensitivity,
// pullback, census, connect. Spin glasses: spinglass. Machine and data:
// devices, datasets, version, completion.
//
// The formulas each subcommand computes, their sources and the conventions
// of its columns (layer 0 is the input; q is per neuron; kbar = sqrt(N)
// kappa; meanfield's length is per sqrt(N), curvature's is the full L^E) are
// in docs/science.md.
package main
