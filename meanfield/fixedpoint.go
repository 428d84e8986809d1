package meanfield

import (
	"fmt"
	"math"
)

// qHuge is where a growing length is declared unbounded.
const qHuge = 1e100

// LengthFixedPoint is the fixed point of the length map reached from q0.
type LengthFixedPoint struct {
	Q float64 // q*
	// Iterations is the number of layers l after which |q^l - q*| <=
	// 1e-8 max(q*, q0), counting from q^0 = q0; -1 if that takes more
	// than Options.MaxIter layers (a marginal length map, V'(q*) ~ 1).
	Iterations int
	// Slope is V'(q*) = chi_1 + sigma_w^2 E[phi phi''] (1/xi_q = -log Slope).
	Slope float64
}

// FixedLength iterates the length map from q0 >= 0 to its fixed point. It
// returns an error matching ErrNoFixedPoint when q^l grows without bound.
func (m *Model) FixedLength(q0 float64) (LengthFixedPoint, error) {
	if err := checkQ("q0", q0); err != nil {
		return LengthFixedPoint{}, err
	}
	V := func(q float64) (float64, error) {
		e, err := m.phiSq(q)
		return m.sw2*e + m.sb2, err
	}
	F := func(q float64) (float64, error) {
		v, err := V(q)
		return v - q, err
	}
	noFP := func(last float64) error {
		return &NoFixedPointError{Activation: m.f.name, SigmaW2: m.sw2, SigmaB2: m.sb2, Q0: q0, LastQ: last}
	}
	zeroFixed := m.sb2 == 0 && m.f.phi0 == 0
	mo0, _ := m.Moments(0)
	s0 := m.sw2 * mo0.Slope // V'(0)

	hist := []float64{q0}
	q := q0
	var qstar float64
	done := false
	if q0 == 0 && zeroFixed {
		qstar, done = 0, true
	}
	for l := 1; l <= 200 && !done; l++ {
		qn, err := V(q)
		if err != nil {
			return LengthFixedPoint{}, err
		}
		if math.IsNaN(qn) || qn > qHuge {
			return LengthFixedPoint{}, noFP(q)
		}
		hist = append(hist, qn)
		if zeroFixed && s0 <= 1+1e-12 && qn < 0x1p-1000 {
			// Fallen into q = 0 (geometrically; F < 0 all the way down).
			qstar, done = 0, true
		} else if math.Abs(qn-q) <= 1e-14*math.Max(qn, q) {
			// A drift below 1e-14 q per layer counts as converged.

			qstar, done = qn, true
		}
		q = qn
	}
	if !done {
		fq, err := F(q)
		if err != nil {
			return LengthFixedPoint{}, err
		}
		var lo, hi, flo, fhi float64
		switch {
		case fq == 0:
			qstar, done = q, true
		case fq > 0: // growing: double until F <= 0
			lo, flo = q, fq
			hi = math.Max(2*q, 1)
			for {
				if hi > qHuge {
					return LengthFixedPoint{}, noFP(q)
				}
				if fhi, err = F(hi); err != nil {
					return LengthFixedPoint{}, err
				}
				// F(hi) = 0 exactly at large hi is sigma_b^2 absorbed by
				// rounding (V(q) = q + sigma_b^2 = q), not a root: go on.
				if fhi < 0 {
					break
				}
				lo, flo = hi, fhi
				hi *= 2
			}
		default: // shrinking: halve until F >= 0, or conclude q* = 0
			hi, fhi = q, fq
			found := false
			maxHalvings := 1100
			if zeroFixed && s0 <= 1+1e-12 {
				maxHalvings = 60 // F < 0 near 0: q* = 0 unless a root shows up
			}
			x := q
			for k := 0; k < maxHalvings && x > 0; k++ {
				x /= 2
				fx, err := F(x)
				if err != nil {
					return LengthFixedPoint{}, err
				}
				if fx >= 0 {
					lo, flo, found = x, fx, true
					break
				}
				hi, fhi = x, fx
			}
			if !found {
				qstar, done = 0, true
			}
		}
		if !done {
			r, err := illinois(F, lo, flo, hi, fhi)
			if err != nil {
				return LengthFixedPoint{}, err
			}
			qstar = r
			if fq > 0 {
				// Reached from below, q* must attract: V'(q*) < 1. A root
				// with V'(q*) = 1 to within 1e-12 is rounding of a map that
				// grows linearly (linear at sigma_w = 1, relu at
				// sigma_w^2 = 2 with sigma_b > 0), where sigma_b^2 is lost
				// against q.
				mo, err := m.Moments(r)
				if err != nil {
					return LengthFixedPoint{}, err
				}
				if 1-m.sw2*mo.Slope < 1e-12 {
					return LengthFixedPoint{}, noFP(r)
				}
			}
		}
	}
	// Layers to converge.
	tolIt := 1e-8 * math.Max(qstar, q0)
	iters := -1
	for l, x := range hist {
		if l > m.opt.MaxIter {
			break
		}
		if math.Abs(x-qstar) <= tolIt {
			iters = l
			break
		}
	}
	if iters < 0 {
		x := hist[len(hist)-1]
		for l := len(hist); l <= m.opt.MaxIter; l++ {
			v, err := V(x)
			if err != nil {
				return LengthFixedPoint{}, err
			}
			x = v
			if math.Abs(x-qstar) <= tolIt {
				iters = l
				break
			}
		}
	}
	mo, err := m.Moments(qstar)
	if err != nil {
		return LengthFixedPoint{}, err
	}
	return LengthFixedPoint{Q: qstar, Iterations: iters, Slope: m.sw2 * mo.Slope}, nil
}

