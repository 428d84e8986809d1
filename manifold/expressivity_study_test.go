package manifold

import (
	"context"
	"errors"
	"math"
	"sort"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/options"
	"gonum.org/v1/gonum/mat"
)

// TestExpressivityLinearNetworks: the last layer of any linear network
// (deep or shallow, width >= 2) on half a circle x(theta) spans exactly
// {1, cos theta, sin theta}, so every network's fit errors equal the direct
// least-squares fit of the Fourier targets on that basis (QR on the host:
// the independent oracle), to 1e-9 (the Gram matrices square the
// condition number: rounding of 1e-16 reaches the fit at about 1e-12). The
// summaries are the mean, the upper median and the per-frequency means of
// those errors.
func TestExpressivityLinearNetworks(t *testing.T) {
	const N, P, K = 8, 40, 5
	res, err := Expressivity(context.Background(), enginetest.Open(t), ExpressivityOptions{Activation: mustAct(t, "linear"), SigmaW: 1.3, SigmaB: 0.2,
		InputDim: N, Width: 6, Depths: []int{1, 3}, ShallowWidths: []int{4, 30}, Points: P, Functions: K, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Networks) != 4 || len(res.Frequencies) != 2*K || res.Q != 1 {
		t.Fatalf("%d networks, %d targets, q %v; want 4, %d, 1", len(res.Networks), len(res.Frequencies), res.Q, 2*K)
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
		for k, e := range n.Errors {
			if math.Abs(e-want[k]) > 1e-9 {
				t.Errorf("%s depth %d width %d, target %d: error %v, direct least squares %v", n.Kind, n.Depth, n.Width, k, e, want[k])
			}
		}
		sorted := append([]float64(nil), n.Errors...)
		sort.Float64s(sorted)
		mean := 0.0
		for _, e := range n.Errors {
			mean += e
		}
		mean /= float64(len(n.Errors))
		if math.Abs(n.MeanError-mean) > 1e-15 || n.MedianError != sorted[K] {
			t.Errorf("%s depth %d: mean %v median %v; want %v and %v", n.Kind, n.Depth, n.MeanError, n.MedianError, mean, sorted[K])
		}
		for k := 1; k <= K; k++ {
			if m := (n.Errors[2*k-2] + n.Errors[2*k-1]) / 2; math.Abs(n.FrequencyError[k-1]-m) > 1e-15 {
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
	} {
		_, err := Expressivity(context.Background(), nil, c.opts)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%+v: error %v; want one about %s", c.opts, err, c.field)
		}
	}
}
