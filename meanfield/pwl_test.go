package meanfield

import (
	"math"
	"sort"
	"testing"

	"github.com/netgeom/netgeom/activation"
)

// skewPWL is a piecewise-linear activation that no registered one
// resembles: every piece has both an intercept and a slope, and a jump at
// one kink, so the exact forms' terms that vanish for relu and hard-tanh
// (intercept times slope, first truncated moments, E[X] and E[Y] of the
// orthant moments) all count.
func skewPWL() activation.Func {
	phi := func(u float64) float64 {
		switch {
		case u < -0.4:
			return 0.2*u + 0.1
		case u < 0.3:
			return -0.5*u - 0.18
		}
		return 0.9*u + 0.25
	}
	d1 := func(u float64) float64 {
		switch {
		case u < -0.4:
			return 0.2
		case u < 0.3:
			return -0.5
		}
		return 0.9
	}
	zero := func(float64) float64 { return 0 }
	return activation.Func{Name: "skew-pwl", Phi: phi, D1: d1, D2: zero, D3: zero,
		Jet:   func(x float64) (float64, float64, float64) { return phi(x), d1(x), 0 },
		Kinks: []float64{-0.4, 0.3}}
}

// splitGL integrates f over [-10, 10] in panels of width <= 0.25, split at
// the points pts inside (sorted here).
func splitGL(f func(float64) float64, pts []float64) float64 {
	b := []float64{-10, 10}
	for _, p := range pts {
		if p > -10 && p < 10 {
			b = append(b, p)
		}
	}
	sort.Float64s(b)
	tot := 0.0
	for i := 0; i+1 < len(b); i++ {
		if b[i+1] > b[i] {
			tot += glPanels(f, b[i], b[i+1], int(math.Ceil((b[i+1]-b[i])/0.25)))
		}
	}
	return tot
}

// TestPiecewiseLinearExact: the exact forms for a user's piecewise-linear
// activation (skewPWL: three pieces with nonzero intercepts and slopes, one
// jump) against quadrature split at the kinks, in one dimension (E[phi^2],
// E[phi'^2], the Stein slope E[z phi phi']/sqrt(q)) and two (E[phi(u1)
// phi(u2)], E[phi'(u1) phi'(u2)] with the inner integral split at the kink
// lines). Each piece is a polynomial times a Gaussian, so 20-point panels
// of width 0.25 converge to ~1e-15; tolerance 1e-12 absolute (the values
// are O(0.01-1)).
func TestPiecewiseLinearExact(t *testing.T) {
	act := skewPWL()
	m, err := New(act, 1.2, 0.3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{0.05, 0.7, 3, 30} {
		mo, err := m.Moments(q)
		if err != nil {
			t.Fatal(err)
		}
		sq := math.Sqrt(q)
		kz := []float64{-0.4 / sq, 0.3 / sq}
		pp := splitGL(func(z float64) float64 { p := act.Phi(sq * z); return p * p * normPDF(z) }, kz)
		dd := splitGL(func(z float64) float64 { d := act.D1(sq * z); return d * d * normPDF(z) }, kz)
		sl := splitGL(func(z float64) float64 { return z * act.Phi(sq*z) * act.D1(sq*z) * normPDF(z) }, kz) / sq
		if !(math.Abs(mo.PhiSq-pp) <= 1e-12) || !(math.Abs(mo.D1Sq-dd) <= 1e-12) || !(math.Abs(mo.Slope-sl) <= 1e-12) {
			t.Errorf("q=%g: moments %+v; quadrature E[phi^2] %.15g, E[phi'^2] %.15g, slope %.15g", q, mo, pp, dd, sl)
		}
	}
	for _, c := range [][3]float64{{1, 1, 0.5}, {0.3, 2, -0.7}, {4, 0.5, 0.2}, {2, 2, 0.95}, {0.7, 3, 0}, {1.5, 0.8, -0.97}} {
		q11, q22, r := c[0], c[1], c[2]
		pp, dd, _, err := m.Expect2(q11, q22, r*math.Sqrt(q11*q22))
		if err != nil {
			t.Fatal(err)
		}
		s1, s2, s := math.Sqrt(q11), math.Sqrt(q22), math.Sqrt(1-r*r)
		inner := func(z1 float64, g func(float64) float64) float64 {
			return splitGL(func(z2 float64) float64 { return g(s2*(r*z1+s*z2)) * normPDF(z2) },
				[]float64{(-0.4/s2 - r*z1) / s, (0.3/s2 - r*z1) / s})
		}
		kz := []float64{-0.4 / s1, 0.3 / s1}
		wp := splitGL(func(z1 float64) float64 { return act.Phi(s1*z1) * inner(z1, act.Phi) * normPDF(z1) }, kz)
		wd := splitGL(func(z1 float64) float64 { return act.D1(s1*z1) * inner(z1, act.D1) * normPDF(z1) }, kz)
		if !(math.Abs(pp-wp) <= 1e-12) || !(math.Abs(dd-wd) <= 1e-12) {
			t.Errorf("%v: E[phi phi] = %.15g (quadrature %.15g), E[phi' phi'] = %.15g (quadrature %.15g)", c, pp, wp, dd, wd)
		}
	}
	// Correlation +-1: u2 = +-sqrt(q22/q11) u1, a 1-D integral.
	for _, c := range [][3]float64{{1, 1, 1}, {0.5, 2, 1}, {1, 1, -1}, {3, 0.4, -1}} {
		q11, q22, r := c[0], c[1], c[2]
		pp, dd, _, err := m.Expect2(q11, q22, r*math.Sqrt(q11*q22))
		if err != nil {
			t.Fatal(err)
		}
		s1, s2 := math.Sqrt(q11), math.Sqrt(q22)
		kz := []float64{-0.4 / s1, 0.3 / s1, -0.4 / (r * s2), 0.3 / (r * s2)}
		wp := splitGL(func(z float64) float64 { return act.Phi(s1*z) * act.Phi(r*s2*z) * normPDF(z) }, kz)
		wd := splitGL(func(z float64) float64 { return act.D1(s1*z) * act.D1(r*s2*z) * normPDF(z) }, kz)
		if !(math.Abs(pp-wp) <= 1e-12) || !(math.Abs(dd-wd) <= 1e-12) {
			t.Errorf("%v: E[phi phi] = %.15g (quadrature %.15g), E[phi' phi'] = %.15g (quadrature %.15g)", c, pp, wp, dd, wd)
		}
	}
}
