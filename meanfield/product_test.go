package meanfield

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/netgeom/netgeom/layerkind"
)

// TestProductMapsClosedForms: on a Gaussian input the product layer's maps
// are the dense closed forms squared (erf: V(q) = sigma_w^2 (2/pi)
// asin(2q/(1+2q)) + sigma_b^2 and chi_f = sigma_w^2 (4/pi)/sqrt(1+4q); relu:
// the arc-cosine kernel, V = sigma_w^2 q/2 + sigma_b^2, chi_f = sigma_w^2/2).
// The quadrature is asked for 1e-10 relative; tolerance 1e-9.
func TestProductMapsClosedForms(t *testing.T) {
	const sw, sb = 1.7, 0.4
	sw2, sb2 := sw*sw, sb*sb
	for _, name := range []string{"erf", "relu"} {
		m := mustModel(t, name, sw, sb, Options{})
		for _, q := range []float64{0.3, 1, 2.5} {
			var V, chi float64
			kernel := func(c float64) float64 {
				if name == "erf" {
					return ErfKernel(q, q, c*q)
				}
				return ReLUKernel(q, q, c*q)
			}
			if name == "erf" {
				V = sw2*2/math.Pi*math.Asin(2*q/(1+2*q)) + sb2
				chi = sw2 * 4 / math.Pi / math.Sqrt(1+4*q)
			} else {
				V, chi = sw2*q/2+sb2, sw2/2
			}
			got, err := m.ProductLengthMap(q)
			if err != nil || relDiff(got, V*V) > 1e-9 {
				t.Errorf("%s q %v: ProductLengthMap %v, want V^2 = %v (%v)", name, q, got, V*V, err)
			}
			got, err = m.ProductChi1(q)
			if err != nil || relDiff(got, 2*V*chi) > 1e-9 {
				t.Errorf("%s q %v: ProductChi1 %v, want 2 V chi_f = %v (%v)", name, q, got, 2*V*chi, err)
			}
			for _, c := range []float64{-0.6, 0, 0.3, 0.9} {
				cf := (sw2*kernel(c) + sb2) / V
				got, err := m.ProductCMap(q, c)
				if err != nil || !(math.Abs(got-cf*cf) <= 1e-9) {
					t.Errorf("%s q %v c %v: ProductCMap %v, want C_f^2 = %v (%v)", name, q, c, got, cf*cf, err)
				}
				cov, err := m.ProductCovarianceMap(Cov{q, 2 * q, c * q * math.Sqrt(2)})
				want := sw2*func() float64 {
					if name == "erf" {
						return ErfKernel(q, 2*q, c*q*math.Sqrt(2))
					}
					return ReLUKernel(q, 2*q, c*q*math.Sqrt(2))
				}() + sb2
				if err != nil || relDiff(cov.Q12, want*want) > 1e-9 {
					t.Errorf("%s q %v c %v: ProductCovarianceMap Q12 %v, want %v (%v)", name, q, c, cov.Q12, want*want, err)
				}
			}
		}
	}
}

