// Package models holds netgeom's networks on the compute engine.
//
// A network is a sequence of layers of the kinds in package layerkind
// (dense, product: multiplication neurons, and single-head dot-product
// self-attention, Vaswani et al., "Attention is all you need", NeurIPS
// 2017) over a flat parameter vector, each layer's parameters a Block of
// it (Block and Tensor are the one way to address them). Every layer kind
// implements, once, the forward pass, the second-order jet (value, first
// and second derivative along a curve, for curvature), the backward pass
// (vector-Jacobian products, for gradients and Gauss-Newton products) and
// Pearlmutter's R-operator on both (exact Hessian-vector products:
// Pearlmutter, "Fast exact multiplication by the Hessian", Neural
// Computation 1994; Gauss-Newton products J^T H_z J v: Schraudolph, Neural
// Computation 2002); a dense layer's activation is a layer of its own.
// Trained and random networks run the same layers through the same passes
// (stack.go); the formulas are in docs/science.md sections 1, 4, 5 and 7.
//
// Random networks (RandomNetwork, named by a RandomSpec): deep networks
// whose weights are drawn from Philox by (seed, stream) when a layer needs
// them (Tensor.Stream), so that memory stays at one layer's weights plus
// the batch whatever the depth; Gaussian or Haar-orthogonal weights
// (Mezzadri, "How to generate random matrices from the classical compact
// groups", Notices of the AMS 2007); batched forward passes and
// second-order jets (Run, with an Observer that sees every layer, layer 0
// being the input), and the input-output Jacobian as matrix-free products
// (NewJacobian) or a dense matrix (JacobianMatrix). The input is a
// pre-activation when RandomSpec.ActivateInput is set (Poole et al.'s
// convention).
//
// Trained networks (Network, named by a NetworkSpec): layers of any widths
// and kinds, a hidden activation, initialisation by name (Init: Gaussian
// on the random networks' streams, Glorot, He, orthogonal),
// squared-error and softmax cross-entropy losses (means over samples).
//
// Entry points: NewRandomNetwork and RandomNetwork.Run; NewNetwork,
// Network.Initialize, Network.NewEvaluator (Loss, Gradient, HVP,
// GaussNewton, Logits, Evaluate, LayerOutputs) and NewHessian (an operator
// for package spectrum that caches the passes); NewData for data on the
// backend; NetworkSpec.Block for a layer's parameters; SaveCheckpoint,
// LoadNetwork, ReadCheckpoint, EncodeCheckpoint and DecodeCheckpoint for
// model files, whose byte format (magic, JSON header, SHA-256, parameter
// layout per layer kind) is specified in docs/checkpoint.md. Network,
// Data, Evaluator, Hessian and Jacobian hold buffers on the backend and
// give them back on Close.
//
// Layout: a batch of B vectors of width N is an N x B column-major matrix on
// the backend (one sample per column). A jet batch is one N x 3B matrix
// [h | v | a]: the B values, then the B first derivatives, then the B second
// derivatives, so that a layer's three products share one gemm over 3B
// columns; a product layer runs two such gemms, one per factor, and combines
// the factors' jets elementwise by Leibniz's rule. The package knows nothing
// about which backend it runs on.
package models
