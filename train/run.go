package train

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// RunOptions configure Run: the data, the network, its initialisation and
// the optimiser. Zero values take the defaults named; those of `netgeom
// train` that are not zero (momentum 0.9, weight decay DefaultWeightDecay)
// are the command's, not Run's.
type RunOptions struct {
	// Data names the data set (datasets.Names()); "" means iris. Subset,
	// TestFraction and Seed prepare it as DataSpec says; the features are
	// standardised on the training part unless NoStandardize.
	Data          string
	Subset        int
	TestFraction  float64
	NoStandardize bool
	// Seed draws the subset and the split (and, without InitSeed, the
	// initial weights and the minibatch order).
	Seed uint64
	// InitSeed, when not nil, draws the initial weights and the minibatch
	// order instead of Seed, so that several models can share a split.
	InitSeed *uint64

	// Arch is the widths from input to output; nil means D-16-16-C for the
	// data's D features and C classes (DefaultHidden). A given one must
	// start with D and end with C.
	Arch []int
	// Kinds are the layers' kinds: one per layer (output included), or
	// fewer, cycled over the hidden layers with a dense output layer; nil
	// means all dense. TokenDim and Residual configure attention layers
	// and must be zero without one.
	Kinds    []layerkind.Kind
	TokenDim int
	Residual bool
	// Activation of the hidden layers ("" : DefaultActivation), the
	// initialisation ("": DefaultInit; see models.InitNames) with its
	// SigmaW and SigmaB (as models.Init), and the loss ("": DefaultLoss,
	// or squared-error for a regression set, which cross-entropy refuses).
	Activation     string
	Init           string
	SigmaW, SigmaB float64
	Loss           string

	// Optimizer is gd, sgd, adam or lbfgs ("": DefaultMethod). Steps (0:
	// DefaultSteps), LearningRate (0: DefaultLearningRate), Momentum (sgd
	// only; 0: none), BatchSize, WeightDecay (0: none), History, GradTol,
	// Patience, MinDelta and Chunk are those of Options.
	Optimizer    string
	Steps        int
	LearningRate float64
	Momentum     float64
	BatchSize    int
	WeightDecay  float64
	History      int
	GradTol      float64
	Patience     int
	MinDelta     float64
	Chunk        int

	// Out, when not "", is the model file to write (models.SaveCheckpoint):
	// the network with the record of its data, initialisation and training
	// that LoadModel reads.
	Out string
	// Progress, when set, is called at every check of the training loop
	// with the steps done and the steps asked for.
	Progress options.Progress
}

