// Package landscape studies the loss surfaces of trained networks through
// their stationary points: a census of many seeded trainings at a fixed
// parameter budget and the mode connectivity of pairs of minima.
//
// Census (Becker, Zhang and Lee 2020 ask, at a fixed parameter count, how
// the number of minima, their clustering and the trade-off between the depth
// (loss) and the width (flatness) of minima change with depth). For a data
// set and a budget P, Architectures picks for each depth h = 1..D (h hidden
// layers) the widths, as equal as possible, whose parameter count is nearest
// P within a stated tolerance. Each restart, a pure function of the census
// settings, the depth and the restart index, trains from a seeded
// initialisation with Adam and then L-BFGS to a gradient-norm threshold of
// the training objective (mean loss plus (wd/2) |theta|^2), and measures at
// its end point the train and test loss and accuracy, the gradient norm and
// the Hessian of the objective (extreme eigenvalues, index, trace and
// log-volume; exactly from the dense Hessian when P is small, by Lanczos,
// Hutchinson and stochastic Lanczos quadrature otherwise). RunCensus writes
// each finished restart as one JSON line and fsyncs it, so an interrupted
// census resumes where it stopped; Summarize groups the end points per depth
// into distinct stationary points and minima by a function-space threshold
// and reports their losses, flatness and pairwise distances.
//
// Distances respect the network's symmetries: the function-space distance
// compares outputs on the data; the parameter-space distance first aligns
// the hidden units of one network to the other's, layer by layer, by
// permutations found with the Hungarian method (Assign) and, for odd
// activations, sign flips (Align).
//
// Mode connectivity: LinearPath and BezierPath evaluate the loss along the
// straight segment and along a quadratic Bezier curve, whose control point
// is trained, between two minima, and report the barrier.
package landscape
