package manifold

import (
	"context"
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
	"github.com/netgeom/netgeom/models"
)

// TestCurvatureFloat32: the curvature pipeline runs on a float32 CPU
// backend (weights the float64 normals rounded once, products in float32,
// column sums in float64) and its per-layer q, length, kbar and Grassmannian
// length agree with the float64 run to float32's accuracy: rounding of
// u = 6e-8 per layer, which perturbations keep in the ordered phase and
// amplify by their Lyapunov growth in the chaotic one. Measured (width 300,
// 120 points, sigma_b 0.3): at sigma_w 1.3 at most 1.3e-7 over 20 layers,
// at sigma_w 4 at most 1.7e-7 over 5 layers and 1.6e-4 over 20. Bounds: 2e-6
// for the first three, 2e-3 for the last (ten times what was measured).
// The errors must also exceed 1e-12: a float32 backend that computed in
// float64 would agree to rounding of float64.
func TestCurvatureFloat32(t *testing.T) {
	b64, b32 := enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	for _, c := range []struct {
		sigmaW float64
		depth  int
		bound  float64
	}{{1.3, 5, 2e-6}, {1.3, 20, 2e-6}, {4, 5, 2e-6}, {4, 20, 2e-3}} {
		o := CurvatureOptions{Width: 300, Depth: c.depth, Points: 120, SigmaW: c.sigmaW, SigmaB: 0.3, Seed: 3}
		r64, err := Curvature(context.Background(), b64, o)
		if err != nil {
			t.Fatal(err)
		}
		r32, err := Curvature(context.Background(), b32, o)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for l, a := range r64.Layers {
			g := r32.Layers[l]
			for _, d := range [][2]float64{{g.Q, a.Q}, {g.Length, a.Length}, {g.KappaBar, a.KappaBar}, {g.GrassmannLength, a.GrassmannLength}} {
				worst = math.Max(worst, math.Abs(d[0]-d[1])/math.Abs(d[1]))
			}
		}
		t.Logf("sigma_w %v, depth %d: largest relative difference %.3g (bound %.0e)", c.sigmaW, c.depth, worst, c.bound)
		if !(worst <= c.bound) || worst < 1e-12 {
			t.Errorf("sigma_w %v, depth %d: float32 against float64 differs by %.3g relative; want between 1e-12 and %.0e", c.sigmaW, c.depth, worst, c.bound)
		}
	}
}

// TestPropagateFloat32: pairs of inputs pushed through a random network on
// a float32 CPU backend keep the float64 run's per-layer q (relative) and
// correlations c (absolute) to float32's accuracy, amplified in the
// chaotic phase. Measured (width 400, depth 20, 50 pairs at c0 0.2, 0.6,
// 0.95): at sigma_w 1.3 q within 2.0e-8 and c within 2.4e-8, at sigma_w 4
// q within 1.2e-5 and c within 2.9e-5. Bounds: 1e-6 and 3e-4 (ten times
// and more); above 1e-12, or the run was not float32.
func TestPropagateFloat32(t *testing.T) {
	b64, b32 := enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	for _, c := range []struct{ sigmaW, bound float64 }{{1.3, 1e-6}, {4, 3e-4}} {
		sw := c.sigmaW
		net, err := models.NewRandomNetwork(models.RandomSpec{Widths: models.UniformWidths(400, 20), Act: mustAct(t, "tanh"), SigmaW: sw, SigmaB: 0.3, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		o := PropagateOptions{Net: net, C0: []float64{0.2, 0.6, 0.95}, Pairs: 50, Seed: 6}
		r64, err := Propagate(context.Background(), b64, o)
		if err != nil {
			t.Fatal(err)
		}
		r32, err := Propagate(context.Background(), b32, o)
		if err != nil {
			t.Fatal(err)
		}
		eq, ec := 0.0, 0.0
		for l, a := range r64.Layers {
			g := r32.Layers[l]
			eq = math.Max(eq, math.Abs(g.Q-a.Q)/a.Q)
			for k := range a.C {
				ec = math.Max(ec, math.Abs(g.C[k]-a.C[k]))
			}
		}
		t.Logf("sigma_w %v: q %.3g relative, c %.3g absolute", sw, eq, ec)
		if worst := math.Max(eq, ec); !(worst <= c.bound) || worst < 1e-12 {
			t.Errorf("sigma_w %v: float32 against float64: q %.3g, c %.3g; want between 1e-12 and %.0e", sw, eq, ec, c.bound)
		}
	}
}