// illinois finds a root of F in the bracket [a, b] (F(a), F(b) of opposite
// signs or zero) by the Illinois variant of regula falsi, to relative
// accuracy ~1e-15.
func illinois(F func(float64) (float64, error), a, fa, b, fb float64) (float64, error) {
	if fa == 0 {
		return a, nil
	}
	if fb == 0 {
		return b, nil
	}
	if (fa > 0) == (fb > 0) {
		return 0, fmt.Errorf("meanfield: root not bracketed in [%g, %g]", a, b)
	}
	side := 0
	c := a
	for it := 0; it < 300; it++ {
		cPrev := c
		c = (a*fb - b*fa) / (fb - fa)
		if !(c > math.Min(a, b) && c < math.Max(a, b)) || it%8 == 7 {
			c = (a + b) / 2
		}
		if math.Abs(b-a) <= 1e-15*math.Max(math.Abs(a), math.Abs(b)) || (it > 0 && math.Abs(c-cPrev) <= 2e-16*math.Abs(c)) {
			return c, nil
		}
		fc, err := F(c)
		if err != nil {
			return 0, err
		}
		if fc == 0 {
			return c, nil
		}
		if (fc > 0) == (fb > 0) {
			b, fb = c, fc
			if side == -1 {
				fa /= 2
			}
			side = -1
		} else {
			a, fa = c, fc
			if side == 1 {
				fb /= 2
			}
			side = 1
		}
	}
	return c, nil
}

// cSolver evaluates the C-map at a fixed length q with the outer factors
// precomputed per quadrature level.
type cSolver struct {
	m      *Model
	q      float64
	level  int
	f1, g1 map[int][]float64
}

func (m *Model) newCSolver(q float64) (*cSolver, error) {
	cs := &cSolver{m: m, q: q, f1: map[int][]float64{}, g1: map[int][]float64{}}
	if m.f.pw == nil {
		l, err := levelFor(m.f, m.opt.Rule, q, m.opt.Tol, true)
		if err != nil {
			return nil, err
		}
		cs.level = l
	}
	return cs, nil
}

// eval returns C(c) - c and C'(c) at quadrature level l (ignored for exact
// forms).
func (cs *cSolver) eval(c float64, l int) (d, slope float64) {
	m := cs.m
	var pp, dd float64
	if m.f.pw != nil {
		pp, dd = m.f.pw.pair(cs.q, cs.q, c*cs.q)
	} else {
		r := getRule(m.opt.Rule, l)
		f1, ok := cs.f1[l]
		if !ok {
			sq := math.Sqrt(cs.q)
			f1 = make([]float64, len(r.z))
			g1 := make([]float64, len(r.z))
			for i, z := range r.z {
				f1[i], g1[i] = m.f.pair(sq * z)
			}
			cs.f1[l], cs.g1[l] = f1, g1
		}
		pp, dd = kernel2(m.f, r, f1, cs.g1[l], math.Sqrt(cs.q), c)
	}
	return (m.sw2*pp+m.sb2)/cs.q - c, m.sw2 * dd
}

// fixedC returns the stable fixed point c* of the C-map at q > 0 and the
// slope C'(c*), given chi_1 = C'(1). guess (in [0, 1) or < 0 for none)
// warm-starts Newton's method.
func (m *Model) fixedC(q, chi1, guess float64, wantErr bool) (cstar, slope, relErr float64, err error) {
	if chi1 <= 1 {
		return 1, chi1, 0, nil
	}
	cs, err := m.newCSolver(q)
	if err != nil {
		return 0, 0, 0, err
	}
	if m.sb2 == 0 && m.f.odd {
		// C(0) = 0 exactly (E[phi] = 0), and C(c) < c on (0, 1) since C is
		// convex with C'(1) > 1: c* = 0.
		_, s := cs.eval(0, cs.level)
		return 0, s, 0, nil
	}
	fine := cs.level
	coarse := max(fine-2, minLevel-1)
	c := 0.0
	if guess > 0 && guess < 1 {
		if _, s := cs.eval(guess, coarse); s < 1 {
			c = guess
		}
	}
	lvl := coarse
	if m.f.pw != nil {
		lvl = fine
	}
	for it := 0; it < 100; it++ {
		d, s := cs.eval(c, lvl)
		if it == 0 && c == 0 && d <= 0 {
			return 0, s, 0, nil // C(0) = 0: c* = 0 (odd phi, sigma_b = 0)
		}
		if s >= 1 { // left the convex branch (noise at chi_1 ~ 1): c* ~ 1
			return 1, chi1, 0, nil
		}
		step := -d / (s - 1)
		cn := c + step
		if cn >= 1 {
			cn = (c + 1) / 2
		}
		if cn < 0 {
			cn = 0
		}
		if lvl != fine {
			if math.Abs(step) < 1e-4 {
				lvl = fine
			}
			c = cn
			continue
		}
		// Converged when the step is below 1e-13 or D is at rounding level
		// (near chi_1 = 1, D'(c*) -> 0 and steps stall at noise/|D'|).
		if math.Abs(step) <= 1e-13 || math.Abs(d) <= 1e-15 || (it > 60 && math.Abs(step) < 1e-8) {
			if wantErr && m.f.pw == nil {
				d0, s0 := cs.eval(c, fine+1)
				relErr = math.Max(math.Abs(d0-d), math.Abs(s0-s)/math.Max(s, 1e-300))
			}
			return cn, s, relErr, nil
		}
		c = cn
	}
	return 0, 0, 0, fmt.Errorf("meanfield: %s: Newton's method for c* did not converge (q* = %g, chi_1 = %g)", m.f.name, q, chi1)
}