// TestProductChi1IsCMapSlope: the slope of the product C-map at c = 1 is
// 2 C_f'(1) = 2 chi_f q / V(q) at any q, and at the fixed point q* = V(q*)^2
// (found here by bisection, independently of the package's solvers) it
// equals ProductChi1(q*). The slope is taken by the second-order one-sided
// difference (3 C(1) - 4 C(1-e) + C(1-2e)) / (2e) with e = 1e-4: erf's
// C-map is analytic at c = 1, so the error is O(e^2 C”') ~ 1e-8, plus
// quadrature noise 1e-10/e = 1e-6: tolerance 1e-5.
func TestProductChi1IsCMapSlope(t *testing.T) {
	m := mustModel(t, "erf", 2, 0.5, Options{})
	slope := func(q float64) float64 {
		const e = 1e-4
		c := func(x float64) float64 {
			v, err := m.ProductCMap(q, x)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		return (3*c(1) - 4*c(1-e) + c(1-2*e)) / (2 * e)
	}
	for _, q := range []float64{0.5, 2} {
		V, _ := m.LengthMap(q)
		chi, _ := m.Chi1(q)
		if got, want := slope(q), 2*chi*q/V; !(math.Abs(got-want) <= 1e-5*want) {
			t.Errorf("q %v: C-map slope at 1 = %v, want 2 chi_f q/V = %v", q, got, want)
		}
	}
	qs := bisect(func(q float64) float64 { v, _ := m.ProductLengthMap(q); return v - q }, 0.5, 100)
	p, _ := m.ProductChi1(qs)
	if got := slope(qs); !(math.Abs(got-p) <= 1e-5*p) {
		t.Errorf("at q* = %v: C-map slope %v, ProductChi1 %v", qs, got, p)
	}
}

// TestProductMomentsOracles: the Bessel-weight quadrature behind layers
// that follow a product layer (u, w iid N(0, q), x = u w, s = u^2 + w^2)
// against independent closed forms:
//   - linear: E[x^2] = q^2, E[s] = 2q, and the jet moment 2 q a + 6 g^2;
//   - relu (the kink at x = 0): E[relu(x)^2] = q^2/2, E[relu'(x)^2 s] g = q g,
//     and E[relu'^2 (r^2 + s2 s + 4 g^2)] = 4 g^2 + q s2 (r = -2 g x/q,
//     s2 = a - g^2/q), half of the linear one by the sign symmetry of x;
//   - erf, conditioning on w: E_u[erf(uw)^2] = (2/pi) asin(2 q w^2/(1+2q w^2)),
//     E_u[erf'(uw)^2 s] = (4/pi)(q/(1+4qw^2)^{3/2} + w^2/sqrt(1+4qw^2)), and
//     the jet moment (with its phi” terms) from Gaussian moments of
//     u^2k exp(-2 w^2 u^2), each integrated over w by a trapezoid rule of step 0.002 (the integrands
//     are analytic within 1/(2q) of the real axis: error ~ exp(-pi/(q 0.002))).
//
// Tolerance 1e-11 relative: the Bessel rule's error is ~ exp(-pi^2 8) and
// the mass cut off below 1e-16.
func TestProductMomentsOracles(t *testing.T) {
	for _, q := range []float64{0.2, 1, 7, 40} {
		g, a := 0.7*q, 1.3*q
		j := jetLaw{product: true, q: q, g: g, a: a}
		s2 := a - g*g/q
		lin, _ := mustModel(t, "linear", 1, 0, Options{}).productMoments(j, false)
		want := [3]float64{q * q, 2 * q * g, 2*q*a + 6*g*g}
		for k := range want {
			if relDiff(lin[k], want[k]) > 1e-11 {
				t.Errorf("linear q %v: moment %d = %v, want %v", q, k, lin[k], want[k])
			}
		}
		relu, err := mustModel(t, "relu", 1, 0, Options{}).productMoments(j, false)
		if err != nil {
			t.Fatal(err)
		}
		want = [3]float64{q * q / 2, q * g, 4*g*g + q*s2}
		for k := range want {
			if relDiff(relu[k], want[k]) > 1e-11 {
				t.Errorf("relu q %v: moment %d = %v, want %v", q, k, relu[k], want[k])
			}
		}
		erf, _ := mustModel(t, "erf", 1, 0, Options{}).productMoments(j, false)
		var pp, dv, da float64
		const h = 0.002
		for z := -12 + h/2; z < 12; z += h {
			w := math.Sqrt(q) * z
			w2 := w * w
			wt := h * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi)
			pp += wt * 2 / math.Pi * math.Asin(2*q*w2/(1+2*q*w2))
			dv += wt * 4 / math.Pi * (q/math.Pow(1+4*q*w2, 1.5) + w2/math.Sqrt(1+4*q*w2))
			// erf'^2 = (4/pi) e, erf' erf'' = -(8/pi) x e, erf''^2 =
			// (16/pi) x^2 e with e = exp(-2 w^2 u^2): given w, every term
			// is a polynomial in u times e, and E_u[u^2k e] =
			// M_k = c0 tau^k (2k-1)!!, c0 = (1+4qw^2)^(-1/2), tau = q/(1+4qw^2).
			c0, tau := 1/math.Sqrt(1+4*q*w2), q/(1+4*q*w2)
			M0, M1, M2, M3 := c0, c0*tau, 3*c0*tau*tau, 15*c0*tau*tau*tau
			T1 := 4 / math.Pi * ((4*g*g*w2/(q*q)+s2)*M1 + (s2*w2+4*g*g)*M0) // erf'^2 (r^2 + s2 s + 4 g^2)
			T2 := -16 / math.Pi * (-2*g*g/q*w2*(M2+w2*M1) + 4*g*g*w2*M1)    // 2 erf' erf'' (g s r + 4 x g^2)
			T3 := 48 * g * g / math.Pi * w2 * (M3 + 2*w2*M2 + w2*w2*M1)     // 3 g^2 erf''^2 s^2
			da += wt * (T1 + T2 + T3)
		}
		if relDiff(erf[0], pp) > 1e-11 || relDiff(erf[1], g*dv) > 1e-11 || relDiff(erf[2], da) > 1e-11 {
			t.Errorf("erf q %v: E[phi^2] %v (oracle %v), E[phi'^2 h'^2] %v (oracle %v), E[(phi' h'' + phi'' h'^2)^2] %v (oracle %v)", q, erf[0], pp, erf[1], g*dv, erf[2], da)
		}
	}
	if _, err := mustModel(t, "hard-tanh", 1, 0, Options{}).productMoments(jetLaw{product: true, q: 1, g: 1, a: 1}, true); err == nil {
		t.Error("hard-tanh after a product layer: no error")
	}
}

