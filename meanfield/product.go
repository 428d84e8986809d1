package meanfield

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/netgeom/netgeom/activation"
	"github.com/netgeom/netgeom/layerkind"
)

// Mean field of product (multiplication-neuron) layers, docs/science.md section
// 7: h = u * w elementwise with u = W x + b and w = V x + c, two independent
// affine factors of the same law as a dense layer's pre-activation
// (x = phi(h_prev)).
//
// # A product layer on a Gaussian input
//
// When the layer's input pre-activation is Gaussian (it follows a dense
// layer or is the input itself), each factor is a dense layer's
// pre-activation: u_i and w_i are independent N(0, q_f) with q_f = V(q), the
// dense length map. Hence
//
//	q' = E[u^2] E[w^2] = V(q)^2                                  (ProductLengthMap)
//	q'_ab = E[u_a u_b] E[w_a w_b] = (q^f_ab)^2                     (ProductCovarianceMap)
//	c' = (q^f_12)^2 / (q^f_11 q^f_22) = C_f(c)^2                   (ProductCMap)
//
// with q^f_ab the dense covariance map and C_f the dense correlation map:
// the factors' maps multiply, and correlations come out non-negative.
// Along a curve, h' = u' w + u w' and
//
//	E[h'^2] = E[u'^2] E[w^2] + E[u^2] E[w'^2] + 2 E[u u'] E[w w'] = 2 q_f chi_f gbar
//
// since each factor's metric is E[u'^2] = chi_f gbar (chi_f = sigma_w^2
// E[phi'^2], the dense chi_1 at q) and E[u u'] = 0 on a curve of constant
// length (the great circle at fixed q). So the metric grows by
//
//	chi_1 = 2 V(q) chi_f   (ProductChi1)
//
// per product layer: the mean squared singular value of the layer's
// Jacobian dh = diag(w) W dx + diag(u) V dx on a direction independent of h.
// At a fixed point q* = V(q*)^2 it is also the slope of the C-map at c = 1,
// 2 C_f'(1) = 2 chi_f q*/V(q*) = 2 chi_f V(q*), as for a dense layer.
//
// # Curvature
//
// Poole's derivation carries over. Per neuron, each factor's jet (u, u', u'')
// is Gaussian with E[u^2] = q_f, E[u'^2] = g_f, E[u u''] = -g_f, E[u''^2] =
// a_f and E[u u'] = E[u' u''] = 0, where (q_f, g_f, a_f) are the dense
// layer's length, metric and |a|^2/N (a_f = kbar_f^2 g_f^2 with Poole's
// kbar_f^2 = 3 chi_2/chi_f^2 + kbar^2/chi_f). With h'' = u'' w + 2 u' w' + u w''
// and the factors independent,
//
//	gbar' = 2 q_f g_f,   abar' = E[h''^2] = 2 q_f a_f + 4 g_f^2 + 2 g_f^2,   E[h' h''] = 0,
//
// so kbar'^2 = abar'/gbar'^2 = kbar_f^2 / (2 q_f) + 3 / (2 q_f^2). (Check: a
// linear network maps a great circle of q to u w = P + Q cos 2 theta + R sin 2 theta,
// a circle of radius^2/N = q_f^2/2 traversed twice: kbar^2 = 2/q_f^2.)
//
// # After a product layer
//
// A product layer's output h = u w is not Gaussian, so a layer after it
// sees the product-normal law: its factor (or pre-activation) length is
// sigma_w^2 E[phi(u w)^2] + sigma_b^2 with u, w iid N(0, q_f), and the jet
// moments E[phi'(h)^2 h'^2] and E[(phi'(h) h'' + phi''(h) h'^2)^2] follow by
// conditioning on (u, w): h' | u, w ~ N(0, g_f (u^2 + w^2)), and with
// u'' = -(g_f/q_f) u + e_u (e_u ~ N(0, a_f - g_f^2/q_f), independent),
//
//	E[h''^2 | u, w]     = r^2 + s^2 (u^2 + w^2) + 4 g_f^2,  r = -2 (g_f/q_f) u w,  s^2 = a_f - g_f^2/q_f
//	E[h'^2 h'' | u, w]  = g_f (u^2 + w^2) r + 4 u w g_f^2
//	E[h'^4 | u, w]      = 3 g_f^2 (u^2 + w^2)^2
//
// leaving 2-D integrals over (u, w), which reduce to 1-D integrals in u w
// with Bessel-function weights (see productMoments). This is what the
// Stack functions use; for a linear activation everything reduces to
// second moments and holds for any stack. The two-input correlation after a
// product layer would need 4-D integrals for a nonlinear activation and is
// not provided (an error).
//
// # Stationary state and chi_1 of a stack
//
// A network that repeats a pattern of kinds settles on an orbit of lengths
// (StackFixedPoint); its chi_1 per layer is the geometric mean over the
// pattern of gbar_after/gbar_before there. For all-product layers that
// follow product layers this uses the product-normal law above, not
// ProductChi1 (which assumes a Gaussian input). Product layers with
// sigma_b > 0 have a discontinuous transition: for small lengths the factor
// map is about q_f -> sigma_w^2 q_f^2 + sigma_b^2, whose small fixed point
// disappears at sigma_w = 1/(2 sigma_b) in the linear approximation; for
// tanh at sigma_b = 0.3 the stationary chi_1 jumps from 0.875 to 1.887 at
// sigma_w = 1.758 (SigmaWForChi1 reports targets inside the jump).

