package geometry

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/train"
)

// trainedModel runs train.Run on iris with o (Seed 1) and frees the model
// at the end of the test.
func trainedModel(t *testing.T, o train.RunOptions) *train.Model {
	t.Helper()
	o.Seed = 1
	res, err := train.Run(context.Background(), enginetest.Open(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Model.Close() })
	return res.Model
}

// TestModelSensitivityUnmoved: a model whose training did not move its
// weights (one gradient step of 1e-300: theta - 1e-300 g rounds to theta
// for every O(0.1) weight) is its own initialisation, so re-initialising
// any layer leaves the loss and accuracy exactly those of the model, and
// every |W_l - W_l(0)|_F is 0 exactly. The re-randomisation seeds count
// up from RerandomSeed skipping the init seed; the path length is the sum
// of the layers' mean output norms.
func TestModelSensitivityUnmoved(t *testing.T) {
	m := trainedModel(t, train.RunOptions{Optimizer: "gd", LearningRate: 1e-300, Steps: 1})
	one := uint64(1)
	res, err := ModelSensitivity(context.Background(), ModelSensitivityOptions{Model: m, RerandomSeed: &one})
	if err != nil {
		t.Fatal(err)
	}
	if res.On != "test" || res.Samples != 30 || res.Init != "glorot" || res.InitSeed != 1 || !slices.Equal(res.RerandomSeeds, []uint64{2, 3, 4, 5, 6}) {
		t.Errorf("on %s, %d samples, init %s seed %d, seeds %v; want test, 30, glorot 1, 2..6", res.On, res.Samples, res.Init, res.InitSeed, res.RerandomSeeds)
	}
	if len(res.Layers) != 3 || res.Layers[0].Shape != "4->16" || res.Layers[2].Shape != "16->3" || res.Layers[1].Kind != "dense" || res.Kinds != "" {
		t.Fatalf("layers %+v", res.Layers)
	}
	path := 0.0
	for _, l := range res.Layers {
		if l.Reinit != res.Trained || l.WeightDistance != 0 || !(l.InitNorm > 0) || !(l.MeanNorm > 0) {
			t.Errorf("layer %d: reinit %+v (trained %+v), |dW| %v, |W0| %v, mean norm %v", l.Layer, l.Reinit, res.Trained, l.WeightDistance, l.InitNorm, l.MeanNorm)
		}
		path += l.MeanNorm
	}
	if res.PathLength != path || res.WeightPath != 0 || !(res.FisherRao > 0) {
		t.Errorf("path length %v (sum %v), weight path %v, Fisher-Rao %v", res.PathLength, path, res.WeightPath, res.FisherRao)
	}
}

