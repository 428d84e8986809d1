package reproduce

import (
	"context"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/geometry"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/report"
	"github.com/netgeom/netgeom/train"
)

func init() {
	reproductions = append(reproductions, Reproduction{
		Name:    "geometry",
		Title:   "The geometry of trained networks: the pullback metric from initialisation to training, and layer sensitivity (He et al. 2015; Zhang, Bengio and Singer 2019)",
		Figures: []string{"pullback", "sensitivity"},
		Quick:   16 * time.Second,
		Full:    160 * time.Second,
		order:   3,
		run:     runGeometry,
	})
}

// geometrySize holds a geometry run's sizes.
type geometrySize struct {
	arch      []int // digits: 64 features, 10 classes
	initNets  int   // untrained networks for the pullback at initialisation
	trained   int   // trained networks
	steps     int   // Adam steps of each
	samples   int   // points of the training set the pullback averages over
	rerandoms int   // re-randomisations per layer
}

func geometrySizes(quick bool) geometrySize {
	if quick {
		return geometrySize{arch: []int{64, 96, 96, 96, 10}, initNets: 16, trained: 6, steps: 150, samples: 100, rerandoms: 2}
	}
	return geometrySize{arch: []int{64, 128, 128, 128, 10}, initNets: 32, trained: 8, steps: 1000, samples: 300, rerandoms: 5}
}

func runGeometry(ctx context.Context, b engine.Backend, o Options, r *runner) error {
	r.rep.Papers = []string{
		"He, Zhang, Ren, Sun. Delving deep into rectifiers. ICCV 2015.",
		"Zhang, Bengio, Singer. Are all layers created equal? arXiv:1902.01996, 2019.",
		"Dong, Zhou. Understanding over-parameterized deep networks by geometrization. arXiv 2019 (background: netgeom computes counterparts of its quantities, not its geodesic length).",
	}
	sz := geometrySizes(o.Quick)
	r.rep.Notes = append(r.rep.Notes,
		fmt.Sprintf("Networks: relu multilayer perceptrons %s on the digits data set (1797 8x8 images, standardised, 20%% held out), He initialisation N(0, 2/fan_in) with zero biases, trained by Adam (netgeom train's defaults) for %d steps; models are drawn under init seeds %d, %d, ...", models.FormatArch(sz.arch), sz.steps, o.Seed, o.Seed+1),
		"Dong and Zhou's geometrization (a network as a path of near-identity maps, its complexity a geodesic length) is not computed; its counterparts here are the pullback metric J^T J along the data and the layers' sensitivity (docs/science.md section 8).")
	// Untrained models: one gradient step of 1e-300 leaves every weight at
	// its initial value (theta - 1e-300 g rounds to theta).
	var initModels, trainedModels []*train.Model
	defer func() {
		for _, m := range append(initModels, trainedModels...) {
			m.Close()
		}
	}()
	start := time.Now()
	for i := 0; i < sz.initNets; i++ {
		seed := o.Seed + uint64(i)
		res, err := train.Run(ctx, b, train.RunOptions{Data: "digits", Seed: o.Seed, InitSeed: &seed, Arch: sz.arch, Activation: "relu", Init: "he",
			Optimizer: "gd", LearningRate: 1e-300, Steps: 1})
		if err != nil {
			return err
		}
		initModels = append(initModels, res.Model)
	}
	tInit := time.Since(start)
	var trainedAcc []float64
	start = time.Now()
	for i := 0; i < sz.trained; i++ {
		seed := o.Seed + uint64(i)
		res, err := train.Run(ctx, b, train.RunOptions{Data: "digits", Seed: o.Seed, InitSeed: &seed, Arch: sz.arch, Activation: "relu", Init: "he", Steps: sz.steps})
		if err != nil {
			return err
		}
		trainedModels = append(trainedModels, res.Model)
		trainedAcc = append(trainedAcc, res.TestAccuracy)
	}
	tTrain := time.Since(start)
	if r.want("pullback") {
		if err := geometryPullback(ctx, r, sz, initModels, trainedModels, tInit+tTrain/2); err != nil {
			return fmt.Errorf("pullback: %w", err)
		}
	}
	if r.want("sensitivity") {
		if err := geometrySensitivity(ctx, r, sz, trainedModels, trainedAcc, tTrain/2); err != nil {
			return fmt.Errorf("sensitivity: %w", err)
		}
	}
	return nil
}

