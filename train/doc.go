// Package train fits netgeom's trainable networks (models.Network) to data:
// full-batch gradient descent, stochastic gradient descent with momentum,
// Adam (Kingma and Ba, "Adam: a method for stochastic optimization", ICLR
// 2015) and L-BFGS with a strong Wolfe line search (Nocedal and Wright,
// "Numerical Optimization", algorithms 7.4, 3.5 and 3.6), seeded, with
// stopping rules on the number of steps, the gradient norm and a loss
// plateau. It also prepares the named data sets for training (subset,
// stratified split, standardisation) and rebuilds them from a checkpoint's
// record, so that an analysis of a trained model sees the same training set.
//
// Entry points: Run(ctx, backend, RunOptions) prepares a data set, builds,
// trains, evaluates and optionally saves a network (what `netgeom train`
// does), and LoadModel reads a model file back with its training and test
// sets rebuilt exactly. Below them, Train(net, data, Options) returns a
// Result (steps, stop
// reason, final objective and gradient norm); Prepare turns a DataSpec into
// training and test sets with the record a checkpoint keeps
// (models.CheckpointData), Rebuild remakes them from that record, and Upload
// puts a set on the backend. ParseMethod, MethodNames and the Default*
// values are what the command line uses.
//
// Everything runs on the backend's buffers through models.Evaluator, except
// Adam's elementwise update (a square root and a division per parameter,
// which the engine has no op for): it runs on the host and moves 2P
// float64s per step.
package train