// ProductLengthMap returns V(q)^2: the length after a product layer whose
// input pre-activation is Gaussian of length q.
func (m *Model) ProductLengthMap(q float64) (float64, error) {
	v, err := m.LengthMap(q)
	return v * v, err
}

// ProductCovarianceMap applies a product layer to two Gaussian inputs: every
// entry of the dense covariance map, squared.
func (m *Model) ProductCovarianceMap(in Cov) (Cov, error) {
	f, err := m.CovarianceMap(in)
	if err != nil {
		return Cov{}, err
	}
	return Cov{Q11: f.Q11 * f.Q11, Q22: f.Q22 * f.Q22, Q12: f.Q12 * f.Q12}, nil
}

// ProductCMap returns the correlation after a product layer of two Gaussian
// inputs of common length q and correlation c: C_f(c)^2 with C_f the dense
// layer's (CMap). When the factors vanish (V(q) = 0), c is returned
// unchanged, as CMap does.
func (m *Model) ProductCMap(q, c float64) (float64, error) {
	v, err := m.LengthMap(q)
	if err != nil {
		return 0, err
	}
	cf, err := m.CMap(q, c)
	if err != nil || v == 0 {
		return c, err
	}
	return cf * cf, nil
}

// ProductChi1 returns 2 V(q) chi_f(q), chi_f = sigma_w^2 E[phi'(sqrt(q) z)^2]:
// the factor by which a product layer on a Gaussian input of length q
// stretches the squared length of a tangent (the mean squared singular
// value of its Jacobian). At a fixed point of ProductLengthMap it is the
// slope of ProductCMap at c = 1.
func (m *Model) ProductChi1(q float64) (float64, error) {
	v, err := m.LengthMap(q)
	if err != nil {
		return 0, err
	}
	chi, err := m.Chi1(q)
	return 2 * v * chi, err
}

// jetLaw is the per-neuron law of a layer's pre-activation jet (h, h', h”)
// along a curve of constant length: Gaussian with E[h^2] = q, E[h'^2] = g,
// E[h”^2] = a (E[h h”] = -g, E[h h'] = E[h' h”] = 0), or, for a product
// layer, the product of two independent such factors with parameters
// (q, g, a).
type jetLaw struct {
	product bool
	q, g, a float64
}

// stats returns the pre-activation's q, gbar and abar = E[h”^2].
func (j jetLaw) stats() (q, g, a float64) {
	if !j.product {
		return j.q, j.g, j.a
	}
	return j.q * j.q, 2 * j.q * j.g, 2*j.q*j.a + 6*j.g*j.g
}

