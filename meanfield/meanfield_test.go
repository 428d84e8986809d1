package meanfield

import (
	"errors"
	"math"
	"testing"
)

func finite(t *testing.T, what string, xs ...float64) {
	t.Helper()
	for _, x := range xs {
		if math.IsNaN(x) {
			t.Errorf("%s: NaN in %v", what, xs)
		}
	}
}

// TestZeroFixedPoint: tanh with sigma_b = 0 has q = 0 as a fixed point with
// V'(0) = sigma_w^2 phi'(0)^2 = sigma_w^2; V is concave, so for sigma_w <= 1
// the iteration falls into q* = 0 exactly. There chi_1 = sigma_w^2 exactly
// (phi'(0) = 1), chi_2 = sigma_w^2 phi^(2)(0)^2 = 0, xi_q = xi_c = -1/log
// sigma_w^2, c* = 1 by convention, and at sigma_w = 1 both depth scales are
// +Inf (critical) rather than an overflow or NaN; q^l ~ 1/(2l) there, so the
// layer count exceeds MaxIter (-1).
func TestZeroFixedPoint(t *testing.T) {
	for _, sw := range []float64{0.5, 0.9, 1} {
		s, err := mustModel(t, "tanh", sw, 0, Options{}).Analyze(1)
		if err != nil {
			t.Fatal(err)
		}
		finite(t, "tanh sb=0", s.QStar, s.CStar, s.Chi1, s.Chi2, s.XiQ, s.XiC)
		if s.QStar != 0 || s.Chi1 != sw*sw || s.Chi2 != 0 || s.CStar != 1 {
			t.Errorf("sw=%g: q* = %g, chi1 = %.17g (want %g), chi2 = %g, c* = %g", sw, s.QStar, s.Chi1, sw*sw, s.Chi2, s.CStar)
		}
		wantXi := -1 / math.Log(sw*sw)
		if sw == 1 {
			wantXi = math.Inf(1)
			if s.Phase != Critical || s.Iterations != -1 {
				t.Errorf("sw=1: phase %v, iterations %d", s.Phase, s.Iterations)
			}
		} else if s.Phase != Ordered {
			t.Errorf("sw=%g: phase %v", sw, s.Phase)
		}
		if s.XiC != wantXi || s.XiQ != wantXi {
			t.Errorf("sw=%g: xi_c = %g, xi_q = %g, want %g", sw, s.XiC, s.XiQ, wantXi)
		}
	}
	// Just above sigma_w = 1 the fixed point is positive: from the tanh series
	// V(q) = sigma_w^2 (q - 2q^2 + O(q^3)), q* ~ (1 - 1/sigma_w^2)/2 = 0.00985
	// at sigma_w = 1.01 (the O(q^3) term shifts it by ~5%).
	s, err := mustModel(t, "tanh", 1.01, 0, Options{}).Analyze(1)
	if err != nil || s.QStar < 0.009 || s.QStar > 0.011 || s.Chi1 < 1 {
		t.Errorf("sw=1.01: q* = %g, chi1 = %g, err %v", s.QStar, s.Chi1, err)
	}
}

