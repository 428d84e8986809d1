package geometry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

// ModelSensitivityOptions configure ModelSensitivity.
type ModelSensitivityOptions struct {
	// Model is the trained model with its data (train.LoadModel). Its
	// checkpoint must record the initialisation (scheme and seed).
	Model *train.Model
	// On is the set evaluated, "train" or "test" ("": test).
	On string
	// Draws is the number of re-randomisations per layer (0: 5).
	Draws int
	// RerandomSeed, when not nil, is the first seed of the
	// re-randomisations; nil means the init seed + 1. The seeds count up
	// from it, skipping the init seed.
	RerandomSeed *uint64
	// Chunk is the evaluator's samples per batched pass (0: 4096).
	Chunk int
}

// ModelSensitivityLayer is one layer's sensitivity with its shape, kind
// and how far training moved it.
type ModelSensitivityLayer struct {
	LayerSensitivity
	Shape          string  `json:"shape"` // "4->16"
	Kind           string  `json:"kind"`
	WeightDistance float64 `json:"weight_distance"` // |W_l - W_l(0)|_F
	InitNorm       float64 `json:"init_norm"`       // |W_l(0)|_F
	// MeanNorm is the mean norm of the layer's output over the training
	// set.
	MeanNorm float64 `json:"mean_output_norm"`
}

// ModelSensitivityResult is a trained model's layer sensitivity with the
// path lengths and the Fisher-Rao norm on its training set.
type ModelSensitivityResult struct {
	Model         string                  `json:"model"` // the model file
	Data          string                  `json:"data"`
	On            string                  `json:"on"`
	Samples       int                     `json:"samples"`
	Arch          string                  `json:"arch"`
	Kinds         string                  `json:"kinds,omitempty"`
	Init          string                  `json:"init"`
	InitSeed      uint64                  `json:"init_seed"`
	RerandomSeeds []uint64                `json:"rerandom_seeds"`
	Trained       Eval                    `json:"trained"`
	Layers        []ModelSensitivityLayer `json:"layers"`
	PathLength    float64                 `json:"path_length"`     // sum_l mean |x_l|, training set
	WeightPath    float64                 `json:"weight_distance"` // sum_l |W_l - W_l(0)|_F
	FisherRao     float64                 `json:"fisher_rao_norm"` // theta^T G theta, training set
}

// ModelSensitivity replaces each layer of a trained model in turn by its
// values at initialisation (regenerated from the checkpoint's record) or
// by fresh draws from the initial distribution, and evaluates the model
// on opts.On (Zhang, Bengio and Singer 2019). It adds per layer
// |W_l - W_l(0)|_F, |W_l(0)|_F and the mean output norm over the training
// set, and the Fisher-Rao norm theta^T G theta there.
func ModelSensitivity(ctx context.Context, opts ModelSensitivityOptions) (*ModelSensitivityResult, error) {
	m := opts.Model
	if err := checkTrainedModel("sensitivity", m); err != nil {
		return nil, err
	}
	on, draws := opts.On, opts.Draws
	if on == "" {
		on = "test"
	}
	if draws == 0 {
		draws = 5
	}
	if draws < 0 || opts.Chunk < 0 {
		return nil, fmt.Errorf("sensitivity: Draws %d, Chunk %d: want >= 0", opts.Draws, opts.Chunk)
	}
	data, err := m.Set(on)
	if err != nil {
		return nil, fmt.Errorf("sensitivity: On: %w", err)
	}
	hdr := m.Header
	if hdr.Init == "" {
		return nil, fmt.Errorf("sensitivity: %s records no initialisation; cannot regenerate the initial weights", m.Path)
	}
	scheme, err := models.ParseInit(hdr.Init)
	if err != nil {
		return nil, fmt.Errorf("sensitivity: %s: %w", m.Path, err)
	}
	init := models.Init{Scheme: scheme, SigmaW: hdr.SigmaW, SigmaB: hdr.SigmaB}
	base := hdr.Seed + 1
	if opts.RerandomSeed != nil {
		base = *opts.RerandomSeed
	}
	var seeds []uint64
	for s := base; len(seeds) < draws; s++ {
		if s != hdr.Seed {
			seeds = append(seeds, s)
		}
	}
	net := m.Net
	trained, rows, err := Sensitivity(net, data, SensitivityOptions{Init: init, InitSeed: hdr.Seed, RerandomSeeds: seeds, Chunk: opts.Chunk})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n0, err := Initial(net, init, hdr.Seed)
	if err != nil {
		return nil, err
	}
	defer n0.Close()
	dist, norm0, err := WeightDistances(net, net.Params(), n0.Params())
	if err != nil {
		return nil, err
	}
	norms, err := LayerNorms(net, net.Params(), m.Train, opts.Chunk)
	if err != nil {
		return nil, err
	}
	fr, err := FisherRao(net, net.Params(), m.Train, opts.Chunk)
	if err != nil {
		return nil, err
	}
	spec := net.Spec()
	res := &ModelSensitivityResult{Model: m.Path, Data: hdr.Data.Name, On: on, Samples: data.N, Arch: models.FormatArch(hdr.Widths),
		Kinds: spec.KindsString(), Init: scheme.String(), InitSeed: hdr.Seed, RerandomSeeds: seeds, Trained: trained, FisherRao: fr}
	for i, r := range rows {
		l := r.Layer
		res.Layers = append(res.Layers, ModelSensitivityLayer{LayerSensitivity: r, Shape: fmt.Sprintf("%d->%d", net.Width(l-1), net.Width(l)),
			Kind: spec.Kind(l).String(), WeightDistance: dist[i], InitNorm: norm0[i], MeanNorm: norms[i]})
		res.PathLength += norms[i]
		res.WeightPath += dist[i]
	}
	return res, nil
}