// inputMoments returns E[phi(h)^2], E[phi'(h)^2 h'^2] and
// E[(phi'(h) h” + phi”(h) h'^2)^2] under the law (the next layer's
// E[x^2], E[x'^2], E[x”^2] per neuron). lengthOnly skips the two jet
// moments (returned as 0).
func (m *Model) inputMoments(j jetLaw, lengthOnly bool) (pp, dv, da float64, err error) {
	if !j.product {
		if lengthOnly {
			pp, err = m.phiSq(j.q)
			return pp, 0, 0, err
		}
		mo, err := m.Moments(j.q)
		if err != nil {
			return 0, 0, 0, err
		}
		// E[phi'^2 (a-part)]: by Stein's lemma the radial part of h''
		// cancels against the phi'' cross term, leaving Poole's form
		// a E[phi'^2] + 3 g^2 E[phi''^2].
		return mo.PhiSq, j.g * mo.D1Sq, j.a*mo.D1Sq + 3*j.g*j.g*mo.D2Sq, nil
	}
	if m.f.id == activation.Linear {
		// Linear: second moments only.
		q, g, a := j.stats()
		return q, g, a, nil
	}
	r, err := m.productMoments(j, lengthOnly)
	if err != nil {
		return 0, 0, 0, err
	}
	return r[0], r[1], r[2], nil
}

// next applies one layer of kind k to the input law j.
func (m *Model) next(j jetLaw, k layerkind.Kind, lengthOnly bool) (jetLaw, error) {
	pp, dv, da, err := m.inputMoments(j, lengthOnly)
	if err != nil {
		return jetLaw{}, err
	}
	return jetLaw{product: k == layerkind.Product, q: m.sw2*pp + m.sb2, g: m.sw2 * dv, a: m.sw2 * da}, nil
}

func checkKinds(kinds []layerkind.Kind) error {
	for l, k := range kinds {
		if k != layerkind.Dense && k != layerkind.Product {
			return fmt.Errorf("meanfield: layer %d is %v: the mean-field recursions cover dense and product layers", l+1, k)
		}
	}
	return nil
}

// StackCircle returns the mean-field predictions for a great circle of
// length q0 > 0 (layer 0) through a network whose layer l = 1..len(kinds)
// has kind kinds[l-1]: q, gbar, kbar, L^E/sqrt(N) and L^G per layer, as
// Circle (which it equals when every layer is dense). See the notes at the
// top of this file for the product layers' recursions.
func (m *Model) StackCircle(q0 float64, kinds []layerkind.Kind) ([]CircleLayer, error) {
	if err := checkQ("q0", q0); err != nil {
		return nil, err
	}
	if q0 == 0 {
		return nil, errors.New("meanfield: the input circle needs q0 > 0 (its curvature is 1/sqrt(N q0))")
	}
	if err := checkKinds(kinds); err != nil {
		return nil, err
	}
	j := jetLaw{q: q0, g: q0, a: q0} // h = r(u0 cos + u1 sin): |h'|^2 = |h''|^2 = |h|^2
	out := make([]CircleLayer, 0, len(kinds)+1)
	for l := 0; l <= len(kinds); l++ {
		if l > 0 {
			var err error
			if j, err = m.next(j, kinds[l-1], false); err != nil {
				return nil, fmt.Errorf("layer %d: %w", l, err)
			}
		}
		q, g, a := j.stats()
		if g == 0 {
			return nil, fmt.Errorf("meanfield: the metric vanishes at layer %d: the circle collapses to a point and its curvature is undefined", l)
		}
		k2 := a / (g * g)
		if math.IsInf(g, 0) || math.IsInf(k2, 0) || math.IsInf(q, 0) || math.IsNaN(k2) {
			return nil, fmt.Errorf("meanfield: circle predictions leave the float64 range at layer %d (q = %g, gbar = %g, kbar^2 = %g)", l, q, g, k2)
		}
		out = append(out, CircleLayer{Layer: l, Q: q, Gbar: g, Kbar: math.Sqrt(k2),
			Length: 2 * math.Pi * math.Sqrt(g), GrassmannLength: 2 * math.Pi * math.Sqrt(g*k2)})
	}
	return out, nil
}

// StackLengths returns q^0 = q0, q^1, ..., the pre-activation lengths
// through the stack (the length map of each layer in turn).
func (m *Model) StackLengths(q0 float64, kinds []layerkind.Kind) ([]float64, error) {
	if err := checkQ("q0", q0); err != nil {
		return nil, err
	}
	if err := checkKinds(kinds); err != nil {
		return nil, err
	}
	j := jetLaw{q: q0}
	qs := []float64{q0}
	for l, k := range kinds {
		var err error
		if j, err = m.next(j, k, true); err != nil {
			return nil, fmt.Errorf("layer %d: %w", l+1, err)
		}
		q, _, _ := j.stats()
		qs = append(qs, q)
	}
	return qs, nil
}

