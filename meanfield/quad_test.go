package meanfield

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
)

// glPanels integrates f over [a, b] with 20-point Gauss-Legendre on n equal
// panels: an oracle independent of the package's rules.
func glPanels(f func(float64) float64, a, b float64, n int) float64 {
	x := make([]float64, 20)
	w := make([]float64, 20)
	s := 0.0
	h := (b - a) / float64(n)
	for p := 0; p < n; p++ {
		quad.Legendre{}.FixedLocations(x, w, a+float64(p)*h, a+float64(p+1)*h)
		for i := range x {
			s += w[i] * f(x[i])
		}
	}
	return s
}

// TestBVNUpper checks Genz's orthant probability (a) at h = k = 0 against
// Sheppard's formula 1/4 + asin(r)/(2 pi), to 1e-15 absolute; (b) elsewhere against the
// 1-D integral P = int_h^inf pdf(x) Q((k - r x)/sqrt(1-r^2)) dx by panelled
// Gauss-Legendre (smooth integrand for |r| <= 0.99; 400 panels of 20 points
// converge to ~1e-16). Tolerance 1e-14 absolute: Genz's 20-point rules are
// accurate to double precision.
func TestBVNUpper(t *testing.T) {
	for _, r := range []float64{-0.999999, -0.99, -0.9, -0.5, 0, 0.3, 0.8, 0.93, 0.99, 0.999999, 1, -1} {
		// Written with acos|r| = 2 asin(sqrt((1-|r|)/2)), accurate as |r| -> 1.
		a := 2 * math.Asin(math.Sqrt((1-math.Abs(r))/2))
		want := 0.5 - a/(2*math.Pi)
		if r < 0 {
			want = a / (2 * math.Pi)
		}
		if got := bvnUpper(0, 0, r); !(math.Abs(got-want) <= 1e-15) {
			t.Errorf("bvnUpper(0, 0, %g) = %.17g, want %.17g", r, got, want)
		}
	}
	// The last three take r < -0.925 with h != -k, where the result adds a
	// difference of normal tails chosen by the signs of h and k.
	for _, c := range [][3]float64{{0.5, -0.3, 0.6}, {-1, 1, -0.95}, {1, 1, 0.95}, {2, -1, 0.2}, {-0.7, -0.2, -0.4}, {1.5, 1.2, 0.99}, {-1, -1, 0.97},
		{0.5, -1.5, -0.96}, {-1, 0.2, -0.97}, {-0.3, -1.1, -0.99}} {
		h, k, r := c[0], c[1], c[2]
		s := math.Sqrt(1 - r*r)
		want := glPanels(func(x float64) float64 { return normPDF(x) * normQ((k-r*x)/s) }, h, 12, 400)
		if got := bvnUpper(h, k, r); !(math.Abs(got-want) <= 1e-14) {
			t.Errorf("bvnUpper(%g, %g, %g) = %.17g, want %.17g", h, k, r, got, want)
		}
	}
	// r = +-1: Y = X gives P(X > max(h, k)); Y = -X gives P(h < X < -k),
	// here from erf (accurate to 1e-16 absolute at these arguments),
	// including empty intervals and intervals in either tail.
	cdf := func(x float64) float64 { return (1 + math.Erf(x/math.Sqrt2)) / 2 }
	for _, c := range [][3]float64{{-1, -1, -1}, {0.5, -2, -1}, {-3, 1, -1}, {1, 0.5, -1}, {0.3, -0.3, -1}, {0.4, -1.2, 1}, {-2, -0.5, 1}} {
		h, k, r := c[0], c[1], c[2]
		want := 1 - cdf(math.Max(h, k))
		if r < 0 {
			want = math.Max(0, cdf(-k)-cdf(h))
		}
		if got := bvnUpper(h, k, r); !(math.Abs(got-want) <= 2e-16) {
			t.Errorf("bvnUpper(%g, %g, %g) = %.17g, want %.17g", h, k, r, got, want)
		}
	}
}

