package manifold

import (
	"math"
	"sort"
	"testing"

	"github.com/netgeom/netgeom/engine"
	"github.com/netgeom/netgeom/engine/enginetest"
)

// measureCurve runs the recorder on c as layer 0 (no network) and returns
// its stats.
func measureCurve(t *testing.T, c *Curve, opt RecorderOptions) LayerStats {
	t.Helper()
	b := enginetest.Open(t)
	t.Cleanup(func() { b.Close() })
	jet, err := b.Alloc(engine.Float64, 3*c.Width*c.Points)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Upload(jet, c.Jet()); err != nil {
		t.Fatal(err)
	}
	r := NewRecorder(b, c, opt)
	if err := r.Observe(0, jet, c.Width, 3*c.Points); err != nil {
		t.Fatal(err)
	}
	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st[0]
}

// sampled builds a curve from its point, first and second derivative at
// parameter s.
func sampled(width, points int, closed bool, period float64, f func(s float64, h, v, a []float64)) *Curve {
	c := &Curve{Width: width, Points: points, Closed: closed, Period: period,
		H: make([]float64, width*points), V: make([]float64, width*points), A: make([]float64, width*points)}
	for j := 0; j < points; j++ {
		s := float64(j) * c.Step()
		o := j * width
		f(s, c.H[o:o+width], c.V[o:o+width], c.A[o:o+width])
	}
	return c
}

// TestPCAOfKnownSpectrum: the closed curve h(s) = sum_k a_k (e_2k cos ks +
// e_2k+1 sin ks), k = 1..5, sampled at 64 points, has mean 0 and, by the
// discrete orthogonality of the Fourier modes (k < 32), variance exactly
// a_k^2 / 2 along e_2k and along e_2k+1. With variances 10, 5, 2, 0.6, 0.4
// (each twice; total 36) the running sums are 10, 20, 25, 30, 32, 34, 34.6,
// ...: 95% of the variance (34.2) needs 7 components and 90% (32.4) only
// 6, so the threshold is pinned; the participation ratio is 36^2 / (2
// (100 + 25 + 4 + 0.36 + 0.16)). Tolerance 1e-12: the spectrum comes from a
// 64 x 64 eigenproblem of O(1) entries.
func TestPCAOfKnownSpectrum(t *testing.T) {
	vars := []float64{10, 5, 2, 0.6, 0.4}
	c := sampled(10, 64, true, 2*math.Pi, func(s float64, h, v, a []float64) {
		for k, vk := range vars {
			amp, f := math.Sqrt(2*vk), float64(k+1)
			cs, sn := math.Cos(f*s), math.Sin(f*s)
			h[2*k], h[2*k+1] = amp*cs, amp*sn
			v[2*k], v[2*k+1] = -amp*f*sn, amp*f*cs
			a[2*k], a[2*k+1] = -amp*f*f*cs, -amp*f*f*sn
		}
	})
	st := measureCurve(t, c, RecorderOptions{Gram: true})
	for i, want := range []float64{10, 10, 5, 5, 2, 2, 0.6, 0.6, 0.4, 0.4} {
		if !(math.Abs(st.PCA[i]-want) <= 1e-12*36) {
			t.Errorf("PCA[%d] = %.15g, want %g", i, st.PCA[i], want)
		}
	}
	for i := 10; i < len(st.PCA); i++ {
		if st.PCA[i] > 1e-12*36 {
			t.Errorf("PCA[%d] = %g, want 0 (the curve spans 10 dimensions)", i, st.PCA[i])
		}
	}
	if st.PCA95 != 7 {
		t.Errorf("components for 95%% of the variance = %d, want 7 (90%% would give 6)", st.PCA95)
	}
	wantPR := 36.0 * 36 / (2 * (100 + 25 + 4 + 0.36 + 0.16))
	if !(math.Abs(st.ParticipationRatio-wantPR) <= 1e-12*wantPR) {
		t.Errorf("participation ratio %.15g, want %.15g", st.ParticipationRatio, wantPR)
	}
}

