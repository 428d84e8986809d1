package meanfield

import (
	"fmt"
	"math"
)

// CircleLayer is the mean-field prediction for a great circle at one layer
// (Poole et al. 2016, eq. 8). Layer 0 is the input circle, as in package
// manifold and every netgeom command.
type CircleLayer struct {
	Layer int
	Q     float64 // q^l, the pre-activation length
	Gbar  float64 // gbar^l = |dh/dtheta|^2 / N
	Kbar  float64 // kbar^l = sqrt(N) kappa
	// Length is L^E / sqrt(N) = 2 pi sqrt(gbar).
	Length float64
	// GrassmannLength is L^G = 2 pi sqrt(gbar) kbar (independent of N).
	GrassmannLength float64
}

// Circle returns layers 0..layers for the input circle of length q0 > 0 (use
// q0 = q* for Poole's setting): the input and `layers` network layers.
// Layer l+1 uses chi_1 and chi_2 at q^l, the length of its input.
func (m *Model) Circle(q0 float64, layers int) ([]CircleLayer, error) {
	if err := checkQ("q0", q0); err != nil {
		return nil, err
	}
	if q0 == 0 {
		return nil, fmt.Errorf("meanfield: the input circle needs q0 > 0 (its curvature is 1/sqrt(N q0))")
	}
	if layers < 0 {
		return nil, fmt.Errorf("meanfield: layers = %d: want at least 0", layers)
	}
	out := make([]CircleLayer, layers+1)
	q, g, k2 := q0, q0, 1/q0
	for l := 0; l <= layers; l++ {
		if l > 0 {
			mo, err := m.Moments(q)
			if err != nil {
				return nil, err
			}
			chi1, chi2 := m.sw2*mo.D1Sq, m.sw2*mo.D2Sq
			if chi1 == 0 {
				return nil, fmt.Errorf("meanfield: chi_1 = 0 at layer %d: the circle collapses to a point and its curvature is undefined", l)
			}
			g *= chi1
			k2 = 3*chi2/(chi1*chi1) + k2/chi1
			if q, err = m.LengthMap(q); err != nil {
				return nil, err
			}
		}
		if math.IsInf(g, 0) || math.IsInf(k2, 0) || math.IsInf(q, 0) || g == 0 {
			return nil, fmt.Errorf("meanfield: circle predictions leave the float64 range at layer %d (q = %g, gbar = %g, kbar^2 = %g)", l, q, g, k2)
		}
		out[l] = CircleLayer{
			Layer: l, Q: q, Gbar: g, Kbar: math.Sqrt(k2),
			Length:          2 * math.Pi * math.Sqrt(g),
			GrassmannLength: 2 * math.Pi * math.Sqrt(g*k2),
		}
	}
	return out, nil
}

// CorrelationTrajectory returns c^0 = c0, c^1, ..., c^layers for two inputs
// of common length q0 and correlation c0, through the general covariance map
// (the lengths follow the transient q^l; at q0 = q* this iterates the C-map).
func (m *Model) CorrelationTrajectory(q0, c0 float64, layers int) ([]float64, error) {
	if err := checkQ("q0", q0); err != nil {
		return nil, err
	}
	if math.IsNaN(c0) || c0 < -1 || c0 > 1 {
		return nil, fmt.Errorf("meanfield: c0 = %v outside [-1, 1]", c0)
	}
	if layers < 0 {
		return nil, fmt.Errorf("meanfield: layers = %d is negative", layers)
	}
	cs := []float64{c0}
	q, c := q0, c0
	for l := 1; l <= layers; l++ {
		out, err := m.CovarianceMap(Cov{q, q, c * q})
		if err != nil {
			return nil, err
		}
		if math.IsInf(out.Q11, 0) || out.Q11 > qHuge {
			return nil, fmt.Errorf("meanfield: q grows past %g at layer %d: %w", qHuge, l, ErrNoFixedPoint)
		}
		if out.Q11 > 0 {
			c = clamp1(out.Q12 / out.Q11)
		}
		q = out.Q11
		cs = append(cs, c)
	}
	return cs, nil
}
