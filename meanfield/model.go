package meanfield

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/activation"
)

// Options tunes the numerics, passed by value: the zero value of each
// field (and so Options{}) means its default.
type Options struct {
	// Tol is the relative accuracy asked of every integral (default 1e-10).
	Tol float64
	// Rule is the quadrature rule for smooth activations (default Sinc).
	Rule Rule
	// MaxIter bounds the layers counted by FixedLength (default 10000).
	MaxIter int
	// CriticalTol is the half-width of the band |chi_1 - 1| <= CriticalTol
	// classified as Critical (default 1e-8).
	CriticalTol float64
}

func (o Options) withDefaults() Options {
	r := o
	// Zero means the default; a negative value stays and is refused by
	// the checks of New.
	if r.Tol == 0 {
		r.Tol = 1e-10
	}
	if r.MaxIter == 0 {
		r.MaxIter = 10000
	}
	if r.CriticalTol == 0 {
		r.CriticalTol = 1e-8
	}
	return r
}

// Model is one activation with weight and bias variances sigma_w^2 and
// sigma_b^2. Its methods are safe for concurrent use.
type Model struct {
	f        *funcs
	sw2, sb2 float64
	opt      Options
}

// New returns the model for activation act with weight and bias standard
// deviations sigmaW and sigmaB (both finite and >= 0).
func New(act activation.Func, sigmaW, sigmaB float64, opt Options) (*Model, error) {
	if err := checkParam("sigma_w", sigmaW); err != nil {
		return nil, err
	}
	if err := checkParam("sigma_b", sigmaB); err != nil {
		return nil, err
	}
	return NewVar(act, sigmaW*sigmaW, sigmaB*sigmaB, opt)
}

// NewVar returns the model with weight and bias variances sigmaW2 and
// sigmaB2 (Schoenholz's convention), both finite and >= 0.
func NewVar(act activation.Func, sigmaW2, sigmaB2 float64, opt Options) (*Model, error) {
	if err := checkParam("sigma_w^2", sigmaW2); err != nil {
		return nil, err
	}
	if err := checkParam("sigma_b^2", sigmaB2); err != nil {
		return nil, err
	}
	o := opt.withDefaults()
	if math.IsNaN(o.Tol) || o.Tol < 1e-15 || o.Tol > 1e-2 {
		return nil, fmt.Errorf("meanfield: tolerance %g outside [1e-15, 1e-2]", o.Tol)
	}
	if o.Rule != Sinc && o.Rule != GaussHermite {
		return nil, fmt.Errorf("meanfield: unknown quadrature rule %d", int(o.Rule))
	}
	if o.MaxIter < 1 {
		return nil, fmt.Errorf("meanfield: MaxIter %d; want at least 1 (0: 10000)", o.MaxIter)
	}
	if !(o.CriticalTol > 0) || o.CriticalTol >= 1 {
		return nil, fmt.Errorf("meanfield: CriticalTol %g; want 0 < CriticalTol < 1 (0: 1e-8)", o.CriticalTol)
	}
	f, err := newFuncs(act)
	if err != nil {
		return nil, err
	}
	return &Model{f: f, sw2: sigmaW2, sb2: sigmaB2, opt: o}, nil
}

func checkParam(name string, x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("meanfield: %s = %v is not finite", name, x)
	}
	if x < 0 {
		return fmt.Errorf("meanfield: %s = %g is negative", name, x)
	}
	return nil
}

func checkQ(name string, q float64) error {
	if math.IsNaN(q) || math.IsInf(q, 0) || q < 0 {
		return fmt.Errorf("meanfield: %s = %v: want a finite length >= 0", name, q)
	}
	return nil
}

// Activation returns the activation's canonical name.
func (m *Model) Activation() string { return m.f.name }

// SigmaW2 and SigmaB2 return the variances; SigmaW and SigmaB the standard
// deviations.
func (m *Model) SigmaW2() float64 { return m.sw2 }

// SigmaB2 returns sigma_b^2.
func (m *Model) SigmaB2() float64 { return m.sb2 }

// SigmaW returns sigma_w.
func (m *Model) SigmaW() float64 { return math.Sqrt(m.sw2) }

// SigmaB returns sigma_b.
func (m *Model) SigmaB() float64 { return math.Sqrt(m.sb2) }