// TestStackCircleDenseEqualsCircle: with every layer dense, StackCircle is
// Poole's recursion (Circle) and StackFixedPoint is FixedLength with
// Chi1(q*), to 1e-12 (same integrals, reassociated).
func TestStackCircleDenseEqualsCircle(t *testing.T) {
	for _, name := range []string{"tanh", "relu"} {
		m := mustModel(t, name, 1.3, 0.3, Options{})
		kinds := make([]layerkind.Kind, 8)
		want, err := m.Circle(0.8, 8)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.StackCircle(0.8, kinds)
		if err != nil {
			t.Fatal(err)
		}
		for l := range want {
			w, g := want[l], got[l]
			for _, p := range [][2]float64{{g.Q, w.Q}, {g.Gbar, w.Gbar}, {g.Kbar, w.Kbar}, {g.GrassmannLength, w.GrassmannLength}, {g.Length, w.Length}} {
				if relDiff(p[0], p[1]) > 1e-12 {
					t.Errorf("%s layer %d: StackCircle %+v, Circle %+v", name, l, g, w)
					break
				}
			}
		}
		fp, _ := m.FixedLength(1)
		chi, _ := m.Chi1(fp.Q)
		o, err := m.StackFixedPoint([]layerkind.Kind{layerkind.Dense}, 1)
		if err != nil || relDiff(o.Q[0], fp.Q) > 1e-12 || relDiff(o.MeanChi1, chi) > 1e-12 {
			t.Errorf("%s: StackFixedPoint q %v chi %v (%v); FixedLength %v, Chi1 %v", name, o.Q, o.MeanChi1, err, fp.Q, chi)
		}
	}
}