// errNoOrbit marks a stack whose lengths have no usable stationary orbit
// (they fall to 0, or do not settle).
var errNoOrbit = errors.New("no stationary orbit with positive lengths, where chi_1 is defined")

// StackOrbit is the stationary state of a network that repeats a pattern
// of layer kinds: the lengths reached after each layer of one period, once
// they no longer change from period to period, and each layer's chi_1 there.
type StackOrbit struct {
	Pattern []layerkind.Kind
	// Q[k] is the pre-activation length after layer k of the period.
	Q []float64
	// Chi1[k] = gbar after layer k / gbar before it: the mean squared
	// singular value of layer k's Jacobian along tangents of the stationary
	// state (for a dense layer after a Gaussian one, sigma_w^2 E[phi'^2]).
	Chi1 []float64
	// MeanChi1 is their geometric mean: the per-layer stretching of the
	// network, the quantity matched across networks (chi_1 = 1 is the edge
	// of chaos).
	MeanChi1 float64
	// Periods is the number of accelerated steps taken to converge.
	Periods int
}

// StackFixedPoint finds the stationary orbit of the repeated pattern from
// q0 > 0: one period is run from the Gaussian input of length q0, then the
// period map of the length entering a period is iterated with Steffensen's
// acceleration until it moves the length by at most 1e-13 of itself (at
// most Options.MaxIter steps). It returns the lengths after each layer of
// the period there and each layer's chi_1. An unbounded length is an error
// matching ErrNoFixedPoint; an orbit at length 0 is an error (chi_1 is not
// defined there for product layers).
func (m *Model) StackFixedPoint(pattern []layerkind.Kind, q0 float64) (StackOrbit, error) {
	if len(pattern) == 0 {
		return StackOrbit{}, errors.New("meanfield: empty layer pattern")
	}
	if err := checkKinds(pattern); err != nil {
		return StackOrbit{}, err
	}
	if err := checkQ("q0", q0); err != nil {
		return StackOrbit{}, err
	}
	P := len(pattern)
	noFP := func(last float64) error {
		return &NoFixedPointError{Activation: m.f.name, SigmaW2: m.sw2, SigmaB2: m.sb2, Q0: q0, LastQ: last}
	}
	// period runs one period from the law in; qs receives the lengths.
	period := func(in jetLaw, qs []float64) (jetLaw, error) {
		j := in
		for k, kind := range pattern {
			var err error
			if j, err = m.next(j, kind, true); err != nil {
				return j, fmt.Errorf("layer %d of the period: %w", k+1, err)
			}
			q, _, _ := j.stats()
			if math.IsNaN(q) || q > qHuge {
				return j, noFP(q)
			}
			if qs != nil {
				qs[k] = q
			}
		}
		return j, nil
	}
	first, err := period(jetLaw{q: q0}, nil)
	if err != nil {
		return StackOrbit{}, err
	}
	prod := first.product // the law entering every later period
	step := func(x float64) (float64, error) {
		j, err := period(jetLaw{product: prod, q: x}, nil)
		return j.q, err
	}
	x := first.q
	steps := -1
	for it := 1; it <= m.opt.MaxIter; it++ {
		x1, err := step(x)
		if err != nil {
			return StackOrbit{}, err
		}
		if math.Abs(x1-x) <= 1e-13*math.Max(x1, x) || x1 < 0x1p-1000 {
			x, steps = x1, it
			break
		}
		x2, err := step(x1)
		if err != nil {
			return StackOrbit{}, err
		}
		// Aitken's extrapolation where the map contracts (the ratio of
		// successive steps in (-1, 1)) and the result stays positive;
		// otherwise plain iteration, which lets a growing length run off
		// to qHuge.
		d := x2 - 2*x1 + x
		ratio := (x2 - x1) / (x1 - x)
		if nx := x - (x1-x)*(x1-x)/d; d != 0 && math.Abs(ratio) < 1 && nx > 0 && !math.IsInf(nx, 0) && !math.IsNaN(nx) {
			x = nx
		} else {
			x = x2
		}
	}
	if steps < 0 {
		return StackOrbit{}, fmt.Errorf("meanfield: the lengths of pattern %v did not settle within %d steps: %w", pattern, m.opt.MaxIter, errNoOrbit)
	}
	if x < 0x1p-1000 {
		return StackOrbit{}, fmt.Errorf("meanfield: the lengths of pattern %v fall to 0 (sigma_w too small for sigma_b = 0?): %w", pattern, errNoOrbit)
	}
	res := StackOrbit{Pattern: append([]layerkind.Kind(nil), pattern...), Q: make([]float64, P), Chi1: make([]float64, P), Periods: steps}
	in := jetLaw{product: prod, q: x}
	if _, err := period(in, res.Q); err != nil {
		return StackOrbit{}, err
	}
	// chi_1 per layer: one jet step at the stationary state with gbar = 1
	// entering the layer.
	j := in
	logSum := 0.0
	for k, kind := range pattern {
		if j.product {
			j.g, j.a = 1/(2*j.q), 0 // gbar = 2 q_f g_f = 1
		} else {
			j.g, j.a = 1, 0
		}
		nj, err := m.next(j, kind, false)
		if err != nil {
			return StackOrbit{}, err
		}
		_, g, _ := nj.stats()
		res.Chi1[k] = g
		logSum += math.Log(g)
		j = nj
	}
	res.MeanChi1 = math.Exp(logSum / float64(P))
	return res, nil
}

