package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/geometry"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/train"
)

func init() { register(newSensitivityCmd) }

// geomModel is a trained model with its rebuilt data on a backend, for the
// geometry subcommands.
type geomModel struct {
	b           engine.Backend
	net         *models.MLP
	hdr         models.CheckpointHeader
	train, test *models.Data
}

func (m *geomModel) close() {
	m.train.Free()
	m.test.Free()
	if m.net != nil {
		m.net.Free()
	}
	m.b.Close()
}

// loadGeomModel opens the backend, loads the model and rebuilds and
// uploads its training and test sets (checking --data against the record).
func loadGeomModel(g *globals, modelPath, dataName string) (*geomModel, error) {
	if modelPath == "" {
		return nil, errors.New("--model: give the model file written by 'netgeom train --out FILE'")
	}
	b, err := engine.Open(g.Backend)
	if err != nil {
		return nil, err
	}
	m := &geomModel{b: b}
	fail := func(err error) (*geomModel, error) {
		m.close()
		return nil, err
	}
	if m.net, m.hdr, err = models.LoadMLP(b, modelPath); err != nil {
		return fail(err)
	}
	if m.hdr.Data == nil {
		return fail(fmt.Errorf("%s records no training data; it was not written by 'netgeom train'", modelPath))
	}
	if dataName != "" && dataName != m.hdr.Data.Name {
		return fail(fmt.Errorf("--data %s: the model %s was trained on %s (omit --data or give --data %s)", dataName, modelPath, m.hdr.Data.Name, m.hdr.Data.Name))
	}
	prep, err := train.Rebuild(*m.hdr.Data)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", modelPath, err))
	}
	if m.train, err = train.Upload(b, prep.Train); err != nil {
		return fail(err)
	}
	if prep.Test != nil && prep.Test.N > 0 {
		if m.test, err = train.Upload(b, prep.Test); err != nil {
			return fail(err)
		}
	}
	return m, nil
}

// pick returns the training or the test set by name.
func (m *geomModel) pick(on string) (*models.Data, error) {
	switch on {
	case "train":
		return m.train, nil
	case "test":
		if m.test == nil {
			return nil, errors.New("--on test: the model's data set has no test samples")
		}
		return m.test, nil
	}
	return nil, fmt.Errorf("--on %q: want train or test", on)
}

type sensitivityLayer struct {
	geometry.LayerSensitivity
	Shape          string  `json:"shape"`
	Kind           string  `json:"kind"`
	WeightDistance float64 `json:"weight_distance"` // |W_l - W_l(0)|_F
	InitNorm       float64 `json:"init_norm"`       // |W_l(0)|_F
	MeanNorm       float64 `json:"mean_output_norm"`
}

// sensitivityResult is what `netgeom sensitivity --format json` prints.
type sensitivityResult struct {
	Model         string             `json:"model"`
	Data          string             `json:"data"`
	On            string             `json:"on"`
	Samples       int                `json:"samples"`
	Arch          string             `json:"arch"`
	Kinds         string             `json:"kinds,omitempty"`
	Init          string             `json:"init"`
	InitSeed      uint64             `json:"init_seed"`
	RerandomSeeds []uint64           `json:"rerandom_seeds"`
	Trained       geometry.Eval      `json:"trained"`
	Layers        []sensitivityLayer `json:"layers"`
	PathLength    float64            `json:"path_length"`     // sum_l mean |x_l|, training set
	WeightPath    float64            `json:"weight_distance"` // sum_l |W_l - W_l(0)|_F
	FisherRao     float64            `json:"fisher_rao_norm"` // theta^T G theta, training set
}

