package spinglass

import (
	"fmt"
	"math"
)

// EInf returns the threshold energy E_inf = 2 sqrt((p-1)/p) of the spherical
// p-spin (Auffinger, Ben Arous, Cerny 2013): below -E_inf the Hessian of a
// critical point is positive definite except for O(1) eigenvalues, above it
// a finite fraction of its eigenvalues is negative. It is NaN for p < 2.
func EInf(p int) float64 {
	if p < 2 {
		return math.NaN()
	}
	return 2 * math.Sqrt(float64(p-1)/float64(p))
}

// I1 returns the large-deviation function of the smallest eigenvalue of a
// GOE matrix in ABC's normalisation, for energies u <= -E_inf:
//
//	I1(u) = -(u/E_inf^2) sqrt(u^2 - E_inf^2) - log(-u + sqrt(u^2 - E_inf^2)) + log E_inf,
//
// and 0 for u >= -E_inf (where the formula also gives 0).
func I1(p int, u float64) float64 {
	e := EInf(p)
	if math.IsNaN(e) || math.IsNaN(u) {
		return math.NaN()
	}
	if u >= -e {
		return 0
	}
	if math.IsInf(u, -1) {
		return math.Inf(1)
	}
	r := math.Sqrt((u - e) * (u + e)) // sqrt(u^2 - e^2) without cancellation
	return -(u/(e*e))*r - math.Log(-u+r) + math.Log(e)
}

// Theta returns the ABC complexity of critical points of index k below the
// energy u: lim (1/N) log E[number of index-k critical points with H/N < u],
//
//	Theta_k(u) = 1/2 log(p-1) - (p-2)/(4(p-1)) u^2 - (k+1) I1(u)   for u <= -E_inf,
//	Theta_k(u) = 1/2 log(p-1) - (p-2)/p                              above.
//
// It is NaN for p < 2 or k < 0.
func Theta(p, k int, u float64) float64 {
	if p < 2 || k < 0 || math.IsNaN(u) {
		return math.NaN()
	}
	c := 0.5 * math.Log(float64(p-1))
	if u > -EInf(p) {
		return c - float64(p-2)/float64(p)
	}
	return c - float64(p-2)/(4*float64(p-1))*u*u - float64(k+1)*I1(p, u)
}

// ThetaTotal returns the complexity of all critical points (every index)
// below u (ABC, Theorem 2.5):
//
//	1/2 log(p-1) - (p-2)/(4(p-1)) u^2 - I1(u)   for u <= -E_inf,
//	1/2 log(p-1) - (p-2)/(4(p-1)) u^2           for -E_inf < u <= 0,
//	1/2 log(p-1)                                 for u > 0.
func ThetaTotal(p int, u float64) float64 {
	if p < 2 || math.IsNaN(u) {
		return math.NaN()
	}
	c := 0.5 * math.Log(float64(p-1))
	if u > 0 {
		return c
	}
	return c - float64(p-2)/(4*float64(p-1))*u*u - I1(p, u)
}

// Ek returns E_k > 0 such that -E_k is the zero of Theta_k: below -E_k there
// are (exponentially in N) no critical points of index k. -E_0 is the
// ground-state energy of the annealed complexity (E_0 = 1.657 for p = 3),
// and E_k decreases to E_inf as k grows. For p = 2 every E_k is E_inf.
func Ek(p, k int) (float64, error) {
	if p < 2 {
		return 0, fmt.Errorf("spinglass: Ek: p = %d; want p >= 2", p)
	}
	if k < 0 {
		return 0, fmt.Errorf("spinglass: Ek: k = %d; want k >= 0", k)
	}
	e := EInf(p)
	if Theta(p, k, -e) <= 0 {
		return e, nil
	}
	// Theta_k decreases strictly as u decreases below -E_inf, to -Inf.
	hi, lo := -e, -e-1
	for Theta(p, k, lo) > 0 {
		hi, lo = lo, lo-2*(hi-lo)
		if lo < -1e6 {
			return 0, fmt.Errorf("spinglass: Ek(p=%d, k=%d): no zero found", p, k)
		}
	}
	for range 200 {
		mid := 0.5 * (lo + hi)
		if mid == lo || mid == hi {
			break
		}
		if Theta(p, k, mid) > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return -0.5 * (lo + hi), nil
}

// SemicircleCDF returns the fraction of the Wigner semicircle law on
// [-1, 1] below x: 1/2 + (x sqrt(1-x^2) + asin x)/pi, clipped to [0, 1].
func SemicircleCDF(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return math.NaN()
	case x <= -1:
		return 0
	case x >= 1:
		return 1
	}
	return 0.5 + (x*math.Sqrt(1-x*x)+math.Asin(x))/math.Pi
}

// IndexFraction returns the expected fraction of negative eigenvalues of the
// Riemannian Hessian at a p-spin critical point of energy u = H/N, for large
// N: the Hessian there is a GOE matrix of semicircle radius 2 sqrt(p(p-1))
// shifted by -p u (ABC, Lemma 3.3), so the fraction is SemicircleCDF(u/E_inf):
// 0 at and below -E_inf, 1/2 at u = 0, and growing like
// (4 sqrt 2/(3 pi)) (u/E_inf + 1)^{3/2} just above -E_inf.
func IndexFraction(p int, u float64) float64 {
	return SemicircleCDF(u / EInf(p))
}