// RunResult reports a training run: the network and data, the optimiser,
// where it stopped and the final losses and accuracies.
type RunResult struct {
	Data string `json:"data"`
	Arch string `json:"arch"`
	// Kinds is the layers' kinds ("" when all are dense); TokenDim and
	// Residual are set with it.
	Kinds        string  `json:"kinds,omitempty"`
	TokenDim     int     `json:"token_dim,omitempty"`
	Residual     bool    `json:"residual,omitempty"`
	Activation   string  `json:"activation"`
	Loss         string  `json:"loss"`
	Init         string  `json:"init"`
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"learning_rate"`
	WeightDecay  float64 `json:"weight_decay"`
	// BatchSize is 0 for full-batch training.
	BatchSize    int `json:"batch_size"`
	Params       int `json:"params"`
	TrainSamples int `json:"train_samples"`
	TestSamples  int `json:"test_samples"`
	Steps        int `json:"steps"`
	Gradients    int `json:"gradients"`
	// Stop is why training stopped (one of the Stop* reasons); Objective
	// and GradNorm are the full-batch objective (loss plus weight-decay
	// penalty) and its gradient norm at the end.
	Stop      string  `json:"stop"`
	Objective float64 `json:"objective"`
	GradNorm  float64 `json:"grad_norm"`
	// The accuracies are 0 for a regression set, which has no classes.
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	// Seed is the data's seed (RunOptions.Seed); the initial weights'
	// seed is in Model.Header.Seed.
	Seed    uint64 `json:"seed"`
	Backend string `json:"backend"`
	// DType is the precision training computed in ("float64" or
	// "float32": the backend's).
	DType string `json:"dtype"`
	// Seconds is the time training took (not evaluating or saving).
	Seconds float64 `json:"seconds"`
	Out     string  `json:"out"`

	// Network describes the architecture with its kinds ("4-16-16-3",
	// "4-6-3 (product,dense)").
	Network string `json:"-"`
	// Model is the trained network with its data on the backend, as
	// LoadModel would return it; the caller closes it.
	Model *Model `json:"-"`
}

// Run prepares a data set, builds and initialises a network, trains it,
// evaluates it on the training and test sets and, when opts.Out is set,
// writes it as a model file.
func Run(ctx context.Context, b engine.Backend, opts RunOptions) (*RunResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	act, err := activation.Lookup(o.Activation)
	if err != nil {
		return nil, fmt.Errorf("train: Activation: %w", err)
	}
	scheme, err := models.ParseInit(o.Init)
	if err != nil {
		return nil, fmt.Errorf("train: Init: %w", err)
	}
	method, err := ParseMethod(o.Optimizer)
	if err != nil {
		return nil, fmt.Errorf("train: Optimizer: %w", err)
	}
	prep, err := Prepare(DataSpec{Name: o.Data, Subset: o.Subset, TestFraction: o.TestFraction, Seed: o.Seed, Standardize: !o.NoStandardize})
	if err != nil {
		return nil, fmt.Errorf("train: Data %s: %w", o.Data, err)
	}
	if o.Loss == "" {
		o.Loss = DefaultLoss
		if prep.Train.Regression() {
			o.Loss = models.SquaredError.String()
		}
	}
	loss, err := models.ParseLoss(o.Loss)
	if err != nil {
		return nil, fmt.Errorf("train: Loss: %w", err)
	}
	if loss == models.CrossEntropy && prep.Train.Regression() {
		return nil, fmt.Errorf("train: Loss %s needs class labels; %s is a regression table (target columns): use %s", loss, o.Data, models.SquaredError)
	}
	widths, err := runWidths(o.Arch, prep.Train)
	if err != nil {
		return nil, err
	}
	spec := models.NetworkSpec{Widths: widths, Act: act, Loss: loss, TokenDim: o.TokenDim, Residual: o.Residual}
	if spec.Kinds, err = runKinds(o.Kinds, len(widths)-1); err != nil {
		return nil, err
	}
	if !slices.Contains(spec.Kinds, layerkind.Attention) && (o.TokenDim != 0 || o.Residual) {
		return nil, fmt.Errorf("train: TokenDim %d and Residual %v configure attention layers; Kinds names none", o.TokenDim, o.Residual)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	net, err := models.NewNetwork(b, spec)
	if err != nil {
		return nil, err
	}
	m := &Model{Path: o.Out, Net: net}
	ok := false
	defer func() {
		if !ok {
			m.Close()
		}
	}()
	initSeed := o.Seed
	if o.InitSeed != nil {
		initSeed = *o.InitSeed
	}
	init := models.Init{Scheme: scheme, SigmaW: o.SigmaW, SigmaB: o.SigmaB}
	if err := net.Initialize(init, initSeed); err != nil {
		return nil, fmt.Errorf("train: Init: %w", err)
	}
	if m.Train, err = Upload(b, prep.Train); err != nil {
		return nil, err
	}
	if m.Test, err = Upload(b, prep.Test); err != nil {
		return nil, err
	}
	lr := o.LearningRate
	if lr == 0 {
		lr = DefaultLearningRate(method)
	}
	mom := 0.0
	if method == SGD {
		mom = o.Momentum
	}
	var progress func(Progress)
	if o.Progress != nil {
		progress = func(p Progress) { o.Progress(p.Step, p.Steps) }
	}
	start := time.Now()
	tr, err := Train(net, m.Train, Options{Method: method, Steps: o.Steps, LearningRate: lr, Momentum: mom,
		BatchSize: o.BatchSize, History: o.History, WeightDecay: o.WeightDecay, GradTol: o.GradTol, Patience: o.Patience, MinDelta: o.MinDelta,
		Seed: initSeed, Chunk: o.Chunk, Progress: progress})
	if err != nil {
		return nil, err
	}
	seconds := time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := net.NewEvaluator(o.Chunk)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	trLoss, trAcc, err := e.Evaluate(net.Params(), m.Train)
	if err != nil {
		return nil, err
	}
	teLoss, teAcc, err := e.Evaluate(net.Params(), m.Test)
	if err != nil {
		return nil, err
	}
	if prep.Train.Regression() {
		trAcc, teAcc = 0, 0 // no classes: Evaluate's NaN would not go into JSON
	}
	bs := o.BatchSize
	if bs >= m.Train.N || method == GD || method == LBFGS {
		bs = 0
	}
	// The header as LoadModel reads it back (SaveCheckpoint sets the
	// architecture's fields from the network).
	m.Header = models.CheckpointHeader{Widths: widths, Kinds: spec.KindsString(),
		Activation: act.Name, Loss: loss.String(), Params: net.NumParams(), Init: scheme.String(), SigmaW: o.SigmaW, SigmaB: o.SigmaB, Seed: initSeed, Data: &prep.Info,
		Training: &models.CheckpointTraining{Optimizer: method.String(), LearningRate: lr, WeightDecay: o.WeightDecay, BatchSize: bs, Steps: tr.Steps, Stop: tr.Stop,
			TrainLoss: trLoss, TrainAccuracy: trAcc, TestLoss: teLoss, TestAccuracy: teAcc}}
	dt := engine.DTypeOf(b)
	if dt != engine.Float64 {
		m.Header.Training.DType = dt.String()
	}
	if m.Header.Kinds != "" {
		m.Header.TokenDim, m.Header.Residual = o.TokenDim, o.Residual
	}
	if o.Out != "" {
		if err := models.SaveCheckpoint(o.Out, net, m.Header); err != nil {
			return nil, err
		}
	}
	res := &RunResult{Data: o.Data, Arch: models.FormatArch(widths), Kinds: spec.KindsString(), Activation: act.Name, Loss: loss.String(), Init: scheme.String(),
		Optimizer: method.String(), LearningRate: lr, WeightDecay: o.WeightDecay, BatchSize: bs, Params: net.NumParams(),
		TrainSamples: m.Train.N, TestSamples: m.Test.N, Steps: tr.Steps, Gradients: tr.Gradients, Stop: tr.Stop,
		Objective: tr.Loss, GradNorm: tr.GradNorm, TrainLoss: trLoss, TrainAccuracy: trAcc, TestLoss: teLoss, TestAccuracy: teAcc,
		Seed: o.Seed, Backend: b.Info().Backend, DType: dt.String(), Seconds: seconds, Out: o.Out, Network: spec.Describe(), Model: m}
	if res.Kinds != "" {
		res.TokenDim, res.Residual = o.TokenDim, o.Residual
	}
	ok = true
	return res, nil
}

// withDefaults fills in the documented defaults and checks what Options
// and DataSpec do not.
func (o RunOptions) withDefaults() (RunOptions, error) {
	for _, d := range []struct {
		v   *string
		def string
	}{{&o.Data, "iris"}, {&o.Activation, DefaultActivation}, {&o.Init, DefaultInit}, {&o.Optimizer, DefaultMethod.String()}} {
		if *d.v == "" {
			*d.v = d.def
		}
	}
	if o.Steps == 0 {
		o.Steps = DefaultSteps
	}
	if o.Steps < 0 {
		return o, fmt.Errorf("train: Steps %d: want at least 1 (0: %d)", o.Steps, DefaultSteps)
	}
	if o.TokenDim < 0 {
		return o, fmt.Errorf("train: TokenDim %d: want >= 0", o.TokenDim)
	}
	return o, nil
}

// runWidths checks arch against the data: nil means D-16-16-C; a given
// architecture must start with the data's features and end with its
// classes.
func runWidths(arch []int, d *datasets.Dataset) ([]int, error) {
	if arch == nil {
		return append(append([]int{d.D}, DefaultHidden()...), d.Classes), nil
	}
	if len(arch) < 2 {
		return nil, fmt.Errorf("train: Arch %v: give the input width, any hidden widths and the output width", arch)
	}
	if arch[0] != d.D || arch[len(arch)-1] != d.Classes {
		return nil, fmt.Errorf("train: Arch %s: %s has %d features and %d classes, so the architecture must start with %d and end with %d (for example %d-16-16-%d)",
			models.FormatArch(arch), d.Name, d.D, d.Classes, d.D, d.Classes, d.D, d.Classes)
	}
	return slices.Clone(arch), nil
}

// runKinds spreads kinds over a network of L layers: L kinds name every
// layer; fewer are cycled over the L-1 hidden layers and the output layer
// is dense; none means all dense (nil).
func runKinds(ks []layerkind.Kind, L int) ([]layerkind.Kind, error) {
	switch {
	case len(ks) == 0:
		return nil, nil
	case len(ks) == L:
		return slices.Clone(ks), nil
	case len(ks) > L:
		return nil, fmt.Errorf("train: Kinds: %d kinds for a network of %d layers; give one per layer, or fewer to cycle over the %d hidden layers", len(ks), L, L-1)
	}
	out := make([]layerkind.Kind, L)
	for i := range L - 1 {
		out[i] = ks[i%len(ks)]
	}
	out[L-1] = layerkind.Dense
	return out, nil
}
