package isometry

import (
	"context"
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// TestJacobianFloat32: the Jacobian's spectrum of a network run on a
// float32 CPU backend against the same network in float64 (width 200,
// sigma_b 0.05 at the critical sigma_w, Gaussian and orthogonal weights,
// depths 2 and 32, two inputs each). Measured (`go test -run
// TestJacobianFloat32 -v ./isometry`): the mean, the variance and the
// largest squared singular value within 4.0e-7 relative with the dense
// method and 1.4e-6 with Lanczos (Hutchinson and Lanczos in float64 over
// float32 products); asserted 1e-5, and above 1e-12 (or the run was not
// float32). The smallest squared singular value is reported only where
// the SVD resolves it above the rounding of the dtype J was computed in
// (s_min > N eps s_max): where float32 reports it (orthogonal, depth 2),
// it is within 6.2e-7 (asserted 1e-4; with float64's eps in the threshold
// float32 reported values off by 3.9e-3), and float32 reports it at least
// once and leaves it out at least once (gaussian depth 2: s_min / s_max = 6.5e-6, below
// 200 x 2^-23 = 2.4e-5).
func TestJacobianFloat32(t *testing.T) {
	b64, b32 := enginetest.Open(t), enginetest.OpenDType(t, engine.Float32)
	for _, c := range []struct {
		m     Method
		bound float64
	}{{Dense, 1e-5}, {Lanczos, 1e-5}} {
		o := JacobianOptions{Width: 200, Depths: []int{2, 32}, Inputs: 2, SigmaB: 0.05, Seed: 3, Method: c.m}
		r64, err := Jacobian(context.Background(), b64, o)
		if err != nil {
			t.Fatal(err)
		}
		r32, err := Jacobian(context.Background(), b32, o)
		if err != nil {
			t.Fatal(err)
		}
		worst, worstMin, reported, omitted := 0.0, 0.0, 0, 0
		for i, a := range r64.Rows {
			g := r32.Rows[i]
			for _, d := range [][2]float64{{g.Mean, a.Mean}, {g.Variance, a.Variance}, {g.Max, a.Max}} {
				worst = math.Max(worst, math.Abs(d[0]-d[1])/math.Abs(d[1]))
			}
			switch {
			case g.Min != nil && a.Min != nil:
				reported++
				worstMin = math.Max(worstMin, math.Abs(*g.Min-*a.Min) / *a.Min)
			case g.Min != nil:
				t.Errorf("%v %s depth %d: float32 reports the smallest squared singular value %g, float64 does not", c.m, a.Weights, a.Depth, *g.Min)
			case a.Min != nil:
				omitted++
			}
		}
		t.Logf("%v: mean, variance, max within %.3g relative; min within %.3g where reported (%d reported, %d left out)", c.m, worst, worstMin, reported, omitted)
		if !(worst <= c.bound) || worst < 1e-12 {
			t.Errorf("%v: float32 against float64 differs by %.3g relative; want between 1e-12 and %.0e", c.m, worst, c.bound)
		}
		if c.m == Dense && (!(worstMin <= 1e-4) || reported == 0 || omitted == 0) {
			t.Errorf("dense: smallest squared singular value within %.3g relative where reported (want <= 1e-4); %d reported, %d left out (want both > 0)", worstMin, reported, omitted)
		}
	}
}