// checkTrainedModel refuses a model without its network or data.
func checkTrainedModel(fn string, m *train.Model) error {
	if m == nil || m.Net == nil || m.Train == nil || m.Header.Data == nil {
		return errors.New(fn + ": Model: give a trained model with its data (train.LoadModel)")
	}
	return nil
}

// ModelPullbackOptions configure ModelPullback.
type ModelPullbackOptions struct {
	// Model is the trained model with its data (train.LoadModel).
	Model *train.Model
	// On is the set, "train" or "test" ("": train).
	On string
	// Dim is k, the number of largest singular values in the log volume
	// element (0: all min(D, w_l)).
	Dim int
	// Samples keeps the first Samples points of the set (0: all).
	Samples int
	// Chunk is the number of points per batched tangent pass (0: auto).
	Chunk int
}

// ModelPullbackLayer summarises one layer's pullback metric over the
// samples: quantiles at Probs of the log volume element and of
// log sigma_1 (nearest-rank, so -Inf where a Jacobian is rank-deficient;
// JSON writes -Inf as -MaxFloat64), the mean log volume, the mean squared
// singular value per input, the median numerical rank and the fraction of
// samples whose rank is below K.
type ModelPullbackLayer struct {
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

// MarshalJSON writes the layer with -Inf (a rank-deficient Jacobian) as
// -MaxFloat64, which JSON can hold.
func (l ModelPullbackLayer) MarshalJSON() ([]byte, error) {
	type plain ModelPullbackLayer
	finite := func(q []float64) []float64 {
		out := make([]float64, len(q))
		for i, v := range q {
			out[i] = finiteOrMin(v)
		}
		return out
	}
	p := plain(l)
	p.LogVolume, p.LogSigmaMax, p.MeanLogVolume = finite(l.LogVolume), finite(l.LogSigmaMax), finiteOrMin(l.MeanLogVolume)
	return json.Marshal(p)
}

// finiteOrMin maps -Inf to -MaxFloat64.
func finiteOrMin(x float64) float64 {
	if math.IsInf(x, -1) {
		return -math.MaxFloat64
	}
	return x
}

// ModelPullbackResult is the per-layer pullback metric of a trained model
// over a set.
type ModelPullbackResult struct {
	Model   string               `json:"model"`
	Data    string               `json:"data"`
	On      string               `json:"on"`
	Samples int                  `json:"samples"`
	Inputs  int                  `json:"inputs"`
	Arch    string               `json:"arch"`
	Layers  []ModelPullbackLayer `json:"layers"`
}

// modelPullbackProbs are the quantiles ModelPullback reports: min, 10%,
// 25%, median, 75%, 90%, max.
var modelPullbackProbs = []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1}

// ModelPullback computes at every sample of opts.On the input Jacobian of
// each layer of a trained model and summarises the log volume element of
// its pullback metric (PullbackMetric) over the samples.
func ModelPullback(ctx context.Context, opts ModelPullbackOptions) (*ModelPullbackResult, error) {
	m := opts.Model
	if err := checkTrainedModel("pullback", m); err != nil {
		return nil, err
	}
	on := opts.On
	if on == "" {
		on = "train"
	}
	if opts.Dim < 0 || opts.Samples < 0 || opts.Chunk < 0 {
		return nil, fmt.Errorf("pullback: Dim %d, Samples %d, Chunk %d: want >= 0", opts.Dim, opts.Samples, opts.Chunk)
	}
	data, err := m.Set(on)
	if err != nil {
		return nil, fmt.Errorf("pullback: On: %w", err)
	}
	if opts.Samples > 0 && opts.Samples < data.N {
		if data, err = data.Columns(0, opts.Samples); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	net := m.Net
	lps, err := PullbackMetric(net, net.Params(), data, PullbackOptions{Dim: opts.Dim, Chunk: opts.Chunk})
	if err != nil {
		return nil, err
	}
	res := &ModelPullbackResult{Model: m.Path, Data: m.Header.Data.Name, On: on, Samples: data.N, Inputs: net.Width(0), Arch: models.FormatArch(m.Header.Widths)}
	for _, lp := range lps {
		mean := 0.0
		for _, v := range lp.LogVolume {
			mean += v / float64(len(lp.LogVolume))
		}
		pl := ModelPullbackLayer{Layer: lp.Layer, Width: lp.Width, K: lp.K, Probs: slices.Clone(modelPullbackProbs),
			LogVolume: Quantiles(lp.LogVolume, modelPullbackProbs), MeanLogVolume: mean,
			LogSigmaMax: Quantiles(lp.LogSigmaMax, modelPullbackProbs), MeanSquaredSigma: lp.MeanSquaredSigma}
		ranks := make([]float64, len(lp.Rank))
		for i, r := range lp.Rank {
			ranks[i] = float64(r)
			if r < lp.K {
				pl.RankDeficient += 1 / float64(len(lp.Rank))
			}
		}
		pl.MedianRank = int(Quantiles(ranks, []float64{0.5})[0])
		res.Layers = append(res.Layers, pl)
	}
	return res, nil
}
