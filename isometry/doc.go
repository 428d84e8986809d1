// Package isometry measures the singular-value spectra of deep random
// networks' input-output Jacobians against the dynamical-isometry theory of
// Pennington, Schoenholz and Ganguli, "Resurrecting the sigmoid in deep
// learning through dynamical isometry: theory and practice" (NIPS 2017).
//
// For a depth-L network h^l = W^l phi(h^{l-1}) + b^l at its fixed point q*,
// the Jacobian J = dh^L/dh^0 = prod_l W^l D^l (D^l = diag phi'(h^{l-1}))
// has squared singular values of mean chi_1^L, and at criticality
// (chi_1 = 1) their variance is
//
//	sigma^2_{JJ^T} = L (mu_2 / mu_1^2 - 1 - s_1),  mu_k = E[phi'(sqrt(q*) z)^{2k}],
//
// with s_1 = -1 for Gaussian and s_1 = 0 for orthogonal weights
// (SCIENCE.md section 4): ReLU is never isometric, while erf or tanh with
// orthogonal weights at small q* approach isometry. Jacobian measures both
// moments, the extremes of the spectrum and the prediction for a family of
// networks, by a dense SVD of J or matrix-free (Lanczos and Hutchinson on
// J^T J); the predictions come from package meanfield.
package isometry
