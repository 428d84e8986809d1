package energy

import "math"

// Müller-Brown's coefficients (K. Müller and L. D. Brown, Theor. Chim.
// Acta 53, 75 (1979)): V(x,y) = sum_k A_k exp(a_k (x-x_k)^2 + b_k
// (x-x_k)(y-y_k) + c_k (y-y_k)^2).
var (
	mbA  = [4]float64{-200, -100, -170, 15}
	mbA2 = [4]float64{-1, -1, -6.5, 0.7}
	mbB  = [4]float64{0, 0, 11, 0.6}
	mbC  = [4]float64{-10, -10, -6.5, 0.7}
	mbX  = [4]float64{1, 0, -0.5, -1}
	mbY  = [4]float64{0, 0.5, 1.5, 1}
)

// MullerBrown is the Müller-Brown potential, the standard two-dimensional
// test surface for minimum-energy paths: three minima (near (-0.558,
// 1.442), (0.623, 0.028) and (-0.050, 0.467), energies -146.70, -108.17
// and -80.77) and two index-1 saddles between them (near (-0.822, 0.624)
// and (0.212, 0.293), energies -40.66 and -72.25), with its exact
// gradient and Hessian.
func MullerBrown() Objective {
	return Func{N: 2, F: mullerBrown, HV: mullerBrownHV}
}

func mullerBrown(p, grad []float64) float64 {
	x, y := p[0], p[1]
	e, gx, gy := 0.0, 0.0, 0.0
	for k := range 4 {
		dx, dy := x-mbX[k], y-mbY[k]
		t := mbA[k] * math.Exp(mbA2[k]*dx*dx+mbB[k]*dx*dy+mbC[k]*dy*dy)
		e += t
		gx += t * (2*mbA2[k]*dx + mbB[k]*dy)
		gy += t * (mbB[k]*dx + 2*mbC[k]*dy)
	}
	if grad != nil {
		grad[0], grad[1] = gx, gy
	}
	return e
}

// MullerBrownHessian is the exact Hessian of MullerBrown at p, as
// [[Vxx, Vxy], [Vxy, Vyy]].
func MullerBrownHessian(p []float64) [2][2]float64 {
	x, y := p[0], p[1]
	var h [2][2]float64
	for k := range 4 {
		dx, dy := x-mbX[k], y-mbY[k]
		t := mbA[k] * math.Exp(mbA2[k]*dx*dx+mbB[k]*dx*dy+mbC[k]*dy*dy)
		ux := 2*mbA2[k]*dx + mbB[k]*dy
		uy := mbB[k]*dx + 2*mbC[k]*dy
		h[0][0] += t * (ux*ux + 2*mbA2[k])
		h[0][1] += t * (ux*uy + mbB[k])
		h[1][1] += t * (uy*uy + 2*mbC[k])
	}
	h[1][0] = h[0][1]
	return h
}

func mullerBrownHV(p, v, hv []float64) {
	h := MullerBrownHessian(p)
	hv[0] = h[0][0]*v[0] + h[0][1]*v[1]
	hv[1] = h[1][0]*v[0] + h[1][1]*v[1]
}