// TestModelSensitivityTrained: the trained model's own accuracy and loss
// on the test and the training set are those train.Run recorded in the
// checkpoint header (the same evaluation: 1e-12 relative), and training
// moved every layer.
func TestModelSensitivityTrained(t *testing.T) {
	m := trainedModel(t, train.RunOptions{Steps: 100})
	rec := m.Header.Training
	for _, c := range []struct {
		on        string
		acc, loss float64
	}{{"", rec.TestAccuracy, rec.TestLoss}, {"train", rec.TrainAccuracy, rec.TrainLoss}} {
		res, err := ModelSensitivity(context.Background(), ModelSensitivityOptions{Model: m, On: c.on, Draws: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Trained.Accuracy != c.acc || !(math.Abs(res.Trained.Loss-c.loss) <= 1e-12*c.loss) || len(res.RerandomSeeds) != 2 {
			t.Errorf("on %q: trained %+v, recorded accuracy %v loss %v", c.on, res.Trained, c.acc, c.loss)
		}
		for _, l := range res.Layers {
			if !(l.WeightDistance > 0) {
				t.Errorf("layer %d did not move: %v", l.Layer, l.WeightDistance)
			}
		}
	}
}

// TestModelPullbackLinear: for a linear network (4-5-3, identity
// activation) the input Jacobians are the constant matrices J_1 = W_1 and
// J_2 = W_2 W_1, so every quantile of the log volume element is sum_{r<=k}
// log sigma_r of that matrix (from gonum's SVD of the host parameters: an
// independent oracle, 1e-10), with k = min(D, w_l), full rank everywhere,
// and mean squared singular value |J|_F^2 / D; with Dim 1 the log volume
// is log sigma_1.
func TestModelPullbackLinear(t *testing.T) {
	m := trainedModel(t, train.RunOptions{Arch: []int{4, 5, 3}, Activation: "linear", Steps: 20})
	theta, err := m.Net.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	W1 := mat.NewDense(5, 4, nil)
	W2 := mat.NewDense(3, 5, nil)
	for j := 0; j < 4; j++ { // column-major W_1, then b_1, then W_2
		for i := 0; i < 5; i++ {
			W1.Set(i, j, theta[i+5*j])
		}
	}
	for j := 0; j < 5; j++ {
		for i := 0; i < 3; i++ {
			W2.Set(i, j, theta[25+i+3*j])
		}
	}
	var J2 mat.Dense
	J2.Mul(W2, W1)
	res, err := ModelPullback(context.Background(), ModelPullbackOptions{Model: m, Samples: 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.On != "train" || res.Samples != 20 || res.Inputs != 4 || res.Arch != "4-5-3" || len(res.Layers) != 2 {
		t.Fatalf("result %+v", res)
	}
	for i, J := range []mat.Matrix{W1, &J2} {
		var svd mat.SVD
		svd.Factorize(J, mat.SVDNone)
		sv := svd.Values(nil)
		k := min(4, len(sv))
		logvol, f2 := 0.0, 0.0
		for r, v := range sv {
			if r < k {
				logvol += math.Log(v)
			}
			f2 += v * v
		}
		l := res.Layers[i]
		if l.K != k || l.MedianRank != k || l.RankDeficient != 0 || !(math.Abs(l.MeanSquaredSigma-f2/4) <= 1e-10*f2) || !(math.Abs(l.MeanLogVolume-logvol) <= 1e-10) {
			t.Errorf("layer %d: k %d, rank %d, deficient %v, mean sigma^2 %v (want %v), mean log volume %v (want %v)",
				l.Layer, l.K, l.MedianRank, l.RankDeficient, l.MeanSquaredSigma, f2/4, l.MeanLogVolume, logvol)
		}
		for j, q := range l.LogVolume {
			if !(math.Abs(q-logvol) <= 1e-10) || !(math.Abs(l.LogSigmaMax[j]-math.Log(sv[0])) <= 1e-10) {
				t.Errorf("layer %d quantile %v: log volume %v (want %v), log sigma_1 %v (want %v)", l.Layer, l.Probs[j], q, logvol, l.LogSigmaMax[j], math.Log(sv[0]))
			}
		}
	}
	one, err := ModelPullback(context.Background(), ModelPullbackOptions{Model: m, On: "test", Dim: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range one.Layers {
		if l.K != 1 || !slices.Equal(l.LogVolume, l.LogSigmaMax) || one.Samples != 30 {
			t.Errorf("Dim 1 layer %d: k %d, log volume %v, log sigma_1 %v, %d samples", l.Layer, l.K, l.LogVolume, l.LogSigmaMax, one.Samples)
		}
	}
}

// TestModelPullbackLayerJSON: -Inf (a rank-deficient Jacobian) is written
// as -MaxFloat64, and the layer itself keeps -Inf.
func TestModelPullbackLayerJSON(t *testing.T) {
	l := ModelPullbackLayer{Layer: 1, LogVolume: []float64{math.Inf(-1), 2}, LogSigmaMax: []float64{1, 2}, MeanLogVolume: math.Inf(-1)}
	raw, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		LogVolume     []float64 `json:"log_volume_quantiles"`
		MeanLogVolume float64   `json:"mean_log_volume"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.LogVolume[0] != -math.MaxFloat64 || back.LogVolume[1] != 2 || back.MeanLogVolume != -math.MaxFloat64 || !math.IsInf(l.LogVolume[0], -1) || !math.IsInf(l.MeanLogVolume, -1) {
		t.Errorf("JSON %s; layer after %+v", raw, l)
	}
}

// TestModelGeometryErrors: bad options name the field; a model loaded
// without its test set cannot be evaluated on it; a cancelled context
// stops both runs.
func TestModelGeometryErrors(t *testing.T) {
	m := trainedModel(t, train.RunOptions{Arch: []int{4, 3, 3}, Steps: 5})
	noTest := *m
	noTest.Test = nil
	noInit := *m
	noInit.Header.Init = ""
	bg := context.Background()
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(ModelSensitivity(bg, ModelSensitivityOptions{})), "Model"},
		{second(ModelSensitivity(bg, ModelSensitivityOptions{Model: m, On: "valid"})), "want train or test"},
		{second(ModelSensitivity(bg, ModelSensitivityOptions{Model: &noTest})), "no test samples"},
		{second(ModelSensitivity(bg, ModelSensitivityOptions{Model: m, Draws: -1})), "Draws -1"},
		{second(ModelSensitivity(bg, ModelSensitivityOptions{Model: &noInit})), "no initialisation"},
		{second(ModelPullback(bg, ModelPullbackOptions{})), "Model"},
		{second(ModelPullback(bg, ModelPullbackOptions{Model: m, On: "valid"})), "want train or test"},
		{second(ModelPullback(bg, ModelPullbackOptions{Model: &noTest, On: "test"})), "no test samples"},
		{second(ModelPullback(bg, ModelPullbackOptions{Model: m, Dim: -1})), "Dim -1"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", c.err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := ModelSensitivity(ctx, ModelSensitivityOptions{Model: m, Draws: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("sensitivity cancelled: %v", err)
	}
	if _, err := ModelPullback(ctx, ModelPullbackOptions{Model: m}); !errors.Is(err, context.Canceled) {
		t.Errorf("pullback cancelled: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