// Moments are the Gaussian moments of phi(u), u ~ N(0, q), that the
// mean-field quantities are built from.
type Moments struct {
	PhiSq   float64 // E[phi(u)^2]
	D1Sq    float64 // E[phi'(u)^2]
	D2Sq    float64 // E[phi''(u)^2] (Dirac deltas at kinks ignored)
	Slope   float64 // d/dq E[phi(u)^2] = E[phi'^2 + phi phi''] (Stein form at kinks)
	RelErr  float64 // estimated relative error (0 for exact forms)
	QuadLvl int     // quadrature level used (0 for exact forms)
}

// Moments returns the 1-D Gaussian moments at variance q >= 0. At q = 0 they
// are the values at 0 (one-sided averages at a kink: the q -> 0 limits).
func (m *Model) Moments(q float64) (Moments, error) {
	if err := checkQ("q", q); err != nil {
		return Moments{}, err
	}
	f := m.f
	if q == 0 {
		k := f.kinkAtZero
		return Moments{
			PhiSq: at0(func(u float64) float64 { p := f.phi(u); return p * p }, k),
			D1Sq:  at0(func(u float64) float64 { d := f.d1(u); return d * d }, k),
			D2Sq:  at0(func(u float64) float64 { d := f.d2(u); return d * d }, k),
			Slope: at0(func(u float64) float64 { d := f.d1(u); return d*d + f.phi(u)*f.d2(u) }, k),
		}, nil
	}
	if f.pw != nil {
		pp, dd, sl := f.pw.moments(q)
		return Moments{PhiSq: pp, D1Sq: dd, Slope: sl}, nil
	}
	l, err := levelFor(f, m.opt.Rule, q, m.opt.Tol, false)
	if err != nil {
		return Moments{}, err
	}
	prev := smooth1(f, q, getRule(m.opt.Rule, l), false)
	l++
	cur := smooth1(f, q, getRule(m.opt.Rule, l), false)
	e := prev.relErr(cur)
	if e > m.opt.Tol {
		var ok bool
		cur, l, e, ok = adapt1(f, m.opt.Rule, q, m.opt.Tol, false)
		if !ok {
			return Moments{}, errNoConvergence(f.name, m.opt.Rule, q, m.opt.Tol)
		}
	}
	return Moments{PhiSq: cur.pp, D1Sq: cur.dd, D2Sq: cur.ss, Slope: cur.dd + cur.ps, RelErr: e, QuadLvl: l}, nil
}

// phiSq returns E[phi(sqrt(q) z)^2] (one rule evaluation at the cached level).
func (m *Model) phiSq(q float64) (float64, error) {
	f := m.f
	if q == 0 {
		return f.phi0 * f.phi0, nil
	}
	if f.pw != nil {
		pp, _, _ := f.pw.moments(q)
		return pp, nil
	}
	l, err := levelFor(f, m.opt.Rule, q, m.opt.Tol, true)
	if err != nil {
		return 0, err
	}
	return smooth1(f, q, getRule(m.opt.Rule, l), true).pp, nil
}

// LengthMap returns V(q) = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2.
func (m *Model) LengthMap(q float64) (float64, error) {
	if err := checkQ("q", q); err != nil {
		return 0, err
	}
	e, err := m.phiSq(q)
	if err != nil {
		return 0, err
	}
	return m.sw2*e + m.sb2, nil
}

// Chi1 returns sigma_w^2 E[phi'(sqrt(q) z)^2].
func (m *Model) Chi1(q float64) (float64, error) {
	mo, err := m.Moments(q)
	return m.sw2 * mo.D1Sq, err
}

// Chi2 returns sigma_w^2 E[phi^(2)(sqrt(q) z)^2].
func (m *Model) Chi2(q float64) (float64, error) {
	mo, err := m.Moments(q)
	return m.sw2 * mo.D2Sq, err
}

// Cov is the second-moment state of two inputs: lengths Q11, Q22 and
// covariance Q12.
type Cov struct{ Q11, Q22, Q12 float64 }

// Corr returns Q12/sqrt(Q11 Q22), or 1 when a length is 0.
func (c Cov) Corr() float64 {
	s := math.Sqrt(c.Q11 * c.Q22)
	if s == 0 {
		return 1
	}
	return clamp1(c.Q12 / s)
}