// hardTanhOracle2 computes E[phi(u1) phi(u2)] and E[phi'(u1) phi'(u2)] for
// hard-tanh by nested panelled Gauss-Legendre in (z1, z2) on [-10, 10]^2,
// with the inner integral split at its kinks z2 = (+-1/sqrt(q22) - c z1)/s
// and the outer at +-1/sqrt(q11). Each piece is polynomial x Gaussian
// (inner) or smooth (outer), so 20-point panels of width <= 0.25 converge
// to ~1e-14.
func hardTanhOracle2(q11, q22, c float64) (pp, dd float64) {
	phi := func(u float64) float64 { return math.Max(-1, math.Min(1, u)) }
	dphi := func(u float64) float64 {
		if u > -1 && u < 1 {
			return 1
		}
		return 0
	}
	s1, s2 := math.Sqrt(q11), math.Sqrt(q22)
	s := math.Sqrt(1 - c*c)
	split := func(f func(float64) float64, pts []float64) float64 {
		b := []float64{-10}
		for _, p := range pts {
			if p > -10 && p < 10 {
				b = append(b, p)
			}
		}
		b = append(b, 10)
		if len(b) == 4 && b[1] > b[2] {
			b[1], b[2] = b[2], b[1]
		}
		tot := 0.0
		for i := 0; i+1 < len(b); i++ {
			tot += glPanels(f, b[i], b[i+1], int(math.Ceil((b[i+1]-b[i])/0.25)))
		}
		return tot
	}
	inner := func(z1 float64, g func(float64) float64) float64 {
		return split(func(z2 float64) float64 { return g(s2*(c*z1+s*z2)) * normPDF(z2) },
			[]float64{(-1/s2 - c*z1) / s, (1/s2 - c*z1) / s})
	}
	kinks := []float64{-1 / s1, 1 / s1}
	pp = split(func(z1 float64) float64 { return phi(s1*z1) * inner(z1, phi) * normPDF(z1) }, kinks)
	dd = split(func(z1 float64) float64 { return dphi(s1*z1) * inner(z1, dphi) * normPDF(z1) }, kinks)
	return
}

// TestHardTanhExact compares the exact piecewise-linear expectations of
// hard-tanh with the nested-quadrature oracle, to 1e-12 absolute (both are
// O(0.1-1)); and its 1-D moments with 1-D panelled quadrature split at the
// kinks, to 1e-13.
func TestHardTanhExact(t *testing.T) {
	m := mustModel(t, "hard-tanh", 1, 0, Options{})
	for _, c := range [][3]float64{{1, 1, 0.5}, {0.3, 2, -0.7}, {4, 0.5, 0.2}, {2, 2, 0.9}, {0.7, 3, 0}} {
		pp, dd, _, err := m.Expect2(c[0], c[1], c[2]*math.Sqrt(c[0]*c[1]))
		if err != nil {
			t.Fatal(err)
		}
		wp, wd := hardTanhOracle2(c[0], c[1], c[2])
		if !(math.Abs(pp-wp) <= 1e-12) || !(math.Abs(dd-wd) <= 1e-12) {
			t.Errorf("hard-tanh %v: E[phi phi] = %.15g (oracle %.15g), E[phi' phi'] = %.15g (oracle %.15g)", c, pp, wp, dd, wd)
		}
	}
	for _, q := range []float64{0.01, 0.5, 2, 40} {
		mo, err := m.Moments(q)
		if err != nil {
			t.Fatal(err)
		}
		sq := math.Sqrt(q)
		k := 1 / sq
		pp := 2*glPanels(func(z float64) float64 { return q * z * z * normPDF(z) }, 0, math.Min(k, 12), 80) +
			2*glPanels(func(z float64) float64 { return normPDF(z) }, math.Min(k, 12), 12, 80)
		dd := 2 * glPanels(func(z float64) float64 { return normPDF(z) }, 0, math.Min(k, 12), 80)
		// Stein slope E[z phi phi']/sqrt(q) = E[z^2 1{|z| < 1/sqrt q}].
		sl := 2 * glPanels(func(z float64) float64 { return z * z * normPDF(z) }, 0, math.Min(k, 12), 80)
		if !(math.Abs(mo.PhiSq-pp) <= 1e-13) || !(math.Abs(mo.D1Sq-dd) <= 1e-13) || !(math.Abs(mo.Slope-sl) <= 1e-13) {
			t.Errorf("hard-tanh q=%g: moments %+v, oracle %g %g %g", q, mo, pp, dd, sl)
		}
	}
}

