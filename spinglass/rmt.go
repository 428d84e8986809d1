package spinglass

import (
	"errors"
	"fmt"
	"math"
)

// Random-matrix baselines drawn over measured Hessian densities (docs/science.md
// section 6).

// MarchenkoPasturEdges returns the support [lo, hi] of the Marchenko-Pastur
// law with ratio g > 0 scaled by scale > 0: scale (1 -+ sqrt g)^2.
func MarchenkoPasturEdges(g, scale float64) (lo, hi float64) {
	r := math.Sqrt(g)
	return scale * (1 - r) * (1 - r), scale * (1 + r) * (1 + r)
}

// MarchenkoPastur returns the density of the continuous part of the
// Marchenko-Pastur law with ratio g (columns / samples) for eigenvalues
// scaled by scale (the law of scale * lambda, lambda with mean 1):
//
//	sqrt((l+ - y)(y - l-)) / (2 pi g y) / scale,   y = x/scale, l+- = (1 +- sqrt g)^2.
//
// For g > 1 the continuous part has mass 1/g and MarchenkoPasturAtom(g)
// sits at 0. It is 0 outside the support and NaN for g <= 0 or scale <= 0.
func MarchenkoPastur(x, g, scale float64) float64 {
	if !(g > 0) || !(scale > 0) || math.IsNaN(x) {
		return math.NaN()
	}
	y := x / scale
	lo, hi := MarchenkoPasturEdges(g, 1)
	if y <= lo || y >= hi || y <= 0 {
		return 0
	}
	return math.Sqrt((hi-y)*(y-lo)) / (2 * math.Pi * g * y) / scale
}

// MarchenkoPasturAtom returns the mass max(0, 1 - 1/g) of the atom at 0.
func MarchenkoPasturAtom(g float64) float64 {
	if g > 1 {
		return 1 - 1/g
	}
	return 0
}

// Semicircle returns the Wigner semicircle density of radius 2s,
// sqrt(4 s^2 - x^2) / (2 pi s^2), and 0 outside [-2s, 2s]; NaN for s <= 0.
// Its variance is s^2.
func Semicircle(x, s float64) float64 {
	if !(s > 0) || math.IsNaN(x) {
		return math.NaN()
	}
	v := 4*s*s - x*x
	if v <= 0 {
		return 0
	}
	return math.Sqrt(v) / (2 * math.Pi * s * s)
}

// ErrFit is returned when a fit has too little or unusable data.
var ErrFit = errors.New("spinglass: cannot fit")

