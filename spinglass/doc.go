// Package spinglass computes the landscapes of spin-glass models of deep
// networks on the engine, and the random-matrix and algebraic curves they are
// compared with (docs/science.md section 6). The layered model follows the
// questions of Choromanska, Henaff, Mathieu, Ben Arous and LeCun, "The loss
// surfaces of multilayer networks" (AISTATS 2015) and Becker, Zhang and Lee,
// "Geometry of energy landscapes and the optimizability of deep neural
// networks" (Physical Review Letters 2020), whose claims it measures rather
// than assumes.
//
// Entry points: the experiments of `netgeom spinglass` are PSpinStudy (a
// p-spin critical-point census beside the ABC complexity curves),
// LayeredStudy (the layered model over depth at a fixed total dimension)
// and FormatCounts (exact complex critical-point counts, no backend), each
// taking a context (and a backend where it computes on one) and options. Below them,
// NewPSpin and NewLayered build a model on a backend; its At
// gives the energy, Riemannian gradient and Hessian at a point and its Census
// searches for critical points (CensusOptions in, Census out, with ByIndex
// and Minima). The theory curves are plain functions (see Theory below);
// SplitDims splits a total dimension over layers.
//
// Models:
//
//   - PSpin, the spherical p-spin glass H(s) = N^{-(p-1)/2} sum J_{i1..ip}
//     s_{i1}...s_{ip} on |s|^2 = N with J iid N(0,1) Philox normals: energy,
//     Riemannian gradient and Hessian on the sphere.
//   - Layered, one spherical weight vector w_l (|w_l|^2 = n_l) per layer and
//     the multilinear loss E(w) = c sum J_{i1..iL} w_1[i1]...w_L[iL] with
//     c = sqrt(D / prod n_l), D = sum n_l, so that Var E = D like Var H = N
//     for the p-spin.
//
// Both live on a product of spheres; Census finds their critical points from
// many random starts (saddle-free Newton descent for minima,
// Levenberg-Marquardt Newton on |grad|^2 for saddles of every index), polishes them to
// a small Riemannian gradient, deduplicates them, and records energy per
// dimension u = E/D and Morse index (negative eigenvalues of the Riemannian
// Hessian on the tangent space).
//
// Theory: the complexity of the p-spin (EInf, I1, Theta, ThetaTotal, Ek,
// IndexFraction; Auffinger, Ben Arous and Cerny, "Random matrices and
// complexity of spin glasses", Comm. Pure Appl. Math. 2013) and its exact
// finite-N counterpart, the Kac-Rice expectation of the number of critical
// points by index and energy (ExpectedCritical, by Monte Carlo over GOE
// matrices), which a census of a small p-spin matches; the number of
// singular-vector tuples of a tensor (SingularTupleCount; Friedland and
// Ottaviani, Found. Comput. Math. 2014) and of eigenvectors of a symmetric
// tensor (EigenvectorCount; Cartwright and Sturmfels, Linear Algebra Appl.
// 2013), in exact integers: the complex critical points of the layered and
// p-spin models; Marchenko-Pastur and Wigner semicircle densities with
// fitted scales (MarchenkoPastur, Semicircle, Fit*); and Pennington and
// Bahri's critical energy e_c(phi) with the 3/2 law of the index
// (CriticalEnergy, IndexLaw, FitIndexLaw; "Geometry of neural network loss
// surfaces via random matrix theory", ICML 2017).
//
// Heavy contractions (the coupling tensor against the points, a batch of
// starts at a time) run on an engine.Backend; the small dense eigenproblems
// of the tangent Hessians run on the host with gonum.
package spinglass
