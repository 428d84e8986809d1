package main

import (
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/geometry"
	"github.com/netgeom/netgeom/models"
)

func init() { register(newPullbackCmd) }

// pullbackProbs are the quantiles the pullback command reports.
var pullbackProbs = []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1}

type pullbackLayer struct {
	Layer            int       `json:"layer"`
	Width            int       `json:"width"`
	K                int       `json:"k"`
	Probs            []float64 `json:"probs"`
	LogVolume        []float64 `json:"log_volume_quantiles"`
	MeanLogVolume    float64   `json:"mean_log_volume"` // -Inf if any sample has rank < k
	LogSigmaMax      []float64 `json:"log_sigma_max_quantiles"`
	MeanSquaredSigma float64   `json:"mean_squared_sigma"`
	MedianRank       int       `json:"median_rank"`
	RankDeficient    float64   `json:"rank_deficient"` // fraction of samples with numerical rank < k
}

// pullbackResult is what `netgeom pullback --format json` prints.
type pullbackResult struct {
	Model   string          `json:"model"`
	Data    string          `json:"data"`
	On      string          `json:"on"`
	Samples int             `json:"samples"`
	Inputs  int             `json:"inputs"`
	Arch    string          `json:"arch"`
	Layers  []pullbackLayer `json:"layers"`
}

func newPullbackCmd(g *globals) *cobra.Command {
	var (
		modelPath, dataName, on string
		dim, samples, chunk     int
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
			m, err := loadGeomModel(g, modelPath, dataName)
			if err != nil {
				return err
			}
			defer m.close()
			data, err := m.pick(on)
			if err != nil {
				return err
			}
			if samples > 0 && samples < data.N {
				if data, err = data.Columns(0, samples); err != nil {
					return err
				}
			}
			lps, err := geometry.PullbackMetric(m.net, m.net.Params(), data, geometry.PullbackOptions{Dim: dim, Chunk: chunk})
			if err != nil {
				return err
			}
			res := pullbackResult{Model: modelPath, Data: m.hdr.Data.Name, On: on, Samples: data.N, Inputs: m.net.Width(0), Arch: models.FormatArch(m.hdr.Widths)}
			t := table{Header: []string{"layer", "width", "k", "logvol_min", "q10", "q25", "median", "q75", "q90", "logvol_max", "median_log_sigma1", "mean_sigma2", "median_rank", "rank_deficient"}}
			for _, lp := range lps {
				mean := 0.0
				for _, v := range lp.LogVolume {
					mean += v / float64(len(lp.LogVolume))
				}
				pl := pullbackLayer{Layer: lp.Layer, Width: lp.Width, K: lp.K, Probs: pullbackProbs,
					LogVolume: geometry.Quantiles(lp.LogVolume, pullbackProbs), MeanLogVolume: mean,
					LogSigmaMax: geometry.Quantiles(lp.LogSigmaMax, pullbackProbs), MeanSquaredSigma: lp.MeanSquaredSigma}
				ranks := make([]float64, len(lp.Rank))
				for i, r := range lp.Rank {
					ranks[i] = float64(r)
					if r < lp.K {
						pl.RankDeficient += 1 / float64(len(lp.Rank))
					}
				}
				pl.MedianRank = int(geometry.Quantiles(ranks, []float64{0.5})[0])
				res.Layers = append(res.Layers, pl)
				row := []string{fmt.Sprint(lp.Layer), fmt.Sprint(lp.Width), fmt.Sprint(lp.K)}
				for _, q := range pl.LogVolume {
					row = append(row, fmtFloat(q))
				}
				row = append(row, fmtFloat(pl.LogSigmaMax[3]), fmtFloat(lp.MeanSquaredSigma), fmt.Sprint(pl.MedianRank), fmtFloat(pl.RankDeficient))
				t.Rows = append(t.Rows, row)
			}
			t.Title = fmt.Sprintf("%s (%s %s) on %s %s, %d samples: log volume element sum_{r<=k} log sigma_r(dx_l/dx) per layer (layer %d: logits)",
				modelPath, res.Arch, m.hdr.Activation, res.Data, on, data.N, m.net.Depth())
			for i := range res.Layers { // JSON has no infinities
				l := &res.Layers[i]
				for _, q := range [][]float64{l.LogVolume, l.LogSigmaMax} {
					for j := range q {
						q[j] = finiteOrMin(q[j])
					}
				}
				l.MeanLogVolume = finiteOrMin(l.MeanLogVolume)
			}
			return emit(cmd, g, t, res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "model file written by 'netgeom train'")
	fl.StringVar(&dataName, "data", "", "data set (must be the model's; default: the model's)")
	fl.StringVar(&on, "on", "train", "the train or the test set")
	fl.IntVar(&dim, "dim", 0, "k: the number of largest singular values in the volume element (0: all)")
	fl.IntVar(&samples, "samples", 0, "use the first N samples (0: all)")
	fl.IntVar(&chunk, "chunk", 0, "points per batched tangent pass (0: auto)")
	return cmd
}

// finiteOrMin maps -Inf (a rank-deficient Jacobian) to -MaxFloat64 so that
// the JSON encoder accepts it.
func finiteOrMin(x float64) float64 {
	if math.IsInf(x, -1) {
		return -math.MaxFloat64
	}
	return x
}