func finiteAll(xs ...[]float64) bool {
	for _, x := range xs {
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// FitSemicircle fits the semicircle scale s to eigenvalues by moments: the
// semicircle has mean 0 and variance s^2, so s = sqrt(mean(x^2)).
func FitSemicircle(eigs []float64) (float64, error) {
	if len(eigs) == 0 || !finiteAll(eigs) {
		return 0, fmt.Errorf("%w: semicircle: need finite eigenvalues, got %d", ErrFit, len(eigs))
	}
	var m2 float64
	for _, x := range eigs {
		m2 += x * x
	}
	s := math.Sqrt(m2 / float64(len(eigs)))
	if !(s > 0) {
		return 0, fmt.Errorf("%w: semicircle: all eigenvalues are 0", ErrFit)
	}
	return s, nil
}

// FitMarchenkoPastur fits the scale of a Marchenko-Pastur law of ratio g to
// eigenvalues by moments: its mean is scale (atom included), so scale =
// mean(x).
func FitMarchenkoPastur(eigs []float64, g float64) (float64, error) {
	if !(g > 0) {
		return 0, fmt.Errorf("%w: Marchenko-Pastur: ratio g = %v; want g > 0", ErrFit, g)
	}
	if len(eigs) == 0 || !finiteAll(eigs) {
		return 0, fmt.Errorf("%w: Marchenko-Pastur: need finite eigenvalues, got %d", ErrFit, len(eigs))
	}
	var m float64
	for _, x := range eigs {
		m += x
	}
	m /= float64(len(eigs))
	if !(m > 0) {
		return 0, fmt.Errorf("%w: Marchenko-Pastur: mean eigenvalue %v; want > 0", ErrFit, m)
	}
	return m, nil
}

// FitSemicircleDensity fits s by least squares of Semicircle(x_i, s)
// against a measured density rho_i on a grid x (for example a stochastic
// Lanczos quadrature density).
func FitSemicircleDensity(x, rho []float64) (float64, error) {
	if len(x) != len(rho) || len(x) < 3 || !finiteAll(x, rho) {
		return 0, fmt.Errorf("%w: semicircle density: need >= 3 finite points with x and rho of equal length", ErrFit)
	}
	// a start from the density's second moment (trapezoid rule)
	var m0, m2 float64
	for i := 1; i < len(x); i++ {
		h := x[i] - x[i-1]
		m0 += 0.5 * h * (rho[i] + rho[i-1])
		m2 += 0.5 * h * (x[i]*x[i]*rho[i] + x[i-1]*x[i-1]*rho[i-1])
	}
	if !(m0 > 0) || !(m2 > 0) {
		return 0, fmt.Errorf("%w: semicircle density: the density has no mass", ErrFit)
	}
	s0 := math.Sqrt(m2 / m0)
	return minimize1D(func(s float64) float64 {
		var r float64
		for i := range x {
			d := Semicircle(x[i], s) - rho[i]
			r += d * d
		}
		return r
	}, s0/4, 4*s0)
}

// FitMarchenkoPasturDensity fits the scale by least squares of
// MarchenkoPastur(x_i, g, scale) against a measured density rho_i.
func FitMarchenkoPasturDensity(x, rho []float64, g float64) (float64, error) {
	if !(g > 0) {
		return 0, fmt.Errorf("%w: Marchenko-Pastur density: ratio g = %v; want g > 0", ErrFit, g)
	}
	if len(x) != len(rho) || len(x) < 3 || !finiteAll(x, rho) {
		return 0, fmt.Errorf("%w: Marchenko-Pastur density: need >= 3 finite points with x and rho of equal length", ErrFit)
	}
	var m0, m1 float64
	for i := 1; i < len(x); i++ {
		h := x[i] - x[i-1]
		m0 += 0.5 * h * (rho[i] + rho[i-1])
		m1 += 0.5 * h * (x[i]*rho[i] + x[i-1]*rho[i-1])
	}
	if !(m0 > 0) || !(m1 > 0) {
		return 0, fmt.Errorf("%w: Marchenko-Pastur density: the density has no positive mass", ErrFit)
	}
	c0 := m1 / m0
	return minimize1D(func(c float64) float64 {
		var r float64
		for i := range x {
			d := MarchenkoPastur(x[i], g, c) - rho[i]
			r += d * d
		}
		return r
	}, c0/4, 4*c0)
}

// minimize1D minimises f on [a, b] by a coarse scan followed by golden
// section search around the best grid point.
func minimize1D(f func(float64) float64, a, b float64) (float64, error) {
	const n = 64
	best, bi := math.Inf(1), -1
	for i := 0; i <= n; i++ {
		v := f(a + (b-a)*float64(i)/n)
		if v < best {
			best, bi = v, i
		}
	}
	if bi < 0 {
		return 0, fmt.Errorf("%w: the objective is not finite", ErrFit)
	}
	lo := a + (b-a)*float64(max(bi-1, 0))/n
	hi := a + (b-a)*float64(min(bi+1, n))/n
	const gr = 0.6180339887498949
	c, d := hi-gr*(hi-lo), lo+gr*(hi-lo)
	fc, fd := f(c), f(d)
	for range 200 {
		if hi-lo <= 1e-13*math.Abs(hi) {
			break
		}
		if fc < fd {
			hi, d, fd = d, c, fc
			c = hi - gr*(hi-lo)
			fc = f(c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + gr*(hi-lo)
			fd = f(d)
		}
	}
	return 0.5 * (lo + hi), nil
}

// CriticalEnergy returns Pennington and Bahri's (2017) critical energy
//
//	e_c(phi) = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^{3/2}) / 16,
//
// below which the Hessian H0 + H1 (Wishart of ratio phi plus Wigner of
// variance proportional to the energy) has no negative eigenvalues; NaN for
// phi < 0. e_c(0) = 1/8 and e_c(1) = 0.
func CriticalEnergy(phi float64) float64 {
	if !(phi >= 0) {
		return math.NaN()
	}
	return (1 - 20*phi - 8*phi*phi + math.Pow(1+8*phi, 1.5)) / 16
}

// IndexLaw returns alpha0 (e - ec)^{3/2} for e > ec and 0 otherwise: the
// fraction of negative Hessian eigenvalues just above a critical energy
// (Pennington and Bahri 2017; the same 3/2 comes from the square-root edge
// of any semicircle-like density, see IndexFraction).
func IndexLaw(e, ec, alpha0 float64) float64 {
	if e <= ec {
		return 0
	}
	return alpha0 * math.Pow(e-ec, 1.5)
}

// FitIndexLaw fits alpha0 of IndexLaw with ec given, by least squares
// (closed form: alpha0 = sum y x / sum x^2 with x = (e - ec)_+^{3/2}).
func FitIndexLaw(e, alpha []float64, ec float64) (float64, error) {
	if len(e) != len(alpha) || !finiteAll(e, alpha) || math.IsNaN(ec) {
		return 0, fmt.Errorf("%w: index law: need finite e and alpha of equal length", ErrFit)
	}
	var sxy, sxx float64
	for i := range e {
		x := IndexLaw(e[i], ec, 1)
		sxy += x * alpha[i]
		sxx += x * x
	}
	if !(sxx > 0) {
		return 0, fmt.Errorf("%w: index law: no energy above e_c = %v", ErrFit, ec)
	}
	return sxy / sxx, nil
}

// FitPowerLaw fits alpha = a (e - ec)^b over the points with e > ec and
// alpha > 0 by least squares of log alpha on log(e - ec), and returns the
// exponent b and prefactor a; b near 3/2 checks the index law.
func FitPowerLaw(e, alpha []float64, ec float64) (b, a float64, err error) {
	if len(e) != len(alpha) || !finiteAll(e, alpha) || math.IsNaN(ec) {
		return 0, 0, fmt.Errorf("%w: power law: need finite e and alpha of equal length", ErrFit)
	}
	var n, sx, sy, sxx, sxy float64
	for i := range e {
		if e[i] <= ec || alpha[i] <= 0 {
			continue
		}
		x, y := math.Log(e[i]-ec), math.Log(alpha[i])
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	den := n*sxx - sx*sx
	if n < 2 || !(den > 0) {
		return 0, 0, fmt.Errorf("%w: power law: need two distinct energies above e_c with alpha > 0", ErrFit)
	}
	b = (n*sxy - sx*sy) / den
	return b, math.Exp((sy - b*sx) / n), nil
}
