package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
)

// TestPrepareEdges: the edges of Prepare's checks, each on its exact
// boundary: a subset as large as the 150 iris samples it is drawn from is
// refused (it would silently be all of them) while 149 is drawn; a test
// fraction of exactly 1 would leave no training sample and is refused,
// while 0.9 leaves 15 (Split refuses a fraction that rounds to no
// training sample itself).
func TestPrepareEdges(t *testing.T) {
	if _, err := Prepare(DataSpec{Name: "iris", Seed: 1, Subset: 150}); err == nil || !strings.Contains(err.Error(), "150 training samples to draw from") {
		t.Errorf("subset 150 of 150: %v, want a refusal", err)
	}
	p, err := Prepare(DataSpec{Name: "iris", Seed: 1, Subset: 149})
	if err != nil || p.Train.N+p.Test.N != 149 {
		t.Errorf("subset 149: %v", err)
	}
	if _, err := Prepare(DataSpec{Name: "iris", Seed: 1, TestFraction: 1}); err == nil || !strings.Contains(err.Error(), "test fraction 1") {
		t.Errorf("test fraction 1: %v, want a refusal", err)
	}
	if p, err := Prepare(DataSpec{Name: "iris", Seed: 1, TestFraction: 0.9}); err != nil || p.Train.N < 1 {
		t.Errorf("test fraction 0.9: %v", err)
	}
}

// TestRunRecordsBatchAndTokens: the batch size recorded is the one that
// was used: a minibatch smaller than the 120 training samples is kept, one
// of 120 or more is full-batch (recorded 0), and full-batch methods record
// 0 whatever was asked; the token dimension and residual flag are recorded
// for networks with attention or product kinds only. A nil model closes
// without error, as does one without a network.
func TestRunRecordsBatchAndTokens(t *testing.T) {
	b := enginetest.Open(t)
	for _, c := range []struct {
		o    RunOptions
		want int
	}{
		{RunOptions{Optimizer: "sgd", BatchSize: 119}, 119},
		{RunOptions{Optimizer: "sgd", BatchSize: 120}, 0},
		{RunOptions{Optimizer: "gd", BatchSize: 16}, 0},
		{RunOptions{Optimizer: "lbfgs", BatchSize: 16}, 0},
	} {
		c.o.Steps, c.o.Seed = 2, 1
		res, err := Run(context.Background(), b, c.o)
		if err != nil {
			t.Fatal(err)
		}
		res.Model.Close()
		if res.BatchSize != c.want || res.Model.Header.Training.BatchSize != c.want {
			t.Errorf("%s batch %d: recorded %d (header %d), want %d", c.o.Optimizer, c.o.BatchSize, res.BatchSize, res.Model.Header.Training.BatchSize, c.want)
		}
	}
	dense, err := Run(context.Background(), b, RunOptions{Steps: 2, TokenDim: 0, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dense.Model.Close()
	att, err := Run(context.Background(), b, RunOptions{Data: "digits", Arch: []int{64, 64, 16, 10}, Kinds: []layerkind.Kind{layerkind.Attention, layerkind.Dense, layerkind.Dense},
		TokenDim: 8, Residual: true, Steps: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	att.Model.Close()
	if dense.TokenDim != 0 || dense.Residual || dense.Model.Header.TokenDim != 0 {
		t.Errorf("dense network: token dim %d, residual %v, header %d", dense.TokenDim, dense.Residual, dense.Model.Header.TokenDim)
	}
	if att.TokenDim != 8 || !att.Residual || att.Model.Header.TokenDim != 8 || !att.Model.Header.Residual {
		t.Errorf("attention network: token dim %d, residual %v, header %+v", att.TokenDim, att.Residual, att.Model.Header)
	}
	var nilModel *Model
	if err := nilModel.Close(); err != nil {
		t.Errorf("nil model: %v", err)
	}
	if err := (&Model{}).Close(); err != nil {
		t.Errorf("empty model: %v", err)
	}
	if _, err := Run(context.Background(), b, RunOptions{Arch: []int{4, 8, 8, 3}, Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Dense, layerkind.Dense, layerkind.Dense}, Steps: 2}); err == nil ||
		!strings.Contains(err.Error(), "4 kinds for a network of 3 layers") || !strings.Contains(err.Error(), "the 2 hidden layers") {
		t.Errorf("too many kinds: %v", err)
	}
}

// TestMethodNames: every method prints its flag name; out of range, its
// number.
func TestMethodNames(t *testing.T) {
	for m, want := range map[Method]string{GD: "gd", SGD: "sgd", Adam: "adam", LBFGS: "lbfgs", -1: "Method(-1)", 4: "Method(4)"} {
		if m.String() != want {
			t.Errorf("Method(%d).String() = %q, want %q", int(m), m.String(), want)
		}
	}
}

// TestFullBatchSGD: a minibatch as large as the data set is the full batch:
// SGD with BatchSize N follows BatchSize 0 bit for bit (a shuffled batch of
// all samples would sum them in another order and differ in the last bits).
func TestFullBatchSGD(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(40, 3, 2, 5)
	var got [2][]float64
	for k, bs := range []int{0, 40} {
		net, d := reg.setup(t, b)
		if _, err := Train(net, d, Options{Method: SGD, Steps: 5, BatchSize: bs, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		got[k], _ = net.HostParams()
	}
	for i := range got[0] {
		if got[0][i] != got[1][i] {
			t.Fatalf("parameter %d: %v with the full batch, %v with BatchSize N", i, got[0][i], got[1][i])
		}
	}
}

// TestObjectivePenalty: Objective is the mean loss plus (wd/2)|theta|^2 and
// its gradient the loss's plus wd theta, against the evaluator's loss and
// gradient and a dot product computed here (rounding: 1e-14 relative).
func TestObjectivePenalty(t *testing.T) {
	b := enginetest.Open(t)
	reg := newRegression(30, 3, 2, 9)
	net, d := reg.setup(t, b)
	e, err := net.NewEvaluator(0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	P := net.NumParams()
	s := engine.NewScope(b)
	defer s.Close()
	g0, g := s.Alloc(P), s.Alloc(P)
	loss, err := e.Gradient(net.Params(), d, g0)
	if err != nil {
		t.Fatal(err)
	}
	const wd = 0.3
	f, err := Objective(b, e, net.Params(), d, wd, g)
	if err != nil {
		t.Fatal(err)
	}
	theta, _ := net.HostParams()
	hg0, hg := make([]float64, P), make([]float64, P)
	if err := b.Download(hg0, g0); err != nil {
		t.Fatal(err)
	}
	if err := b.Download(hg, g); err != nil {
		t.Fatal(err)
	}
	sq := 0.0
	for _, v := range theta {
		sq += v * v
	}
	if want := loss + wd/2*sq; !(math.Abs(f-want) <= 1e-14*want) {
		t.Errorf("objective %.17g, loss + (wd/2)|theta|^2 = %.17g", f, want)
	}
	for i := range hg {
		if want := hg0[i] + wd*theta[i]; !(math.Abs(hg[i]-want) <= 1e-14*(math.Abs(want)+1)) {
			t.Errorf("gradient %d: %.17g, want %.17g", i, hg[i], want)
		}
	}
	if v, err := Objective(b, e, net.Params(), d, wd, nil); err != nil || v != f {
		t.Errorf("value only: %v (%v), want %v", v, err, f)
	}
}
