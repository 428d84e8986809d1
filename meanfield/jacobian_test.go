package meanfield

import (
	"math"
	"testing"
)

// TestDerivativeMoment: closed forms. relu: phi' is a step, mu_k = 1/2 for
// every k and q; erf: phi'^2k = (4/pi)^k e^{-2k u^2}, so
// mu_k = (4/pi)^k / sqrt(1 + 4 k q); linear: 1. And mu_1 sigma_w^2 = chi_1
// from Moments. Tolerance 1e-12 (Gauss-Legendre on smooth pieces; the
// Gaussian tail beyond |z| = 12 is 1e-32).
func TestDerivativeMoment(t *testing.T) {
	relu := mustModel(t, "relu", 1.4, 0.1, Options{})
	erf := mustModel(t, "erf", 1.3, 0.2, Options{})
	lin := mustModel(t, "linear", 0.9, 0.1, Options{})
	for _, q := range []float64{0.01, 0.7, 5} {
		for k := 1; k <= 3; k++ {
			if v, _ := relu.DerivativeMoment(q, k); !(math.Abs(v-0.5) <= 1e-12) {
				t.Errorf("relu mu_%d(q=%v) = %v, want 1/2", k, q, v)
			}
			want := math.Pow(4/math.Pi, float64(k)) / math.Sqrt(1+4*float64(k)*q)
			if v, _ := erf.DerivativeMoment(q, k); !(math.Abs(v-want) <= 1e-12*want) {
				t.Errorf("erf mu_%d(q=%v) = %v, want %v", k, q, v, want)
			}
			if v, _ := lin.DerivativeMoment(q, k); !(math.Abs(v-1) <= 1e-12) {
				t.Errorf("linear mu_%d = %v, want 1", k, v)
			}
		}
		c1, _ := erf.Chi1(q)
		mu1, _ := erf.DerivativeMoment(q, 1)
		if !(math.Abs(c1-1.3*1.3*mu1) <= 1e-10*c1) {
			t.Errorf("erf: chi_1 %v, sigma_w^2 mu_1 %v", c1, 1.3*1.3*mu1)
		}
	}
	// q = 0: mu_k = phi'(0)^(2k), (4/pi)^k for erf. Hard-tanh, whose
	// derivative steps at +-1 (z = +-1/sqrt(q)), has mu_k = P(|sqrt(q) z| <
	// 1) = erf(1/sqrt(2q)) for every k: integrated exactly only when the
	// pieces are cut at the steps (a piece across a step is off by ~1e-3).
	for k := 1; k <= 3; k++ {
		want := math.Pow(4/math.Pi, float64(k))
		if v, err := erf.DerivativeMoment(0, k); err != nil || !(math.Abs(v-want) <= 1e-15*want) {
			t.Errorf("erf mu_%d(q=0) = %v (%v), want %v", k, v, err, want)
		}
	}
	ht := mustModel(t, "hard-tanh", 1.1, 0.1, Options{})
	for _, q := range []float64{0.05, 0.9, 7.3, 300} {
		want := math.Erf(1 / math.Sqrt(2*q))
		for k := 1; k <= 2; k++ {
			if v, _ := ht.DerivativeMoment(q, k); !(math.Abs(v-want) <= 1e-12) {
				t.Errorf("hard-tanh mu_%d(q=%v) = %.16g, want %.16g", k, q, v, want)
			}
		}
	}
	if _, err := erf.DerivativeMoment(-1, 1); err == nil {
		t.Error("q = -1: no error")
	}
	if _, err := erf.DerivativeMoment(1, 0); err == nil {
		t.Error("k = 0: no error")
	}
}

// TestJacobianMoments: relu at sigma_w^2 = 2 is critical with mu2/mu1^2 = 2:
// variance L (2 - 1 + 1) = 2L for Gaussian, L for orthogonal (Pennington et
// al. 2017: relu can never be isometric); off criticality ok is false.
func TestJacobianMoments(t *testing.T) {
	m := mustModel(t, "relu", math.Sqrt2, 0, Options{})
	for _, c := range []struct {
		orth bool
		want float64
	}{{false, 20}, {true, 10}} {
		mean, v, ok, err := m.JacobianMoments(1, 10, c.orth)
		if err != nil || !ok || !(math.Abs(mean-1) <= 1e-12) || !(math.Abs(v-c.want) <= 1e-10) {
			t.Errorf("orthogonal %v: mean %v variance %v ok %v err %v; want 1, %v", c.orth, mean, v, ok, err, c.want)
		}
	}
	off := mustModel(t, "relu", 1.2, 0, Options{})
	if mean, _, ok, _ := off.JacobianMoments(1, 3, false); ok || !(math.Abs(mean-math.Pow(0.72, 3)) <= 1e-12) {
		t.Errorf("off criticality: mean %v ok %v; want chi_1^3 = %v and no variance", mean, ok, math.Pow(0.72, 3))
	}
}