func newSensitivityCmd(g *globals) *cobra.Command {
	var (
		modelPath, dataName, on string
		draws, chunk            int
		rerandSeed              uint64
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
			m, err := loadGeomModel(g, modelPath, dataName)
			if err != nil {
				return err
			}
			defer m.close()
			data, err := m.pick(on)
			if err != nil {
				return err
			}
			if m.hdr.Init == "" {
				return fmt.Errorf("%s records no initialisation; cannot regenerate the initial weights", modelPath)
			}
			scheme, err := models.ParseInit(m.hdr.Init)
			if err != nil {
				return fmt.Errorf("%s: %w", modelPath, err)
			}
			init := models.Init{Scheme: scheme, SigmaW: m.hdr.SigmaW, SigmaB: m.hdr.SigmaB}
			base := m.hdr.Seed + 1
			if cmd.Flags().Changed("rerandom-seed") {
				base = rerandSeed
			}
			var seeds []uint64
			for s := base; len(seeds) < draws; s++ {
				if s != m.hdr.Seed {
					seeds = append(seeds, s)
				}
			}
			trained, rows, err := geometry.Sensitivity(m.net, data, geometry.SensitivityOptions{Init: init, InitSeed: m.hdr.Seed, RerandomSeeds: seeds, Chunk: chunk})
			if err != nil {
				return err
			}
			n0, err := geometry.Initial(m.net, init, m.hdr.Seed)
			if err != nil {
				return err
			}
			defer n0.Free()
			dist, norm0, err := geometry.WeightDistances(m.net, m.net.Params(), n0.Params())
			if err != nil {
				return err
			}
			norms, err := geometry.LayerNorms(m.net, m.net.Params(), m.train, chunk)
			if err != nil {
				return err
			}
			fr, err := geometry.FisherRao(m.net, m.net.Params(), m.train, chunk)
			if err != nil {
				return err
			}
			res := sensitivityResult{Model: modelPath, Data: m.hdr.Data.Name, On: on, Samples: data.N, Arch: models.FormatArch(m.hdr.Widths),
				Kinds: m.net.Spec().KindsString(), Init: scheme.String(), InitSeed: m.hdr.Seed, RerandomSeeds: seeds, Trained: trained, FisherRao: fr}
			t := table{Header: []string{"layer", "shape", "reinit_acc", "reinit_loss", "rerandom_acc", "rerandom_acc_sd", "rerandom_loss", "dW_frob", "dW_rel", "mean_out_norm"}}
			for i, r := range rows {
				l := r.Layer
				sl := sensitivityLayer{LayerSensitivity: r, Shape: fmt.Sprintf("%d->%d", m.net.Width(l-1), m.net.Width(l)),
					Kind: m.net.Spec().Kind(l).String(), WeightDistance: dist[i], InitNorm: norm0[i], MeanNorm: norms[i]}
				res.Layers = append(res.Layers, sl)
				res.PathLength += norms[i]
				res.WeightPath += dist[i]
				shape := sl.Shape
				if res.Kinds != "" {
					shape = sl.Kind + " " + shape
				}
				t.Rows = append(t.Rows, []string{fmt.Sprint(l), shape, fmtFloat(r.Reinit.Accuracy), fmtFloat(r.Reinit.Loss),
					fmtFloat(r.Rerandom.Accuracy), fmtFloat(r.RerandomStd.Accuracy), fmtFloat(r.Rerandom.Loss),
					fmtFloat(dist[i]), fmtFloat(dist[i] / norm0[i]), fmtFloat(norms[i])})
			}
			t.Title = fmt.Sprintf("%s (%s %s, %s init seed %d) on %s %s (%d samples): trained accuracy %s, loss %s; %d re-randomisations from seed %d\n"+
				"path length sum_l mean|x_l| = %s, sum_l |W_l - W_l(0)|_F = %s, Fisher-Rao norm theta^T G theta = %s (training set)",
				modelPath, m.net.Spec().Describe(), m.hdr.Activation, res.Init, m.hdr.Seed, res.Data, on, data.N, fmtFloat(trained.Accuracy), fmtFloat(trained.Loss),
				draws, seeds[0], fmtFloat(res.PathLength), fmtFloat(res.WeightPath), fmtFloat(fr))
			return emit(cmd, g, t, res)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "model file written by 'netgeom train'")
	fl.StringVar(&dataName, "data", "", "data set (must be the model's; default: the model's)")
	fl.StringVar(&on, "on", "test", "evaluate on the test or the train set")
	fl.IntVar(&draws, "draws", 5, "re-randomisations per layer (seeds from --rerandom-seed on, skipping the init seed)")
	fl.Uint64Var(&rerandSeed, "rerandom-seed", 0, "first seed of the re-randomisations (default: the model's init seed + 1)")
	fl.IntVar(&chunk, "chunk", 0, "samples per batched pass (0: 4096)")
	return cmd
}
