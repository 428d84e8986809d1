package manifold

import (
	"context"
	"math"
	"testing"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/meanfield"
)

// TestSummarizeCurvatureByHand: lengths 1, 2, 4, 8 over three layers grow
// the squared length by 4 per layer; Grassmannian lengths 3 at layer 1
// and 12 at layer 3 grow by 2 per layer over the second half; kbar at
// saturation is the mean of layers 2 and 3.
func TestSummarizeCurvatureByHand(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	r := &CurvatureResult{Depth: 3, Layers: []CurvatureLayer{
		{Layer: 0, Length: 1, LengthTheory: f(1), GrassmannLength: 6, KappaBar: 1},
		{Layer: 1, Length: 2, LengthTheory: f(3), GrassmannLength: 3, GrassmannLengthTheory: f(1), KappaBar: 5, KappaBarTheory: f(1)},
		{Layer: 2, Length: 4, LengthTheory: f(9), GrassmannLength: 7, KappaBar: 2, KappaBarTheory: f(2)},
		{Layer: 3, Length: 8, LengthTheory: f(27), GrassmannLength: 12, GrassmannLengthTheory: f(9), KappaBar: 4, KappaBarTheory: f(4)},
	}}
	s, err := SummarizeCurvature(r)
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-14*math.Abs(b) }
	if !near(s.Chi1, 4) || !near(*s.Chi1Theory, 9) || !near(s.GrassmannRate, 2) || !near(*s.GrassmannRateTheory, 3) || s.KappaBar != 3 || *s.KappaBarTheory != 3 {
		t.Errorf("summary %+v (chi1 theory %v, rate theory %v)", s, *s.Chi1Theory, *s.GrassmannRateTheory)
	}
	r.Layers[3].Length = 0
	if _, err := SummarizeCurvature(r); err == nil {
		t.Error("a zero length was accepted")
	}
}

// TestSummarizeCurvatureChi1: for a circle at q* the predicted length
// grows by sqrt(chi_1) every layer, so the summary's Chi1Theory is mean
// field's chi_1 (meanfield.Analyze, computed independently) to 1e-10;
// measured in a network of width 1000 and depth 10, chi_1 is within 5% of
// it on both sides of the boundary (tanh, sigma_b = 0.3: sigma_w = 1.2
// ordered, chi_1 = 0.870; sigma_w = 4 chaotic, chi_1 = 2.367). The
// tolerance: one tangent's squared length fluctuates by sqrt(2/N) = 0.045
// per layer, its log length by half that, so chi_1 = (L^10/L^0)^(2/10) has
// a relative error of about 2 (0.022) sqrt(10) / 10 = 0.014 (less, as the
// circle averages many tangents); 5% is over three of those.
func TestSummarizeCurvatureChi1(t *testing.T) {
	b := enginetest.Open(t)
	tanh, _ := activation.Lookup("tanh")
	for _, sw := range []float64{1.2, 4} {
		r, err := Curvature(context.Background(), b, CurvatureOptions{SigmaW: sw, SigmaB: 0.3, Width: 1000, Depth: 10, Points: 64, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		s, err := SummarizeCurvature(r)
		if err != nil {
			t.Fatal(err)
		}
		mf, _ := meanfield.New(tanh, sw, 0.3, meanfield.Options{})
		st, err := mf.Analyze(1)
		if err != nil {
			t.Fatal(err)
		}
		if s.Chi1Theory == nil || !(math.Abs(*s.Chi1Theory-st.Chi1) <= 1e-10*st.Chi1) {
			t.Errorf("sigma_w %v: chi1 from the predicted lengths %v, mean field %v", sw, s.Chi1Theory, st.Chi1)
		}
		if !(math.Abs(s.Chi1-st.Chi1) <= 0.05*st.Chi1) {
			t.Errorf("sigma_w %v: measured chi1 %v, mean field %v", sw, s.Chi1, st.Chi1)
		}
		t.Logf("sigma_w %v: measured chi1 %.4f, mean field %.4f; kbar %.3f (theory %.3f); Grassmann rate %.3f (theory %.3f)",
			sw, s.Chi1, st.Chi1, s.KappaBar, *s.KappaBarTheory, s.GrassmannRate, *s.GrassmannRateTheory)
	}
}
