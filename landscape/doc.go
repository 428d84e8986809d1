// Package landscape studies the loss surfaces of trained networks through
// their stationary points: a census of many seeded trainings at a fixed
// parameter budget and the mode connectivity of pairs of minima.
//
// The formulas and the conventions are in docs/science.md section 5.
// Entry points: the experiments TakeCensus (a census across depth, run and
// summarised), Connect (mode connectivity between two models, with
// LoadEndpoint reading a model file or a census record), HessianSpectrum
// (top eigenvalues with residuals, Hutchinson trace and SLQ density of a
// trained model's Hessian or Gauss-Newton matrix), Explore (basin-hopping
// over one architecture's objective into an energy.Database, minima one up
// to hidden-unit symmetries, transition states joining the lowest minima;
// SummarizeGraph and MeasureMinima read such a database) and Compare
// (Becker, Zhang and Lee's three claims between depths, from a census per
// data set and weight decay, with Chao1 and bootstrap intervals and a
// verdict each), each (ctx, backend, options) to a result type. Below
// them, Architectures (and BudgetWidths) pick the widths, Prepare and
// RunCensus run a census into a JSON-lines file, ReadCensus reads it back,
// Summarize groups its end points per depth; MeasureCurvature and CurvatureOf
// give the Hessian measures of one point; Align, Assign, Distance,
// RelativeDistance, FunctionDistance and Outputs compare networks;
// NewPathEvaluator with LinearPath, BezierPath and TrainBezier measure mode
// connectivity.
//
// Census. Becker, Zhang and Lee ("Geometry of energy landscapes and the
// optimizability of deep neural networks", Physical Review Letters 2020) ask,
// at a fixed parameter count, how the number of minima, their clustering and
// the trade-off between the depth (loss) and the width (flatness) of minima
// change with depth. For a data set and a budget P, Architectures picks for
// each depth h = 1..D (h hidden layers) the widths, as equal as possible,
// whose parameter count is nearest
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
// permutations found with the Hungarian method (Assign; Kuhn 1955, Munkres
// 1957, in Jonker and Volgenant's shortest-augmenting-path form) and, for
// odd activations, sign flips (Align, refined by weight matching as in
// Ainsworth, Hayase and Srinivasa, "Git Re-Basin", ICLR 2023).
//
// Mode connectivity: LinearPath and BezierPath evaluate the loss along the
// straight segment and along a quadratic Bezier curve between two minima,
// whose control point TrainBezier trains (Garipov, Izmailov, Podoprikhin,
// Vetrov and Wilson, "Loss surfaces, mode connectivity, and fast ensembling
// of DNNs", NeurIPS 2018), and report the barrier.
package landscape
