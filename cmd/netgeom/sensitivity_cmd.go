package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/geometry"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newSensitivityCmd) }

func newSensitivityCmd(g *globals) *cobra.Command {
	var (
		mf         modelFlags
		on         string
		draws      int
		rerandSeed uint64
	)
	cmd := &cobra.Command{
		Use:   "sensitivity",
		Short: "Layer sensitivity of a trained model: re-initialise or re-randomise one layer at a time",
		Long: `Load a model written by 'netgeom train', rebuild its data, and for each layer
l replace W_l and b_l (all other layers kept trained) by
  reinit    their values at initialisation (regenerated from the init scheme
            and seed recorded in the model file), or
  rerandom  fresh draws from the initial distribution (--draws seeds from
            --rerandom-seed, default the init seed + 1; mean and spread),
and report the loss and accuracy on the test set (--on train for the
training set): one row per layer (Zhang, Bengio and Singer 2019). Each row
also has |W_l - W_l(0)|_F, its ratio to |W_l(0)|_F and the mean norm of
the layer's output over the training set. The title gives the trained
model's own loss and accuracy, the path lengths sum_l mean|x_l| and
sum_l |W_l - W_l(0)|_F, and the Fisher-Rao norm theta^T F theta on the
training set, computed as theta^T G theta with the Gauss-Newton matrix
(the Fisher of the predictive distribution for cross-entropy; biases
included).

  netgeom sensitivity --model digits.ngm --data digits`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if draws < 1 {
				return fmt.Errorf("--draws %d: want at least 1", draws)
			}
			if on != "train" && on != "test" {
				return fmt.Errorf("--on %q: want train or test", on)
			}
			b, m, err := mf.open(g, train.LoadOptions{})
			if err != nil {
				return err
			}
			defer b.Close()
			defer m.Close()
			if m.Train.Labels == nil {
				return fmt.Errorf("%s was trained on %s, a regression table: sensitivity measures the accuracy lost when a layer is reset and needs class labels", mf.path, m.Header.Data.Name)
			}
			opts := geometry.ModelSensitivityOptions{Model: m, On: on, Draws: draws, Chunk: mf.chunk}
			if cmd.Flags().Changed("rerandom-seed") {
				opts.RerandomSeed = &rerandSeed
			}
			res, err := geometry.ModelSensitivity(cmd.Context(), opts)
			if err != nil {
				return err
			}
			t := table{Header: []string{"layer", "shape", "reinit_acc", "reinit_loss", "rerandom_acc", "rerandom_acc_sd", "rerandom_loss", "dW_frob", "dW_rel", "mean_out_norm"}}
			for _, l := range res.Layers {
				shape := l.Shape
				if res.Kinds != "" {
					shape = l.Kind + " " + shape
				}
				t.Rows = append(t.Rows, []string{fmt.Sprint(l.Layer), shape, fmtFloat(l.Reinit.Accuracy), fmtFloat(l.Reinit.Loss),
					fmtFloat(l.Rerandom.Accuracy), fmtFloat(l.RerandomStd.Accuracy), fmtFloat(l.Rerandom.Loss),
					fmtFloat(l.WeightDistance), fmtFloat(l.WeightDistance / l.InitNorm), fmtFloat(l.MeanNorm)})
			}
			t.Title = fmt.Sprintf("%s (%s %s, %s init seed %d) on %s %s (%d samples): trained accuracy %s, loss %s; %d re-randomisations from seed %d\n"+
				"path length sum_l mean|x_l| = %s, sum_l |W_l - W_l(0)|_F = %s, Fisher-Rao norm theta^T G theta = %s (training set)",
				res.Model, m.Net.Spec().Describe(), m.Header.Activation, res.Init, res.InitSeed, res.Data, res.On, res.Samples,
				fmtShort(res.Trained.Accuracy), fmtShort(res.Trained.Loss), len(res.RerandomSeeds), res.RerandomSeeds[0],
				fmtShort(res.PathLength), fmtShort(res.WeightPath), fmtShort(res.FisherRao))
			return emit(cmd, g, t, res)
		},
	}
	mf.add(cmd, "samples per batched pass (0: 4096)")
	fl := cmd.Flags()
	fl.StringVar(&on, "on", "test", "evaluate on the test or the train set")
	fl.IntVar(&draws, "draws", 5, "re-randomisations per layer (seeds from --rerandom-seed on, skipping the init seed)")
	fl.Uint64Var(&rerandSeed, "rerandom-seed", 0, "first seed of the re-randomisations (default: the model's init seed + 1)")
	npyFlag(cmd)
	return cmd
}