// StackCorrelationTrajectory returns c^0 = c0, c^1, ... for two inputs of
// common length q0 and correlation c0 through the stack. Each layer needs a
// Gaussian input (the input itself or a dense layer's output) unless the
// activation is linear; a nonlinear layer after a product layer is an error
// (its correlation map is a 4-D integral, not provided).
func (m *Model) StackCorrelationTrajectory(q0, c0 float64, kinds []layerkind.Kind) ([]float64, error) {
	if err := checkQ("q0", q0); err != nil {
		return nil, err
	}
	if math.IsNaN(c0) || c0 < -1 || c0 > 1 {
		return nil, fmt.Errorf("meanfield: c0 = %v outside [-1, 1]", c0)
	}
	if err := checkKinds(kinds); err != nil {
		return nil, err
	}
	linear := m.f.id == activation.Linear
	cov := Cov{q0, q0, c0 * q0}
	cs := []float64{c0}
	afterProduct := false
	for l, k := range kinds {
		if afterProduct && !linear {
			return nil, fmt.Errorf("meanfield: layer %d follows a product layer: its input is not Gaussian and its correlation map (a 4-D integral for %s) is not provided", l+1, m.f.name)
		}
		var f Cov
		var err error
		if linear {
			f = Cov{m.sw2*cov.Q11 + m.sb2, m.sw2*cov.Q22 + m.sb2, m.sw2*cov.Q12 + m.sb2}
		} else if f, err = m.CovarianceMap(cov); err != nil {
			return nil, err
		}
		if k == layerkind.Product {
			f = Cov{f.Q11 * f.Q11, f.Q22 * f.Q22, f.Q12 * f.Q12}
		}
		if math.IsInf(f.Q11, 0) || f.Q11 > qHuge {
			return nil, fmt.Errorf("meanfield: q grows past %g at layer %d: %w", qHuge, l+1, ErrNoFixedPoint)
		}
		cov = f
		cs = append(cs, cov.Corr())
		afterProduct = k == layerkind.Product
	}
	return cs, nil
}

