package meanfield

import (
	"errors"
	"fmt"
	"math"

	"github.com/netgeom/netgeom/activation"
)

// funcs wraps an activation for the integrators: phi and its derivatives,
// a fused (phi, phi') evaluation for the hot 2-D loops, symmetry, and the
// piecewise-linear description when phi has kinks.
type funcs struct {
	id             activation.ID
	name           string
	phi, d1, d2    func(float64) float64
	pair           func(float64) (float64, float64)
	odd            bool
	pw             *pwl // non-nil for piecewise-linear activations with kinks
	kinkAtZero     bool
	phi0, d10, d20 float64 // values at 0 (one-sided averages at a kink)
}

const twoOverSqrtPi = 2 / math.SqrtPi

func newFuncs(act activation.Func) (*funcs, error) {
	if act.Phi == nil || act.D1 == nil || act.D2 == nil {
		return nil, errors.New("meanfield: activation has nil functions (use activation.Lookup)")
	}
	f := &funcs{id: act.ID, name: act.Name, phi: act.Phi, d1: act.D1, d2: act.D2, odd: act.Odd}
	switch act.ID {
	case activation.Tanh:
		f.pair = func(u float64) (float64, float64) { t := math.Tanh(u); return t, 1 - t*t }
	case activation.Erf:
		f.pair = func(u float64) (float64, float64) { return math.Erf(u), twoOverSqrtPi * math.Exp(-u*u) }
	default:
		p, d := act.Phi, act.D1
		f.pair = func(u float64) (float64, float64) { return p(u), d(u) }
	}
	for _, k := range act.Kinks {
		if k == 0 {
			f.kinkAtZero = true
		}
	}
	f.phi0 = act.Phi(0) // phi is continuous
	f.d10 = at0(act.D1, f.kinkAtZero)
	f.d20 = at0(act.D2, f.kinkAtZero)
	// Linear (smooth with phi'' = 0) also gets the exact forms, so that
	// sigma_w = 1, sigma_b = 0 keeps every q exactly fixed.
	if !act.Smooth() || act.D2(-1.3) == 0 && act.D2(0.7) == 0 && act.D2(2.9) == 0 {
		pw, err := newPWL(act)
		if err != nil {
			return nil, err
		}
		f.pw = pw
	}
	return f, nil
}

// at0 is g(0), or the average of the one-sided limits when 0 is a kink
// (the q -> 0 limit of E[g(sqrt(q) z)]).
func at0(g func(float64) float64, kink bool) float64 {
	if !kink {
		return g(0)
	}
	const t = 0x1p-1000
	return (g(-t) + g(t)) / 2
}

func errNoConvergence(name string, kind Rule, q, tol float64) error {
	return fmt.Errorf("meanfield: %s: %s quadrature did not reach relative accuracy %g at q = %g within %d levels", name, kind, tol, q, maxLevel)
}