// TestNoFixedPoint: relu at sigma_w^2 > 2 and linear at sigma_w > 1 (or at
// sigma_w = 1 with sigma_b > 0, where q grows linearly) have no finite fixed
// point: the error matches ErrNoFixedPoint and is a *NoFixedPointError. At
// relu sigma_w^2 = 2, sigma_b = 0 (and linear sigma_w = 1, sigma_b = 0) every
// q is fixed: q* is the input q0, exactly.
func TestNoFixedPoint(t *testing.T) {
	relu, lin := mustAct(t, "relu"), mustAct(t, "linear")
	for _, c := range []struct {
		m  *Model
		ok bool
	}{
		{must(NewVar(relu, 2.2, 0.1, Options{})), false},
		{must(NewVar(relu, 2, 0.1, Options{})), false},
		{must(NewVar(relu, 4, 0, Options{})), false},
		{must(NewVar(lin, 1.01, 0, Options{})), false},
		{must(NewVar(lin, 1, 0.5, Options{})), false},
		{must(NewVar(relu, 2, 0, Options{})), true},
		{must(NewVar(lin, 1, 0, Options{})), true},
	} {
		fp, err := c.m.FixedLength(3.7)
		if c.ok {
			if err != nil || fp.Q != 3.7 || fp.Iterations != 0 || fp.Slope != 1 {
				t.Errorf("%s sw2=%g sb2=%g: %+v, %v; want q* = 3.7 exactly", c.m.Activation(), c.m.SigmaW2(), c.m.SigmaB2(), fp, err)
			}
			continue
		}
		var nfp *NoFixedPointError
		if !errors.Is(err, ErrNoFixedPoint) || !errors.As(err, &nfp) {
			t.Errorf("%s sw2=%g sb2=%g: err = %v, want ErrNoFixedPoint", c.m.Activation(), c.m.SigmaW2(), c.m.SigmaB2(), err)
		}
	}
}

func must(m *Model, err error) *Model {
	if err != nil {
		panic(err)
	}
	return m
}

