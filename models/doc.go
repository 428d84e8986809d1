// Package models holds netgeom's networks on the compute engine.
//
// Random networks (RandomDense): deep networks of dense and product
// (multiplication-neuron) layers whose weights are regenerated from Philox
// by (seed, layer) when a layer needs them, so that memory stays at one
// layer's weights plus the batch whatever the depth; batched forward passes,
// second-order jets for curvature, and the input-output Jacobian as
// matrix-free products.
//
// Trainable networks (MLP): dense layers of any widths and activation,
// parameters as one flat buffer with views per layer, initialisation by name,
// squared-error and softmax cross-entropy losses (means over samples), the
// gradient by backpropagation, exact Hessian-vector products by Pearlmutter's
// R-operator, Gauss-Newton products, and a checksummed checkpoint format.
// MLPSpec.Kinds makes any layer a multiplication layer or single-head
// self-attention; such a network is evaluated as a Stack of Layers (forward,
// jet, backward and R-operator per layer), with the same Evaluator, Hessian
// operator, initialisation schemes and checkpoints as a dense one.
//
// Layout: a batch of B vectors of width N is an N x B column-major matrix on
// the backend (one sample per column). A jet batch is one N x 3B matrix
// [h | v | a]: the B values, then the B first derivatives, then the B second
// derivatives, so that a layer's three products share one gemm over 3B
// columns; a product layer runs two such gemms, one per factor, and
// combines the factors' jets elementwise by Leibniz's rule. The package
// knows nothing about which backend it runs on.
package models
