package models

import (
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestFloat32Products: the loss, its gradient and a Hessian-vector product
// of a trained-style network (tanh, 20-30-30-5, 200 samples, both losses)
// on a float32 CPU backend agree with the float64 ones to float32's
// accuracy. Measured: relative differences (largest entry over the largest
// float64 entry) of at most 2.6e-8 for the loss, 2.2e-7 for the gradient
// and 4.5e-7 for the product. Bounds: 5e-6 each, ten times and more; and
// above 1e-12, or the run was not float32.
func TestFloat32Products(t *testing.T) {
	b64, b32 := enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	for _, loss := range []Loss{CrossEntropy, SquaredError} {
		n64 := smallNet(t, b64, []int{20, 30, 30, 5}, "tanh", loss, 71)
		theta, err := n64.HostParams()
		if err != nil {
			t.Fatal(err)
		}
		n32, err := NewNetwork(b32, n64.Spec())
		if err != nil {
			t.Fatal(err)
		}
		if err := n32.SetParams(theta); err != nil {
			t.Fatal(err)
		}
		d64, x, tg := smallData(t, b64, 200, 20, 5, loss, 72)
		labels := make([]int, 200)
		for j := range labels {
			best := 0
			for c := 1; c < 5; c++ {
				if tg[j*5+c] > tg[j*5+best] {
					best = c
				}
			}
			labels[j] = best
		}
		d32, err := NewData(b32, x, 20, tg, 5, labels)
		if err != nil {
			t.Fatal(err)
		}
		dir := randVec(len(theta), 73, 1)
		run := func(n *Network, d *Data) (float64, []float64, []float64) {
			e, err := n.NewEvaluator(0)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			g, _ := n.NewParams()
			l, err := e.Gradient(n.Params(), d, g)
			if err != nil {
				t.Fatal(err)
			}
			v, err := engine.FromHost(n.Backend(), dir)
			if err != nil {
				t.Fatal(err)
			}
			hv, _ := n.NewParams()
			if err := e.HVP(n.Params(), d, v, hv); err != nil {
				t.Fatal(err)
			}
			return l, down(t, n.Backend(), g), down(t, n.Backend(), hv)
		}
		l64, g64, h64 := run(n64, d64)
		l32, g32, h32 := run(n32, d32)
		rel := func(a, b []float64) float64 {
			d := 0.0
			for i := range a {
				d = math.Max(d, math.Abs(a[i]-b[i]))
			}
			return d / maxAbs(b)
		}
		el, eg, eh := math.Abs(l32-l64)/math.Abs(l64), rel(g32, g64), rel(h32, h64)
		t.Logf("%v: loss %.3g, gradient %.3g, HVP %.3g", loss, el, eg, eh)
		for _, e := range []float64{el, eg, eh} {
			if !(e <= 5e-6) || e < 1e-12 {
				t.Errorf("%v: float32 against float64: loss %.3g, gradient %.3g, HVP %.3g; want each between 1e-12 and 5e-6", loss, el, eg, eh)
				break
			}
		}
	}
}
