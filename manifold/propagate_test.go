package manifold

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// TestPropagateOrthogonalLinear: a linear network with orthogonal weights
// and no biases maps x to sigma_w^l Q x: every pair keeps its correlation
// c0 exactly and q^l = sigma_w^(2l) q0. The measured values agree to 1e-12
// (rounding through 3 layers), the spread over pairs is 0 to 3e-8 (it is
// sqrt(mean c^2 - mean^2), which turns rounding of 1e-16 into 1e-8), and the
// mean-field trajectories are the same numbers (the length map is
// q -> sigma_w^2 q, the C-map the identity for a linear activation).
func TestPropagateOrthogonalLinear(t *testing.T) {
	const sw, q0 = 1.3, 0.7
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(20, 3), Act: mustAct(t, "linear"), SigmaW: sw,
		Law: models.Orthogonal, Seed: 2, ActivateInput: true})
	if err != nil {
		t.Fatal(err)
	}
	c0 := []float64{-0.4, 0.3, 0.9}
	res, err := Propagate(context.Background(), enginetest.Open(t), PropagateOptions{Net: net, Q: q0, C0: c0, Pairs: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Layers) != 4 || res.Weights != "orthogonal" || res.QInput != q0 || res.Pairs != 4 {
		t.Fatalf("%d layers, weights %q, q %v, pairs %d", len(res.Layers), res.Weights, res.QInput, res.Pairs)
	}
	for _, l := range res.Layers {
		want := q0 * math.Pow(sw*sw, float64(l.Layer))
		if !(math.Abs(l.Q-want) <= 1e-12*want) || l.QTheory == nil || !(math.Abs(*l.QTheory-want) <= 1e-12*want) {
			t.Errorf("layer %d: q %v, theory %v; want %v", l.Layer, l.Q, l.QTheory, want)
		}
		for k, c := range c0 {
			if !(math.Abs(l.C[k]-c) <= 1e-12) || l.CStd[k] > 3e-8 || l.CTheory[k] == nil || !(math.Abs(*l.CTheory[k]-c) <= 1e-12) {
				t.Errorf("layer %d, c0 %v: c %v (std %v), theory %v", l.Layer, c, l.C[k], l.CStd[k], l.CTheory[k])
			}
		}
	}
}

// TestPropagateTheoryLinearWithBias: for a linear activation the length
// map is q -> sigma_w^2 q + sigma_b^2 and the covariance map sends (q, c)
// to (sigma_w^2 q c + sigma_b^2) / (sigma_w^2 q + sigma_b^2): closed forms
// the trajectories must match to 1e-12. The measured c^1 of 30 pairs at
// width 400 lies within five standard errors (CStd / sqrt(pairs)) of it.
func TestPropagateTheoryLinearWithBias(t *testing.T) {
	const sw, sb, q0 = 1.1, 0.5, 1.0
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(400, 4), Act: mustAct(t, "linear"), SigmaW: sw, SigmaB: sb,
		Seed: 3, ActivateInput: true})
	if err != nil {
		t.Fatal(err)
	}
	c0 := []float64{0.1, 0.6}
	res, err := Propagate(context.Background(), enginetest.Open(t), PropagateOptions{Net: net, Q: q0, C0: c0, Pairs: 30, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	q, c := q0, append([]float64(nil), c0...)
	for _, l := range res.Layers {
		if l.QTheory == nil || !(math.Abs(*l.QTheory-q) <= 1e-12*q) {
			t.Errorf("layer %d: q theory %v, want %v", l.Layer, l.QTheory, q)
		}
		for k := range c0 {
			if l.CTheory[k] == nil || !(math.Abs(*l.CTheory[k]-c[k]) <= 1e-12) {
				t.Errorf("layer %d, c0 %v: c theory %v, want %v", l.Layer, c0[k], l.CTheory[k], c[k])
			}
			if l.Layer == 1 {
				if se := l.CStd[k] / math.Sqrt(30); !(math.Abs(l.C[k]-c[k]) <= 5*se) {
					t.Errorf("layer 1, c0 %v: measured %v +- %v, theory %v", c0[k], l.C[k], se, c[k])
				}
			}
			c[k] = (sw*sw*q*c[k] + sb*sb) / (sw*sw*q + sb*sb)
		}
		q = sw*sw*q + sb*sb
	}
}

// TestPropagateOptions: the defaults (q*, c0 = 0.2, 0.5, 0.8, 20 pairs; q*
// is a fixed point of the length map, so q^1 = q^0 to the fixed point's
// accuracy, 1e-12) and bad options as errors naming the field.
func TestPropagateOptions(t *testing.T) {
	net, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(10, 1), Act: mustAct(t, "tanh"), SigmaW: 2, SigmaB: 0.3, ActivateInput: true})
	res, err := Propagate(context.Background(), enginetest.Open(t), PropagateOptions{Net: net})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.C0) != 3 || res.C0[1] != 0.5 || res.Pairs != 20 || !(math.Abs(res.QInput-*res.Layers[1].QTheory) <= 1e-12*res.QInput) {
		t.Errorf("defaults: c0 %v, pairs %d, q %v (q^1 theory %v: q* is fixed by the length map)", res.C0, res.Pairs, res.QInput, *res.Layers[1].QTheory)
	}
	for _, c := range []struct {
		opts  PropagateOptions
		field string
	}{
		{PropagateOptions{}, "Net"},
		{PropagateOptions{Net: net, C0: []float64{0.5, 1.5}}, "C0"},
		{PropagateOptions{Net: net, C0: []float64{}}, "C0"},
		{PropagateOptions{Net: net, Pairs: -2}, "Pairs"},
		{PropagateOptions{Net: net, Q: math.Inf(1)}, "Q"},
	} {
		_, err := Propagate(context.Background(), nil, c.opts)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%+v: error %v; want one about %s", c.opts, err, c.field)
		}
	}
}
