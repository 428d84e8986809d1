package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/datasets"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newTrainCmd) }

func newTrainCmd(g *globals) *cobra.Command {
	var (
		o           train.RunOptions
		arch, kinds string
		standardize bool
		initSeed    uint64
		tf          tableFlags
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

--dtype float32 trains in float32 (weights, gradients and the optimiser's
state; the loss summed in float64) and saves the float32 weights, exactly,
in the float64 model file, which records the dtype. On iris with the
defaults the final objective agrees with float64's to 3e-9 (GD), 3e-8
(SGD), 2e-7 (L-BFGS, which stops sooner: float32 runs out of descent
directions earlier) and 9e-5 (Adam, whose normalised steps keep moving on
rounding-sized gradients), at the same accuracy.

--data csv:TABLE.csv reads a CSV table of numbers: --label-column names the
class column (default the last; text labels are numbered in byte order and
recorded), --target the regression columns (the loss is then squared
error).

  netgeom train --data iris --out iris.ngm
  netgeom train --data csv:flowers.csv --label-column species --out flowers.ngm
  netgeom train --data fashion-mnist --subset 10000 --arch 784-100-100-10 --batch 128 --lr 0.001 --weight-decay 1e-4 --out fmnist.ngm
  netgeom train --data iris --kinds product --out iris-product.ngm
  netgeom train --data digits --arch 64-64-16-10 --kinds attention,dense,dense --token-dim 8 --residual --out digits-attention.ngm`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{float32Ready: "train.TestRunFloat32"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Zero values that the library would take as its defaults.
			switch {
			case o.Steps < 1:
				return fmt.Errorf("--steps %d: want at least 1", o.Steps)
			case o.Data == "" || o.Activation == "" || o.Init == "" || o.Loss == "" && cmd.Flags().Changed("loss") || o.Optimizer == "":
				return errors.New("--data, --act, --init, --loss and --opt need a value")
			}
			var err error
			if o.Data, err = tf.apply(o.Data); err != nil {
				return err
			}
			if !cmd.Flags().Changed("loss") {
				o.Loss = "" // cross-entropy, or squared error for a regression table
			}
			if arch != "" {
				if o.Arch, err = models.ParseArch(arch); err != nil {
					return fmt.Errorf("--arch: %w", err)
				}
			}
			if strings.TrimSpace(kinds) != "" {
				if o.Kinds, err = layerkind.ParseList(kinds); err != nil {
					return fmt.Errorf("--kinds: %w", err)
				}
			}
			if !slices.Contains(o.Kinds, layerkind.Attention) && (cmd.Flags().Changed("token-dim") || o.Residual) {
				return errors.New("--token-dim and --residual configure attention layers; --kinds names none")
			}
			o.NoStandardize = !standardize
			o.Seed = g.Seed
			// --init-seed draws the initial weights and the minibatch order;
			// --seed the data's subset and split. One seed drives both unless
			// --init-seed is given, so that several models can share a split.
			if cmd.Flags().Changed("init-seed") {
				o.InitSeed = &initSeed
			}
			if o.Out == "" {
				o.Out = defaultModelName(o.Data)
				if err := g.checkOutput(cmd, "out", o.Out, "model"); err != nil {
					return err
				}
			}
			b, err := g.open()
			if err != nil {
				return err
			}
			defer b.Close()
			update, finish := progress(cmd, "train")
			o.Progress = update
			r, err := train.Run(cmd.Context(), b, o)
			finish()
			if err != nil {
				return err
			}
			defer r.Model.Close()
			t := table{
				Title: fmt.Sprintf("%s: %s %s, %s, %d parameters; %s (learning rate %g, weight decay %g%s), %d steps (stop: %s), %d train / %d test samples, seed %d (%s, %.2fs)",
					r.Data, r.Network, r.Activation, r.Loss, r.Params, r.Optimizer, r.LearningRate, r.WeightDecay, batchNote(r.BatchSize), r.Steps, r.Stop,
					r.TrainSamples, r.TestSamples, r.Seed, r.Backend+dtypeNote(r.DType), r.Seconds),
				Header: []string{"train_loss", "train_accuracy", "test_loss", "test_accuracy"},
				Rows:   [][]string{{fmtFloat(r.TrainLoss), fmtFloat(r.TrainAccuracy), fmtFloat(r.TestLoss), fmtFloat(r.TestAccuracy)}},
			}
			if r.Model.Train.Labels == nil { // a regression table: no classes, no accuracy
				t.Rows[0][1], t.Rows[0][3] = "-", "-"
			}
			g.wrote(cmd, r.Out)
			return emit(cmd, g, t, r)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Data, "data", "iris", "data set: "+strings.Join(datasets.Names(), ", ")+", npy:X.npy,Y.npy or csv:TABLE.csv")
	tf.add(cmd)
	fl.IntVar(&o.Subset, "subset", 0, "use this many training samples, drawn from --seed (0: all)")
	fl.Uint64Var(&initSeed, "init-seed", 0, "seed of the initial weights and minibatch order (default: --seed); vary it to train several models on one split")
	fl.Float64Var(&o.TestFraction, "test-fraction", train.DefaultTestFraction, "held out for testing from sets with no test set of their own")
	fl.BoolVar(&standardize, "standardize", true, "rescale features to mean 0, variance 1 on the training part")
	fl.StringVar(&arch, "arch", "", "widths from input to output, like 4-16-16-3 (default: D-16-16-C for the data's D features and C classes)")
	fl.StringVar(&kinds, "kinds", "", "comma list of layer kinds (dense, product, attention): one per layer, or fewer cycled over the hidden layers (default: all dense)")
	fl.IntVar(&o.TokenDim, "token-dim", 0, "token dimension of the attention layers (must divide their width)")
	fl.BoolVar(&o.Residual, "residual", false, "attention layers add their input to their output")
	fl.StringVar(&o.Activation, "act", train.DefaultActivation, "activation of the hidden layers: "+strings.Join(activation.Names(), ", "))
	fl.StringVar(&o.Init, "init", train.DefaultInit, "initialisation: "+strings.Join(models.InitNames(), ", "))
	fl.Float64Var(&o.SigmaW, "sigma-w", 0, "weight scale of --init gaussian (W ~ N(0, sigma_w^2/fan_in)); a gain for the others (0: 1)")
	fl.Float64Var(&o.SigmaB, "sigma-b", 0, "bias standard deviation at initialisation")
	fl.StringVar(&o.Loss, "loss", train.DefaultLoss, "loss: "+strings.Join(models.LossNames(), ", ")+" (default squared-error with --target)")
	fl.StringVar(&o.Optimizer, "opt", train.DefaultMethod.String(), "optimiser: "+strings.Join(train.MethodNames(), ", "))
	fl.IntVar(&o.Steps, "steps", train.DefaultSteps, "updates (minibatch steps, or L-BFGS iterations)")
	fl.Float64Var(&o.LearningRate, "lr", 0, "learning rate (0: the optimiser's default: gd 0.1, sgd 0.05, adam 0.01, lbfgs 1)")
	fl.Float64Var(&o.Momentum, "momentum", 0.9, "momentum of sgd")
	fl.IntVar(&o.BatchSize, "batch", 0, "minibatch size of sgd and adam (0: full batch)")
	fl.Float64Var(&o.WeightDecay, "weight-decay", train.DefaultWeightDecay, "L2 penalty (weight-decay/2) |theta|^2 added to the training objective")
	fl.IntVar(&o.History, "history", 10, "L-BFGS correction pairs")
	fl.Float64Var(&o.GradTol, "grad-tol", 0, "stop when the full-batch gradient norm is at most this (0: off)")
	fl.IntVar(&o.Patience, "patience", 0, "stop when the loss has not improved for this many checks (0: off)")
	fl.Float64Var(&o.MinDelta, "min-delta", 0, "relative improvement that counts for --patience")
	fl.IntVar(&o.Chunk, "chunk", 0, "samples per batched pass (0: 4096)")
	outputFlag(cmd, &o.Out, "out", "", "model", "model file to write (default: DATA.ngm)")
	return cmd
}

func batchNote(bs int) string {
	if bs == 0 {
		return ", full batch"
	}
	return fmt.Sprintf(", batches of %d", bs)
}
