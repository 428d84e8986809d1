package models

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/layerkind"
)

// TestEvaluate: Evaluate's mean loss and accuracy against a host
// computation from the logits (mean over samples of logsumexp(z) -
// z[label], computed with the maximum subtracted; the fraction whose first
// largest logit is at the label), for chunk sizes that split the 23
// samples unevenly. The loss agrees to 1e-13 relative (sums in another
// order); the accuracy exactly. The network's accuracy is neither 0 nor 1
// (so an inverted comparison or a dropped sample shows). Without labels
// the accuracy is NaN and the loss still the mean loss.
func TestEvaluate(t *testing.T) {
	b := enginetest.Open(t)
	n := smallNet(t, b, []int{5, 7, 3}, "tanh", CrossEntropy, 61)
	d, _, _ := smallData(t, b, 23, 5, 3, CrossEntropy, 62)
	z, err := evaluator(t, n, 0).Logits(n.Params(), d)
	if err != nil {
		t.Fatal(err)
	}
	var wantLoss float64
	right := 0
	for j := 0; j < d.N; j++ {
		zj := z[j*d.C : (j+1)*d.C]
		top, arg := zj[0], 0
		for i, v := range zj {
			if v > top {
				top, arg = v, i
			}
		}
		s := 0.0
		for _, v := range zj {
			s += math.Exp(v - top)
		}
		wantLoss += top + math.Log(s) - zj[d.Labels[j]]
		if arg == d.Labels[j] {
			right++
		}
	}
	wantLoss /= float64(d.N)
	wantAcc := float64(right) / float64(d.N)
	if right == 0 || right == d.N {
		t.Fatalf("%d of %d right: pick a seed where the accuracy is neither 0 nor 1", right, d.N)
	}
	for _, chunk := range []int{1, 4, 23, 100} {
		e := evaluator(t, n, chunk)
		loss, acc, err := e.Evaluate(n.Params(), d)
		e.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !(math.Abs(loss-wantLoss) <= 1e-13*wantLoss) || acc != wantAcc {
			t.Errorf("chunk %d: loss %.16g, accuracy %v; want %.16g, %v", chunk, loss, acc, wantLoss, wantAcc)
		}
	}
	x := make([]float64, 4*5)
	for i := range x {
		x[i] = float64(i%7) - 3
	}
	nl, err := NewData(b, x, 5, make([]float64, 4*3), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := evaluator(t, n, 3)
	defer e.Close()
	loss, acc, err := e.Evaluate(n.Params(), nl)
	want, _ := e.Loss(n.Params(), nl)
	if err != nil || !math.IsNaN(acc) || loss != want {
		t.Errorf("no labels: loss %v (Loss gives %v), accuracy %v, %v; want NaN accuracy", loss, want, acc, err)
	}
}

// TestNewDataEdges: one feature and one target are enough; zero are not;
// a non-finite input is reported by its sample and feature.
func TestNewDataEdges(t *testing.T) {
	b := enginetest.Open(t)
	if _, err := NewData(b, []float64{1, 2}, 1, []float64{0, 1}, 1, nil); err != nil {
		t.Errorf("1 feature, 1 target: %v", err)
	}
	for _, c := range [][2]int{{0, 1}, {1, 0}} {
		if _, err := NewData(b, []float64{1, 2}, c[0], []float64{0, 1}, c[1], nil); err == nil {
			t.Errorf("%d features, %d targets: no error", c[0], c[1])
		}
	}
	x := []float64{1, 2, 3, 4, 5, 6, 7, math.NaN(), 9}
	_, err := NewData(b, x, 3, make([]float64, 3), 1, nil)
	if err == nil || !strings.Contains(err.Error(), "sample 2 feature 1 is NaN") {
		t.Errorf("NaN at sample 2, feature 1: error %v", err)
	}
}

// TestRunRange: Run's layer range. From = To runs no layer and gives the
// input back; ranges outside 0..L and inputs of the wrong size are errors
// that give the numbers; a single sample is a data set.
func TestRunRange(t *testing.T) {
	b := enginetest.Open(t)
	n, err := NewRandomNetwork(RandomSpec{Widths: []int{3, 4, 4, 2}, Act: act(t, "tanh"), SigmaW: 1.5, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8}
	in := up(t, b, x)
	out, err := n.Run(b, in, 2, RunOptions{From: 1, To: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := down(t, b, out); !slices.Equal(got, x) {
		t.Errorf("From = To = 1: %v, want the input %v", got, x)
	}
	for _, c := range []struct {
		opt  RunOptions
		want string
	}{
		{RunOptions{From: 0, To: 4}, "run: layers 0..4 outside 0..3"},
		{RunOptions{From: 2, To: 1}, "run: layers 2..1 outside 0..3"},
		{RunOptions{From: -1, To: 2}, "run: layers -1..2 outside 0..3"},
		{RunOptions{From: 0, To: 2}, "run: input has 8 elements; want 3 x 2 = 6"},
	} {
		if _, err := n.Run(b, in, 2, c.opt, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.opt, err, c.want)
		}
	}
	if _, err := NewData(b, []float64{1, 2, 3}, 3, []float64{1}, 1, nil); err != nil {
		t.Errorf("one sample: %v", err)
	}
	// The observer sees the input and each layer's output once, after the
	// layer's last step (an attention layer takes several), and what it
	// sees of the last layer is the output.
	att, err := NewRandomNetwork(RandomSpec{Widths: []int{4, 4, 4, 2}, Act: act(t, "tanh"), SigmaW: 1.5, Seed: 5,
		Kinds: []layerkind.Kind{layerkind.Dense, layerkind.Attention, layerkind.Dense}, TokenDim: 2})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	var last []float64
	out, err = att.Run(b, in, 2, RunOptions{}, func(layer int, h engine.Buffer, width, cols int) error {
		seen = append(seen, fmt.Sprintf("%d:%dx%d", layer, width, cols))
		last = down(t, b, h)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(seen, " "); got != "0:4x2 1:4x2 2:4x2 3:2x2" {
		t.Errorf("observed %s, want 0:4x2 1:4x2 2:4x2 3:2x2", got)
	}
	if got := down(t, b, out); !slices.Equal(got, last) {
		t.Errorf("output %v, last observed %v", got, last)
	}
}
