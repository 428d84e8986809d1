package landscape

import (
	"context"
	"math"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/train"
)

// TestHessianTraceDensityFloat32: the trace, the density and the
// Gauss-Newton matrix's top eigenvalues of a float32 model (float32
// products; Hutchinson, stochastic Lanczos quadrature and Lanczos in
// float64 with the same probe vectors) agree with the float64 model's.
// Measured on the iris model of float32Pair: the trace 7.8e-8 relative,
// the density 6.7e-7 of its peak (the float32 density interpolated onto
// the float64 grid), the Gauss-Newton top eigenvalues 4.0e-8 of the
// largest. Asserted: 1e-6, 1e-5 and 1e-6 (ten times and more; products
// are off by up to 5e-7 of ||H||, models.TestFloat32Products), and the
// trace's difference above 1e-12 (or the products were not float32).
func TestHessianTraceDensityFloat32(t *testing.T) {
	b64, b32, path := float32Pair(t)
	run := func(b engine.Backend, gn bool) *HessianSpectrumResult {
		m, err := train.LoadModel(b, path, train.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		o := HessianSpectrumOptions{Model: m, Seed: 5, GaussNewton: gn}
		if gn {
			o.Top = 3
		} else {
			o.Trace, o.Density = true, true
		}
		r, err := HessianSpectrum(context.Background(), b64, o)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	h64, h32 := run(b64, false), run(b32, false)
	tr := math.Abs(h32.Trace.Value-h64.Trace.Value) / math.Abs(h64.Trace.Value)
	d64, d32 := h64.Density, h32.Density
	peak, worst := 0.0, 0.0
	for _, v := range d64.Values {
		peak = math.Max(peak, v)
	}
	for i, x := range d64.Grid {
		worst = math.Max(worst, math.Abs(interp(d32.Grid, d32.Values, x)-d64.Values[i]))
	}
	worst /= peak
	g64, g32 := run(b64, true), run(b32, true)
	gn := 0.0
	for i, e := range g32.Eigenvalues {
		gn = math.Max(gn, math.Abs(e.Value-g64.Eigenvalues[i].Value)/math.Abs(g64.Eigenvalues[0].Value))
	}
	t.Logf("trace %.6g and %.6g: %.3g relative; density %.3g of its peak; Gauss-Newton top 3 %.3g of the largest (%.6g)", h64.Trace.Value, h32.Trace.Value, tr, worst, gn, g64.Eigenvalues[0].Value)
	if !(tr <= 1e-6) || !(tr > 1e-12) {
		t.Errorf("trace %v in float32, %v in float64: %.3g relative, want (1e-12, 1e-6]", h32.Trace.Value, h64.Trace.Value, tr)
	}
	if !(worst <= 1e-5) {
		t.Errorf("density differs by %.3g of its peak, want at most 1e-5", worst)
	}
	if !(gn <= 1e-6) || g32.Operator != "gauss-newton" || g32.DType != "float32" {
		t.Errorf("Gauss-Newton (%s, %s) eigenvalues differ by %.3g of the largest, want at most 1e-6", g32.Operator, g32.DType, gn)
	}
}

// interp is the piecewise-linear interpolant of (xs, ys) at x (xs
// increasing), constant beyond the ends.
func interp(xs, ys []float64, x float64) float64 {
	if x <= xs[0] {
		return ys[0]
	}
	for i := 1; i < len(xs); i++ {
		if x <= xs[i] {
			f := (x - xs[i-1]) / (xs[i] - xs[i-1])
			return ys[i-1] + f*(ys[i]-ys[i-1])
		}
	}
	return ys[len(ys)-1]
}
