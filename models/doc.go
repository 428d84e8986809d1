// Package models holds netgeom's networks on the compute engine.
//
// Random networks (RandomDense, named by a RandomSpec): deep networks of
// dense, product (multiplication-neuron) and self-attention layers whose
// weights are regenerated from Philox by (seed, stream) when a layer needs
// them (WeightStream, BiasStream, FactorWeightStream, FactorBiasStream,
// AttentionStream), so that memory stays at one layer's weights plus the
// batch whatever the depth; Gaussian or Haar-orthogonal weights (Mezzadri,
// "How to generate random matrices from the classical compact groups",
// Notices of the AMS 2007); batched forward passes and second-order jets for
// curvature (Run, with an Observer that sees every layer, layer 0 being the
// input), and the input-output Jacobian as matrix-free products (NewJacobian,
// JacobianMatrix). The input is a pre-activation when RandomSpec.ActivateInput
// is set (Poole et al.'s convention).
//
// Trainable networks (MLP, named by an MLPSpec): dense layers of any widths
// and activation, parameters as one flat buffer with views per layer,
// initialisation by name (Init: gaussian on the random networks' streams,
// Glorot, He, orthogonal), squared-error and softmax cross-entropy losses
// (means over samples), the gradient by backpropagation, exact
// Hessian-vector products by Pearlmutter's R-operator (Pearlmutter, "Fast
// exact multiplication by the Hessian", Neural Computation 1994) and
// Gauss-Newton products J^T H_z J v (Schraudolph, Neural Computation 2002).
// MLPSpec.Kinds makes any layer a multiplication layer or single-head
// dot-product self-attention (Vaswani et al., "Attention is all you need",
// NeurIPS 2017); such a network is evaluated as a Stack of Layers (forward,
// jet, backward and R-operator per layer: DenseLayer, ProductLayer,
// AttentionLayer), with the same Evaluator, Hessian operator, initialisation
// schemes and checkpoints as a dense one. The formulas are in
// docs/science.md sections 1, 4, 5 and 7.
//
// Entry points: NewRandomDense; NewMLP, MLP.Initialize, MLP.NewEvaluator
// (Loss, Gradient, HVP, GaussNewton, Logits, Evaluate, LayerOutputs) and
// NewHessian (an operator for package spectrum that caches the passes);
// NewData for data on the backend; NewStack and the layer constructors for
// custom stacks; SaveCheckpoint, LoadMLP, ReadCheckpoint, EncodeCheckpoint
// and DecodeCheckpoint for model files, whose byte format (magic, JSON
// header, SHA-256, parameter layout per layer kind) is specified in
// docs/checkpoint.md.
//
// Layout: a batch of B vectors of width N is an N x B column-major matrix on
// the backend (one sample per column). A jet batch is one N x 3B matrix
// [h | v | a]: the B values, then the B first derivatives, then the B second
// derivatives, so that a layer's three products share one gemm over 3B
// columns; a product layer runs two such gemms, one per factor, and combines
// the factors' jets elementwise by Leibniz's rule. The package knows nothing
// about which backend it runs on.
package models
