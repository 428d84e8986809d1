package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
	"github.com/netgeom/netgeom/models"
)

// TestRunDefaults: the zero options (but for the step count) are the
// documented defaults: iris, D-16-16-C = 4-16-16-3, tanh, Glorot,
// cross-entropy, full-batch Adam at 0.01, no weight decay, standardised
// features (the means recorded are those of the training part, the split
// 120/30 of iris's 150 at the default 20%).
func TestRunDefaults(t *testing.T) {
	b := enginetest.Open(t)
	res, err := Run(context.Background(), b, RunOptions{Steps: 20, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Model.Close()
	if res.Data != "iris" || res.Arch != "4-16-16-3" || res.Activation != "tanh" || res.Init != "glorot" || res.Loss != "cross-entropy" ||
		res.Optimizer != "adam" || res.LearningRate != 0.01 || res.WeightDecay != 0 || res.BatchSize != 0 || res.Steps != 20 ||
		res.TrainSamples != 120 || res.TestSamples != 30 || res.Params != 4*16+16+16*16+16+16*3+3 || res.Out != "" {
		t.Errorf("defaults: %+v", res)
	}
	if d := res.Model.Header.Data; d == nil || len(d.Mean) != 4 || res.Model.Header.Seed != 3 || res.Model.Test == nil {
		t.Errorf("model header %+v, data %+v", res.Model.Header, d)
	}
}

// TestRunSavesWhatLoadModelReads: the model file Run writes loads back
// (LoadModel rebuilds the data from the record, by Rebuild, not Prepare)
// to a network whose training and test loss and accuracy, evaluated
// afresh, equal Run's bit for bit (the same parameters, the same samples
// in the same order), with the header Run returned; a product model's
// kinds survive the round trip.
func TestRunSavesWhatLoadModelReads(t *testing.T) {
	b := enginetest.Open(t)
	dir := t.TempDir()
	for _, o := range []RunOptions{
		{Data: "wine", Subset: 100, Arch: []int{13, 8, 3}, Optimizer: "sgd", Momentum: 0.9, BatchSize: 16, Steps: 30, WeightDecay: 1e-3, Seed: 2},
		{Kinds: []layerkind.Kind{layerkind.Product}, Steps: 30, Seed: 1},
	} {
		o.Out = filepath.Join(dir, "m.ngm")
		res, err := Run(context.Background(), b, o)
		if err != nil {
			t.Fatal(err)
		}
		res.Model.Close()
		m, err := LoadModel(b, o.Out, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		e, err := m.Net.NewEvaluator(0)
		if err != nil {
			t.Fatal(err)
		}
		trLoss, trAcc, err1 := e.Evaluate(m.Net.Params(), m.Train)
		teLoss, teAcc, err2 := e.Evaluate(m.Net.Params(), m.Test)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if trLoss != res.TrainLoss || trAcc != res.TrainAccuracy || teLoss != res.TestLoss || teAcc != res.TestAccuracy {
			t.Errorf("%s: reloaded %v %v %v %v, Run %v %v %v %v", o.Data, trLoss, trAcc, teLoss, teAcc, res.TrainLoss, res.TrainAccuracy, res.TestLoss, res.TestAccuracy)
		}
		h, r := m.Header, res.Model.Header
		if h.Kinds != r.Kinds || h.Activation != r.Activation || !slices.Equal(h.Widths, r.Widths) || h.Seed != r.Seed || h.Params != r.Params || *h.Training != *r.Training {
			t.Errorf("%s: loaded header %+v %+v, Run's %+v %+v", o.Data, h, *h.Training, r, *r.Training)
		}
		if len(o.Kinds) > 0 && (h.Kinds != "product,product,dense" || res.Kinds != h.Kinds || res.Network != "4-16-16-3 (product,product,dense)") {
			t.Errorf("kinds %q, result %q, network %q; want product,product,dense", h.Kinds, res.Kinds, res.Network)
		}
		e.Close()
		m.Close()
	}
}

// TestRunInitSeed: a nil InitSeed is Seed (the same file byte for byte);
// another InitSeed changes the weights but not the data split.
func TestRunInitSeed(t *testing.T) {
	b := enginetest.Open(t)
	dir := t.TempDir()
	run := func(name string, init *uint64) []byte {
		path := filepath.Join(dir, name)
		res, err := Run(context.Background(), b, RunOptions{Steps: 10, Seed: 4, InitSeed: init, Out: path})
		if err != nil {
			t.Fatal(err)
		}
		res.Model.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	four, seven := uint64(4), uint64(7)
	a, same, other := run("a", nil), run("b", &four), run("c", &seven)
	if string(a) != string(same) {
		t.Error("InitSeed = Seed differs from InitSeed nil")
	}
	ha, _, _ := models.DecodeCheckpoint(a, "a")
	hc, _, _ := models.DecodeCheckpoint(other, "c")
	if string(a) == string(other) || ha.Data.Seed != hc.Data.Seed || hc.Seed != 7 || !slices.Equal(ha.Data.Mean, hc.Data.Mean) {
		t.Errorf("InitSeed 7: data seeds %d, %d, init seed %d", ha.Data.Seed, hc.Data.Seed, hc.Seed)
	}
}

// TestRunKinds: fewer kinds than layers cycle over the hidden layers with
// a dense output layer; as many name every layer; more are an error.
func TestRunKinds(t *testing.T) {
	P, A, D := layerkind.Product, layerkind.Attention, layerkind.Dense
	for _, c := range []struct {
		in   []layerkind.Kind
		L    int
		want []layerkind.Kind
	}{
		{nil, 3, nil},
		{[]layerkind.Kind{P}, 3, []layerkind.Kind{P, P, D}},
		{[]layerkind.Kind{A, D}, 4, []layerkind.Kind{A, D, A, D}},
		{[]layerkind.Kind{P, D, P}, 3, []layerkind.Kind{P, D, P}},
	} {
		got, err := runKinds(c.in, c.L)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("runKinds(%v, %d) = %v, %v; want %v", c.in, c.L, got, err, c.want)
		}
	}
	if _, err := runKinds([]layerkind.Kind{D, P, D, D}, 3); err == nil || !strings.Contains(err.Error(), "4 kinds for a network of 3 layers") {
		t.Errorf("4 kinds for 3 layers: %v", err)
	}
}

// TestRunErrors: bad options name the field and what is wrong; a
// cancelled context stops the run before training.
func TestRunErrors(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct {
		o    RunOptions
		want string
	}{
		{RunOptions{Arch: []int{5, 16, 3}}, "must start with 4"},
		{RunOptions{Optimizer: "rmsprop"}, "unknown optimiser"},
		{RunOptions{Data: "mnist"}, "unknown data set"},
		{RunOptions{Activation: "cube"}, "unknown activation"},
		{RunOptions{Loss: "hinge"}, "unknown loss"},
		{RunOptions{Init: "lecun"}, "unknown initialisation"},
		{RunOptions{Steps: -1}, "Steps -1"},
		{RunOptions{TestFraction: 1.5}, "test fraction"},
		{RunOptions{TokenDim: 2}, "Kinds names none"},
		{RunOptions{Kinds: []layerkind.Kind{layerkind.Attention}, Arch: []int{4, 4, 3}}, "token dimension"},
		{RunOptions{Optimizer: "sgd", Momentum: 1}, "momentum"},
	} {
		if c.o.Steps == 0 {
			c.o.Steps = 2
		}
		if _, err := Run(context.Background(), b, c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", c.o, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, b, RunOptions{Steps: 2}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