// Expect2 returns E[phi(u1) phi(u2)] and E[phi'(u1) phi'(u2)] for the
// centred Gaussian pair with variances q11, q22 and covariance q12, with an
// estimate of the error relative to sqrt(E[phi(u1)^2] E[phi(u2)^2]) (and the
// same for phi'), 0 for exact forms.
func (m *Model) Expect2(q11, q22, q12 float64) (pp, dd, relErr float64, err error) {
	if err := checkQ("q11", q11); err != nil {
		return 0, 0, 0, err
	}
	if err := checkQ("q22", q22); err != nil {
		return 0, 0, 0, err
	}
	if math.IsNaN(q12) || math.IsInf(q12, 0) {
		return 0, 0, 0, fmt.Errorf("meanfield: q12 = %v is not finite", q12)
	}
	s := math.Sqrt(q11 * q22)
	if math.Abs(q12) > s*(1+1e-12) {
		return 0, 0, 0, fmt.Errorf("meanfield: covariance %g exceeds sqrt(q11 q22) = %g", q12, s)
	}
	c := 0.0
	if s > 0 {
		c = clamp1(q12 / s)
	}
	f := m.f
	if f.pw != nil {
		if q11 == 0 || q22 == 0 {
			pp, dd = m.pwlDegenerate(q11, q22)
			return pp, dd, 0, nil
		}
		pp, dd = f.pw.pair(q11, q22, q12)
		return pp, dd, 0, nil
	}
	l, err := levelFor(f, m.opt.Rule, math.Max(q11, q22), m.opt.Tol, true)
	if err != nil {
		return 0, 0, 0, err
	}
	pp, dd = m.smooth2(q11, q22, c, l)
	p1, d1 := m.smooth2(q11, q22, c, l+1)
	// Relative to the Cauchy-Schwarz bounds sqrt(E[phi(u1)^2] E[phi(u2)^2])
	// (and the same for phi'), which stay meaningful when E[phi phi] = 0.
	m1, err := m.Moments(q11)
	if err != nil {
		return 0, 0, 0, err
	}
	m2, err := m.Moments(q22)
	if err != nil {
		return 0, 0, 0, err
	}
	sp := math.Max(math.Sqrt(m1.PhiSq*m2.PhiSq), 1e-300)
	sd := math.Max(math.Sqrt(m1.D1Sq*m2.D1Sq), 1e-300)
	relErr = math.Max(math.Abs(pp-p1)/sp, math.Abs(dd-d1)/sd)
	pp, dd = p1, d1
	return pp, dd, relErr, nil
}

// pwlDegenerate handles a zero length: u1 = 0 (or u2 = 0) identically.
func (m *Model) pwlDegenerate(q11, q22 float64) (pp, dd float64) {
	q := math.Max(q11, q22)
	f := m.f
	if q == 0 {
		return f.phi0 * f.phi0, f.d10 * f.d10
	}
	var ep, ed float64 // E[phi(u)], E[phi'(u)]
	sq := math.Sqrt(q)
	for i := range f.pw.alpha {
		m0, m1, _ := trunc(f.pw.t[i]/sq, f.pw.t[i+1]/sq)
		ep += f.pw.alpha[i]*m0 + f.pw.beta[i]*sq*m1
		ed += f.pw.beta[i] * m0
	}
	return f.phi0 * ep, f.d10 * ed
}

// smooth2 evaluates the 2-D expectations with the tensor rule at level l.
func (m *Model) smooth2(q11, q22, c float64, l int) (pp, dd float64) {
	r := getRule(m.opt.Rule, l)
	sq1 := math.Sqrt(q11)
	f1 := make([]float64, len(r.z))
	g1 := make([]float64, len(r.z))
	for i, z := range r.z {
		f1[i], g1[i] = m.f.pair(sq1 * z)
	}
	return kernel2(m.f, r, f1, g1, math.Sqrt(q22), c)
}

