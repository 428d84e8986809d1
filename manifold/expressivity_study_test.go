package manifold

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
	"gonum.org/v1/gonum/mat"
)

// TestExpressivityLinearNetworks: the last layer of any linear network
// (deep or shallow, width >= 2) on half a circle x(theta) spans exactly
// {1, cos theta, sin theta}, with phi(h^L) plus a constant as features
// (Readout -1) and with a linear readout of width 5 (its outputs are
// affine in x), so every network's fit errors equal the direct
// least-squares fit of the Fourier targets on that basis (QR on the host:
// the independent oracle), to 1e-9 (both are Householder QRs, backward
// stable: their rounding of 1e-16 reaches the fit at about 1e-13). The
// summaries are the mean, the upper median and the per-frequency means of
// those errors.
func TestExpressivityLinearNetworks(t *testing.T) {
	for _, readout := range []int{-1, 5} {
		testExpressivityLinear(t, readout)
	}
}

func testExpressivityLinear(t *testing.T, readout int) {
	const N, P, K = 8, 40, 5
	res, err := Expressivity(context.Background(), enginetest.Open(t), ExpressivityOptions{Activation: mustAct(t, "linear"), SigmaW: 1.3, SigmaB: 0.2,
		InputDim: N, Q: 1, Width: 6, Depths: []int{1, 3}, ShallowWidths: []int{4, 30}, Points: P, Functions: K, Readout: readout, Repeats: 2, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Networks) != 4 || len(res.Frequencies) != 2*K || res.Q != 1 || res.Readout != max(readout, 0) || res.Repeats != 2 {
		t.Fatalf("%d networks, %d targets, q %v, readout %d, repeats %d; want 4, %d, 1, %d, 2", len(res.Networks), len(res.Frequencies), res.Q,
			res.Readout, res.Repeats, 2*K, max(readout, 0))
	}
	y, _ := FourierTargets(P, K)
	basis := mat.NewDense(P, 3, nil)
	for j := 0; j < P; j++ {
		th := math.Pi * float64(j) / float64(P-1)
		basis.Set(j, 0, 1)
		basis.Set(j, 1, math.Cos(th))
		basis.Set(j, 2, math.Sin(th))
	}
	var qr mat.QR
	qr.Factorize(basis)
	want := make([]float64, 2*K)
	for k := range want {
		yk := mat.NewVecDense(P, append([]float64(nil), y[k*P:(k+1)*P]...))
		var coef, fit mat.VecDense
		if err := qr.SolveVecTo(&coef, false, yk); err != nil {
			t.Fatal(err)
		}
		fit.MulVec(basis, &coef)
		want[k] = 1 - mat.Norm(&fit, 2)/mat.Norm(yk, 2)
	}
	for _, n := range res.Networks {
		if len(n.RepeatErrors) != 2 {
			t.Fatalf("%s depth %d: %d repeats; want 2", n.Kind, n.Depth, len(n.RepeatErrors))
		}
		for k, e := range n.Errors {
			if !(math.Abs(e-want[k]) <= 1e-9) {
				t.Errorf("readout %d, %s depth %d width %d, target %d: error %v, direct least squares %v", readout, n.Kind, n.Depth, n.Width, k, e, want[k])
			}
			for r, re := range n.RepeatErrors {
				if !(math.Abs(re[k]-want[k]) <= 1e-9) {
					t.Errorf("readout %d, %s depth %d width %d, network %d, target %d: error %v, direct least squares %v", readout, n.Kind, n.Depth, n.Width, r, k, re[k], want[k])
				}
			}
		}
		sorted := append([]float64(nil), n.Errors...)
		sort.Float64s(sorted)
		mean := 0.0
		for _, e := range n.Errors {
			mean += e
		}
		mean /= float64(len(n.Errors))
		if !(math.Abs(n.MeanError-mean) <= 1e-15) || n.MedianError != sorted[K] {
			t.Errorf("%s depth %d: mean %v median %v; want %v and %v", n.Kind, n.Depth, n.MeanError, n.MedianError, mean, sorted[K])
		}
		for k := 1; k <= K; k++ {
			if m := (n.Errors[2*k-2] + n.Errors[2*k-1]) / 2; !(math.Abs(n.FrequencyError[k-1]-m) <= 1e-15) {
				t.Errorf("%s depth %d, frequency %d: %v, want %v", n.Kind, n.Depth, k, n.FrequencyError[k-1], m)
			}
		}
	}
	if n := res.Networks[1]; n.Kind != "deep" || n.Depth != 3 || n.Width != 6 || n.Neurons() != 18 {
		t.Errorf("network 1: %+v", n)
	}
	if n := res.Networks[3]; n.Kind != "shallow" || n.Depth != 1 || n.Width != 30 {
		t.Errorf("network 3: %+v", n)
	}
}

// TestExpressivityOptionErrors: bad options are errors naming the field.
func TestExpressivityOptionErrors(t *testing.T) {
	for _, c := range []struct {
		opts  ExpressivityOptions
		field string
	}{
		{ExpressivityOptions{Points: 20, Functions: 10}, "Functions"},
		{ExpressivityOptions{Points: 2}, "Points"},
		{ExpressivityOptions{InputDim: 1}, "InputDim"},
		{ExpressivityOptions{Q: -1}, "Q"},
		{ExpressivityOptions{SigmaW: -1}, "SigmaW"},
		{ExpressivityOptions{Width: -3}, "Width"},
		{ExpressivityOptions{Depths: []int{2, 0}}, "Depths"},
		{ExpressivityOptions{ShallowWidths: []int{0}}, "ShallowWidths"},
		{ExpressivityOptions{Depths: []int{}, ShallowWidths: []int{}}, "Depths"},
		{ExpressivityOptions{Readout: -2}, "Readout"},
		{ExpressivityOptions{Repeats: -1}, "Repeats"},
	} {
		_, err := Expressivity(context.Background(), nil, c.opts)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%+v: error %v; want one about %s", c.opts, err, c.field)
		}
	}
}