// TestStackCircleProductClosedForm: one product layer with linear activation
// on a great circle of length q0: per neuron u = A cos + B sin + beta with
// E[A^2] = E[B^2] = alpha = sigma_w^2 q0, E[beta^2] = sigma_b^2 (w alike,
// independent), so at theta = 0 by direct expansion of polynomial moments
// q = q_f^2 (q_f = alpha + sigma_b^2), gbar = E[(B w + u D)^2] = 2 q_f alpha
// and abar = E[(-A w + 2 B D - u C)^2] = 2 q_f alpha + 6 alpha^2, so
// kbar^2 = abar/gbar^2. At sigma_b = 0 this is kbar^2 = 2/q_f^2: the image is
// a circle of radius^2/N = q_f^2/2 traversed twice. Exact arithmetic: 1e-13.
func TestStackCircleProductClosedForm(t *testing.T) {
	for _, sb := range []float64{0, 0.6} {
		const sw, q0 = 1.4, 0.7
		m := mustModel(t, "linear", sw, sb, Options{})
		got, err := m.StackCircle(q0, []layerkind.Kind{layerkind.Product})
		if err != nil {
			t.Fatal(err)
		}
		alpha := sw * sw * q0
		qf := alpha + sb*sb
		g, a := 2*qf*alpha, 2*qf*alpha+6*alpha*alpha
		l1 := got[1]
		if relDiff(l1.Q, qf*qf) > 1e-13 || relDiff(l1.Gbar, g) > 1e-13 || relDiff(l1.Kbar, math.Sqrt(a)/g) > 1e-13 {
			t.Errorf("sigma_b %v: layer 1 %+v; want q %v gbar %v kbar %v", sb, l1, qf*qf, g, math.Sqrt(a)/g)
		}
		if sb == 0 && relDiff(l1.Kbar, math.Sqrt(2)/qf) > 1e-13 {
			t.Errorf("sigma_b 0: kbar %v, want sqrt(2)/q_f = %v", l1.Kbar, math.Sqrt(2)/qf)
		}
	}
}

