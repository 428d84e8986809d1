package spinglass

import (
	"math"
	"testing"
)

// TestEInf: E_inf = 2 sqrt((p-1)/p) (ABC 2013), the closed form at p = 2, 3,
// 4 to rounding (1e-15): sqrt 2, 2 sqrt(2/3) = 1.6329931618554521, sqrt 3.
func TestEInf(t *testing.T) {
	for p, want := range map[int]float64{2: math.Sqrt2, 3: 1.6329931618554521, 4: math.Sqrt(3)} {
		if got := EInf(p); !(math.Abs(got-want) <= 1e-15) {
			t.Errorf("EInf(%d) = %.17g, want %.17g", p, got, want)
		}
	}
	if !math.IsNaN(EInf(1)) {
		t.Error("EInf(1) should be NaN")
	}
}

// TestE0 is the check: the zero of Theta_0 for p = 3 is -E0 with E0
// = 1.657 (ABC 2013, below their Theorem 2.8) to 1e-4. E_k decreases with k
// and stays above E_inf (Theta_k decreases in k below -E_inf), and for p = 2
// (no exponential complexity) every E_k is E_inf.
func TestE0(t *testing.T) {
	e0, err := Ek(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(e0-1.657) <= 1e-4) {
		t.Errorf("E0(p=3) = %.6f, want 1.657 to 1e-4", e0)
	}
	// Theta_0 vanishes at -E0 to the bisection's precision.
	if th := Theta(3, 0, -e0); !(math.Abs(th) <= 1e-12) {
		t.Errorf("Theta_0(-E0) = %g, want 0", th)
	}
	for _, p := range []int{3, 4, 5} {
		prev := math.Inf(1)
		for k := range 6 {
			ek, err := Ek(p, k)
			if err != nil {
				t.Fatal(err)
			}
			if !(ek < prev && ek > EInf(p)) {
				t.Errorf("p=%d: E_%d = %.8f; want E_inf = %.8f < E_k < E_{k-1} = %.8f", p, k, ek, EInf(p), prev)
			}
			prev = ek
		}
	}
	if e, _ := Ek(2, 3); e != EInf(2) {
		t.Errorf("Ek(2, 3) = %v, want E_inf = sqrt 2", e)
	}
	if _, err := Ek(1, 0); err == nil {
		t.Error("Ek(1, 0): want an error")
	}
	if _, err := Ek(3, -1); err == nil {
		t.Error("Ek(3, -1): want an error")
	}
}

// TestThetaContinuity: at u = -E_inf, I1 = 0 and the two branches of
// Theta_k and ThetaTotal meet: 1/2 log(p-1) - (p-2)/(4(p-1)) E_inf^2 =
// 1/2 log(p-1) - (p-2)/p exactly (E_inf^2 = 4(p-1)/p); rounding only, 1e-12.
func TestThetaContinuity(t *testing.T) {
	for _, p := range []int{3, 4, 7} {
		e := EInf(p)
		below := Theta(p, 2, -e*(1+1e-13))
		above := Theta(p, 2, -e*(1-1e-13))
		if !(math.Abs(below-above) <= 1e-12) {
			t.Errorf("p=%d: Theta_2 jumps at -E_inf: %v vs %v", p, below, above)
		}
		if tb, ta := ThetaTotal(p, -e*(1+1e-13)), 0.5*math.Log(float64(p-1))-float64(p-2)/float64(p); !(math.Abs(tb-ta) <= 1e-12) {
			t.Errorf("p=%d: ThetaTotal(-E_inf) = %v, want %v", p, tb, ta)
		}
		if i := I1(p, -e); i != 0 {
			t.Errorf("I1(-E_inf) = %v, want 0", i)
		}
	}
}

// TestI1Asymptotic: for u -> -Inf, I1(u) = u^2/E^2 - 1/2 - log(2|u|/E) +
// O(E^2/u^2) (expand sqrt(u^2 - E^2) = |u| - E^2/(2|u|) + ...); at u = -1000
// the remainder is below 1e-6, so the formula must agree to 1e-5.
func TestI1Asymptotic(t *testing.T) {
	p, u := 3, -1000.0
	e := EInf(p)
	want := u*u/(e*e) - 0.5 - math.Log(2*math.Abs(u)/e)
	if got := I1(p, u); !(math.Abs(got-want) <= 1e-5) {
		t.Errorf("I1(%v) = %.10f, asymptotic %.10f", u, got, want)
	}
}

// TestIndexFraction: SemicircleCDF(u/E_inf) is 0 at -E_inf, 1/2 at 0 and
// grows like (4 sqrt 2/(3 pi)) eps^{3/2} at u = -E_inf (1 - eps) (the
// semicircle's square-root edge); the relative correction is O(eps), so at
// eps = 1e-4 the ratio is 1 to 1e-3. A power-law fit over eps in [1e-5,
// 1e-3] gives the exponent 3/2 to 1e-2.
func TestIndexFraction(t *testing.T) {
	e := EInf(3)
	if f := IndexFraction(3, -e); f != 0 {
		t.Errorf("IndexFraction(-E_inf) = %v", f)
	}
	if f := IndexFraction(3, 0); !(math.Abs(f-0.5) <= 1e-15) {
		t.Errorf("IndexFraction(0) = %v", f)
	}
	eps := 1e-4
	lead := 4 * math.Sqrt2 / (3 * math.Pi) * math.Pow(eps, 1.5)
	if r := IndexFraction(3, -e*(1-eps)) / lead; !(math.Abs(r-1) <= 1e-3) {
		t.Errorf("edge ratio %v, want 1", r)
	}
	var us, fs []float64
	for x := 1e-5; x <= 1e-3; x *= 1.5 {
		us = append(us, -e*(1-x))
		fs = append(fs, IndexFraction(3, -e*(1-x)))
	}
	b, _, err := FitPowerLaw(us, fs, -e)
	if err != nil {
		t.Fatal(err)
	}
	if !(math.Abs(b-1.5) <= 1e-2) {
		t.Errorf("edge exponent %v, want 3/2", b)
	}
	for _, x := range []float64{0.1, 0.5, 0.9} {
		if s := SemicircleCDF(x) + SemicircleCDF(-x); !(math.Abs(s-1) <= 1e-15) {
			t.Errorf("SemicircleCDF(%v) + SemicircleCDF(-%v) = %v, want 1", x, x, s)
		}
	}
}
