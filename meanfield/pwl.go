package meanfield

import (
	"fmt"
	"math"

	"github.com/netgeom/netgeom/activation"
)

// pwl describes a continuous or discontinuous piecewise-linear activation:
// on piece i, (t[i], t[i+1]) with t[0] = -Inf and t[n] = +Inf,
// phi(u) = alpha[i] + beta[i] u.
type pwl struct {
	t           []float64
	alpha, beta []float64
}

// newPWL reads the pieces of a kinked activation from Phi and D1 and checks
// that it is piecewise linear (D2 = 0 and the linear form reproduces Phi at
// sample points of every piece).
func newPWL(act activation.Func) (*pwl, error) {
	ks := act.Kinks
	n := len(ks) + 1
	p := &pwl{t: make([]float64, n+1), alpha: make([]float64, n), beta: make([]float64, n)}
	p.t[0], p.t[n] = math.Inf(-1), math.Inf(1)
	copy(p.t[1:], ks)
	for i := 0; i < n; i++ {
		var pts [3]float64
		lo, hi := p.t[i], p.t[i+1]
		switch {
		case math.IsInf(lo, -1) && math.IsInf(hi, 1):
			pts = [3]float64{-1, 0.5, 3}
		case math.IsInf(lo, -1):
			pts = [3]float64{hi - 0.5, hi - 1.5, hi - 7}
		case math.IsInf(hi, 1):
			pts = [3]float64{lo + 0.5, lo + 1.5, lo + 7}
		default:
			d := hi - lo
			pts = [3]float64{lo + d/2, lo + d/4, lo + 3*d/4}
		}
		b := act.D1(pts[0])
		a := act.Phi(pts[0]) - b*pts[0]
		for _, x := range pts {
			if act.D2(x) != 0 || math.Abs(a+b*x-act.Phi(x)) > 1e-12*(1+math.Abs(act.Phi(x))) || act.D1(x) != b {
				return nil, fmt.Errorf("meanfield: activation %s has kinks but is not piecewise linear; only smooth and piecewise-linear activations are supported", act.Name)
			}
		}
		p.alpha[i], p.beta[i] = a, b
	}
	return p, nil
}

// trunc holds the standard-normal truncated moments over (a, b):
// m0 = P, m1 = E[z 1], m2 = E[z^2 1].
func trunc(a, b float64) (m0, m1, m2 float64) {
	m0 = gaussMass(a, b)
	m1 = normPDF(a) - normPDF(b)
	m2 = m0 + xpdf(a) - xpdf(b)
	return
}

// moments returns the exact 1-D moments at variance q > 0: E[phi^2],
// E[phi'^2], and V'(q)/sigma_w^2 = E[z phi phi']/sqrt(q) (Stein form).
func (p *pwl) moments(q float64) (pp, dd, slope float64) {
	sq := math.Sqrt(q)
	for i := range p.alpha {
		m0, m1, m2 := trunc(p.t[i]/sq, p.t[i+1]/sq)
		a, b := p.alpha[i], p.beta[i]
		pp += a*a*m0 + 2*a*b*sq*m1 + b*b*q*m2
		dd += b * b * m0
		slope += b * (a*m1/sq + b*m2)
	}
	return
}

// orth holds truncated bivariate moments over a region: P, E[X], E[Y], E[XY].
type orth struct{ p, x, y, xy float64 }

func (o orth) sub(b orth) orth { return orth{o.p - b.p, o.x - b.x, o.y - b.y, o.xy - b.xy} }
func (o orth) add(b orth) orth { return orth{o.p + b.p, o.x + b.x, o.y + b.y, o.xy + b.xy} }

// upper returns the moments over {X > h, Y > k} for a standard bivariate
// normal with correlation r (Rosenbaum 1961; Tallis 1961).
func upper(h, k, r float64) orth {
	switch {
	case math.IsInf(h, 1) || math.IsInf(k, 1):
		return orth{}
	case math.IsInf(h, -1) && math.IsInf(k, -1):
		return orth{1, 0, 0, r}
	case math.IsInf(h, -1):
		q := normQ(k)
		return orth{q, r * normPDF(k), normPDF(k), r * (q + xpdf(k))}
	case math.IsInf(k, -1):
		q := normQ(h)
		return orth{q, normPDF(h), r * normPDF(h), r * (q + xpdf(h))}
	}
	if r >= 1 {
		m := math.Max(h, k)
		q := normQ(m)
		return orth{q, normPDF(m), normPDF(m), q + xpdf(m)}
	}
	if r <= -1 {
		if -k <= h {
			return orth{}
		}
		m0, m1, m2 := trunc(h, -k)
		return orth{m0, m1, -m1, -m2}
	}
	s := math.Sqrt((1 - r) * (1 + r))
	L := bvnUpper(h, k, r)
	ks := (k - r*h) / s
	hs := (h - r*k) / s
	ph, pk := normPDF(h), normPDF(k)
	qk, qh := normQ(ks), normQ(hs)
	return orth{
		p:  L,
		x:  ph*qk + r*pk*qh,
		y:  pk*qh + r*ph*qk,
		xy: r*L + r*h*ph*qk + r*k*pk*qh + s*ph*normPDF(ks),
	}
}

// rect returns the moments over (a1, b1) x (a2, b2).
func rect(a1, b1, a2, b2, r float64) orth {
	return upper(a1, a2, r).sub(upper(b1, a2, r)).sub(upper(a1, b2, r)).add(upper(b1, b2, r))
}

// pair returns E[phi(u1) phi(u2)] and E[phi'(u1) phi'(u2)] for (u1, u2)
// centred Gaussian with variances q11, q22 > 0 and covariance q12.
func (p *pwl) pair(q11, q22, q12 float64) (pp, dd float64) {
	s1, s2 := math.Sqrt(q11), math.Sqrt(q22)
	r := q12 / (s1 * s2)
	r = math.Max(-1, math.Min(1, r))
	n := len(p.alpha)
	for i := 0; i < n; i++ {
		a1, b1 := p.alpha[i], p.beta[i]
		lo1, hi1 := p.t[i]/s1, p.t[i+1]/s1
		for j := 0; j < n; j++ {
			a2, b2 := p.alpha[j], p.beta[j]
			if a1 == 0 && b1 == 0 || a2 == 0 && b2 == 0 {
				continue
			}
			o := rect(lo1, hi1, p.t[j]/s2, p.t[j+1]/s2, r)
			// (a1 + b1 s1 X)(a2 + b2 s2 Y)
			pp += a1*a2*o.p + a1*b2*s2*o.y + b1*s1*a2*o.x + b1*b2*s1*s2*o.xy
			dd += b1 * b2 * o.p
		}
	}
	return
}