// geometryPullback: the pullback metric's mean squared singular value per
// layer at initialisation against He et al.'s variance preservation, and
// after training.
func geometryPullback(ctx context.Context, r *runner, sz geometrySize, initModels, trainedModels []*train.Model, shared time.Duration) error {
	start := time.Now()
	L := len(sz.arch) - 1
	per := func(ms []*train.Model) ([][]float64, [][]float64, error) {
		sq, lv := make([][]float64, L), make([][]float64, L) // [layer][model]
		for _, m := range ms {
			res, err := geometry.ModelPullback(ctx, geometry.ModelPullbackOptions{Model: m, Samples: sz.samples})
			if err != nil {
				return nil, nil, err
			}
			for l, row := range res.Layers {
				sq[l] = append(sq[l], row.MeanSquaredSigma)
				lv[l] = append(lv[l], row.LogVolume[3]) // the median
			}
		}
		return sq, lv, nil
	}
	sqInit, _, err := per(initModels)
	if err != nil {
		return err
	}
	sqTrained, lvTrained, err := per(trainedModels)
	if err != nil {
		return err
	}
	fig := Figure{ID: "pullback", Title: "The pullback metric J^T J from initialisation to training",
		Claim:    "He initialisation (weights N(0, 2/fan_in)) preserves the size of back-propagated signals through relu layers: the input Jacobian J_l = dx_l/dx_0 of layer l has E|J_l|_F^2 / D = N_l / N_0 for hidden layers and 2 N_L / N_0 for the logits, at every input; training then reshapes the metric J^T J along the data.",
		Settings: fmt.Sprintf("%d untrained and %d trained networks %s (relu, He initialisation), the first %d training points of digits", len(initModels), len(trainedModels), models.FormatArch(sz.arch), sz.samples),
		Related:  []string{"netgeom train --data digits --arch " + models.FormatArch(sz.arch) + " --act relu --init he --out digits.ngm", "netgeom pullback --model digits.ngm --data digits"},
	}
	N0 := float64(sz.arch[0])
	x := make([]float64, L)
	theory, mInit, sInit, mTr, sTr := make([]float64, L), make([]float64, L), make([]float64, L), make([]float64, L), make([]float64, L)
	for l := 0; l < L; l++ {
		x[l] = float64(l + 1)
		want := float64(sz.arch[l+1]) / N0
		what := "hidden layer: (sigma_w^2 / 2)(N_l / N_(l-1)) per layer with sigma_w^2 = 2"
		if l == L-1 {
			want *= 2
			what = "logits (no activation): sigma_w^2 N_L / N_(L-1) for the last layer"
		}
		theory[l] = want
		s := meanOf(sqInit[l])
		mInit[l], sInit[l] = s.mean, s.se
		t := meanOf(sqTrained[l])
		mTr[l], sTr[l] = t.mean, t.se
		fig.Checks = append(fig.Checks, within(fmt.Sprintf("mean |J_%d|_F^2 / D at initialisation, layer %d (width %d)", l+1, l+1, sz.arch[l+1]), s, want, tTol(s),
			fmt.Sprintf("mean over %d networks of the mean over %d inputs; %s. The expectation is exact at every width and input: given layer l-1, E|D_l W_l J|_F^2 = (sigma_w^2/2)(N_l/N_(l-1))|J|_F^2, since (W_l x + b_l, W_l J) is jointly Gaussian and symmetric, so phi'(y)^2 = 1{y > 0} halves E[(W J)^2] exactly; no finite-width term.", len(initModels), sz.samples, tText(s.n)),
			"He et al. 2015 (variance preservation of the backward signal under N(0, 2/fan_in)); "+what+"; docs/science.md sections 4 and 5"))
	}
	medLV := make([]float64, L)
	for l := 0; l < L; l++ {
		medLV[l] = meanOf(lvTrained[l]).mean
		lv := fmt.Sprintf("%.4g", medLV[l])
		if math.IsInf(medLV[l], -1) {
			lv = "-Inf (J_l is rank-deficient at half the inputs or more: dead relu units)"
		}
		fig.Observations = append(fig.Observations, Observation{Name: fmt.Sprintf("trained: mean |J_%d|_F^2 / D", l+1), Value: mTr[l], StdErr: sTr[l], Samples: len(trainedModels),
			Note: fmt.Sprintf("%.3g times its value at initialisation; median log volume element (mean over networks) %s", mTr[l]/mInit[l], lv)})
	}
	if p, ok := r.path("pullback.svg"); ok {
		panel := report.Panel{Title: "mean squared singular value of J_l = dx_l/dx_0", XLabel: "layer l", YLabel: "|J_l|_F^2 / D", LogY: true, LegendLeft: true,
			Curves: []report.Curve{
				{Label: "He et al. at initialisation", X: x, Y: theory, Color: -1, Dashed: true},
				{Label: "initialisation", X: x, Y: mInit, Err: sInit, Points: true, Color: 0},
				{Label: "trained", X: x, Y: mTr, Err: sTr, Points: true, Color: 3},
			}}
		if err := report.PanelsPlot(p, 1, 14*vg.Centimeter, 10*vg.Centimeter, []report.Panel{panel}); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "pullback.svg"), append(fig.Captions, fmt.Sprintf("Mean over the data of |J_l|_F^2 / D per layer: He et al.'s value at initialisation (dashed), %d untrained networks and %d trained ones (mean and standard error over networks).", len(initModels), len(trainedModels)))
	}
	r.addTimed(fig, time.Since(start)+shared)
	return nil
}

