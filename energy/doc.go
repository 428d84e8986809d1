// Package energy is the energy-landscape toolkit of Wales' school (GMIN,
// OPTIM, PATHSAMPLE; Wales, "Energy Landscapes", 2003) for any smooth
// objective over a real parameter vector: global exploration by
// basin-hopping, transition states by the doubly-nudged elastic band
// refined by hybrid eigenvector-following, a direct search for stationary
// points of any Hessian index, a database of minima and transition states
// stored as resumable JSON lines, disconnectivity graphs with barrier
// heights and connected components, and the Chao1 estimate of how many
// distinct minima a sampling has not yet seen.
//
// The objective is an Objective: its value, gradient and Hessian-vector
// product on host []float64 vectors (Func adapts plain functions, and
// computes the Hessian-vector product by central differences of the
// gradient when none is given). A neural network's loss plugs in through a
// thin adapter that flattens its parameters.
//
// Entry points: Quench (local minimisation to a tight gradient tolerance,
// then a Hessian check), BasinHop, NEB (the doubly-nudged elastic band
// with a climbing image), FindStationary (hybrid eigenvector-following to
// a stationary point of a given index), Connect (band, saddle and the two
// minima it joins, all added to a Database), BuildGraph and
// Database.Graph (disconnectivity graphs), Barriers, Components,
// Reachable, and Chao1. MullerBrown is the standard two-dimensional test
// surface (Müller and Brown 1979); docs/energy-muller-brown.png is its
// disconnectivity graph as mapped by this package (report's
// DisconnectivityPlot).
package energy