// kernel2 is the hot loop: sum_i w_i f1_i sum_j w_j phi(a z_i + b z_j) (and
// the same with g1 and phi'), over the disk of radius zMax, halved by the
// point symmetry (z1, z2) -> (-z1, -z2) when phi is odd.
func kernel2(f *funcs, r *rule, f1, g1 []float64, sq2, c float64) (pp, dd float64) {
	s := math.Sqrt(math.Max(0, (1-c)*(1+c)))
	a, b := sq2*c, sq2*s
	z, w := r.z, r.w
	n := len(z)
	jr := r.diskRange()
	pair := f.pair
	for i := 0; i < n; i++ {
		mi := n - 1 - i
		fac := 1.0
		jlo, jhi := jr[i], n-1-jr[i]
		if f.odd {
			if i < mi {
				continue
			}
			if i > mi {
				fac = 2
			}
		}
		ai := a * z[i]
		var sp, sd float64
		if f.odd && i == mi { // centre row: j >= centre, off-centre twice
			for j := n / 2; j <= jhi; j++ {
				p, d := pair(ai + b*z[j])
				wj := w[j]
				if j != n-1-j {
					wj *= 2
				}
				sp += wj * p
				sd += wj * d
			}
		} else {
			for j := jlo; j <= jhi; j++ {
				p, d := pair(ai + b*z[j])
				sp += w[j] * p
				sd += w[j] * d
			}
		}
		pp += fac * w[i] * f1[i] * sp
		dd += fac * w[i] * g1[i] * sd
	}
	return pp, dd
}

// CovarianceMap applies one layer to two inputs of lengths q11, q22 and
// covariance q12: q_ab' = sigma_w^2 E[phi(u_a) phi(u_b)] + sigma_b^2.
func (m *Model) CovarianceMap(in Cov) (Cov, error) {
	pp, _, _, err := m.Expect2(in.Q11, in.Q22, in.Q12)
	if err != nil {
		return Cov{}, err
	}
	v1, err := m.LengthMap(in.Q11)
	if err != nil {
		return Cov{}, err
	}
	v2, err := m.LengthMap(in.Q22)
	if err != nil {
		return Cov{}, err
	}
	return Cov{Q11: v1, Q22: v2, Q12: m.sw2*pp + m.sb2}, nil
}

// CMap returns the correlation after one layer of two inputs of common length
// q and correlation c: (sigma_w^2 E[phi(u1) phi(u2)] + sigma_b^2) / V(q). At
// q = q* this is the C-map. When V(q) = 0 (q = 0, sigma_b = 0, phi(0) = 0)
// the inputs vanish and c is returned unchanged (the small-q limit for
// phi'(0) != 0).
func (m *Model) CMap(q, c float64) (float64, error) {
	if math.IsNaN(c) || c < -1 || c > 1 {
		return 0, fmt.Errorf("meanfield: correlation %v outside [-1, 1]", c)
	}
	out, err := m.CovarianceMap(Cov{q, q, c * q})
	if err != nil {
		return 0, err
	}
	if out.Q11 == 0 {
		return c, nil
	}
	return clamp1(out.Q12 / out.Q11), nil
}

// ErrNoFixedPoint is matched (errors.Is) by the error of a length map that
// has no finite fixed point reachable from the starting length: q^l grows
// without bound.
var ErrNoFixedPoint = errors.New("length map has no finite fixed point: q grows without bound")

// NoFixedPointError reports a length map without a finite fixed point.
type NoFixedPointError struct {
	Activation string
	SigmaW2    float64
	SigmaB2    float64
	Q0         float64 // starting length
	LastQ      float64 // the last length reached before giving up
}

func (e *NoFixedPointError) Error() string {
	return fmt.Sprintf("meanfield: %s at sigma_w^2 = %g, sigma_b^2 = %g from q0 = %g: %v (q reached %.3g)",
		e.Activation, e.SigmaW2, e.SigmaB2, e.Q0, ErrNoFixedPoint, e.LastQ)
}

// Is makes errors.Is(err, ErrNoFixedPoint) true.
func (e *NoFixedPointError) Is(target error) bool { return target == ErrNoFixedPoint }

func xiOf(x float64) float64 {
	switch {
	case x >= 1:
		return math.Inf(1)
	case x <= 0:
		return 0
	}
	return -1 / math.Log(x)
}

func (r *rule) diskRange() []int {
	r.diskOnce.Do(func() {
		n := len(r.z)
		r.jlo = make([]int, n)
		for i, zi := range r.z {
			lim := rMax*rMax - zi*zi
			j := 0
			for j < n/2 && r.z[j]*r.z[j] > lim+1e-12 {
				j++
			}
			r.jlo[i] = j
		}
	})
	return r.jlo
}