// TestPlainGHOnKinks records why kinks get exact forms: plain Gauss-Hermite
// on relu's E[step(u1) step(u2)] at c = 0.5 converges only algebraically.
// Asserted: the error at n = 100 exceeds 1e-6 while the exact path matches
// the closed form (pi - acos c)/(2 pi) to 1e-15.
func TestPlainGHOnKinks(t *testing.T) {
	want := ReLUDerivKernel(1, 1, 0.5)
	for _, n := range []int{25, 100, 400} {
		r := newGHRule(n)
		s := 0.0
		for i, z1 := range r.z {
			for j, z2 := range r.z {
				if z1 > 0 && 0.5*z1+math.Sqrt(0.75)*z2 > 0 {
					s += r.w[i] * r.w[j]
				}
			}
		}
		t.Logf("plain Gauss-Hermite n=%d: E[step step] error %.2g", n, math.Abs(s-want))
		if n == 100 && math.Abs(s-want) < 1e-6 {
			t.Errorf("plain GH unexpectedly accurate (%g): revisit the doc", math.Abs(s-want))
		}
	}
	_, dd, _, _ := mustModel(t, "relu", 1, 0, Options{}).Expect2(1, 1, 0.5)
	if !(math.Abs(dd-want) <= 1e-15) {
		t.Errorf("exact relu E[step step] = %.17g, want %.17g", dd, want)
	}
}

// TestRulesAgreeTanh: tanh has no closed form; the sinc and Gauss-Hermite
// rules are independent, and where both converge (q <= 2) their moments
// must agree to 2e-10 (each within 1e-10). At q = 40 the sinc rule is
// checked against a much finer sinc rule (h = 2^-7, 2305 nodes, error
// ~exp(-pi^2/(sqrt(q) h)) ~ 1e-80).
func TestRulesAgreeTanh(t *testing.T) {
	ms := mustModel(t, "tanh", 1, 0, Options{})
	mg := mustModel(t, "tanh", 1, 0, Options{Rule: GaussHermite})
	for _, q := range []float64{0.1, 0.5, 2} {
		a, err := ms.Moments(q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := mg.Moments(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range [][2]float64{{a.PhiSq, b.PhiSq}, {a.D1Sq, b.D1Sq}, {a.D2Sq, b.D2Sq}, {a.Slope, b.Slope}} {
			if relDiff(p[0], p[1]) > 2e-10 {
				t.Errorf("q=%g: sinc %.15g vs Gauss-Hermite %.15g", q, p[0], p[1])
			}
		}
	}
	a, _ := ms.Moments(40)
	fine := smooth1(ms.f, 40, newSincRule(0x1p-7), false)
	for _, p := range [][2]float64{{a.PhiSq, fine.pp}, {a.D1Sq, fine.dd}, {a.D2Sq, fine.ss}} {
		if relDiff(p[0], p[1]) > 1e-10 {
			t.Errorf("q=40: sinc %.15g vs fine %.15g", p[0], p[1])
		}
	}
}

// TestPriceTheorem: d/dq12 E[phi(u1) phi(u2)] = E[phi'(u1) phi'(u2)]
// (Price's theorem) ties the two 2-D integrals together; a 4th-order central
// difference with step 1e-3 (truncation ~1e-12 x 5th derivative, rounding
// ~1e-13/1e-3) must agree to 1e-8 for tanh with unequal lengths.
func TestPriceTheorem(t *testing.T) {
	m := mustModel(t, "tanh", 1, 0, Options{})
	q11, q22 := 3.0, 0.7
	for _, q12 := range []float64{-1, 0, 0.8, 1.3} {
		h := 1e-3
		e := func(x float64) float64 { p, _, _, _ := m.Expect2(q11, q22, x); return p }
		fd := (-e(q12+2*h) + 8*e(q12+h) - 8*e(q12-h) + e(q12-2*h)) / (12 * h)
		_, dd, _, _ := m.Expect2(q11, q22, q12)
		if !(math.Abs(fd-dd) <= 1e-8) {
			t.Errorf("q12=%g: finite difference %.12g, E[phi' phi'] %.12g", q12, fd, dd)
		}
	}
}
