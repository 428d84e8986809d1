package meanfield

import (
	"fmt"
	"math"
)

// Phase is the dynamical phase of the signal propagation.
type Phase int

const (
	// Ordered: chi_1 < 1, c* = 1 is stable, gradients vanish.
	Ordered Phase = iota
	// Critical: |chi_1 - 1| <= Options.CriticalTol.
	Critical
	// Chaotic: chi_1 > 1, a stable c* < 1, gradients explode.
	Chaotic
	// Unbounded: the length map has no finite fixed point (only in grids;
	// Analyze returns an error matching ErrNoFixedPoint instead).
	Unbounded
)

// String returns "ordered", "critical", "chaotic" or "unbounded".
func (p Phase) String() string {
	switch p {
	case Ordered:
		return "ordered"
	case Critical:
		return "critical"
	case Chaotic:
		return "chaotic"
	case Unbounded:
		return "unbounded"
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// Summary is the mean-field state at the fixed point reached from q0.
type Summary struct {
	QStar       float64 // fixed point of the length map
	Iterations  int     // layers for the length map to converge (see LengthFixedPoint)
	CStar       float64 // stable fixed point of the C-map in [0, 1]
	Chi1        float64 // sigma_w^2 E[phi'(u)^2] at q*
	Chi2        float64 // sigma_w^2 E[phi''(u)^2] at q*
	XiQ         float64 // -1/log V'(q*), +Inf when V'(q*) = 1
	XiC         float64 // -1/log C'(c*), +Inf when C'(c*) = 1
	LengthSlope float64 // V'(q*)
	CMapSlope   float64 // C'(c*) = sigma_w^2 E[phi'(u1) phi'(u2)] at (q*, c*)
	Phase       Phase
	// RelErr is the largest estimated relative error of the integrals at the
	// answer (0 for exact forms); it is an estimate by comparing rule levels.
	RelErr float64
}

// Analyze computes q*, c*, chi_1, chi_2, xi_q, xi_c and the phase, starting
// the length map at q0.
func (m *Model) Analyze(q0 float64) (Summary, error) {
	return m.analyze(q0, -1, true)
}

func (m *Model) analyze(q0, cGuess float64, wantErr bool) (Summary, error) {
	fp, err := m.FixedLength(q0)
	if err != nil {
		return Summary{}, err
	}
	mo, err := m.Moments(fp.Q)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{
		QStar:       fp.Q,
		Iterations:  fp.Iterations,
		Chi1:        m.sw2 * mo.D1Sq,
		Chi2:        m.sw2 * mo.D2Sq,
		LengthSlope: fp.Slope,
		RelErr:      mo.RelErr,
	}
	s.XiQ = xiOf(s.LengthSlope)
	if fp.Q == 0 {
		s.CStar, s.CMapSlope = 1, s.Chi1
	} else {
		c, sl, e, err := m.fixedC(fp.Q, s.Chi1, cGuess, wantErr)
		if err != nil {
			return Summary{}, err
		}
		s.CStar, s.CMapSlope = c, sl
		s.RelErr = math.Max(s.RelErr, e)
	}
	s.XiC = xiOf(s.CMapSlope)
	s.Phase = m.phaseOf(s.Chi1)
	return s, nil
}

func (m *Model) phaseOf(chi1 float64) Phase {
	switch {
	case math.Abs(chi1-1) <= m.opt.CriticalTol:
		return Critical
	case chi1 < 1:
		return Ordered
	}
	return Chaotic
}
