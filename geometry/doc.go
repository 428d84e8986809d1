// Package geometry measures the geometry of trained networks
// (docs/science.md sections 4 and 8): computable counterparts of the layer
// sensitivity and path complexity in Dong and Zhou's "Understanding
// over-parameterized deep networks by geometrization" (2019), whose geodesic
// complexity itself is not computed.
//
//   - Sensitivity: re-initialise one layer of a trained MLP to its values at
//     initialisation, or re-randomise it from the initial distribution
//     with fresh seeds, and measure loss and accuracy (Zhang, Bengio and
//     Singer, "Are all layers created equal?", arXiv:1902.01996, 2019).
//   - Jacobians and PullbackMetric: the input Jacobian J_l = dx_l/dx_0 of
//     every layer at data points, by exact forward-mode tangents on the
//     backend (one batched pass carries the D tangent directions of every
//     point), and the per-layer log volume element sum_i log sigma_i(J_l)
//     of the pullback metric g_l = J_l^T J_l, with its distribution over
//     the data.
//   - Paths: the path length sum_l |x_l(x)| averaged over the data, the
//     weight distance sum_l |W_l - W_l(0)|_F, and the Fisher-Rao norm
//     theta^T F theta computed as theta^T G theta with the models package's
//     Gauss-Newton product (for the softmax cross-entropy loss G = J^T H_z J
//     is the Fisher information of the model's predictive distribution,
//     averaged over the inputs).
//
// Entry points: ModelSensitivity and ModelPullback run `netgeom
// sensitivity` and `netgeom pullback` on a train.Model. Below them,
// Sensitivity (with Initial, which rebuilds a network's
// initial weights from its init scheme and seed), PullbackMetric and
// Jacobians, LayerNorms, WeightDistances and FisherRao (Liang, Poggio,
// Rakhlin and Stokes, "Fisher-Rao metric, geometry, and complexity of neural
// networks", AISTATS 2019), and Quantiles for summaries over the data.
//
// Notation is that of models.Network: y_l = W_l x_{l-1} + b_l, x_l = phi(y_l)
// for l < L, and x_L = y_L = z, the logits.
package geometry
