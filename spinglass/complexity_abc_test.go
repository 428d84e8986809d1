package spinglass

import (
	"math"
	"testing"

	gquad "gonum.org/v1/gonum/integrate/quad"
)

// i1ByQuadrature evaluates ABC's definition of I1 as an integral,
// I1(u) = (2/E^2) int_u^{-E} sqrt(z^2 - E^2) dz for u <= -E (0 above),
// by Gauss-Legendre after the substitution z = -E cosh t, which removes
// the square-root endpoint singularity: I1(u) = 2 int_0^{acosh(-u/E)}
// sinh^2 t dt. 60 nodes integrate this entire function to rounding over
// the ranges used here.
func i1ByQuadrature(p int, u float64) float64 {
	e := EInf(p)
	if u >= -e {
		return 0
	}
	T := math.Acosh(-u / e)
	return 2 * gquad.Fixed(func(t float64) float64 { s := math.Sinh(t); return s * s }, 0, T, 60, gquad.Legendre{}, 0)
}

// TestComplexityAgainstDefinition checks Theta_k and ThetaTotal on every
// branch against an independent evaluation of ABC's theorems: the
// complexity below u is the supremum over energies v <= u of the
// exponent of the density of critical points at v,
//
//	g_k(v)   = 1/2 log(p-1) - (p-2)/(4(p-1)) v^2 - (k+1) I1(v), v <= -E_inf
//	           (index-k points exist only there),
//	g_tot(v) = 1/2 log(p-1) - (p-2)/(4(p-1)) v^2 - I1(v), any v,
//
// with I1 by quadrature of its defining integral and the supremum taken
// over a grid of 4001 energies ending at min(u, -E_inf) or u. This fixes
// the flat branches: Theta_k = 1/2 log(p-1) - (p-2)/p above -E_inf and
// ThetaTotal = 1/2 log(p-1) above 0 (the density peaks at v = 0).
// Tolerance 1e-10: quadrature and the grid (whose maximum lies at its end,
// g being increasing for v < 0) agree with the closed forms to rounding.
func TestComplexityAgainstDefinition(t *testing.T) {
	sup := func(g func(v float64) float64, hi float64) float64 {
		best := math.Inf(-1)
		for i := 0; i <= 4000; i++ {
			best = math.Max(best, g(hi-3+3*float64(i)/4000))
		}
		return best
	}
	for _, p := range []int{3, 4, 6} {
		e := EInf(p)
		c, a := 0.5*math.Log(float64(p-1)), float64(p-2)/(4*float64(p-1))
		for _, u := range []float64{-2.5, -1.8, -e - 1e-3, -e + 1e-3, -0.7, -0.1, 0.3, 1.2} {
			for _, k := range []int{0, 1, 3} {
				gk := func(v float64) float64 { return c - a*v*v - float64(k+1)*i1ByQuadrature(p, v) }
				want := sup(gk, math.Min(u, -e))
				if got := Theta(p, k, u); !(math.Abs(got-want) <= 1e-10) {
					t.Errorf("p=%d: Theta_%d(%.4g) = %.12g, definition gives %.12g", p, k, u, got, want)
				}
			}
			gt := func(v float64) float64 { return c - a*v*v - i1ByQuadrature(p, v) }
			want := sup(gt, math.Min(u, 0))
			if got := ThetaTotal(p, u); !(math.Abs(got-want) <= 1e-10) {
				t.Errorf("p=%d: ThetaTotal(%.4g) = %.12g, definition gives %.12g", p, u, got, want)
			}
		}
	}
}