// productMoments returns E[phi(uw)^2], E[phi'(uw)^2 h'^2] and
// E[(phi'(uw) h” + phi”(uw) h'^2)^2] for the product law j (factors
// u, w iid N(0, q), jets as in the notes above).
//
// The integrands are G(x) + H(x) s + J(x) s^2 in x = u w and s = u^2 + w^2,
// so each is a 1-D integral in x against the density of x and the
// conditional moments of s given x, all Bessel functions of z = |x|/q:
//
//	p(x) = K0(z) / (pi q),  p(x) E[s | x] = 2 |x| K1(z) / (pi q),
//	p(x) E[s^2 | x] = (4 x^2 K0(z) + 4 |x| q K1(z)) / (pi q)
//
// (parametrise the hyperbola u w = x by u = sqrt|x| e^eta; K_nu(z) =
// int_0^inf exp(-z cosh t) cosh(nu t) dt). With x = +-q e^tau the integrand
// is smooth in tau and analytic in the strip |Im tau| < pi/2 for tanh, erf,
// relu (whose kink at 0 is never reached) and the other smooth activations,
// with a transition of width O(1) in tau whatever q: the trapezoid rule in
// tau (step 1/8 on [-40, 5]; the mass outside is below 1e-16) converges
// like exp(-pi^2/step). The Bessel weights on that grid are computed once
// (besselTable). Activations with kinks away from 0 (hard-tanh) are refused:
// their kink lines u w = +-1 would make the rule converge only
// algebraically.
func (m *Model) productMoments(j jetLaw, lengthOnly bool) ([3]float64, error) {
	f := m.f
	if f.pw != nil && len(f.pw.t) > 2 && !(len(f.pw.t) == 3 && f.pw.t[1] == 0) {
		return [3]float64{}, fmt.Errorf("meanfield: %s has kinks away from 0: the law after a product layer is not supported for it", f.name)
	}
	q, g, a := j.q, j.g, j.a
	if q == 0 {
		// u = w = 0: h = 0 and h' = 0; h'' = 2 u' w' has E[h''^2] = 4 g^2.
		d1 := f.d10
		return [3]float64{f.phi0 * f.phi0, 0, d1 * d1 * 4 * g * g}, nil
	}
	s2 := math.Max(0, a-g*g/q) // variance of u'' beyond its part along u
	bt := besselTable()
	var pp, dv, da float64
	for i, tau := range bt.tau {
		ax := q * math.Exp(tau)
		w0 := bt.w0[i]                          // p(x) dx
		w1 := 2 * q * bt.w1[i]                  // p(x) E[s|x] dx
		w2 := 4 * q * q * (bt.w2[i] + bt.w1[i]) // p(x) E[s^2|x] dx
		for _, x := range [2]float64{ax, -ax} {
			p, d1 := f.pair(x)
			pp += w0 * p * p
			if lengthOnly {
				continue
			}
			d2 := f.d2(x)
			r := -2 * g / q * x
			dv += w1 * d1 * d1
			G := d1*d1*(r*r+4*g*g) + 8*d1*d2*x*g*g
			H := d1*d1*s2 + 2*d1*d2*g*r
			J := 3 * g * g * d2 * d2
			da += w0*G + w1*H + w2*J
		}
	}
	return [3]float64{pp, g * dv, da}, nil
}

// besselGrid holds, on the grid tau_i = -40 + i/8 up to 5, the weights
// w0 = step e^tau K0(e^tau)/pi, w1 = step e^{2 tau} K1(e^tau)/pi and
// w2 = step e^{3 tau} K0(e^tau)/pi (so that x = q e^tau gives the weights of
// productMoments divided by their powers of q).
type besselGrid struct {
	tau, w0, w1, w2 []float64
}

var (
	besselOnce sync.Once
	besselData *besselGrid
)

// besselTable computes the grid once. K0 and K1 come from their integral
// representation int_0^inf exp(-z cosh t) cosh(nu t) dt by the trapezoid rule
// with step 1/16 (the integrand is analytic for |Im t| < pi/2: error
// ~ exp(-pi^2 16), far below rounding), summed until z cosh t > 750.
func besselTable() *besselGrid {
	besselOnce.Do(func() {
		const step, lo, hi = 0.125, -40.0, 5.0
		n := int((hi-lo)/step) + 1
		g := &besselGrid{tau: make([]float64, n), w0: make([]float64, n), w1: make([]float64, n), w2: make([]float64, n)}
		for i := 0; i < n; i++ {
			tau := lo + float64(i)*step
			z := math.Exp(tau)
			const dt = 1.0 / 16
			k0, k1 := 0.5*math.Exp(-z), 0.5*math.Exp(-z) // t = 0 with weight 1/2
			for k := 1; ; k++ {
				t := float64(k) * dt
				c := math.Cosh(t)
				if z*c > 750 {
					break
				}
				e := math.Exp(-z * c)
				k0 += e
				k1 += e * c
			}
			k0 *= dt
			k1 *= dt
			g.tau[i] = tau
			g.w0[i] = step * z * k0 / math.Pi
			g.w1[i] = step * z * z * k1 / math.Pi
			g.w2[i] = step * z * z * z * k0 / math.Pi
		}
		besselData = g
	})
	return besselData
}

