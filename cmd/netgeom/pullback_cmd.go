package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/geometry"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newPullbackCmd) }

func newPullbackCmd(g *globals) *cobra.Command {
	var (
		mf           modelFlags
		on           string
		dim, samples int
	)
	cmd := &cobra.Command{
		Use:   "pullback",
		Short: "Per-layer volume element of the pullback metric J^T J of a trained model over its data",
		Long: `Load a model written by 'netgeom train', rebuild its data, and at every sample
x compute the exact input Jacobian J_l(x) = dx_l/dx of each layer l (forward-
mode tangents; the last layer is the logits) and its singular values
sigma_1 >= sigma_2 >= ... The pullback metric g_l = J_l^T J_l measures how
layer l stretches the input space around x; the log volume element

  log vol_l(x) = sum_{r <= k} log sigma_r(J_l(x)),   k = min(--dim, D, w_l)

is the log of the largest k-dimensional volume stretch at x (the k-plane of
the top right singular vectors; with --dim 0, all min(D, w_l) values, the
volume element on the row space of J_l, since g_l is singular when
w_l < D). One row per layer: the quantiles of log vol_l over the samples
(min, 10%, 25%, median, 75%, 90%, max), the median of log sigma_1, and the
mean of |J_l|_F^2 / D (the mean squared singular value per input).
Quantiles are nearest-rank, so a rank-deficient Jacobian (singular values at
or below sigma_1 max(D, w_l) 2^-52 count as zero, as numpy's matrix_rank;
dead ReLU units do this) shows as -Inf (-1.8e308 in JSON); the last columns
give the median numerical rank and the fraction of samples whose rank is
below k.

  netgeom pullback --model digits.ngm --data digits
  netgeom pullback --model digits.ngm --dim 2 --on test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dim < 0 || samples < 0 {
				return fmt.Errorf("--dim %d, --samples %d: want >= 0", dim, samples)
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
			res, err := geometry.ModelPullback(cmd.Context(), geometry.ModelPullbackOptions{Model: m, On: on, Dim: dim, Samples: samples, Chunk: mf.chunk})
			if err != nil {
				return err
			}
			t := table{Header: []string{"layer", "width", "k", "logvol_min", "q10", "q25", "median", "q75", "q90", "logvol_max", "median_log_sigma1", "mean_sigma2", "median_rank", "rank_deficient"}}
			for _, l := range res.Layers {
				row := []string{fmt.Sprint(l.Layer), fmt.Sprint(l.Width), fmt.Sprint(l.K)}
				for _, q := range l.LogVolume {
					row = append(row, fmtFloat(q))
				}
				row = append(row, fmtFloat(l.LogSigmaMax[3]), fmtFloat(l.MeanSquaredSigma), fmt.Sprint(l.MedianRank), fmtFloat(l.RankDeficient))
				t.Rows = append(t.Rows, row)
			}
			t.Title = fmt.Sprintf("%s (%s %s) on %s %s, %d samples: log volume element sum_{r<=k} log sigma_r(dx_l/dx) per layer (layer %d: logits)",
				res.Model, res.Arch, m.Header.Activation, res.Data, res.On, res.Samples, m.Net.Depth())
			return emit(cmd, g, t, res)
		},
	}
	mf.add(cmd, "points per batched tangent pass (0: auto)")
	fl := cmd.Flags()
	fl.StringVar(&on, "on", "train", "the train or the test set")
	fl.IntVar(&dim, "dim", 0, "k: the number of largest singular values in the log volume element (0: all)")
	fl.IntVar(&samples, "samples", 0, "use the first N samples (0: all)")
	npyFlag(cmd)
	return cmd
}
