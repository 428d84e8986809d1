package manifold

import (
	"context"
	"errors"
	"testing"

	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/meanfield"
	"github.com/netgeom/netgeom/models"
	"github.com/netgeom/netgeom/options"
)

// TestDecisionBoundaryStudy: DecisionBoundary is BoundaryPoints followed by
// BoundaryCurvature (tested against finite differences and a sphere in
// boundary_test.go): with Q = 0 it takes q* of the length map, with Points
// = 0 ten points, and its per-layer numbers are those of the two stages to
// the bit. MeanSpectrum is the index-wise mean of the sorted curvatures,
// whose ends are the min and max means (to 1e-15 relative: the same sums).
func TestDecisionBoundaryStudy(t *testing.T) {
	b := enginetest.Open(t)
	act := mustAct(t, "tanh")
	net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(8, 3), Act: act, SigmaW: 2, SigmaB: 0.3, Seed: 4, ActivateInput: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := DecisionBoundary(context.Background(), b, DecisionBoundaryOptions{Net: net, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	mf, _ := meanfield.New(act, 2, 0.3, meanfield.Options{})
	fp, _ := mf.FixedLength(1)
	if res.QInput != fp.Q || res.Points != 10 || res.Width != 8 || res.Depth != 3 || res.SigmaW != 2 || res.Activation != "tanh" {
		t.Errorf("q %v (q* %v), %d points, width %d, depth %d, sigma_w %v, %s", res.QInput, fp.Q, res.Points, res.Width, res.Depth, res.SigmaW, res.Activation)
	}
	opt := BoundaryOptions{Points: 10, Q: fp.Q, Seed: 4}
	ro, pts, err := BoundaryPoints(b, net, opt)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := BoundaryCurvature(b, net, ro, pts, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Beta0 != ro.Beta0 || len(res.Layers) != len(layers) {
		t.Fatalf("beta0 %v (want %v), %d layers (want %d)", res.Beta0, ro.Beta0, len(res.Layers), len(layers))
	}
	for i, l := range layers {
		r := res.Layers[i]
		if r.Layer != l.Layer || r.MaxCurvature != l.MaxMean || r.MinCurvature != l.MinMean || r.MeanAbs != l.AbsMean || len(r.Curvatures) != 10 {
			t.Errorf("layer %d: %+v, stages give %v %v %v", l.Layer, r, l.MaxMean, l.MinMean, l.AbsMean)
		}
		n := len(r.MeanSpectrum)
		if n != 7 || !near(r.MeanSpectrum[0], r.MinCurvature, 1e-15) || !near(r.MeanSpectrum[n-1], r.MaxCurvature, 1e-15) {
			t.Errorf("layer %d: mean spectrum %v, min %v max %v", l.Layer, r.MeanSpectrum, r.MinCurvature, r.MaxCurvature)
		}
		for j := range r.MeanSpectrum {
			m := 0.0
			for _, k := range l.Curvatures {
				m += k[j]
			}
			if m /= 10; !near(r.MeanSpectrum[j], m, 1e-14) {
				t.Errorf("layer %d index %d: mean spectrum %v, want %v", l.Layer, j, r.MeanSpectrum[j], m)
			}
		}
	}
}

func near(a, b, rel float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	m := b
	if m < 0 {
		m = -m
	}
	return d <= rel*m+1e-300
}

// TestDecisionBoundaryOptionErrors: bad options are errors naming the field
// (a network wider than MaxBoundaryWidth is refused before any work).
func TestDecisionBoundaryOptionErrors(t *testing.T) {
	wide, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(MaxBoundaryWidth+1, 2), Act: mustAct(t, "tanh"), SigmaW: 2})
	small, _ := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(6, 2), Act: mustAct(t, "tanh"), SigmaW: 2})
	for _, c := range []struct {
		opts  DecisionBoundaryOptions
		field string
	}{
		{DecisionBoundaryOptions{}, "Net"},
		{DecisionBoundaryOptions{Net: wide}, "Net width"},
		{DecisionBoundaryOptions{Net: small, Points: -1}, "Points"},
		{DecisionBoundaryOptions{Net: small, Q: -1}, "Q"},
	} {
		_, err := DecisionBoundary(context.Background(), nil, c.opts)
		var oe *options.Error
		if !errors.As(err, &oe) || oe.Field != c.field {
			t.Errorf("%+v: error %v; want one about %s", c.opts, err, c.field)
		}
	}
}