// geometrySensitivity: re-initialising against re-randomising each layer of
// trained networks (Zhang, Bengio and Singer 2019).
func geometrySensitivity(ctx context.Context, r *runner, sz geometrySize, ms []*train.Model, trainedAcc []float64, shared time.Duration) error {
	start := time.Now()
	L := len(sz.arch) - 1
	reinit, rerand := make([][]float64, L), make([][]float64, L)
	for _, m := range ms {
		res, err := geometry.ModelSensitivity(ctx, geometry.ModelSensitivityOptions{Model: m, Draws: sz.rerandoms})
		if err != nil {
			return err
		}
		for l, row := range res.Layers {
			reinit[l] = append(reinit[l], row.Reinit.Accuracy)
			rerand[l] = append(rerand[l], row.Rerandom.Accuracy)
		}
	}
	fig := Figure{ID: "sensitivity", Title: "Layer sensitivity: re-initialising against re-randomising",
		Claim:    "Layers of a trained network differ in how much they matter: putting a layer back to its initial weights costs little accuracy for robust layers, while replacing it by a fresh draw from the same distribution destroys the network at every layer.",
		Settings: fmt.Sprintf("%d networks %s trained on digits for %d Adam steps; test-set accuracy; %d re-randomisations per layer", len(ms), models.FormatArch(sz.arch), sz.steps, sz.rerandoms),
		Related:  []string{"netgeom sensitivity --model digits.ngm --data digits"},
		Notes:    []string{"Zhang, Bengio and Singer report robust and critical layers for networks trained to convergence on MNIST and CIFAR-10; which layers are robust depends on the architecture and training, so netgeom reports the per-layer accuracies as observations and checks the contrast that does not depend on them."},
	}
	acc := meanOf(trainedAcc)
	fig.Observations = append(fig.Observations, Observation{Name: "trained test accuracy", Value: acc.mean, StdErr: acc.se, Samples: acc.n})
	x := make([]float64, L)
	mRe, sRe, mRr, sRr := make([]float64, L), make([]float64, L), make([]float64, L), make([]float64, L)
	for l := 0; l < L; l++ {
		x[l] = float64(l + 1)
		a, c := meanOf(reinit[l]), meanOf(rerand[l])
		mRe[l], sRe[l], mRr[l], sRr[l] = a.mean, a.se, c.mean, c.se
		d := make([]float64, len(ms))
		for i := range d {
			d[i] = reinit[l][i] - rerand[l][i]
		}
		s := meanOf(d)
		fig.Checks = append(fig.Checks, above(fmt.Sprintf("layer %d: accuracy re-initialised minus re-randomised", l+1), s, 0, tTol(s),
			fmt.Sprintf("per network the difference of test accuracies (re-randomised: mean of %d draws), mean over %d networks; it must exceed 0 by %s. Re-initialised %.3g +- %.2g, re-randomised %.3g +- %.2g.", sz.rerandoms, s.n, tText(s.n), a.mean, a.se, c.mean, c.se),
			"Zhang, Bengio and Singer 2019: re-initialisation (to the layer's own initial weights) preserves far more of a trained network than re-randomisation (a fresh draw of the same law), at every layer (a qualitative claim)"))
		fig.Observations = append(fig.Observations, Observation{Name: fmt.Sprintf("layer %d re-initialised: test accuracy", l+1), Value: a.mean, StdErr: a.se, Samples: a.n})
	}
	if p, ok := r.path("sensitivity.svg"); ok {
		chance := []float64{0.1, 0.1}
		panel := report.Panel{Title: "test accuracy with one layer replaced", XLabel: "layer replaced", YLabel: "test accuracy", YMin: 0, YMax: 1.02, LegendLeft: true,
			Curves: []report.Curve{
				{Label: "trained", X: []float64{0.8, float64(L) + 0.2}, Y: []float64{acc.mean, acc.mean}, Color: -1, Dashed: true},
				{Label: "re-initialised", X: x, Y: mRe, Err: sRe, Points: true, Color: 0},
				{Label: "re-randomised", X: x, Y: mRr, Err: sRr, Points: true, Color: 3},
				{Label: "chance (10 classes)", X: []float64{0.8, float64(L) + 0.2}, Y: chance, Color: 7, Dashed: true},
			}}
		if err := report.PanelsPlot(p, 1, 14*vg.Centimeter, 10*vg.Centimeter, []report.Panel{panel}); err != nil {
			return err
		}
		fig.Images, fig.Captions = append(fig.Images, "sensitivity.svg"), append(fig.Captions, fmt.Sprintf("Test accuracy after replacing one layer by its initial weights or by a fresh draw, mean and standard error over %d trained networks.", len(ms)))
	}
	r.addTimed(fig, time.Since(start)+shared)
	return nil
}