// SigmaWForChi1 returns the sigma_w at which a network repeating pattern
// (activation act, bias scale sigmaB) has per-layer chi_1 (StackOrbit's
// MeanChi1 at the stationary orbit reached from q0 = 1) equal to target,
// and that orbit: the first crossing of a scan of sigma_w over 160
// geometric steps from 0.02 to 50, refined by bisection to a relative width
// of 1e-12. Where chi_1 jumps over the target (product layers at
// sigma_b > 0 have a discontinuous transition: for tanh at sigma_b = 0.3
// chi_1 jumps from 0.875 to 1.887 at sigma_w = 1.758), or never reaches it,
// it returns an error that says so. Values of sigma_w where the orbit does
// not exist (lengths that grow without bound, or fall to 0) are skipped.
func SigmaWForChi1(act activation.Func, sigmaB float64, pattern []layerkind.Kind, target float64, opt Options) (float64, StackOrbit, error) {
	if !(target > 0) || math.IsInf(target, 0) {
		return 0, StackOrbit{}, fmt.Errorf("meanfield: target chi_1 = %v; want a finite value > 0", target)
	}
	if err := checkParam("sigma_b", sigmaB); err != nil {
		return 0, StackOrbit{}, err
	}
	eval := func(sw float64) (StackOrbit, bool, error) {
		m, err := New(act, sw, sigmaB, opt)
		if err != nil {
			return StackOrbit{}, false, err
		}
		o, err := m.StackFixedPoint(pattern, 1)
		if err != nil {
			if errors.Is(err, ErrNoFixedPoint) || errors.Is(err, errNoOrbit) {
				return StackOrbit{}, false, nil
			}
			return StackOrbit{}, false, err
		}
		return o, true, nil
	}
	const lo, hi, steps = 0.02, 50.0, 160
	prevSW, prevOK := 0.0, false
	var prev StackOrbit
	for k := 0; k <= steps; k++ {
		sw := lo * math.Pow(hi/lo, float64(k)/steps)
		o, ok, err := eval(sw)
		if err != nil {
			return 0, StackOrbit{}, err
		}
		if ok && o.MeanChi1 == target {
			return sw, o, nil
		}
		if ok && prevOK && (prev.MeanChi1 < target) != (o.MeanChi1 < target) {
			a, b := prevSW, sw
			oa := prev
			below := prev.MeanChi1 < target
			for b-a > 1e-12*b {
				mid := (a + b) / 2
				om, okm, err := eval(mid)
				if err != nil {
					return 0, StackOrbit{}, err
				}
				if !okm {
					break
				}
				if (om.MeanChi1 < target) == below {
					a, oa = mid, om
				} else {
					b = mid
				}
			}
			ob, okb, err := eval(b)
			if err != nil {
				return 0, StackOrbit{}, err
			}
			best, bestSW := oa, a
			if okb && math.Abs(ob.MeanChi1-target) < math.Abs(oa.MeanChi1-target) {
				best, bestSW = ob, b
			}
			if math.Abs(best.MeanChi1-target) > 1e-6*target {
				return 0, StackOrbit{}, fmt.Errorf("meanfield: %s %v at sigma_b = %g: chi_1 jumps over %g at sigma_w = %.6g (from %.4g to %.4g); choose another target", act.Name, pattern, sigmaB, target, bestSW, oa.MeanChi1, ob.MeanChi1)
			}
			return bestSW, best, nil
		}
		prevSW, prevOK, prev = sw, ok, o
	}
	return 0, StackOrbit{}, fmt.Errorf("meanfield: %s %v at sigma_b = %g: chi_1 does not cross %g for sigma_w in [%g, %g]", act.Name, pattern, sigmaB, target, lo, hi)
}