// TestExpressivityDefaults: the zero options are the protocol of Poole et
// al.'s notebook "Figure 5 - expressivity" (din = dout = 500, n_interp =
// 10000 points on half of a unit great circle, L_over_lambda = 200: 399
// targets of which the constant is not plotted, deep_width = 1000,
// depths 1..13 in steps of 2, n_hiddens = logspace(2, 4, 8) rounded down
// to tens, n_repeat = 5, sigma_w = 4).
func TestExpressivityDefaults(t *testing.T) {
	o, err := ExpressivityOptions{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.InputDim != 500 || o.Readout != 500 || o.Points != 10000 || o.Functions != 199 || o.Width != 1000 || o.Repeats != 5 || o.SigmaW != 4 ||
		o.Q != 1.0/500 || o.Activation.Name != "tanh" {
		t.Errorf("defaults %+v", o)
	}
	if !slices.Equal(o.Depths, []int{1, 3, 5, 7, 9, 11, 13}) {
		t.Errorf("depths %v", o.Depths)
	}
	var widths []int
	for i := 0; i < 8; i++ { // (np.logspace(2, 4, 8)/10.).astype(int)*10
		widths = append(widths, int(math.Pow(10, 2+2*float64(i)/7)/10)*10)
	}
	if !slices.Equal(o.ShallowWidths, widths) {
		t.Errorf("shallow widths %v; want %v", o.ShallowWidths, widths)
	}
}

// TestExpressivityRepeatSeeds: network r of an architecture is the network
// of seed Seed + r (with the readout as one more dense layer) on the circle
// of seed Seed, so repeat 2 of a run at seed 5 is OutputFitErrors of that
// network, bit for bit, and the reported errors are the repeats' means.
func TestExpressivityRepeatSeeds(t *testing.T) {
	b := enginetest.Open(t)
	o := ExpressivityOptions{InputDim: 6, Width: 12, Depths: []int{2}, ShallowWidths: []int{}, Points: 30, Functions: 4, Readout: 8, SigmaB: 0.3,
		Repeats: 3, Seed: 5}
	res, err := Expressivity(context.Background(), b, o)
	if err != nil {
		t.Fatal(err)
	}
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: []int{6, 12, 12, 8}, Act: mustAct(t, "tanh"), SigmaW: 4, SigmaB: 0.3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	x, err := HalfCircle(6, 30, 1.0/6, 5)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := FourierTargets(30, 4)
	want, err := OutputFitErrors(b, net, x, 30, y, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := res.Networks[0]
	if !slices.Equal(n.RepeatErrors[2], want) {
		t.Errorf("repeat 2 at seed 5: %v; the network of seed 7: %v", n.RepeatErrors[2], want)
	}
	for k, e := range n.Errors {
		m := (n.RepeatErrors[0][k] + n.RepeatErrors[1][k] + n.RepeatErrors[2][k]) / 3
		if !(math.Abs(e-m) <= 1e-15) {
			t.Errorf("target %d: error %v, mean of the repeats %v", k, e, m)
		}
	}
}
