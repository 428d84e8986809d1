package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newTrainCmd) }

// trainResult is what `netgeom train --format json` prints.
type trainResult struct {
	Data          string  `json:"data"`
	Arch          string  `json:"arch"`
	Kinds         string  `json:"kinds,omitempty"`
	TokenDim      int     `json:"token_dim,omitempty"`
	Residual      bool    `json:"residual,omitempty"`
	Activation    string  `json:"activation"`
	Loss          string  `json:"loss"`
	Init          string  `json:"init"`
	Optimizer     string  `json:"optimizer"`
	LearningRate  float64 `json:"learning_rate"`
	WeightDecay   float64 `json:"weight_decay"`
	BatchSize     int     `json:"batch_size"`
	Params        int     `json:"params"`
	TrainSamples  int     `json:"train_samples"`
	TestSamples   int     `json:"test_samples"`
	Steps         int     `json:"steps"`
	Gradients     int     `json:"gradients"`
	Stop          string  `json:"stop"`
	Objective     float64 `json:"objective"`
	GradNorm      float64 `json:"grad_norm"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAccuracy float64 `json:"train_accuracy"`
	TestLoss      float64 `json:"test_loss"`
	TestAccuracy  float64 `json:"test_accuracy"`
	Seed          uint64  `json:"seed"`
	Backend       string  `json:"backend"`
	Seconds       float64 `json:"seconds"`
	Out           string  `json:"out"`
}

func newTrainCmd(g *globals) *cobra.Command {
	var (
		dataName, arch, actName, initName, lossName, opt, out string
		kindsFlag                                             string
		subset, steps, batch, history, patience, chunk        int
		tokenDim                                              int
		testFrac, lr, momentum, wd, gradTol, minDelta         float64
		sigmaW, sigmaB                                        float64
		standardize, residual                                 bool
		initSeedFlag                                          uint64
	)
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a network on a data set and save it as a model file",
		Long: `Train a network (dense hidden layers with --act, a linear output layer, softmax
cross-entropy by default) on a data set and write the trained model to --out,
a checkpoint that records the architecture, the parameters and how the data
were prepared, so that 'netgeom hessian --model FILE' analyses the same
training set.

Data sets without a test set of their own are split 80/20 (stratified) from
--seed; features are standardised on the training part. The loss is the mean
over samples. Progress goes to stderr when it is a terminal; the last line
printed is the train and test loss and accuracy.

With no flags but --data it trains the defaults: D-16-16-C tanh, Glorot
weights, full-batch Adam (learning rate 0.01, weight decay 0.01) for 2000
steps.

--kinds makes layers multiplication layers (product: (W x + b) * (V x + c),
no activation) or single-head self-attention (attention: the width, which
must not change, read as tokens of dimension --token-dim; --residual adds the
input). Give one kind per layer, output layer included, or fewer, cycled over
the hidden layers with a dense output layer. 'netgeom hessian' and
'netgeom sensitivity' read such models like dense ones.

  netgeom train --data iris --out iris.ngm
  netgeom train --data fashion-mnist --subset 10000 --arch 784-100-100-10 --batch 128 --lr 0.001 --weight-decay 1e-4 --out fmnist.ngm
  netgeom train --data iris --kinds product --out iris-product.ngm
  netgeom train --data digits --arch 64-64-16-10 --kinds attention,dense,dense --token-dim 8 --residual --out digits-attention.ngm`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			act, err := activation.Lookup(actName)
			if err != nil {
				return fmt.Errorf("--act: %w", err)
			}
			scheme, err := models.ParseInit(initName)
			if err != nil {
				return fmt.Errorf("--init: %w", err)
			}
			loss, err := models.ParseLoss(lossName)
			if err != nil {
				return fmt.Errorf("--loss: %w", err)
			}
			method, err := train.ParseMethod(opt)
			if err != nil {
				return fmt.Errorf("--opt: %w", err)
			}
			if steps < 1 {
				return fmt.Errorf("--steps %d: want at least 1", steps)
			}
			prep, err := train.Prepare(train.DataSpec{Name: dataName, Subset: subset, TestFraction: testFrac, Seed: g.Seed, Standardize: standardize})
			if err != nil {
				return fmt.Errorf("--data %s: %w", dataName, err)
			}
			widths, err := trainWidths(arch, prep.Train)
			if err != nil {
				return err
			}
			if out == "" {
				out = dataName + ".ngm"
			}
			b, err := engine.Open(g.Backend)
			if err != nil {
				return err
			}
			defer b.Close()
			spec := models.MLPSpec{Widths: widths, Act: act, Loss: loss, TokenDim: tokenDim, Residual: residual}
			if spec.Kinds, err = trainKinds(kindsFlag, len(widths)-1); err != nil {
				return err
			}
			if err := checkAttentionFlags(spec, cmd.Flags().Changed("token-dim")); err != nil {
				return err
			}
			net, err := models.NewMLP(b, spec)
			if err != nil {
				return err
			}
			defer net.Free()
			initSpec := models.Init{Scheme: scheme, SigmaW: sigmaW, SigmaB: sigmaB}
			// --init-seed draws the initial weights and the minibatch order;
			// --seed the data's subset and split. One seed drives both unless
			// --init-seed is given, so that several models can share a split.
			initSeed := g.Seed
			if cmd.Flags().Changed("init-seed") {
				initSeed = initSeedFlag
			}
			if err := net.Initialize(initSpec, initSeed); err != nil {
				return fmt.Errorf("--init: %w", err)
			}
			tr, err := train.Upload(b, prep.Train)
			if err != nil {
				return err
			}
			defer tr.Free()
			te, err := train.Upload(b, prep.Test)
			if err != nil {
				return err
			}
			defer te.Free()
			if lr == 0 {
				lr = train.DefaultLearningRate(method)
			}
			mom := 0.0
			if method == train.SGD {
				mom = momentum
			}
			update, finish := progress(cmd, "train")
			start := time.Now()
			res, err := train.Train(net, tr, train.Options{Method: method, Steps: steps, LearningRate: lr, Momentum: mom,
				BatchSize: batch, History: history, WeightDecay: wd, GradTol: gradTol, Patience: patience, MinDelta: minDelta,
				Seed: initSeed, Chunk: chunk, Progress: func(p train.Progress) { update(p.Step, p.Steps) }})
			finish()
			if err != nil {
				return err
			}
			seconds := time.Since(start).Seconds()
			e, err := net.NewEvaluator(chunk)
			if err != nil {
				return err
			}
			defer e.Free()
			trLoss, trAcc, err := e.Evaluate(net.Params(), tr)
			if err != nil {
				return err
			}
			teLoss, teAcc, err := e.Evaluate(net.Params(), te)
			if err != nil {
				return err
			}
			bs := batch
			if bs >= tr.N || method == train.GD || method == train.LBFGS {
				bs = 0
			}
			hdr := models.CheckpointHeader{Init: scheme.String(), SigmaW: sigmaW, SigmaB: sigmaB, Seed: initSeed, Data: &prep.Info,
				Training: &models.CheckpointTraining{Optimizer: method.String(), LearningRate: lr, WeightDecay: wd, BatchSize: bs, Steps: res.Steps, Stop: res.Stop,
					TrainLoss: trLoss, TrainAccuracy: trAcc, TestLoss: teLoss, TestAccuracy: teAcc}}
			if err := models.SaveCheckpoint(out, net, hdr); err != nil {
				return err
			}
			r := trainResult{Data: dataName, Arch: models.FormatArch(widths), Kinds: spec.KindsString(), Activation: act.Name, Loss: loss.String(), Init: scheme.String(),
				Optimizer: method.String(), LearningRate: lr, WeightDecay: wd, BatchSize: bs, Params: net.NumParams(),
				TrainSamples: tr.N, TestSamples: te.N, Steps: res.Steps, Gradients: res.Gradients, Stop: res.Stop,
				Objective: res.Loss, GradNorm: res.GradNorm, TrainLoss: trLoss, TrainAccuracy: trAcc, TestLoss: teLoss, TestAccuracy: teAcc,
				Seed: g.Seed, Backend: b.Info().Backend, Seconds: seconds, Out: out}
			if r.Kinds != "" {
				r.TokenDim, r.Residual = tokenDim, residual
			}
			t := table{
				Title: fmt.Sprintf("%s: %s %s, %s, %d parameters; %s (learning rate %g, weight decay %g%s), %d steps (stop: %s), %d train / %d test samples, seed %d (%s, %.2fs)",
					dataName, spec.Describe(), act.Name, loss, r.Params, method, lr, wd, batchNote(bs), res.Steps, res.Stop, tr.N, te.N, g.Seed, r.Backend, seconds),
				Header: []string{"train_loss", "train_accuracy", "test_loss", "test_accuracy"},
				Rows:   [][]string{{fmtFloat(trLoss), fmtFloat(trAcc), fmtFloat(teLoss), fmtFloat(teAcc)}},
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "netgeom: wrote %s\n", out)
			return emit(cmd, g, t, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&dataName, "data", "iris", "data set: "+strings.Join(datasets.Names(), ", "))
	fl.IntVar(&subset, "subset", 0, "use this many training samples, drawn from --seed (0: all)")
	fl.Uint64Var(&initSeedFlag, "init-seed", 0, "seed of the initial weights and minibatch order (default: --seed); vary it to train several models on one split")
	fl.Float64Var(&testFrac, "test-fraction", train.DefaultTestFraction, "held out for testing from sets with no test set of their own")
	fl.BoolVar(&standardize, "standardize", true, "rescale features to mean 0, variance 1 on the training part")
	fl.StringVar(&arch, "arch", "", "widths from input to output, like 4-16-16-3 (default: D-16-16-C for the data's D features and C classes)")
	fl.StringVar(&kindsFlag, "kinds", "", "comma list of layer kinds (dense, product, attention): one per layer, or fewer cycled over the hidden layers (default: all dense)")
	fl.IntVar(&tokenDim, "token-dim", 0, "token dimension of the attention layers (must divide their width)")
	fl.BoolVar(&residual, "residual", false, "attention layers add their input to their output")
	fl.StringVar(&actName, "act", train.DefaultActivation, "activation of the hidden layers: "+strings.Join(activation.Names(), ", "))
	fl.StringVar(&initName, "init", train.DefaultInit, "initialisation: "+strings.Join(models.InitNames(), ", "))
	fl.Float64Var(&sigmaW, "sigma-w", 0, "weight scale of --init gaussian (W ~ N(0, sigma_w^2/fan_in)); a gain for the others (0: 1)")
	fl.Float64Var(&sigmaB, "sigma-b", 0, "bias standard deviation at initialisation")
	fl.StringVar(&lossName, "loss", train.DefaultLoss, "loss: "+strings.Join(models.LossNames(), ", "))
	fl.StringVar(&opt, "opt", train.DefaultMethod.String(), "optimiser: "+strings.Join(train.MethodNames(), ", "))
	fl.IntVar(&steps, "steps", train.DefaultSteps, "updates (minibatch steps, or L-BFGS iterations)")
	fl.Float64Var(&lr, "lr", 0, "learning rate (0: the optimiser's default: gd 0.1, sgd 0.05, adam 0.01, lbfgs 1)")
	fl.Float64Var(&momentum, "momentum", 0.9, "momentum of sgd")
	fl.IntVar(&batch, "batch", 0, "minibatch size of sgd and adam (0: full batch)")
	fl.Float64Var(&wd, "weight-decay", train.DefaultWeightDecay, "L2 penalty (weight-decay/2) |theta|^2 added to the training objective")
	fl.IntVar(&history, "history", 10, "L-BFGS correction pairs")
	fl.Float64Var(&gradTol, "grad-tol", 0, "stop when the full-batch gradient norm is at most this (0: off)")
	fl.IntVar(&patience, "patience", 0, "stop when the loss has not improved for this many checks (0: off)")
	fl.Float64Var(&minDelta, "min-delta", 0, "relative improvement that counts for --patience")
	fl.IntVar(&chunk, "chunk", 0, "samples per batched pass (0: 4096)")
	fl.StringVar(&out, "out", "", "model file to write (default: DATA.ngm)")
	return cmd
}

func batchNote(bs int) string {
	if bs == 0 {
		return ", full batch"
	}
	return fmt.Sprintf(", batches of %d", bs)
}

// trainWidths reads --arch against the data: empty means D-16-16-C; a
// given architecture must start with the data's features and end with its
// classes.
func trainWidths(arch string, d *datasets.Dataset) ([]int, error) {
	if arch == "" {
		return append(append([]int{d.D}, train.DefaultHidden()...), d.Classes), nil
	}
	w, err := models.ParseArch(arch)
	if err != nil {
		return nil, fmt.Errorf("--arch: %w", err)
	}
	if w[0] != d.D || w[len(w)-1] != d.Classes {
		return nil, fmt.Errorf("--arch %s: %s has %d features and %d classes, so the architecture must start with %d and end with %d (for example %d-16-16-%d)",
			arch, d.Name, d.D, d.Classes, d.D, d.Classes, d.D, d.Classes)
	}
	return w, nil
}

// trainKinds reads --kinds for a network of L layers: L kinds name every
// layer; fewer are cycled over the L-1 hidden layers and the output layer
// is dense; empty means all dense (nil).
func trainKinds(s string, L int) ([]models.LayerKind, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	ks, err := parseKinds(s)
	if err != nil {
		return nil, fmt.Errorf("--kinds: %w", err)
	}
	switch {
	case len(ks) == L:
		return ks, nil
	case len(ks) > L:
		return nil, fmt.Errorf("--kinds %s: %d kinds for a network of %d layers; give one per layer, or fewer to cycle over the %d hidden layers", s, len(ks), L, L-1)
	}
	return append(cycleKinds(ks, L-1), models.Dense), nil
}

// checkAttentionFlags refuses --token-dim or --residual without an
// attention layer, where they would be silently ignored.
func checkAttentionFlags(spec models.MLPSpec, tokenDimSet bool) error {
	if !slices.Contains(spec.Kinds, models.Attention) && (tokenDimSet || spec.Residual) {
		return fmt.Errorf("--token-dim and --residual configure attention layers; --kinds names none")
	}
	return nil
}