// TestKappaQuantilesAgainstSort: the kbar quantiles are the 5, 25, 50, 75
// and 95% points of the sorted per-point values by linear interpolation
// between order statistics (numpy's default): position p (n - 1) in the
// sorted list. The curve (an ellipse with a third harmonic) has curvature
// varying along it, so an off-by-one in the position moves every quantile.
func TestKappaQuantilesAgainstSort(t *testing.T) {
	c := sampled(3, 37, true, 2*math.Pi, func(s float64, h, v, a []float64) {
		h[0], v[0], a[0] = 3*math.Cos(s), -3*math.Sin(s), -3*math.Cos(s)
		h[1], v[1], a[1] = math.Sin(s), math.Cos(s), -math.Sin(s)
		h[2], v[2], a[2] = 0.2*math.Cos(3*s), -0.6*math.Sin(3*s), -1.8*math.Cos(3*s)
	})
	st := measureCurve(t, c, RecorderOptions{KeepKappa: true})
	kbar := make([]float64, len(st.Kappa))
	for i, k := range st.Kappa {
		kbar[i] = math.Sqrt(3) * k
	}
	sort.Float64s(kbar)
	for i, p := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		pos := p * float64(len(kbar)-1)
		lo := math.Floor(pos)
		want := kbar[int(lo)] + (pos-lo)*(kbar[int(math.Min(lo+1, float64(len(kbar)-1)))]-kbar[int(lo)])
		if !(math.Abs(st.KappaBarQuantiles[i]-want) <= 1e-14*want) {
			t.Errorf("%g quantile %.15g, want %.15g", p, st.KappaBarQuantiles[i], want)
		}
	}
	if !(kbar[0] < kbar[len(kbar)-1]*0.5) {
		t.Fatalf("test curve has nearly constant curvature (%v..%v): quantiles would not discriminate", kbar[0], kbar[len(kbar)-1])
	}
}

// TestOpenCurvesInClosedForm: open curves are integrated by the trapezoid
// rule with half weights at both ends.
//   - A helix segment (r cos s, r sin s, c s), s in [0, T], has constant
//     speed sqrt(r^2 + c^2) and curvature r / (r^2 + c^2): so L^E =
//     T sqrt(r^2 + c^2) and L^G = T r / sqrt(r^2 + c^2), which the trapezoid rule gets
//     exactly (to rounding, 1e-13) for any number of points; full end
//     weights would add one step's worth.
//   - A parabola (s, s^2), s in [-1, 2], has L^E = [s sqrt(1+4s^2)/2 +
//     asinh(2s)/4] and L^G = atan(2s) between the ends (the total turning of
//     the tangent). With 3001 points the trapezoid error is about
//     step^2/12 times the end derivatives, below 1e-6 relative.
func TestOpenCurvesInClosedForm(t *testing.T) {
	const r, cz, T = 2.0, 0.5, 5.0
	helix := sampled(3, 41, false, T, func(s float64, h, v, a []float64) {
		h[0], v[0], a[0] = r*math.Cos(s), -r*math.Sin(s), -r*math.Cos(s)
		h[1], v[1], a[1] = r*math.Sin(s), r*math.Cos(s), -r*math.Sin(s)
		h[2], v[2], a[2] = cz*s, cz, 0
	})
	st := measureCurve(t, helix, RecorderOptions{})
	speed := math.Hypot(r, cz)
	if want := T * speed; !(math.Abs(st.Length-want) <= 1e-13*want) {
		t.Errorf("helix: L^E %.15g, want T sqrt(r^2+c^2) = %.15g", st.Length, want)
	}
	if want := T * r / speed; !(math.Abs(st.GrassmannLength-want) <= 1e-13*want) {
		t.Errorf("helix: L^G %.15g, want T r / sqrt(r^2+c^2) = %.15g", st.GrassmannLength, want)
	}
	if want := math.Sqrt(3) * r / (speed * speed); !(math.Abs(st.KappaBar-want) <= 1e-13*want) {
		t.Errorf("helix: kbar %.15g, want sqrt(3) r / (r^2+c^2) = %.15g", st.KappaBar, want)
	}

	const s0, s1 = -1.0, 2.0
	par := sampled(2, 3001, false, s1-s0, func(s float64, h, v, a []float64) {
		x := s0 + s
		h[0], v[0], a[0] = x, 1, 0
		h[1], v[1], a[1] = x*x, 2*x, 2
	})
	st = measureCurve(t, par, RecorderOptions{})
	arc := func(x float64) float64 { return x*math.Sqrt(1+4*x*x)/2 + math.Asinh(2*x)/4 }
	if want := arc(s1) - arc(s0); !(math.Abs(st.Length-want) <= 1e-6*want) {
		t.Errorf("parabola: L^E %.12g, want %.12g", st.Length, want)
	}
	if want := math.Atan(2*s1) - math.Atan(2*s0); !(math.Abs(st.GrassmannLength-want) <= 1e-6*want) {
		t.Errorf("parabola: L^G %.12g, want the tangent's turning %.12g", st.GrassmannLength, want)
	}
}
