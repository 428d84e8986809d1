// Package spinglass computes the landscapes of spin-glass models of deep
// networks on the engine, and the random-matrix and algebraic curves they are
// compared with (SCIENCE.md section 6).
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
// many random starts (saddle-free Newton descent for minima, Levenberg-
// Marquardt Newton on |grad|^2 for saddles of every index), polishes them to
// a small Riemannian gradient, deduplicates them, and records energy per
// dimension u = E/D and Morse index (negative eigenvalues of the Riemannian
// Hessian on the tangent space).
//
// Theory: the Auffinger-Ben Arous-Cerny complexity of the p-spin (EInf, I1,
// Theta, ThetaTotal, Ek, IndexFraction); the Friedland-Ottaviani number of
// singular-vector tuples of a tensor and the Cartwright-Sturmfels number of
// eigenvectors of a symmetric tensor, in exact integers (the complex critical
// points of the layered and p-spin models); Marchenko-Pastur and Wigner
// semicircle densities with fitted scales, and Pennington and Bahri's critical
// energy e_c(phi) with the 3/2 law of the index (rmt.go).
//
// Heavy contractions (the coupling tensor against the points, a batch of
// starts at a time) run on an engine.Backend; the small dense eigenproblems
// of the tangent Hessians run on the host with gonum.
package spinglass