// TestStackFixedPointOrbit: the orbit returned is a fixed point of the
// period map (running the pattern once more from it reproduces every length
// to 1e-11, and 60 plain periods from q0 = 1 reach it), and in the pattern [dense, product] the product layer, whose
// input is Gaussian, has chi_1 = ProductChi1 at the dense layer's length
// and the dense layer chi_1 = sigma_w^2 E[phi'(h)^2 h'^2]/gbar at the
// product law (checked by its linear-activation value sigma_w^2).
func TestStackFixedPointOrbit(t *testing.T) {
	m := mustModel(t, "tanh", 2.2, 0.3, Options{})
	pat := []layerkind.Kind{layerkind.Dense, layerkind.Product, layerkind.Product}
	o, err := m.StackFixedPoint(pat, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Plain iteration of 60 periods (StackLengths) lands on the same
	// orbit as the accelerated solver (the maps contract; 1e-10).
	var many []layerkind.Kind
	for i := 0; i < 60; i++ {
		many = append(many, pat...)
	}
	qs, err := m.StackLengths(1, many)
	if err != nil {
		t.Fatal(err)
	}
	for k := range pat {
		if got := qs[len(qs)-3+k]; relDiff(got, o.Q[k]) > 1e-10 {
			t.Errorf("layer %d of the period: 60 periods give q %v, the orbit %v", k, got, o.Q[k])
		}
	}
	// Continue from the orbit: the law entering the period is the product
	// law whose factor length gives Q[2] = q_f^2.
	in := jetLaw{product: true, q: math.Sqrt(o.Q[2])}
	for k, kind := range pat {
		if in, err = m.next(in, kind, true); err != nil {
			t.Fatal(err)
		}
		q, _, _ := in.stats()
		if relDiff(q, o.Q[k]) > 1e-11 {
			t.Errorf("layer %d of the period: the orbit has q %v, one more period gives %v", k, o.Q[k], q)
		}
	}
	o2, err := m.StackFixedPoint([]layerkind.Kind{layerkind.Dense, layerkind.Product}, 1)
	if err != nil {
		t.Fatal(err)
	}
	pc, _ := m.ProductChi1(o2.Q[0])
	if relDiff(o2.Chi1[1], pc) > 1e-10 {
		t.Errorf("[dense product]: product layer chi_1 %v, ProductChi1(q_dense) %v", o2.Chi1[1], pc)
	}
	lin := mustModel(t, "linear", 0.5, 0.3, Options{})
	o3, err := lin.StackFixedPoint([]layerkind.Kind{layerkind.Product, layerkind.Dense}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if relDiff(o3.Chi1[1], 0.25) > 1e-12 {
		t.Errorf("linear [product dense]: dense chi_1 %v, want sigma_w^2 = 0.25", o3.Chi1[1])
	}
}

// TestStackCorrelationTrajectory: through [dense, product] the trajectory
// is CovarianceMap then ProductCovarianceMap by hand (1e-13); for a linear
// activation any stack is allowed and a product layer squares the
// covariances (closed form: one layer c' = (sw^2 c q + sb^2)^2/(sw^2 q + sb^2)^2);
// a nonlinear layer after a product layer is an error.
func TestStackCorrelationTrajectory(t *testing.T) {
	m := mustModel(t, "tanh", 2, 0.3, Options{})
	got, err := m.StackCorrelationTrajectory(0.9, 0.4, []layerkind.Kind{layerkind.Dense, layerkind.Product})
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := m.CovarianceMap(Cov{0.9, 0.9, 0.36})
	c2, _ := m.ProductCovarianceMap(c1)
	if !(math.Abs(got[1]-c1.Corr()) <= 1e-13) || !(math.Abs(got[2]-c2.Corr()) <= 1e-13) {
		t.Errorf("trajectory %v, by hand %v %v", got, c1.Corr(), c2.Corr())
	}
	lin := mustModel(t, "linear", 1.2, 0.5, Options{})
	lt, err := lin.StackCorrelationTrajectory(2, -0.3, []layerkind.Kind{layerkind.Product, layerkind.Product})
	if err != nil {
		t.Fatal(err)
	}
	q1, q12 := 1.44*2+0.25, 1.44*(-0.6)+0.25
	if want := q12 * q12 / (q1 * q1); !(math.Abs(lt[1]-want) <= 1e-13) {
		t.Errorf("linear product layer: c^1 = %v, want %v", lt[1], want)
	}
	if _, err := m.StackCorrelationTrajectory(0.9, 0.4, []layerkind.Kind{layerkind.Product, layerkind.Dense}); err == nil || !strings.Contains(err.Error(), "follows a product layer") {
		t.Errorf("tanh dense after product: error %v", err)
	}
	if _, err := m.StackCircle(0.9, []layerkind.Kind{layerkind.Kind(5)}); err == nil {
		t.Error("unknown kind: no error")
	}
	if _, err := m.StackCircle(0.9, []layerkind.Kind{layerkind.Dense, layerkind.Attention}); err == nil || !strings.Contains(err.Error(), "layer 2 is attention") {
		t.Errorf("attention layer: error %v; want one naming layer 2 and its kind", err)
	}
	relu := mustModel(t, "relu", 2, 0.5, Options{})
	if _, err := relu.StackFixedPoint([]layerkind.Kind{layerkind.Product}, 1); !errors.Is(err, ErrNoFixedPoint) {
		t.Errorf("relu product layers (q_f' = 2 q_f^2 + 1/4 has no fixed point): error %v, want ErrNoFixedPoint", err)
	}
}

// TestSigmaWForChi1: for dense tanh layers the sigma_w at chi_1 = 1 is the
// package's CriticalSigmaW (an independent bracket-and-bisect on Chi1 at
// q*; 1e-9 relative); for product and mixed patterns the returned sigma_w
// gives chi_1 = target at its orbit (1e-8); a target inside the product
// layers' jump is refused with an error that says so.
func TestSigmaWForChi1(t *testing.T) {
	tanh := mustAct(t, "tanh")
	crit, err := CriticalSigmaW(tanh, 0.3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sw, o, err := SigmaWForChi1(tanh, 0.3, []layerkind.Kind{layerkind.Dense}, 1, Options{})
	if err != nil || relDiff(sw, crit) > 1e-9 || relDiff(o.MeanChi1, 1) > 1e-9 {
		t.Errorf("dense chi_1 = 1: sigma_w %v (chi %v, %v); CriticalSigmaW %v", sw, o.MeanChi1, err, crit)
	}
	for _, pat := range [][]layerkind.Kind{{layerkind.Product}, {layerkind.Dense, layerkind.Product}} {
		sw, o, err := SigmaWForChi1(tanh, 0.3, pat, 4, Options{})
		if err != nil {
			t.Fatal(err)
		}
		m := mustModel(t, "tanh", sw, 0.3, Options{})
		o2, err := m.StackFixedPoint(pat, 1)
		if err != nil || relDiff(o2.MeanChi1, 4) > 1e-8 || relDiff(o.MeanChi1, 4) > 1e-8 {
			t.Errorf("%v: sigma_w %v gives chi_1 %v (reported %v, %v); want 4", pat, sw, o2.MeanChi1, o.MeanChi1, err)
		}
	}
	// Pure product tanh layers at sigma_b = 0.3 jump from chi_1 0.875 to
	// 1.887 at sigma_w = 1.7583 (the small-length orbit disappears).
	if _, _, err := SigmaWForChi1(tanh, 0.3, []layerkind.Kind{layerkind.Product}, 1.5, Options{}); err == nil || !strings.Contains(err.Error(), "jumps") {
		t.Errorf("product chi_1 = 1.5 (inside the jump): error %v", err)
	}
	for _, bad := range []float64{-1, 0, math.Inf(1), math.NaN()} {
		if _, _, err := SigmaWForChi1(tanh, 0.3, []layerkind.Kind{layerkind.Dense}, bad, Options{}); err == nil {
			t.Errorf("target %v: no error", bad)
		}
	}
}

// TestStackOrbitMeanChi1: MeanChi1 is the geometric mean of the per-layer
// Chi1 over the pattern (here of three layers, whose chi_1 differ), and
// correlations +-1 are valid inputs of the stack's trajectory; the error
// for a nonlinear layer after a product layer names that layer (counted
// from 1).
func TestStackOrbitMeanChi1(t *testing.T) {
	m := mustModel(t, "tanh", 1.6, 0.3, Options{})
	pat := []layerkind.Kind{layerkind.Dense, layerkind.Product, layerkind.Dense}
	o, err := m.StackFixedPoint(pat, 1)
	if err != nil {
		t.Fatal(err)
	}
	prod := 1.0
	for _, c := range o.Chi1 {
		prod *= c
	}
	if want := math.Cbrt(prod); len(o.Chi1) != 3 || relDiff(o.MeanChi1, want) > 1e-14 || relDiff(o.Chi1[0], o.Chi1[1]) < 1e-3 {
		t.Errorf("chi_1 per layer %v, mean %v; want the geometric mean %v of differing values", o.Chi1, o.MeanChi1, math.Cbrt(prod))
	}
	for _, c0 := range []float64{-1, 1} {
		if cs, err := m.StackCorrelationTrajectory(0.9, c0, []layerkind.Kind{layerkind.Dense}); err != nil || len(cs) != 2 {
			t.Errorf("c0 = %v: %v, %v", c0, cs, err)
		}
	}
	_, err = m.StackCorrelationTrajectory(0.9, 0.4, []layerkind.Kind{layerkind.Dense, layerkind.Product, layerkind.Dense})
	if err == nil || !strings.Contains(err.Error(), "layer 3 follows a product layer") {
		t.Errorf("dense after product at layer 3: error %v", err)
	}
}