// TestCStarOnlyFixedPoint: in the ordered phase (chi_1 < 1) the C-map's only
// fixed point in [0, 1] is c = 1: c* = 1 and xi_c = -1/log chi_1, and
// C(c) > c at sample points (checked with the C-map itself). At the critical
// point relu sigma_w^2 = 2, sigma_b = 0 (chi_1 = 1 exactly), c* = 1 and
// xi_c = xi_q = +Inf.
func TestCStarOnlyFixedPoint(t *testing.T) {
	m := mustModel(t, "tanh", 1.3, 0.3, Options{})
	s, err := m.Analyze(1)
	if err != nil {
		t.Fatal(err)
	}
	if s.CStar != 1 || s.Chi1 >= 1 || s.XiC != -1/math.Log(s.Chi1) || s.Phase != Ordered {
		t.Errorf("ordered tanh: %+v", s)
	}
	for _, c := range []float64{0, 0.3, 0.9, 0.999} {
		cn, err := m.CMap(s.QStar, c)
		if err != nil || cn <= c {
			t.Errorf("C(%g) = %g (err %v): want > c", c, cn, err)
		}
	}
	r, err := must(NewVar(mustAct(t, "relu"), 2, 0, Options{})).Analyze(1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Chi1 != 1 || r.CStar != 1 || !math.IsInf(r.XiC, 1) || !math.IsInf(r.XiQ, 1) || r.Phase != Critical {
		t.Errorf("critical relu: %+v", r)
	}
}

// TestChaoticCStar: in the chaotic phase c* is a fixed point of the C-map
// (checked by evaluating CMap at q*, c*, to 1e-10), C'(c*) < 1, and the
// two-input trajectory from c0 = 0.2, 0.5, 0.8 converges to it (rate
// C'(c*) ~ 0.82 per layer: 200 layers leave 1e-17). For odd phi at sigma_b = 0,
// c* = 0 exactly.
func TestChaoticCStar(t *testing.T) {
	m := mustModel(t, "tanh", 2.5, 0.3, Options{})
	s, err := m.Analyze(1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != Chaotic || s.CStar <= 0 || s.CStar >= 1 || s.CMapSlope >= 1 {
		t.Fatalf("%+v", s)
	}
	cn, _ := m.CMap(s.QStar, s.CStar)
	if !(math.Abs(cn-s.CStar) <= 1e-10) {
		t.Errorf("C(c*) - c* = %g", cn-s.CStar)
	}
	for _, c0 := range []float64{0.2, 0.5, 0.8} {
		tr, err := m.CorrelationTrajectory(s.QStar, c0, 200)
		if err != nil {
			t.Fatal(err)
		}
		if !(math.Abs(tr[200]-s.CStar) <= 1e-10) || tr[0] != c0 {
			t.Errorf("c0=%g: c^200 = %.15g, c* = %.15g", c0, tr[200], s.CStar)
		}
	}
	z, err := mustModel(t, "tanh", 2, 0, Options{}).Analyze(1)
	if err != nil || z.CStar != 0 {
		t.Errorf("tanh sw=2 sb=0: c* = %v, err %v, want 0", z.CStar, err)
	}
}

// TestBadParameters: negative or non-finite parameters and inputs are
// errors, never panics or NaN.
func TestBadParameters(t *testing.T) {
	act := mustAct(t, "tanh")
	nan, inf := math.NaN(), math.Inf(1)
	for _, p := range [][2]float64{{-1, 0}, {1, -0.1}, {nan, 0}, {1, inf}, {inf, 1}} {
		if _, err := New(act, p[0], p[1], Options{}); err == nil {
			t.Errorf("New(%v) succeeded", p)
		}
		if _, err := NewVar(act, p[0], p[1], Options{}); err == nil {
			t.Errorf("NewVar(%v) succeeded", p)
		}
		if _, err := PhaseGrid(act, []float64{p[0]}, []float64{p[1]}, Options{}); err == nil {
			t.Errorf("PhaseGrid(%v) succeeded", p)
		}
	}
	for _, sb := range []float64{-1, nan, inf} {
		if _, err := CriticalSigmaW(act, sb, Options{}); err == nil {
			t.Errorf("CriticalSigmaW(%g) succeeded", sb)
		}
	}
	m := mustModel(t, "tanh", 1, 0.1, Options{})
	for _, q := range []float64{-1, nan, inf} {
		if _, err := m.FixedLength(q); err == nil {
			t.Errorf("FixedLength(%g) succeeded", q)
		}
		if _, err := m.LengthMap(q); err == nil {
			t.Errorf("LengthMap(%g) succeeded", q)
		}
	}
	if _, _, _, err := m.Expect2(1, 1, 1.5); err == nil {
		t.Error("Expect2 with |q12| > sqrt(q11 q22) succeeded")
	}
	if _, err := m.Circle(0, 5); err == nil {
		t.Error("Circle(q0 = 0) succeeded")
	}
	if _, err := m.CMap(1, 1.5); err == nil {
		t.Error("CMap(c = 1.5) succeeded")
	}
	if _, err := New(act, 1, 0, Options{Tol: 1e-20}); err == nil {
		t.Error("Tol = 1e-20 accepted")
	}
}

// TestErfCritical: the erf critical point at sigma_b = 0 is sigma_w^2 = pi/4
// (chi_1 = sigma_w^2 4/pi at q* = 0), to 1e-10; at sigma_b > 0 the returned
// sigma_w gives chi_1 = 1 by the closed forms (q* solved by bisection on the
// closed-form length map), to 1e-9: the bisection's bracket is 1e-12 wide and
// chi_1 is accurate to 1e-10.
func TestErfCritical(t *testing.T) {
	act := mustAct(t, "erf")
	sw, err := CriticalSigmaW(act, 0, Options{})
	if err != nil || !(math.Abs(sw*sw-math.Pi/4) <= 1e-10) {
		t.Errorf("erf critical sigma_w^2 = %.15g, want pi/4 = %.15g (err %v)", sw*sw, math.Pi/4, err)
	}
	for _, sb := range []float64{0.1, 0.5, 1.5} {
		sw, err := CriticalSigmaW(act, sb, Options{})
		if err != nil {
			t.Fatal(err)
		}
		sw2, sb2 := sw*sw, sb*sb
		q := bisect(func(q float64) float64 { return sw2*ErfKernel(q, q, q) + sb2 - q }, 1e-12, 100)
		if chi := sw2 * ErfDerivKernel(q, q, q); !(math.Abs(chi-1) <= 1e-9) {
			t.Errorf("sb=%g: chi_1 at the critical sigma_w %.12g is %.15g", sb, sw, chi)
		}
	}
}

// TestTanhCriticalCurve: the tanh critical sigma_w is exactly 1 at
// sigma_b = 0 (1/phi'(0)) and rises strictly with sigma_b (Poole's and
// Schoenholz's phase diagrams); at sigma_b = 0.3 it lies near 1.4 (Poole:
// "the boundary at sigma_b = 0.3 lies near sigma_w = 1.4"), and chi_1 = 1
// there to 1e-9 when recomputed from a fresh model.
func TestTanhCriticalCurve(t *testing.T) {
	act := mustAct(t, "tanh")
	sbs := linspace(0, 2, 21)
	curve, err := CriticalCurve(act, sbs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if curve[0] != 1 {
		t.Errorf("critical sigma_w at sigma_b = 0 is %.17g, want 1", curve[0])
	}
	for i := 1; i < len(curve); i++ {
		if !(curve[i] > curve[i-1]) {
			t.Errorf("not rising: sigma_b %g -> %g: %g -> %g", sbs[i-1], sbs[i], curve[i-1], curve[i])
		}
	}
	sw, _ := CriticalSigmaW(act, 0.3, Options{})
	if sw < 1.35 || sw > 1.45 {
		t.Errorf("critical sigma_w at sigma_b = 0.3 is %g, want near 1.4", sw)
	}
	m := mustModel(t, "tanh", sw, 0.3, Options{})
	fp, _ := m.FixedLength(1)
	if chi, _ := m.Chi1(fp.Q); !(math.Abs(chi-1) <= 1e-9) {
		t.Errorf("chi_1 at the critical point = %.15g", chi)
	}
}

// TestReLUPowerLaw: at sigma_w^2 = 2, sigma_b = 0 relu's C-map has c = 1 as
// a marginal fixed point and delta_l = 1 - c^l follows 9 pi^2/(2 l^2). With
// k = 2 sqrt2/(3 pi), delta' = delta - k delta^{3/2} (1 + O(delta)), so
// y = delta^{-1/2} grows by k/2 + 3k/(4l) + ... per layer and
// delta_l (2 l^2)/(9 pi^2) = 1 - 3 ln(l)/l + O(1/l). Asserted at l = 2e4: the
// per-layer growth of y equals k/2 to 2/l (its 3/(2l) correction plus
// margin), the ratio is within 4 ln(l)/l of 1, and the trajectory through the
// exact bivariate-normal integrals agrees with the closed-form recursion
// (ReLUOneMinusC, free of cancellation) to 1e-6 relative.
func TestReLUPowerLaw(t *testing.T) {
	m := must(NewVar(mustAct(t, "relu"), 2, 0, Options{}))
	const L = 20000
	tr, err := m.CorrelationTrajectory(1, 0, L)
	if err != nil {
		t.Fatal(err)
	}
	d := 1.0
	for l := 1; l <= L; l++ {
		d = ReLUOneMinusC(d)
	}
	got := 1 - tr[L]
	if relDiff(got, d) > 1e-6 {
		t.Errorf("1 - c^%d = %.10g, closed-form recursion %.10g", L, got, d)
	}
	k := 2 * math.Sqrt2 / (3 * math.Pi)
	y1, y0 := 1/math.Sqrt(1-tr[L]), 1/math.Sqrt(1-tr[L-1])
	if g := (y1 - y0) / (k / 2); !(math.Abs(g-1) <= 2.0/L) {
		t.Errorf("growth of delta^-1/2 per layer / (k/2) = %.8g, want 1 within %g", g, 2.0/L)
	}
	ratio := got * 2 * L * L / (9 * math.Pi * math.Pi)
	if !(math.Abs(ratio-1) <= 4*math.Log(L)/L) {
		t.Errorf("(1 - c^l) 2 l^2 / (9 pi^2) = %.6g at l = %d", ratio, L)
	}
	t.Logf("l = %d: 1 - c^l = %.6g, 9 pi^2/(2 l^2) = %.6g, ratio %.6f", L, got, 9*math.Pi*math.Pi/(2*L*L), ratio)
}

// TestCircleEq8 checks the eq.-8 predictions against their own closed
// consequences (docs/science.md section 3):
//   - layer 0 is the input circle: gbar = q0, kbar = 1/sqrt(q0), L^G = 2 pi;
//   - chaotic (tanh sigma_w = 4, sigma_b = 0.3, q0 = q*): gbar grows by chi_1
//     per layer, kbar^2 -> 3 chi_2/(chi_1 (chi_1 - 1)) (geometric rate
//     1/chi_1; after 60 layers the remainder is < 1e-20) and L^G grows by
//     sqrt(chi_1) per layer, to 1e-12;
//   - ordered (sigma_w = 1.3): P_l = gbar kbar^2 obeys P_{l+1} = P_l + 3 chi_2
//     q* chi_1^{l-2}, so L^G saturates at 2 pi sqrt(1 + 3 chi_2 q*/(chi_1 (1 -
//     chi_1))); after 800 layers (chi_1^800 ~ 3e-22) to 1e-10;
//   - transient q0 != q*: layer 2 uses chi_1 at q0.
func TestCircleEq8(t *testing.T) {
	m := mustModel(t, "tanh", 4, 0.3, Options{})
	s, err := m.Analyze(1)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := m.Circle(s.QStar, 60)
	if err != nil {
		t.Fatal(err)
	}
	l1 := ls[0]
	if l1.Layer != 0 || l1.Gbar != s.QStar || relDiff(l1.Kbar, 1/math.Sqrt(s.QStar)) > 1e-15 || relDiff(l1.GrassmannLength, 2*math.Pi) > 1e-15 || relDiff(l1.Length, 2*math.Pi*math.Sqrt(s.QStar)) > 1e-15 {
		t.Errorf("layer 0 (the input) = %+v", l1)
	}
	for i := 1; i < len(ls); i++ {
		if relDiff(ls[i].Gbar/ls[i-1].Gbar, s.Chi1) > 1e-12 || relDiff(ls[i].Q, s.QStar) > 1e-12 {
			t.Errorf("layer %d: gbar ratio %g, chi1 %g, q %g", i, ls[i].Gbar/ls[i-1].Gbar, s.Chi1, ls[i].Q)
		}
	}
	last, prev := ls[59], ls[58]
	if k2 := 3 * s.Chi2 / (s.Chi1 * (s.Chi1 - 1)); relDiff(last.Kbar*last.Kbar, k2) > 1e-12 {
		t.Errorf("kbar^2 = %.15g, want 3 chi2/(chi1(chi1-1)) = %.15g", last.Kbar*last.Kbar, k2)
	}
	if relDiff(last.GrassmannLength/prev.GrassmannLength, math.Sqrt(s.Chi1)) > 1e-12 {
		t.Errorf("L^G ratio %.15g, sqrt(chi1) %.15g", last.GrassmannLength/prev.GrassmannLength, math.Sqrt(s.Chi1))
	}

	mo := mustModel(t, "tanh", 1.3, 0.3, Options{})
	so, _ := mo.Analyze(1)
	lo, err := mo.Circle(so.QStar, 800)
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * math.Pi * math.Sqrt(1+3*so.Chi2*so.QStar/(so.Chi1*(1-so.Chi1)))
	if g := lo[799].GrassmannLength; relDiff(g, want) > 1e-10 {
		t.Errorf("ordered L^G saturates at %.15g, want %.15g", g, want)
	}

	lt, _ := m.Circle(1, 3)
	chiAt1, _ := m.Chi1(1)
	if relDiff(lt[1].Gbar, chiAt1) > 1e-14 {
		t.Errorf("transient: gbar^2 = %g, want chi_1(q0 = 1) = %g", lt[1].Gbar, chiAt1)
	}
}

// TestPhaseGridMatchesAnalyze: each grid point equals Analyze at the same
// parameters (the grid only warm-starts Newton's method and skips error
// estimates; c* and xi_c agree to 1e-9), and for relu the points past
// sigma_w^2 = 2 are Unbounded with q* = +Inf and no NaN anywhere.
func TestPhaseGridMatchesAnalyze(t *testing.T) {
	act := mustAct(t, "tanh")
	sw, sb := []float64{1, 1.5, 2.5, 4}, []float64{0, 0.3, 2}
	g, err := PhaseGrid(act, sw, sb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range sb {
		for j := range sw {
			p := g[i][j]
			s, err := mustModel(t, "tanh", sw[j], sb[i], Options{}).Analyze(1)
			if err != nil {
				t.Fatal(err)
			}
			if p.SigmaW != sw[j] || p.SigmaB != sb[i] || p.QStar != s.QStar || p.Chi1 != s.Chi1 || p.Phase != s.Phase ||
				!(math.Abs(p.CStar-s.CStar) <= 1e-9) || relDiff(p.XiC, s.XiC) > 1e-9 && !(math.IsInf(p.XiC, 1) && math.IsInf(s.XiC, 1)) {
				t.Errorf("(%g, %g): grid %+v, analyze %+v", sw[j], sb[i], p.Summary, s)
			}
		}
	}
	gr, err := PhaseGrid(mustAct(t, "relu"), []float64{1, 1.5, 2}, []float64{0, 0.5}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range gr {
		for _, p := range row {
			finite(t, "relu grid", p.QStar, p.CStar, p.Chi1, p.Chi2, p.XiQ, p.XiC, p.LengthSlope, p.CMapSlope)
			unb := p.SigmaW*p.SigmaW > 2
			if unb != (p.Phase == Unbounded) || unb && (!math.IsInf(p.QStar, 1) || p.Chi1 != p.SigmaW*p.SigmaW/2) {
				t.Errorf("relu (%g, %g): %+v", p.SigmaW, p.SigmaB, p.Summary)
			}
		}
	}
}

// TestTrajectoryEdges: the documented edges of Circle and
// CorrelationTrajectory. Zero layers give the input alone; c0 = +-1 are
// valid correlations (identical or opposite inputs); where both inputs
// have length 0 (tanh, sigma_b = 0, q0 = 0: every layer maps 0 to 0) the
// correlation is undefined and is carried unchanged, not turned into NaN.
func TestTrajectoryEdges(t *testing.T) {
	m := mustModel(t, "tanh", 1.5, 0.3, Options{})
	if c, err := m.Circle(1, 0); err != nil || len(c) != 1 || c[0].Q != 1 {
		t.Errorf("Circle with 0 layers: %+v, %v; want the input circle alone", c, err)
	}
	if cs, err := m.CorrelationTrajectory(1, 0.5, 0); err != nil || len(cs) != 1 || cs[0] != 0.5 {
		t.Errorf("0 layers: %v, %v; want [0.5]", cs, err)
	}
	for _, c0 := range []float64{1, -1} {
		cs, err := m.CorrelationTrajectory(1, c0, 3)
		if err != nil || len(cs) != 4 {
			t.Errorf("c0 = %v: %v, %v; want 4 correlations", c0, cs, err)
		}
	}
	// c0 = 1: both inputs are one point, and stay one (C(1) = 1, to the
	// quadrature's 1e-10).
	if cs, _ := m.CorrelationTrajectory(1, 1, 3); !(math.Abs(cs[3]-1) <= 1e-10) {
		t.Errorf("c0 = 1: c^3 = %v, want 1", cs[3])
	}
	z := mustModel(t, "tanh", 1.5, 0, Options{})
	cs, err := z.CorrelationTrajectory(0, 0.3, 3)
	if err != nil {
		t.Fatal(err)
	}
	for l, c := range cs {
		if c != 0.3 {
			t.Errorf("q0 = 0: c^%d = %v, want 0.3 carried through", l, c)
		}
	}
}
